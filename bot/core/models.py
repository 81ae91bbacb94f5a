"""The domain model (DESIGN.md §2–4) as SQLAlchemy 2 tables; every record belongs to a school."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AccountHolder",
    "Attestation",
    "AuditEvent",
    "AuditHead",
    "Base",
    "ConnectorState",
    "Decision",
    "DecisionAttachment",
    "DecisionReview",
    "Duty",
    "ExtraPerson",
    "MailSend",
    "OfficialAccount",
    "OutboxChannel",
    "OutboxMessage",
    "Person",
    "PersonGroup",
    "PersonRole",
    "Policy",
    "PolicyReview",
    "PolicyVersion",
    "RateLimitBucket",
    "Report",
    "ReportAttachment",
    "ReportClock",
    "ReportEntry",
    "Requirement",
    "School",
    "SweepRun",
    "TaskCompletion",
    "TrainingRecord",
    "VisitorAssurance",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock models use)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and gives them back aware (SQLite has no zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (for Alembic)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class School(Base):
    """One school; a multi-academy trust has several."""

    __tablename__ = "schools"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """Staff, governor, volunteer... with or without a directory account."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("school_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    start_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    # first day a directory sync no longer listed them (or listed them disabled/suspended): they
    # keep their duties until the school's grace period passes or an admin confirms they left
    missing_since: Mapped[date | None] = mapped_column(Date)
    has_account: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(20), default="directory")
    # raised by signing out: every sign-in cookie carrying an older number stops working
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    groups: Mapped[list[PersonGroup]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    manager: Mapped[Person | None] = relationship(remote_side=[id])

    @property
    def role_names(self) -> set[str]:
        """The person's roles as plain names."""
        return {r.role for r in self.roles}

    def replace_roles(self, source: str, wanted: set[str]) -> None:
        """Make the roles from ``source`` exactly ``wanted``, touching only the differences
        (replacing every row would clash on the unique key within one flush)."""
        current = {r.role: r for r in self.roles if r.source == source}
        for role, row in current.items():
            if role not in wanted:
                self.roles.remove(row)
        for role in sorted(wanted - set(current)):
            self.roles.append(PersonRole(school_id=self.school_id, role=role, source=source))

    def replace_groups(self, wanted: set[str]) -> None:
        """Make the directory groups exactly ``wanted``, touching only the differences."""
        current = {g.name: g for g in self.groups}
        for name, row in current.items():
            if name not in wanted:
                self.groups.remove(row)
        for name in sorted(wanted - set(current)):
            self.groups.append(PersonGroup(school_id=self.school_id, name=name))


class PersonRole(Base):
    """A role a person holds (staff, governor, dsl, headteacher...), and where it came from."""

    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20), default="directory")
    person: Mapped[Person] = relationship(back_populates="roles")


