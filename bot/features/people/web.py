"""The people register page (``/admin/people``): the headteacher or an admin adds people
outside the directory, changes them and marks them as left; every change applies at once.
The page shows a held directory, and ``/admin/people/move`` carries the school's people to
their new tenant or domain (``bot.engine.directory_move``: who, by what, then a button).
``/admin/people/mis``: the school's MIS beside its accounts, in three lists (read-only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.days.clock import local_today
from bot.core.guards.forms import Text
from bot.core.guards.permissions import DIRECTORY_EDITORS
from bot.core.language.i18n import N_, Msg, nmsg
from bot.core.language.words import Words, role_list, role_name, school_words
from bot.core.models import ExtraPerson, Person, utcnow
from bot.core.ports import ConnectorError
from bot.engine.directory_kept import unassigned
from bot.engine.directory_move import MovePlan, carry, domain_map, read_plan
from bot.engine.mis import mis_error, reconciled
from bot.engine.step_failures import HELD, describe, failing_steps
from bot.engine.web.access import signed_in
from bot.engine.web.deps import check_csrf, ctx, render
from bot.engine.web.guards import read_checked_form
from bot.features.people.rules import ROLE_CHOICES, parse_entry
from bot.features.people.service import (
    EntryRow,
    RegisterError,
    entry_rows,
    file_people,
    mark_back,
    mark_left,
    save_entry,
)

__all__ = ["router"]

router = APIRouter()
FIELDS = ("name", "email", "job_title", "start_date", "manager_email")


def _saved_message(row: EntryRow, words: Words) -> Msg:
    """What the page says after a change, true as it is shown."""
    if row.left_on is not None:
        return Msg("Saved: %(name)s is marked as left; their open tasks are closed.", name=row.name)
    if row.in_directory:
        return Msg(
            "Saved. %(email)s is in the school's directory, so the directory's details and "
            "roles are used while it lists them; this entry applies if it stops.",
            email=row.email,
        )
    roles = role_list(row.roles, words)
    return nmsg(
        "Saved: %(name)s is in the bot now, as %(roles)s, with %(num)d task to do.",
        "Saved: %(name)s is in the bot now, as %(roles)s, with %(num)d tasks to do.",
        row.open_duties,
        name=row.name,
        roles=roles,
    )


def _file_problems(request: Request) -> tuple[str | None, list[Text]]:
    """The extra people file's name and the rows it could not use (read now, nothing stored)."""
    source = ctx(request).connectors.extra_people
    if source is None:
        return None, []
    name = getattr(getattr(source, "path", None), "name", None) or "extra people file"
    try:
        changes = source.fetch(None)
    except (ConnectorError, OSError) as exc:  # an unreadable file is shown, never a 500
        return name, [str(exc)]
    return name, list(changes.rejected)


@router.get("/admin/people", include_in_schema=False)
def people_page(request: Request, saved: int | None = None, moved: int | None = None) -> Response:
    """The register, the people the extra people file brought in, and what the file lacks;
    a held directory first, with the move that ends it."""
    user, school = signed_in(request, DIRECTORY_EDITORS)
    with ctx(request).store.transaction() as session:
        rows = entry_rows(session, school.id)
        from_file = file_people(session, school.id, school.directory.leaver_grace_days)
        in_no_school = unassigned(session, school.id) if school.directory.staff_group else []
        held = [describe(f) for f in failing_steps(session, school.id) if f.step == HELD]
        audit.record(
            session,
            actor=user.email,
            action="people.register.viewed",
            object_type="extra_person",
            school_id=school.id,
        )
    file_name, problems = _file_problems(request)
    words = school_words(school)
    message = next((_saved_message(r, words) for r in rows if r.id == saved), None)
    return render(
        request,
        "people.html",
        {
            "school": school,
            "rows": rows,
            "from_file": from_file,
            "file_name": file_name,
            "problems": problems,
            "message": message,
            "unassigned": in_no_school,
            "held": held,
            "moved": moved,
        },
    )


