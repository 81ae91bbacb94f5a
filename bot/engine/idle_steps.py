"""Feature steps with nothing to do are not run: a quiet school costs one look for all of them.

A step may say, as one SQL condition, whether it has any work (``busy_when``): a superset of
what it acts on, so the look can run a step needlessly but never skip one with work. Before
the feature steps, the sweep asks every such step of a school at once, in one statement
(``idle``), and skips those with none: no savepoint, no reads of their tables. Time-driven work
stays in the condition (a date compared with ``run.today``), so a clock fires at its minute.
A look that fails skips nothing: every step runs as it would without one.

The conditions are built once, with named parameters, and each sweep gives only the values:
the look for a set of conditions is built once too, so a sweep neither rebuilds nor re-keys
it (SQLAlchemy remembers a statement's cache key on the statement).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Executable, select

from bot.core.deployment.context import StepContext
from bot.engine.steps import Step

__all__ = ["Busy", "busy_when", "idle"]

log = logging.getLogger(__name__)

# (the step's context) -> a SQL condition, true when the step may have work, built once with
# named parameters (``school_id`` is the school's; a step's own names start with its own), and
# the parameters' values for this context
Busy = Callable[[StepContext], tuple[ColumnElement[bool], Mapping[str, Any]]]
_BUSY: dict[Step, Busy] = {}
# the look for each tuple of conditions (by identity: the look holds them, so no id is reused)
_LOOKS: dict[tuple[int, ...], Executable] = {}


def busy_when(check: Busy) -> Callable[[Step], Step]:
    """Give a step its "anything to do?" condition (decorator).

    Example::

        _WAITING = select(Thing.id).where(Thing.school_id == bindparam("school_id")).exists()

        def _waiting(run: StepContext) -> tuple[ColumnElement[bool], dict[str, Any]]:
            return _WAITING, {"school_id": run.school.id}

        @busy_when(_waiting)
        def things_step(run: StepContext) -> dict[str, int]: ...
    """

    def mark(step: Step) -> Step:
        _BUSY[step] = check
        return step

    return mark


def idle(run: StepContext, steps: Sequence[tuple[Step, StepContext]]) -> frozenset[Step]:
    """The steps of ``steps`` (each with the context it will run with) that have nothing to do,
    found in one statement (in a savepoint of ``run``'s session: a failing look skips nothing)."""
    checked = [(step, *_BUSY[step](context)) for step, context in steps if step in _BUSY]
    if not checked:
        return frozenset()
    key = tuple(id(condition) for _, condition, _ in checked)
    look = _LOOKS.get(key)
    if look is None:
        look = _LOOKS[key] = select(
            *(condition.label(f"busy_{n}") for n, (_, condition, _) in enumerate(checked))
        )
    values: dict[str, Any] = {}
    for step, _, given in checked:
        for name, value in given.items():
            if values.setdefault(name, value) != value:
                raise ValueError(f"{step.__name__}: parameter {name!r} given another value")
    try:
        with run.session.begin_nested():
            busy = run.session.execute(look, values).one()
    except Exception as exc:  # the steps run as they would without the look
        log.error("school %s: the idle steps' look failed (%s)", run.school.id, type(exc).__name__)
        return frozenset()
    return frozenset(
        step for (step, _, _), has_work in zip(checked, busy, strict=True) if not has_work
    )
