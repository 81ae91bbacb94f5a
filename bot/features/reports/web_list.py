"""The tracked list for the DSL team: the list, CSV export, the public link page, one report
with its chronology and files, and the actions on it.

Deny by default: every /reports page needs a signed-in DSL, deputy, headteacher or chair of
governors, then an object-level check per report (``bot.features.reports.routing.can_view``);
a report someone may not see answers 404 so its existence does not leak. Every read, export
and change is audited without contents. Nothing in a URL, log line or notification carries
report contents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.days.clock import LONDON
from bot.core.deployment.context import AppContext
from bot.core.guards.permissions import REPORT_LINK_READERS, REPORT_LIST_READERS
from bot.core.language.i18n import N_, Joined, Msg
from bot.core.language.words import school_words
from bot.core.models import Person, PersonRole, Report, ReportAttachment, utcnow
from bot.core.ports import ConnectorError, ListMirror
from bot.engine.web.access import record_id, signed_in
from bot.engine.web.deps import ctx, current_user, qr_svg, render
from bot.engine.web.forms import download, read_fields, stored_bytes
from bot.engine.web.threads import waiting
from bot.features.reports.actions import (
    ReportActionError,
    add_entry,
    audit_list,
    audit_report,
    change_status,
    record_outcome,
    record_referral,
    set_owner,
)
from bot.features.reports.chronology import said
from bot.features.reports.export import export_visible
from bot.features.reports.intake import link_token
from bot.features.reports.listing import PAGE_SIZE, page_of, pages, rows_of
from bot.features.reports.mirror import mirror_pending
from bot.features.reports.routing import may_read
from bot.features.reports.rules import (
    CATEGORIES,
    ENTRY_KINDS,
    INVOLVED_ROLES,
    REFERENCE_PATTERN,
    RELATIONSHIPS,
    STATUSES,
    URGENCIES,
    clock_labels,
    describe_clock,
    illegal_content_advice,
    referral_targets,
)

__all__ = ["router"]

router = APIRouter()
log = logging.getLogger(__name__)

SORTS = {
    "newest": N_("Newest first"),
    "oldest": N_("Oldest first"),
    "urgency": N_("Most urgent first"),
    "due": N_("Deadline soonest"),
    "status": N_("Status"),
}


def _record_refusal(
    session: Session, person: Person, reference: str | None, report: Report | None, page: str
) -> None:
    """Audit a refused read of a report in a transaction of its own.

    The page's own transaction is rolled back by the refusal, so the event is written beside
    it. It names the page's template and the report (for whoever investigates), never content.
    """
    keys = {audit.KEYS: audit.keyring_of(session)}  # the log's key goes with it
    with Session(session.get_bind(), info=keys) as own, own.begin():
        audit.record(
            own,
            actor=person.email,
            action="report.read_refused",
            object_type="report" if report is not None else "report_list",
            object_id=report.id if report is not None else None,
            school_id=person.school_id,
            details={"page": page, "via": "web", **({"reference": reference} if reference else {})},
        )


def _page(request: Request) -> str:
    """The page's address template (``/reports/{reference}``): never the address itself."""
    return str(getattr(request.scope.get("route"), "path", "?"))


def _typed_reference(request: Request) -> str | None:
    """The reference in the address, when it has the shape of one (anything else is noise)."""
    raw = str(request.path_params.get("reference") or "")
    return raw if REFERENCE_PATTERN.match(raw) else None


def _leader(request: Request) -> tuple[Person, SchoolConfig]:
    try:
        return signed_in(request, REPORT_LIST_READERS)
    except HTTPException as exc:
        person = current_user(request)
        if exc.status_code == 403 and person is not None:
            with ctx(request).store.session() as session:
                _record_refusal(session, person, _typed_reference(request), None, _page(request))
        raise


def _choice(value: str | None, allowed: dict[str, str]) -> str | None:
    return value if value in allowed else None


@router.get("/reports", include_in_schema=False)
def reports_list(
    request: Request,
    status: str | None = None,
    category: str | None = None,
    urgency: str | None = None,
    sort: str = "newest",
    page: str = "1",
) -> Response:
    """The tracked list (reference, category, urgency, status, owner, deadline — no content).

    Unknown filters, sorts and pages fall back (no filter, newest first, the first page; a page
    past the end shows the last), so an edited or stale address still shows the list.
    """
    person, school = _leader(request)
    filters = {
        "status": _choice(status, {**STATUSES, "open": "Open"}),
        "category": _choice(category, CATEGORIES),
        "urgency": _choice(urgency, URGENCIES),
    }
    sort_key = sort if sort in SORTS else "newest"
    now = utcnow()
    with ctx(request).store.transaction() as session:
        listed, total, number = page_of(
            session, school, person, filters, sort_key, record_id(page) or 1
        )
        rows = rows_of(listed, now, school_words(school))
        audit_list(
            session,
            person.email,
            "report.list_viewed",
            school.id,
            count=len(rows),
            filters={k: v for k, v in filters.items() if v},
        )
    query_string = urlencode({k: v for k, v in {**filters, "sort": sort_key}.items() if v})
    return render(
        request,
        "reports_list.html",
        {
            "school": school,
            "rows": rows,
            "total": total,
            "first": (number - 1) * PAGE_SIZE + 1,
            "filters": filters,
            "sort": sort_key,
            "sorts": SORTS,
            "statuses": STATUSES,
            "categories": CATEGORIES,
            "urgencies": URGENCIES,
            "page": number,
            "pages": pages(total),
            "query": query_string,
            "can_link": bool(person.role_names & REPORT_LINK_READERS),
            "user": person,
            "words": school_words(school),
        },
    )


