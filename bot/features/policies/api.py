"""The policies room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.policies.attest import (
    AUP_CONSENT,
    acknowledge,
    aup_consent,
    names_match,
    sign_aup,
)
from bot.features.policies.importer import (
    SUPPORTED_SUFFIXES,
    Found,
    FuzzyDate,
    ImportedPolicy,
    NoTextLayerError,
    PolicyImportError,
    not_ours,
    same_document,
    typed_policy,
)
from bot.features.policies.intake import (
    QUESTIONS,
    Dates,
    Intake,
    copy_of,
    dsl_names,
    extract_bytes,
    intake_of,
    question,
    read_intake,
    stored_day,
    twins,
)
from bot.features.policies.proof import ProofNeededError, proof_for
from bot.features.policies.register import policies_of, register
from bot.features.policies.rules import (
    MAX_DOCUMENT_BYTES,
    REVIEW_DUE_SOON_DAYS,
    ReviewError,
    normalise_title,
    policy_key,
    review_status,
)
from bot.features.policies.store import accepted_document, new_version
from bot.features.policies.typed import typed_date, typed_title

__all__ = [
    "AUP_CONSENT",
    "MAX_DOCUMENT_BYTES",
    "QUESTIONS",
    "REVIEW_DUE_SOON_DAYS",
    "SUPPORTED_SUFFIXES",
    "Dates",
    "Found",
    "FuzzyDate",
    "ImportedPolicy",
    "Intake",
    "NoTextLayerError",
    "PolicyImportError",
    "ProofNeededError",
    "ReviewError",
    "accepted_document",
    "acknowledge",
    "aup_consent",
    "copy_of",
    "dsl_names",
    "extract_bytes",
    "intake_of",
    "names_match",
    "new_version",
    "normalise_title",
    "not_ours",
    "policies_of",
    "policy_key",
    "proof_for",
    "question",
    "read_intake",
    "register",
    "review_status",
    "same_document",
    "sign_aup",
    "stored_day",
    "twins",
    "typed_date",
    "typed_policy",
    "typed_title",
]
