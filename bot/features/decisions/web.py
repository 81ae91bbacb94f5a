"""The decisions register's pages (leadership only): the list, recording a decision with its
files, one decision with its reviews, recording a review, and downloading a file.

Deny by default: every /decisions page needs a signed-in DSL, deputy DSL or headteacher of the
decision's school (401 signed out, 403 other roles, 404 another school's decision); every view
and change is audited without contents.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core.config import SchoolConfig
from bot.core.days.clock import local_today
from bot.core.files.stored_files import remove_files
from bot.core.files.uploads import MAX_FILE_BYTES, CleanFile
from bot.core.guards.forms import Text
from bot.core.guards.permissions import LEADERSHIP
from bot.core.language.i18n import N_, Joined, Msg
from bot.core.models import Decision, DecisionAttachment, Person, utcnow
from bot.engine.web.access import signed_in
from bot.engine.web.deps import ctx, render
from bot.engine.web.forms import (
    checked_files,
    download,
    form_key,
    page_key,
    read_form,
    split_form,
    stored_bytes,
)
from bot.features.decisions import rules, service

__all__ = ["router"]

router = APIRouter()

MAX_FILES = 5
PAGE_SIZE = 50
# what the forms' file boxes say they take
FILE_LIMITS = {"max_files": MAX_FILES, "max_mb": MAX_FILE_BYTES // (1024 * 1024)}


# --------------------------------------------------------------------------- helpers


async def _fields_and_files(
    request: Request,
) -> tuple[dict[str, str], list[CleanFile], Text | None]:
    """The posted form (its CSRF token checked): text fields, checked files, and one message
    about files that were refused."""
    form = await read_form(
        request,
        max_files=MAX_FILES,
        spare=2,
        max_fields=40,
        max_part_size=64 * 1024,
        too_long=N_("One of the boxes has too much text."),
        unreadable=Msg("Too much was sent at once: at most %(files)s files.", files=str(MAX_FILES)),
    )
    texts, uploads, _ = split_form(form, "files")  # anything else sent is left unread
    files, problem = await checked_files(uploads, MAX_FILES)
    return {key: values[0] for key, values in texts.items()}, files, problem


def _about(decision: Decision) -> Text:
    """Who the decision is about; a pupil's stored year group ('JS, Year 3') said where
    shown."""
    if decision.subject_person is not None:
        return decision.subject_person.display_name
    name = decision.subject_name or "—"
    if decision.subject_type == "pupil" and ", " in name:
        initials, year = name.rsplit(", ", 1)
        return Joined((initials, ", ", rules.year_group(year)))
    return name


# --------------------------------------------------------------------------- decisions


@router.get("/decisions", include_in_schema=False)
def decisions_list(request: Request, status: str = "open", page: int = 1) -> Response:
    """The register: open decisions first by review date, due and overdue ones highlighted."""
    person, school = signed_in(request, LEADERSHIP)
    status = status if status in ("open", "closed", "all") else "open"
    today = local_today(utcnow())
    with ctx(request).store.transaction() as session:
        query = select(Decision).where(Decision.school_id == school.id)
        if status != "all":
            query = query.where(Decision.status == status)
        total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(page, 1), pages)
        decisions = session.scalars(
            query.order_by(Decision.status.desc(), Decision.review_on, Decision.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        rows = [
            {
                "id": d.id,
                "reference": rules.decision_reference(d.id),
                "kind": rules.SHORT_KINDS.get(d.kind, d.kind),
                "about": _about(d),
                "decided_by": d.decided_by.display_name,
                "decided_on": d.decided_on,
                "review_on": d.review_on,
                "state": rules.review_state(d.review_on, d.status, today),
            }
            for d in decisions
        ]
        due = service.count_decisions_due(session, school.id, today)
        overdue = service.count_decisions_overdue(session, school.id, today)
        service.audit_decision(
            session,
            person.email,
            "decisions.listed",
            school.id,
            status=status,
            page=page,
            shown=len(rows),
        )
    return render(
        request,
        "decisions.html",
        {
            "school": school,
            "rows": rows,
            "status": status,
            "page": page,
            "pages": pages,
            "total": total,
            "due": due - overdue,
            "overdue": overdue,
        },
    )


def _new_form(
    request: Request,
    school: SchoolConfig,
    person: Person,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Text] | None = None,
    status_code: int = 200,
) -> Response:
    with ctx(request).store.session() as session:
        leaders = service.decision_makers(session, school.id)
        people = service.active_people(session, school.id)
    today = local_today(utcnow())
    defaults = {"decided_on": today.isoformat(), "decided_by_id": str(person.id)}
    return render(
        request,
        "decision_new.html",
        {
            "school": school,
            "kinds": rules.DECISION_KINDS,
            "subject_types": rules.SUBJECT_TYPES,
            "years": {y: rules.year_group(y) for y in rules.YEAR_GROUPS},
            "leaders": leaders,
            "people": people,
            "v": {**defaults, **(values or {})},
            "once": page_key((values or {}).get("once")),
            "errors": errors or {},
            **FILE_LIMITS,
        },
        status_code=status_code,
    )


@router.get("/decisions/new", include_in_schema=False)
def decision_new(request: Request) -> Response:
    """The form to record a decision or exception."""
    person, school = signed_in(request, LEADERSHIP)
    return _new_form(request, school, person)


@router.post("/decisions/new", include_in_schema=False)
async def decision_create(request: Request) -> Response:
    """Check and store a decision with its files, then show it."""
    person, school = await run_in_threadpool(signed_in, request, LEADERSHIP)
    fields, files, file_problem = await _fields_and_files(request)
    context = ctx(request)
    today = local_today(utcnow())
    once = form_key(fields.get("once"))

    def before() -> int | None:
        """The decision this same form stored before (sent twice), or None."""
        if once is None:
            return None
        with context.store.session() as session:
            return service.sent_before(session, school.id, once)

    def store() -> Response:
        """Validate, then store in one transaction (files removed if it does not commit)."""
        if (first := before()) is not None:  # sent again: stored once, its files with it
            return RedirectResponse(f"/decisions/{first}?saved=1", status_code=303)
        with context.store.session() as session:
            leaders = service.decision_makers(session, school.id)
            people = service.active_people(session, school.id)
        errors: dict[str, Text] = {}
        try:
            data = rules.validate_decision(
                fields, leaders=leaders, people=people, has_files=bool(files), today=today
            )
        except rules.DecisionInputError as exc:
            errors = dict(exc.errors)
        if file_problem:
            errors["files"] = file_problem
        if errors:
            return _new_form(request, school, person, values=fields, errors=errors, status_code=422)
        written: list[Any] = []
        try:
            with context.store.transaction() as session:
                decision = service.create_decision(session, school, data, person, today, once)
                written = service.store_attachments(
                    session, decision, files, context.settings.uploads_dir, person.email
                )
                decision_id = decision.id
        except BaseException as exc:
            remove_files(written)
            # unless the same form, sent at the same moment, stored it
            first = before() if isinstance(exc, IntegrityError) else None
            if first is None:
                raise
            decision_id = first
        return RedirectResponse(f"/decisions/{decision_id}?saved=1", status_code=303)

    return await run_in_threadpool(store)


def _load(session: Session, school: SchoolConfig, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None or decision.school_id != school.id:
        raise HTTPException(404, N_("There is no such decision in your school's register."))
    return decision


def _detail(
    request: Request,
    session: Session,
    school: SchoolConfig,
    person: Person,
    decision: Decision,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Text] | None = None,
    status_code: int = 200,
) -> Response:
    """The decision's page, its view audited."""
    service.audit_decision(session, person.email, "decision.viewed", school.id, decision.id)
    today = local_today(utcnow())
    return render(
        request,
        "decision_detail.html",
        {
            "school": school,
            "d": decision,
            "reference": rules.decision_reference(decision.id),
            "kind": rules.DECISION_KINDS.get(decision.kind, decision.kind),
            "short_kind": rules.SHORT_KINDS.get(decision.kind, decision.kind),
            "subject_type": rules.SUBJECT_TYPES.get(decision.subject_type, ""),
            "about": _about(decision),
            "state": rules.review_state(decision.review_on, decision.status, today),
            "reviews": [(r, r.reviewed_by.display_name) for r in decision.reviews],
            "attachments": decision.attachments,
            "saved": request.query_params.get("saved"),
            "v": values or {},
            "errors": errors or {},
            **FILE_LIMITS,
        },
        status_code=status_code,
    )


