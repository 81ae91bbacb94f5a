"""The feature steps the sweep runs after duties and reminders, handed to the engine by the app.

The engine never imports features (``core`` ← ``engine`` ← ``features`` ← the app): at start-up
the app — the CLI's main, the web app factory and the scheduler's jobs, through
``bot.wiring.install`` — registers the features' steps here, in order. A sweep or a maintenance
run before that fails with ``StepsMissingError``, so a forgotten registration is an error, not a
silently skipped step; the list itself is plain imports in ``bot.wiring``.

Each step is ``step(run: StepContext) -> dict[str, int]`` (counts for the summary). The sweep
runs each in isolation (``bot.engine.step_failures``): ``first`` before anything else of a school
(the report deadlines), then the engine's own steps, then ``sweep`` in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.deployment.context import StepContext

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings
    from bot.engine.remind import ChatRoute, DigestNotes

__all__ = ["FeatureSteps", "Purge", "Step", "StepsMissingError", "register", "registered"]

Step = Callable[[StepContext], dict[str, int]]
# a retention rule of a feature: (session, school, today) -> rows deleted
Purge = Callable[[Session, SchoolConfig, date], int]


class StepsMissingError(RuntimeError):
    """The engine was asked to run before the app handed it the features' steps."""


@dataclass(frozen=True)
class FeatureSteps:
    """What the features hand the engine: the sweep's steps and the retention rules they own."""

    sweep: tuple[Step, ...]
    # steps that run in full while a newly set-up school is in preview (the others plan only)
    run_in_preview: frozenset[Step]
    purge_visitors: Purge  # maintenance: visitors' confirmations past the school's retention
    # maintenance: what has passed its period under the school's retention schedule, disposed
    # of (session, school, today, outbox folder) -> records disposed of
    dispose: Callable[[Session, SchoolConfig, date, Path | None], int] | None = None
    # run first for every school, before the directory and everything else: the report deadlines
    first: tuple[Step, ...] = ()
    # each step's name (its function's) in plain words, for the pages that say one is failing
    titles: Mapping[str, str] = field(default_factory=dict)
    # a school that asks in the chat its bot lives in (``asks_in``: teams or chat): the
    # reminder run sends the digests of the people the bot reaches as cards, through the
    # platform's route (``bot.engine.remind.ChatRoute``; ``(settings, platform)``), not email
    chat_route: Callable[[Settings, str], ChatRoute] | None = None
    # what a feature adds to a person's reminder email that day, in place of an email of its
    # own (the SCR owner's new gaps, in counts: ``bot.engine.remind.DigestNotes``)
    digest_notes: DigestNotes | None = None


_registered: FeatureSteps | None = None


def register(steps: FeatureSteps) -> None:
    """Hand the engine the features' steps (the app does this once at start-up; repeating it
    replaces them)."""
    global _registered
    _registered = steps


def registered() -> FeatureSteps:
    """The features' steps the app registered; ``StepsMissingError`` if it has not."""
    if _registered is None:
        raise StepsMissingError(
            "the features' sweep steps were not registered: call bot.wiring.install() at start-up"
        )
    return _registered
