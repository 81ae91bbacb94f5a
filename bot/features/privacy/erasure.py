"""Erasure on request (UK GDPR Art. 17) and legal holds: what the schedule may not dispose of.

A person's records are erased at once, the school's reason recorded, unless the law still
requires them: then nothing is erased, and each refusal says which record, under what rule and
until when (Art. 17(3)(b) a legal obligation, 17(3)(e) legal claims). A legal hold, set by the
DSL or the head with a reason, keeps a person's records or a report from the schedule and from
erasure until it is lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Msg, said_in
from bot.core.language.words import school_words
from bot.core.models import LegalHold, Person, Report, utcnow
from bot.features.privacy.access import open_request
from bot.features.privacy.disposal import Disposed, allegations, dispose_people, held
from bot.features.privacy.retention import ALLEGATION, PERSONNEL, schedule_rows

__all__ = [
    "ERASED_NOW",
    "KEPT",
    "NOTHING_ERASED",
    "HoldError",
    "Refusal",
    "answer_lines",
    "erase",
    "refusals",
    "set_hold",
]

_ACTOR = "system:retention"
# an erasure request's answer, as its tracked request keeps it
ERASED = N_("Erased: %(reason)s")
REFUSED = N_("Nothing erased, as the law still requires: %(records)s")
KEPT = N_("%(record)s: %(rule)s; kept until %(until)s.")
ERASED_NOW = N_("%(person)s's data was erased; the reason is recorded.")
NOTHING_ERASED = N_("Nothing was erased: the law still requires these records.")


class HoldError(SaidError):
    """A hold that cannot be set or lifted, or an erasure that cannot be asked: said in the
    reader's language (``msg``)."""


@dataclass(frozen=True)
class Refusal:
    """Why a record stays: which record, the rule that keeps it, and until when."""

    record: Msg
    rule: Msg
    until: Msg


def set_hold(
    session: Session, school: SchoolConfig, subject: str, *, by: str, reason: str, lift: bool
) -> LegalHold:
    """Set (or lift) a hold on a person (their address) or a report (its reference), by the
    school's DSL, a deputy or the head; audited without the reason's text."""
    if by.lower() not in {e.lower() for e in (school.headteacher, *school.dsl, *school.deputy_dsl)}:
        words = school_words(school)
        only = N_("only the %(dsl)s, a %(deputy)s or the %(head)s may set or lift a hold")
        raise HoldError(Msg(only, dsl=words.dsl, deputy=words.deputy_dsl, head=words.headteacher))
    if not reason.strip():
        raise HoldError(Msg(N_("say why: a hold names its reason")))
    kind, found = (
        "report",
        session.scalar(
            select(Report.id).where(Report.school_id == school.id, Report.reference == subject)
        ),
    )
    if found is None:
        kind, found = "person", _person_id(session, school.id, subject)
    if found is None:
        raise HoldError(Msg(N_("no person or report %(subject)s at this school"), subject=subject))
    hold = held(session, school.id, kind).get(found)
    if lift:
        if hold is None:
            raise HoldError(Msg(N_("%(subject)s has no hold to lift"), subject=subject))
        hold.lifted_at, hold.lifted_by = utcnow(), by
    else:
        hold = hold or LegalHold(school_id=school.id, subject_type=kind, subject_id=found)
        hold.set_by, hold.reason = by, reason.strip()
        session.add(hold)
    session.flush()
    action = "retention.hold_lifted" if lift else "retention.hold_set"
    audit.record(
        session, actor=by, action=action, object_type=kind, object_id=found, school_id=school.id
    )
    return hold


def _person_id(session: Session, school_id: str, email: str) -> int | None:
    return session.scalar(
        select(Person.id).where(
            Person.school_id == school_id, func.lower(Person.email) == email.strip().lower()
        )
    )


def refusals(session: Session, school: SchoolConfig, person: Person) -> list[Refusal]:
    """What of ``person``'s records the law still requires (nothing: they may be erased)."""
    found = []
    leavers = next(row for row in schedule_rows(school) if row.kind == "leavers")
    if person.left_on is None:
        until = Msg(N_("%(period)s after they leave"), period=leavers.period)
        found.append(Refusal(Msg(N_("their staff records")), Msg(PERSONNEL), until))
    for reference in allegations(session, school.id).get(person.email.lower(), []):
        record = Msg(N_("allegation %(reference)s"), reference=reference)
        until = Msg(N_("the %(dsl)s decides"), dsl=school_words(school).dsl)
        found.append(Refusal(record, Msg(ALLEGATION), until))
    hold = held(session, school.id, "person").get(person.id)
    if hold is not None:
        rule = Msg(N_("a legal hold set by %(by)s: %(reason)s"), by=hold.set_by, reason=hold.reason)
        found.append(Refusal(Msg(N_("their records")), rule, Msg(N_("the hold is lifted"))))
    return found


def erase(
    session: Session,
    school: SchoolConfig,
    email: str,
    *,
    reason: str,
    by: str,
    outbox_dir: Path | None,
    today: date,
) -> list[Refusal]:
    """Erase the person with ``email`` now where the law allows (nothing, and the refusals,
    where it does not); the school's reason and who asked are audited, never the name."""
    person_id = _person_id(session, school.id, email)
    if person_id is None:
        raise HoldError(Msg(N_("no person %(subject)s at this school"), subject=email))
    if not reason.strip():
        raise HoldError(Msg(N_("say why: an erasure records the school's reason")))
    person = session.get_one(Person, person_id)
    refused = refusals(session, school, person)
    details: dict[str, object] = {"reason": reason.strip(), "on": today.isoformat()}
    # a tracked request like any other (its one-month clock), answered now: erased, or refused
    # naming each record and rule; the disposal below takes their name out of it too
    request = open_request(session, school, person, "erasure", now=utcnow(), actor=by)
    answer = Msg(ERASED, reason=reason.strip())
    if refused:
        kept = (said_in(school.language, line) for line in answer_lines(refused, email)[1:])
        answer = Msg(REFUSED, records="; ".join(kept))
        details["refused"] = len(refused)
    request.outcome = said_in(school.language, answer)[:5000]
    request.outcome_at = utcnow()
    if not refused:
        done = Disposed()
        dispose_people(session, [person], outbox_dir, done)
        details |= done.counts()
    audit.record(
        session,
        actor=by,
        action="privacy.erasure_refused" if refused else "privacy.erased",
        object_type="person",
        object_id=person_id,
        school_id=school.id,
        details=details,
    )
    return refused


def answer_lines(refused: list[Refusal], person: str) -> list[Msg]:
    """What the reader is told of an erasure: done, or nothing erased and each record kept."""
    if not refused:
        return [Msg(ERASED_NOW, person=person)]
    kept = (Msg(KEPT, record=r.record, rule=r.rule, until=r.until) for r in refused)
    return [Msg(NOTHING_ERASED), *kept]
