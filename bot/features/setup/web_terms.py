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

from bot.core.config import Term
from bot.core.days.clock import local_today
from bot.core.language.i18n import N_
from bot.core.models import Person, utcnow
from bot.features.setup.answers import typed_lines
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
from bot.features.setup.rules import SetupError
from bot.features.setup.term_calendar import CalendarError, read_term_calendar

__all__ = ["router"]

router = APIRouter()
# the page's boxes: the school's setting each holds, as the answers' model names it
BOXES = {"terms": "dates", "inset_days": "inset_days", "holidays": "holidays"}


def _line(value: Any) -> str:
    """A term or a day as the box shows it, one a line, read back as typed."""
    return f"{value.name}, {value.start}, {value.end}" if isinstance(value, Term) else str(value)


def _terms_data(request: Request, user: Person, **extra: Any) -> dict[str, Any]:
    """Term dates, INSET days and other closures: typed, or from an .ics calendar."""
    school = current_school(request, user.school_id)
    form = {box: "\n".join(map(_line, getattr(school, box))) for box in BOXES}
    return {"school": school, "form": form, "read": None, **extra}


def _terms_saved(request: Request, user: Person, sent: FormData) -> Response:
    """Save the typed term dates, each line taken by the answers' model (``typed_lines``: the
    line at fault named in its words); at least one term."""
    data = _terms_data(request, user)
    form = data["form"] = boxes(sent, dict.fromkeys(BOXES, 20000))  # the most each holds

    def change(school: dict[str, Any]) -> None:
        today = local_today(utcnow())
        for box, name in BOXES.items():
            school[box], problem = typed_lines(name, form[box], today)
            if problem is not None:
                raise SetupError(box, problem)
        if not school["terms"]:  # a cleared box must not wipe the calendar of school days
            raise SetupError(
                "terms",
                N_(
                    "Terms: write at least one term, e.g. “Autumn 1, 2026-09-02, 2026-10-23”: "
                    "reminders go out on school days only, inside a term."
                ),
            )

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
            read = read_term_calendar(upload.file if upload else b"", name)
        except CalendarError as exc:
            raise SetupError("calendar", exc.msg) from None
        if not read.terms:  # the reader's last note says so
            raise SetupError("calendar", read.notes[-1])

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