def _plan(request: Request, school: SchoolConfig, given: str) -> tuple[MovePlan, dict[str, str]]:
    """The move's plan for the domains ``given`` ("old=new", several apart by spaces or
    commas): 400 when they are not pairs of domains, 503 when the directory cannot be read."""
    domains = domain_map(given.replace(",", " ").split())
    if domains is None:
        raise HTTPException(
            400, N_("Give each domain that changed as old=new, for example oak.example=oak.sch.uk.")
        )
    context = ctx(request)
    try:
        with context.store.session() as session:
            return read_plan(session, context.config, school, context.connectors, domains), domains
    except ConnectorError as exc:  # the connection's own words (no person's data)
        raise HTTPException(503, str(exc)) from None


@router.get("/admin/people/move", include_in_schema=False)
def move_page(request: Request, domains: str = "") -> Response:
    """Who a move would carry to their record in the school's directory now, and by what;
    nothing changes until its button is pressed."""
    school = signed_in(request, DIRECTORY_EDITORS)[1]
    plan = _plan(request, school, domains[:400])[0]
    return render(request, "move.html", {"school": school, "plan": plan, "domains": domains})


@router.post("/admin/people/move", include_in_schema=False)
async def move_people(request: Request) -> Response:
    """Carry them (read again, as planned on the page), audited as the signed-in admin's act."""
    user, school = await run_in_threadpool(signed_in, request, DIRECTORY_EDITORS)
    form = await read_checked_form(request, max_files=0, max_fields=2)
    check_csrf(request, str(form.get("csrf_token") or ""))
    given = str(form.get("domains") or "")[:400]

    def store() -> int:
        plan, domains = _plan(request, school, given)
        if not plan.carried:
            raise HTTPException(
                409, N_("Nobody was found in the new directory: nothing was changed.")
            )
        with ctx(request).store.transaction() as session:
            return carry(
                session,
                school.id,
                plan,
                user.email,
                {"connection": school.connection, "map": domains},
            )

    moved = await run_in_threadpool(store)
    return RedirectResponse(f"/admin/people?moved={moved}", status_code=303)


@router.get("/admin/people/mis", include_in_schema=False)
def mis_page(request: Request) -> Response:
    """Who is in the MIS and has an account, who has none, and who may have left (named,
    never removed); why the last read failed, when it did. Each viewing is audited."""
    user, school = signed_in(request, DIRECTORY_EDITORS)
    context = ctx(request)
    today = local_today(utcnow())
    with context.store.transaction() as session:
        lists = reconciled(session, school.id, today)
        problem = mis_error(session, school.id)
        audit.record(
            session,
            actor=user.email,
            action="people.mis.viewed",
            object_type="school",
            object_id=school.id,
            school_id=school.id,
        )
    return render(
        request,
        "mis.html",
        {
            "school": school,
            "lists": lists,
            "problem": problem,
            "connected": school.id in context.settings.mis.wonde or lists is not None,
        },
    )


def _form_page(
    request: Request,
    school: SchoolConfig,
    values: dict[str, Any],
    errors: Mapping[str, Text],
    entry: ExtraPerson | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "people_form.html",
        {
            "school": school,
            "v": values,
            "errors": errors,
            "entry": entry,
            "role_choices": {r: role_name(r, school_words(school)) for r in ROLE_CHOICES},
        },
        status_code=status_code,
    )


@router.get("/admin/people/new", include_in_schema=False)
def new_person_form(request: Request) -> Response:
    """An empty form."""
    return _form_page(request, signed_in(request, DIRECTORY_EDITORS)[1], {"roles": []}, {})


async def _read(request: Request) -> tuple[dict[str, Any], list[str]]:
    """The form's boxes and chosen roles (CSRF checked)."""
    form = await read_checked_form(request, max_files=0, max_fields=20)
    check_csrf(request, str(form.get("csrf_token") or ""))
    values = {k: str(form.get(k) or "")[:400] for k in FIELDS}
    roles = [str(r) for r in form.getlist("roles")][:10]
    return {**values, "roles": roles}, roles


