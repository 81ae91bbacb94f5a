"""The school's settings as saved versions: the web pages' home for them, and school.yaml's twin.

Where the settings live is chosen at setup (``setup_state.config_source``):

- ``file``: school.yaml is the source of truth (an IT provider, infrastructure as code); the admin
  pages show the settings and say where to change them.
- ``web``: the admin pages edit the settings; each change is validated, saved here as a new
  version (who, when, why, a hash), audited and applied at once (``bot.engine.settings_change``).
  school.yaml is then an export, rewritten after each change, and ``compliance-bot config
  import`` loads an edited copy back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import OrgConfig, per_school
from bot.core.config.said import NOT_REWRITTEN, saved_on
from bot.core.config.writing import commented_yaml, plain
from bot.core.database.store import Store
from bot.core.deployment import setup_state
from bot.core.deployment.settings import Settings
from bot.core.language.i18n import Msg
from bot.core.models import ConfigVersion, SetupState

__all__ = [
    "config_stamp",
    "document",
    "export",
    "export_header",
    "forget_stamps",
    "has_database",
    "latest",
    "load_org",
    "read_once",
    "save",
    "set_source",
    "to_yaml",
    "updated",
]

log = logging.getLogger(__name__)


# school settings written out even when they are the defaults, so a person sees them to change
ALWAYS_WRITTEN = ("country", "sending_window")


def document(org: OrgConfig) -> dict[str, Any]:
    """The configuration as plain data: what differs from the defaults (and the few settings a
    person should always see), in the order the file describes them."""
    data = org.model_dump(mode="python", exclude_defaults=True, exclude={"base_dir"})
    for school, written in zip(org.schools, data["schools"], strict=True):
        full = school.model_dump(mode="python", include=set(ALWAYS_WRITTEN))
        merged = {**written, **{k: full[k] for k in ALWAYS_WRITTEN}}
        written.clear()
        written.update({k: merged[k] for k in type(school).model_fields if k in merged})
    return dict(plain(data))


def updated(org: OrgConfig, school_id: str, **fields: Any) -> OrgConfig:
    """A copy of ``org`` with these settings of one school changed, checked as a whole
    (raises pydantic's ValidationError naming each field at fault; ``org`` is untouched)."""
    data = document(org)
    school = next((s for s in data["schools"] if s["id"] == school_id), None)
    if school is None:
        raise KeyError(school_id)
    school.update(plain(fields))
    return OrgConfig.model_validate({**data, "base_dir": org.base_dir})


def _canonical(data: dict[str, Any]) -> str:
    """Stable JSON of a document (dates as ISO text), the form that is stored and hashed."""
    return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)


def export_header(when: datetime | None = None) -> str:
    """The first lines of a school.yaml written from the web pages' settings."""
    stamp = f" on {when:%d %B %Y at %H:%M} UTC" if when is not None else ""
    return (
        f"# This school's settings, exported from the bot's web pages{stamp}.\n"
        "# The web pages are where they are changed: edits to this file are not read until you\n"
        "# run `compliance-bot config import school.yaml` (which checks it first).\n"
    )


def to_yaml(org: OrgConfig, header: str | None = None) -> str:
    """A commented, hand-readable school.yaml for this configuration (no ``&id001`` anchors)."""
    head = (
        header
        if header is not None
        else (
            "# This school's compliance-bot settings. After editing, run "
            "`compliance-bot check config`.\n"
        )
    )
    return commented_yaml(document(org), head)


def latest(session: Session) -> ConfigVersion | None:
    """The newest saved version, or None."""
    return session.scalar(select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(1))


def has_database(settings: Settings) -> bool:
    """False for a SQLite database whose file does not exist yet (nothing is stored there)."""
    prefix = "sqlite:///"
    url = settings.db_url
    return not (url.startswith(prefix) and not Path(url[len(prefix) :]).exists())


