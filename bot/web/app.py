"""The web app factory: sessions, CSRF, security headers, sign-in, and the feature routers."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.config import ConfigError
from bot.core.config.store import read_once
from bot.core.database.store import Store
from bot.core.days.calendar import is_working_day
from bot.core.days.clock import local_today
from bot.core.deployment import scheduler_health
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.language.i18n import N_, Lazy
from bot.core.models import utcnow
from bot.engine.web import auth, links, teams_sso
from bot.engine.web.deps import error_page, templates
from bot.engine.web.guards import BodyLimit, refuse_control_characters
from bot.engine.web.threads import use_page_threads
from bot.features.accounts import web as accounts_web
from bot.features.chatbot import web as chatbot_web
from bot.features.dashboard import web as dashboard_web
from bot.features.decisions import web as decisions_web
from bot.features.evidence import web as evidence_web
from bot.features.governors import web as governors_web
from bot.features.people import web as people_web
from bot.features.policies import web as policies_web
from bot.features.privacy import web as complaints_web
from bot.features.privacy import web_rights as rights_web
from bot.features.reports import web_intake as reports_intake_web
from bot.features.reports import web_list as reports_list_web
from bot.features.scr import web as scr_web
from bot.features.setup import web as setup_web
from bot.features.signin import web as signin_web
from bot.features.tasks import web as tasks_web
from bot.features.teamsbot import web as teamsbot_web
from bot.features.training import web as training_web
from bot.features.trust import web as trust_web
from bot.features.visitors import web as visitors_web
from bot.web import legal, me
from bot.web.errors import ErrorReferenceMiddleware
from bot.wiring import install

__all__ = ["create_app", "judge_schedulers"]

STATIC = Path(__file__).parent / "static"
FRAME_ANCESTORS = (
    "'self' https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft "
    "https://*.office.com https://outlook.office.com"
)
# every page of the product, by plain import: a renamed module is an import error, not a
# silently missing feature
ROUTERS = (
    auth.router,
    signin_web.router,
    teams_sso.router,
    links.router,
    me.router,
    legal.router,
    dashboard_web.router,
    reports_intake_web.router,
    reports_list_web.router,
    complaints_web.router,
    rights_web.router,
    accounts_web.router,
    policies_web.router,
    governors_web.router,
    trust_web.router,
    training_web.router,
    decisions_web.router,
    tasks_web.router,
    visitors_web.router,
    scr_web.router,
    people_web.router,
    setup_web.router,
    evidence_web.router,
    teamsbot_web.router,
    chatbot_web.router,
)
# no control characters, anywhere: on every page (here) and on the app's own (``create_app``)
EVERY_REQUEST = [Depends(refuse_control_characters)]
# the pages, included once for the process. FastAPI analyses an included router's routes (their
# dependencies, their form validators) on the first request through that inclusion and keeps the
# result on it: one inclusion, shared by every app this process builds (a restart, every command
# that builds one, every test), pays that once, not once per app. ``app.dependency_overrides``
# does not reach these pages (their inclusion belongs to no app); nothing here overrides one.
PAGES = APIRouter(dependencies=EVERY_REQUEST)
for _router in ROUTERS:
    PAGES.include_router(_router)
MAX_BODY = 12 * 1024 * 1024  # 12 MB: attachments are checked individually below this


SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {FRAME_ANCESTORS}",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),  # tokens live in link paths
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


class PageGuard:
    """Every answer's guard, as plain ASGI (Starlette's ``BaseHTTPMiddleware`` costs a task and
    a stream per request): give every session its CSRF token, and put the security headers on
    every answer that does not set its own (a body over ``MAX_BODY`` never gets here:
    ``BodyLimit``, outside it, refuses it)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app`` (inside the session middleware: it needs the session)."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the page with the session's CSRF token and the headers added."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        with read_once():  # the configuration's stamp read once for the whole request
            await self.app(scope, receive, with_headers)


def body_language(ctx: AppContext, scope: Scope) -> str:
    """The language of an answer given before the page knows its school (the size limit):
    the school the address names (``/visit/oak``) or the one school this server runs; else
    both, Welsh first, where any school on the install speaks Welsh; English when the
    settings cannot be read."""
    try:
        schools = ctx.config.schools
    except ConfigError:
        return "en"
    parts = set(str(scope.get("path", "")).split("/"))
    named = [school for school in schools if school.id in parts]
    if len(named) == 1 or len(schools) == 1:
        return (named or schools)[0].language
    return "cy+en" if any(school.language != "en" for school in schools) else "en"


