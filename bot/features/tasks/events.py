"""Reviews that events trigger: a recorded event (a new AI tool, new guidance in force, a
serious incident, a change of provider) opens a dated review of each recurring task whose
``review_on`` names its kind, owed by the task's owners within ``review_within`` school days.

The review is a duty of the task in the cycle ``event:<id>``: the sweep never closes it as
missed (only its completion does), its owners are told once (one outbox message per owner and
event, by idempotency key) and are then reminded like any task. Its "Done" records the outcome
in the owner's words. The event's own words stay inside: emails name only its kind and date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import RequirementConfig, SchoolConfig
from bot.core.days.clock import local_today
from bot.core.guards.forms import SaidError, find_control_character
from bot.core.guards.links import make_token
from bot.core.language.i18n import N_, Day, Msg
from bot.core.language.words import school_words
from bot.core.models import Duty, Person, PersonRole, Requirement, ReviewEvent, TaskCompletion
from bot.core.nations import pack_for
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.engine.duty_facts import EVENT_CYCLE
from bot.features.tasks.rules import EVENT_KINDS, event_kinds, event_label, review_due, reviews_for
from bot.features.tasks.service import task_owner_ids

__all__ = [
    "EventError",
    "EventReview",
    "Opened",
    "event_of",
    "event_reviews",
    "record_event",
    "why_no_review",
]


class EventError(SaidError, ValueError):
    """What was typed cannot be recorded; ``str()`` says why in plain words (``msg``: said
    where shown)."""


@dataclass(frozen=True)
class Opened:
    """What recording an event did: the event, the reviews opened, the owners told."""

    event: ReviewEvent
    reviews: tuple[str, ...]
    duties: int
    told: int


@dataclass(frozen=True)
class EventReview:
    """One review an event opened, as the dashboard and the evidence pack show it."""

    event_id: int
    trigger: str
    what: str
    happened_on: date
    recorded_on: date
    review: str
    owners: tuple[str, ...]
    due_on: date
    done_on: date | None
    done_by: str | None
    outcome: str | None

    def state(self, today: date) -> str:
        """Done, overdue or open, in words."""
        if self.done_on is not None:
            return "done"
        return "overdue" if self.due_on < today else "open"


def event_of(session: Session, cycle: str) -> ReviewEvent | None:
    """The event a review's cycle (``event:<id>``) was opened by."""
    if not cycle.startswith(EVENT_CYCLE) or not cycle[len(EVENT_CYCLE) :].isdigit():
        return None
    return session.get(ReviewEvent, int(cycle[len(EVENT_CYCLE) :]))


def _owners(session: Session, school_id: str, cfg: RequirementConfig) -> list[Person]:
    """The task's named owners, else the people holding its audience's roles."""
    ids = task_owner_ids(session, school_id, cfg)
    if not ids and cfg.audience.roles:
        ids = set(
            session.scalars(
                select(PersonRole.person_id).where(
                    PersonRole.school_id == school_id, PersonRole.role.in_(cfg.audience.roles)
                )
            )
        )
    return list(
        session.scalars(
            select(Person).where(Person.id.in_(ids), Person.active.is_(True)).order_by(Person.id)
        )
    )


def why_no_review(school: SchoolConfig, kind: str) -> tuple[str, dict[str, str]]:
    """Why nothing is reviewed when a change of this kind is recorded, in words a head reads
    (a catalogue sentence and its values): the nation's guidance asks for no review then (the
    search made), or it does and the school has not taken that review on."""
    words = school_words(school)
    pack = pack_for(school.country)
    answer = pack.reviews[kind]  # type: ignore[index]
    values = {"what": EVENT_KINDS[kind], "school": school.name, "guidance": words.guidance}
    if answer.opens is None:
        return N_(
            "Nothing at %(school)s is reviewed when this is recorded (%(what)s): %(guidance)s "
            "asks for no review then (not stated; searched: %(searched)s), and none of the "
            "school's own tasks is reviewed then."
        ), {**values, "searched": answer.searched or ""}
    item = next(i for i in pack.statutory if i.id == answer.opens)
    return N_(
        "Nothing at %(school)s is reviewed when this is recorded (%(what)s): %(guidance)s asks "
        "for a review then (%(review)s), which the school has not taken on; an administrator "
        "adds it with the statutory requirements on the setup page."
    ), {**values, "review": str(item.requirement.get("title") or item.id)}


def _checked(school: SchoolConfig, kind: str, what: str, happened_on: date, today: date) -> str:
    if kind not in EVENT_KINDS:
        raise EventError(
            N_("'%(kind)s' is not a kind of change the bot knows (one of: %(known)s)."),
            kind=kind,
            known=", ".join(EVENT_KINDS),
        )
    if kind not in event_kinds(school):
        sentence, values = why_no_review(school, kind)
        raise EventError(sentence, **values)
    what = " ".join(what.split())
    if not what or len(what) > 300 or find_control_character(what) is not None:
        raise EventError(N_("Say in a few words what happened (up to 300 characters)."))
    if happened_on > today:
        raise EventError(N_("The date it happened cannot be in the future."))
    return what


