"""The report form: the site's own ``/report`` (signed in, or the school's public form with
no account: the single school, or a choice of schools), ``/report/<school>`` and the school's
public link for posters (``/report/<school>/<token>``). Rate limited; a report is committed
before the page says "received", and alerts carry no contents. A POST does only what the
reporter waits for (store, commit, hand the alerts over); the mirror is the sweep's work.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from time import monotonic
from typing import cast

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.core.config import SchoolConfig
from bot.core.files.stored_files import remove_files
from bot.core.files.uploads import MAX_FILE_BYTES, MAX_FILES, CleanFile
from bot.core.guards.forms import Text
from bot.core.guards.ratelimit import RateLimit, allowed, limit_key, take
from bot.core.language.i18n import N_, Joined, Msg
from bot.core.language.words import said_words, school_words
from bot.core.models import Person, utcnow
from bot.engine.web.access import signed_in
from bot.engine.web.deps import client_ip, ctx, current_user, render
from bot.engine.web.forms import (
    checked_files,
    form_key,
    page_key,
    read_form,
    school_for,
    split_form,
)
from bot.engine.web.links import deliver_soon
from bot.features.reports.intake import Intake, read_link_token, received_before, submit_report
from bot.features.reports.routing import alert_recipients
from bot.features.reports.rules import (
    CATEGORIES,
    INVOLVED_ROLES,
    RELATIONSHIPS,
    ReportInputError,
    illegal_content_advice,
)
from bot.features.reports.submission import Submission, validate_submission
from bot.features.reports.unsaved import alert_unsaved, send_directly

__all__ = ["REPORT_RATE", "router"]

router = APIRouter()

# 5 reports per address (public link) or per account (signed in) in any 10 minutes, counted in
# the database so every worker shares the count
REPORT_RATE = RateLimit("report", 5, timedelta(minutes=10))
ANCHORS = {"category": f"category-{next(iter(CATEGORIES))}", "involved": "involved-pupil"}


TEAM_NAMES_FOR = 60.0  # seconds a web process reuses the team's names (see team_choices)


def _team_names(request: Request, school_id: str, emails: tuple[str, ...]) -> dict[str, str]:
    """The directory's names for ``emails``, read once a minute per web process: the form is
    shown and posted by many people at once, and its names change only with the directory."""
    kept = getattr(request.app.state, "team_names", None)
    if not isinstance(kept, dict):
        kept = request.app.state.team_names = {}
    key = (school_id, emails)
    found = kept.get(key)
    if found is not None and monotonic() - found[0] < TEAM_NAMES_FOR:
        return cast(dict[str, str], found[1])
    query = select(Person.email, Person.display_name).where(
        Person.school_id == school_id, Person.email.in_(emails)
    )
    with ctx(request).store.session() as session:
        names = dict(session.execute(query).all())
    kept[key] = (monotonic(), names)
    return names


def team_choices(request: Request, school: SchoolConfig) -> list[tuple[str, Text, str]]:
    """The form's "about a member of the safeguarding team" options: (value, label, email).

    Values are positions ("dsl-1", "deputy-2"), so the page never carries email addresses;
    labels are the directory's names, as on the school's safeguarding posters (a name changed
    in the directory shows within ``TEAM_NAMES_FOR``; the configured team at once); their
    roles in the pack's words, said where shown (the page's language).
    """
    team = [("dsl", n, e) for n, e in enumerate(school.dsl, 1)]
    team += [("deputy", n, e) for n, e in enumerate(school.deputy_dsl, 1)]
    names = _team_names(request, school.id, tuple(e for _, _, e in team))
    words = said_words(school_words(school))
    role = {"dsl": words.dsl_full, "deputy": words.deputy_dsl}
    return [
        (f"{kind}-{n}", Joined((names.get(email, role[kind]), " (", role[kind], ")")), email)
        for kind, n, email in team
    ]


def _form_page(
    request: Request,
    school: SchoolConfig,
    action: str,
    *,
    signed_in: Person | None,
    errors: dict[str, Text] | None = None,
    values: dict[str, list[str]] | None = None,
    status_code: int = 200,
    unsaved: list[str] | None = None,
) -> Response:
    vals = values or {}
    return render(
        request,
        "report_form.html",
        {
            "school": school,
            "action": action,
            "reporter": signed_in,
            "categories": CATEGORIES,
            "roles": INVOLVED_ROLES,
            "relationships": RELATIONSHIPS,
            "allow_anonymous": school.reports.allow_anonymous,
            "errors": errors or {},
            "anchors": ANCHORS,
            "v": {k: (v[0] if v else "") for k, v in vals.items()},
            "involved": set(vals.get("involved", [])),
            "max_files": MAX_FILES,
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
            "team": [(value, label) for value, label, _ in team_choices(request, school)],
            "unsaved": unsaved,  # not None: the report was not stored (its files, to attach)
            "once": page_key((vals.get("once") or [""])[0]),
        },
        status_code=status_code,
    )


def _too_many(request: Request, school: SchoolConfig) -> Response:
    return render(
        request,
        "error.html",
        {
            "status": 429,
            "school": school,
            "message": Msg(
                N_(
                    "Several reports have just been sent from here, so we have paused the form "
                    "for a few minutes to stop misuse. Please try again in 10 minutes. If a "
                    "child is in immediate danger call 999, or tell the %(dsl)s in person now."
                ),
                dsl=said_words(school_words(school)).dsl_full,
            ),
        },
        status_code=429,
    )


class _OverTheLimit(Exception):
    """The sender's limit was reached while the report was being stored: nothing is kept."""


