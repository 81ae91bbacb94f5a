"""Governor review digests: who hears about each policy's review date, and queuing today's
digests in the outbox, one per governor (timing and recipients are ``policies.rules``).

Review dates kept true in governors' calendars: when a policy's review date moves after its
calendar event went out (a corrected date, a recorded review), the people who were sent review
digests and still hear about that policy get an update of the same event — same UID, higher
SEQUENCE — or, when the policy no longer has a review date, a CANCEL of it. What was last sent
is stored on the policy (``review_event_due``, ``review_event_sequence``).

A governor hears about reviews at most once a week: a moved date waits for a day when each of
the people to tell either gets that day's review digest (which then carries the change) or has
had no review email for a week (who then gets one short email for every date moved that day).
The wait is bounded: review digests about one date stop after its last overdue repeat."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import local_today, send_after
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg, nmsg, speaking
from bot.core.language.words import said_words, school_words
from bot.core.models import OutboxMessage, Person, PersonGroup, PersonRole, Policy
from bot.core.outbox import EmailDraft, Urgency, enqueue_emails, new_keys
from bot.core.ports import Attachment
from bot.core.rendering.messages import notice
from bot.features.policies.rules import (
    CALENDAR_CONTENT_TYPE,
    CANCEL_CONTENT_TYPE,
    DERIVED_NOTE,
    DIGEST_KEY_PREFIX,
    OVERDUE_REPEATS,
    DigestEntry,
    Directory,
    alert_recipients,
    digest_entries,
    digest_key,
    digest_subject,
    latest_stage,
    normalise_group_name,
    recipient_tag,
    review_calendar,
    review_state,
    weekly_email_free,
)

__all__ = [
    "DigestPlanned",
    "Events",
    "Move",
    "moves_ready",
    "plan_alerts",
    "plan_event_updates",
    "record_moves",
]

UPDATE_KEY_PREFIX = "review-event"  # a "review date changed" email (plan_event_updates)


def load_directory(session: Session, school_id: str) -> Directory:
    """Read the people, roles and groups the recipients rule needs (three column queries)."""
    people = session.execute(
        select(Person.id, Person.email, Person.active).where(Person.school_id == school_id)
    ).all()
    roles = select(PersonRole.person_id, PersonRole.role).where(PersonRole.school_id == school_id)
    groups = select(PersonGroup.person_id, PersonGroup.name).where(
        PersonGroup.school_id == school_id
    )
    return Directory(
        emails={pid: email for pid, email, active in people if active},
        inactive=frozenset(email for _, email, active in people if not active),
        roles=_members(session.execute(roles)),
        groups=_members(session.execute(groups), normalise_group_name),
    )


def _members(
    rows: Iterable[Row[int, str]], name: Callable[[str], str] = str
) -> dict[str, frozenset[int]]:
    """The people of each role or group, by its (normalised) name."""
    members: dict[str, set[int]] = defaultdict(set)
    for pid, named in rows:
        members[name(named)].add(pid)
    return {key: frozenset(ids) for key, ids in members.items()}


@dataclass(frozen=True)
class DigestPlanned:
    """One governor's review digest today: the policies it lists, queued or not."""

    recipient: str
    queued: bool


def _keyed_days(session: Session, prefix: str) -> Iterator[tuple[str, date]]:
    """(recipient tag, day) of each outbox key ``prefix:tag:day`` (an older key without a day,
    one email per policy, is skipped)."""
    for (key,) in session.execute(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"{prefix}%")
        )
    ):
        tag, _, day = key[len(prefix) :].partition(":")
        try:
            yield tag, date.fromisoformat(day)
        except ValueError:
            continue


def digest_days(session: Session, school_id: str) -> dict[str, list[date]]:
    """The days of each recipient's review digests, by recipient tag."""
    days: dict[str, list[date]] = defaultdict(list)
    for tag, day in _keyed_days(session, f"{DIGEST_KEY_PREFIX}:{school_id}:"):
        days[tag].append(day)
    return days


def _told_overdue(policies: Sequence[Policy], digests: Sequence[date]) -> dict[str, int]:
    """How many of a recipient's digests told them each policy's review was overdue: those
    after its review date, none while no digest has yet carried this review date (a policy
    added to the register years overdue was in none of the digests before it)."""
    return {
        policy.key: sum(1 for day in digests if day > due)
        for policy in policies
        if (due := policy.next_review_due) is not None and policy.review_event_due == due
    }


