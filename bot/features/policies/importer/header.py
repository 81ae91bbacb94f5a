"""The policy's title, the school's name and the document's version number."""

from __future__ import annotations

import re

from bot.features.policies.importer.lines import HEADER_LINES, Line, from_text, header_lines
from bot.features.policies.importer.values import Found

__all__ = ["find_school", "find_title", "find_version"]


_TITLE_LABEL_RE = re.compile(
    r"^(?:policy\s+)?(?:title|name\s+of\s+(?:the\s+)?policy|policy\s+name)\s*[:|–-]\s*(?P<v>.+)$",
    re.IGNORECASE,
)
_TITLE_WORD_RE = re.compile(r"\b(?:polic(?:y|ies)|procedures?)\b", re.IGNORECASE)
# Lines that mention "policy" but are sentences or labels, not the title.
_NOT_TITLE_RE = re.compile(
    r"^(?:this|the\s+purpose|it\s|we\s|our\s|all\s)|(?:reviewed|ratified|approved)\b",
    re.IGNORECASE,
)
_SCHOOL_LABEL_RE = re.compile(
    r"^(?:school|setting|academy|school\s+name|name\s+of\s+(?:the\s+)?school)\s*[:|–-]\s*(?P<v>.+)$",
    re.IGNORECASE,
)
_SCHOOL_KIND = r"(?:school|academy|pre-?school|nursery|college|federation)"
# A header line that is just a school's name ("St Mary's CE Primary School").
_SCHOOL_LINE_RE = re.compile(rf"^[\w'’.&,() -]{{3,80}}?\b{_SCHOOL_KIND}['’]?$", re.IGNORECASE)
# Templates name the author: "... written by <school name>, with ...".
_WRITTEN_BY_RE = re.compile(
    rf"\bwritten\s+by\s+(?:the\s+)?(?P<v>[A-Z][\w'’.&-]*(?:\s+[\w'’.&-]+){{0,6}}?\s+"
    rf"(?i:{_SCHOOL_KIND}))\b"
)
_VERSION_LABEL_RE = re.compile(
    r"\bversion\s*(?:no\.?|number)?\s*[:|–-]?\s*v?(?P<v>\d+(?:\.\d+){0,3}[a-z]?)\b"
    r"|(?<![\w.])v(?P<short>\d+\.\d+(?:\.\d+)?)\b",
    re.IGNORECASE,
)
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}
_ACRONYMS = {"CE", "RC", "COFE", "AUP", "PSHE", "RSE", "RSHE", "EYFS", "SEND", "ICT", "DSL", "UK"}


def _tidy_caps(text: str) -> tuple[str, str | None]:
    """Title-case text written in capitals; returns (text, note)."""
    if not text.isupper():
        return text, None
    words = []
    for index, word in enumerate(text.split()):
        bare = word.strip(",.:;'’()")
        if bare in _ACRONYMS:
            words.append(word)
        elif index and bare.lower() in _SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append(word.capitalize())
    return " ".join(words), "converted from capitals"


def find_title(lines: list[Line]) -> Found[str] | None:
    """The policy's title: a labelled title, a header line naming a policy, or a heading."""
    for line in lines:
        if match := _TITLE_LABEL_RE.match(line.text):
            return from_text(match["v"].strip(), line)
    for line in header_lines(lines):
        text = line.text
        if (
            _TITLE_WORD_RE.search(text)
            and len(text) <= 100
            and len(text.split()) <= 14
            and not text.endswith((".", ":"))
            and not _NOT_TITLE_RE.search(text)
        ):
            value, note = _tidy_caps(text)
            return from_text(value, line, note=note)
    for line in header_lines(lines):
        if line.is_heading and not _SCHOOL_LINE_RE.match(line.text):
            value, note = _tidy_caps(line.text)
            return from_text(value, line, note="first heading; no line names a policy")
    return None


def find_school(lines: list[Line]) -> Found[str] | None:
    """The school's name: labelled, a header line naming a school, or the author."""
    for line in lines:
        if match := _SCHOOL_LABEL_RE.match(line.text):
            return from_text(match["v"].strip(), line)
    for line in header_lines(lines):
        if _SCHOOL_LINE_RE.match(line.text) and not _TITLE_WORD_RE.search(line.text):
            value, note = _tidy_caps(line.text)
            return from_text(value, line, note=note)
    for line in lines:
        if match := _WRITTEN_BY_RE.search(line.text):
            return from_text(match["v"], line, match.start(), "named as the policy's author")
    return None


def find_version(lines: list[Line]) -> Found[str] | None:
    """The document's version number, labelled or near the top."""
    for line in lines:
        match = _VERSION_LABEL_RE.search(line.text)
        labelled = line.text.lower().startswith("version")
        if match and (labelled or line.number <= HEADER_LINES * 2):
            return from_text(match["v"] or match["short"], line, match.start())
    return None
