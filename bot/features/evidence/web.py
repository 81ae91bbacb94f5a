"""The evidence pack on the web, for the headteacher, the DSL and deputies: a page saying what
the pack holds with the key fingerprint to give an inspector, and the button (a POST with the
form's CSRF token) that downloads the signed zip. Making a pack is audited; everyone else gets
403. The pack counts only the reports its maker may read. ``/evidence/editions.csv`` gives who
acknowledged each edition of each reading campaign, from the same people."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.core import audit
from bot.core.days.clock import LONDON
from bot.core.guards.permissions import EVIDENCE_MAKERS
from bot.core.language.i18n import Msg, said_in
from bot.core.language.words import csv_text
from bot.core.models import utcnow
from bot.core.rendering.signed import format_fingerprint
from bot.engine.web.access import signed_in
from bot.engine.web.deps import check_csrf, ctx, render
from bot.engine.web.forms import download
from bot.features.evidence.pack import PackRequest, key_fingerprint, make_pack
from bot.features.evidence.rules import pack_language
from bot.features.reading.api import EDITION_HEADER, edition_acknowledgements
from bot.features.reports.api import visible_reports
from bot.features.scr.api import reads_names

__all__ = ["router"]

router = APIRouter()


@router.get("/evidence", include_in_schema=False)
def evidence_page(request: Request) -> Response:
    """What the pack holds, how an inspector checks it, the fingerprint and the button."""
    person, school = signed_in(request, EVIDENCE_MAKERS)
    key = key_fingerprint(ctx(request).settings.signing_key())
    return render(
        request,
        "evidence.html",
        {"user": person, "school": school, "fingerprint": format_fingerprint(key)},
    )


@router.post("/evidence/pack", include_in_schema=False)
def evidence_pack(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Make the signed pack and download it (audited)."""
    person, school = signed_in(request, EVIDENCE_MAKERS)
    check_csrf(request, csrf_token)
    context = ctx(request)
    pack_request = PackRequest(
        actor=person.email,
        made_by=person.display_name,
        reports=visible_reports(school, person.email, person.role_names),
        reports_scope=said_in(
            pack_language(school.language),
            Msg(
                "Counted: the reports %(name)s may read. A report about the person who makes a "
                "pack is never counted in it; a pack made with the command line counts every "
                "report.",
                name=person.display_name,
            ),
        ),
        via="web",
        inspectorate=school.inspected_by,
        school=school,
        scr_names=reads_names(person.role_names, person.email, school),
        platform=context.settings.platform(school.connection),
    )
    with context.store.transaction() as session:
        pack = make_pack(
            session,
            school.id,
            school.name,
            pack_request,
            secret=context.settings.signing_key(),
            now=utcnow(),
            tz=ZoneInfo(context.config.organisation.timezone),
        )
    return download(pack.data, pack.file_name, "application/zip")


@router.get("/evidence/editions.csv", include_in_schema=False)
def editions_csv(request: Request) -> Response:
    """Every edition kept: who acknowledged each edition of each reading campaign, one row per
    person and edition (audited)."""
    person, school = signed_in(request, EVIDENCE_MAKERS)
    with ctx(request).store.transaction() as session:
        rows = edition_acknowledgements(session, school, LONDON)
        audit.record(
            session,
            actor=person.email,
            action="reading.editions_exported",
            object_type="reading_campaign",
            school_id=school.id,
            details={"rows": len(rows), "via": "web"},
        )
    return download(
        csv_text(EDITION_HEADER, rows).encode(), f"editions-read-{school.id}.csv", "text/csv"
    )