def record_event(
    session: Session,
    school: SchoolConfig,
    *,
    kind: str,
    what: str,
    happened_on: date,
    actor: str,
    now: datetime,
    base_url: str,
    signing_key: str,
) -> Opened:
    """Record the event, open its reviews (due within each task's school days, so never in a
    holiday) and queue one email to each owner (audited).

    Raises:
        EventError: a kind no review is opened by, no words, or a date in the future.
    """
    today = local_today(now)
    what = _checked(school, kind, what, happened_on, today)
    event = ReviewEvent(
        school_id=school.id,
        kind=kind,
        what=what,
        happened_on=happened_on,
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(event)
    session.flush()
    owed: dict[int, tuple[Person, list[tuple[str, Duty]]]] = {}
    titles: list[str] = []
    for cfg in reviews_for(school, kind):
        req = session.scalar(
            select(Requirement).where(Requirement.school_id == school.id, Requirement.key == cfg.id)
        )
        if req is None:
            continue  # configured since the last sweep: it has no stored requirement yet
        titles.append(req.title)
        due = review_due(school, today, cfg.review_within)
        for person in _owners(session, school.id, cfg):
            duty = Duty(
                school_id=school.id,
                requirement_id=req.id,
                person_id=person.id,
                kind="recurring_task",
                cycle=f"{EVENT_CYCLE}{event.id}",
                opened_on=today,
                due_on=due,
                status="open",
            )
            session.add(duty)
            owed.setdefault(person.id, (person, []))[1].append((req.title, duty))
    session.flush()
    told = sum(
        _tell(session, school, event, person, items, base_url, signing_key)
        for person, items in owed.values()
    )
    duties = sum(len(items) for _, items in owed.values())
    audit.record(
        session,
        actor=actor,
        action="review.event_recorded",
        object_type="review_event",
        object_id=event.id,
        school_id=school.id,
        details={"kind": kind, "reviews": len(titles), "duties": duties},
    )
    return Opened(event, tuple(titles), duties, told)


def _tell(
    session: Session,
    school: SchoolConfig,
    event: ReviewEvent,
    person: Person,
    items: list[tuple[str, Duty]],
    base_url: str,
    signing_key: str,
) -> bool:
    """One email to an owner about the reviews an event opened (once, by its key)."""
    first = items[0][1]
    link = make_token(signing_key, "task", person.id, first.id, None)
    due = Day(first.due_on)
    draft = notice(
        school=school,
        to=[person.email],
        subject=Msg("Review needed by %(day)s: %(title)s", day=due, title=items[0][0]),
        greeting=Msg("Dear %(name)s,", name=person.given_name or person.display_name),
        paragraphs=[
            Msg(
                "%(what)s was recorded for %(day)s. The school reviews the following when that "
                "happens; please review and record the outcome by the date below.",
                what=event_label(event.kind),
                day=Day(event.happened_on),
            )
        ],
        facts=[*((Msg("Review"), title) for title, _duty in items), (Msg("Due"), due)],
        button_url=f"{base_url.rstrip('/')}/task/{link}",
        button_text=Msg("Record the outcome"),
    )
    return enqueue_email(
        session,
        school_id=school.id,  # one email per owner and event
        key=f"review-event:{school.id}:{event.id}:{person.id}",
        purpose="review_event",
        urgency=Urgency.ROUTINE,
        draft=draft,
    )


def event_reviews(session: Session, school_id: str) -> list[EventReview]:
    """Every review an event opened, newest event first, with its outcome when recorded."""
    events = {
        e.id: e
        for e in session.scalars(select(ReviewEvent).where(ReviewEvent.school_id == school_id))
    }
    if not events:
        return []
    cycles = [f"{EVENT_CYCLE}{i}" for i in events]
    rows = session.execute(
        select(Duty, Requirement.title, Person.display_name)
        .join(Requirement, Requirement.id == Duty.requirement_id)
        .join(Person, Person.id == Duty.person_id)
        .where(Duty.school_id == school_id, Duty.cycle.in_(cycles))
        .order_by(Duty.id)
    ).all()
    done = {
        (c.requirement_id, c.cycle): (c, name)
        for c, name in session.execute(
            select(TaskCompletion, Person.display_name)
            .join(Person, Person.id == TaskCompletion.person_id)
            .where(TaskCompletion.school_id == school_id, TaskCompletion.cycle.in_(cycles))
            .order_by(TaskCompletion.id.desc())
        )
    }
    grouped: dict[tuple[int, int], tuple[str, date, list[str]]] = {}
    for duty, title, name in rows:
        key = (int(duty.cycle[len(EVENT_CYCLE) :]), duty.requirement_id)
        grouped.setdefault(key, (title, duty.due_on, []))[2].append(name)
    out = []
    for (event_id, req_id), (title, due, names) in grouped.items():
        event = events[event_id]
        completion, by = done.get((req_id, f"{EVENT_CYCLE}{event_id}"), (None, None))
        out.append(
            EventReview(
                event_id=event_id,
                trigger=EVENT_KINDS.get(event.kind, event.kind),
                what=event.what,
                happened_on=event.happened_on,
                recorded_on=local_today(event.recorded_at),
                review=title,
                owners=tuple(names),
                due_on=due,
                done_on=local_today(completion.at) if completion else None,
                done_by=by,
                outcome=completion.outcome if completion else None,
            )
        )
    out.sort(key=lambda r: (-r.event_id, r.review))
    return out