async def _receive(
    request: Request,
    background: BackgroundTasks,
    school: SchoolConfig,
    action: str,
    user: Person | None,
) -> Response:
    """Validate, store (committed, with its rate-limit hit), alert, then say "received".
    Counted per account when signed in, else per address."""
    form = await read_form(request)
    context = ctx(request)
    sender = f"user:{user.id}" if user is not None else f"ip:{client_ip(request) or 'unknown'}"
    counted_as = limit_key(context.settings.signing_key(), REPORT_RATE, sender)

    def has_room() -> bool:
        with context.store.session() as session:
            return allowed(session, REPORT_RATE, counted_as, utcnow())

    fields, uploads, errors = split_form(form)
    # files are the costly part: a sender over the limit is turned away before they are read
    # (without files the store below decides alone, with the report: one query fewer)
    if uploads and not await run_in_threadpool(has_room):
        return await run_in_threadpool(_too_many, request, school)
    files, problem = await checked_files(uploads, MAX_FILES)
    if problem:
        errors["attachments"] = problem
    return await run_in_threadpool(
        _received, request, background, school, action, user, fields, files, errors, counted_as
    )


def _received(
    request: Request,
    background: BackgroundTasks,
    school: SchoolConfig,
    action: str,
    user: Person | None,
    fields: dict[str, list[str]],
    files: list[CleanFile],
    errors: dict[str, Text],
    counted_as: str,
) -> Response:
    """``_receive``'s database work (the team's names, the report stored with its rate-limit
    hit) and its page, on a page thread: nothing here runs on the event loop."""
    context = ctx(request)
    team = team_choices(request, school)
    try:
        sub = validate_submission(
            fields,
            allow_anonymous=school.reports.allow_anonymous,
            signed_in=user is not None,
            about_choices={v: e for v, _, e in team},
        )
    except ReportInputError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        return _form_page(
            request, school, action, signed_in=user, errors=errors, values=fields, status_code=422
        )
    actor = "public-link" if user is None else ("reporter" if sub.anonymous else user.email)
    if user is not None and not sub.anonymous:
        sub = replace(
            sub,
            reporter_name=user.display_name,
            reporter_email=user.email,
            reporter_relationship="governor" if "governor" in user.role_names else "staff",
        )

    once = form_key((fields.get("once") or [""])[0])
    source_ref = f"web:{once}" if once else None

    def before() -> Intake | None:
        if source_ref is None:
            return None
        with context.store.session() as session:
            return received_before(session, school.id, source_ref, sub, len(files))

    def store() -> Intake | None:
        intake: Intake | None = before()
        if intake is not None:  # sent again: the report is already stored, once
            return intake
        try:
            with context.store.transaction() as session:
                intake = submit_report(
                    session,
                    school,
                    sub,
                    now=utcnow(),
                    base_url=context.settings.base_url,
                    actor=actor,
                    files=files,
                    uploads_dir=context.settings.uploads_dir,
                    reporter_id=user.id if user is not None else None,
                    channel_card=context.connectors.notifier is not None,
                    source_ref=source_ref,
                )
                # checked and recorded with the report, as it commits: concurrent posts cannot
                # pass the limit, and the sender's row (one for a whole school behind one
                # address) is locked for the commit alone, not while the report is stored
                if not take(session, REPORT_RATE, counted_as, utcnow()):
                    raise _OverTheLimit
        except BaseException as exc:  # nothing is kept: over the limit, or a fault
            remove_files(intake.stored_paths if intake is not None else [])
            if isinstance(exc, _OverTheLimit):
                return None
            raise
        return intake

    try:
        intake = store()  # committed: only now may we say "received"
    except Exception as exc:  # the database refused it: nothing the reporter typed is lost
        intake = before()  # unless the same form, sent at the same moment, stored it
        if intake is None:
            return _unsaved(request, background, school, action, user, fields, files, sub, exc)
    if intake is None:
        return _too_many(request, school)
    # only what the reporter is waiting for: the report is stored and its alerts are queued;
    # the urgent ones go out right after this answer. The tracked list's mirror is brought in
    # line by the scheduled sweep (``bot.features.reports.step``), not on every report: a pass
    # per report queued behind the database's writer and slowed the form when several people
    # reported at once.
    deliver_soon(request, background)
    return render(
        request,
        "report_received.html",
        {
            "school": school,
            "intake": intake,
            "advice": illegal_content_advice(school_words(school)),
            "again": action,
        },
    )


