"""``/scr``: the single central record's gaps by name, for the headteacher and the named SCR
owner only (everyone else 403; every read audited), with the nation's checks and their
sources, and the interview panels (entered here: a title and its members). Plain HTML, no
script."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.days.clock import local_today
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Msg
from bot.core.language.words import said_words, school_words
from bot.core.models import Person, ScrPanel, utcnow
from bot.core.nations import pack_for
from bot.engine.web.access import record_id, signed_in
from bot.engine.web.deps import check_csrf, ctx, render
from bot.engine.web.guards import read_checked_form
from bot.features.scr.rules import describe, kind_headings
from bot.features.scr.service import (
    STAFF_ROLES,
    add_panel,
    check_names,
    current_gaps,
    last_checked,
    reads_names,
)

__all__ = ["router"]

router = APIRouter()
MAX_PANEL = 30  # people on one interview panel, at most


def _reader(request: Request) -> tuple[Person, SchoolConfig]:
    """The signed-in headteacher or SCR owner and their school; 401/403 for anyone else."""
    person, school = signed_in(request)
    if not reads_names(person.role_names, person.email, school):
        raise HTTPException(
            403,
            Msg(
                N_(
                    "This page is only for the %(head)s and the person who keeps the single "
                    "central record."
                ),
                head=said_words(school_words(school)).headteacher,
            ),
        )
    return person, school


def _page(
    request: Request,
    person: Person,
    school: SchoolConfig,
    errors: dict[str, Text] | None = None,
    status_code: int = 200,
) -> Response:
    today = local_today(utcnow())
    with ctx(request).store.transaction() as session:
        gaps = current_gaps(session, school, today)
        audit.record(
            session,
            actor=person.email,
            action="scr.read",
            object_type="scr",
            school_id=school.id,
            details={"gaps": len(gaps)},
        )
        panels = list(
            session.scalars(
                select(ScrPanel).where(ScrPanel.school_id == school.id).order_by(ScrPanel.id.desc())
            )
        )
        active = list(
            session.scalars(
                select(Person).where(Person.school_id == school.id, Person.active.is_(True))
            )
        )
        names = {p.id: p.display_name for p in active}
        staff = sorted(
            ((p.id, p.display_name) for p in active if p.role_names & STAFF_ROLES),
            key=lambda p: p[1].casefold(),
        )
        checked = last_checked(session, school.id)
        panel_rows = [(p.title, [names.get(m.person_id) for m in p.members]) for p in panels]
    words = school_words(school)
    checks = check_names(school)
    pack = pack_for(school.country)
    by_kind: dict[str, list[tuple[str, Msg]]] = {}
    for gap in gaps:
        by_kind.setdefault(gap.kind, []).append(
            (gap.subject, describe(gap, checks, words, academy=school.academy))
        )
    return render(
        request,
        "scr.html",
        {
            "user": person,
            "school": school,
            "today": today,
            "by_kind": by_kind,
            "kinds": kind_headings(words, academy=school.academy),
            "total": len(gaps),
            "checked": checked,
            "pack_checks": pack.scr_checks,
            "note": pack.scr_note,
            "panels": panel_rows,
            "staff": staff,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/scr", include_in_schema=False)
def scr_page(request: Request) -> Response:
    """The gaps by kind with each person's name, the nation's checks, the panels."""
    person, school = _reader(request)
    return _page(request, person, school)


@router.post("/scr/panels", include_in_schema=False)
async def scr_add_panel(request: Request) -> Response:
    """Record an interview panel: a title and at least one member (422 naming the box)."""
    form = await read_checked_form(request, max_files=0, max_fields=MAX_PANEL + 2)
    members = [str(v) for v in form.getlist("members")]
    return await run_in_threadpool(
        _panel_saved, request, form.get("csrf_token"), str(form.get("title") or ""), members
    )


def _panel_saved(request: Request, token: object, title: str, chosen: list[str]) -> Response:
    """``scr_add_panel``'s checks and saving, on a page thread."""
    person, school = _reader(request)
    check_csrf(request, token)
    title = " ".join(title.split())
    members = [n for n in map(record_id, chosen) if n is not None]
    errors: dict[str, Text] = {}
    if not title or len(title) > 200:
        errors["title"] = Msg(
            N_(
                "Give the recruitment a title of up to 200 characters, like 'Year 4 teacher, "
                "January'."
            )
        )
    if not members:
        errors["members"] = Msg(N_("Choose the people on the interview panel."))
    if errors:
        return _page(request, person, school, errors, 422)
    with ctx(request).store.transaction() as session:
        add_panel(session, school, title, members, actor=person.email)
    return RedirectResponse("/scr?panel=added#panels", status_code=303)
