"""Signed-in pages kept ready: rendered once, served again while nothing they show can differ.

A page is served from memory only when all of these are what they were when it was rendered:
a stamp of the whole database, read *before* the page reads anything (SQLite:
``PRAGMA data_version`` on a connection of our own that never writes, which changes with every
commit any other connection or process makes; PostgreSQL: the current snapshot, which names
every transaction that has finished), the London minute, ``school.yaml``'s size and time, the
address with its query, the theme cookie, and the session's person and session number. A page
whose words change inside a minute (a report clock's "5 min left") says until when they are
true (:func:`true_until`). The CSRF token is the one per-session part: it is put back into the
kept page for each answer. Nothing is written on a page's behalf, so a page that records a read
in the audit log must not be kept (the dashboard and the people list record none): a kept page
is rendered inside ``bot.core.audit.unaudited``, where any audit entry fails.

Kept per web process (the key comes from the database, so processes never disagree), bounded:
the least recently used page is dropped first.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.core.audit import unaudited
from bot.core.models import utcnow

__all__ = ["DataStamp", "PageCache", "kept", "true_until"]

_CSRF_MARK = b"\x00csrf\x00"  # never in a rendered page: control characters are refused


class DataStamp:
    """A cheap value that changes whenever anything is committed to the database (None: the
    database cannot say, so nothing is kept)."""

    def __init__(self, engine: Engine) -> None:
        """Stamp ``engine``'s database (an in-memory SQLite database is never stamped)."""
        self._engine = engine
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None
        self._opened = 0  # how many connections were opened: a new one counts from the start
        backend = engine.url.get_backend_name()
        database = engine.url.database
        self._postgres = backend == "postgresql"
        self._path = (
            database if backend == "sqlite" and database and database != ":memory:" else None
        )

    def read(self) -> Hashable | None:
        """The stamp now."""
        if self._postgres:
            try:
                with self._engine.connect() as conn:
                    return str(conn.execute(text("SELECT pg_current_snapshot()::text")).scalar())
            except SQLAlchemyError:
                return None
        if self._path is None:
            return None
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        file = (st.st_dev, st.st_ino)  # a database file put in place of ours starts afresh
        with self._lock:
            if self._conn is None or self._file != file:
                if self._conn is not None:
                    self._conn.close()
                self._conn = sqlite3.connect(
                    self._path, check_same_thread=False, isolation_level=None
                )
                self._file = file
                self._opened += 1
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return (self._opened, version)


@dataclass(frozen=True)
class _Page:
    body: bytes  # with the CSRF token taken out
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    until: datetime | None  # the last instant it is true


class PageCache:
    """Rendered pages by everything they depend on (see the module's notes), at most ``size``."""

    def __init__(self, stamp: DataStamp | None, config_path: Path, size: int = 256) -> None:
        """Keep up to ``size`` pages, stamped by ``stamp`` (None: keep nothing)."""
        self._stamp = stamp
        self._config_path = config_path
        self._size = size
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def _key(self, request: Request, now: datetime) -> Hashable | None:
        session = request.session
        who = (session.get("user"), session.get("school"), session.get("sv"))
        if not who[0] or self._stamp is None:
            return None
        stamp = self._stamp.read()
        if stamp is None:
            return None
        try:
            st = self._config_path.stat()
            config: tuple[int, ...] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            config = ()
        return (
            stamp,
            int(now.timestamp() // 60),
            config,
            request.url.path,
            request.url.query,
            request.cookies.get("cb_theme"),
            who,
        )

    def serve(self, request: Request, build: Callable[[], Response]) -> Response:
        """The kept page if it is still true, else ``build()`` (kept when it is a 200 page)."""
        now = utcnow()
        key = self._key(request, now)
        csrf = str(request.session.get("csrf", "")).encode()
        if key is not None:
            with self._lock:
                page = self._pages.get(key)
                if page is not None:
                    self._pages.move_to_end(key)
            if page is not None and (page.until is None or now <= page.until):
                self.hits += 1
                answer = Response(page.body.replace(_CSRF_MARK, csrf), page.status)
                answer.raw_headers = [
                    *(h for h in page.headers if h[0] != b"content-length"),
                    (b"content-length", answer.headers["content-length"].encode()),
                ]
                return answer
        with unaudited("A page the page cache keeps"):  # it is rendered once for many views
            response = build()
        if key is None or response.status_code != 200 or not csrf:
            return response
        body = bytes(response.body)
        kept_page = _Page(
            body.replace(csrf, _CSRF_MARK),
            response.status_code,
            tuple(response.raw_headers),
            getattr(request.state, "true_until", None),
        )
        with self._lock:
            self._pages[key] = kept_page
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)
        return response


def true_until(request: Request, instant: datetime | None) -> None:
    """Say that the page being built reads differently after ``instant`` (None: no limit)."""
    if instant is None:
        return
    before = getattr(request.state, "true_until", None)
    request.state.true_until = instant if before is None else min(before, instant)


def kept(request: Request, build: Callable[[], Response]) -> Response:
    """``build()``'s page through the app's page cache (built afresh when the app has none)."""
    cache: PageCache | None = getattr(request.app.state, "page_cache", None)
    return build() if cache is None else cache.serve(request, build)