def _unsaved(
    request: Request,
    background: BackgroundTasks,
    school: SchoolConfig,
    action: str,
    user: Person | None,
    fields: dict[str, list[str]],
    files: list[CleanFile],
    sub: Submission,
    exc: Exception,
) -> Response:
    """The report could not be stored: log it (never its words) and alert the people a report
    would reach (``unsaved``); give the form back as it was typed, 503."""
    context, now = ctx(request), utcnow()
    to = alert_recipients(school, sub.category, sub.about_headteacher, sub.about_person)
    actor = "public-link" if user is None else user.email
    if alert_unsaved(context, school, to, now, actor, exc):
        deliver_soon(request, background)  # the alert goes now, after this answer
    else:
        background.add_task(send_directly, context, school, to, now)
    return _form_page(
        request,
        school,
        action,
        signed_in=user,
        values=fields,
        status_code=503,
        unsaved=[f.filename for f in files],
    )


def _signed_in_reporter(request: Request) -> tuple[Person, SchoolConfig]:
    """The signed-in person and their school; signed out, 401 saying where to report instead."""
    if current_user(request) is None:
        raise HTTPException(
            401,
            N_(
                "Please sign in to report a concern — or use the report link your school has "
                "shared (on its website, posters or newsletters), which needs no account."
            ),
        )
    return signed_in(request)


def _open_schools(request: Request) -> list[SchoolConfig]:
    """The schools whose public form is switched on (``reports: public_link``)."""
    return [s for s in ctx(request).config.schools if s.reports.public_link]


@router.get("/report", include_in_schema=False)
def report_form(request: Request) -> Response:
    """The form: the signed-in person's school, else the public form (no account needed)."""
    user = current_user(request)
    if user is None:
        schools = _open_schools(request)
        if len(schools) == 1:
            return _form_page(request, schools[0], f"/report/{schools[0].id}", signed_in=None)
        if schools:
            return render(request, "report_choose.html", {"schools": schools})
    person, school = _signed_in_reporter(request)  # signed out, no public form anywhere: 401
    return _form_page(request, school, "/report", signed_in=person)


@router.post("/report", include_in_schema=False)
async def report_submit(request: Request, background: BackgroundTasks) -> Response:
    """Receive a report from a signed-in person (rate limited per person)."""
    user, school = await run_in_threadpool(_signed_in_reporter, request)
    return await _receive(request, background, school, "/report", user)


def _public_form(request: Request, school_id: str) -> tuple[SchoolConfig, str]:
    """The school of a public form and the address it posts to: the site's own
    (``/report/<school>``) or the school's public link (``/report/<school>/<token>``). 404 when
    the school takes no reports without an account, or the link is not its own."""
    school = school_for(request, school_id)
    token = request.path_params.get("token")
    public = school is not None and school.reports.public_link
    if token is not None and not (
        public and read_link_token(ctx(request).settings.signing_key(), school_id, token)
    ):
        raise HTTPException(
            404,
            N_(
                "This report link is not valid. Please check it, or ask the school office for "
                "the current link."
            ),
        )
    if school is None or not public:
        raise HTTPException(
            404,
            N_(
                "This school does not take reports here without an account. Please sign in, or "
                "ask the school office how to report a concern."
            ),
        )
    return school, f"/report/{school_id}" + (f"/{token}" if token is not None else "")


@router.get("/report/{school_id}", include_in_schema=False)
@router.get("/report/{school_id}/{token}", include_in_schema=False)
def public_report_form(request: Request, school_id: str) -> Response:
    """The school's public form, on the site itself or behind its public link (no account
    needed)."""
    school, action = _public_form(request, school_id)
    # the public form always asks who you are (a signed-in person can use /report instead)
    return _form_page(request, school, action, signed_in=None)


@router.post("/report/{school_id}", include_in_schema=False)
@router.post("/report/{school_id}/{token}", include_in_schema=False)
async def public_report_submit(
    request: Request, background: BackgroundTasks, school_id: str
) -> Response:
    """Receive a report through the site's public form or the school's public link (rate
    limited per IP address, the two counted together)."""
    school, action = _public_form(request, school_id)
    return await _receive(request, background, school, action, None)
