"""The complaint pages: the public form (``/complaint/<school>``: no account, no JavaScript,
rate limited like the report form), the staff route (``/complaints/new``: any signed-in
person records a complaint made to them by letter, phone or in person), and the readers' pages
(the list, one complaint and its actions, the counts per period) — readers only
(``complaints.readers``); anyone else gets a plain 403 page and the refusal is audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time, timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON, local_instant, local_today
from bot.core.guards.forms import FormErrors, Text, parse_iso_date
from bot.core.guards.ratelimit import RateLimit, limit_key, take
from bot.core.language.i18n import N_, Lazy, Msg
from bot.core.language.words import csv_text, said_words, school_words
from bot.core.models import Complaint, Person, utcnow
from bot.core.nations import pack_for
from bot.engine.web.access import signed_in
from bot.engine.web.deps import client_ip, ctx, error_page, render
from bot.engine.web.forms import download, form_key, page_key, read_fields, school_for
from bot.engine.web.links import deliver_soon
from bot.features.privacy.rules import (
    ACK_HOW,
    CHANNELS,
    COUNT_HEADER,
    PERIODS,
    REFERENCE,
    RELATIONSHIPS,
    reads_like_safeguarding,
    validate,
)
from bot.features.privacy.service import (
    ComplaintError,
    acknowledge,
    audit_complaint,
    complaint_counts,
    find,
    law_sets_period,
    listing,
    receive,
    record_outcome,
    sent_before,
    set_outcome_due,
    words_for,
)

__all__ = ["COMPLAINT_RATE", "RIGHTS_READERS", "listed", "reader", "router"]

router = APIRouter()
# as the report form's: 5 per address in any 10 minutes, counted in the database
COMPLAINT_RATE = RateLimit("complaint", 5, timedelta(minutes=10))
_NOON = time(12)  # a day given without a time: its middle, whatever the clocks do


def _public_school(request: Request, school_id: str) -> SchoolConfig:
    school = school_for(request, school_id)
    if school is None or not school.complaints.public_form:
        raise HTTPException(
            404,
            N_(
                "This school does not take data protection complaints "
                "here. Please write to the school office."
            ),
        )
    return school


def _form(
    request: Request,
    school: SchoolConfig,
    *,
    staff: bool,
    errors: Mapping[str, Text] | None = None,
    values: dict[str, str] | None = None,
    safeguarding: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "complaint_form.html",
        {
            "school": school,
            "staff": staff,
            "errors": errors or {},
            "v": values or {},
            "once": page_key((values or {}).get("once")),
            "relationships": RELATIONSHIPS,
            "channels": CHANNELS,
            "safeguarding": safeguarding,
            "action": "/complaints/new" if staff else f"/complaint/{school.id}",
            "concern_form": "/report" if staff else f"/report/{school.id}",
            "readers": words_for(school),
            "words": school_words(school),
            "sources": [(s.title, s.url) for s in pack_for(school.country).complaints.law],
            "own_target": not law_sets_period(school),
        },
        status_code=status_code,
    )


@router.get("/complaint", include_in_schema=False)
def complaint_start(request: Request) -> Response:
    """The public form of the one school, or a choice of schools."""
    schools = [s for s in ctx(request).config.schools if s.complaints.public_form]
    if len(schools) == 1:
        return RedirectResponse(f"/complaint/{schools[0].id}", status_code=303)
    if not schools:
        raise HTTPException(404, N_("No school takes data protection complaints here."))
    return render(request, "complaint_choose.html", {"schools": schools})


@router.get("/complaint/{school_id}", include_in_schema=False)
def complaint_form(request: Request, school_id: str) -> Response:
    """The public complaint form (no account needed)."""
    return _form(request, _public_school(request, school_id), staff=False)


class _OverTheLimit(Exception):
    """Too many complaints from one sender: the one being stored is rolled back."""


async def _submit(
    request: Request, background: BackgroundTasks, school: SchoolConfig, user: Person | None
) -> Response:
    fields = await read_fields(request)
    return await run_in_threadpool(_submitted, request, background, school, user, fields)


def _submitted(
    request: Request,
    background: BackgroundTasks,
    school: SchoolConfig,
    user: Person | None,
    fields: dict[str, str],
) -> Response:
    """``_submit``'s checks, storing and page, on a page thread."""
    staff = user is not None
    try:
        sub = validate(fields, email_required=not staff)
    except FormErrors as exc:
        return _form(
            request, school, staff=staff, errors=exc.errors, values=fields, status_code=422
        )
    received = None
    channel = "form"
    if staff:
        channel = fields.get("channel", "")
        day = parse_iso_date(fields.get("received"))
        today = local_today(utcnow())
        problems = {}
        if channel not in CHANNELS or channel == "form":
            problems["channel"] = N_("Choose how the complaint reached you.")
        if day is None or day > today or (today - day).days > 365:
            problems["received"] = N_("Give the day it arrived (YYYY-MM-DD, today or before).")
        if problems:
            return _form(
                request, school, staff=True, errors=problems, values=fields, status_code=422
            )
        assert day is not None
        received = utcnow() if day == today else local_instant(day, _NOON)
    if not sub.confirmed and reads_like_safeguarding(sub.text, sub.wanted or ""):
        return _form(request, school, staff=staff, values=fields, safeguarding=True)
    context = ctx(request)
    sender = f"user:{user.id}" if user is not None else f"ip:{client_ip(request) or 'unknown'}"
    key = limit_key(context.settings.signing_key(), COMPLAINT_RATE, sender)
    actor = user.email if user is not None else "public-form"
    once = form_key(fields.get("once"))

    def before() -> tuple[str, bool] | None:
        """The receipt of the complaint this same form stored before (sent twice), or None."""
        if once is None:
            return None
        with context.store.session() as session:
            first = sent_before(session, school.id, once)
            return None if first is None else (first.reference, bool(first.email))

    def store() -> tuple[str, bool] | None:
        try:
            with context.store.transaction() as session:
                complaint = receive(
                    session,
                    school,
                    sub,
                    now=utcnow(),
                    channel=channel,
                    actor=actor,
                    received=received,
                    form_key=once,
                )
                if not take(session, COMPLAINT_RATE, key, utcnow()):
                    raise _OverTheLimit
                return complaint.reference, bool(complaint.email)
        except _OverTheLimit:
            return None
        except IntegrityError:  # the same form, sent at the same moment, stored it
            if (first := before()) is None:
                raise
            return first

    receipt = before() or store()  # sent again: the first one's receipt, nothing queued
    if receipt is None:
        return error_page(
            request,
            429,
            N_(
                "Several complaints have just been sent from here, so the form is paused for a few "
                "minutes. Please try again in 10 minutes."
            ),
            school=school,
        )
    deliver_soon(request, background)  # the acknowledgement goes now, not at the next sweep
    reference, emailed = receipt
    return render(
        request,
        "complaint_received.html",
        {"school": school, "reference": reference, "emailed": emailed, "staff": staff},
    )