@router.get("/reports/export.csv", include_in_schema=False)
def reports_export(request: Request) -> Response:
    """Every report this person may read, as CSV (audited; formula-injection guarded)."""
    person, school = _leader(request)
    with ctx(request).store.transaction() as session:
        body, _ = export_visible(session, school, person, actor=person.email, via="web")
    name = f"reports-{school.id}-{utcnow():%Y%m%d}.csv"
    return download(("\ufeff" + body).encode(), name, "text/csv; charset=utf-8")


@router.get("/reports/link", include_in_schema=False)
def reports_link(request: Request) -> Response:
    """The school's public report link, for admins to publish (website, posters)."""
    _, school = signed_in(request, REPORT_LINK_READERS)
    settings = ctx(request).settings
    url = f"{settings.base_url}/report/{school.id}/{link_token(settings.signing_key(), school.id)}"
    svg = qr_svg(url) if school.reports.public_link else None
    return render(
        request,
        "reports_link.html",
        {"school": school, "url": url, "enabled": school.reports.public_link, "qr_svg": svg},
    )


def _load(
    session: Session, school: SchoolConfig, person: Person, reference: str, page: str = "?"
) -> Report:
    """The report if this person may read it; 404 otherwise (existence is not revealed).

    A refusal is audited either way (a report hidden from this person, or none at all).
    """
    report = None
    typed = reference if REFERENCE_PATTERN.match(reference) else None
    if typed:
        report = session.scalar(
            select(Report).where(Report.school_id == school.id, Report.reference == typed)
        )
    if report is None or not may_read(person, report, school):
        _record_refusal(session, person, typed, report, page)
        raise HTTPException(404, N_("There is no report with that reference that you can see."))
    return report


def _owners(session: Session, school: SchoolConfig, report: Report) -> list[Person]:
    people = session.scalars(
        select(Person)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            Person.school_id == school.id,
            Person.active.is_(True),
            PersonRole.role.in_(REPORT_LIST_READERS),
        )
        .distinct()
        .order_by(Person.display_name)
    ).all()
    return [p for p in people if may_read(p, report, school)]


def _detail(
    request: Request,
    session: Session,
    school: SchoolConfig,
    person: Person,
    report: Report,
    *,
    error: ReportActionError | None = None,
    status_code: int = 200,
) -> Response:
    attachments = session.scalars(
        select(ReportAttachment)
        .where(ReportAttachment.report_id == report.id)
        .order_by(ReportAttachment.id)
    ).all()
    audit_report(session, report, person.email, "report.viewed")
    now = utcnow()
    words = school_words(school)
    labels = clock_labels(words)
    return render(
        request,
        "reports_detail.html",
        {
            "school": school,
            "r": report,
            "category": CATEGORIES.get(report.category, report.category),
            "roles": INVOLVED_ROLES,
            "relationships": RELATIONSHIPS,
            "words": words,
            "statuses": STATUSES,
            "urgencies": URGENCIES,
            "entry_kinds": ENTRY_KINDS,
            "clock_labels": labels,
            "clock_rules": {
                kind: describe_clock(school.clock_rule(kind, report.urgency)) for kind in labels
            },
            "targets": referral_targets(words),
            "advice": illegal_content_advice(words),
            "attachments": attachments,
            "owners": _owners(session, school, report),
            "corrections": [e for e in report.entries if e.kind == "correction"],
            "entries": report.entries,
            "entry_lines": {e.id: said(e) for e in report.entries},  # in the page's language
            "clocks": report.clocks,
            "now": now,
            "london": LONDON,
            "error": error.msg if error is not None else None,
        },
        status_code=status_code,
    )


@router.get("/reports/{reference}", include_in_schema=False)
def report_detail(request: Request, reference: str) -> Response:
    """One report with its chronology, clocks and the forms to act on it (audited)."""
    person, school = _leader(request)
    with ctx(request).store.transaction() as session:
        report = _load(session, school, person, reference, _page(request))
        return _detail(request, session, school, person, report)


