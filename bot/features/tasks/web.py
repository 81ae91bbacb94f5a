"""The recurring task pages behind the signed links in owners' emails: the task and its Done
button, a fresh link when one has expired, and recording the period as done.

Opening a task link records nothing (mail scanners open links); only its button does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import local_today
from bot.core.guards.forms import parse_iso_date
from bot.core.guards.links import LinkClaims, LinkExpiredError, LinkInvalidError, make_token
from bot.core.guards.permissions import REVIEW_RECORDERS
from bot.core.language.i18n import Day, Joined, Msg, nmsg
from bot.core.models import Duty, Person, TaskCompletion, utcnow
from bot.core.rendering.messages import notice
from bot.engine.web.access import signed_in
from bot.engine.web.deps import check_csrf, client_ip, ctx, current_user, render
from bot.engine.web.links import (
    deliver_soon,
    fresh_link_page,
    invalid_link_page,
    link_claims,
    queue_fresh_link,
)
from bot.features.tasks.events import EventError, event_of, event_reviews, record_event
from bot.features.tasks.rules import (
    EVENT_KINDS,
    cycle_label,
    event_kinds,
    event_label,
    pack_reviews,
    task_config,
)
from bot.features.tasks.service import complete_task, task_done_by, task_owner_ids

__all__ = ["router"]

router = APIRouter()


# --------------------------------------------------------------------------- recurring tasks


def _task_duty(session: Session, claims: LinkClaims) -> tuple[Person, Duty]:
    """The person and the task duty a link names; LinkInvalidError if not."""
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
    cfg = task_config(school, duty.requirement.key)
    owner_ids = task_owner_ids(session, school.id, cfg)
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
    event = event_of(session, duty.cycle)  # a review's: its trigger, what happened and when
    return {
        "person": person,
        "duty": duty,
        "title": duty.requirement.title,
        "period": cycle_label(cfg, duty.cycle),
        "due": duty.due_on,
        "overdue": duty.due_on < local_today(utcnow()),
        "shared_with": sorted(others) if shared else [],
        "last": (local_today(last[0]), last[1]) if last else None,
        "token": token,
        "school": school,
        "event": (event_label(event.kind), event.what, event.happened_on)
        if event is not None
        else None,
    }


def _done_page(
    request: Request,
    duty: Duty,
    already: bool,
    done_by: str | None,
    done_at: datetime | None,
    others: int = 0,
) -> Response:
    """The page saying the task is done for its period (by whom, when)."""
    school = ctx(request).config.school(duty.school_id)
    cfg = task_config(school, duty.requirement.key)
    return render(
        request,
        "task_done.html",
        {
            "school": school,  # the page is in its language
            "title": duty.requirement.title,
            "period": cycle_label(cfg, duty.cycle),
            "already": already,
            "others": others,
            "done_by": done_by,
            "done_on": local_today(done_at) if done_at else None,
        },
    )


def _task_closed(request: Request, session: Session, person: Person, duty: Duty) -> Response:
    if duty.status == "done":
        return _done_page(request, duty, True, *task_done_by(session, duty))
    school = ctx(request).config.school(person.school_id)
    period = cycle_label(task_config(school, duty.requirement.key), duty.cycle)
    if duty.closed_reason == "missed":
        message = Msg(
            "This link was for %(period)s, which has ended, so it can no longer be "
            "marked done. Your latest email has the link for the current one.",
            period=period,
        )
    elif duty.closed_reason == "left":
        message = Msg("Our records show you have left the school, so nothing more is needed.")
    else:
        message = Msg("Nothing more is needed for this task.")
    return render(
        request,
        "info.html",
        {"school": school, "title": duty.requirement.title, "message": message},
    )


def _open_task(request: Request, session: Session, token: str) -> tuple[Person, Duty] | Response:
    """The person and the open task a link names; otherwise the page to show instead
    (expired: offer a fresh link; invalid; or the period already closed)."""
    try:
        person, duty = _task_duty(session, link_claims(request, "task", token))
    except LinkExpiredError:
        return render(request, "task_expired.html", {"token": token}, status_code=410)
    except LinkInvalidError:
        return invalid_link_page(request)
    if duty.status != "open":
        return _task_closed(request, session, person, duty)
    return person, duty


@router.get("/task/{token}", include_in_schema=False)
def task_page(request: Request, token: str) -> Response:
    """Show the task and a Done button. Records nothing (mail scanners open links)."""
    with ctx(request).store.session() as session:
        found = _open_task(request, session, token)
        if isinstance(found, Response):
            return found
        person, duty = found
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
        claims = link_claims(request, "task", token)
    except LinkExpiredError as exc:
        claims = exc.claims
    except LinkInvalidError:
        return invalid_link_page(request)
    context = ctx(request)
    settings = context.settings
    with context.store.transaction() as session:
        try:
            person, duty = _task_duty(session, claims)
        except LinkInvalidError:
            return invalid_link_page(request)
        if duty.status == "open" and person.active:
            fresh = make_token(settings.signing_key(), "task", person.id, duty.id, None)
            school = context.config.school(person.school_id)
            period = cycle_label(task_config(school, duty.requirement.key), duty.cycle)
            draft = notice(
                school=school,
                to=[person.email],
                subject=Msg("Your new link: %(title)s", title=duty.requirement.title),
                greeting=Msg("Dear %(name)s,", name=person.given_name or person.display_name),
                paragraphs=[Msg("You asked for a fresh link. The old one has stopped working.")],
                facts=[
                    (Msg("Task"), duty.requirement.title),
                    (Msg("For"), period),
                    (Msg("Due"), Day(duty.due_on)),
                ],
                button_url=f"{settings.base_url}/task/{fresh}",
                button_text=Msg("Mark as done"),
            )
            queue_fresh_link(session, person, duty, "task", draft)
    deliver_soon(request, background)
    return fresh_link_page(request)


@router.post("/task/{token}", include_in_schema=False)
def task_done(
    request: Request,
    token: str,
    csrf_token: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Record the task as done for its period (once); a second press says 'already done'.
    A review an event opened needs its outcome in words."""
    check_csrf(request, csrf_token)
    user = current_user(request)
    context = ctx(request)
    with context.store.transaction() as session:
        found = _open_task(request, session, token)
        if isinstance(found, Response):
            return found
        person, duty = found
        said = outcome.strip() or None
        if said is None and event_of(session, duty.cycle) is not None:
            page = _task_context(request, session, person, duty, token)
            said_how = Msg("Write the review's outcome in a sentence or two.")
            return render(request, "task.html", {**page, "error": said_how}, status_code=400)
        result = complete_task(
            session,
            context.config.school(person.school_id),
            duty,
            person,
            method="sso" if user is not None and user.id == person.id else "link",
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            now=utcnow(),
            outcome=said,
        )
        return _done_page(
            request, duty, result.already, result.done_by, result.done_at, max(result.closed - 1, 0)
        )


