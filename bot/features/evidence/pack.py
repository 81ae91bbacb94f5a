"""Making a pack: the facts, the summary, a CSV per table, the README, and the manifest signed
with the school's evidence key, in one zip. Making one is recorded in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.language.i18n import speaking
from bot.core.language.words import school_words, zip_files
from bot.core.models import AuditEvent, Report
from bot.core.nations.inspectorates import inspectorate
from bot.core.rendering.signed import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    earlier_key,
    fingerprint,
    format_fingerprint,
    private_key,
    signed,
)
from bot.features.evidence.cover_sheet import (
    ISS_SHEET,
    Proprietor,
    answers_paragraph_7,
    iss_cover_sheet,
)
from bot.features.evidence.inspection import INDEX, index_table
from bot.features.evidence.proformas import eti_proformas, signatories_of
from bot.features.evidence.record import self_evaluation_record
from bot.features.evidence.rules import (
    csv_bytes,
    pack_language,
    retention_table,
    rules_table,
    standards_sentence,
)
from bot.features.evidence.service import Facts, gather, names_of
from bot.features.evidence.staffing import scr_gaps, training_by_role
from bot.features.evidence.summary_pdf import render_summary
from bot.features.privacy.api import RECORD_FILE, record_csv, record_rows
from bot.features.reports.api import clock_labels
from bot.features.scr.api import gap_headings

__all__ = [
    "POWERSHELL",
    "README",
    "STEPS",
    "SUMMARY",
    "Pack",
    "PackRequest",
    "earlier_fingerprint",
    "earlier_packs",
    "key_fingerprint",
    "make_pack",
]

PACK_MADE = "evidence.pack_made"
SUMMARY = "summary.pdf"
README = "README.txt"
TEMPLATES = Path(__file__).parent / "templates"
README_TEXT = TEMPLATES / "pack_readme.txt"  # the README's words, filled in by ``str.format``
STEPS = ("Reading the records", "Writing the PDF summary", "Writing the tables", "Signing")


@dataclass(frozen=True)
class PackRequest:
    """Who asks for a pack, and which reports they may count."""

    actor: str  # for the audit log: an email, or ``cli``
    made_by: str  # in plain words, for the pack
    reports: Select[Report]
    reports_scope: str
    via: str  # web | cli
    # whose published list the pack's index answers (``inspection-index.csv``; the summary
    # opens with it): the school's inspectorate, or the one asked for; None: no index
    inspectorate: str | None = None
    # the school's settings: the pack is then in its language and words (its standards, SCR
    # gaps and report deadlines), holds the rules its records were kept under, each SCR gap
    # with its date and training by role (``staffing``), an independent school's cover sheet
    # and the inspectorate's forms for its leads to sign; None: plain English, none of these
    school: SchoolConfig | None = None
    scr_names: bool = False  # the maker may read whose SCR gaps they are (``scr.reads_names``)
    # the platform the school runs on (``Settings.platform``): its record of processing names
    # Microsoft or Google as processor; None: not stated
    platform: str | None = None


@dataclass(frozen=True)
class Pack:
    """A made pack: the zip's bytes, a file name to save it as and the key's fingerprint."""

    data: bytes
    file_name: str
    files: tuple[str, ...]
    fingerprint: str


def key_fingerprint(secret: str) -> str:
    """The fingerprint of the school's evidence key (64 hex digits), to give to an inspector."""
    return fingerprint(private_key(secret).public_key())


def earlier_fingerprint(secret: str) -> str:
    """The fingerprint of the Ed25519 key that signed the school's earlier packs."""
    return fingerprint(earlier_key(secret))


def earlier_packs(session: Session, secret: str) -> int:
    """How many packs the audit log says were signed with the earlier key."""
    old = earlier_fingerprint(secret)
    return sum(
        1
        for details in session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == PACK_MADE)
        )
        if details.get("key_fingerprint") == old
    )


# The lines an inspector pastes into PowerShell to check the key and the signature. Windows
# PowerShell 5.1 (.NET Framework) cannot read a PEM key nor a DER signature: the key's point is
# read from its DER bytes (a P-256 key's are always at these places), and the signature's two
# numbers are taken out of their DER sequence, 32 bytes each, as .NET wants them
POWERSHELL = tuple((TEMPLATES / "check_signature.ps1").read_text(encoding="utf-8").splitlines())


def _readme(facts: Facts, key: str, zip_name: str, files: dict[str, str]) -> bytes:
    powershell = "\n".join(f"     {line}" for line in POWERSHELL)
    listing = "\n".join(f"  {name:<40} {what}" for name, what in files.items())
    text = README_TEXT.read_text(encoding="utf-8").format(
        facts=facts,
        made=facts.made_at,
        listing=listing,
        spaced=format_fingerprint(key),
        zip_name=zip_name,
        powershell=powershell,
        MANIFEST=MANIFEST,
        SIGNATURE=SIGNATURE,
        standards=f"{facts.standards}\n" if facts.standards else "",
        PUBLIC_KEY=PUBLIC_KEY,
    )
    return text.replace("\n", "\r\n").encode("utf-8")


