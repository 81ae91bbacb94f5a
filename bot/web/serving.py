"""How the web UI is served: uvicorn's configuration, its logging with tracebacks scrubbed, and
its HTTP protocol with Nagle's algorithm off on every connection.

A light module on purpose: each of ``run --workers N``'s processes unpickles its configuration
(this module's filter and protocol) before it answers uvicorn's health check, which it must do
within the check's timeout; importing the application there (SQLAlchemy, Jinja, FastAPI) took
longer than uvicorn's default 5 s on a busy machine, so the workers were killed and started again,
and the web UI never came up.

Exceptions are logged as their types and code locations (``describe``), never their messages:
database drivers quote the values they were given, and those are report contents.

asyncio turns ``TCP_NODELAY`` on for connections it accepts itself, but not on those accepted
from the listening socket uvicorn's worker processes share (made without ``IPPROTO_TCP``). uvicorn
writes a response's head and body separately, so there the body waited for the browser's
delayed acknowledgement of the head: about 40 ms on every page of ``run --workers 2``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import secrets
import socket
import traceback
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "NoDelayH11Protocol",
    "ScrubTracebacks",
    "describe",
    "scrub_root_logging",
    "server_config",
    "uvicorn_log_config",
    "workers_options",
]

FRAMES = 6  # the innermost code locations of ours kept in the log line
OURS = tuple(
    str(Path(__file__).resolve().parents[2] / top) for top in ("bot", "connectors", "schedules")
)
# seconds a web process may take to answer uvicorn's health check before it is started again
# (uvicorn's default, 5, is shorter than a worker's start on a busy small server)
WORKER_HEALTHCHECK = 60


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, sending each write at once (``TCP_NODELAY``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Switch Nagle's algorithm off, then serve the connection as usual."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: serve it as is
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


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


def workers_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """What ``run --workers N`` hands uvicorn (``uvicorn.run(**options)``; the same names are
    ``uvicorn.Config``'s): each process builds the app from the environment."""
    return {
        "app": "bot.web.asgi:app",
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "warning",
        "log_config": uvicorn_log_config(),
        "http": NoDelayH11Protocol,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK,
    }
