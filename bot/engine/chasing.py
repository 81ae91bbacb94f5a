"""Chasing with an end: when a duty's reminders reach their cap, its owner's digest stops
listing it and the line manager (else the headteacher) is told once to talk to them.

The decisions are pure (``bot.engine.reminders.is_capped`` and ``chasing_stopped_to``); this
module reads the capped duties, queues at most one message per manager per day through the
outbox (idempotency key per manager and day) listing every person and item newly capped, and
records the day on each duty. The dashboard lists the same duties as "needs a
conversation" (``needs_conversation``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Executable, String, and_, bindparam, false, or_, select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.database.store import bulk_set
from bot.core.days.clock import send_after
from bot.core.deployment.context import StepContext
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Day, Joined, Msg, Said, nmsg
from bot.core.language.words import version_name
from bot.core.models import Duty, OfficialAccount, Person, Policy, PolicyVersion
from bot.core.outbox import EmailDraft, Urgency, enqueue_emails
from bot.core.rendering.messages import notice
from bot.engine.idle_steps import busy_when
from bot.engine.reminder_reads import active_people, requirement_configs
from bot.engine.reminders import address_day_key, chasing_stopped_to

__all__ = [
    "Conversation",
    "chasing_stopped_key",
    "chasing_stopped_step",
    "needs_conversation",
    "queue_chasing_stopped",
]


@dataclass(frozen=True)
class Conversation:
    """An open duty whose chasing has ended: who owes it, what, since when, who was told."""

    duty_id: int
    person_name: str
    person_email: str
    item: Text  # what is owed, said where shown
    due_on: date
    reminders_sent: int
    last_reminded_on: date | None
    told_on: date | None
    kind: str


def chasing_stopped_key(school_id: str, manager: str, day: date) -> str:
    """The outbox idempotency key of a manager's one "chasing has stopped" message of a day."""
    return address_day_key("chasing-stopped", school_id, manager, day)


def needs_conversation(session: Session, school: SchoolConfig, today: date) -> list[Conversation]:
    """Open duties past their reminder cap, oldest due first (active people who have started)."""
    configs = requirement_configs(session, school)
    by_cap: dict[int, list[int]] = defaultdict(list)
    for rid, config in configs.items():
        by_cap[school.cadence(config.cadence).max_reminders].append(rid)
    caps = tuple((cap, tuple(ids)) for cap, ids in sorted(by_cap.items()))
    found: list[Conversation] = []
    for row in session.execute(_capped(caps), {"school_id": school.id}):
        cfg = configs[row.requirement_id]  # the query kept only configured, capped duties
        if row.start_date is not None and row.start_date > today:
            continue
        item: Text = row.title or cfg.display_title
        if row.label is not None:
            item = Joined((item, " (", version_name(row.label), ")"))
        if row.name:
            item = Msg(N_("%(item)s, for the %(account)s"), item=item, account=row.name)
        found.append(
            Conversation(
                duty_id=row.id,
                person_name=row.display_name,
                person_email=row.email,
                item=item,
                due_on=row.due_on,
                reminders_sent=row.reminders_sent,
                last_reminded_on=row.last_reminded_on,
                told_on=row.chasing_stopped_on,
                kind=cfg.kind,
            )
        )
    return found


@lru_cache(maxsize=64)
def _capped(caps: tuple[tuple[int, tuple[int, ...]], ...]) -> Executable:
    """A school's open duties past their cap (``caps``: each cap, its requirement ids), built
    once per caps: every dashboard view asks, and building it cost more than running it."""
    capped = or_(
        false(),
        *(  # only capped duties leave the database: a handful, not them all
            and_(Duty.requirement_id.in_(ids), Duty.reminders_sent >= cap) for cap, ids in caps
        ),
    )
    return (  # columns only: no people's roles or policy documents loaded
        select(
            Duty.id,
            Duty.requirement_id,
            Duty.due_on,
            Duty.reminders_sent,
            Duty.last_reminded_on,
            Duty.chasing_stopped_on,
            Person.display_name,
            Person.email,
            Person.start_date,
            PolicyVersion.label,
            Policy.title,
            OfficialAccount.name,
        )
        .join(Person, Person.id == Duty.person_id)
        .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
        .outerjoin(Policy, Policy.id == PolicyVersion.policy_id)
        .outerjoin(OfficialAccount, OfficialAccount.id == Duty.account_id)
        .where(
            # the few capped duties, found first by the reminders index: asked in one query
            # with the order, SQLite walks every open duty in due order (5.5 ms a view at
            # 10,000 staff, to find none)
            Duty.id.in_(
                select(Duty.id).where(
                    Duty.school_id == bindparam("school_id", type_=String()),
                    Duty.status == "open",
                    Duty.reminders_sent >= min((cap for cap, _ in caps), default=0),
                    capped,
                )
            ),
            Person.active.is_(True),
        )
        .order_by(Duty.due_on, Duty.id)
    )