@dataclass(frozen=True)
class Move:
    """A policy whose review date moved after its event went out: the date its event had, and
    the sequence the update carries."""

    policy: Policy
    old: date
    sequence: int

    @property
    def cancel(self) -> bool:
        """Whether the policy no longer has a review date (the event is cancelled)."""
        return self.policy.next_review_due is None

    def words(self) -> Msg:
        """The change in a sentence."""
        policy, new = self.policy, self.policy.next_review_due
        if new is None:
            return Msg(
                N_(
                    "The %(title)s no longer has a review date on the policy register (it was "
                    "%(old)s); the attached calendar entry removes the event."
                ),
                title=policy.title,
                old=self.old,
            )
        return Msg(
            N_(
                "The next review of the %(title)s by the %(body)s is now due by %(new)s, not "
                "%(old)s; the attached calendar entry moves the event already in your calendar."
            ),
            title=policy.title,
            body=Msg(policy.approving_body),
            new=new,
            old=self.old,
        )

    def attachment(self, events: Events) -> Attachment:
        """The updated (or cancelled) calendar event."""
        due = self.policy.next_review_due or self.old
        return events(self.policy, due, self.sequence, cancel=self.cancel)


@dataclass
class Events:
    """The review events of one sweep, each built once: everyone hearing of a policy's review
    gets the same calendar file, so hundreds of governors' digests share one build of it."""

    school: SchoolConfig
    now: datetime
    built: dict[tuple[str, date, int, bool], Attachment] = field(default_factory=dict)

    def __call__(
        self, policy: Policy, review_due: date, sequence: int, *, cancel: bool = False
    ) -> Attachment:
        """A policy's review event as an .ics attachment (``cancel``: its cancellation), in
        the school's language."""
        key = (policy.key, review_due, sequence, cancel)
        if key not in self.built:
            school = self.school
            with speaking(school.language):
                ics = review_calendar(
                    school_id=school.id,
                    school_name=school.name,
                    policy=policy,
                    review_due=review_due,
                    now=self.now,
                    domain=school.headteacher.rpartition("@")[2].lower(),  # UIDs under it
                    sequence=sequence,
                    cancel=cancel,
                )
            self.built[key] = Attachment(
                f"policy-review-{policy.key}.ics",
                CANCEL_CONTENT_TYPE if cancel else CALENDAR_CONTENT_TYPE,
                ics,
            )
        return self.built[key]


def last_review_emails(session: Session, school_id: str) -> dict[str, date]:
    """The day of each recipient's latest email about reviews (a digest or a date changed)."""
    last = {tag: max(days) for tag, days in digest_days(session, school_id).items()}
    for tag, when in _keyed_days(session, f"{UPDATE_KEY_PREFIX}:{school_id}:"):
        last[tag] = max(last.get(tag, when), when)
    return last


def _entry_line(policy: Policy, entry: DigestEntry, on: date) -> tuple[str, Text]:
    """One policy's line in the digest: its title, and its state, date and approving body."""
    derived = (" (", Msg(DERIVED_NOTE), ")") if policy.next_review_derived else ()
    values = {
        "state": review_state(entry.review_due, on),
        "body": Msg(policy.approving_body),  # the pack's word, as the school's language says it
        "date": entry.review_due,
        "derived": Joined(derived),
    }
    words: Text = Msg(
        N_("%(state)s — was due for review by the %(body)s by %(date)s%(derived)s")
        if entry.review_due < on
        else N_("%(state)s — to be reviewed by the %(body)s by %(date)s%(derived)s"),
        **values,
    )
    if entry.final:
        words = words + Msg(N_(". This is the last email about it; the register keeps showing it"))
    return policy.title, words


def _digest_draft(
    events: Events,
    entries: Sequence[tuple[Policy, DigestEntry]],
    recipient: str,
    on: date,
    base_url: str,
    moves: Sequence[Move] = (),
) -> EmailDraft:
    """The digest email, its words true on ``on`` (the day it is delivered), carrying any
    review date moved today (the week's one email about reviews), in the school's language."""
    school = events.school
    listed = {p.key for p, _entry in entries}
    moved_alone = [m for m in moves if m.policy.key not in listed]
    words = said_words(school_words(school))
    head = words.headteacher
    paragraphs: list[Text] = [
        Msg(
            N_(
                "These policies are due for review and ratification, or overdue. Please make sure "
                "they are on the agenda. After the meeting, the clerk or the %(head)s records each "
                "review — the date, the minute reference and the new document if it changed — on "
                "the policy register (%(register)s). Staff are then asked to acknowledge any new "
                "version."
            ),
            head=head,
            register=f"{base_url}/policies",
        )
    ]
    if any(p.next_review_derived for p, _entry in entries):
        paragraphs.append(
            Msg(
                N_(
                    'A review date marked "please confirm" was worked out from the date the policy '
                    "was ratified, not stated in the document: the clerk or the %(head)s can "
                    "confirm or correct it on the policy's page."
                ),
                head=head,
            )
        )
    paragraphs += [m.words() for m in moves]
    paragraphs.append(
        Msg(
            N_(
                "You get at most one of these emails a week; an overdue review is mentioned "
                "%(times)d times after its due date and then stays on the register and the "
                "dashboard. The attached calendar entries mark the review dates."
            ),
            times=OVERDUE_REPEATS,
        )
    )
    return notice(
        school=school,
        to=[recipient],
        subject=digest_subject([(p.title, e.review_due) for p, e in entries], on, words.governors),
        greeting=Msg(N_("Hello,")),
        paragraphs=paragraphs,
        facts=[_entry_line(p, e, on) for p, e in entries],
        small=Msg(
            N_(
                "You receive this as a named %(governor)s, the clerk, a policy lead or a member "
                "of the body that approves these policies."
            ),
            governor=words.governor,
        ),
        attachments=tuple(
            events(policy, entry.review_due, _event_sequence(policy, entry.review_due))
            for policy, entry in entries
        )
        + tuple(m.attachment(events) for m in moved_alone),
    )


