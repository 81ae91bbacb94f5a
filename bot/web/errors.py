"""Unexpected errors: one log line with an error reference, never request bodies, SQL
parameters or exception messages, and a 500 page showing the person that reference.

Exception messages are left out on purpose: database drivers quote the values they were
given (a unique-key violation names the email address, a NUL-byte error echoes the text), and
those values are report contents, pupils' and reporters' names. The exception's types and the
code locations it passed through are enough to find the fault.
"""

from __future__ import annotations

import logging
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.engine.web.deps import templates
from bot.web.serving import describe

__all__ = ["ErrorReferenceMiddleware", "log_unhandled"]

log = logging.getLogger("bot.web")


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
            {"user": None, "csrf_token": "", "theme": "light", "status": 500, "message": message},
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
