"""Each statement compiled once per test process, not once per engine.

SQLAlchemy keeps the SQL it compiled from a statement in a cache of each engine's, keyed by the
engine's dialect object. A test makes its own store (its own engine, often several: each
command a test runs, each app), so each test compiled again every statement its sweep and pages
run: ~90 compilations a store, 15-20 % of the CPU of a typical 0.2-2 s test. Here every engine
of the process shares one cache, whose keys name a dialect by what its compilation depends on
(its class and its settings: driver, paramstyle, server version, JSON serialiser, ...), not by
which object it is: two engines whose dialects agree on all of that compile a statement to the
same SQL, so the second takes the first's. Dialects that differ in any setting never share an
entry. What runs, and against which database, is the engine's own as before.

Only statements on the product's own tables (``Base.metadata``) are kept: a statement on a table
made for one connection (Alembic's ``alembic_version``, whose DDL events hold its connection)
would keep that connection's engine alive for the life of the process
(tests/web/test_app_released.py); those compile each time they run.
"""

from __future__ import annotations

from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.schema import Table
from sqlalchemy.util import LRUCache

SIZE = 5_000  # entries: an engine's own holds 500, and one process runs many modules' statements
_VALUES = (
    str,
    int,
    float,
    bool,
    type(None),
    tuple,
    type,
    FunctionType,
    BuiltinFunctionType,
    ModuleType,
)


def _setting(value: Any) -> Any:
    """A dialect attribute as it bears on compilation: a value or function as itself, a
    helper object (identifier preparer, type compiler, memo caches) by its class."""
    if isinstance(value, _VALUES):
        return value
    return type(value)


_KEYS: WeakKeyDictionary[Any, tuple[Any, ...]] = WeakKeyDictionary()


def _dialect_key(dialect: Any) -> tuple[Any, ...]:
    """The dialect's settings, read once per dialect: the cache is read only for a statement
    about to run on a connection, and a dialect's settings are final once its engine's first
    connection has set them (``Dialect.initialize``: server version, ...), before any runs."""
    key = _KEYS.get(dialect)
    if key is None:
        key = _KEYS[dialect] = (
            type(dialect),
            *sorted((k, _setting(v)) for k, v in vars(dialect).items()),
        )
    return key


def _ours(key: Any) -> bool:
    """True when every table the cache key names is one of the product's own."""
    from bot.core.models import Base

    if isinstance(key, Table):
        return key.metadata is Base.metadata
    if isinstance(key, tuple):
        return all(_ours(part) for part in key)
    return True


class SharedCompiledCache(LRUCache[Any, Any]):
    """An LRU cache of compiled statements whose keys name the dialect by its settings."""

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get((_dialect_key(key[0]), *key[1:]), default)

    def __setitem__(self, key: Any, value: Any) -> None:
        if _ours(key[1:]):
            super().__setitem__((_dialect_key(key[0]), *key[1:]), value)


CACHE = SharedCompiledCache(SIZE)


def _share(conn: Connection) -> None:
    engine = conn.engine
    if engine._compiled_cache is not None and engine._compiled_cache is not CACHE:
        engine._compiled_cache = CACHE


def share_compiled_statements() -> None:
    """From now on every engine of this process compiles into (and reads) ``CACHE``."""
    event.listen(Engine, "engine_connect", _share)
