"""Reminder digests as email: load open duties, apply the reminder rules, render, queue.

The decisions (who, which stage, which items, who is copied) are ``bot.engine.reminders``;
this module reads what they need, a batch of people at a time alongside the sweep's duties
(``ReminderRun``), renders one email per person, queues it in the outbox and says which stage
each duty has had: new duties are written with it, stored ones updated
(``record_stages_later``). The reminders of people without an email address go, one message a
day, to whoever is asked on their behalf (their line manager, else the office), all of that
day's people in it, each item with its own link; each person's reminder keeps its own key
(status ``merged``), so it is still taken once and counted in their week.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from typing import ClassVar, Protocol

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from bot.core.config import Cadence, RequirementConfig, SchoolConfig
from bot.core.database.store import one_of
from bot.core.days.clock import send_after
from bot.core.deployment.settings import Settings
from bot.core.models import Duty
from bot.core.outbox import EmailDraft, Urgency, add_merged, enqueue_emails, new_keys
from bot.engine.reminder_email import DigestNote, Renderer
from bot.engine.reminder_reads import (
    active_people,
    names_of,
    open_duties,
    people_due,
    recent_digest_keys,
    requirement_configs,
)
from bot.engine.reminder_words import told_draft
from bot.engine.reminders import (
    DIGEST_KEY_PREFIX,
    Digest,
    OpenDuty,
    Recipient,
    address_day_key,
    at_weekly_cap,
    digest_key,
    plan_digests,
)

__all__ = [
    "ChatRoute",
    "DigestNote",
    "DigestNotes",
    "PendingDigests",
    "ReminderPlanned",
    "ReminderRun",
    "Told",
    "record_stages_later",
]


@dataclass(frozen=True, slots=True)  # a trust's digest day plans 100,000
class ReminderPlanned:
    """One reminder email: to whom, which items, who is copied."""

    person_email: str
    person_name: str
    items: tuple[str, ...]
    labels: tuple[str, ...]
    cc: tuple[str, ...]
    key: str
    queued: bool


@dataclass(frozen=True, slots=True)
class Told:
    """The reminders a sweep tells of, in brief: those queued (when nothing is sent, as in a
    preview or a dry run, every one planned), how many items of each stage they remind of,
    the first few of them, and how many were queued. A sweep that keeps no list
    (``run_sweep(keep_reminders=False)``) holds this alone: a trust's digest day plans one for
    each of 100,000 people."""

    count: int = 0
    queued: int = 0
    stages: Mapping[str, int] = field(default_factory=dict)  # "due" -> items
    first: tuple[ReminderPlanned, ...] = ()

    FIRST: ClassVar[int] = 15

    @classmethod
    def of(cls, planned: Sequence[ReminderPlanned], sending: bool) -> Told:
        told = [x for x in planned if x.queued or not sending]
        return cls(
            len(told),
            sum(x.queued for x in planned),
            Counter(label.split(":")[0] for x in told for label in x.labels),
            tuple(told[: cls.FIRST]),
        )


# --------------------------------------------------------------------------- queueing


def record_stages_later(
    session: Session, stages: Mapping[int, tuple[int, int]], today: date
) -> Callable[[], None]:
    """The write that records on stored duties the reminder just queued about them, given
    (stage, sent) by duty id; to run now or once the next batch is planned (``sweep``).

    On the table, not through the ORM (no session objects to keep in step): one statement
    built once, run per chunk of ids in id order, per distinct (stage, sent) - a handful.
    """
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for duty_id, value in stages.items():
        grouped[value].append(duty_id)
    among, chunk = one_of(session, Duty.id, "ids")
    statement = (
        update(Duty)
        .where(among)
        .values(
            last_stage=bindparam("stage"), reminders_sent=bindparam("sent"), last_reminded_on=today
        )
    )
    connection = session.connection()

    def record() -> None:
        for (stage, sent), ids in grouped.items():
            ids.sort()
            for start in range(0, len(ids), chunk):
                connection.execute(
                    statement, {"ids": ids[start : start + chunk], "stage": stage, "sent": sent}
                )

    return record


class ChatRoute(Protocol):
    """Where a Teams-first school's digests go for the people its bot reaches in their chat,
    instead of email (``bot.features.teamsbot.deliver.TeamsDigests``, handed in by the sweep).

    A digest goes this way when the person is ``reachable``, nobody is told (the email says
    that their line manager or the head was told; the card does not) and the card shows every
    item (``kinds``); every
    other digest is an email, as in a school without a bot. Either way one message a day.

    Example::

        run = ReminderRun.start(session, settings, school, today, now, write=True,
                                chat=TeamsDigests(settings))
    """

    @property
    def kinds(self) -> frozenset[str]:
        """The requirement kinds the card can show."""
        ...

    def reachable(self, session: Session, school: SchoolConfig) -> set[int]:
        """The ids of the school's people the bot reaches in Teams."""
        ...

    def queue(
        self,
        session: Session,
        school: SchoolConfig,
        cards: Sequence[tuple[str, Digest, EmailDraft]],
        today: date,
        not_before: datetime,
    ) -> None:
        """Queue each (digest key, digest, its email) as the person's card, under the digest's
        key, with the email as the card's fallback (queued only if Teams refuses the card)."""
        ...


