"""What every form shares: cleaning typed text, refusing control characters, reading dates,
carrying field errors, and the letters a typed reference is made of."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date
from gettext import NullTranslations
from typing import Any

__all__ = [
    "MULTILINE_ALLOWED",
    "REFERENCE_ALPHABET",
    "FormErrors",
    "SaidError",
    "clean_field",
    "control_character",
    "find_control_character",
    "parse_iso_date",
]

MULTILINE_ALLOWED = frozenset("\t\n\r")  # what a multi-line box may hold among the controls
# letters and digits nobody misreads (no I, L, O, 0, 1): 31**5, some 28 million codes a year;
# a report's reference and a complaint's are made of them
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_NAMES = {"\x00": "a NUL character", "\t": "a tab", "\n": "a line break", "\r": "a line break"}


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """A plain description of the first control character in ``text`` (None when clean).

    Tabs and line breaks are allowed only in multi-line text; every other control character
    (NUL, escape, DEL, the C1 controls, lone surrogates) is refused everywhere.
    """
    for char in text:
        if multiline and char in MULTILINE_ALLOWED:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            name = _NAMES.get(char, "a control character")
            return f"{name} (U+{ord(char):04X})"
    return None


def _walk(data: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield (*path, str(key)), str(key)
            yield from _walk(value, (*path, str(key)))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            yield from _walk(value, (*path, index))


def find_control_character(data: Any) -> tuple[tuple[str | int, ...], str] | None:
    """The path and description of the first control character in parsed YAML/JSON data.

    Line breaks and tabs are allowed (YAML block text holds them); anything else is refused.
    """
    for path, text in _walk(data, ()):
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
    """A refusal a page shows: ``str()`` says it in English, ``said(tr)`` in the page's
    language (the sentence is the catalogue's; names are filled in after translating).

    Example::

        raise SaidError(N_("%(name)s has left the school."), name=person.display_name)
    """

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message % values if values else message)
        self.message, self.values = message, values

    def said(self, tr: NullTranslations) -> str:
        """The sentence in ``tr``'s language, its names filled in."""
        text = tr.gettext(self.message)
        return text % self.values if self.values else text


class FormErrors(ValueError):
    """A form has problems: ``errors`` maps each field to one plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
