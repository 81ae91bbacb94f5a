"""Blocks that must not write: a page served again from memory (``bot.web.page_cache``) was
rendered once, so anything it wrote (an audit entry of a read, a counter) would happen once for
many views. Inside :func:`read_only` every engine refuses any statement but a read, naming the
block, so a page that breaks the rule fails its first test instead of quietly under-recording.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["ReadOnlyError", "install", "read_only"]

_BLOCK: ContextVar[str | None] = ContextVar("read_only_block", default=None)
# reads, and what a read-only transaction itself issues (SQLite's PRAGMAs, a savepoint)
_READS = ("SELECT", "WITH", "PRAGMA", "SHOW", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK")


class ReadOnlyError(RuntimeError):
    """A statement that writes, run inside a :func:`read_only` block."""


@contextmanager
def read_only(what: str) -> Iterator[None]:
    """Refuse writes on every engine while the block runs (``what`` names it in the error)."""
    token = _BLOCK.set(what)
    try:
        yield
    finally:
        _BLOCK.reset(token)


def _refuse_writes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    what = _BLOCK.get()
    if what is None:
        return
    if statement.lstrip()[:9].upper().startswith(_READS):
        return
    raise ReadOnlyError(
        f"{what} must not write to the database (it ran: {statement.split(None, 1)[0]})"
    )


def install(engine: Engine) -> None:
    """Make ``engine`` keep :func:`read_only` blocks (``make_engine`` calls it)."""
    event.listen(engine, "before_cursor_execute", _refuse_writes)