class DigestNotes(Protocol):
    """What a feature adds to a person's reminder email instead of sending an email of its own
    (the SCR owner's new gaps, in counts: ``bot.features.scr.owner.OwnerNotes``, handed in by
    the sweep). A note rides only in a reminder email queued in this run (never a card, nor
    the message to whoever is asked on someone's behalf); its key is kept in the outbox
    (merged into the reminder's), and ``noted`` is told in the same transaction, so it is
    taken once. What is not noted is the feature's to send some other way.

    Example::

        run = ReminderRun.start(session, settings, school, today, now, write=True,
                                notes=OwnerNotes())
    """

    def due(
        self, session: Session, school: SchoolConfig, today: date, base_url: str
    ) -> Mapping[str, DigestNote]:
        """The notes due today, by the address of the person each is for (its key not
        taken yet)."""
        ...

    def noted(
        self, session: Session, school: SchoolConfig, today: date, notes: Sequence[DigestNote]
    ) -> None:
        """These notes went into reminders queued now: record that they were told."""
        ...


_ITEM_ORDER = attrgetter("person_id", "due_on", "id")  # a digest lists its items by due date


@dataclass
class ReminderRun:
    """One school's reminder digests for one day, planned a batch of people at a time.

    The sweep opens and closes each batch's duties and hands the run the new open ones (ids
    already drawn); the run adds the stored open duties of the batch's people who may be due
    something - those with a stored duty whose next stage may fall today, and those with a new
    duty - queues one digest per person and says which stage each duty has now had. So a
    first run writes its million duties with their first reminder recorded in them, instead of
    writing them and then updating each one. ``planned`` collects every digest, queued or not.
    """

    school: SchoolConfig
    today: date
    write: bool
    requirements: Mapping[int, RequirementConfig]
    people: Mapping[int, Recipient]
    cadences: Mapping[str, Cadence]
    renderer: Renderer
    not_before: datetime
    due: Sequence[int]  # ascending: people with a stored duty that may be due a stage today
    planned: list[ReminderPlanned] = field(default_factory=list)
    # one copy of each items/stages/copied-to tuple the planned digests repeat (a trust's
    # digest day plans one for each of 100,000 people, most alike)
    shared: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, repr=False)
    chat: ChatRoute | None = None  # a Teams-first school's bot: its people get cards instead
    by_chat: frozenset[int] = frozenset()  # the people the bot reaches (``chat.reachable``)
    held: frozenset[int] = frozenset()  # people at their weekly number of reminder emails
    # who would have been copied today -> person -> their overdue items (``finish``)
    told: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # whoever is asked on behalf of people without an email address (address, name greeted)
    # -> those people's digests today, with their own keys: one message each (``finish``)
    asked: dict[tuple[str, str], list[tuple[str, Digest, EmailDraft]]] = field(default_factory=dict)
    asked_free: dict[str, bool] = field(default_factory=dict)  # their message's key not taken
    notes: DigestNotes | None = None  # what features add to a reminder email (``DigestNotes``)
    # the notes due today by address, each taken by the first reminder email queued for them
    notes_due: dict[str, DigestNote] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        session: Session,
        settings: Settings,
        school: SchoolConfig,
        today: date,
        now: datetime,
        *,
        write: bool,
        chat: ChatRoute | None = None,
        notes: DigestNotes | None = None,
    ) -> ReminderRun:
        """Ready to plan the day's digests; ``write`` False plans them without queueing;
        ``chat`` sends the digests of the people its bot reaches as cards (Teams-first);
        ``notes`` adds features' notes to reminder emails."""
        session.flush()  # the queries below read on the connection
        requirements = requirement_configs(session, school)
        people = active_people(session, school.id)
        by_chat = (
            frozenset(chat.reachable(session, school))
            if chat is not None and write
            else frozenset()
        )
        return cls(
            notes=notes if write else None,
            notes_due=dict(notes.due(session, school, today, settings.base_url))
            if notes is not None and write
            else {},
            chat=chat if by_chat else None,
            by_chat=by_chat,
            school=school,
            today=today,
            write=write,
            requirements=requirements,
            people=people,
            cadences={
                name: school.cadence(name) for name in {c.cadence for c in school.requirements}
            },
            renderer=Renderer(
                settings,
                school,
                requirements,
                names_of(session, school.id),
                settings.signing_key(),
                today,
                people,
            ),
            not_before=send_after(school, today, now),
            due=people_due(session, school, requirements, today),
            held=at_weekly_cap(
                recent_digest_keys(session, school.id),
                school.id,
                today,
                school.sending_window.reminders_per_week,
            ),
        )

    def batch(
        self,
        session: Session,
        new: Sequence[OpenDuty],
        *,
        after: int | None,
        upto: int | None,
        stored: Collection[int],
        read: Sequence[OpenDuty] | None = None,
    ) -> tuple[dict[int, tuple[int, int]], PendingDigests]:
        """Plan the digests of the people ``after`` < id <= ``upto`` and find which are new.

        Args:
            session: the sweep's session; the batch's closures are already applied.
            new: the batch's new open duties, not written yet.
            after: the batch's people have ids above this (None: from the first).
            upto: ... and up to this one (None: to the last).
            stored: the batch's people with a stored open duty (only theirs are read: on a
                first run, nobody's).
            read: the batch's stored open duties the closures left open, as the sweep read
                them with its other duties (``bot.engine.facts.batch_facts`` with ``stages``),
                in any order; None: read here, those of the people due or given a new duty.

        Returns:
            (stage, reminders sent) by duty id, for every duty of a digest to be queued that
            was due a stage: the caller writes it on the new duties and records the rest
            (``record_stages_later``); and the digests, to render and add to the outbox
            (``PendingDigests``) in this transaction.
        """
        low = 0 if after is None else bisect_right(self.due, after)
        high = len(self.due) if upto is None else bisect_right(self.due, upto)
        who = {*self.due[low:high], *(d.person_id for d in new)}
        if not who:
            return {}, PendingDigests(self, [], set())
        # the stored come in item order, so the sort only merges them with the new ones
        duties = [
            *(
                open_duties(session, self.school.id, sorted(who.intersection(stored)))
                if read is None
                else (d for d in read if d.person_id in who)
            ),
            *new,
        ]
        duties.sort(key=_ITEM_ORDER)
        digests = [
            (digest_key(self.school.id, d.person.id, self.today), d)
            for d in plan_digests(
                duties,
                self.people,
                self.requirements,
                self.cadences,
                self.school.headteacher,
                self.today,
                self.held,
            )
        ]
        fresh = (
            new_keys(session, self.school.id, "reminder", [key for key, _ in digests])
            if self.write
            else set()
        )
        fresh -= self._asked_already(session, digests, fresh)
        stages: dict[int, tuple[int, int]] = {}
        for key, digest in digests:
            if key in fresh:
                stages.update(
                    (duty_id, (stage, sent)) for duty_id, stage, sent in digest.stage_updates()
                )
        return stages, PendingDigests(self, digests, fresh)

    def due_in(self, after: int | None, upto: int | None) -> bool:
        """Whether anyone ``after`` < id <= ``upto`` may be due a stage today."""
        low = 0 if after is None else bisect_right(self.due, after)
        return low < (len(self.due) if upto is None else bisect_right(self.due, upto))

    def _asked_key(self, address: str) -> str:
        """The key of the day's one message to whoever is asked on others' behalf."""
        return address_day_key(f"{DIGEST_KEY_PREFIX}-asked", self.school.id, address, self.today)

    def _asked_already(
        self, session: Session, digests: Sequence[tuple[str, Digest]], fresh: set[str]
    ) -> set[str]:
        """The new digests of people without an email address whose asker has had today's
        message already (a later sweep today): they wait for tomorrow's, their stage unmoved."""
        late: set[str] = set()
        for key, digest in digests:
            asker = self.renderer.asked_for(digest.person) if key in fresh else None
            if asker is None:
                continue
            combined = self._asked_key(asker[0])
            if combined not in self.asked_free:
                self.asked_free[combined] = bool(
                    new_keys(session, self.school.id, "reminder", [combined])
                )
            if not self.asked_free[combined]:
                late.add(key)
        return late

    def finish(self, session: Session) -> int:
        """Queue the day's one message to each person asked on behalf of people without an
        email address (listing them all), and to each line manager (or head) a digest would
        have copied (listing all their people); returns how many were new."""
        if not self.write:
            return 0
        asked = 0
        for to, entries in sorted(self.asked.items()):
            key = self._asked_key(to[0])
            draft = (
                entries[0][2]
                if len(entries) == 1
                else self.renderer.asked_email(to, [digest for _, digest, _ in entries])
            )
            asked += self._queue(session, purpose="reminder", items=[(key, draft)])
            add_merged(
                session,
                school_id=self.school.id,
                purpose="reminder_merged",
                into=key,
                items=[(k, d) for k, _, d in entries],
            )
        if not self.told:
            return asked
        drafts = [
            (
                address_day_key("overdue-told", self.school.id, to, self.today),
                told_draft(self.school, to, people),
            )
            for to, people in sorted(self.told.items())
        ]
        return asked + self._queue(session, purpose="overdue_told", items=drafts)

    def _queue(self, session: Session, purpose: str, items: list[tuple[str, EmailDraft]]) -> int:
        """Queue the day's routine ``items`` (key, email) for ``purpose``; how many were new."""
        added = enqueue_emails(
            session,
            school_id=self.school.id,
            purpose=purpose,
            urgency=Urgency.ROUTINE,
            items=items,
            not_before=self.not_before,
        )
        return len(added)