_WHAT_TO_DO = {  # translated where used (``N_``: the catalogue)
    "acknowledge_policy": N_(
        "They need to read the policy and confirm they have, from the link "
        "in their reminder emails or from their own page."
    ),
    "reading_campaign": N_(
        "They need to read this year's edition of the guidance and confirm "
        "they have, from the link in their reminder emails or from their own "
        "page."
    ),
    "sign_aup": N_(
        "They run one of the school's official accounts, so they need to sign the social media "
        "Acceptable Use Policy. If they no longer run the account, remove them as a holder."
    ),
    "complete_training": N_(
        "They need to complete the training and send the certificate to the office (or upload it "
        "from their own page); the office then records it."
    ),
    "recurring_task": N_(
        "This is one of the school's regular tasks: they need to do it and mark "
        "it done, or hand it to someone who can."
    ),
}


def _what_to_do(kinds: Iterable[str]) -> Joined:
    """What each kind of item needs, once each."""
    return Joined((Msg(_WHAT_TO_DO[k]) for k in dict.fromkeys(kinds) if k in _WHAT_TO_DO), " ")


def _was_due(talk: Conversation) -> Msg:
    """One item's line: whose, what, when it was due, how many reminders and the last."""
    values: dict[str, object] = {"name": talk.person_name, "item": talk.item, "due": talk.due_on}
    if talk.last_reminded_on:
        return nmsg(
            "%(name)s: %(item)s (was due %(due)s; %(num)d reminder, on %(last)s).",
            "%(name)s: %(item)s (was due %(due)s; %(num)d reminders, the last on %(last)s).",
            talk.reminders_sent,
            last=talk.last_reminded_on,
            **values,
        )
    return nmsg(
        "%(name)s: %(item)s (was due %(due)s; %(num)d reminder).",
        "%(name)s: %(item)s (was due %(due)s; %(num)d reminders).",
        talk.reminders_sent,
        **values,
    )


def _draft(school: SchoolConfig, to: str, talks: list[Conversation]) -> EmailDraft:
    """The day's one message to a manager: who, what, how many reminders, a request to talk
    (in the school's language; each sentence whole, for the catalogue)."""
    if len(talks) == 1:
        return _draft_one(school, to, talks[0])
    names = list(dict.fromkeys(t.person_name for t in talks))
    paragraphs: list[Text] = [
        Msg(
            N_(
                "These %(num)d items are still not done after every reminder, so the bot will not "
                "remind anyone about them again:"
            ),
            num=len(talks),
        ),
        *(_was_due(talk) for talk in talks),
    ]
    what = _what_to_do(t.kind for t in talks)
    if len(names) > 1:
        subject = Msg(
            N_("Chasing has stopped for %(names)s and %(last)s: please talk to them"),
            names=", ".join(names[:-1]),
            last=names[-1],
        )
        ask = Msg(N_("Please talk to them about it. %(what)s"), what=what)
    else:
        subject = nmsg(
            "Chasing has stopped for %(name)s: please talk to them about %(num)d item",
            "Chasing has stopped for %(name)s: please talk to them about %(num)d items",
            len(talks),
            name=names[0],
        )
        ask = Msg(N_("Please talk to %(name)s about it. %(what)s"), name=names[0], what=what)
    return notice(
        school=school,
        to=(to,),
        subject=subject,
        paragraphs=[*paragraphs, _stripped(ask)],
        small=Msg(
            N_(
                "You are told this once for each item, at most one email a day; each also stays "
                'on the compliance dashboard under "Needs a conversation" until it is done.'
            )
        ),
    )


def _stripped(said: Msg) -> Said:
    """A sentence that may end in an empty value, without the space before it."""
    return Said(lambda: str(said).strip())