def _event_sequence(policy: Policy, review_due: date) -> int:
    """The SEQUENCE of the policy's review event, raised (and stored) when its date moved.

    Also after a cancellation (no date stored, a sequence already used): the event comes back
    with a higher SEQUENCE than the CANCEL, or calendars would ignore it.
    """
    sent_before = policy.review_event_due is not None or (policy.review_event_sequence or 0) > 0
    if sent_before and policy.review_event_due != review_due:
        policy.review_event_sequence = (policy.review_event_sequence or 0) + 1
    policy.review_event_due = review_due
    return policy.review_event_sequence or 0


def _reviews_by_recipient(
    session: Session, school_id: str, policies: Sequence[Policy], today: date
) -> tuple[dict[str, list[Policy]], int]:
    """Each recipient's policies with a review date, and how many reached policies have none."""
    directory: Directory | None = None
    by_recipient: dict[str, list[Policy]] = defaultdict(list)
    unaddressed = 0
    for policy in policies:
        assert policy.next_review_due is not None
        if latest_stage(policy.next_review_due, today) is None:
            continue
        directory = directory or load_directory(session, school_id)
        recipients = alert_recipients(policy, directory)
        unaddressed += not recipients
        for email in recipients:
            by_recipient[email].append(policy)
    return by_recipient, unaddressed


def _dated_policies(
    session: Session, school_id: str, dated: InstrumentedAttribute[date | None]
) -> Sequence[Policy]:
    """The school's policies with that date set, by key (a reading campaign is never reviewed
    by governors)."""
    return session.scalars(
        select(Policy)
        .where(Policy.school_id == school_id, Policy.kind == "policy", dated.is_not(None))
        .order_by(Policy.key)
    ).all()


def _planned(
    session: Session, school_id: str, by_recipient: dict[str, list[Policy]], today: date
) -> dict[str, list[tuple[Policy, DigestEntry]]]:
    """Each recipient's digest due today: its policies and their entries (none: no digest)."""
    days = digest_days(session, school_id)
    last_any = last_review_emails(session, school_id)
    told = {  # before any digest of this sweep records the review dates it carries
        email: _told_overdue(held, days[recipient_tag(email)])
        for email, held in by_recipient.items()
    }
    planned: dict[str, list[tuple[Policy, DigestEntry]]] = {}
    for email, held in sorted(by_recipient.items()):
        by_key = {p.key: p for p in held}
        reviews = [(p.key, p.next_review_due) for p in held if p.next_review_due is not None]
        tag = recipient_tag(email)
        entries = digest_entries(
            reviews,
            max(days[tag], default=None),
            today,
            last_email=last_any.get(tag),
            told_overdue=told[email],
        )
        if entries:
            planned[email] = [(by_key[e.policy_key], e) for e in entries]
    return planned


def plan_alerts(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    write: bool,
    base_url: str,
    moves: Sequence[Move] = (),
) -> tuple[list[DigestPlanned], int]:
    """Queue today's governor review digests (or, with ``write`` False, only plan them).

    A digest also carries the review dates moved today (``moves``) that its reader hears
    about; the weekly limit counts every email about reviews. Returns the digests and how
    many policies due for an alert have nobody to hear of it.
    """
    if not school.is_sending_day(today):
        return [], 0
    policies = _dated_policies(session, school.id, Policy.next_review_due)
    by_recipient, unaddressed = _reviews_by_recipient(session, school.id, policies, today)
    planned = _planned(session, school.id, by_recipient, today)
    directory = load_directory(session, school.id) if moves else None
    moved_for = {
        m.policy.key: set(alert_recipients(m.policy, directory)) for m in moves if directory
    }
    not_before = send_after(school, today, now)
    on = max(today, local_today(not_before))  # the words must be true when it arrives
    keys = {email: digest_key(school.id, email, today) for email in planned}
    fresh = new_keys(session, school.id, "governor_review", list(keys.values())) if write else set()
    events = Events(school, now)  # built for the digests queued now, not for every candidate
    drafts: dict[tuple[object, ...], EmailDraft] = {}  # one render per distinct digest
    items = []
    for email, listed in planned.items():
        if keys[email] not in fresh:
            continue
        theirs = [m for m in moves if email in moved_for.get(m.policy.key, ())]
        same = (*(e for _, e in listed), *(m.policy.key for m in theirs))
        if same not in drafts:
            drafts[same] = _digest_draft(events, listed, email, on, base_url, theirs)
        items.append((keys[email], replace(drafts[same], to=(email,))))
    enqueue_emails(
        session,
        school_id=school.id,
        purpose="governor_review",
        urgency=Urgency.ROUTINE,
        items=items,
        not_before=not_before,
        checked=True,  # only the keys found new above
    )
    return [DigestPlanned(email, keys[email] in fresh) for email in planned], unaddressed


