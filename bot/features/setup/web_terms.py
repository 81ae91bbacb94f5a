"""The school's calendar, set up from the browser: term dates, INSET days and other closures,
typed or read from a local authority's ``.ics`` term-dates calendar.

Each change is validated (422 naming the line or the file, nothing stored), saved, audited and
applied at once through ``pages.save_change``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from bot.core.days.clock import local_today
from bot.core.language.i18n import N_
from bot.core.models import Person, utcnow
from bot.features.setup.pages import (
    boxes,
    current_school,
    failed,
    form_route,
    page_route,
    save_change,
    saved,
    show,
)
from bot.features.setup.rules import SetupError, parse_days, parse_terms, terms_text
from bot.features.setup.term_calendar import MAX_ICS_BYTES, CalendarError, read_term_calendar

__all__ = ["router"]

router = APIRouter()
TERM_BOXES = dict.fromkeys(("terms", "inset_days", "holidays"), 20000)  # the most each holds


def _terms_data(request: Request, user: Person, **extra: Any) -> dict[str, Any]:
    """Term dates, INSET days and other closures: typed, or from an .ics calendar."""
    school = current_school(request, user.school_id)
    form = {
        "terms": terms_text(school),
        "inset_days": "\n".join(d.isoformat() for d in school.inset_days),
        "holidays": "\n".join(d.isoformat() for d in school.holidays),
    }
    return {"school": school, "form": form, "read": None, **extra}


def _terms_saved(request: Request, user: Person, sent: FormData) -> Response:
    """Save the typed term dates (each line checked; the line at fault is named)."""
    data = _terms_data(request, user)
    form = data["form"] = boxes(sent, TERM_BOXES)
    terms, inset_days, holidays = form.values()

    def change(school: dict[str, Any]) -> None:
        today = local_today(utcnow())
        school["terms"] = parse_terms(terms, today)
        school["inset_days"] = parse_days(inset_days, "inset_days", N_("INSET days"), today)
        school["holidays"] = parse_days(holidays, "holidays", N_("Other closures"), today)

    return saved(
        request,
        user,
        change,
        "term dates changed",
        to="/admin/terms?saved=1",
        template="admin_terms.html",
        data=data,
    )


def _calendar_read(request: Request, user: Person, sent: FormData) -> Response:
    """Read a local authority's .ics term-dates calendar and save what it says (shown)."""
    data = _terms_data(request, user)
    calendar = sent.get("calendar")
    upload = calendar if isinstance(calendar, UploadFile) else None
    name = ((upload and upload.filename) or "the calendar").rsplit("/", 1)[-1][:80]
    try:
        if not name.lower().endswith(".ics"):
            raise SetupError(
                "calendar", N_("%(file)s: choose the calendar's .ics file."), file=name
            )
        try:
            blob = upload.file.read(MAX_ICS_BYTES + 1) if upload else b""
            read = read_term_calendar(blob, name)
        except CalendarError as exc:
            values: dict[str, Any] = dict(exc.values)  # what the reader's sentence names
            raise SetupError("calendar", exc.message, **values) from None
        if not read.terms:  # the reader's last note says so, in these words
            raise SetupError(
                "calendar",
                N_(
                    "%(file)s: no term dates found (events named like 'Autumn term begins' and "
                    "'Autumn term ends', or one event spanning the term). Nothing was changed: "
                    "type the term dates instead."
                ),
                file=name,
            )

        def change(school: dict[str, Any]) -> None:
            school.update(terms=read.terms, inset_days=read.inset_days, holidays=read.holidays)

        save_change(request, user, change, f"term dates read from {name}")
    except SetupError as exc:
        return failed(request, "admin_terms.html", data, exc)
    data = _terms_data(request, user, read=read, calendar_name=name)
    return show(request, "admin_terms.html", data)


router.get("/admin/terms", include_in_schema=False)(page_route("admin_terms.html", _terms_data))
router.post("/admin/terms", include_in_schema=False)(form_route(_terms_saved))
router.post("/admin/terms/calendar", include_in_schema=False)(
    form_route(_calendar_read, max_files=1)
)
