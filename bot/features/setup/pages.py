"""What every settings page shares: the settings in force, the school's people to choose from,
the page frame (where the settings live, preview), a page's and a form's route (its boxes and
the most each holds read one way) and saving one change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.config import store as config_store
from bot.core.days.clock import local_today
from bot.core.deployment import setup_state
from bot.core.guards.permissions import SETUP_EDITORS, TRUST_ADMINS
from bot.core.language.i18n import N_
from bot.core.models import Person, utcnow
from bot.engine.web.deps import check_csrf, ctx, current_user, render, require_roles
from bot.engine.web.guards import read_checked_form
from bot.features.setup.rules import SetupError
from bot.features.setup.service import FILE_MANAGED, apply_change

__all__ = [
    "boxes",
    "current_org",
    "current_school",
    "editor",
    "failed",
    "form_route",
    "named",
    "page_route",
    "people_choices",
    "save_change",
    "saved",
    "show",
    "trust_wide",
    "visible_org",
]


def current_org(request: Request, session: Session) -> OrgConfig:
    """The settings in force now (the newest saved version, or school.yaml).

    Read again only when their stamp changes (``config_store.config_stamp``: a saved version,
    where they are kept, school.yaml edited): each settings page parsed and checked the whole
    file (or version) again, a third of its time. The stamp is read before the settings, so a
    change meanwhile is read again next time; a saving request forgets the stamp at once.
    """
    settings = ctx(request).settings
    store = ctx(request).store if config_store.has_database(settings) else None
    stamp = config_store.config_stamp(settings, store)
    known = getattr(request.app.state, "org_in_force", None)
    if known is not None and known[0] == stamp:
        return cast(OrgConfig, known[1])
    org = config_store.load_org(settings, session)
    request.app.state.org_in_force = (stamp, org)
    return org


def editor(request: Request, csrf_token: object) -> Person:
    """Who posts a settings form: its token checked, then that they may change the settings."""
    check_csrf(request, csrf_token)
    return require_roles(request, SETUP_EDITORS)


Save = Callable[[Request, Person, FormData], Response]  # a form checked and saved


def form_route(
    save: Save, *, max_fields: int = 20, max_files: int = 0
) -> Callable[[Request], Awaitable[Response]]:
    """A settings form's route: the form read within its limits (its boxes, ticked lists,
    files), then its sender checked and ``save(request, user, form)`` run on a page thread,
    where files are read (a path's ids are in ``request.path_params``)."""

    async def route(request: Request) -> Response:
        form = await read_checked_form(request, max_files=max_files, max_fields=max_fields)

        def on_thread() -> Response:
            return save(request, editor(request, str(form.get("csrf_token") or "")), form)

        return await run_in_threadpool(on_thread)

    route.__doc__ = save.__doc__
    return route


def page_route(
    template: str, data: Callable[[Request, Person], dict[str, Any]]
) -> Callable[[Request], Response]:
    """A settings page's route: ``data`` for whoever may change the settings, shown."""

    def route(request: Request) -> Response:
        return show(request, template, data(request, require_roles(request, SETUP_EDITORS)))

    route.__doc__ = data.__doc__
    return route


def boxes(form: FormData, limits: Mapping[str, int]) -> dict[str, str]:
    """Each named box's text (empty when not sent); 400 when one holds more than its limit
    (the page's own ``maxlength`` stops a person before that)."""
    said = {box: str(form.get(box) or "") for box in limits}
    if any(len(said[box]) > most for box, most in limits.items()):
        raise HTTPException(400, N_("What was sent could not be read as a form: too much at once."))
    return said


def trust_wide(user: Person) -> bool:
    """Whether this person administers the whole trust (``organisation.trust_admins``)."""
    return bool(user.role_names & TRUST_ADMINS)


def visible_org(org: OrgConfig, user: Person) -> OrgConfig:
    """The part of the settings this person may see: the whole trust's for a trust-wide
    administrator, else only their own school's (another school's DSL, deputies, governors and
    account holders stay with that school), without the trust's administrators."""
    if trust_wide(user):
        return org
    return org.model_copy(
        update={
            "schools": [org.school(user.school_id)],
            "organisation": org.organisation.model_copy(update={"trust_admins": []}),
        }
    )


def people_choices(session: Session, school_id: str) -> list[tuple[str, str]]:
    """(email, name) of everyone at the school the directory lists, by name."""
    return [
        (email, name)
        for email, name in session.execute(
            select(Person.email, Person.display_name)
            .where(Person.school_id == school_id, Person.active.is_(True))
            .order_by(Person.display_name)
        )
    ]


def current_school(request: Request, school_id: str) -> SchoolConfig:
    """One school's settings in force now."""
    with ctx(request).store.session() as session:
        return current_org(request, session).school(school_id)


def show(
    request: Request, template: str, data: dict[str, Any], *, status_code: int = 200
) -> Response:
    """Render a settings page with what every one of them shows: where the settings live,
    whether they may be changed here, the signed-in person's school's preview, and the setup
    steps."""
    user = current_user(request)
    with ctx(request).store.session() as session:
        source = setup_state.config_source(session)
        preview = user is not None and not setup_state.is_sending(session, user.school_id)
    base: dict[str, Any] = {
        "source": source,
        "editable": source == "web",
        "preview": preview,
        "file_managed": FILE_MANAGED,
        "saved": request.query_params.get("saved") == "1",
        "errors": [],
        "error_field": None,
    }
    return render(request, template, {**base, **data}, status_code=status_code)


def save_change(
    request: Request, user: Person, change: Callable[[dict[str, Any]], None], note: str
) -> None:
    """Apply one change of the signed-in person's school settings (raises SetupError)."""
    now = utcnow()
    with ctx(request).store.transaction() as session:
        apply_change(
            session,
            ctx(request).settings,
            user.school_id,
            change,
            by=user.email,
            now=now,
            today=local_today(now),
            note=note,
        )
    # this process's pages (dashboard, reports) read the new settings from now on
    ctx(request).forget_config()


def saved(
    request: Request,
    user: Person,
    change: Callable[[dict[str, Any]], None],
    note: str,
    *,
    to: str,
    template: str,
    data: dict[str, Any],
) -> Response:
    """Save one change and go to ``to``; the form again with the problem (422) if it fails."""
    try:
        save_change(request, user, change, note)
    except SetupError as exc:
        return failed(request, template, data, exc)
    return RedirectResponse(to, status_code=303)


def failed(request: Request, template: str, data: dict[str, Any], exc: SetupError) -> Response:
    """The form again with the problem named (422), in the page's language; nothing was
    stored."""
    return show(
        request, template, {**data, "errors": [exc.msg], "error_field": exc.field}, status_code=422
    )


def named(items: Any, key: str, missing: str) -> Any:
    """The policy or requirement of the settings with this id; 404 saying ``missing`` (``N_``:
    the page says it in its language) when there is none."""
    found = next((item for item in items if item.id == key), None)
    if found is None:
        raise HTTPException(404, missing)
    return found