# --------------------------------------------------------------------------- review dates moved


PURPOSE = "governor_review_moved"


def _to_tell(session: Session, school_id: str) -> Callable[[Policy], list[str]]:
    """Who has a policy's event in their calendar and still hears about the policy."""
    directory = load_directory(session, school_id)
    had_digests = set(digest_days(session, school_id))
    return lambda policy: [
        email
        for email in alert_recipients(policy, directory)
        if recipient_tag(email) in had_digests
    ]


def moves_ready(
    session: Session, school: SchoolConfig, today: date, digest_today: Collection[str]
) -> list[Policy]:
    """The moved review dates that can be told today without anyone getting a second review
    email this week: each person to tell gets a digest today or has had none for a week."""
    if not school.is_sending_day(today):
        return []
    sent = _dated_policies(session, school.id, Policy.review_event_due)
    moved = [p for p in sent if p.review_event_due != p.next_review_due]
    if not moved:
        return []
    to_tell = _to_tell(session, school.id)
    last = last_review_emails(session, school.id)
    return [
        policy
        for policy in moved
        if all(
            email in digest_today or weekly_email_free(last.get(recipient_tag(email)), today)
            for email in to_tell(policy)
        )
    ]


def record_moves(policies: Sequence[Policy]) -> list[Move]:
    """Raise each moved event's sequence and store its new date (before any email is built)."""
    moves = []
    for policy in policies:
        old = policy.review_event_due
        assert old is not None
        sequence = (policy.review_event_sequence or 0) + 1
        policy.review_event_sequence = sequence
        policy.review_event_due = policy.next_review_due
        moves.append(Move(policy, old, sequence))
    return moves


def _draft(events: Events, moves: Sequence[Move], recipient: str) -> EmailDraft:
    """The short email carrying the updated (or cancelled) events of one day, in the school's
    language."""
    school = events.school
    if len(moves) == 1 and moves[0].cancel:
        subject = Msg(N_("Policy review date removed: %(title)s"), title=moves[0].policy.title)
    elif len(moves) == 1:
        subject = Msg(N_("Policy review date changed: %(title)s"), title=moves[0].policy.title)
    else:  # never one: a plural form for each count the school's language has
        subject = nmsg(
            "Policy review dates changed: %(num)d policy",
            "Policy review dates changed: %(num)d policies",
            len(moves),
        )
    return notice(
        school=school,
        to=[recipient],
        subject=subject,
        greeting=Msg(N_("Hello,")),
        paragraphs=[m.words() for m in moves],
        small=Msg(
            N_(
                "You receive this because you were sent the earlier calendar entry for this "
                "policy's review; you get at most one email about policy reviews a week."
            )
        ),
        attachments=tuple(m.attachment(events) for m in moves),
    )


def plan_event_updates(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    moves: Sequence[Move],
    *,
    digest_today: Collection[str] = (),
) -> int:
    """Queue one email per person to tell about today's moves, except those whose digest today
    carries them. Returns how many emails were queued."""
    if not moves:
        return 0
    to_tell = _to_tell(session, school.id)
    by_recipient: dict[str, list[Move]] = defaultdict(list)
    for move in moves:
        for email in to_tell(move.policy):
            if email not in digest_today:
                by_recipient[email].append(move)
    events = Events(school, now)
    items = [
        (
            f"{UPDATE_KEY_PREFIX}:{school.id}:{recipient_tag(email)}:{today.isoformat()}",
            _draft(events, found, email),
        )
        for email, found in sorted(by_recipient.items())
    ]
    added = enqueue_emails(
        session,
        school_id=school.id,
        purpose=PURPOSE,
        urgency=Urgency.ROUTINE,
        items=items,
        not_before=send_after(school, today, now),
    )
    return len(added)