# one web request's stamps, by settings object: a page reads the configuration several times
# (its school, its alerts, its template), and each read asked the database again
_STAMPS: ContextVar[dict[int, tuple[Any, ...]] | None] = ContextVar("config_stamps", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block (one web request), the configuration's stamp is read once: what is in
    force when the request begins serves the whole request, unless the request itself saves
    settings (``save`` and ``set_source`` forget it, and again when they commit)."""
    token = _STAMPS.set({})
    try:
        yield
    finally:
        _STAMPS.reset(token)


# the database's part of the stamp, shared by this process's requests for a moment: under load
# every page asked the database (a connection, a query, a rollback) before doing its own work.
# A save in this process forgets it at once; another process's save is seen within the moment.
SHARED_FOR = 1.0  # seconds
_SHARED: dict[str, tuple[float, tuple[Any, ...]]] = {}
_SHARED_LOCK = threading.Lock()


def forget_stamps(session: Session | None = None) -> None:
    """Read the stamp afresh at the next read, and once more after ``session`` commits."""
    stamps = _STAMPS.get()

    def forget(_session: Session | None = None) -> None:
        with _SHARED_LOCK:
            _SHARED.clear()
        if stamps is not None:
            stamps.clear()

    forget()
    if session is not None:
        event.listen(session, "after_commit", forget, once=True)


def config_stamp(settings: Settings, store: Store | None) -> tuple[Any, ...]:
    """Cheap facts that change whenever the configuration in force could: where it is kept,
    the newest saved version, and school.yaml's size and modification time (inside
    ``read_once``, once per request; the database's part shared for ``SHARED_FOR``)."""
    stamps = _STAMPS.get()
    if stamps is not None:
        known = stamps.get(id(settings))
        if known is None:
            known = stamps[id(settings)] = _stamp(settings, store)
        return known
    return _stamp(settings, store)


def _stamp(settings: Settings, store: Store | None) -> tuple[Any, ...]:
    """The stamp as it is now (see ``config_stamp``)."""
    try:
        st = settings.config_path.stat()
        file: tuple[Any, ...] = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        file = ()
    if store is None or not has_database(settings):
        return file
    now = monotonic()
    with _SHARED_LOCK:
        shared = _SHARED.get(settings.db_url)
    if shared is not None and now - shared[0] < SHARED_FOR:
        return (*file, *shared[1])
    with store.session() as session:
        row = tuple(
            session.execute(
                select(
                    select(SetupState.config_source).limit(1).scalar_subquery(),
                    select(func.max(ConfigVersion.id)).scalar_subquery(),
                )
            ).one()
        )
    with _SHARED_LOCK:
        _SHARED[settings.db_url] = (now, row)
    return (*file, *row)


def load_org(settings: Settings, store: Store | Session | None = None) -> OrgConfig:
    """The configuration in force: the newest saved version when the web pages keep the
    settings, otherwise school.yaml, checked school by school (``per_school``): a school whose
    entry fails keeps its last good settings or is held; ConfigError only when no school can be
    in force at all."""
    if store is None or not has_database(settings):
        return per_school.resolve_file(settings.config_path, {})
    session = store.session() if isinstance(store, Store) else store
    try:
        row = latest(session) if setup_state.config_source(session) == "web" else None
        stored = per_school.last_good(session)
    finally:
        if isinstance(store, Store):
            session.close()
    if row is None:
        return per_school.resolve_file(settings.config_path, stored)
    return per_school.resolve_saved(
        json.loads(row.document), saved_on(row.created_at), settings.config_path.parent, stored
    )


def save(session: Session, org: OrgConfig, *, by: str, now: datetime, note: str) -> int:
    """Store ``org`` as a new version (unless it is the newest already); returns its number."""
    data = document(org)
    OrgConfig.model_validate({**data, "base_dir": org.base_dir})  # what is stored loads again
    text = _canonical(data)
    digest = hashlib.sha256(text.encode()).hexdigest()
    newest = latest(session)
    if newest is not None and newest.sha256 == digest:
        return newest.id
    row = ConfigVersion(
        created_at=now, created_by=by, note=note[:500], sha256=digest, document=text
    )
    forget_stamps(session)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=by,
        action="config.changed",
        object_type="config_version",
        object_id=row.id,
        details={"note": note[:200], "sha256": digest},
    )
    return row.id


def export(org: OrgConfig, path: Path, now: datetime) -> Msg | None:
    """Rewrite school.yaml as the export of the saved settings; a warning when it cannot be
    written (a read-only mount: the saved version is what counts), else None."""
    try:
        path.write_text(to_yaml(org, export_header(now)), encoding="utf-8")
    except OSError as exc:
        log.warning("settings saved, but %s could not be rewritten: %s", path, exc.strerror)
        return Msg(NOT_REWRITTEN, path=path, error=exc.strerror)
    return None


def set_source(
    session: Session, source: str, *, by: str, now: datetime, schools: Iterable[str] = ()
) -> None:
    """Move the settings' home between school.yaml and the web pages (audited). An install
    that predates setup is already sending, and its ``schools`` (and every school stored)
    stay so."""
    row = setup_state.current(session)
    if row is None:
        row = SetupState(
            config_source="file",
            begun_at=now,
            begun_by=by,
            sending_started_at=now,
            sending_started_by=by,
        )
        session.add(row)
        session.flush()
        setup_state.adopt_schools(session, schools, by=by, now=now)
    old, row.config_source = row.config_source, setup_state.check_source(source)
    if old != row.config_source:
        forget_stamps(session)
        audit.record(
            session,
            actor=by,
            action="setup.source_changed",
            object_type="setup",
            object_id=row.id,
            details={"from": old, "to": row.config_source},
        )
