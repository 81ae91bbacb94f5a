"""The pages of a person's own data-protection requests (subject access; erasure requests
are listed here too) and the retention schedule (/privacy/schedule: each kind of record, how
long it is kept, from which event, and the source of its default): the DPO's and the head's
only (``RIGHTS_READERS``), anyone else a plain 403 page (a request's refusal audited); every
read, export and change audited (#93 items 3, 6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.language.i18n import N_, Lazy, Msg, person_language, speaking
from bot.core.models import Complaint, Person, utcnow
from bot.engine.web.access import signed_in
from bot.engine.web.deps import ctx, render
from bot.engine.web.forms import download, read_fields
from bot.features.privacy.access import AccessError, find_person, gather, open_request
from bot.features.privacy.erasure import HoldError, answer_lines, erase
from bot.features.privacy.export import subject_access
from bot.features.privacy.retention import schedule_rows
from bot.features.privacy.rules import KINDS
from bot.features.privacy.service import (
    ComplaintError,
    audit_complaint,
    find,
    listing,
    set_outcome_due,
)
from bot.features.privacy.web import RIGHTS_READERS, listed, reader

__all__ = ["router"]

router = APIRouter()


RIGHTS_KINDS = ("access", "erasure")


def _requests_page(
    request: Request, problem: Lazy | None, asked: str, *, erasing: dict[str, Any] | None = None
) -> Response:
    """The requests page: the list, the forms, and a form's problem with what was typed
    (``erasing``: the erasure form's ``problem``, ``asked``, ``reason`` or its ``said`` lines)."""
    erasing = erasing or {}
    with ctx(request).store.transaction() as session:
        user, school = reader(request, rights=True)
        rows = listed(listing(session, school, user.email, RIGHTS_KINDS))
        return render(
            request,
            "privacy_requests.html",
            {
                "school": school,
                "rows": rows,
                "kinds": KINDS,
                "today": utcnow().astimezone(LONDON).date(),
                "problem": problem,
                "asked": asked,
                "erasing": erasing,
            },
            status_code=422 if problem is not None or "problem" in erasing else 200,
        )


@router.get("/privacy/requests", include_in_schema=False)
def rights_list(request: Request) -> Response:
    """The subject access and erasure requests (no content), and a form to start one."""
    return _requests_page(request, None, "")


@router.post("/privacy/requests", include_in_schema=False)
async def rights_start(request: Request) -> Response:
    """Log a subject access request for a person named by email or name (never a guess)."""
    fields = await read_fields(request)
    asked = fields.get("person", "").strip()

    def start() -> Lazy | str:
        with ctx(request).store.transaction() as session:
            user, school = reader(request, rights=True)
            try:
                person = find_person(session, school, asked)
            except AccessError as exc:
                return exc.msg
            made = open_request(session, school, person, "access", now=utcnow(), actor=user.email)
            return made.reference

    done = await run_in_threadpool(start)
    if not isinstance(done, str):
        return await run_in_threadpool(_requests_page, request, done, asked)
    return RedirectResponse(f"/privacy/requests/{done}", status_code=303)


@router.post("/privacy/erase", include_in_schema=False)
async def rights_erase(request: Request) -> Response:
    """Erase a person's data at their request (Art. 17) where the law allows, with the school's
    reason; where a record must be kept, nothing is erased and the page says which, under what
    rule and until when. Either way the request is tracked and answered (``erase``)."""
    fields = await read_fields(request)
    asked, reason = fields.get("erase", "").strip(), fields.get("reason", "").strip()
    kept = {"asked": asked, "reason": reason}

    def act() -> dict[str, Any]:
        with ctx(request).store.transaction() as session:
            user, school = reader(request, rights=True)
            if fields.get("confirm") != "yes":
                return {**kept, "problem": Msg(N_("Tick the box: an erasure cannot be undone."))}
            try:
                person = find_person(session, school, asked)
                refused = erase(
                    session,
                    school,
                    person.email,
                    reason=reason,
                    by=user.email,
                    outbox_dir=ctx(request).settings.outbox_dir,
                    today=utcnow().astimezone(LONDON).date(),
                )
            except (AccessError, HoldError) as exc:
                return {**kept, "problem": exc.msg}
        said = answer_lines(refused, asked)
        return {**kept, "said": said} if refused else {"said": said}

    return await run_in_threadpool(
        _requests_page, request, None, "", erasing=await run_in_threadpool(act)
    )


def _request(
    request: Request, session: Session, reference: str
) -> tuple[Person, SchoolConfig, Complaint, Person]:
    """The reader, the school, the request and the person it is about (404: none of them)."""
    user, school = reader(request, rights=True)
    found = find(session, school, reference, user.email, RIGHTS_KINDS, read=None)
    if found is None or not found.email:
        raise HTTPException(404, N_("There is no request with this reference."))
    try:
        return user, school, found, find_person(session, school, found.email)
    except AccessError as exc:
        raise HTTPException(404, exc.msg) from None


@router.get("/privacy/requests/{reference}", include_in_schema=False)
def rights_detail(request: Request, reference: str) -> Response:
    """One request: its clock, what is held (counts, said in the person's language) and what
    is listed for the DSL's review."""
    with ctx(request).store.transaction() as session:
        user, school, found, person = _request(request, session, reference)
        with speaking(person_language(school.language, person.language)):
            held = gather(session, school, person)
        audit_complaint(session, school, user.email, "privacy.access_read", found)
        return render(
            request,
            "privacy_request.html",
            {"school": school, "c": found, "at": listed([found])[0], "held": held, "kinds": KINDS},
        )


@router.get("/privacy/requests/{reference}/zip", include_in_schema=False)
def rights_zip(request: Request, reference: str) -> Response:
    """The zip for the person (audited: which kinds, how many rows; never content)."""
    with ctx(request).store.transaction() as session:
        user, school, found, person = _request(request, session, reference)
        data, _ = subject_access(session, school, found, person, user.email, utcnow())
    return download(data, f"subject-access-{found.reference}.zip", "application/zip")


@router.post("/privacy/requests/{reference}", include_in_schema=False)
async def rights_answered(request: Request, reference: str) -> Response:
    """Record that the request was answered (audited), or move its due date (Art. 12(3))."""
    fields = await read_fields(request)

    def act() -> Lazy | None:
        with ctx(request).store.transaction() as session:
            user, school, found, _ = _request(request, session, reference)
            if fields.get("action") == "outcome_due":
                try:
                    set_outcome_due(session, school, found, fields.get("due"), user.email)
                except ComplaintError as exc:
                    return exc.msg
            elif found.outcome_at is None:
                found.outcome_at, found.outcome_how = utcnow(), "other"
                audit_complaint(session, school, user.email, "privacy.access_answered", found)
        return None

    problem = await run_in_threadpool(act)
    if problem is not None:
        raise HTTPException(422, problem)
    return RedirectResponse(f"/privacy/requests/{reference}", status_code=303)


@router.get("/privacy/schedule", include_in_schema=False)
def retention_schedule(request: Request) -> Response:
    """The school's retention schedule, its own choices marked."""
    _, school = signed_in(request, RIGHTS_READERS)
    rows = schedule_rows(school)
    return render(request, "retention_schedule.html", {"school": school, "rows": rows})