class PersonGroup(Base):
    """A directory group a person belongs to."""

    __tablename__ = "person_groups"
    __table_args__ = (UniqueConstraint("person_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    person: Mapped[Person] = relationship(back_populates="groups")


class Policy(Base):
    """A policy in the register (title, owner, approving body, review cycle and dates)."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approving_body: Mapped[str] = mapped_column(String(120), default="FGB")
    review_cycle_months: Mapped[int] = mapped_column(Integer, default=12)
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    ratified_on: Mapped[date | None] = mapped_column(Date)
    next_review_due: Mapped[date | None] = mapped_column(Date)
    # worked out (ratified + cycle) rather than stated, until someone confirms it
    next_review_derived: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    under_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # the review date the emailed calendar event last carried, and its SEQUENCE: a changed
    # date goes out as an update of the same event (same UID, higher SEQUENCE)
    review_event_due: Mapped[date | None] = mapped_column(Date)
    review_event_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_aup: Mapped[bool] = mapped_column(Boolean, default=False)
    # "policy": the school's own, reviewed by governors; "reading": a reading campaign's
    # document (e.g. KCSIE Part one), whose editions come from the publisher: read and
    # acknowledged like a policy, never reviewed by governors nor listed in the register
    kind: Mapped[str] = mapped_column(String(20), default="policy", server_default="policy")
    reviewers: Mapped[list[Any]] = mapped_column(default=list)  # emails of named governors
    linked_policies: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", order_by="PolicyVersion.id", lazy="selectin"
    )
    owner: Mapped[Person | None] = relationship()

    @property
    def current_version(self) -> PolicyVersion | None:
        """The newest published version."""
        return self.versions[-1] if self.versions else None


class PolicyVersion(Base):
    """One version of a policy document, identified by its sha256."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    label: Mapped[str] = mapped_column(String(40))
    document_name: Mapped[str] = mapped_column(String(300))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    published_on: Mapped[date] = mapped_column(Date)
    statement: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    policy: Mapped[Policy] = relationship(back_populates="versions")


class PolicyReview(Base):
    """A recorded review (and ratification) of a policy."""

    __tablename__ = "policy_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    reviewed_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(String(120))
    minute_ref: Mapped[str | None] = mapped_column(String(120))
    new_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Requirement(Base):
    """Who owes what and how often (mirrors the YAML; the YAML is the source)."""

    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[date] = mapped_column(Date)


class OfficialAccount(Base):
    """A school-run account (Facebook page, Tapestry, the school phone...)."""

    __tablename__ = "official_accounts"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    purpose: Mapped[str | None] = mapped_column(Text)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    aup_policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    handover_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_reason: Mapped[str | None] = mapped_column(Text)
    handover_since: Mapped[date | None] = mapped_column(Date)  # when the handover was flagged
    holders: Mapped[list[AccountHolder]] = relationship(
        back_populates="account", lazy="selectin", cascade="all, delete-orphan"
    )
    custodian: Mapped[Person | None] = relationship()


class AccountHolder(Base):
    """A person holding an official account from ``since`` (until ``until`` when removed)."""

    __tablename__ = "account_holders"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    account: Mapped[OfficialAccount] = relationship(back_populates="holders")
    person: Mapped[Person] = relationship()


class Duty(Base):
    """One person's instance of a requirement in one cycle."""

    __tablename__ = "duties"
    __table_args__ = (
        UniqueConstraint("requirement_id", "person_id", "cycle"),
        Index("ix_duties_open", "school_id", "status", "due_on"),
        Index("ix_duties_kind", "school_id", "kind", "status", "policy_version_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    cycle: Mapped[str] = mapped_column(String(120))
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("official_accounts.id"))
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    evidence_ref: Mapped[str | None] = mapped_column(String(80))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_stage: Mapped[int] = mapped_column(Integer, default=-1)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    # the day the line manager (or head) was told the reminder cap was reached ("please talk")
    chasing_stopped_on: Mapped[date | None] = mapped_column(Date)

    requirement: Mapped[Requirement] = relationship(lazy="joined")
    person: Mapped[Person] = relationship()
    policy_version: Mapped[PolicyVersion | None] = relationship()
    account: Mapped[OfficialAccount | None] = relationship()


class Attestation(Base):
    """Append-only evidence: an acknowledgement or an AUP signature."""

    __tablename__ = "attestations"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # acknowledgement | aup_signature
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    typed_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(20))  # link | sso | import
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("duties.id"))


class TrainingRecord(Base):
    """A training completion (course, date, provider, optional certificate)."""

    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("school_id", "import_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    provider: Mapped[str | None] = mapped_column(String(200))
    certificate_path: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    import_key: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditHead(Base):
    """The single row that serialises appends to the audit chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)
    # the key the last entry was made with, and an HMAC of count and hash with it: only a
    # holder of the key can move the head (None before the log was keyed)
    key_id: Mapped[str | None] = mapped_column(String(12))
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Append-only, hash-chained record of every read and change of sensitive data."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    school_id: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 with the key named by key_id
    key_id: Mapped[str | None] = mapped_column(String(12))  # None: made before keying


OPEN_REPORT = text("status != 'closed'")


class Report(Base):
    """A breach or concern report; the original text never changes."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        # the tracked list: its order (newest or oldest first) and, beside it, what its filters
        # and its reader's rule look at, so a page and its count are read from the index alone
        Index("ix_reports_list", "school_id", "created_at", "id", "status", "category", "urgency",
              "about_headteacher", "about_person"),
        # the open reports (a few, however many closed ones years leave): the DSL's usual
        # "open, deadline soonest" list and its count read them without reading the rest
        Index("ix_reports_open", "school_id", "created_at", "id",
              sqlite_where=OPEN_REPORT, postgresql_where=OPEN_REPORT),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    reference: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(40))
    urgency: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    involved: Mapped[list[Any]] = mapped_column(default=list)
    what_happened: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[str | None] = mapped_column(String(60))
    location: Mapped[str | None] = mapped_column(String(200))
    actions_taken: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(320))
    about_headteacher: Mapped[bool] = mapped_column(Boolean, default=False)
    # who else the report is about (a DSL, a deputy, a member of staff): never alerted, never
    # shown it; lower-case email
    about_person: Mapped[str | None] = mapped_column(String(320))
    suspected_illegal: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="web")
    source_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    lessons: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    entries: Mapped[list[ReportEntry]] = relationship(order_by="ReportEntry.id", lazy="selectin")
    clocks: Mapped[list[ReportClock]] = relationship(order_by="ReportClock.id", lazy="selectin")
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])


