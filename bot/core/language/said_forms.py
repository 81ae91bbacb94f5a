"""A value said in another form inside a sentence, in the sentence's language: with a capital
first letter (a word at the start of a label), in lower case (a label inside a sentence), or
names joined by the catalogue's "and".
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.language.i18n import Lazy, Said, say, shown

__all__ = ["Capital", "and_list", "capital", "lowered"]


class Capital(Lazy):
    """A value said with a capital first letter (a word at the start of a label)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def said(self, language: str) -> str:
        """The value in ``language``, its first letter a capital."""
        text = str(shown(self.value, language))
        return text[:1].upper() + text[1:]


capital = Capital  # ``value`` said with a capital first letter


def lowered(value: object) -> Lazy:
    """``value`` said in lower case (a label inside a sentence)."""
    return Said(lambda: str(value).lower())


def and_list(items: Iterable[str]) -> Said:
    """Names joined by the catalogue's "and" ("email and name"; "email a name")."""
    listed = list(items)
    return Said(lambda: (" " + say("and") + " ").join(listed))
