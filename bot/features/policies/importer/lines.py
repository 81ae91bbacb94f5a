"""Lines of a document as the rules read them (markup and bullets removed), snippets, and
recording where a value was found."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.core.guards.forms import Text
from bot.core.language.i18n import Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.values import Found, json_value

__all__ = [
    "HEADER_LINES",
    "SNIPPET_MAX",
    "Line",
    "clean_line",
    "from_text",
    "header_lines",
    "keep_first",
    "make_snippet",
    "prepare_lines",
]

SNIPPET_MAX = 80
HEADER_LINES = 25  # title/school/undated-date heuristics only look this far into the document

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class Line:
    """One line of the document, cleaned for the rules."""

    number: int  # 1-based, as in the source
    text: str  # markdown and bullets removed, whitespace collapsed
    is_bullet: bool
    is_heading: bool


_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")  # [text](url) -> text
_ANGLE_URL_RE = re.compile(r"<((?:https?://|www\.)[^>\s]+)>")  # <https://...> -> https://...
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")  # \( -> (
# Bullet markers: markdown, Word/PDF symbols, and the "o" Word uses for second-level bullets.
_BULLET_RE = re.compile(r"^\s*(?:[-*+•▪◦·‣]|o(?=\s))\s+")
_HEADING_RE = re.compile(r"^\s*#{1,6}\s*")


def clean_line(raw: str) -> tuple[str, bool, bool]:
    """A raw line without markup: (text, was a bullet, was a heading)."""
    text = raw.replace("\u00a0", " ").replace("\u200b", "").replace("\t", " ")
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _ANGLE_URL_RE.sub(r"\1", text)
    text = _MD_ESCAPE_RE.sub(r"\1", text)
    text = text.replace("*", "").replace("`", "").replace("__", "")
    heading = bool(_HEADING_RE.match(text))
    text = _HEADING_RE.sub("", text).strip().strip("|").strip()
    bullet = False
    while match := _BULLET_RE.match(text):
        bullet = True
        text = text[match.end() :]
    return " ".join(text.split()), bullet, heading


def prepare_lines(lines: Sequence[str]) -> list[Line]:
    """Numbered, cleaned lines (numbers are 1-based, as in the source)."""
    return [Line(number, *clean_line(raw)) for number, raw in enumerate(lines, 1)]


def make_snippet(text: str, start: int = 0) -> str:
    """At most ``SNIPPET_MAX`` characters of ``text`` around ``start``, with ellipses."""
    if len(text) <= SNIPPET_MAX:
        return text
    begin = max(0, min(start - 10, len(text) - SNIPPET_MAX + 1))
    lead = "…" if begin else ""
    piece = text[begin : begin + SNIPPET_MAX - len(lead)]
    if begin + len(piece) < len(text):
        piece = piece[:-1] + "…"
    return lead + piece


def from_text(value: T, line: Line, start: int = 0, note: Text | None = None) -> Found[T]:
    """A value found in the text of ``line`` (with its line number and snippet)."""
    return Found(value, "text", line.number, make_snippet(line.text, start), note)


def keep_first(
    current: Found[V] | None, new: Found[V], label: str, warnings: list[Text]
) -> Found[V]:
    """The first value found for a field; a different later one becomes a warning."""
    if current is None:
        return new
    if json_value(current.value) != json_value(new.value):
        warnings.append(
            Msg(
                said.DISAGREE,
                problem=Msg(label),
                line=new.line,
                value=json_value(new.value),
                kept=current.line,
                other=json_value(current.value),
            )
        )
    return current


def header_lines(lines: list[Line]) -> list[Line]:
    """The first ``HEADER_LINES`` non-empty lines (where titles and names sit)."""
    return [line for line in lines if line.text][:HEADER_LINES]
