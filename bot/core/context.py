"""Turns settings into a ready application context: config, store, connectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy.orm import Session

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.settings import Settings
from bot.core.store import Store
from connectors.registry import Connectors, build_connectors

__all__ = ["AppContext", "StepContext"]


@dataclass
class AppContext:
    """Settings plus lazily built config, store and connectors."""

    settings: Settings

    @cached_property
    def config(self) -> OrgConfig:
        """The configuration in force: school.yaml, or the web pages' newest saved version when
        the school keeps its settings there (raises ConfigError)."""
        from bot.core.config_store import has_database, load_org

        return load_org(self.settings, self.store if has_database(self.settings) else None)

    @cached_property
    def store(self) -> Store:
        """The migrated store."""
        store = Store(self.settings.db_url)
        store.upgrade()
        return store

    @cached_property
    def connectors(self) -> Connectors:
        """The configured platform connectors."""
        return build_connectors(self.settings)


@dataclass(frozen=True)
class StepContext:
    """What the sweep hands each feature step for one school: everything it may use, explicitly.

    Steps read the deployment's settings (for link addresses), the whole configuration and the
    connectors from here, never from the environment or a module global.
    """

    session: Session
    settings: Settings
    config: OrgConfig
    school: SchoolConfig
    connectors: Connectors
    today: date
    now: datetime
    write: bool

    @property
    def base_url(self) -> str:
        """The public address for links in messages."""
        return self.settings.base_url.rstrip("/")

    @property
    def default_school(self) -> bool:
        """Whether this is the configuration's first school (it takes unassigned items)."""
        return self.config.schools[0].id == self.school.id