def readiness(store: Store, *, scheduler: bool = True) -> Response:
    """200 when the database answers and the scheduler has run within two beats (this
    process's own; without one, on PostgreSQL, any scheduler's beat kept in the database);
    503 with a short reason (no detail: it may name a host) when not. ``scheduler=False``
    (``/readyz?scope=pages``, the web pods' readiness probe): only whether pages can be served,
    so a stopped scheduler never takes the report form out of service with it."""
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            stopped = scheduler_health.stopped(utcnow(), conn) if scheduler else None
    except SQLAlchemyError:
        return PlainTextResponse("database unreachable", status_code=503)
    if stopped is not None:
        return PlainTextResponse(stopped.reason, status_code=503)
    return PlainTextResponse("ready")


def judge_schedulers(settings: Settings, store: Store) -> None:
    """This web process runs no scheduler: on PostgreSQL, ``/readyz`` and the dashboard judge
    the beat any scheduler keeps in the database, from now on. SQLite keeps none (its one
    scheduler runs on the same host): there only the database is judged."""
    if store.engine.url.get_backend_name() == "postgresql":
        scheduler_health.watch(settings.scheduler_beat_seconds, utcnow(), settings.audit_keyring())


def create_app(
    settings: Settings, context: AppContext | None = None, *, web_only: bool = False
) -> FastAPI:
    """Build the ASGI app for these settings (the store is migrated on first use);
    ``web_only``: no scheduler runs in this process (``judge_schedulers``)."""
    install()  # hand the engine the features' sweep steps, as every entry point does
    ctx = context or AppContext(settings)
    _ = ctx.store  # migrate before serving
    if web_only:
        judge_schedulers(settings, ctx.store)

    @asynccontextmanager
    async def serving(_app: FastAPI) -> AsyncIterator[None]:
        use_page_threads()
        yield

    app = FastAPI(
        title="compliance-bot",
        lifespan=serving,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.demo else None,
        dependencies=EVERY_REQUEST,
    )
    app.state.ctx = ctx

    app.add_middleware(PageGuard)  # inside the session middleware below
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_key(),
        session_cookie="cb_session",
        # inside a Teams tab the page is a cross-site iframe: Lax cookies would not be sent
        same_site="none" if settings.base_url.startswith("https://") else "lax",
        https_only=settings.base_url.startswith("https://"),
        max_age=8 * 3600,
    )
    # counts what really arrives; says no in the language of the school the address names
    app.add_middleware(BodyLimit, limit=MAX_BODY, language=lambda scope: body_language(ctx, scope))
    # outermost: whatever fails inside is logged with a reference and never re-raised to the
    # server (which would log the exception's text: SQL parameters, report contents)
    app.add_middleware(ErrorReferenceMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, (str, Lazy)) else N_("Something went wrong.")
        if exc.status_code == 404 and message == "Not Found":
            message = N_("There is nothing at this address.")
        # rendering reads the school's state: on a page thread, not the event loop
        return await run_in_threadpool(error_page, request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
            problems.append(f"{where}: {error.get('msg')}")
        return await run_in_threadpool(
            error_page, request, 422, N_("Some of what was sent was not valid."), problems=problems
        )

    app.router.routes.extend(PAGES.routes)  # the inclusions themselves, analysed once (above)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:  # on the event loop: never behind a page
        return {"ok": True}

    app.get("/readyz", include_in_schema=False)(readyz)

    templates.env.globals["demo"] = settings.demo
    _warm(ctx)
    return app


def readyz(request: Request, scope: str = "") -> Response:
    """Ready when the database answers and the scheduler runs; ``?scope=pages``: ready to serve
    pages (the database answers), for a load balancer's readiness probe. A function of the
    module, not of ``create_app``: FastAPI keeps the endpoints it has classified in caches of its
    own (thousands), and a closure there would keep its app's context, store and engine alive."""
    return readiness(request.app.state.ctx.store, scheduler=scope != "pages")


# the pages a person reporting a concern waits for: compiled before the first one arrives
URGENT_PAGES = ("report_form.html", "report_received.html", "error.html")


def _warm(ctx: AppContext) -> None:
    """Do once, before serving, what the first report after a start would otherwise do while
    its reporter waits (and every request beside it): compile the form's pages and load the
    schools' bank holidays for this year and the next (the clocks count working days)."""
    for name in URGENT_PAGES:
        templates.env.get_template(name)
    try:
        schools = ctx.config.schools
    except ConfigError:
        return  # the pages say what is wrong with the configuration
    today = local_today(utcnow())
    for school in schools:
        for year in (today.year, today.year + 1):
            is_working_day(school.country, today.replace(year=year, month=1, day=1))