def _entry_or_404(session: Session, school_id: str, entry_id: int) -> ExtraPerson:
    entry = session.get(ExtraPerson, entry_id)
    if entry is None or entry.school_id != school_id:
        raise HTTPException(404, N_("There is nobody with that entry on the people register."))
    return entry


@router.post("/admin/people/new", include_in_schema=False)
async def new_person(request: Request) -> Response:
    """Add them and apply it at once; problems are shown on the form (422), nothing stored."""
    return await _save(request, None)


async def _save(request: Request, entry_id: int | None) -> Response:
    """Add an entry (``entry_id`` None) or change one, applied at once; the form again with the
    problems (422, or 409 when the register refuses it) and nothing stored if not."""
    user, school = await run_in_threadpool(signed_in, request, DIRECTORY_EDITORS)
    values, roles = await _read(request)
    return await run_in_threadpool(_store, request, user, school, entry_id, values, roles)


def _store(
    request: Request,
    user: Person,
    school: SchoolConfig,
    entry_id: int | None,
    values: dict[str, Any],
    roles: list[str],
) -> Response:
    """``_save``'s database work, on a page thread."""
    today = local_today(utcnow())
    words = school_words(school)
    names: dict[str, Text] = {r: Msg(role_name(r, words)) for r in ROLE_CHOICES}
    data, errors = parse_entry(values, roles, today, names)
    entry = None
    if entry_id is not None:
        with ctx(request).store.session() as session:
            entry = _entry_or_404(session, school.id, entry_id)
    if data is None:
        return _form_page(request, school, values, errors, entry, status_code=422)
    try:
        with ctx(request).store.transaction() as session:
            entry_id = save_entry(session, school, entry_id, data, user.email, today)
    except RegisterError as exc:
        said: dict[str, Text] = {"email": exc.msg}
        return _form_page(request, school, values, said, entry, status_code=409)
    return RedirectResponse(f"/admin/people?saved={entry_id}", status_code=303)


@router.get("/admin/people/{entry_id}", include_in_schema=False)
def person_form(request: Request, entry_id: int) -> Response:
    """The entry's form, with "left" (or "back") below it."""
    school = signed_in(request, DIRECTORY_EDITORS)[1]
    with ctx(request).store.session() as session:
        entry = _entry_or_404(session, school.id, entry_id)
        values = {
            "name": entry.display_name,
            "email": entry.email,
            "job_title": entry.job_title or "",
            "manager_email": entry.manager_email or "",
            "start_date": entry.start_date.isoformat() if entry.start_date else "",
            "roles": list(entry.roles),
        }
        return _form_page(request, school, values, {}, entry)


router.post("/admin/people/{entry_id}", include_in_schema=False)(_save)  # a change


@router.post("/admin/people/{entry_id}/left", include_in_schema=False)
@router.post("/admin/people/{entry_id}/back", include_in_schema=False)
async def person_left_or_back(request: Request, entry_id: int) -> Response:
    """``/left``: they have left today, their open tasks close now; ``/back``: they were marked
    as left by mistake, or have come back."""
    user, school = await run_in_threadpool(signed_in, request, DIRECTORY_EDITORS)
    form = await read_checked_form(request, max_files=0, max_fields=2)
    check_csrf(request, str(form.get("csrf_token") or ""))
    action = mark_left if request.url.path.endswith("/left") else mark_back

    def store() -> None:
        try:
            with ctx(request).store.transaction() as session:
                _entry_or_404(session, school.id, entry_id)
                action(session, school, entry_id, user.email, local_today(utcnow()))
        except RegisterError as exc:  # said in the page's language, the names filled in
            raise HTTPException(409, exc.msg) from None

    await run_in_threadpool(store)
    return RedirectResponse(f"/admin/people?saved={entry_id}", status_code=303)