@router.get("/decisions/{decision_id}", include_in_schema=False)
def decision_detail(request: Request, decision_id: int) -> Response:
    """One decision, its reviews and files, and the form to record a review (audited)."""
    person, school = signed_in(request, LEADERSHIP)
    with ctx(request).store.transaction() as session:
        decision = _load(session, school, decision_id)
        return _detail(request, session, school, person, decision)


@router.post("/decisions/{decision_id}/review", include_in_schema=False)
async def decision_review(request: Request, decision_id: int) -> Response:
    """Record a review (a new review date, or closed), with any new files."""
    person, school = await run_in_threadpool(signed_in, request, LEADERSHIP)
    fields, files, file_problem = await _fields_and_files(request)
    context = ctx(request)
    today = local_today(utcnow())

    def store() -> Response:
        """Validate and record the review in one transaction."""
        written: list[Any] = []
        try:
            with context.store.transaction() as session:
                decision = _load(session, school, decision_id)
                errors: dict[str, Text] = {}
                try:
                    outcome, next_on, notes = rules.validate_review(fields, today)
                except rules.DecisionInputError as exc:
                    errors = dict(exc.errors)
                if file_problem:
                    errors["files"] = file_problem
                if errors:
                    return _detail(
                        request,
                        session,
                        school,
                        person,
                        decision,
                        values=fields,
                        errors=errors,
                        status_code=422,
                    )
                service.review_decision(session, decision, person, outcome, next_on, notes, today)
                written = service.store_attachments(
                    session, decision, files, context.settings.uploads_dir, person.email
                )
        except BaseException:
            remove_files(written)
            raise
        return RedirectResponse(f"/decisions/{decision_id}?saved=1", status_code=303)

    return await run_in_threadpool(store)


@router.get("/decisions/{decision_id}/files/{attachment_id}", include_in_schema=False)
def decision_file(request: Request, decision_id: int, attachment_id: int) -> Response:
    """Download one of a decision's files (leadership only, audited)."""
    person, school = signed_in(request, LEADERSHIP)
    context = ctx(request)
    with context.store.transaction() as session:
        decision = _load(session, school, decision_id)
        attachment = session.get(DecisionAttachment, attachment_id)
        if attachment is None or attachment.decision_id != decision.id:
            raise HTTPException(404, N_("There is no such file on this decision."))
        data = stored_bytes(context.settings.uploads_dir, "decisions", attachment)
        service.audit_decision(
            session,
            person.email,
            "decision.file_downloaded",
            school.id,
            decision.id,
            attachment=attachment.id,
        )
    return download(data, attachment.filename, attachment.content_type)
