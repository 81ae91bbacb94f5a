"""Pages for the decisions register (leadership only), recurring tasks (emailed links) and
visitors (a public page per school, and a QR poster for reception).

Deny by default: every /decisions page needs a signed-in DSL, deputy DSL or headteacher of the
decision's school (401 signed out, 403 other roles, 404 another school's decision); every view
and change is audited without contents. Opening a task link records nothing; only its button
does. The visitor page needs no account or JavaScript and is rate limited per address.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.core import audit
from bot.core.clock import local_today
from bot.core.config import ConfigError, SchoolConfig
from bot.core.links import LinkClaims, LinkExpiredError, LinkInvalidError, make_token, read_token
from bot.core.messages import human_date, notice
from bot.core.models import (
    Decision,
    DecisionAttachment,
    Duty,
    Person,
    PersonRole,
    TaskCompletion,
    utcnow,
)
from bot.core.permissions import LEADERSHIP, POSTER_PRINTERS
from bot.core.uploads import (
    MAX_FILE_BYTES,
    AttachmentError,
    CleanFile,
    clean_attachment,
    remove_files,
)
from bot.features import extras
from bot.features.reports.intake import RateLimiter
from bot.web.deps import (
    check_csrf,
    client_ip,
    ctx,
    current_user,
    render,
    require_roles,
)
from bot.web.links import deliver_soon, fresh_link_page, queue_fresh_link

__all__ = ["router"]

router = APIRouter()

MAX_FILES = 5
MAX_TEXT_PART = 64 * 1024
PAGE_SIZE = 50
VISIT_LIMIT = 10  # confirmations per address ...
VISIT_WINDOW = 600.0  # ... per 10 minutes
POSTER_ROLES = POSTER_PRINTERS


# --------------------------------------------------------------------------- helpers


def _school(request: Request, school_id: str) -> SchoolConfig | None:
    try:
        return ctx(request).config.school(school_id)
    except (KeyError, ConfigError):
        return None


def _leader(request: Request) -> tuple[Person, SchoolConfig]:
    """The signed-in DSL, deputy or headteacher and their school (401/403 otherwise)."""
    person = require_roles(request, LEADERSHIP)
    school = _school(request, person.school_id)
    if school is None:
        raise HTTPException(404, "Your school is not set up here.")
    return person, school


async def _read_form(request: Request) -> FormData:
    """Parse a (multipart) form with tight limits; unreadable bodies are a clear 4xx."""
    try:
        return await request.form(
            max_files=MAX_FILES + 2, max_fields=40, max_part_size=MAX_TEXT_PART
        )
    except StarletteHTTPException as exc:
        if "maximum size" in str(exc.detail):
            raise HTTPException(413, "One of the boxes has too much text.") from None
        raise HTTPException(400, f"Too much was sent at once: at most {MAX_FILES} files.") from None


async def _fields_and_files(
    form: FormData,
) -> tuple[dict[str, str], list[CleanFile], str | None]:
    """Text fields, checked files, and one message about files that were refused."""
    fields: dict[str, str] = {}
    uploads: list[UploadFile] = []
    for key, value in form.multi_items():
        if isinstance(value, str):
            if key != "files":
                fields.setdefault(key, value)
        elif key == "files" and (value.filename or (value.size or 0) > 0):
            uploads.append(value)
    if len(uploads) > MAX_FILES:
        return fields, [], f"Attach at most {MAX_FILES} files ({len(uploads)} were chosen)."
    files: list[CleanFile] = []
    problems: list[str] = []
    for upload in uploads:
        data = await upload.read(MAX_FILE_BYTES + 1)
        try:
            files.append(clean_attachment(upload.filename or "", data))
        except AttachmentError as exc:
            problems.append(str(exc))
    if problems:
        return fields, [], " ".join(problems) + " Please choose the files again."
    return fields, files, None


def _leaders(session: Session, school_id: str) -> dict[int, str]:
    """Who may decide: active DSLs, deputies and headteachers of the school (id -> name)."""
    rows = session.execute(
        select(Person.id, Person.display_name)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            Person.school_id == school_id,
            Person.active.is_(True),
            PersonRole.role.in_(LEADERSHIP),
        )
        .order_by(Person.display_name)
    ).all()
    return {pid: name for pid, name in rows}


def _people(session: Session, school_id: str) -> dict[int, str]:
    rows = session.execute(
        select(Person.id, Person.display_name)
        .where(Person.school_id == school_id, Person.active.is_(True))
        .order_by(Person.display_name)
    ).all()
    return {pid: name for pid, name in rows}


def _audit(
    session: Session,
    person: Person,
    action: str,
    object_id: int | None,
    school_id: str,
    **details: Any,
) -> None:
    audit.record(
        session,
        actor=person.email,
        action=action,
        object_type="decision",
        object_id=object_id,
        school_id=school_id,
        details=details,
    )


def _about(decision: Decision) -> str:
    if decision.subject_person is not None:
        return decision.subject_person.display_name
    return decision.subject_name or "—"


# --------------------------------------------------------------------------- decisions


@router.get("/decisions", include_in_schema=False)
def decisions_list(request: Request, status: str = "open", page: int = 1) -> Response:
    """The register: open decisions first by review date, due and overdue ones highlighted."""
    person, school = _leader(request)
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
                "reference": extras.decision_reference(d.id),
                "kind": extras.SHORT_KINDS.get(d.kind, d.kind),
                "about": _about(d),
                "decided_by": d.decided_by.display_name,
                "decided_on": d.decided_on,
                "review_on": d.review_on,
                "state": extras.review_state(d.review_on, d.status, today),
            }
            for d in decisions
        ]
        counts = extras.dashboard_counts(session, school.id, today)
        overdue = int(
            session.scalar(
                select(func.count())
                .select_from(Decision)
                .where(
                    Decision.school_id == school.id,
                    Decision.status == "open",
                    Decision.review_on < today,
                )
            )
            or 0
        )
        _audit(
            session,
            person,
            "decisions.listed",
            None,
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
            "due": counts["decisions_due"] - overdue,
            "overdue": overdue,
            "human_date": human_date,
        },
    )


def _new_form(
    request: Request,
    school: SchoolConfig,
    person: Person,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with ctx(request).store.session() as session:
        leaders = _leaders(session, school.id)
        people = _people(session, school.id)
    today = local_today(utcnow())
    defaults = {"decided_on": today.isoformat(), "decided_by_id": str(person.id)}
    return render(
        request,
        "decision_new.html",
        {
            "school": school,
            "kinds": extras.DECISION_KINDS,
            "subject_types": extras.SUBJECT_TYPES,
            "years": extras.YEAR_GROUPS,
            "leaders": leaders,
            "people": people,
            "v": {**defaults, **(values or {})},
            "errors": errors or {},
            "max_files": MAX_FILES,
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


@router.get("/decisions/new", include_in_schema=False)
def decision_new(request: Request) -> Response:
    """The form to record a decision or exception."""
    person, school = _leader(request)
    return _new_form(request, school, person)


@router.post("/decisions/new", include_in_schema=False)
async def decision_create(request: Request) -> Response:
    """Check and store a decision with its files, then show it."""
    person, school = _leader(request)
    form = await _read_form(request)
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    fields, files, file_problem = await _fields_and_files(form)
    context = ctx(request)
    today = local_today(utcnow())

    def store() -> Response:
        """Validate, then store in one transaction (files removed if it does not commit)."""
        with context.store.session() as session:
            leaders, people = _leaders(session, school.id), _people(session, school.id)
        errors: dict[str, str] = {}
        try:
            data = extras.validate_decision(
                fields, leaders=leaders, people=people, has_files=bool(files), today=today
            )
        except extras.DecisionInputError as exc:
            errors = dict(exc.errors)
        if file_problem:
            errors["files"] = file_problem
        if errors:
            return _new_form(request, school, person, values=fields, errors=errors, status_code=422)
        written: list[Any] = []
        try:
            with context.store.transaction() as session:
                decision = extras.create_decision(session, school, data, person, today)
                written = extras.store_attachments(
                    session, decision, files, context.settings.uploads_dir, person.email
                )
                if written:
                    _audit(
                        session,
                        person,
                        "decision.files_added",
                        decision.id,
                        school.id,
                        count=len(written),
                    )
                decision_id = decision.id
        except BaseException:
            remove_files(written)
            raise
        return RedirectResponse(f"/decisions/{decision_id}?saved=1", status_code=303)

    return await run_in_threadpool(store)


def _load(session: Session, school: SchoolConfig, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None or decision.school_id != school.id:
        raise HTTPException(404, "There is no such decision in your school's register.")
    return decision


def _detail(
    request: Request,
    session: Session,
    school: SchoolConfig,
    decision: Decision,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    today = local_today(utcnow())
    return render(
        request,
        "decision_detail.html",
        {
            "school": school,
            "d": decision,
            "reference": extras.decision_reference(decision.id),
            "kind": extras.DECISION_KINDS.get(decision.kind, decision.kind),
            "short_kind": extras.SHORT_KINDS.get(decision.kind, decision.kind),
            "subject_type": extras.SUBJECT_TYPES.get(decision.subject_type, ""),
            "about": _about(decision),
            "state": extras.review_state(decision.review_on, decision.status, today),
            "reviews": [(r, r.reviewed_by.display_name) for r in decision.reviews],
            "attachments": decision.attachments,
            "human_date": human_date,
            "saved": request.query_params.get("saved"),
            "v": values or {},
            "errors": errors or {},
            "max_files": MAX_FILES,
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


@router.get("/decisions/{decision_id}", include_in_schema=False)
def decision_detail(request: Request, decision_id: int) -> Response:
    """One decision, its reviews and files, and the form to record a review (audited)."""
    person, school = _leader(request)
    with ctx(request).store.transaction() as session:
        decision = _load(session, school, decision_id)
        _audit(session, person, "decision.viewed", decision.id, school.id)
        return _detail(request, session, school, decision)


@router.post("/decisions/{decision_id}/review", include_in_schema=False)
async def decision_review(request: Request, decision_id: int) -> Response:
    """Record a review (a new review date, or closed), with any new files."""
    person, school = _leader(request)
    form = await _read_form(request)
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    fields, files, file_problem = await _fields_and_files(form)
    context = ctx(request)
    today = local_today(utcnow())

    def store() -> Response:
        """Validate and record the review in one transaction."""
        written: list[Any] = []
        try:
            with context.store.transaction() as session:
                decision = _load(session, school, decision_id)
                errors: dict[str, str] = {}
                try:
                    outcome, next_on, notes = extras.validate_review(fields, today)
                except extras.DecisionInputError as exc:
                    errors = dict(exc.errors)
                if file_problem:
                    errors["files"] = file_problem
                if errors:
                    _audit(session, person, "decision.viewed", decision.id, school.id)
                    return _detail(
                        request,
                        session,
                        school,
                        decision,
                        values=fields,
                        errors=errors,
                        status_code=422,
                    )
                extras.review_decision(session, decision, person, outcome, next_on, notes, today)
                written = extras.store_attachments(
                    session, decision, files, context.settings.uploads_dir, person.email
                )
                if written:
                    _audit(
                        session,
                        person,
                        "decision.files_added",
                        decision.id,
                        school.id,
                        count=len(written),
                    )
        except BaseException:
            remove_files(written)
            raise
        return RedirectResponse(f"/decisions/{decision_id}?saved=1", status_code=303)

    return await run_in_threadpool(store)


@router.get("/decisions/{decision_id}/files/{attachment_id}", include_in_schema=False)
def decision_file(request: Request, decision_id: int, attachment_id: int) -> Response:
    """Download one of a decision's files (leadership only, audited)."""
    person, school = _leader(request)
    context = ctx(request)
    with context.store.transaction() as session:
        decision = _load(session, school, decision_id)
        attachment = session.get(DecisionAttachment, attachment_id)
        if attachment is None or attachment.decision_id != decision.id:
            raise HTTPException(404, "There is no such file on this decision.")
        path = extras.attachment_path(context.settings.uploads_dir, attachment)
        if not path.is_file():
            raise HTTPException(410, "This file is no longer stored.")
        data = path.read_bytes()
        _audit(
            session,
            person,
            "decision.file_downloaded",
            decision.id,
            school.id,
            attachment=attachment.id,
        )
    safe = "".join(c for c in attachment.filename if c.isalnum() or c in "._-") or "attachment"
    return Response(
        data,
        media_type=attachment.content_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


# --------------------------------------------------------------------------- recurring tasks


def _claims(request: Request, token: str) -> LinkClaims:
    settings = ctx(request).settings
    return read_token(settings.signing_key(), "task", token, settings.link_max_age_days * 86400)


def _invalid(request: Request) -> Response:
    return render(request, "link_invalid.html", {}, status_code=400)


def _expired(request: Request, token: str) -> Response:
    return render(request, "task_expired.html", {"token": token}, status_code=410)


def _task_duty(session: Session, claims: LinkClaims) -> tuple[Person, Duty]:
    duty = session.get(Duty, claims.duty_id) if claims.duty_id else None
    if duty is None or duty.person_id != claims.person_id or duty.kind != "recurring_task":
        raise LinkInvalidError("link does not match a task")
    person = session.get(Person, duty.person_id)
    if person is None:
        raise LinkInvalidError("link target missing")
    return person, duty


def _task_context(
    request: Request, session: Session, person: Person, duty: Duty, token: str
) -> dict[str, Any]:
    school = ctx(request).config.school(person.school_id)
    cfg = extras.task_config(school, duty.requirement.key)
    owner_ids = extras.task_owner_ids(session, school.id, cfg)
    shared = person.id in owner_ids
    others = session.scalars(
        select(Person.display_name).where(
            Person.id.in_(owner_ids - {person.id}), Person.active.is_(True)
        )
    ).all()
    last_query = (
        select(TaskCompletion.at, Person.display_name)
        .join(Person, Person.id == TaskCompletion.person_id)
        .where(TaskCompletion.requirement_id == duty.requirement_id)
        .order_by(TaskCompletion.at.desc())
    )
    if not shared:  # each owes their own: only their own history is theirs to see
        last_query = last_query.where(TaskCompletion.person_id == person.id)
    last = session.execute(last_query).first()
    today = local_today(utcnow())
    return {
        "person": person,
        "duty": duty,
        "title": duty.requirement.title,
        "period": extras.cycle_label(cfg, duty.cycle),
        "due_text": human_date(duty.due_on),
        "overdue": duty.due_on < today,
        "shared_with": sorted(others) if shared else [],
        "last": (human_date(local_today(last[0])), last[1]) if last else None,
        "token": token,
        "school": school,
    }


def _task_closed(request: Request, session: Session, person: Person, duty: Duty) -> Response:
    school = ctx(request).config.school(person.school_id)
    cfg = extras.task_config(school, duty.requirement.key)
    period = extras.cycle_label(cfg, duty.cycle)
    if duty.status == "done":
        done_by, done_at = extras.task_done_by(session, duty)
        return render(
            request,
            "task_done.html",
            {
                "title": duty.requirement.title,
                "period": period,
                "already": True,
                "done_by": done_by,
                "done_on": human_date(local_today(done_at)) if done_at else None,
            },
        )
    message = {
        "missed": f"This link was for {period}, which has ended, so it can no longer be "
        "marked done. Your latest email has the link for the current one.",
        "left": "Our records show you have left the school, so nothing more is needed.",
    }.get(duty.closed_reason or "", "Nothing more is needed for this task.")
    return render(request, "info.html", {"title": duty.requirement.title, "message": message})


@router.get("/task/{token}", include_in_schema=False)
def task_page(request: Request, token: str) -> Response:
    """Show the task and a Done button. Records nothing (mail scanners open links)."""
    try:
        claims = _claims(request, token)
    except LinkExpiredError:
        return _expired(request, token)
    except LinkInvalidError:
        return _invalid(request)
    with ctx(request).store.session() as session:
        try:
            person, duty = _task_duty(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status != "open":
            return _task_closed(request, session, person, duty)
        return render(request, "task.html", _task_context(request, session, person, duty, token))


@router.post("/task/renew", include_in_schema=False)
def task_renew(
    request: Request,
    background: BackgroundTasks,
    token: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Email a fresh task link to the address the school holds (never one typed here)."""
    check_csrf(request, csrf_token)
    try:
        claims = _claims(request, token)
    except LinkExpiredError as exc:
        claims = exc.claims
    except LinkInvalidError:
        return _invalid(request)
    context = ctx(request)
    settings = context.settings
    with context.store.transaction() as session:
        try:
            person, duty = _task_duty(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status == "open" and person.active:
            fresh = make_token(settings.signing_key(), "task", person.id, duty.id, None)
            school = context.config.school(person.school_id)
            cfg = extras.task_config(school, duty.requirement.key)
            draft = notice(
                school_name=school.mail_from_name or school.name,
                to=[person.email],
                subject=f"Your new link: {duty.requirement.title}",
                greeting=f"Dear {person.given_name or person.display_name},",
                paragraphs=["You asked for a fresh link. The old one has stopped working."],
                facts=[
                    ("Task", duty.requirement.title),
                    ("For", extras.cycle_label(cfg, duty.cycle)),
                    ("Due", human_date(duty.due_on)),
                ],
                button_url=f"{settings.base_url}/task/{fresh}",
                button_text="Mark as done",
            )
            queue_fresh_link(session, person, duty, "task", draft)
    deliver_soon(request, background)
    return fresh_link_page(request)


@router.post("/task/{token}", include_in_schema=False)
def task_done(request: Request, token: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Record the task as done for its period (once); a second press says 'already done'."""
    check_csrf(request, csrf_token)
    try:
        claims = _claims(request, token)
    except LinkExpiredError:
        return _expired(request, token)
    except LinkInvalidError:
        return _invalid(request)
    user = current_user(request)
    context = ctx(request)
    with context.store.transaction() as session:
        try:
            person, duty = _task_duty(session, claims)
        except LinkInvalidError:
            return _invalid(request)
        if duty.status != "open":
            return _task_closed(request, session, person, duty)
        school = context.config.school(person.school_id)
        cfg = extras.task_config(school, duty.requirement.key)
        result = extras.complete_task(
            session,
            school,
            duty,
            person,
            method="sso" if user is not None and user.id == person.id else "link",
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            now=utcnow(),
        )
        return render(
            request,
            "task_done.html",
            {
                "title": duty.requirement.title,
                "period": extras.cycle_label(cfg, duty.cycle),
                "already": result.already,
                "others": max(result.closed - 1, 0),
                "done_by": result.done_by,
                "done_on": human_date(local_today(result.done_at)) if result.done_at else None,
            },
        )


# --------------------------------------------------------------------------- visitors


def _visit_limiter(request: Request) -> RateLimiter:
    """One limiter per app (so tests and workers stay separate)."""
    found = getattr(request.app.state, "visit_limiter", None)
    if not isinstance(found, RateLimiter):
        found = RateLimiter(VISIT_LIMIT, VISIT_WINDOW)
        request.app.state.visit_limiter = found
    return found


def _public_school(request: Request, school_id: str) -> SchoolConfig:
    school = _school(request, school_id)
    if school is None:
        raise HTTPException(404, "There is no school at this address. Please ask at reception.")
    return school


def _visit_form(
    request: Request,
    school: SchoolConfig,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rules = extras.visitor_rules(school)
    today = local_today(utcnow())
    return render(
        request,
        "visit.html",
        {
            "school": school,
            "rules": extras.rules_blocks(rules),
            "statement": extras.VISITOR_STATEMENT.format(school=school.name),
            "v": {"visit_date": today.isoformat(), **(values or {})},
            "errors": errors or {},
            "retention_days": school.visitor_retention_days,
        },
        status_code=status_code,
    )


@router.get("/visit/{school_id}", include_in_schema=False)
def visit_page(request: Request, school_id: str) -> Response:
    """The school's rules for visitors and a short form to confirm them (no account)."""
    return _visit_form(request, _public_school(request, school_id))


@router.post("/visit/{school_id}", include_in_schema=False)
def visit_confirm(
    request: Request,
    background: BackgroundTasks,
    school_id: str,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=500)] = "",
    organisation: Annotated[str, Form(max_length=500)] = "",
    visit_date: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    agree: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record a visitor's confirmation (rate limited per address) and send a copy if asked."""
    school = _public_school(request, school_id)
    check_csrf(request, csrf_token)
    limiter = _visit_limiter(request)
    key = f"visit:{client_ip(request) or 'unknown'}"
    if not limiter.allowed(key):
        return render(
            request,
            "error.html",
            {
                "status": 429,
                "message": "Several confirmations have just been sent from this connection, so "
                "we have paused the form for a few minutes. Please try again in 10 minutes, or "
                "ask at reception.",
            },
            status_code=429,
        )
    limiter.hit(key)
    fields = {
        "name": name,
        "organisation": organisation,
        "visit_date": visit_date,
        "email": email,
        "agree": agree,
    }
    today = local_today(utcnow())
    try:
        data = extras.validate_visit(fields, today)
    except extras.VisitInputError as exc:
        return _visit_form(request, school, values=fields, errors=exc.errors, status_code=422)
    with ctx(request).store.transaction() as session:
        assurance = extras.record_visit(session, school, data, utcnow())
        reference = f"VIS-{assurance.id:06d}"
    if data.email:
        deliver_soon(request, background)
    return render(
        request,
        "visit_done.html",
        {
            "school": school,
            "name": data.name,
            "visit_date": human_date(data.visit_date),
            "reference": reference,
            "copy": data.email is not None,
        },
    )


@router.get("/visit/{school_id}/poster", include_in_schema=False)
def visit_poster(request: Request, school_id: str) -> Response:
    """A printable poster for reception with a QR code to the visitor page."""
    person = require_roles(request, POSTER_ROLES)
    school = _public_school(request, school_id)
    if person.school_id != school.id:
        raise HTTPException(403, "This poster belongs to another school.")
    import qrcode
    import qrcode.image.svg

    url = f"{ctx(request).settings.base_url}/visit/{school.id}"
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=20)
    return render(
        request,
        "visit_poster.html",
        {
            "school": school,
            "url": url,
            "qr_svg": svg.to_string().decode(),
            "rules": extras.rules_blocks(extras.visitor_rules(school)),
        },
    )
