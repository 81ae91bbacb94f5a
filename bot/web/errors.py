"""Unexpected errors: one log line with an error reference, never request bodies, SQL
parameters or exception messages, and a 500 page showing the person that reference.

Exception messages are left out on purpose: database drivers quote the values they were
given (a unique-key violation names the email address, a NUL-byte error echoes the text), and
those values are report contents, pupils' and reporters' names. The exception's types and the
code locations it passed through are enough to find the fault.
"""

from __future__ import annotations

import copy
import logging
import secrets
import traceback
from pathlib import Path
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from bot.engine.web.deps import templates

__all__ = [
    "ErrorReferenceMiddleware",
    "ScrubTracebacks",
    "describe",
    "log_unhandled",
    "scrub_root_logging",
    "server_config",
    "uvicorn_log_config",
]

log = logging.getLogger("bot.web")
FRAMES = 6  # the innermost code locations of ours kept in the log line
OURS = tuple(str(Path(__file__).resolve().parents[2] / top) for top in
             ("bot", "connectors", "schedules"))


def describe(exc: BaseException) -> str:
    """What may be logged about ``exc``: its chain of types and where it was raised."""
    types: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        types.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    stack = traceback.extract_tb(exc.__traceback__)
    # our own code says where it went wrong; the library's innermost frame says how
    ours = [f for f in stack if f.filename.startswith(OURS)][-FRAMES:]
    frames = ours + [f for f in stack[-1:] if f not in ours]
    where = " > ".join(
        f"{'/'.join(Path(f.filename).parts[-2:])}:{f.lineno} {f.name}" for f in frames
    )
    return f"{' caused by '.join(types)} at {where or '?'}"


def log_unhandled(exc: BaseException, method: str = "-", route: str = "-") -> str:
    """Log ``exc`` without its message and return the new error reference."""
    reference = secrets.token_hex(4).upper()
    log.error("error %s: %s %s failed: %s", reference, method, route, describe(exc))
    return reference


def _page(scope: Scope, reference: str, method: str) -> HTMLResponse:
    """The 500 page: the error reference, and what to do now."""
    saved = (
        " If you were sending a form, it may not have been saved: please send it again in a "
        "few minutes, or if it was about a child's safety, tell your school's safeguarding "
        "lead in person now."
        if method == "POST"
        else ""
    )
    message = (
        "Sorry, something went wrong on our side." + saved + " If it keeps happening, tell "
        f"whoever looks after this system at your school and quote error reference {reference}."
    )
    try:
        # no current_user() here: the database may be the very thing that failed
        return templates.TemplateResponse(
            Request(scope),
            "error.html",
            {"user": None, "csrf_token": "", "theme": "light", "status": 500,
             "message": message},
            status_code=500,
        )
    except Exception:  # the page itself failed (e.g. a broken template): plain words, same id
        return HTMLResponse(f"<h1>There was a problem</h1><p>{message}</p>", status_code=500)


class ErrorReferenceMiddleware:
    """Catch what nothing else handled: log it with a reference, show the person a 500 page.

    Unlike an ``exception_handler(Exception)``, which Starlette re-raises to the server after
    answering (so uvicorn logs the full exception text), nothing leaves this middleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; on an unexpected error, log a reference and answer 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", "?")  # the template, never a token
            method = str(scope.get("method", "-"))
            reference = log_unhandled(exc, method, route)
            if not started:  # once the page is on its way (background work), it stands
                await _page(scope, reference, method)(scope, receive, send)


class ScrubTracebacks(logging.Filter):
    """Replace any logged exception (uvicorn's "Exception in ASGI application", a scheduler
    job's traceback) by a line with an error reference, its types and code locations."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place when it carries an exception; keep every record."""
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            reference = secrets.token_hex(4).upper()
            said = record.getMessage()
            record.msg = "error %s: %s: %s"
            record.args = (reference, said, describe(exc))
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


def scrub_root_logging() -> None:
    """Put ScrubTracebacks on the root logger's handlers (a long-running process's log)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubTracebacks) for f in handler.filters):
            handler.addFilter(ScrubTracebacks())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with ScrubTracebacks on each of its handlers."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["scrub"] = {"()": ScrubTracebacks}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("scrub")
    return config


def server_config(app: ASGIApp, host: str, port: int) -> Any:
    """The uvicorn configuration the product serves with (tests serve with the same)."""
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", log_config=uvicorn_log_config()
    )