def _forms(
    session: Session,
    school_id: str,
    facts: Facts,
    inspected: str,
    request: PackRequest,
    described: dict[str, str],
) -> dict[str, bytes]:
    """The forms the inspectorate's list asks the school to complete, pre-filled: ETI's
    proformas, or the list's self-evaluation record (``record``), named in ``described``."""
    assert request.school is not None
    signatories, language = signatories_of(request.school), request.school.language
    leads = signatories.leads
    named = names_of(session, school_id, (lead.email for lead in leads))
    who = replace(
        signatories,
        leads=tuple(
            replace(lead, name=named.get(lead.email.lower(), lead.email)) for lead in leads
        ),
    )
    found = inspectorate(inspected)
    if inspected == "eti":
        forms = eti_proformas(facts, who, language)
        described |= dict.fromkeys(forms, "an ETI proforma, pre-filled, for signing (PDF)")
        return forms
    if found.record is None:
        return {}
    described[found.record] = "the dated safeguarding self-evaluation record, for signing (PDF)"
    return {found.record: self_evaluation_record(facts, found, who, language)}


def make_pack(
    session: Session,
    school_id: str,
    school_name: str,
    request: PackRequest,
    *,
    secret: str,
    now: datetime,
    tz: ZoneInfo,
    on_step: Callable[[str], None] | None = None,
) -> Pack:
    """Read the facts, build the signed pack and record that it was made (caller commits).

    Args:
        session: the caller's transaction (the audit record is written in it).
        school_id: the school.
        school_name: its name.
        request: who asks, and which reports they may count.
        secret: the school's secret key (``Settings.signing_key()``).
        now: the moment it is made (aware).
        tz: the school's time zone.
        on_step: told each step's name as it starts (the command line shows progress).
    """
    step = on_step or (lambda _text: None)
    step(STEPS[0])
    school = request.school
    words = school_words(school) if school is not None else None
    language = school.language if school is not None else "en"
    facts = gather(
        session,
        school_id,
        school_name,
        now=now,
        tz=tz,
        reports=request.reports,
        made_by=request.made_by,
        reports_scope=request.reports_scope,
        standards=standards_sentence(school) if school is not None else None,
        scr_headings=gap_headings(school) if school is not None else None,
        clock_headings=clock_labels(words) if words is not None else None,
    )
    if school is not None:
        today = facts.made_at.date()
        facts = replace(
            facts,
            rules=rules_table(school),
            retention=retention_table(school),
            scr_gaps=scr_gaps(session, school, today, named=request.scr_names),
            training_roles=training_by_role(session, school, today),
        )
    key = key_fingerprint(secret)
    step(STEPS[1])
    index = (
        index_table(request.inspectorate, facts, language)
        if request.inspectorate is not None
        else None
    )
    files: dict[str, bytes] = {
        SUMMARY: render_summary(facts, key, language, index, request.inspectorate)
    }
    step(STEPS[2])
    described = {SUMMARY: "the dated summary of everything below (PDF)"}
    if index is not None:
        files[INDEX] = csv_bytes(index)
        described[INDEX] = "each item the inspectorate lists, and where this pack answers it"
    inspected = request.inspectorate
    if index and inspected and school and school.independent and answers_paragraph_7(inspected):
        proprietor = Proprietor(school_words(school).governing_body, school.proprietor)
        files[ISS_SHEET] = iss_cover_sheet(facts, index, inspected, proprietor, language)
        described[ISS_SHEET] = "the Independent School Standards paragraph 7 cover sheet (PDF)"
    if index and inspected and school:
        files |= _forms(session, school_id, facts, inspected, request, described)
    for table in facts.tables:
        files[table.file_name] = csv_bytes(table)
        described[table.file_name] = table.title.split(":")[0]
    if school is not None:  # its record of processing (UK GDPR Art. 30), for the DPO to complete
        with speaking(pack_language(language)):
            files[RECORD_FILE] = record_csv(record_rows(school, request.platform))
        described[RECORD_FILE] = "the record of processing (UK GDPR Article 30), pre-filled"
    zip_name = f"evidence-{school_id}-{facts.made_at:%Y-%m-%d}.zip"
    described[README] = "this file"
    files[README] = _readme(facts, key, zip_name, dict(sorted(described.items())))
    step(STEPS[3])
    files = signed(files, secret)
    pack = Pack(zip_files(files, facts.made_at), zip_name, tuple(sorted(files)), key)
    audit.record(
        session,
        actor=request.actor,
        action=PACK_MADE,
        object_type="evidence_pack",
        school_id=school_id,
        details={
            "via": request.via,
            "files": len(pack.files),
            "reports_counted": facts.reports_total,
            "key_fingerprint": pack.fingerprint,
            "inspectorate": request.inspectorate,
        },
    )
    return pack