@router.get("/reports/{reference}/files/{attachment_id}", include_in_schema=False)
def report_file(request: Request, reference: str, attachment_id: str) -> Response:
    """Download one attachment (audited); withheld for suspected illegal content."""
    person, school = _leader(request)
    context = ctx(request)
    with context.store.transaction() as session:
        report = _load(session, school, person, reference, _page(request))
        number = record_id(attachment_id)
        attachment = session.get(ReportAttachment, number) if number else None
        if attachment is None or attachment.report_id != report.id:
            raise HTTPException(404, N_("There is no such file on this report."))
        if report.suspected_illegal:
            raise HTTPException(
                403,
                Joined(
                    (
                        Msg(N_("Files on a report of suspected illegal content are withheld.")),
                        illegal_content_advice(school_words(school)),
                    ),
                    " ",
                ),
            )
        data = stored_bytes(context.settings.uploads_dir, "reports", attachment)
        audit_report(
            session,
            report,
            person.email,
            "report.attachment_downloaded",
            attachment_id=attachment.id,
        )
    return download(data, attachment.filename, attachment.content_type)


async def _act(
    request: Request, background: BackgroundTasks, reference: str, change: str
) -> Response:
    """Apply one change to a report for a permitted person; errors re-show the page (422)."""
    person, school = await run_in_threadpool(_leader, request)
    values = await read_fields(request)
    context = ctx(request)

    def run() -> Response:
        try:
            with context.store.transaction() as session:
                report = _load(session, school, person, reference, _page(request))
                _apply(session, school, person, report, change, values, utcnow())
        except ReportActionError as exc:
            with context.store.transaction() as session:
                report = _load(session, school, person, reference)
                return _detail(request, session, school, person, report, error=exc, status_code=422)
        _mirror_later(context, school, background)
        return RedirectResponse(f"/reports/{reference}#chronology", status_code=303)

    return await run_in_threadpool(run)


# each change but the owner: what makes it, and the form's boxes it reads (with their defaults)
_CHANGES: dict[str, tuple[Callable[..., object], dict[str, str | None]]] = {
    "entries": (add_entry, {"kind": "", "text": "", "reason": None}),
    "referral": (record_referral, {"target": "", "outcome": "", "text": "", "reason": None}),
    "status": (change_status, {"status": "", "reason": None}),
    "outcome": (record_outcome, {"outcome": None, "lessons": None}),
}
_WORDED = (record_referral, change_status)  # what they record is in the school's words


def _apply(
    session: Session,
    school: SchoolConfig,
    person: Person,
    report: Report,
    change: str,
    values: dict[str, str],
    now: datetime,
) -> None:
    if change == "owner":
        raw = values.get("owner_id", "")
        owner = None
        if raw:
            number = record_id(raw)
            owner = session.get(Person, number) if number else None
            if owner is None or owner.school_id != school.id:
                raise ReportActionError(N_("Choose an owner from the list."))
        set_owner(session, report, school, actor=person.email, owner=owner, now=now)
        return
    act, boxes = _CHANGES[change]
    given = {box: values.get(box, default) for box, default in boxes.items()}
    words = {"words": school_words(school)} if act in _WORDED else {}
    act(session, report, actor=person.email, now=now, **given, **words)


def _action_route(change: str, doc: str) -> None:
    """``POST /reports/<reference>/<change>``: one kind of change to a report (``_apply``)."""

    async def act(request: Request, background: BackgroundTasks, reference: str) -> Response:
        return await _act(request, background, reference, change)

    act.__doc__ = doc
    router.post(f"/reports/{{reference}}/{change}", include_in_schema=False)(act)


for _change, _doc in (
    ("entries", "Append an action, decision, note or correction."),
    (
        "referral",
        "Record a referral (the staff route, the data-protection regulator, police...) "
        "or a decision not to refer.",
    ),
    ("status", "Change the status, with the reason."),
    ("owner", "Give the report an owner."),
    ("outcome", "Record the outcome and lessons learnt."),
):
    _action_route(_change, _doc)


def _mirror_later(context: AppContext, school: SchoolConfig, background: BackgroundTasks) -> None:
    """Refresh the platform list after the response (best effort; the sweep catches up)."""
    if context.connectors.mirror is not None:
        background.add_task(waiting, _mirror_now, context.store, context.connectors.mirror, school)


def _mirror_now(store: Store, mirror: ListMirror, school: SchoolConfig) -> None:
    try:
        with store.transaction() as session:
            try:
                mirror_pending(session, mirror, school)
            except ConnectorError as exc:  # keep what the platform confirmed before it failed
                log.warning("report mirror for %s not updated: %s", school.id, exc)
    except Exception:  # the mirror is a convenience: never let it break a page
        log.exception("report mirror for %s failed", school.id)