@router.post("/complaint/{school_id}", include_in_schema=False)
async def complaint_submit(
    request: Request, background: BackgroundTasks, school_id: str
) -> Response:
    """Receive a complaint through the public form (rate limited per address)."""
    return await _submit(request, background, _public_school(request, school_id), None)


@router.get("/complaints/new", include_in_schema=False)
def staff_form(request: Request) -> Response:
    """Record a complaint someone made to you (any signed-in person; they cannot read it
    back afterwards: only the readers can)."""
    _, school = signed_in(request)
    return _form(request, school, staff=True)


@router.post("/complaints/new", include_in_schema=False)
async def staff_submit(request: Request, background: BackgroundTasks) -> Response:
    """Store a complaint recorded by a member of staff."""
    user, school = await run_in_threadpool(signed_in, request)
    return await _submit(request, background, school, user)


RIGHTS_READERS = frozenset({"dpo", "headteacher"})  # of people's own requests (web_rights)


def reader(request: Request, rights: bool = False) -> tuple[Person, SchoolConfig]:
    """The signed-in reader of complaints (``rights``: of people's requests, ``RIGHTS_READERS``);
    anyone else 403 (their attempt audited in its own transaction)."""
    user, school = signed_in(request)
    if not user.role_names & set(RIGHTS_READERS if rights else school.complaints.readers):
        with ctx(request).store.transaction() as own:
            page = str(getattr(request.scope.get("route"), "path", "?"))
            refused = "privacy.read_refused" if rights else "complaint.read_refused"
            audit_complaint(own, school, user.email, refused, None, page=page)
        if rights:
            headteacher = said_words(school_words(school)).headteacher
            raise HTTPException(
                403,
                Msg(
                    N_(
                        "People's data protection requests are handled only by the data "
                        "protection officer and the %(headteacher)s."
                    ),
                    headteacher=headteacher,
                ),
            )
        raise HTTPException(
            403,
            Msg(
                N_("Data protection complaints are read only by %(readers)s."),
                readers=words_for(school),
            ),
        )
    return user, school


