"""The SCR owner's weekly email: how many new gaps the check found since the last one, by kind,
with a link to ``/scr`` — once per gap, through the outbox (one key per owner and week), never
a name (the gaps' names are on the page, behind the sign-in)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.i18n import translations
from bot.core.messages import notice
from bot.core.models import ScrGap
from bot.core.outbox import Urgency, enqueue_email, new_keys
from bot.core.words import school_words, words_in
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
    tr = translations(school.language)  # the owner is an address, not a person who chose
    words = words_in(school_words(school), tr)
    headings = kind_headings(words, tr)
    lines = [f"{headings[kind]}: {count}" for kind, count in counts.items() if count]
    said = {"num": len(fresh), "school": school.name, "head": words.headteacher}
    draft = notice(
        school=school,
        to=[owner],
        subject=tr.ngettext(
            "Single central record: %(num)s new gap",
            "Single central record: %(num)s new gaps",
            len(fresh),
        )
        % said,
        paragraphs=[
            tr.ngettext(
                "The safer recruitment check found %(num)s new gap in %(school)s's single "
                "central record since it last wrote to you.",
                "The safer recruitment check found %(num)s new gaps in %(school)s's single "
                "central record since it last wrote to you.",
                len(fresh),
            )
            % said,
            "; ".join(lines) + ".",
            tr.gettext(
                "Who each one is about is on the single central record page, for you and the "
                "%(head)s only."
            )
            % said,
        ],
        button_url=f"{base_url}/scr",
        button_text=tr.gettext("See the gaps"),
        small=tr.gettext("You receive this as the person who keeps the single central record."),
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
