"""The pack's evidence of what people did: who acknowledged or signed which version, and when,
and who is trained in what — each row saying who recorded it when someone recorded it on the
person's behalf (the office for a member of staff without email)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.language.i18n import N_
from bot.core.models import (
    Attestation,
    Duty,
    Person,
    Policy,
    PolicyVersion,
    Requirement,
    TrainingRecord,
)
from bot.engine.periods import add_months
from bot.features.dashboard.api import METHODS
from bot.features.evidence.rules import KINDS, SELF_RECORDED, Table, cells, training_state

__all__ = ["attestations", "training", "when"]


def when(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%d %b %Y %H:%M}" if moment else ""


def _recorders(session: Session, school_id: str) -> dict[int, str]:
    """Who may have recorded something on another's behalf, as the pack names them: the
    school's people by id, with their post ("Eimear Rafferty, Bursar")."""
    return {
        pid: f"{name}, {post}" if post else name
        for pid, name, post in session.execute(
            select(Person.id, Person.display_name, Person.job_title).where(
                Person.school_id == school_id
            )
        )
    }


def _recorded_by(recorders: dict[int, str], recorded_by: int | None, self_made: bool) -> str:
    """The pack's "Recorded by": who recorded it on the person's behalf, "Themselves" when the
    person did, blank for an import."""
    if recorded_by is not None:
        return recorders.get(recorded_by, "someone no longer on the school's records")
    return SELF_RECORDED if self_made else ""


def attestations(session: Session, school_id: str, tz: ZoneInfo) -> Table:
    recorders = _recorders(session, school_id)
    rows = [
        cells(
            (
                title,
                label,
                KINDS.get(kind, kind),
                name,
                email,
                when(at, tz),
                # one recorded for someone else says who recorded it, on whose behalf
                statement.partition(":")[0]
                if method == "on_behalf"
                else METHODS.get(method, method),
                _recorded_by(recorders, recorded_by, method in ("link", "sso")),
                digest,
            )
        )
        for title, label, kind, name, email, at, method, digest, statement, recorded_by in (
            session.execute(
                select(
                    Policy.title,
                    PolicyVersion.label,
                    Attestation.kind,
                    Person.display_name,
                    Person.email,
                    Attestation.at,
                    Attestation.method,
                    Attestation.document_sha256,
                    Attestation.statement,
                    Attestation.recorded_by_id,
                )
                .join(PolicyVersion, PolicyVersion.id == Attestation.policy_version_id)
                .join(Policy, Policy.id == PolicyVersion.policy_id)
                .join(Person, Person.id == Attestation.person_id)
                .where(Attestation.school_id == school_id)
                .order_by(Policy.title, PolicyVersion.id, Attestation.at, Attestation.id)
            )
        )
    ]
    return Table(
        "acknowledgements-and-signatures.csv",
        N_("Who acknowledged or signed which version, and when"),
        (
            N_("Policy"),
            N_("Version"),
            N_("What"),
            N_("Person"),
            N_("Email"),
            N_("When"),
            N_("How"),
            N_("Recorded by"),
            N_("Document SHA-256"),
        ),
        tuple(rows),
        pdf_columns=(0, 1, 2, 3, 5),
    )


def training(session: Session, school_id: str, today: date) -> Table:
    recorders = _recorders(session, school_id)
    trained: dict[tuple[int, str], date] = {}
    by: dict[tuple[int, str], str] = {}  # who recorded the latest completion
    for pid, course, completed, source, recorded_by in session.execute(
        select(
            TrainingRecord.person_id,
            TrainingRecord.course,
            TrainingRecord.completed_on,
            TrainingRecord.source,
            TrainingRecord.recorded_by_id,
        )
        .where(TrainingRecord.school_id == school_id)
        .order_by(TrainingRecord.completed_on, TrainingRecord.id)
    ):
        key = (pid, course.strip().lower())
        trained[key] = max(trained.get(key, completed), completed)
        if trained[key] == completed:
            by[key] = _recorded_by(recorders, recorded_by, source == "self")
    rows = []
    for req in session.scalars(
        select(Requirement)
        .where(
            Requirement.school_id == school_id,
            Requirement.kind == "complete_training",
            Requirement.active.is_(True),
        )
        .order_by(Requirement.title)
    ):
        course = str((req.spec or {}).get("course") or req.title)
        months = int((req.spec or {}).get("valid_months") or 12)
        for pid, name, email in session.execute(
            select(Person.id, Person.display_name, Person.email)
            .where(
                Person.id.in_(select(Duty.person_id).where(Duty.requirement_id == req.id)),
                Person.active.is_(True),
            )
            .order_by(Person.display_name, Person.email)
        ):
            key = (pid, course.strip().lower())
            last = trained.get(key)
            expires = add_months(last, months) if last else None
            rows.append(
                cells(
                    (
                        name,
                        email,
                        course,
                        last,
                        expires,
                        training_state(expires, today),
                        by.get(key, ""),
                    )
                )
            )
    return Table(
        "training-matrix.csv",
        N_("Training matrix"),
        (
            N_("Person"),
            N_("Email"),
            N_("Course"),
            N_("Completed on"),
            N_("Expires on"),
            N_("State"),
            N_("Recorded by"),
        ),
        tuple(rows),
        pdf_columns=(0, 2, 3, 4, 5),
    )
