"""The policy's title, the school's name and the document's version number."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Joined, Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.lines import (
    HEADER_LINES,
    Line,
    from_text,
    header_lines,
    make_snippet,
)
from bot.features.policies.importer.values import Found

__all__ = [
    "FAR_DOWN",
    "NAMES_NO_POLICY",
    "TITLE_SURE_LINES",
    "TitleFound",
    "find_school",
    "find_title",
    "find_version",
    "is_section_heading",
]

# why a title is only a guess (said where shown)
FAR_DOWN = N_(
    "line %(line)s names a policy, but it is far down the first page and may be a section's heading"
)
NAMES_NO_POLICY = N_("the first heading, but it does not name a policy")

# A title found further down than this many non-empty lines (and not the first heading) may be
# a section's heading: it is offered as a guess and asked about, never taken silently.
TITLE_SURE_LINES = 8


_TITLE_LABEL_RE = re.compile(
    r"^(?:policy\s+)?(?:title|name\s+of\s+(?:the\s+)?policy|policy\s+name)\s*[:|–-]\s*(?P<v>.+)$",
    re.IGNORECASE,
)
# "Policy: Intimate Care Policy" (a key-details row); the value must read like a title.
_POLICY_LABEL_RE = re.compile(r"^(?:policy|document)\s*[:|]\s*(?P<v>.+)$", re.IGNORECASE)
_TITLE_WORD_RE = re.compile(
    r"\b(?:polic(?:y|ies)|procedures?|code\s+of\s+(?:conduct|practice)|acceptable\s+use|AUP"
    r"|plan|statement|agreement|guidance|protocol|charter|strategy)\b",
    re.IGNORECASE,
)
# Lines that mention "policy" but are sentences or labels, not the title.
_NOT_TITLE_RE = re.compile(
    r"^(?:this|the\s+purpose|it\s|we\s|our\s|all\s)|(?:reviewed|ratified|approved)\b", re.IGNORECASE
)
# A section of a policy, never its title: numbered ("1. Introduction", "2.3", "Part A",
# "Appendix 2") or one of the headings every policy has ("Contents", "Policy statement").
_NUMBERED_RE = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?(?:\s|$)|[ivx]+\.\s|(?:part|section|appendix|annex)\s+\w+\b"
    r"|(?:appendix|annex)\b)",
    re.IGNORECASE,
)
_SECTION_RE = re.compile(
    r"^(?:policy\s+|our\s+)?(?:aims?|objectives|scope|statement|details|contents|introduction"
    r"|purpose|rationale|definitions|key\s+details|document\s+control|version\s+(?:control|history)"
    r"|monitoring(?:\s+and\s+(?:review|evaluation))?|review|roles\s+and\s+responsibilities"
    r"|links?\s+(?:with|to)\s+other\s+policies|related\s+(?:policies|documents)|approach"
    r"|table\s+of\s+contents|procedures?|guidance|background|overview|summary|glossary"
    r"|responsibilities|implementation|training|legislation|appendices|annexes|policy"
    r"|policies|statutory\s+framework|legal\s+framework|key\s+contacts|contacts|references"
    r"|equality\s+impact(?:\s+assessment)?|reporting|safeguarding\s+procedures?)"
    r"(?:\s*(?:and|&)\s+(?:scope|objectives|aims|purpose|review|procedures?|guidance"
    r"|evaluation|responsibilities|legislation))?$",
    re.IGNORECASE,
)
_SCHOOL_LABEL_RE = re.compile(
    r"^(?:school|setting|academy|school\s+name|name\s+of\s+(?:the\s+)?school)\s*[:|–-]\s*(?P<v>.+)$",
    re.IGNORECASE,
)
_SCHOOL_KIND = r"(?:school|academy|pre-?school|nursery|college|federation)"
# A header line that is just a school's name ("St Mary's CE Primary School").
_SCHOOL_LINE_RE = re.compile(rf"^[\w'’.&,() -]{{3,80}}?\b{_SCHOOL_KIND}['’]?$", re.IGNORECASE)
# A school's name written before the title: "Oakfield Primary School – Online Safety Policy",
# "Hawthorn Primary School's Equality Policy".
_SCHOOL_PREFIX_RE = re.compile(
    rf"^(?P<school>[A-Z][\w'’.&-]*(?:\s+[\w'’.&()-]+){{0,7}}?\s+(?i:{_SCHOOL_KIND}))"
    r"(?:['’]s\b)?(?:\s*[:|–—-]\s*|\s+)(?P<rest>\S.*)$"
)
# Templates name the author: "... written by <school name>, with ...".
_WRITTEN_BY_RE = re.compile(
    rf"\bwritten\s+by\s+(?:the\s+)?(?P<v>[A-Z][\w'’.&-]*(?:\s+[\w'’.&-]+){{0,6}}?\s+"
    rf"(?i:{_SCHOOL_KIND}))\b"
)
# Titles a file's properties keep that no reader would call the policy.
_JUNK_PROPERTY_RE = re.compile(
    r"^microsoft\s+word\b|\.(?:docx?|pdf|odt|rtf)$|\btemplate\b|^(?:document|untitled)\s*\d*$",
    re.IGNORECASE,
)
_VERSION_LABEL_RE = re.compile(
    r"\bversion\s*(?:no\.?|number)?\s*[:|–-]?\s*v?(?P<v>\d+(?:\.\d+){0,3}[a-z]?)\b"
    r"|(?<![\w.])v(?P<short>\d+\.\d+(?:\.\d+)?)\b",
    re.IGNORECASE,
)
# Words that name a kind of document, not its subject: "Procedures" alone is no title.
_GENERIC_WORDS = {
    "policy", "policies", "procedure", "procedures", "plan", "statement", "agreement",
    "guidance", "protocol", "charter", "strategy", "school", "our", "the", "document",
}  # fmt: skip
# "1. Online Safety Policy": a number before the document's own first heading ("1", "1.0",
# "2)", "iv.", "A.", "Section 1:", "Part B –").
_LEADING_NUMBER_RE = re.compile(
    r"^(?:(?:section|part)\s+(?:\d+|[ivx]+|[a-z])\s*[:.–—-]?|\d+(?:\.\d+)*[.)]?|[ivx]+[.)]"
    r"|(?-i:[A-Z])[.)])\s+(?=\S)",
    re.IGNORECASE,
)
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}
_ACRONYMS = {"CE", "RC", "COFE", "AUP", "PSHE", "RSE", "RSHE", "EYFS", "SEND", "ICT", "DSL", "UK"}


def _tidy_caps(text: str, *notes: Msg | None) -> tuple[str, Text | None]:
    """Title-case text written in capitals; returns (text, the ``notes`` given and "converted
    from capitals" when it was, joined; None when there are none)."""
    kept = [note for note in notes if note is not None]
    if text.isupper():
        text = " ".join(_cased(index, word) for index, word in enumerate(text.split()))
        kept.append(Msg(said.CAPITALS))
    if not kept:
        return text, None
    return text, kept[0] if len(kept) == 1 else Joined(kept, "; ")


def _cased(index: int, word: str) -> str:
    """A word of a title written in capitals as titles are written: an acronym as it is, a
    small word after the first in lower case, any other capitalised."""
    bare = word.strip(",.:;'’()")
    if bare in _ACRONYMS:
        return word
    return word.lower() if index and bare.lower() in _SMALL_WORDS else word.capitalize()


def _parts(text: str) -> list[str]:
    """The cells of a table row or a page header ("School | Title"), or the whole line."""
    return [part.strip() for part in text.split(" | ") if part.strip()]


def _without_school(text: str) -> tuple[str, str | None]:
    """``text`` without a school's name written before the title: (title, school or None)."""
    match = _SCHOOL_PREFIX_RE.match(text)
    if (
        match
        and _TITLE_WORD_RE.search(match["rest"])
        and not _TITLE_WORD_RE.search(match["school"])
    ):
        return match["rest"].strip(), match["school"]
    return text, None


def is_section_heading(text: str) -> bool:
    """Whether a line is a section of a policy ("1. Introduction", "Contents"), not its title."""
    plain = text.strip(" .:").replace("’", "'")
    return bool(_NUMBERED_RE.match(plain) or _SECTION_RE.match(plain))


def _has_subject(text: str) -> bool:
    """Whether a title names what it is about, not only a kind of document ("Procedures")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return any(w not in _GENERIC_WORDS and w not in _SMALL_WORDS for w in words)


def _reads_as_title(text: str, *, named: bool = True) -> bool:
    """Whether ``text`` reads as a policy's title: one that says it is a policy (``named``),
    or, where its place says so (the numbered first line), one that only names its subject
    ("1. Mobile devices, smartwatches and cameras")."""
    return bool(
        (_TITLE_WORD_RE.search(text) or not named)
        and _has_subject(text)
        and len(text) <= 100
        and len(text.split()) <= 14
        and not text.endswith((".", ":"))
        and not _NOT_TITLE_RE.search(text)
        and not is_section_heading(text)
    )


def _title_in(line: Line, *, first: bool = False) -> Found[str] | None:
    """A title on a header line (its school prefix removed and noted), or None; on the
    document's first line or heading a number before it ("1. Online Safety Policy") is
    dropped, and what follows it is the title if it names a subject, as the numbering shows
    ("1. Mobile devices, smartwatches and cameras"), not only if it names a policy."""
    for part in _parts(line.text):
        title, school = _without_school(part)
        numbered = _LEADING_NUMBER_RE.match(title) if first else None
        if numbered and _reads_as_title(title[numbered.end() :], named=False):
            title = title[numbered.end() :]
        else:
            numbered = None
        if _reads_as_title(title, named=numbered is None):
            value, note = _tidy_caps(
                title,
                Msg(said.NUMBER_LEFT_OUT, number=numbered.group(0).strip()) if numbered else None,
                Msg(said.AFTER_SCHOOL, school=school) if school is not None else None,
            )
            return from_text(value, line, line.text.find(title), note=note)
    return None


@dataclass(frozen=True)
class TitleFound:
    """The title a reader would call the policy (``sure``), or only a guess to ask about."""

    sure: Found[str] | None
    guess: Found[str] | None = None


def find_title(lines: list[Line], properties_title: str | None = None) -> TitleFound:
    """The policy's title as a reader would call it: a labelled title, the first line near the
    top that names a policy (never a section heading, never with the school's name before it)
    or the title in the file's properties. A title line far down the page, or a first heading
    that names no policy, is only a guess (``TitleFound.guess``) for a person to confirm."""
    if (labelled := _labelled_title(lines)) is not None:
        return TitleFound(labelled)
    top = header_lines(lines)
    first_heading = next((line for line in top if line.is_heading), None)
    guess: Found[str] | None = None
    for position, line in enumerate(top):
        # the first line (after the school's name, if that comes first) or the first heading
        first = line is first_heading or all(_SCHOOL_LINE_RE.match(x.text) for x in top[:position])
        if found := _title_in(line, first=first):
            if position < TITLE_SURE_LINES or line is first_heading:
                return TitleFound(found)
            guess = Found(
                found.value, "default", found.line, found.snippet, Msg(FAR_DOWN, line=found.line)
            )
            break
    if (in_properties := _properties_title(properties_title)) is not None:
        return TitleFound(in_properties)
    headings = (line for line in top if line.is_heading and not _SCHOOL_LINE_RE.match(line.text))
    heading = next((line for line in headings if not is_section_heading(line.text)), None)
    if guess is None and heading is not None:
        note = Msg(NAMES_NO_POLICY)
        guess = Found(
            _tidy_caps(heading.text)[0], "default", heading.number, make_snippet(heading.text), note
        )
    return TitleFound(None, guess)


def _labelled_title(lines: list[Line]) -> Found[str] | None:
    """A title the document labels as one ("Title: ...", "Policy: ..." naming a policy)."""
    for line in lines:
        if match := _TITLE_LABEL_RE.match(line.text):
            return from_text(_without_school(match["v"].strip())[0], line)
        if (match := _POLICY_LABEL_RE.match(line.text)) and _reads_as_title(match["v"]):
            return from_text(_without_school(match["v"].strip())[0], line)
    return None


def _properties_title(properties_title: str | None) -> Found[str] | None:
    """The title in the file's properties, when it reads as one (not a template's junk)."""
    if properties_title and not _JUNK_PROPERTY_RE.search(properties_title):
        title, _ = _without_school(" ".join(properties_title.split()))
        if _reads_as_title(title):
            value, note = _tidy_caps(title, Msg(said.FILE_TITLE))
            return Found(value, "text", note=note)
    return None


def find_school(lines: list[Line]) -> Found[str] | None:
    """The school's name: labelled, a header line naming a school, written before the title,
    or the author."""
    for line in lines:
        if match := _SCHOOL_LABEL_RE.match(line.text):
            return from_text(match["v"].strip(), line)
    for line in header_lines(lines):
        for part in _parts(line.text):
            if _SCHOOL_LINE_RE.match(part) and not _TITLE_WORD_RE.search(part):
                value, note = _tidy_caps(part)
                return from_text(value, line, line.text.find(part), note=note)
    for line in header_lines(lines):
        for part in _parts(line.text):
            _, school = _without_school(part)
            if school is not None:
                value, note = _tidy_caps(school, Msg(said.BEFORE_TITLE))
                return from_text(value, line, line.text.find(school), note=note)
    for line in lines:
        if match := _WRITTEN_BY_RE.search(line.text):
            return from_text(
                match["v"], line, match.start(), Msg(N_("named as the policy's author"))
            )
    return None


def find_version(lines: list[Line]) -> Found[str] | None:
    """The document's version number, labelled or near the top."""
    for line in lines:
        match = _VERSION_LABEL_RE.search(line.text)
        labelled = line.text.lower().startswith("version")
        if match and (labelled or line.number <= HEADER_LINES * 2):
            return from_text(match["v"] or match["short"], line, match.start())
    return None
