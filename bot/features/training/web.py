"""Recording a training completion, with an optional certificate: by the person from their
``/me`` page (``POST /me/training/{duty_id}``), or for someone without an email address by the
person the school asks on their behalf, through the signed link of their reminder
(``/training/{token}``: signed in, named in the record, ``bot.engine.web.on_behalf``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from bot.core import audit
from bot.core.days.clock import local_today
from bot.core.days.dates import HAPPENED
from bot.core.files.uploads import CleanFile, store_file
from bot.core.guards.forms import SaidError, parse_iso_date
from bot.core.guards.links import LinkExpiredError, LinkInvalidError
from bot.core.language.i18n import N_, Joined, Msg
from bot.core.models import Duty, Person, TrainingRecord, utcnow
from bot.engine import duty_status
from bot.engine.web.deps import check_csrf, ctx, current_user, error_page, info_page, render
from bot.engine.web.guards import clean_uploads, read_checked_form
from bot.engine.web.links import invalid_link_page, link_claims
from bot.engine.web.on_behalf import (
    ON_BEHALF,
    TRAINED,
    TRAINED_BELOW,
    on_behalf_statement,
    recorder_for,
)

__all__ = ["router"]

router = APIRouter()


def _date_problem(given: date | None, today: date) -> SaidError | None:
    """What is wrong with the completion date given (said in the page's language), or None."""
    if given is None:
        return SaidError(
            N_("Please give the date you completed the training (e.g. %(example)s)."),
            example="2026-11-20",
        )
    if given > today:
        return SaidError(N_("The completion date cannot be in the future."))
    return HAPPENED.refusal(given, N_("Date completed"), today)


async def _certificate(
    upload: UploadFile | str | None, errors: list[SaidError]
) -> CleanFile | None:
    """The certificate uploaded, if any, checked (what is wrong with it goes in ``errors``)."""
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None
    files, problems = await clean_uploads([upload])
    errors += problems
    return files[0] if files else None


@router.post("/me/training/{duty_id}", include_in_schema=False)
async def record_training(request: Request, duty_id: int) -> Response:
    """A person records a training completion, optionally with a certificate (PDF/photo)."""
    user = await run_in_threadpool(current_user, request)  # a database read: off the loop
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    form = await read_checked_form(request)
    check_csrf(request, str(form.get("csrf_token") or ""))
    given = await _completion(form)
    return await run_in_threadpool(_record_own, request, given, user, duty_id)


def _record_own(request: Request, given: _Completion, user: Person, duty_id: int) -> Response:
    """``record_training``'s database and file work, and its page, on a page thread."""
    with ctx(request).store.transaction() as session:
        duty = session.get(Duty, duty_id)
        if duty is None or duty.person_id != user.id or duty.kind != "complete_training":
            raise HTTPException(404, N_("There is no such training item for you."))
        return _record(request, session, given, user, duty, None)


@dataclass(frozen=True)
class _Completion:
    """What the form says: the date, the provider, the certificate checked, what is wrong."""

    completed: date
    provider: str | None
    clean: CleanFile | None
    errors: list[SaidError]  # said in the page's language when the person is known


async def _completion(form: FormData) -> _Completion:
    """Read and check the form (the certificate too) before the database is touched."""
    today = local_today(utcnow())
    given = parse_iso_date(str(form.get("completed_on") or ""))
    errors = [problem] if (problem := _date_problem(given, today)) else []
    provider = str(form.get("provider") or "").strip()[:200] or None
    clean = await _certificate(form.get("certificate"), errors)
    return _Completion(given or today, provider, clean, errors)


def _record(
    request: Request,
    session: Session,
    given: _Completion,
    person: Person,
    duty: Duty,
    recorder: Person | None,
) -> Response:
    """Record the form's completion of ``duty`` for ``person`` (by ``recorder`` on their
    behalf, or themselves), close the duty and audit it; or say what is wrong."""
    today = local_today(utcnow())
    completed, provider, clean, errors = given.completed, given.provider, given.clean, given.errors
    context = ctx(request)
    if duty.status != "open":
        return info_page(
            request, Msg(N_("Already recorded")), Msg(N_("This training is already done."))
        )
    if errors:
        return error_page(
            request,
            422,
            N_("The training was not recorded."),
            problems=[error.msg for error in errors],
        )
    stored = None
    if clean is not None:
        folder = context.settings.uploads_dir / "certificates" / person.school_id
        stored = str(store_file(folder, clean).relative_to(context.settings.uploads_dir))
    course = _course(duty)
    record = TrainingRecord(
        school_id=person.school_id,
        person_id=person.id,
        course=course,
        completed_on=completed,
        provider=provider,
        certificate_path=stored,
        source="self" if recorder is None else ON_BEHALF,
        import_key=f"self:{duty.id}:{completed.isoformat()}",
        recorded_by_id=None if recorder is None else recorder.id,
    )
    session.add(record)
    session.flush()
    duty_status.close_done(session, [duty], f"training:{record.id}", today)
    details: dict[str, object] = {"duty": duty.id, "certificate": stored is not None}
    if recorder is not None:
        details["recorded_by"] = recorder.id
    audit.record(
        session,
        actor=(recorder or person).email,
        action="training.recorded",
        object_type="training",
        object_id=record.id,
        school_id=person.school_id,
        details=details,
    )
    if recorder is not None:
        statement = on_behalf_statement(recorder, person, TRAINED, day=completed, course=course)
        kept = (statement, Msg(N_("The certificate is kept with it."))) if stored else (statement,)
        return info_page(request, Msg(N_("Recorded")), Joined(kept, " "))
    said = (
        N_("Your %(course)s training on %(day)s has been recorded with your certificate.")
        if stored
        else N_("Your %(course)s training on %(day)s has been recorded.")
    )
    return info_page(request, Msg(N_("Thank you")), Msg(said, course=course, day=completed))


def _course(duty: Duty) -> str:
    """The course a training duty asks for (a refresher's, when that is what is due)."""
    spec = duty.requirement.spec
    refresher = duty.cycle.startswith("refresh:") and spec.get("refresher")
    return str(refresher or spec.get("course") or duty.requirement.title)


def _link_duty(
    request: Request, session: Session, token: str
) -> tuple[Person, Duty, Person] | Response:
    """The person and open training duty a signed training link names, and who records it
    for them (``recorder_for``), or the page to show (``/me``: they record it themselves)."""
    try:
        claims = link_claims(request, "training", token)
    except LinkExpiredError:
        return render(
            request,
            "info.html",
            {
                "title": Msg(N_("This link has expired")),
                "message": Msg(N_("The next reminder email brings a fresh one.")),
            },
            status_code=410,
        )
    except LinkInvalidError:
        return invalid_link_page(request)
    duty = session.get(Duty, claims.duty_id) if claims.duty_id else None
    person = session.get(Person, claims.person_id)
    if (
        duty is None
        or person is None
        or duty.person_id != person.id
        or duty.kind != "complete_training"
    ):
        return invalid_link_page(request)
    if duty.status != "open":
        return info_page(
            request, Msg(N_("Already recorded")), Msg(N_("This training is already done."))
        )
    recorder = recorder_for(request, person)
    if recorder is None:  # they have an address: they record it from their own page
        return RedirectResponse("/me", status_code=303)
    if isinstance(recorder, Response):
        return recorder
    return person, duty, recorder


@router.get("/training/{token}", include_in_schema=False)
def training_page(request: Request, token: str) -> Response:
    """The form recording someone's training on their behalf. Records nothing."""
    with ctx(request).store.session() as session:
        found = _link_duty(request, session, token)
        if isinstance(found, Response):
            return found
        person, duty, recorder = found
        return render(
            request,
            "training_on_behalf.html",
            {
                "person": person,
                "course": _course(duty),
                "token": token,
                "due": duty.due_on,
                "today": local_today(utcnow()).isoformat(),
                "statement": on_behalf_statement(
                    recorder, person, TRAINED_BELOW, course=_course(duty)
                ),
            },
        )


@router.post("/training/{token}", include_in_schema=False)
async def training_confirm(request: Request, token: str) -> Response:
    """Record someone's training on their behalf: signed in, named in the record."""
    form = await read_checked_form(request)
    check_csrf(request, str(form.get("csrf_token") or ""))
    given = await _completion(form)
    return await run_in_threadpool(_confirm, request, given, token)


def _confirm(request: Request, given: _Completion, token: str) -> Response:
    """``training_confirm``'s database and file work, and its page, on a page thread."""
    with ctx(request).store.transaction() as session:
        found = _link_duty(request, session, token)
        if isinstance(found, Response):
            return found
        person, duty, recorder = found
        return _record(request, session, given, person, duty, recorder)
