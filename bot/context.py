"""Turns settings into a ready application context: config, store, connectors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.config import OrgConfig, load_config
from bot.settings import Settings
from bot.store import Store
from connectors.registry import Connectors, build_connectors

__all__ = ["AppContext"]


@dataclass
class AppContext:
    """Settings plus lazily built config, store and connectors."""

    settings: Settings

    @cached_property
    def config(self) -> OrgConfig:
        """The validated school configuration (raises ConfigError)."""
        return load_config(self.settings.config_path)

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
