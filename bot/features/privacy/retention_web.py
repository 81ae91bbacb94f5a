"""The retention schedule's page (/privacy/schedule): each kind of record, how long it is kept,
from which event, and the source of its default; for the DPO and the head only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.engine.web.access import signed_in
from bot.engine.web.deps import render
from bot.features.privacy.retention import schedule_rows

__all__ = ["router"]

router = APIRouter()

# who reads the schedule: the school's Data Protection Officer and the head (#93 item 6)
READERS = frozenset({"dpo", "headteacher"})


@router.get("/privacy/schedule", include_in_schema=False)
def retention_schedule(request: Request) -> Response:
    """The school's retention schedule, its own choices marked."""
    _, school = signed_in(request, READERS)
    rows = schedule_rows(school)
    return render(request, "retention_schedule.html", {"school": school, "rows": rows})
