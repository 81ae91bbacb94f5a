"""The bot's own running state: connector state, directory reads kept for the next process,
sweep runs, each school's place in the sweep queue, steps failing, rate-limit buckets and the
scheduler's last beat."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.models.base import Base, Numbered, SchoolRecord, utcnow

__all__ = [
    "ConnectorState",
    "KeptRead",
    "RateLimitBucket",
    "SchedulerBeat",
    "StepFailure",
    "SweepJob",
    "SweepRun",
]


class ConnectorState(SchoolRecord):
    """Small durable state for connectors (e.g. a Graph delta link)."""

    __tablename__ = "connector_state"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    key: Mapped[str] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @classmethod
    def of(cls, session: Session, school_id: str, key: str) -> ConnectorState | None:
        """The school's row under ``key``, if any."""
        return session.scalar(_STATE_OF, {"school_id": school_id, "key": key})

    @classmethod
    def put(
        cls,
        session: Session,
        school_id: str,
        key: str,
        value: str,
        row: ConnectorState | None = None,
    ) -> None:
        """Keep ``value`` under ``key`` for the school (written only when it changed); ``row``:
        that row as the caller read it in this transaction (not read again)."""
        row = row or cls.of(session, school_id, key)
        if row is None:
            session.add(cls(school_id=school_id, key=key, value=value))
        elif row.value != value:
            row.value = value


# built once: a sweep asks for a dozen of these a school, and building the statement (its
# coercions and cache key) cost more than running it
_STATE_OF = select(ConnectorState).where(
    ConnectorState.school_id == bindparam("school_id"), ConnectorState.key == bindparam("key")
)


class KeptRead(Numbered):
    """What a directory read left for the next process, by what was read (``key``: the
    install's or a connection's staff file, the extra people file):
    ``bot.core.database.kept_reads``."""

    __tablename__ = "kept_reads"
    key: Mapped[str] = mapped_column(String(120), unique=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SweepRun(SchoolRecord):
    """One run of the cycle: when, as of which date, and what it did."""

    __tablename__ = "sweep_runs"
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SweepJob(Base):
    """A school's sweep job and its last sweep: one row a school, used again every tick
    (``bot.engine.sweep_jobs``). Queued while ``due_at`` is set; held by a worker while its
    lease (``lease_until``, the database's clock) runs, under the ``fence`` its claim took;
    then the outcome of the last sweep (``failed``: its steps that failed)."""

    __tablename__ = "sweep_jobs"
    __table_args__ = (
        # the claim's look: only the queued rows are in it
        Index(
            "ix_sweep_jobs_queued",
            "due_at",
            postgresql_where=text("due_at IS NOT NULL"),
            sqlite_where=text("due_at IS NOT NULL"),
        ),
    )
    school_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), default="")  # its connection ("": install)
    tick: Mapped[datetime] = mapped_column()  # the tick the school was last due for
    due_at: Mapped[datetime | None] = mapped_column()  # queued since (None: not queued)
    fence: Mapped[int] = mapped_column(BigInteger, default=0)  # one more at every claim
    worker: Mapped[str | None] = mapped_column(String(160))
    lease_until: Mapped[datetime | None] = mapped_column()
    not_before: Mapped[datetime | None] = mapped_column()  # its tenant asked us to wait
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    swept_at: Mapped[datetime | None] = mapped_column()  # its last sweep that was saved
    outcome: Mapped[str | None] = mapped_column(String(20))  # swept, failed
    failed: Mapped[list[Any]] = mapped_column(JSON, default=list)


class StepFailure(SchoolRecord):
    """A step of the sweep failing for a school: one row an episode, from its first failure
    until the step next succeeds (then the row goes). Which step, since when, the error's class
    and how many runs failed — never the error's text, which may quote a report or a person."""

    __tablename__ = "sweep_step_failures"
    __table_args__ = (UniqueConstraint("school_id", "step"),)
    step: Mapped[str] = mapped_column(String(80))
    error: Mapped[str] = mapped_column(String(120))  # the exception's class, e.g. OverflowError
    since: Mapped[datetime] = mapped_column()  # the first failure of this episode
    last_at: Mapped[datetime] = mapped_column()
    failures: Mapped[int] = mapped_column(default=1)


class RateLimitBucket(Numbered):
    """One rate-limited key's recent hits (epoch seconds), so every worker counts the same.

    ``key`` is a keyed hash of the address or account, never the address itself. The row is
    locked while a hit is checked and recorded; rows idle for longer than their window go.
    """

    __tablename__ = "rate_limits"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    hits: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(index=True)


class SchedulerBeat(Numbered):
    """The scheduler's last beat, kept in the database on PostgreSQL (one row, ``id`` 1), so
    that a web process without a scheduler (``run --web-only``) can tell whether any scheduler
    runs (``bot.core.deployment.scheduler_health``). Written through the scheduler lock's own
    connection,
    and only while that lock is still held."""

    __tablename__ = "scheduler_beats"
    beat_at: Mapped[datetime] = mapped_column()
    every_seconds: Mapped[int] = mapped_column(Integer)
    # a keyed digest of the beat (``scheduler_health.beat_seal``): a beat written without the
    # audit key is no beat
    seal: Mapped[str | None] = mapped_column(String(80))
