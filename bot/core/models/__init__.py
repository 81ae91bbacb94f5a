"""The domain model (DESIGN.md §2–4) as SQLAlchemy 2 tables, one module per table group;
every record belongs to a school.

Importing the package defines every table, so every user of the metadata (the store, Alembic,
the tests) sees them all: ``from bot.core.models import Person`` as before. The groups:

- ``base``: the declarative base, the clock models use (``utcnow``), the school;
- ``people``: the directory's people, their roles and groups, people added by hand;
- ``policies``: policies, versions, reviews, requirements;
- ``accounts``: official accounts and their holders;
- ``duties``: duties, attestations, training records;
- ``complaints``: data-protection complaints to the school;
- ``audit``: the audit chain's head and events, the notes of bulk-sealed rows;
- ``reports``: reports, their entries, clocks and attachments;
- ``registers``: decisions, task completions, visitors' confirmations;
- ``running``: connector state, sweep runs, steps failing, rate-limit buckets;
- ``outbox``: outgoing messages, channels' pauses, mail pacing, shared bodies;
- ``setup``: setup state and saved configuration versions;
- ``signin``: one-time sign-in links;
- ``snapshot``: the dashboard's kept counts;
- ``teams``: people's chats with the school's Teams bot.
"""

from __future__ import annotations

from bot.core.models.accounts import AccountHolder, OfficialAccount
from bot.core.models.audit import AuditEvent, AuditHead, SealNote
from bot.core.models.base import (
    Base,
    School,
    UTCDateTime,
    utcnow,
)
from bot.core.models.complaints import Complaint
from bot.core.models.duties import Attestation, Duty, PageSeen, ReadingCheck, TrainingRecord
from bot.core.models.outbox import (
    DispatchWorker,
    MailSend,
    OutboxBody,
    OutboxChannel,
    OutboxMessage,
    Urgency,
)
from bot.core.models.people import (
    ExtraPerson,
    Person,
    PersonGroup,
    PersonRole,
)
from bot.core.models.policies import (
    Policy,
    PolicyReview,
    PolicyVersion,
    Requirement,
)
from bot.core.models.registers import (
    Decision,
    DecisionAttachment,
    DecisionReview,
    ReviewEvent,
    TaskCompletion,
    VisitorAssurance,
)
from bot.core.models.reports import (
    REPORTS_VERSION,
    Report,
    ReportAttachment,
    ReportClock,
    ReportEntry,
)
from bot.core.models.running import ConnectorState, RateLimitBucket, StepFailure, SweepRun
from bot.core.models.setup import ConfigVersion, SetupState
from bot.core.models.signin import SignInLink
from bot.core.models.snapshot import (
    AudienceSize,
    DutySnapshot,
    DutyTally,
    PersonTally,
)
from bot.core.models.teams import TeamsChat

__all__ = [
    "REPORTS_VERSION",
    "AccountHolder",
    "Attestation",
    "AudienceSize",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Complaint",
    "ConfigVersion",
    "ConnectorState",
    "Decision",
    "DecisionAttachment",
    "DecisionReview",
    "DispatchWorker",
    "Duty",
    "DutySnapshot",
    "DutyTally",
    "ExtraPerson",
    "MailSend",
    "OfficialAccount",
    "OutboxBody",
    "OutboxChannel",
    "OutboxMessage",
    "PageSeen",
    "Person",
    "PersonGroup",
    "PersonRole",
    "PersonTally",
    "Policy",
    "PolicyReview",
    "PolicyVersion",
    "RateLimitBucket",
    "ReadingCheck",
    "Report",
    "ReportAttachment",
    "ReportClock",
    "ReportEntry",
    "Requirement",
    "ReviewEvent",
    "School",
    "SealNote",
    "SetupState",
    "SignInLink",
    "StepFailure",
    "SweepRun",
    "TaskCompletion",
    "TeamsChat",
    "TrainingRecord",
    "UTCDateTime",
    "Urgency",
    "VisitorAssurance",
    "utcnow",
]