def _draft_one(school: SchoolConfig, to: str, talk: Conversation) -> EmailDraft:
    """The message about one item: who, what, how many reminders, and a request to talk."""
    values: dict[str, object] = {"name": talk.person_name, "item": talk.item}
    if talk.last_reminded_on:
        said = nmsg(
            "%(name)s has had %(num)d reminder about %(item)s, on %(last)s, and it is still not "
            "done. The bot will not remind them about it again.",
            "%(name)s has had %(num)d reminders about %(item)s, the last on %(last)s, and it is "
            "still not done. The bot will not remind them about it again.",
            talk.reminders_sent,
            last=talk.last_reminded_on,
            **values,
        )
    else:
        said = nmsg(
            "%(name)s has had %(num)d reminder about %(item)s, and it is still not done. The bot "
            "will not remind them about it again.",
            "%(name)s has had %(num)d reminders about %(item)s, and it is still not done. The "
            "bot will not remind them about it again.",
            talk.reminders_sent,
            **values,
        )
    what = _what_to_do((talk.kind,))
    return notice(
        school=school,
        to=(to,),
        subject=Msg(
            N_("Chasing has stopped for %(name)s: please talk to them"), name=talk.person_name
        ),
        paragraphs=[said, _stripped(Msg(N_("Please talk to them about it. %(what)s"), what=what))],
        facts=[
            (Msg(N_("Who")), talk.person_name),
            (Msg(N_("What")), talk.item),
            (Msg(N_("Was due")), Day(talk.due_on)),
            (Msg(N_("Reminders sent")), str(talk.reminders_sent)),
        ],
        small=Msg(
            N_(
                "You are told this once for each item; it also stays on the compliance "
                'dashboard under "Needs a conversation" until it is done.'
            )
        ),
    )


def queue_chasing_stopped(
    session: Session, school: SchoolConfig, today: date, now: datetime, *, write: bool
) -> int:
    """Queue today's "chasing has stopped" messages: one per manager, listing every newly
    capped item of the people they are told about; returns how many messages.

    A duty counts from the reminder day after its last reminder, so the owner has that day to
    act; the message goes to their active line manager, else the headteacher (never to the
    owner; the chair of governors when the owner is the head). The same item twice (two duties
    of one person with the same words) is listed once.
    """
    talks = [
        talk
        for talk in needs_conversation(session, school, today)
        if (talk.last_reminded_on or today) < today
    ]
    if not talks:  # most sweeps: nobody's people need reading (#60)
        return 0
    people = active_people(session, school.id)
    told = set(
        session.scalars(
            select(Duty.id).where(Duty.school_id == school.id, Duty.chasing_stopped_on.is_not(None))
        )
    )
    by_email = {p.email: p for p in people.values()}
    talks_to: dict[str, dict[tuple[str, Text], Conversation]] = defaultdict(dict)
    duties_to: dict[str, list[int]] = defaultdict(list)
    for talk in talks:
        if talk.duty_id in told:
            continue
        person = by_email.get(talk.person_email)
        if person is None:
            continue
        to = chasing_stopped_to(person, people, school.headteacher, school.chair_of_governors)
        if to is None:
            continue
        talks_to[to].setdefault((talk.person_email, talk.item), talk)
        duties_to[to].append(talk.duty_id)
    keys = {to: chasing_stopped_key(school.id, to, today) for to in talks_to}
    drafts = [
        (
            keys[to],
            _draft(school, to, sorted(talks.values(), key=lambda t: (t.person_name, str(t.item)))),
        )
        for to, talks in sorted(talks_to.items())
    ]
    if not write or not drafts:
        return len(drafts)
    added = enqueue_emails(
        session,
        school_id=school.id,
        purpose="chasing_stopped",
        urgency=Urgency.ROUTINE,
        items=drafts,
        not_before=send_after(school, today, now),
    )
    # a manager already told today (an earlier sweep, whose items were marked with it) hears
    # of items capped since then tomorrow: at most one such email a day
    bulk_set(
        session,
        Duty.chasing_stopped_on,
        {
            duty_id: today
            for to, found in duties_to.items()
            if keys[to] in added
            for duty_id in found
        },
    )
    return len(added)


_AT_CAP = (
    select(Duty.id)
    .where(
        Duty.school_id == bindparam("school_id"),
        Duty.status == "open",
        Duty.reminders_sent >= bindparam("chasing_cap"),
    )
    .exists()
)


def _capped_duties(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """On a reminder day, open duties at the lowest reminder cap of the school's requirements
    or past it (``needs_conversation`` keeps those at their own requirement's)."""
    caps = [run.school.cadence(r.cadence).max_reminders for r in run.school.requirements]
    if not caps or not run.school.is_sending_day(run.today):
        return false(), {}
    return _AT_CAP, {"school_id": run.school.id, "chasing_cap": min(caps)}


@busy_when(_capped_duties)
def chasing_stopped_step(run: StepContext) -> dict[str, int]:
    """The sweep step: on reminder days, tell managers about newly capped duties."""
    if not run.school.is_sending_day(run.today):
        return {}
    return {
        "chasing_stopped": queue_chasing_stopped(
            run.session, run.school, run.today, run.now, write=run.write
        )
    }
