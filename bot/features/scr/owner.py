"""The SCR owner hears of new gaps once, in counts, never a name (who each is about is on
``/scr``, behind the sign-in): in their own weekly reminder email when they have one that week
(``OwnerNotes``, a note the reminder run adds), else in an email of its own (``tell_owner``) —
at once when nothing else is due to them, or on the week's last school day. One outbox key per
owner and week, whichever carries it, so at most one a week."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_, Joined, Msg, nmsg
from bot.core.language.words import said_words, school_words
from bot.core.models import Duty, Person, ScrGap
from bot.core.outbox import Urgency, enqueue_email, new_keys
from bot.core.rendering.messages import notice
from bot.engine.remind import DigestNote
from bot.features.scr.rules import gap_counts, kind_headings

__all__ = ["OWNER_PURPOSE", "OwnerNotes", "tell_owner"]

OWNER_PURPOSE = "scr_gaps"
BUTTON = N_("See the gaps")


def _week_key(school: SchoolConfig, owner: str, today: date) -> str:
    """The one key a week of the owner's news of new gaps, in a reminder or alone."""
    year, week, _ = today.isocalendar()
    return f"scr-gaps:{school.id}:{owner}:{year}-W{week:02d}"


def _untold(session: Session, school_id: str) -> list[ScrGap]:
    return list(
        session.scalars(
            select(ScrGap).where(
                ScrGap.school_id == school_id, ScrGap.closed_on.is_(None), ScrGap.told_on.is_(None)
            )
        )
    )


def _news(school: SchoolConfig, fresh: Sequence[ScrGap]) -> list[Msg | Joined]:
    """What the owner reads: how many new gaps, by kind, and where the names are (in the
    school's language: the owner is an address, not a person who chose)."""
    headings = kind_headings(school_words(school), academy=school.academy)
    counts = gap_counts(g.kind for g in fresh)
    lines = [Joined((headings[kind], f": {count}")) for kind, count in counts.items() if count]
    return [
        nmsg(
            "The safer recruitment check found %(num)s new gap in %(school)s's single "
            "central record since it last wrote to you.",
            "The safer recruitment check found %(num)s new gaps in %(school)s's single "
            "central record since it last wrote to you.",
            len(fresh),
            school=school.name,
        ),
        Joined((Joined(lines, "; "), ".")),
        Msg(
            N_(
                "Who each one is about is on the single central record page, for you and the "
                "%(head)s only."
            ),
            head=said_words(school_words(school)).headteacher,
        ),
    ]


def _mark_told(fresh: Sequence[ScrGap], today: date) -> int:
    for gap in fresh:
        gap.told_on = today
    return len(fresh)


class OwnerNotes:
    """The owner's new gaps as a note in their reminder email (``remind.DigestNotes``)."""

    def due(
        self, session: Session, school: SchoolConfig, today: date, base_url: str
    ) -> Mapping[str, DigestNote]:
        """The owner's note, when there are gaps not told and this week's key is free."""
        owner = school.scr_owner
        if owner is None:
            return {}
        fresh = _untold(session, school.id)
        key = _week_key(school, owner, today)
        if not fresh or not new_keys(session, school.id, OWNER_PURPOSE, [key]):
            return {}
        text = Joined(_news(school, fresh), " ")
        return {owner: DigestNote(key, OWNER_PURPOSE, text, f"{base_url}/scr", Msg(BUTTON))}

    def noted(
        self, session: Session, school: SchoolConfig, today: date, notes: Sequence[DigestNote]
    ) -> None:
        """The note went into the owner's reminder: every gap not told is told now (the same
        ones ``due`` counted: nothing finds gaps between the two, in one transaction)."""
        if notes:
            _mark_told(_untold(session, school.id), today)


def _anything_due(session: Session, school: SchoolConfig, owner: str) -> bool:
    """Whether the owner has an open duty: a reminder email may carry the news this week."""
    return (
        session.scalar(
            select(Duty.id)
            .join(Person, Person.id == Duty.person_id)
            .where(
                Duty.school_id == school.id,
                Duty.status == "open",
                Person.school_id == school.id,
                Person.email == owner,
                Person.active.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def _last_school_day_of_week(school: SchoolConfig, today: date) -> bool:
    """Whether today is a school day and no other school day follows it this week."""
    following = school.next_school_day(today + timedelta(days=1))
    return school.is_school_day(today) and following.isocalendar()[:2] != today.isocalendar()[:2]


def tell_owner(session: Session, school: SchoolConfig, today: date, *, base_url: str) -> int:
    """Queue the owner's own email about gaps not yet told, when no reminder will carry them
    this week: at once if nothing is due to the owner, else on the week's last school day (a
    reminder this week took the week's key already: they wait for next week's). Marks them
    told; returns how many it told."""
    owner = school.scr_owner
    if owner is None:
        return 0
    fresh = _untold(session, school.id)
    if not fresh:
        return 0
    if _anything_due(session, school, owner) and not _last_school_day_of_week(school, today):
        return 0  # their reminder email carries it (``OwnerNotes``), or this week's last day
    key = _week_key(school, owner, today)
    if not new_keys(session, school.id, OWNER_PURPOSE, [key]):
        return 0  # this week's is queued already (or the school is in preview)
    draft = notice(
        school=school,
        to=[owner],
        subject=nmsg(
            "Single central record: %(num)s new gap",
            "Single central record: %(num)s new gaps",
            len(fresh),
        ),
        paragraphs=_news(school, fresh),
        button_url=f"{base_url}/scr",
        button_text=Msg(BUTTON),
        small=Msg(N_("You receive this as the person who keeps the single central record.")),
    )
    if not enqueue_email(
        session,
        school_id=school.id,
        key=key,
        purpose=OWNER_PURPOSE,
        urgency=Urgency.ROUTINE,
        draft=draft,
    ):
        return 0
    return _mark_told(fresh, today)
