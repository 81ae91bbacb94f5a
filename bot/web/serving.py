"""How the web UI is served: uvicorn's configuration, its logging with tracebacks scrubbed, and
its HTTP protocol with Nagle's algorithm off on every connection.

A light module on purpose: each of ``run --workers N``'s processes unpickles its configuration
(this module's filter and protocol) before it answers uvicorn's health check, which it must do
within the check's timeout; importing the application there (SQLAlchemy, Jinja, FastAPI) took
longer than uvicorn's default 5 s on a busy machine, so the workers were killed and started again,
and the web UI never came up.

Exceptions are logged as their types and code locations (``describe``), never their messages:
database drivers quote the values they were given, and those are report contents.

``run --workers N`` spreads connections over its workers (Linux): uvicorn's supervisor binds the
address (refusing one in use) but never listens on it, and each worker unpickles that socket as
a listening socket of its own on the same address (``SO_REUSEPORT``), among which the kernel
spreads new connections. On one shared socket, asyncio's accept loop takes every waiting
connection each time it wakes, so the first worker to wake took a whole burst of keep-alive
connections, kept them for good, and the others stayed idle. A worker that stops loses the few
connections waiting in its own queue (Linux's ``net.ipv4.tcp_migrate_req`` moves them); one
started again, by the supervisor or by a restart, binds its own socket as the first did.
Elsewhere the workers share the supervisor's socket as uvicorn makes them do.

Every listening socket made here says it is TCP (``IPPROTO_TCP``), so asyncio turns
``TCP_NODELAY`` on for each connection it accepts: uvicorn writes a response's head and body
separately, and with Nagle's algorithm on (uvicorn's own shared socket, made without it) the body
waited for the browser's delayed acknowledgement of the head, about 40 ms on every page.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import secrets
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG

__all__ = [
    "ScrubTracebacks",
    "WorkerListener",
    "describe",
    "handed",
    "own_listener",
    "scrub_root_logging",
    "serve_workers",
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
    """What ``run --workers N`` configures uvicorn with (``uvicorn.Config(**options)``): each
    process builds the app from the environment."""
    return {
        "app": "bot.web.asgi:app",
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "warning",
        "log_config": uvicorn_log_config(),
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK,
    }


class WorkerListener(socket.socket):
    """The supervisor's socket, bound and never listened on, that reaches each worker as a
    listening socket of its own on the same address (how a worker is handed it: pickled)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuilt in the worker by ``own_listener`` on this socket's address."""
        return own_listener, (self.family, self.getsockname())


def own_listener(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A worker's own socket on ``address``, where the supervisor's holds the address: the
    kernel spreads new connections over every worker's (``SO_REUSEPORT``)."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn's own
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def handed(bound: socket.socket) -> socket.socket:
    """The supervisor's socket ``bound`` as it is handed to the workers: said to be TCP, and on
    Linux a ``WorkerListener``."""
    kind = WorkerListener if sys.platform == "linux" else socket.socket
    return kind(bound.family, bound.type, socket.IPPROTO_TCP, bound.detach())


def serve_workers(host: str, port: int, workers: int) -> None:
    """Serve ``run --workers N``: uvicorn's supervisor and its workers, each worker with a
    listening socket of its own on Linux (the module's docstring says why)."""
    from uvicorn.supervisors import Multiprocess  # lazy: a worker unpickling this module needs none

    config = uvicorn.Config(**workers_options(host, port, workers))
    bound = config.bind_socket()  # uvicorn's: refuses an address in use, and says so
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the supervisor stops its workers
        Multiprocess(config, sockets=[handed(bound)]).run()
