"""What every form shares: cleaning typed text, refusing control characters, reading dates,
carrying field errors, and the letters a typed reference is made of."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from bot.core.language.i18n import Lazy, Msg, shown

Text = str | Lazy  # words for a person: said where shown (a ``Msg``), or a name as it is

__all__ = [
    "REFERENCE_ALPHABET",
    "FormErrors",
    "SaidError",
    "Text",
    "clean_field",
    "control_character",
    "find_control_character",
    "parse_iso_date",
    "strings_of",
]

# letters and digits nobody misreads (no I, L, O, 0, 1): 31**5, some 28 million codes a year;
# a report's reference and a complaint's are made of them
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_NAMES = {"\x00": "a NUL character", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
# Unicode's control (Cc: U+0000-001F, U+007F-009F) and surrogate (Cs) characters, as one search;
# the multi-line one allows tabs and line breaks
# (a settings load looks at every string it read: one character at a time cost most of it)
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """A plain description of the first control character in ``text`` (None when clean).

    Tabs and line breaks are allowed only in multi-line text; every other control character
    (NUL, escape, DEL, the C1 controls, lone surrogates) is refused everywhere.
    """
    found = (_CONTROLS_MULTILINE if multiline else _CONTROLS).search(text)
    if found is None:
        return None
    char = found.group()
    return f"{_NAMES.get(char, 'a control character')} (U+{ord(char):04X})"


def strings_of(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string of parsed YAML/JSON data (keys too), with its path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield (*path, str(key)), str(key)
            yield from strings_of(value, (*path, str(key)))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            yield from strings_of(value, (*path, index))


def find_control_character(data: Any) -> tuple[tuple[str | int, ...], str] | None:
    """The path and description of the first control character in parsed YAML/JSON data.

    Line breaks and tabs are allowed (YAML block text holds them); anything else is refused.
    """
    for path, text in strings_of(data):
        found = control_character(text, multiline=True)
        if found:
            return path, found
    return None


def clean_field(text: str | None, limit: int) -> str:
    """Trimmed text without control characters (new lines and tabs kept), cut to ``limit``."""
    value = "".join(
        c for c in (text or "") if c in "\n\t" or unicodedata.category(c)[0] != "C"
    ).strip()
    return value[:limit]


def parse_iso_date(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when it is not one."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


class SaidError(Exception):
    """A refusal a person reads: a catalogue sentence and its values (``msg``, a ``Msg`` said
    where it is shown, in the reader's language); ``str()`` is its English (logs, ``--json``).

    Example::

        raise SaidError(N_("%(name)s has left the school."), name=person.display_name)
    """

    def __init__(self, message: str | Lazy, **values: object) -> None:
        self.message, self.values = str(getattr(message, "message", message)), values
        self._said = message if isinstance(message, Lazy) else None
        super().__init__(self.msg.said("en"))

    @property
    def msg(self) -> Lazy:
        """The refusal: its sentence and values, said where it is shown."""
        return self._said or Msg(self.message, **self.values)


class FormErrors(ValueError):
    """A form has problems: ``errors`` maps each field to one message (said where shown)."""

    def __init__(self, errors: Mapping[str, Text]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(str(shown(e, "en")) for e in self.errors.values()))
