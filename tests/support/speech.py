"""What a function of the one active language says in a given language (tests only): the
layer's ``speaking`` around the call, and what it returns said there (a ``Msg``, a list of
them, a card's dict built inside), as the product says it where it is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.i18n import Lazy, speaking


def in_language(language: str, build: Callable[[], Any]) -> Any:
    """``build()`` under ``speaking(language)``, its sentences said in it."""
    with speaking(language):
        return _said(build())


def _said(value: Any) -> Any:
    if isinstance(value, Lazy):
        return str(value)
    if isinstance(value, list):
        return [_said(item) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_said(item) for item in value)
    return value
