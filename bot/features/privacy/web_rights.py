"""The pages of a person's own data-protection requests (subject access; erasure requests
are listed here too): the DPO's and the head's only (``RIGHTS_READERS``), anyone else a plain
403 page with the refusal audited; every read, export and change audited (#93 items 3, 6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.guards.forms import parse_iso_date
from bot.core.language.i18n import N_, Day, Lazy, Msg, person_language, speaking
from bot.core.models import Complaint, Person, utcnow
from bot.engine.web.deps import ctx, render
from bot.engine.web.forms import download, read_fields
from bot.features.privacy.access import AccessError, Held, find_person, gather, open_request
from bot.features.privacy.erasure import ERASED_NOW, KEPT, NOTHING_ERASED, HoldError, erase
from bot.features.privacy.export import export_zip
from bot.features.privacy.rules import KINDS, one_month_after
from bot.features.privacy.service import (
    ComplaintError,
    audit_complaint,
    find,
    listing,
    set_outcome_due,
)
from bot.features.privacy.web import listed, reader

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
        if not refused:
            return {"said": [Msg(ERASED_NOW, person=asked)]}
        lines = [Msg(KEPT, record=r.record, rule=r.rule, until=r.until) for r in refused]
        return {**kept, "said": [Msg(NOTHING_ERASED), *lines]}

    return await run_in_threadpool(
        _requests_page, request, None, "", erasing=await run_in_threadpool(act)
    )


def _held(
    request: Request, session: Session, reference: str
) -> tuple[Person, SchoolConfig, Complaint, Held, str]:
    """The request and what is held about its person, said in their language."""
    user, school = reader(request, rights=True)
    found = find(session, school, reference, user.email, RIGHTS_KINDS, read=None)
    if found is None or not found.email:
        raise HTTPException(404, N_("There is no request with this reference."))
    try:
        person = find_person(session, school, found.email)
    except AccessError as exc:
        raise HTTPException(404, exc.msg) from None
    language = person_language(school.language, person.language)
    with speaking(language):
        return user, school, found, gather(session, school, person), language


@router.get("/privacy/requests/{reference}", include_in_schema=False)
def rights_detail(request: Request, reference: str) -> Response:
    """One request: its clock, what is held (counts) and what is listed for the DSL's review."""
    with ctx(request).store.transaction() as session:
        user, school, found, held, _ = _held(request, session, reference)
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
        user, school, found, held, language = _held(request, session, reference)
        with speaking(language):
            data = export_zip(held, school.name, found.reference, language, utcnow())
        kinds = {s.filename: len(s.rows) for s in held.sections}
        audit_complaint(session, school, user.email, "privacy.access_exported", found, kinds=kinds)
    return download(data, f"subject-access-{found.reference}.zip", "application/zip")


@router.post("/privacy/requests/{reference}", include_in_schema=False)
async def rights_answered(request: Request, reference: str) -> Response:
    """Record that the request was answered (audited), or move its due date (Art. 12(3))."""
    fields = await read_fields(request)

    def act() -> Lazy | None:
        with ctx(request).store.transaction() as session:
            user, school, found, _, _ = _held(request, session, reference)
            if fields.get("action") == "outcome_due":
                due = parse_iso_date(fields.get("due"))
                if due is None:
                    return Msg(N_("Give the date as YYYY-MM-DD."))
                received = found.received_at.astimezone(LONDON).date()
                latest = one_month_after(one_month_after(one_month_after(received)))
                if due > latest:  # Art. 12(3): one month, and at most two further months
                    return Msg(
                        N_("The law allows at most two further months: answer by %(latest)s."),
                        latest=Day(latest),
                    )
                try:
                    set_outcome_due(session, school, found, due, user.email)
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
