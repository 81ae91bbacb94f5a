"""What a function of the one active language says in a given language (tests only): the
layer's ``speaking`` around the call, and what it returns said there (a ``Msg``, a list of
them, a card's dict built inside), as the product says it where it is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.language.i18n import Lazy, Msg, both, speaking


def in_language(language: str | Catalogue, build: Callable[[], Any]) -> Any:
    """``build()`` under ``speaking(language)``, its sentences said in it."""
    if isinstance(language, Catalogue):
        language = language.language
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


class Catalogue:
    """The catalogue's sentences in one language, their placeholders open (what a test fills
    itself): ``cy+en`` the Welsh, `` / ``, then the English."""

    def __init__(self, language: str) -> None:
        self.language = language

    def _each(self, text: Callable[[str], str]) -> str:
        if self.language == "cy+en":
            return both(text("cy"), text("en"))
        return text(self.language)

    def gettext(self, message: str) -> str:
        """``message`` as the catalogue writes it in the language."""
        return self._each(lambda language: Msg(message).text(language))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The plural form for ``n``, as the catalogue writes it in the language."""
        return self._each(lambda language: Msg(singular, plural, n).text(language))


def catalogue_in(language: str) -> Catalogue:
    """The catalogue in ``language`` (``en``, ``cy`` or ``cy+en``)."""
    return Catalogue(language)
