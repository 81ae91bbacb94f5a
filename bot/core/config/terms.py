"""The question the dashboard asks when a school's configured term dates are running out."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.language.i18n import N_, Dated, Msg

__all__ = ["TERM_DATES_ASK_DAYS", "terms_question"]

TERM_DATES_ASK_DAYS = 30  # ask for next year's term dates this long before the last term ends


def terms_question(last: date | None, today: date) -> Msg | None:
    """Ask for next year's term dates from ``TERM_DATES_ASK_DAYS`` before the ``last`` term
    ends (None before then, or with no terms). Nothing is invented or backdated past the last
    term."""
    if last is None or today < last - timedelta(days=TERM_DATES_ASK_DAYS):
        return None
    when = Dated(last, "%-d %B %Y", "d MMMM y")
    if today <= last:
        return Msg(N_("Add next year's term dates: the last term you gave ends %(day)s"), day=when)
    return Msg(
        N_(
            "Add next year's term dates: the last term you gave ended %(day)s, so no reminders "
            "go out and no termly task is set until you do"
        ),
        day=when,
    )
