"""Extra sweep steps contributed by feature modules (governor alerts, report clocks, digests).

Each step is ``step(session, school, today, now, write) -> dict[str, int]`` (counts for the
summary). Keeping the list here means ``sweep.py`` does not grow with every feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.config import OrgConfig, SchoolConfig
from bot.settings import Settings
from connectors.registry import Connectors

__all__ = ["Step", "SweepEnv", "base_url", "current", "sweep_steps", "using"]


@dataclass(frozen=True)
class SweepEnv:
    """What a running sweep offers its steps: the deployment's settings, config, connectors."""

    settings: Settings
    config: OrgConfig
    connectors: Connectors


_ENV: ContextVar[SweepEnv | None] = ContextVar("compliance_bot_sweep_env", default=None)


def current() -> SweepEnv | None:
    """The environment of the sweep running now (None outside a sweep)."""
    return _ENV.get()


def base_url() -> str:
    """The public address for links in messages (the default address outside a sweep)."""
    env = _ENV.get()
    return env.settings.base_url if env is not None else "http://127.0.0.1:8000"


@contextmanager
def using(env: SweepEnv) -> Iterator[None]:
    """Run steps with ``env`` available through ``current()`` (the sweep wraps them in this)."""
    token = _ENV.set(env)
    try:
        yield
    finally:
        _ENV.reset(token)


Step = Callable[[Session, SchoolConfig, date, datetime, bool], dict[str, int]]


# modules that may contribute a ``SWEEP_STEPS`` list, in the order they run
STEP_MODULES = ("bot.governance", "bot.reports", "bot.digest", "bot.extras")


def sweep_steps() -> list[Step]:
    """The feature steps, in order (modules absent from this build are skipped)."""
    import importlib

    steps: list[Step] = []
    for name in STEP_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        steps.extend(getattr(module, "SWEEP_STEPS", []))
    return steps
