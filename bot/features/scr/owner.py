"""The SCR owner's weekly email: how many new gaps the check found since the last one, by kind,
with a link to ``/scr`` — once per gap, through the outbox (one key per owner and week), never
a name (the gaps' names are on the page, behind the sign-in)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.messages import notice
from bot.core.models import ScrGap
from bot.core.outbox import Urgency, enqueue_email, new_keys
from bot.core.words import plural, school_words
from bot.features.scr.rules import gap_counts, kind_headings

__all__ = ["OWNER_PURPOSE", "tell_owner"]

OWNER_PURPOSE = "scr_gaps"


def tell_owner(session: Session, school: SchoolConfig, today: date, *, base_url: str) -> int:
    """Queue this week's email to the SCR owner about gaps not yet told (at most one a week:
    gaps found after it wait for the next); marks them told. Returns how many gaps it told."""
    owner = school.scr_owner
    if owner is None:
        return 0
    fresh = list(
        session.scalars(
            select(ScrGap).where(
                ScrGap.school_id == school.id, ScrGap.closed_on.is_(None), ScrGap.told_on.is_(None)
            )
        )
    )
    if not fresh:
        return 0
    year, week, _ = today.isocalendar()
    key = f"scr-gaps:{school.id}:{owner}:{year}-W{week:02d}"
    if not new_keys(session, school.id, OWNER_PURPOSE, [key]):
        return 0  # this week's is queued already (or the school is in preview)
    counts = gap_counts(g.kind for g in fresh)
    words = school_words(school)
    headings = kind_headings(words, academy=school.academy)
    lines = [f"{headings[kind]}: {count}" for kind, count in counts.items() if count]
    draft = notice(
        school=school,
        to=[owner],
        subject=f"Single central record: {plural(len(fresh), 'new gap')}",
        paragraphs=[
            f"The safer recruitment check found {plural(len(fresh), 'new gap')} in "
            f"{school.name}'s single central record since it last wrote to you.",
            "; ".join(lines) + ".",
            "Who each one is about is on the single central record page, for you and the "
            f"{words.headteacher} only.",
        ],
        button_url=f"{base_url}/scr",
        button_text="See the gaps",
        small="You receive this as the person who keeps the single central record.",
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
    for gap in fresh:
        gap.told_on = today
    return len(fresh)
