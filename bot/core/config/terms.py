"""The question the dashboard asks when a school's configured term dates are running out, in
the reader's language."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

from bot.core.i18n import BETWEEN, translations

__all__ = ["TERM_DATES_ASK_DAYS", "terms_question"]

TERM_DATES_ASK_DAYS = 30  # ask for next year's term dates this long before the last term ends


def terms_question(last: date | None, today: date, language: str = "en") -> str | None:
    """Ask for next year's term dates from ``TERM_DATES_ASK_DAYS`` before the ``last`` term
    ends (None before then, or with no terms), in ``language`` (both, Welsh first, in
    ``cy+en``). Nothing is invented or backdated past the last term."""
    if last is None or today < last - timedelta(days=TERM_DATES_ASK_DAYS):
        return None
    if language == "cy+en":  # each whole, so the date inside is said once in each
        welsh, english = terms_question(last, today, "cy"), terms_question(last, today, "en")
        return english if welsh == english else f"{welsh}{BETWEEN}{english}"
    _ = translations(language).gettext
    when = f"{last.day} {last:%B %Y}" if language == "en" else format_date(last, "d MMMM y", "cy")
    if today <= last:
        return _("Add next year's term dates: the last term you gave ends %(day)s") % {"day": when}
    return _(
        "Add next year's term dates: the last term you gave ended %(day)s, so no reminders "
        "go out and no termly task is set until you do"
    ) % {"day": when}
