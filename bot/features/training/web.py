"""The staff member's training page action: recording a completion with an optional
certificate (``POST /me/training/{duty_id}``, from the ``/me`` page)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from bot.core import audit
from bot.core.clock import local_today
from bot.core.dates import HAPPENED
from bot.core.forms import parse_iso_date
from bot.core.i18n import day_text, person_language, translations
from bot.core.models import Duty, TrainingRecord, utcnow
from bot.core.uploads import (
    CleanFile,
    store_file,
)
from bot.engine import duty_status
from bot.engine.web.deps import check_csrf, ctx, current_user, error_page, info_page
from bot.engine.web.guards import clean_uploads, read_checked_form

__all__ = ["router"]

router = APIRouter()


def _date_problem(given: date | None, today: date) -> str | None:
    """What is wrong with the completion date given, or None."""
    if given is None:
        return "Please give the date you completed the training (e.g. 2026-11-20)."
    if given > today:
        return "The completion date cannot be in the future."
    problem = HAPPENED.problem(given, today)
    return None if problem is None else f"Date completed: {problem}."


async def _certificate(upload: UploadFile | str | None, errors: list[str]) -> CleanFile | None:
    """The certificate uploaded, if any, checked (what is wrong with it goes in ``errors``)."""
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None
    files, problems = await clean_uploads([upload])
    errors += problems
    return files[0] if files else None


@router.post("/me/training/{duty_id}", include_in_schema=False)
async def record_training(request: Request, duty_id: int) -> Response:
    """A person records a training completion, optionally with a certificate (PDF/photo)."""
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    form = await read_checked_form(request)
    check_csrf(request, str(form.get("csrf_token") or ""))
    today = local_today(utcnow())
    given = parse_iso_date(str(form.get("completed_on") or ""))
    completed = given or today
    errors = [problem] if (problem := _date_problem(given, today)) else []
    provider = str(form.get("provider") or "").strip()[:200] or None
    clean = await _certificate(form.get("certificate"), errors)
    context = ctx(request)
    with context.store.transaction() as session:
        duty = session.get(Duty, duty_id)
        if duty is None or duty.person_id != user.id or duty.kind != "complete_training":
            raise HTTPException(404, "There is no such training item for you.")
        if duty.status != "open":
            _ = translations(person_language(context.config.school(user.school_id).language,
                                             user.language)).gettext
            return info_page(request, _("Already recorded"), _("This training is already done."))
        if errors:
            return error_page(request, 422, "The training was not recorded.", problems=errors)
        stored = None
        if clean is not None:
            folder = context.settings.uploads_dir / "certificates" / user.school_id
            stored = str(store_file(folder, clean).relative_to(context.settings.uploads_dir))
        spec = duty.requirement.spec
        # a refresher is due: the full course was not done
        refresher = duty.cycle.startswith("refresh:") and spec.get("refresher")
        course = str(refresher or spec.get("course") or duty.requirement.title)
        record = TrainingRecord(
            school_id=user.school_id,
            person_id=user.id,
            course=course,
            completed_on=completed,
            provider=provider,
            certificate_path=stored,
            source="self",
            import_key=f"self:{duty.id}:{completed.isoformat()}",
        )
        session.add(record)
        session.flush()
        duty_status.close_done(session, [duty], f"training:{record.id}", today)
        audit.record(
            session,
            actor=user.email,
            action="training.recorded",
            object_type="training",
            object_id=record.id,
            school_id=user.school_id,
            details={"duty": duty.id, "certificate": stored is not None},
        )
    language = person_language(context.config.school(user.school_id).language, user.language)
    _ = translations(language).gettext
    said = (_("Your %(course)s training on %(day)s has been recorded with your certificate.")
            if stored else _("Your %(course)s training on %(day)s has been recorded."))
    return info_page(request, _("Thank you"),
                     said % {"course": course, "day": day_text(completed, language)})