# ------------------------------------------------------------- reviews that events trigger


def _reviews_page(
    request: Request, school: SchoolConfig, status_code: int = 200, **extra: Any
) -> Response:
    today = local_today(utcnow())
    with ctx(request).store.session() as session:
        rows = event_reviews(session, school.id)
    return render(
        request,
        "reviews.html",
        {
            "school": school,
            "rows": rows,
            "today": today,
            "kinds": event_kinds(school),
            "pack_reviews": pack_reviews(school),
            "labels": EVENT_KINDS,
            **extra,
        },
        status_code=status_code,
    )


def _recorded(reviews: int, owners: int) -> Joined:
    """'Recorded: 1 review opened. 2 owners have been emailed.' (each count in a sentence of
    its own, in its own plural form)."""
    opened = nmsg("Recorded: %(num)d review opened.", "Recorded: %(num)d reviews opened.", reviews)
    told = nmsg("%(num)d owner has been emailed.", "%(num)d owners have been emailed.", owners)
    return Joined((opened, told), " ")


@router.get("/reviews", include_in_schema=False)
def reviews(request: Request) -> Response:
    """The reviews events opened (trigger, owners, due, outcome) and the form to record one."""
    return _reviews_page(request, signed_in(request, REVIEW_RECORDERS)[1])


@router.post("/reviews", include_in_schema=False)
def reviews_record(
    request: Request,
    background: BackgroundTasks,
    kind: Annotated[str, Form(max_length=40)] = "",
    what: Annotated[str, Form(max_length=2000)] = "",
    happened_on: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Record an event: its reviews open for their owners, who are told once (audited)."""
    check_csrf(request, csrf_token)
    person, school = signed_in(request, REVIEW_RECORDERS)
    context = ctx(request)
    now = utcnow()
    day = parse_iso_date(happened_on) if happened_on else local_today(now)
    try:
        if day is None:
            raise EventError("Give the date it happened as a date (e.g. 2026-11-24).")
        with context.store.transaction() as session:
            opened = record_event(
                session,
                school,
                kind=kind,
                what=what,
                happened_on=day,
                actor=person.email,
                now=now,
                base_url=context.settings.base_url,
                signing_key=context.settings.signing_key(),
            )
            message = _recorded(len(opened.reviews), opened.told)
    except EventError as exc:
        return _reviews_page(
            request,
            school,
            status_code=400,
            error=str(exc),
            form={"kind": kind, "what": what, "happened_on": happened_on},
        )
    deliver_soon(request, background)
    return _reviews_page(request, school, message=message)