class ReportEntry(Base):
    """The chronology: actions, decisions with reasons, corrections — appended, attributed."""

    __tablename__ = "report_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # action | decision | correction | status | note
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class ReportClock(Base):
    """A deadline attached to a report: LADO, ICO 72 hours, DSL triage."""

    __tablename__ = "report_clocks"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()
    stopped_by: Mapped[str | None] = mapped_column(String(320))
    escalations_sent: Mapped[int] = mapped_column(Integer, default=0)


# the running clocks (a few, however many reports there are): the tracked list's "deadline
# soonest" reads them, with each one's deadline, without touching the stopped ones
RUNNING_CLOCKS = Index(
    "ix_report_clocks_running",
    ReportClock.report_id,
    ReportClock.id,
    ReportClock.due_at,
    sqlite_where=ReportClock.stopped_at.is_(None),
    postgresql_where=ReportClock.stopped_at.is_(None),
)


class ReportAttachment(Base):
    """A file attached to a report, stored outside the web root under a random name."""

    __tablename__ = "report_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(200))


class ConnectorState(Base):
    """Small durable state for connectors (e.g. a Graph delta link)."""

    __tablename__ = "connector_state"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SweepRun(Base):
    """One run of the cycle: when, as of which date, and what it did."""

    __tablename__ = "sweep_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Decision(Base):
    """A recorded decision or exception (a pre-existing relationship, a pupil's device...).

    ``subject_name`` is free text for someone outside the directory and stays minimal: a
    pupil's initials and year group, a visitor's name and organisation.
    """

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_review", "school_id", "status", "review_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))  # staff | pupil | visitor | other
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    subject_name: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    agreement_on_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decided_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date)
    review_set_on: Mapped[date] = mapped_column(Date)  # reminders already due then are not sent
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    closed_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject_person: Mapped[Person | None] = relationship(foreign_keys=[subject_person_id])
    decided_by: Mapped[Person] = relationship(foreign_keys=[decided_by_id])
    reviews: Mapped[list[DecisionReview]] = relationship(
        order_by="DecisionReview.id", lazy="selectin"
    )
    attachments: Mapped[list[DecisionAttachment]] = relationship(
        order_by="DecisionAttachment.id", lazy="selectin"
    )


class DecisionReview(Base):
    """A review of a decision: kept with a new review date, or closed."""

    __tablename__ = "decision_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # continue | closed
    notes: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[Person] = relationship()


class DecisionAttachment(Base):
    """A file kept with a decision (a signed agreement), stored outside the web root."""

    __tablename__ = "decision_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskCompletion(Base):
    """Evidence that a recurring task was done for one cycle (append-only)."""

    __tablename__ = "task_completions"
    __table_args__ = (UniqueConstraint("requirement_id", "cycle", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    cycle: Mapped[str] = mapped_column(String(120))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("duties.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(20))  # link | sso
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class VisitorAssurance(Base):
    """A visitor's, contractor's or volunteer's promise to follow the phone and photo rules.

    Kept for the school's ``visitor_retention_days``, then deleted by the sweep.
    """

    __tablename__ = "visitor_assurances"
    __table_args__ = (Index("ix_visitor_assurances_visit", "school_id", "visit_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str | None] = mapped_column(String(120))
    visit_date: Mapped[date] = mapped_column(Date)
    rules_sha256: Mapped[str] = mapped_column(String(64))
    copy_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RateLimitBucket(Base):
    """One rate-limited key's recent hits (epoch seconds), so every worker counts the same.

    ``key`` is a keyed hash of the address or account, never the address itself. The row is
    locked while a hit is checked and recorded; rows idle for longer than their window go.
    """

    __tablename__ = "rate_limits"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    hits: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(index=True)


# table groups kept in modules of their own (the outbox's in outbox_models); imported here so
# every user of the metadata (the store, Alembic, the tests) sees them
from bot.core.outbox_models import (  # noqa: E402, F401
    MailSend,
    OutboxBody,
    OutboxChannel,
    OutboxMessage,
)
from bot.core.people_models import ExtraPerson  # noqa: E402
from bot.core.seal_models import SealNote  # noqa: E402, F401
from bot.core.setup_models import ConfigVersion, SetupState  # noqa: E402
from bot.core.signin_models import SignInLink  # noqa: E402, F401
from bot.core.snapshot_models import DutySnapshot  # noqa: E402, F401
from bot.core.teams_models import TeamsChat  # noqa: E402, F401

__all__ += ["ConfigVersion", "SetupState"]