@dataclass
class PendingDigests:
    """A batch's digests, planned: rendered (``render``, no database) while the batch's
    duties are written, then the new ones added to the outbox (``add``)."""

    run: ReminderRun
    digests: Sequence[tuple[str, Digest]]
    fresh: set[str]  # the keys not in the outbox yet: these are queued
    drafts: list[tuple[str, EmailDraft]] | None = None
    cards: list[tuple[str, Digest, EmailDraft]] = field(default_factory=list)
    noted: list[tuple[str, DigestNote, EmailDraft]] = field(default_factory=list)

    def _by_chat(self, digest: Digest) -> bool:
        """Whether this digest goes as a card (``ChatRoute``): never when someone is told."""
        run = self.run
        return (
            run.chat is not None
            and digest.person.id in run.by_chat
            and not digest.cc
            and all(run.requirements[d.requirement_id].kind in run.chat.kinds for d in digest.items)
        )

    def render(self) -> None:
        """Render each new digest's email (links are signed for these only); the sweep summary
        learns every digest, queued or not."""
        run, drafts, planned = self.run, [], []
        for key, digest in self.digests:
            if key not in self.fresh:  # already queued, or held: nothing rendered or signed
                planned.append(self._planned(key, digest, *run.renderer.listed(digest), False))
                continue
            asker = run.renderer.asked_for(digest.person)
            by_chat = self._by_chat(digest)
            note = (
                run.notes_due.pop(digest.person.email, None)
                if asker is None and not by_chat
                else None
            )
            draft, titles = run.renderer.email(digest, note)
            if asker is not None:  # one message a day to their asker
                run.asked.setdefault(asker, []).append((key, digest, draft))
            elif by_chat:
                self.cards.append((key, digest, draft))
            else:
                drafts.append((key, draft))
                if note is not None:
                    self.noted.append((key, note, draft))
            if digest.cc:
                overdue = [
                    run.renderer.face(d)["title"] for d in digest.items if d.due_on < run.today
                ]
                for to in digest.cc:
                    run.told.setdefault(to, {}).setdefault(digest.person.display_name, []).extend(
                        overdue
                    )
            planned.append(self._planned(key, digest, draft.to[0], titles, True))
        run.planned += planned
        self.drafts = drafts

    def _planned(
        self, key: str, digest: Digest, to: str, titles: tuple[str, ...], queued: bool
    ) -> ReminderPlanned:
        """The sweep summary's line for a digest (its tuples shared across the run)."""
        shared = self.run.shared
        return ReminderPlanned(
            person_email=to,
            person_name=digest.person.display_name,
            items=shared.setdefault(titles, titles),
            labels=shared.setdefault(labels := digest.labels, labels),
            cc=shared.setdefault(digest.cc, digest.cc),
            key=key,
            queued=queued,
        )

    def add(self, session: Session) -> None:
        """Add the new digests to the outbox (rendering them first if not done yet)."""
        if self.drafts is None:
            self.render()
        run = self.run
        if self.drafts:
            enqueue_emails(
                session,
                school_id=run.school.id,
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                items=self.drafts,
                not_before=run.not_before,
                checked=True,
            )
        for key, note, draft in self.noted:  # the note's key, taken, inside the reminder
            add_merged(
                session,
                school_id=run.school.id,
                purpose=note.purpose,
                into=key,
                items=[(note.key, draft)],
            )
        if self.noted and run.notes is not None:
            run.notes.noted(session, run.school, run.today, [n for _, n, _ in self.noted])
        if self.cards and run.chat is not None:
            run.chat.queue(session, run.school, self.cards, run.today, run.not_before)
