"""The forms port: responses read from an external form (Microsoft Forms, Google Forms),
and those that could not be read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class FormResponse:
    """One response from an external form, answers keyed by question title."""

    response_id: str
    submitted_at: datetime
    answers: Mapping[str, str]
    respondent_email: str | None = None


@dataclass(frozen=True)
class UnreadableResponse:
    """A response the form holds but the connector could not read: the bot skips and flags it.

    ``key`` names it across reads (its response id, or where it is when it has none);
    ``where`` tells a person where to find it; ``problem`` names the field and what is wrong
    with it — never its value, since any field may hold what was reported.
    """

    key: str
    where: str
    problem: str


@runtime_checkable
class FormSource(Protocol):
    """Reads responses from an external form (Microsoft Forms via a list, Google Forms)."""

    def responses(
        self, since: datetime | None = None
    ) -> Sequence[FormResponse | UnreadableResponse]:
        """Return responses submitted after ``since`` (all when None), oldest first.

        A response that cannot be read (no id, a submission time in the wrong format) comes
        back as an :class:`UnreadableResponse` whatever ``since`` is — its time cannot be
        trusted — and never stops the others being read. Whole-form failures (no access, a
        missing list or column) still raise a ``ConnectorError``.
        """
        ...
