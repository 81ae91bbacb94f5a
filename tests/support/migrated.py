"""Migrations once per test process, not once per test.

The first empty database a test process migrates to ``head`` goes through Alembic as always, and
is kept as a template the moment Alembic is done (SQLite: a copy by SQLite's backup API;
PostgreSQL: ``CREATE DATABASE ... TEMPLATE``, ``PostgresDatabases``). Every later empty database
migrated to ``head`` gets the template's copy: the same schema and rows Alembic wrote, in a
fraction of the time (33 migrations took 0.5 s on SQLite and 1.3-2 s on PostgreSQL, each
time). Migrations to other revisions, and databases that already hold tables, go through Alembic
unchanged, so the migration tests still test the migrations.

``Store.upgrade`` on an empty database does the same a second time: its own steps after the
migrations (what it decides from the empty schema, the audit chain's head row, adopting the key,
sealing a baseline of no records) leave exactly one row more, the chain's empty head, whatever
the key or the clock. The first empty store a process upgrades runs them all and is kept as a
second template; later empty stores get its copy (80 ms of steps became an 8 ms copy, per test).
A database that holds tables, a test that replaced one of those steps, and an in-memory
database go through ``Store.upgrade`` unchanged, so the upgrade and audit tests still test it.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, inspect, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool


class Templates:
    """Stands in front of ``alembic.command.upgrade`` for one test process."""

    def __init__(self, upgrade: Callable[..., None], folder: Path) -> None:
        self.upgrade = upgrade
        self.folder = folder
        self.sqlite: Path | None = None
        self.postgres: tuple[Engine, str] | None = None  # the server (admin engine), template
        self.upgraded: Templates | None = None  # the same, for stores Store.upgrade made

    def __call__(self, config: Any, revision: str, *args: Any, **kwargs: Any) -> None:
        engine = config.attributes.get("engine")
        if revision != "head" or args or kwargs or engine is None or _has_tables(engine):
            self.upgrade(config, revision, *args, **kwargs)
        elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            self._sqlite(config, engine)
        elif engine.dialect.name == "postgresql":
            self._postgres(config, engine)
        else:
            self.upgrade(config, revision)

    def _sqlite(self, config: Any, engine: Engine) -> None:
        target = str(engine.url.database)
        if self.sqlite is None:
            self.upgrade(config, "head")
            self.sqlite = self.folder / "migrated.db"
            _backup(target, str(self.sqlite))
            return
        _backup(str(self.sqlite), target)
        engine.dispose()  # pooled connections opened on the empty file start afresh

    def _postgres(self, config: Any, engine: Engine) -> None:
        name = str(engine.url.database)
        server = DATABASES.server(engine.url)
        if self.postgres is None:
            self.upgrade(config, "head")
            engine.dispose()  # a database is copied only while nobody is connected to it
            template = f"cb_test_template_{uuid.uuid4().hex[:12]}"
            try:
                with server.connect() as conn:
                    conn.execute(
                        text(f'CREATE DATABASE "{template}" TEMPLATE "{name}"{_strategy(conn)}')
                    )
            except DBAPIError:  # the test holds another connection to it: keep none this time
                return
            self.postgres = (server, template)
            return
        server, template = self.postgres
        engine.dispose()
        DATABASES.set_aside(server, name)  # still empty: the next test's (no DROP DATABASE)
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{_strategy(conn)}'))

    def store_upgrade(
        self, upgrade: Callable[[Any], None], untouched: Callable[[], bool]
    ) -> Callable[[Any], None]:
        """A stand-in for ``Store.upgrade``: an empty store gets the upgraded template's copy
        while ``untouched()`` (no test has replaced one of its steps), else ``upgrade`` runs."""
        self.upgraded = Templates(lambda config, revision: upgrade(config), self.folder / "up")
        self.upgraded.folder.mkdir(exist_ok=True)
        upgraded = self.upgraded

        def store_upgrade(store: Any) -> None:
            engine = store.engine
            if not untouched() or _has_tables(engine):
                upgrade(store)
            elif engine.dialect.name == "sqlite" and engine.url.database not in (
                None,
                "",
                ":memory:",
            ):
                upgraded._sqlite(store, engine)
            elif engine.dialect.name == "postgresql":
                upgraded._postgres(store, engine)
            else:
                upgrade(store)

        return store_upgrade

    def close(self) -> None:
        """Drop the PostgreSQL templates (SQLite's go with the process's temporary files)."""
        if self.upgraded is not None:
            self.upgraded.close()
        if self.postgres is not None:
            server, template = self.postgres
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def copy_database(url: str, folder: Path) -> str:
    """A copy of the database at ``url`` for one test (SQLite: a file in ``folder``;
    PostgreSQL: ``PostgresDatabases.copy``, dropped by ``drop_copy``); nobody may be writing
    to ``url`` meanwhile."""
    found = make_url(url)
    if found.get_backend_name() == "sqlite":
        target = folder / "copy.db"
        _backup(str(found.database), str(target))
        return f"sqlite:///{target}"
    return DATABASES.copy(url)


def drop_copy(url: str) -> None:
    """Let go of a ``copy_database`` copy (SQLite's file goes with the test's folder)."""
    if make_url(url).get_backend_name() != "sqlite":
        DATABASES.drop(url)


def _backup(source: str, target: str) -> None:
    """Copy one SQLite database over another, page by page (safe with the target's WAL)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


class PostgresDatabases:
    """A test process's empty PostgreSQL databases: one dropped per test, not two.

    ``DROP DATABASE`` forces a checkpoint of the whole server (PostgreSQL 15): 0.1-1 s on a quiet
    machine, up to 8 s on a loaded one, and each PostgreSQL test paid it twice (the empty
    database the template's copy replaced, then its own at teardown). The empty one the copy
    replaces is renamed aside instead (no checkpoint) and handed, still never used, to the next
    test; the spares are dropped when the process ends.

    The one left, each test's own database, is dropped off the test's path: ``drop`` hands it to
    one background thread per test process, and the next test runs while the server
    checkpoints (the database's name is never used again, so nothing sees it meanwhile). At
    most ``BACKLOG`` used databases wait (a migrated copy is ~10 MB on disk); a test's teardown
    waits only when that many do. ``settle`` waits for the backlog, and ``close`` settles and
    raises what a drop raised. The drops still cost the server its checkpoints: on a durable
    server another suite keeps writing to, a drop took up to 11 s, the backlog filled and
    teardowns waited again; CI's own cluster is non-durable (.ci/run), where they keep up.
    """

    PREFIX = "cb_test_"
    BACKLOG = 16

    def __init__(self) -> None:
        self.servers: dict[str, Engine] = {}  # the admin engine of each server, by its URL
        self.spare: dict[str, list[str]] = {}  # never-used empty databases, by server
        self.dropping: queue.Queue[str] = queue.Queue(maxsize=self.BACKLOG)
        self.dropper: threading.Thread | None = None
        self.failed: list[BaseException] = []  # what the dropper's drops raised

    def server(self, url: str | URL) -> Engine:
        """The (cached) autocommit engine on the server's ``postgres`` database."""
        admin = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
        key = admin.render_as_string(hide_password=False)
        if key not in self.servers:
            self.servers[key] = create_engine(
                admin, isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
        return self.servers[key]

    def take(self, server_url: str) -> str:
        """The URL of an empty database on the server (a spare, or a new one)."""
        server = self.server(server_url)
        spare = self.spare.setdefault(_key(server), [])
        if spare:
            name = spare.pop()
        else:
            name = f"{self.PREFIX}{uuid.uuid4().hex[:12]}"
            with server.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        return server.url.set(database=name).render_as_string(hide_password=False)

    def set_aside(self, server: Engine, name: str) -> None:
        """Rename the empty database ``name`` out of the way and keep it as a spare."""
        spare = f"{self.PREFIX}{uuid.uuid4().hex[:12]}"
        with server.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{spare}"'))
        self.spare.setdefault(_key(server), []).append(spare)

    def copy(self, url: str) -> str:
        """The URL of a new database holding a copy of ``url``'s (nobody may be connected to
        it): a set-up built once and copied per test, as the migrated template is."""
        server = self.server(url)
        name = f"{self.PREFIX}{uuid.uuid4().hex[:12]}"
        with server.connect() as conn:
            template = make_url(url).database
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{_strategy(conn)}'))
        return server.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop the test's database (whatever it holds now), in the background."""
        self.server(url)  # the admin engine is made on this thread, the dropper only uses it
        if self.dropper is None or not self.dropper.is_alive():
            self.dropper = threading.Thread(target=self._drops, name="drop-databases", daemon=True)
            self.dropper.start()
        self.dropping.put(url)

    def _drops(self) -> None:
        while True:
            url = self.dropping.get()
            try:
                self._drop(url)
            except BaseException as error:  # raised again by close(), on the test's thread
                self.failed.append(error)
            finally:
                self.dropping.task_done()

    def _drop(self, url: str) -> None:
        with self.server(url).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

    def settle(self) -> None:
        """Wait until every database handed to ``drop`` is dropped."""
        self.dropping.join()

    def close(self) -> None:
        """Finish the drops, drop the spares and let go of the servers."""
        self.settle()
        for key, names in self.spare.items():
            with self.servers[key].connect() as conn:
                for name in names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.spare.clear()
        for server in self.servers.values():
            server.dispose()
        self.servers.clear()
        if self.failed:
            failed, self.failed = self.failed, []
            raise RuntimeError(f"{len(failed)} test database(s) not dropped") from failed[0]


def _strategy(conn: Connection) -> str:
    """How the server copies a template: file by file (``STRATEGY FILE_COPY``) on a
    non-durable server (``fsync`` off, as CI's cluster is: .ci/run) of PostgreSQL 15+, else its
    default. The default, ``WAL_LOG``, writes every page of the ~10 MB copy through the WAL;
    the file copy costs two checkpoints instead, which without fsync wait for no disk (a durable
    server's would, on the test's path). On CI's cluster, 77 PostgreSQL tests on two workers,
    alternate runs: the server 18.8-19.0 CPU s -> 16.2-17.0, the tests' processes (all they
    started) 61.9-63.4 -> 58.8-60.8."""
    server = _key(conn.engine)
    if server not in _STRATEGIES:
        file_copy = (conn.dialect.server_version_info or ()) >= (15,) and (
            conn.execute(text("SHOW fsync")).scalar() == "off"
        )
        _STRATEGIES[server] = " STRATEGY FILE_COPY" if file_copy else ""
    return _STRATEGIES[server]


_STRATEGIES: dict[str, str] = {}  # by server


def _key(server: Engine) -> str:
    return server.url.render_as_string(hide_password=False)


DATABASES = PostgresDatabases()
