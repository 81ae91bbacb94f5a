"""Pure rules of the setup (web pages and ``init``): edits of the school's configuration. How far
setup has got is ``summary``; the calendar typed is the answers' model's (``TermAnswers``), the
``.ics`` reader ``term_calendar``; the requirement pack is ``pack``.

Nothing here touches a database: every function takes the configuration (and ``today`` where a
date matters) and returns a new one, or raises :class:`SetupError` naming the box at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from bot.core.config import OrgConfig
from bot.core.config.said import pydantic_problem
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Lazy, Msg

__all__ = ["SetupError", "edit_school", "slug"]


class SetupError(SaidError, ValueError):
    """A change that cannot be made; ``field`` names the box, ``str()`` says why (English).

    ``message`` is a catalogue sentence (``N_``) with ``%(name)s`` placeholders filled from
    ``values``, said where shown; the values named in ``words`` (a box's label) are catalogue
    words too, the rest (what the person typed, a file's name) shown as they are. A message the
    catalogue does not hold (another room's words) is shown as it is.
    """

    def __init__(
        self, field_name: str, message: str | Lazy, *, words: tuple[str, ...] = (), **values: object
    ) -> None:
        self.field, self.words = field_name, words
        super().__init__(message, **values)

    @property
    def msg(self) -> Lazy:
        """The problem, every value filled in after translating."""
        if self._said is not None:
            return self._said
        return Msg(
            self.message,
            **{k: Msg(str(v)) if k in self.words else v for k, v in self.values.items()},
        )


def slug(text: str, fallback: str = "item") -> str:
    """A short id from a name ("School Facebook page" -> ``school-facebook-page``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or fallback


def edit_school(
    org: OrgConfig, school_id: str, change: Callable[[dict[str, Any]], None]
) -> OrgConfig:
    """A new configuration with ``change`` applied to one school's settings, validated.

    Args:
        org: the configuration as it is now (never modified).
        school_id: which school to change.
        change: edits the school's settings as plain data (lists and dicts), in place.

    Returns:
        The validated configuration; raises :class:`SetupError` naming the box otherwise.

    Example::

        new = edit_school(org, "oak", lambda s: s.update(name="Oak Primary School"))
    """
    data = org.model_dump(mode="python")
    school = next((s for s in data["schools"] if s["id"] == school_id), None)
    if school is None:
        raise SetupError("school", f"There is no school '{school_id}' in the settings.")
    change(school)
    try:
        return OrgConfig.model_validate(data)
    except ValidationError as exc:
        # the first problem, named by its box
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
        box = loc[-1] if loc else "settings"
        problem = pydantic_problem(error)
        if error["type"] == "string_pattern_mismatch" and box in {"headteacher", "dsl", "clerk"}:
            problem = Msg(N_("give an email address"))
        # "Box: what is wrong.", the check's own sentence and values (``bot.core.config.said``)
        raise SetupError(
            box,
            N_("%(box)s: %(problem)s."),
            words=("box",),
            box=box.replace("_", " ").capitalize(),
            problem=problem,
        ) from None