def listed(rows: Iterable[Complaint]) -> list[dict[str, Any]]:
    """The list and detail pages' rows: reference, kind and dates, moments on the school's
    clock (a request logged at 00:30 BST was received that day, not the day before); never
    content."""
    return [
        {
            "reference": c.reference,
            "kind": c.kind,
            "received": c.received_at.astimezone(LONDON),
            "ack_due": c.ack_due_on,
            "acknowledged": c.acknowledged_at and c.acknowledged_at.astimezone(LONDON),
            "outcome_due": c.outcome_due_on,
            "outcome": c.outcome_at and c.outcome_at.astimezone(LONDON),
        }
        for c in rows
    ]


@router.get("/complaints", include_in_schema=False)
def complaints_list(request: Request) -> Response:
    """Every complaint: reference, dates and state (no content); the read is audited."""
    with ctx(request).store.transaction() as session:
        user, school = reader(request)
        shown = listed(listing(session, school, user.email))
    return render(
        request,
        "complaints_list.html",
        {"school": school, "rows": shown, "today": local_today(utcnow())},
    )


def _one(
    request: Request, session: Session, reference: str
) -> tuple[Person, SchoolConfig, Complaint]:
    user, school = reader(request)
    complaint = find(session, school, reference, user.email) if REFERENCE.match(reference) else None
    if complaint is None:
        raise HTTPException(404, N_("There is no complaint with this reference."))
    return user, school, complaint


@router.get("/complaints/counts", include_in_schema=False)
def complaints_counts(request: Request, period: str = "quarter", csv_file: str = "") -> Response:
    """Counts per period for the regulations' reporting (no content); audited."""
    chosen = period if period in PERIODS else "quarter"
    with ctx(request).store.transaction() as session:
        user, school = reader(request)
        counts = complaint_counts(session, school.id, chosen)
        audit_complaint(
            session,
            school,
            user.email,
            "complaint.counts_read",
            None,
            period=chosen,
            csv=bool(csv_file),
        )
    if csv_file:
        body = csv_text(COUNT_HEADER, (c.row() for c in counts)).encode()
        return download(body, f"complaints-by-{chosen}.csv", "text/csv")
    return render(
        request,
        "complaints_counts.html",
        {
            "school": school,
            "counts": counts,
            "period": chosen,
            "periods": PERIODS,
            "header": COUNT_HEADER,
        },
    )


@router.get("/complaints/{reference}", include_in_schema=False)
def complaint_detail(request: Request, reference: str) -> Response:
    """One complaint, its dates and actions; the read is audited."""
    with ctx(request).store.transaction() as session:
        _, school, complaint = _one(request, session, reference)
        return render(
            request,
            "complaint_detail.html",
            {
                "school": school,
                "c": complaint,
                "ack_how": ACK_HOW,
                "channels": CHANNELS,
                "relationships": RELATIONSHIPS,
                "at": listed([complaint])[0],
            },
        )


@router.post("/complaints/{reference}", include_in_schema=False)
async def complaint_action(
    request: Request, background: BackgroundTasks, reference: str
) -> Response:
    """Record the acknowledgement, move the outcome date, or record the outcome; audited."""
    fields = await read_fields(request)

    def act() -> Lazy | None:
        with ctx(request).store.transaction() as session:
            user, school, c = _one(request, session, reference)
            try:  # each action checks its own input; a refusal changes nothing
                action = fields.get("action")
                if action == "acknowledge":
                    today = local_today(utcnow())
                    day = parse_iso_date(fields.get("on")) or today
                    if day > today:
                        raise ComplaintError(N_("The acknowledgement cannot be in the future."))
                    acknowledge(
                        session,
                        school,
                        c,
                        how=fields.get("how", ""),
                        on=local_instant(day, _NOON),
                        actor=user.email,
                    )
                elif action == "outcome_due":
                    set_outcome_due(session, school, c, fields.get("due"), user.email)
                elif action == "outcome":
                    record_outcome(
                        session,
                        school,
                        c,
                        fields.get("outcome", ""),
                        now=utcnow(),
                        actor=user.email,
                    )
                else:
                    raise ComplaintError(N_("Choose what to record."))
            except ComplaintError as exc:
                return exc.msg
        return None

    problem = await run_in_threadpool(act)
    if problem is not None:
        raise HTTPException(422, problem)
    deliver_soon(request, background)
    return RedirectResponse(f"/complaints/{reference}", status_code=303)
