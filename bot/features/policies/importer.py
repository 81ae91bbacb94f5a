"""Import school policy documents (.docx, .pdf, .txt, .md) and extract key facts with provenance.

Pure: no database, no printing. ``extract_policy`` reads a file, ``extract_from_lines`` does the
work on lines of text, and every extracted value is a ``Found`` saying *how* it was found: in the
text (with line number and snippet), derived from other values, or a flagged default.

Decisions worth knowing:

* Dates are UK day-first. "September 2025" stays month precision (``FuzzyDate`` with no day);
  it is never turned into the 1st. Bare years ("2024") are not dates: too many false hits
  ("KCSIE 2024", "GDPR 2018").
* A school term ("Autumn term 2025") is not a date: the field is left unset and a warning says
  so, because a term spans months and picking one would be inventing it.
* Nothing is invented. A missing next review date is derived only from a date in the document
  plus the review cycle, and says so; if there is nothing to derive from it is reported missing.
* Official channels are platforms on a line that calls them official (or "our Facebook page"),
  plus the school website and school mobile phone; PTA and personal accounts are not.
* .docx list paragraphs are rendered as ``- item``, headings as ``# text`` and table rows as
  ``cell | cell``, so the same rules read Word, PDF, text and Markdown.
"""

from __future__ import annotations

import calendar
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

__all__ = [
    "DEFAULT_REVIEW_CYCLE_MONTHS",
    "SNIPPET_MAX",
    "SUPPORTED_SUFFIXES",
    "DateMatch",
    "Found",
    "FuzzyDate",
    "How",
    "ImportedPolicy",
    "PolicyImportError",
    "derive_next_review",
    "extract_from_lines",
    "extract_policy",
    "extract_text",
    "find_dates",
    "parse_date",
]

SUPPORTED_SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".markdown")
DEFAULT_REVIEW_CYCLE_MONTHS = 12
SNIPPET_MAX = 80
MIN_YEAR, MAX_YEAR = 1900, 2099
HEADER_LINES = 25  # title/school/undated-date heuristics only look this far into the document
LABEL_TO_DATE_MAX_GAP = 60  # a date further than this after its label belongs to something else

T = TypeVar("T")
V = TypeVar("V")
How = Literal["text", "derived", "default"]


class PolicyImportError(ValueError):
    """A document could not be read; ``str()`` is one line naming the file and the problem."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class FuzzyDate:
    """A date that may be known only to the month (``day is None``); never silently day 1."""

    year: int
    month: int
    day: int | None = None

    def __post_init__(self) -> None:
        if _date_problem(self.year, self.month, self.day) is not None:
            raise ValueError(f"impossible date {self.year}-{self.month}-{self.day}")

    @property
    def precision(self) -> Literal["day", "month"]:
        """``"day"`` or ``"month"``."""
        return "month" if self.day is None else "day"

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Ordering key; at equal month the day-precision date sorts later (more specific)."""
        return (self.year, self.month, self.day or 0)

    def isoformat(self) -> str:
        """``"2025-09"`` for month precision, ``"2025-09-25"`` for day precision."""
        month = f"{self.year:04d}-{self.month:02d}"
        return month if self.day is None else f"{month}-{self.day:02d}"

    def first_day(self) -> date:
        """The earliest calendar day this date can mean."""
        return date(self.year, self.month, self.day or 1)

    def last_day(self) -> date:
        """The latest calendar day this date can mean (use for 'due by')."""
        last = calendar.monthrange(self.year, self.month)[1]
        return date(self.year, self.month, self.day or last)

    def add_months(self, months: int) -> FuzzyDate:
        """This date plus whole months, keeping the precision; a day is clamped to month end."""
        index = self.year * 12 + self.month - 1 + months
        year, month = divmod(index, 12)
        if self.day is None:
            return FuzzyDate(year, month + 1)
        return FuzzyDate(year, month + 1, min(self.day, calendar.monthrange(year, month + 1)[1]))

    def __str__(self) -> str:
        return self.isoformat()


@dataclass(frozen=True)
class Found(Generic[T]):
    """One extracted value and how it was obtained (text line + snippet, derived, or default)."""

    value: T
    how: How
    line: int | None = None
    snippet: str | None = None
    note: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; dates become ISO strings."""
        return {
            "value": _json_value(self.value),
            "how": self.how,
            "line": self.line,
            "snippet": self.snippet,
            "note": self.note,
        }


@dataclass
class ImportedPolicy:
    """Everything extracted from one policy document, each value with its provenance."""

    source: str
    title: Found[str] | None = None
    school: Found[str] | None = None
    version: Found[str] | None = None
    written: Found[FuzzyDate] | None = None
    last_reviewed: Found[FuzzyDate] | None = None
    ratified: Found[FuzzyDate] | None = None
    next_review: Found[FuzzyDate] | None = None
    approving_body: Found[str] | None = None
    review_cycle_months: Found[int] | None = None
    dsl: list[Found[str]] = field(default_factory=list)
    deputy_dsls: list[Found[str]] = field(default_factory=list)
    named_governors: list[Found[str]] = field(default_factory=list)
    official_channels: list[Found[str]] = field(default_factory=list)
    linked_policies: list[Found[str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        """True when every required field was found or derived."""
        return not self.missing

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (for ``--json``)."""
        single = (
            *("title", "school", "version", "written", "last_reviewed", "ratified"),
            *("next_review", "approving_body", "review_cycle_months"),
        )
        lists = ("dsl", "deputy_dsls", "named_governors", "official_channels", "linked_policies")
        result: dict[str, Any] = {"source": self.source}
        for name in single:
            found: Found[Any] | None = getattr(self, name)
            result[name] = None if found is None else found.to_json_dict()
        for name in lists:
            result[name] = [item.to_json_dict() for item in getattr(self, name)]
        result["missing"] = list(self.missing)
        result["warnings"] = list(self.warnings)
        result["complete"] = self.is_complete
        return result


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, FuzzyDate) else value


# --------------------------------------------------------------------------------------------
# Reading files


def extract_text(path: Path) -> list[str]:
    """Lines of text from a .docx, .pdf, .txt or .md file; raises ``PolicyImportError``."""
    if not path.exists():
        raise PolicyImportError(path, "file not found")
    if path.is_dir():
        raise PolicyImportError(path, "is a directory, not a document")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = " (save it as .docx)" if suffix == ".doc" else ""
        shown = suffix or "no extension"
        raise PolicyImportError(
            path, f"unsupported file type '{shown}'{hint}; supported: .docx, .pdf, .txt, .md"
        )
    readers: dict[str, Callable[[Path], list[str]]] = {".docx": _read_docx, ".pdf": _read_pdf}
    lines = readers.get(suffix, _read_plain)(path)
    if not any(line.strip() for line in lines):
        if suffix == ".pdf":
            raise PolicyImportError(path, "no text layer; is it a scanned image?")
        raise PolicyImportError(path, "no text found (the document is empty)")
    return lines


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyImportError(path, f"cannot read the file ({exc.strerror or exc})") from exc


def _read_plain(path: Path) -> list[str]:
    data = _read_bytes(path)
    if b"\x00" in data[:8192]:
        raise PolicyImportError(path, "looks like a binary file, not plain text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Files saved by Windows tools are often cp1252; better readable text than a refusal.
        text = data.decode("cp1252", errors="replace")
    # Only real newlines end a line, so numbers match what an editor shows (not \x0c etc.).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_docx(path: Path) -> list[str]:
    import docx  # python-docx; imported here so text/markdown imports never pay for it
    from docx.opc.exceptions import PackageNotFoundError

    _read_bytes(path)  # turns permission problems into a clear error first
    try:
        document = docx.Document(str(path))
        lines = list(_docx_block_lines(document.iter_inner_content()))
        lines.extend(_docx_header_footer_lines(document))
    # A broken .docx surfaces as any of these (lxml's XMLSyntaxError is a SyntaxError).
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise PolicyImportError(path, f"not a readable .docx file ({_reason(exc)})") from exc
    return lines


def _docx_block_lines(blocks: Iterable[Any]) -> Iterator[str]:
    from docx.table import Table

    for block in blocks:
        if isinstance(block, Table):
            yield from _docx_table_lines(block)
        else:
            yield from _docx_paragraph_lines(block)


def _docx_paragraph_lines(paragraph: Any) -> Iterator[str]:
    style = str(getattr(paragraph.style, "name", "") or "")
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    prefix = ""
    if style.startswith(("Heading", "Title")):
        prefix = "# "
    elif style.startswith("List") or numbered:
        prefix = "- "
    for part in str(paragraph.text).split("\n"):
        yield prefix + part if part.strip() else part


def _docx_table_lines(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(str(cell.text).split())
            # Merged cells repeat in python-docx's row.cells; show each once.
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def _docx_header_footer_lines(document: Any) -> Iterator[str]:
    seen: set[str] = set()
    for section in document.sections:
        for part in (section.header, section.footer):
            if part.is_linked_to_previous:
                continue
            for line in _docx_block_lines(part.iter_inner_content()):
                if line.strip() and line not in seen:
                    seen.add(line)
                    yield line


def _read_pdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    _read_bytes(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PolicyImportError(path, "the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PolicyImportError:
        raise
    # pypdf raises a wide variety of exception types on malformed files; all mean "unreadable".
    except Exception as exc:
        raise PolicyImportError(path, f"not a readable PDF ({_reason(exc)})") from exc
    return [line for page in pages for line in page.splitlines()]


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]


# --------------------------------------------------------------------------------------------
# Dates

# Month names and the abbreviations schools use ("Sept", "Dec."); the lookahead stops "Mar"
# matching inside "Marking".
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ORDINAL = r"\s*(?:st|nd|rd|th)?"  # "3rd", and "3 rd" as Word auto-format leaves it
# Date shapes in priority order (at the same start position the earlier one wins).
_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 2024-09-25: ISO, unambiguous.
    re.compile(r"(?<![\d./-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),
    # 25.09.2024, 25/09/24: UK day-first; same separator twice; not part of a version number.
    re.compile(
        r"(?<![\d./-])(?P<day>\d{1,2})(?P<sep>[./-])(?P<month>\d{1,2})(?P=sep)"
        r"(?P<year>\d{4}|\d{2})(?!\d|[./-]\d)"
    ),
    # 3rd December 2025, 3 rd of Dec, 2025, 25-Sep-2024.
    re.compile(
        rf"\b(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s,-]+{_MONTH}[\s,-]+(?P<year>\d{{4}})(?!\d)",
        re.IGNORECASE,
    ),
    # December 3rd, 2025: month first but the names make it unambiguous.
    re.compile(
        rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE
    ),
    # September 2025, Sept, 2025: month precision.
    re.compile(rf"\b{_MONTH}[\s,-]+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE),
    # 09/2025: month precision, numeric.
    re.compile(r"(?<![\d./-])(?P<month>\d{1,2})/(?P<year>\d{4})(?![\d/])"),
)
# "Autumn term 2025", "Summer 2 2026": a school term, deliberately not a date (module docstring).
_TERM_RE = re.compile(
    r"\b(?:autumn|spring|summer)(?:\s+term)?(?:\s*[12])?[\s,]+(?:19|20)\d{2}(?:\s*[/-]\s*\d{2,4})?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMatch:
    """One date-shaped piece of text; ``date`` is None (and ``problem`` set) if impossible."""

    text: str
    start: int
    end: int
    date: FuzzyDate | None
    problem: str | None = None


def find_dates(text: str) -> list[DateMatch]:
    """All date-shaped, non-overlapping pieces of ``text``, in order (UK day-first)."""
    candidates: list[tuple[int, int, re.Match[str]]] = []
    for priority, pattern in enumerate(_DATE_PATTERNS):
        candidates.extend((m.start(), priority, m) for m in pattern.finditer(text))
    candidates.sort(key=lambda item: (item[0], item[1]))
    matches: list[DateMatch] = []
    covered_to = 0
    for start, _, match in candidates:
        if start < covered_to:
            continue  # overlaps a better match, even an impossible one: never salvage a part
        covered_to = match.end()
        matches.append(_date_match(match))
    return matches


def parse_date(text: str) -> FuzzyDate | None:
    """The first possible date in ``text``, or None; never raises."""
    for match in find_dates(text):
        if match.date is not None:
            return match.date
    return None


def _date_match(match: re.Match[str]) -> DateMatch:
    groups = match.groupdict()
    month_text = groups["month"]
    month = int(month_text) if month_text.isdigit() else _MONTH_NUMBERS[month_text[:3].lower()]
    year = int(groups["year"])
    if len(groups["year"]) == 2:
        year += 2000
    day = int(groups["day"]) if groups.get("day") else None
    problem = _date_problem(year, month, day)
    if problem and groups.get("sep") and month > 12 and day is not None and day <= 12:
        problem = "looks month-first (US style); UK dates are day-first"
    value = None if problem else FuzzyDate(year, month, day)
    return DateMatch(match.group(0), match.start(), match.end(), value, problem)


def _date_problem(year: int, month: int, day: int | None) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"year {year} is out of range"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{calendar.month_name[month]} {year} has no day {day}"
    return None


def derive_next_review(
    cycle: Found[int],
    *,
    ratified: Found[FuzzyDate] | None = None,
    last_reviewed: Found[FuzzyDate] | None = None,
    written: Found[FuzzyDate] | None = None,
) -> Found[FuzzyDate] | None:
    """Next review = latest of (ratified, last reviewed, written) + cycle; None if no base."""
    bases = [
        (label, found)
        for label, found in (
            ("ratified", ratified),
            ("last reviewed", last_reviewed),
            ("written", written),
        )
        if found is not None
    ]
    if not bases:
        return None
    label, base = max(bases, key=lambda item: item[1].value.sort_key)  # ties: earlier wins
    value = base.value.add_months(cycle.value)
    where = f" (line {base.line})" if base.line is not None else ""
    note = f"{label} {base.value.isoformat()}{where} + {cycle.value} months"
    if cycle.how == "default":
        note += " (cycle assumed: not stated in the document)"
    if base.value.day is not None and value.day != base.value.day:
        note += " (day moved to the month's last day)"
    return Found(value, "derived", note=note)


# --------------------------------------------------------------------------------------------
# Lines


@dataclass(frozen=True)
class _Line:
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


def _clean(raw: str) -> tuple[str, bool, bool]:
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


def _prepare(lines: Sequence[str]) -> list[_Line]:
    prepared = []
    for number, raw in enumerate(lines, 1):
        text, bullet, heading = _clean(raw)
        prepared.append(_Line(number, text, bullet, heading))
    return prepared


def _snippet(text: str, start: int = 0) -> str:
    if len(text) <= SNIPPET_MAX:
        return text
    begin = max(0, min(start - 10, len(text) - SNIPPET_MAX + 1))
    lead = "…" if begin else ""
    piece = text[begin : begin + SNIPPET_MAX - len(lead)]
    if begin + len(piece) < len(text):
        piece = piece[:-1] + "…"
    return lead + piece


def _from_text(value: T, line: _Line, start: int = 0, note: str | None = None) -> Found[T]:
    return Found(value, "text", line.number, _snippet(line.text, start), note)


def _keep_first(
    current: Found[V] | None, new: Found[V], label: str, warnings: list[str]
) -> Found[V]:
    if current is None:
        return new
    if _json_value(current.value) != _json_value(new.value):
        warnings.append(
            f"{label}: line {new.line} says {_json_value(new.value)} but line {current.line} "
            f"says {_json_value(current.value)}; kept line {current.line}"
        )
    return current


# --------------------------------------------------------------------------------------------
# Title, school, version

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


def _header(lines: list[_Line]) -> list[_Line]:
    return [line for line in lines if line.text][:HEADER_LINES]


def _find_title(lines: list[_Line]) -> Found[str] | None:
    for line in lines:
        if match := _TITLE_LABEL_RE.match(line.text):
            return _from_text(match["v"].strip(), line)
    for line in _header(lines):
        text = line.text
        if (
            _TITLE_WORD_RE.search(text)
            and len(text) <= 100
            and len(text.split()) <= 14
            and not text.endswith((".", ":"))
            and not _NOT_TITLE_RE.search(text)
        ):
            value, note = _tidy_caps(text)
            return _from_text(value, line, note=note)
    for line in _header(lines):
        if line.is_heading and not _SCHOOL_LINE_RE.match(line.text):
            value, note = _tidy_caps(line.text)
            return _from_text(value, line, note="first heading; no line names a policy")
    return None


def _find_school(lines: list[_Line]) -> Found[str] | None:
    for line in lines:
        if match := _SCHOOL_LABEL_RE.match(line.text):
            return _from_text(match["v"].strip(), line)
    for line in _header(lines):
        if _SCHOOL_LINE_RE.match(line.text) and not _TITLE_WORD_RE.search(line.text):
            value, note = _tidy_caps(line.text)
            return _from_text(value, line, note=note)
    for line in lines:
        if match := _WRITTEN_BY_RE.search(line.text):
            return _from_text(match["v"], line, match.start(), "named as the policy's author")
    return None


def _find_version(lines: list[_Line]) -> Found[str] | None:
    for line in lines:
        match = _VERSION_LABEL_RE.search(line.text)
        labelled = line.text.lower().startswith("version")
        if match and (labelled or line.number <= HEADER_LINES * 2):
            return _from_text(match["v"] or match["short"], line, match.start())
    return None


# --------------------------------------------------------------------------------------------
# Dated fields

_DATE_FIELDS = ("next_review", "last_reviewed", "ratified", "written")
_FIELD_LABELS = {
    "next_review": "next review date",
    "last_reviewed": "last reviewed date",
    "ratified": "ratified/approved date",
    "written": "date written",
}
# Labels that introduce each date. Alternatives are tried left to right, and the leftmost
# match in a line wins, so "Date of next review" is next_review, not a generic "date".
_NEXT_REVIEW_LABEL = r"""
    (?:date\s+of\s+)?next\s+review(?:\s+date)?(?:\s+due)?
  | date\s+for\s+review
  | review\s+(?:due(?:\s+(?:date|by|on|in))?|date|by)
  | due\s+for\s+review(?:\s+(?:in|on|by))?
  | (?:will|is\s+due\s+to|due\s+to|to)\s+be\s+(?:next\s+)?reviewed(?:\s+(?:again|next))?
    (?:\s+(?:in|on|by|before|during))?
  | renewal\s+date"""
_LAST_REVIEWED_LABEL = r"""
    (?:date\s+)?last\s+reviewed(?:\s+(?:on|in))?
  | (?:date\s+of\s+)?last\s+review(?:\s+date)?
  | date\s+reviewed
  | reviewed(?:\s+(?:on|in))?"""
_RATIFIED_LABEL = r"""
    date\s+(?:agreed\s+and\s+)?(?:ratified|approved|adopted|agreed)
  | (?:ratification|approval|adoption)\s+date
  | date\s+of\s+(?:ratification|approval|adoption)
  | (?:ratified|approved|adopted|agreed)(?:\s+(?:on|in))?"""
_WRITTEN_LABEL = r"""
    date\s+(?:written|created|issued|updated|of\s+issue|of\s+publication)
    (?:\s*/\s*(?:updated|revised|reviewed))?
  | (?:policy|document|issue|publication)\s+date
  | (?:last\s+)?(?:updated|revised)(?:\s+(?:on|in))?
  | (?:written|created|issued)(?:\s+(?:on|in))?"""
_DATE_LABEL_RE = re.compile(
    rf"""\b(?:(?P<next_review>{_NEXT_REVIEW_LABEL})|(?P<last_reviewed>{_LAST_REVIEWED_LABEL})
    |(?P<ratified>{_RATIFIED_LABEL})|(?P<written>{_WRITTEN_LABEL}))\b""",
    re.IGNORECASE | re.VERBOSE,
)
_ONLY_SEPARATORS_RE = re.compile(r"^[\s:|\-–—.,]*$")


@dataclass
class _Dates:
    found: dict[str, Found[FuzzyDate]] = field(default_factory=dict)
    used_lines: set[int] = field(default_factory=set)
    terms: dict[str, str] = field(default_factory=dict)


def _find_dates(lines: list[_Line], warnings: list[str]) -> _Dates:
    dates = _Dates()
    for index, line in enumerate(lines):
        labels = list(_DATE_LABEL_RE.finditer(line.text))
        for position, label in enumerate(labels):
            name = label.lastgroup or ""
            end = labels[position + 1].start() if position + 1 < len(labels) else len(line.text)
            segment = line.text[label.end() : end]
            result = _date_after_label(lines, index, label, segment, name, warnings, dates)
            if result is not None:
                dates.found[name] = _keep_first(
                    dates.found.get(name), result, _FIELD_LABELS[name], warnings
                )
    _add_header_date(lines, dates)
    return dates


def _date_after_label(
    lines: list[_Line],
    index: int,
    label: re.Match[str],
    segment: str,
    name: str,
    warnings: list[str],
    dates: _Dates,
) -> Found[FuzzyDate] | None:
    line = lines[index]
    for match in find_dates(segment):
        gap = segment[: match.start]
        if match.start > LABEL_TO_DATE_MAX_GAP or re.search(r"[.;!?]\s", gap):
            return None
        if match.date is None:
            warnings.append(
                f"line {line.number}: '{match.text}' after '{label.group(0)}' is not a usable "
                f"date ({match.problem}); ignored"
            )
            return None
        dates.used_lines.add(line.number)
        return _from_text(match.date, line, label.start())
    if (term := _TERM_RE.search(segment)) and term.start() <= LABEL_TO_DATE_MAX_GAP:
        dates.terms.setdefault(name, term.group(0))
        warnings.append(
            f"line {line.number}: {_FIELD_LABELS[name]} is given as a school term "
            f"('{term.group(0)}'), not a date; not used — please supply a date"
        )
        return None
    if _ONLY_SEPARATORS_RE.match(segment):
        return _date_on_next_line(lines, index, label)
    return None


def _date_on_next_line(
    lines: list[_Line], index: int, label: re.Match[str]
) -> Found[FuzzyDate] | None:
    """A label alone on its line ("Date of next review:") with the date on the next line."""
    following = [line for line in lines[index + 1 : index + 4] if line.text][:1]
    for line in following:
        value = _whole_line_date(line.text)
        if value is not None:
            snippet = _snippet(f"{lines[index].text} / {line.text}", label.start())
            note = (
                f"date on the line after its label '{label.group(0)}' (line {lines[index].number})"
            )
            return Found(value, "text", line.number, snippet, note)
    return None


def _whole_line_date(text: str) -> FuzzyDate | None:
    matches = find_dates(text)
    if len(matches) != 1 or matches[0].date is None:
        return None
    rest = text[: matches[0].start] + text[matches[0].end :]
    return matches[0].date if _ONLY_SEPARATORS_RE.match(rest) else None


def _add_header_date(lines: list[_Line], dates: _Dates) -> None:
    """An unlabelled date alone on a line under the title is the document's date."""
    if "written" in dates.found:
        return
    for line in _header(lines):
        if line.number in dates.used_lines:
            continue
        value = _whole_line_date(line.text)
        if value is not None:
            note = "unlabelled date near the title; taken as the date written"
            dates.found["written"] = _from_text(value, line, note=note)
            return


# --------------------------------------------------------------------------------------------
# Approving body and review cycle

_APPROVAL_VERB = r"(?:ratified|approved|agreed|adopted|signed\s+off|endorsed)"
# Governance bodies only: "an app approved by the headteacher" is about using a tool,
# not about approving the policy, so people and managers are deliberately not bodies here.
_BODIES: tuple[tuple[str, str | None], ...] = (
    (r"F\.?G\.?B\b\.?", "Full Governing Body"),
    (r"L\.?G\.?B\b\.?", "Local Governing Body"),
    (r"full\s+govern(?:ing\s+(?:body|board)|ors)", "Full Governing Body"),
    (r"local\s+governing\s+(?:body|board)", "Local Governing Body"),
    (r"chair\s+of\s+(?:the\s+)?governors", "Chair of Governors"),
    (r"board\s+of\s+trustees|trustees", "Board of Trustees"),
    (r"board\s+of\s+directors", "Board of Directors"),
    (r"(?:[\w&'’-]+\s+){0,4}?committee", None),  # a named committee: kept as written
    (r"governing\s+(?:body|board)|governors", "Governing Body"),
    (r"proprietors?", "Proprietor"),
)
_BODY = "|".join(f"(?P<body{i}>{pattern})" for i, (pattern, _) in enumerate(_BODIES))
_APPROVED_BY_RE = re.compile(
    rf"\b(?:{_APPROVAL_VERB}(?:\s+and\s+{_APPROVAL_VERB})?\s+by|approv(?:ing|al)\s+(?:body|by))"
    rf"\s*[:|–-]?\s*(?:the\s+)?(?:{_BODY})(?![\w-])",
    re.IGNORECASE,
)
_BODY_NOTES = {"FGB": "FGB = Full Governing Body", "LGB": "LGB = Local Governing Body"}


def _find_approving_body(lines: list[_Line], warnings: list[str]) -> Found[str] | None:
    result: Found[str] | None = None
    for line in lines:
        for match in _APPROVED_BY_RE.finditer(line.text):
            index = int((match.lastgroup or "body0")[4:])
            written = " ".join(match.group(match.lastgroup or 0).split())
            canonical = _BODIES[index][1]
            value = canonical or _committee_name(written)
            note = _BODY_NOTES.get(written.replace(".", "").upper())
            found = _from_text(value, line, match.start(), note)
            result = _keep_first(result, found, "approving body", warnings)
    return result


def _committee_name(written: str) -> str:
    words = written.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    name = " ".join(words)
    return name[:1].upper() + name[1:]


# Why-comments for the cycle: "at least annually" is the longest gap allowed, so 12 months.
_CYCLE_RE = re.compile(
    r"""
    (?P<annual>\b(?:at\s+least\s+)?(?:annually|yearly|every\s+year|each\s+year|once\s+a\s+year
        |every\s+(?:twelve|12)\s+months|annual(?=\s+review))\b)
  | (?P<every>\bevery\s+(?P<n>\d{1,2}|one|two|three|four|five|six|eighteen|twelve
        |twenty[\s-]four|thirty[\s-]six)\s+(?P<unit>years?|months?)\b)
  | (?P<nyearly>\b(?P<n2>\d|two|three|four|five)[\s-]+year(?:ly|\s+cycle)\b)
  | (?P<biennial>\bbiennial(?:ly)?\b)
  | (?P<triennial>\btriennial(?:ly)?\b)
  | (?P<halfyear>\b(?:twice\s+(?:a|per|each)\s+year|six[\s-]monthly|half[\s-]yearly)\b)
  | (?P<termly>\b(?:termly|every\s+term|each\s+term)\b)
  | (?P<ambiguous>\bbi-?annual(?:ly)?\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_CYCLE_LABEL_RE = re.compile(
    r"\breview\s+(?:cycle|frequency|period|interval)\s*[:|–-]?\s*(?P<v>.+)$", re.IGNORECASE
)
_LABELLED_CYCLE_RE = re.compile(
    r"^(?:(?P<annual>annual(?:ly)?|yearly)|(?P<n>\d{1,2})\s*(?P<unit>years?|months?))\b",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12,
    "eighteen": 18, "twenty four": 24, "thirty six": 36,
}  # fmt: skip
_REVIEW_WORD_RE = re.compile(r"\breview", re.IGNORECASE)


def _number(text: str) -> int:
    text = text.lower().replace("-", " ")
    return int(text) if text.isdigit() else _WORD_NUMBERS[" ".join(text.split())]


def _cycle_from_match(match: re.Match[str]) -> tuple[int | None, str | None]:
    """Months and an explanatory note for one review-cycle phrase (None months = ambiguous)."""
    kind = match.lastgroup
    phrase = " ".join(match.group(0).split())
    if kind == "annual":
        if phrase.lower().startswith("at least"):
            return 12, f"'{phrase}': taken as 12 months, the longest gap allowed"
        return 12, None
    if kind in ("every", "nyearly"):
        number = _number(match["n"] or match["n2"])
        unit = (match["unit"] or "year").lower()
        months = number if unit.startswith("month") else number * 12
        return (months, None) if months > 0 else (None, None)
    fixed = {"biennial": (24, None), "triennial": (36, None), "halfyear": (6, None)}
    if kind in fixed:
        return fixed[kind]
    if kind == "termly":
        return 4, "termly: taken as 4 months (three terms a year)"
    return None, None


def _find_review_cycle(lines: list[_Line], warnings: list[str]) -> Found[int]:
    for line in lines:
        if labelled := _CYCLE_LABEL_RE.search(line.text):
            short = _LABELLED_CYCLE_RE.match(labelled["v"].strip())
            if short and (stated := 12 if short["annual"] else _labelled_months(short)):
                return _from_text(stated, line, labelled.start())
        if not _REVIEW_WORD_RE.search(line.text):
            continue  # "training is provided annually" is not a review cycle
        for match in _CYCLE_RE.finditer(line.text):
            months, note = _cycle_from_match(match)
            if months is None:
                warnings.append(
                    f"line {line.number}: '{match.group(0)}' is ambiguous (twice a year or "
                    "every two years?); not used as the review cycle"
                )
                continue
            return _from_text(months, line, match.start(), note)
    warnings.append(
        f"review cycle: not stated in the document; assumed {DEFAULT_REVIEW_CYCLE_MONTHS} "
        "months (default) — please confirm"
    )
    return Found(
        DEFAULT_REVIEW_CYCLE_MONTHS, "default", note="assumption: not stated in the document"
    )


def _labelled_months(match: re.Match[str]) -> int:
    number = int(match["n"])
    return number if match["unit"].lower().startswith("month") else number * 12


# --------------------------------------------------------------------------------------------
# People

_SEPARATOR = r"(?:\s*[:|–—-]\s*|\s+(?=[A-Z]))"  # "Label: Name", "Label | Name" or "Label Name"
_DSL_LABEL_RE = re.compile(
    r"^(?i:(?:the\s+)?designated\s+safeguarding\s+leads?|DSLs?)"
    rf"(?:\s*\((?i:s|dsl)\))?{_SEPARATOR}(?P<names>.+)$"
)
_DEPUTY_LABEL_RE = re.compile(
    r"^(?i:deputy\s+(?:designated\s+safeguarding\s+leads?|DSLs?)|deputies|DDSLs?)"
    rf"(?:\s*\((?i:s)\))?{_SEPARATOR}(?P<names>.+)$"
)
# Governor labels need an explicit separator: "with lead responsibility for ..." runs on.
_GOVERNOR_LABEL_RE = re.compile(
    r"^(?i:(?:named|nominated|link|lead|safeguarding)\s+governors?(?:\s+(?:with|for)\s+[a-z ]+?)?"
    r"|governors?\s+with\s+lead\s+responsibility(?:\s+for\s+[a-z ]+?)?"
    r"|committee\s+members?\s+with\s+lead\s+responsibility(?:\s+for\s+[a-z ]+?)?"
    r"|chair\s+of\s+(?:the\s+)?(?:governors|governing\s+body|committee))"
    r"(?:\s*\((?i:s)\))?\s*[:|–—-]\s*(?P<names>.+)$"
)
# Prose: "the Designated Safeguarding Lead (DSL), Jane Smith, Headteacher is ...".
_DSL_PROSE_RE = re.compile(
    r"(?i:designated\s+safeguarding\s+lead\s*(?:\(DSL\))?|\bDSL)"
    r"(?:\s*/\s*(?i:head\s?teacher|manager))?\s*,\s*(?P<names>[A-Z][^.;:]*)"
)
# Where a prose name list ends: the sentence's verb.
_PROSE_STOP_RE = re.compile(r"\s+(?:is|are|was|were|will|who|has|have|should|can)\b.*$")
_NAME_SPLIT_RE = re.compile(r"\s*(?:[,&;/+]|\band\b|\s[-–—]\s)\s*")
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "rev", "revd", "prof", "sir", "dame"}
_PARTICLES = {"de", "van", "von", "der", "den", "la", "le", "du", "da", "di", "bin", "al"}
_ROLE_WORDS = {
    "headteacher", "head", "teacher", "deputy", "manager", "principal", "lead", "leader",
    "designated", "safeguarding", "officer", "governor", "governors", "chair", "clerk",
    "senco", "dsl", "ddsl", "dsls", "assistant", "executive", "director", "trustee",
    "committee", "member", "school", "primary", "academy", "the", "tbc", "tba", "vacant",
    "none", "team", "office", "business", "pastoral", "coordinator", "co-ordinator",
    "administrator", "staff", "board", "body", "policy", "vice", "acting", "interim",
    "headmaster", "headmistress", "ceo", "chief", "eyfs", "nursery", "pre-school",
    "preschool", "online", "safety", "for", "with", "responsibility",
}  # fmt: skip
_NAME_TOKEN_RE = re.compile(r"^[A-Z][A-Za-z'’-]*\.?$")


def _person_names(text: str) -> list[str]:
    """Names in a "Name, Role & Name" list; roles, contact details and sentences are dropped."""
    text = re.sub(r"\([^)]*\)", " ", text)
    names = []
    for part in _NAME_SPLIT_RE.split(text):
        tokens = part.strip(" .,:").split()
        if _looks_like_name(tokens):
            names.append(" ".join(tokens))
    return names


def _looks_like_name(tokens: list[str]) -> bool:
    if not 2 <= len(tokens) <= 5:
        return False
    for token in tokens:
        bare = token.strip(".").lower()
        if bare in _ROLE_WORDS:
            return False
        if not (_NAME_TOKEN_RE.match(token) or bare in _PARTICLES or bare in _HONORIFICS):
            return False
    return tokens[-1].strip(".").lower() not in _HONORIFICS


def _normalised_name(name: str) -> str:
    return " ".join(name.lower().split())


def _add_people(
    people: list[Found[str]], names: Iterable[str], line: _Line, start: int, note: str | None
) -> None:
    known = {_normalised_name(found.value) for found in people}
    for name in names:
        if _normalised_name(name) not in known:
            known.add(_normalised_name(name))
            people.append(_from_text(name, line, start, note))


def _find_people(
    lines: list[_Line],
) -> tuple[list[Found[str]], list[Found[str]], list[Found[str]]]:
    dsl: list[Found[str]] = []
    deputies: list[Found[str]] = []
    governors: list[Found[str]] = []
    for line in lines:
        if match := _DEPUTY_LABEL_RE.match(line.text):
            _add_people(deputies, _person_names(match["names"]), line, 0, None)
        elif match := _DSL_LABEL_RE.match(line.text):
            _add_people(dsl, _person_names(match["names"]), line, 0, None)
        elif match := _GOVERNOR_LABEL_RE.match(line.text):
            note = None
            if line.text.lower().startswith("committee"):
                note = "committee member with lead responsibility (the setting's governors)"
            _add_people(governors, _person_names(match["names"]), line, 0, note)
        else:
            for prose in _DSL_PROSE_RE.finditer(line.text):
                names = _person_names(_PROSE_STOP_RE.sub("", prose["names"]))
                _add_people(dsl, names, line, prose.start(), "named in the text")
    return dsl, deputies, governors


# --------------------------------------------------------------------------------------------
# Official channels

_PLATFORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Facebook", re.compile(r"\bfacebook\b", re.IGNORECASE)),
    ("Instagram", re.compile(r"\binstagram\b", re.IGNORECASE)),
    ("Twitter/X", re.compile(r"\btwitter\b", re.IGNORECASE)),
    ("YouTube", re.compile(r"\byou\s?tube\b", re.IGNORECASE)),
    ("TikTok", re.compile(r"\btik\s?tok\b", re.IGNORECASE)),
    ("LinkedIn", re.compile(r"\blinked\s?in\b", re.IGNORECASE)),
    ("WhatsApp", re.compile(r"\bwhats\s?app\b", re.IGNORECASE)),
    ("Tapestry", re.compile(r"\bTapestry\b")),  # capitalised: "a rich tapestry" is not the app
    ("Seesaw", re.compile(r"\bSeesaw\b")),
    ("Class Dojo", re.compile(r"\bclass\s?dojo\b", re.IGNORECASE)),
)
# A platform is the school's own only where the line says so ("official", "our Facebook").
_OFFICIAL_RE = re.compile(r"\bofficial(?:ly)?\b", re.IGNORECASE)
_OWNED_BEFORE_RE = re.compile(r"\b(?:school|school['’]s|our|setting['’]?s?)\s+$", re.IGNORECASE)
# Lines about someone else's accounts, or saying there are none.
_NOT_OURS_RE = re.compile(r"\bno\s+official\b|\bPTA\b|\bpersonal\b", re.IGNORECASE)
_NO_CHANNELS_RE = re.compile(
    r"\b(?:has|have)\s+no\s+official\s+(?:social\s+media\s+)?(?:channels|accounts|sites|pages)",
    re.IGNORECASE,
)
_WEBSITE_RE = re.compile(r"\bwebsite\b", re.IGNORECASE)  # on an "official" line
_SCHOOL_WEBSITE_RE = re.compile(r"\bschool['’]?s?\s+website\b", re.IGNORECASE)
# "school mobile phone", not "<School name> mobile technology and social media policy".
_SCHOOL_PHONE_RE = re.compile(
    r"\b(?:school|setting|pre-?school)['’]?s?\s+mobile\s+(?:tele)?phones?\b"
    r"|\bofficially\s+provided\s+mobile\s+phones?\b",
    re.IGNORECASE,
)


def _find_channels(lines: list[_Line], warnings: list[str]) -> list[Found[str]]:
    channels: dict[str, Found[str]] = {}
    for line in lines:
        text = line.text
        if _NO_CHANNELS_RE.search(text):
            _warn_no_channels(line, warnings)
        if _NOT_OURS_RE.search(text):
            continue
        official = bool(_OFFICIAL_RE.search(text))
        for name, pattern in _PLATFORMS:
            for match in pattern.finditer(text):
                if official or _OWNED_BEFORE_RE.search(text[: match.start()]):
                    channels.setdefault(name, _from_text(name, line, match.start()))
                    break
        website = (_WEBSITE_RE if official else _SCHOOL_WEBSITE_RE).search(text)
        if website:
            channels.setdefault(
                "School website", _from_text("School website", line, website.start())
            )
        if phone := _SCHOOL_PHONE_RE.search(text):
            channels.setdefault(
                "School mobile phone", _from_text("School mobile phone", line, phone.start())
            )
    return sorted(channels.values(), key=lambda found: found.line or 0)


def _warn_no_channels(line: _Line, warnings: list[str]) -> None:
    named = [name for name, pattern in _PLATFORMS if pattern.search(line.text)]
    also = f"; platforms named there ({', '.join(named)}) were not imported" if named else ""
    warnings.append(
        f"line {line.number}: says the school runs no official social media channels{also}"
    )


# --------------------------------------------------------------------------------------------
# Linked policies


# Policy-name patterns are written with plain spaces (any whitespace run in the text) and
# "~" for " policy"/" policies", so the table below stays readable.
def _words(pattern: str) -> str:
    return pattern.replace("~", r" polic(?:y|ies)").replace(" ", r"\s+")


# Named policies, most specific first: at the same position "remote learning AUP" must beat
# plain "AUP", and the leftmost match wins, which does that.
_STRONG_POLICIES: tuple[tuple[str, str], ...] = tuple(
    (name, _words(pattern))
    for name, pattern in (
        ("Remote Learning AUP", r"remote learning (?:acceptable use~|AUPs?\b)"),
        ("Social Media Acceptable Use Policy", r"social media (?:acceptable use~|AUPs?\b)"),
        ("Acceptable Use Policy", r"acceptable use(?: of technology)?~|\bAUP(?:['’]?s)?\b"),
        ("Child Protection Policy", r"(?:safeguarding and )?child protection~"),
        ("Anti-bullying Policy", r"anti[\s-]?bullying~"),
        ("Behaviour Policy", r"behaviour(?: for learning| and discipline| management)?~"),
        (
            "Allegations Policy",
            r"allegations(?: against staff)?~|managing allegations against staff",
        ),
        ("Image Use Policy", r"(?:cameras? and )?image(?:\s*/\s*camera)? use~"),
        ("Code of Conduct", r"(?:staff )?code of conduct(?: policy)?"),
        ("Staff Discipline Policy", r"(?:staff )?(?:discipline and conduct|disciplinary)~"),
        ("Confidentiality Policy", r"confidentiality~"),
        ("Data Protection Policy", r"(?:data protection|GDPR)~"),
        ("Data Security Policy", r"data security~"),
        ("Online Safety Policy", r"(?:on[\s-]?line|e-?)\s*safety~"),
        (
            "Searching, Screening and Confiscation Policy",
            r"searching,? screening and confiscation~",
        ),
        ("RSE Policy", r"\b(?:RSE|RSHE|relationships and sex education)~"),
        ("Remote Learning Policy", r"remote learning~"),
        ("Whistleblowing Procedure", r"whistle[\s-]?blowing(?:~| procedures?)"),
        ("Complaints Procedure", r"complaints(?:~| procedures?)"),
    )
)
# Bare topics ("in line with our anti-bullying, behaviour and child protection policies")
# count only in a sentence that says "policies", or in a "Links with other policies" list.
_TOPIC_POLICIES: tuple[tuple[str, str], ...] = (
    ("Acceptable Use Policy", r"acceptable\s+use(?:\s+of\s+technology)?"),
    ("Child Protection Policy", r"child\s+protection"),
    ("Anti-bullying Policy", r"anti[\s-]?bullying"),
    ("Behaviour Policy", r"behaviour"),
    ("Allegations Policy", r"allegations\s+against\s+staff"),
    ("Image Use Policy", r"image(?:\s*/\s*camera)?\s+use"),
    ("Confidentiality Policy", r"confidentiality"),
    ("Data Protection Policy", r"data\s+protection"),
    ("Data Security Policy", r"data\s+security"),
    ("Online Safety Policy", r"on[\s-]?line\s+safety|e-?safety"),
)


def _alternation(entries: Sequence[tuple[str, str]]) -> re.Pattern[str]:
    return re.compile(
        "|".join(rf"(?P<p{i}>\b(?:{pattern}))" for i, (_, pattern) in enumerate(entries)),
        re.IGNORECASE,
    )


_STRONG_RE = _alternation(_STRONG_POLICIES)
_TOPIC_RE = _alternation(_TOPIC_POLICIES)
_LINKS_HEADING_RE = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s*)?(?:links?\s+(?:with|to)\s+other\s+policies"
    r"|(?:related|associated|linked)\s+(?:policies|documents))\b",
    re.IGNORECASE,
)
_PLURAL_POLICIES_RE = re.compile(r"\bpolicies\b", re.IGNORECASE)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")
_ITEM_TAIL_RE = re.compile(r"\s*(?:\(.*|,?\s+such\s+as\b.*|:.*)$", re.IGNORECASE)


def _named_policies(
    pattern: re.Pattern[str], entries: Sequence[tuple[str, str]], text: str
) -> Iterator[tuple[str, int, int]]:
    for match in pattern.finditer(text):
        index = int((match.lastgroup or "p0")[1:])
        yield entries[index][0], match.start(), match.end()


def _policies_in(text: str, topics: bool) -> list[tuple[str, int]]:
    """(canonical name, position) of each policy named in ``text``."""
    found = []
    masked = text
    for name, start, end in _named_policies(_STRONG_RE, _STRONG_POLICIES, text):
        found.append((name, start))
        masked = masked[:start] + " " * (end - start) + masked[end:]
    if topics:
        found += [
            (name, start) for name, start, _ in _named_policies(_TOPIC_RE, _TOPIC_POLICIES, masked)
        ]
    return found


def _links_section_items(lines: list[_Line]) -> dict[int, _Line]:
    """Bullet items under a "Links with other policies" heading, by line number."""
    items: dict[int, _Line] = {}
    for index, line in enumerate(lines):
        if not _LINKS_HEADING_RE.match(line.text):
            continue
        for item in lines[index + 1 : index + 40]:
            if not item.text or item.text.endswith(":"):
                continue  # blank lines and the "including but not limited to:" intro
            if not item.is_bullet:
                break
            items[item.number] = item
    return items


def _find_linked_policies(lines: list[_Line]) -> list[Found[str]]:
    linked: dict[str, Found[str]] = {}
    section = _links_section_items(lines)
    for line in lines:
        if line.number in section:
            names = _policies_in(line.text, topics=True)
            note = "listed under 'Links with other policies'"
            for name, start in names:
                linked.setdefault(name.lower(), _from_text(name, line, start, note))
            if not names and (item := _ITEM_TAIL_RE.sub("", line.text).strip()):
                value = item[:1].upper() + item[1:]
                linked.setdefault(value.lower(), _from_text(value, line, 0, note))
            continue
        offset = 0
        for sentence in _SENTENCE_SPLIT_RE.split(line.text):
            offset = line.text.find(sentence, offset)
            topics = bool(_PLURAL_POLICIES_RE.search(sentence))
            for name, start in _policies_in(sentence, topics):
                linked.setdefault(name.lower(), _from_text(name, line, offset + start))
    return sorted(linked.values(), key=lambda found: found.line or 0)


# --------------------------------------------------------------------------------------------
# Putting it together


def extract_policy(path: Path) -> ImportedPolicy:
    """Read one policy document and extract its facts; raises ``PolicyImportError``."""
    return extract_from_lines(extract_text(path), path.name)


def extract_from_lines(lines: Sequence[str], source_name: str) -> ImportedPolicy:
    """Extract a policy's facts from lines of text (line numbers are 1-based indexes)."""
    prepared = _prepare(lines)
    warnings: list[str] = []
    policy = ImportedPolicy(source=source_name, warnings=warnings)
    policy.title = _find_title(prepared)
    policy.school = _find_school(prepared)
    policy.version = _find_version(prepared)
    dates = _find_dates(prepared, warnings)
    policy.written = dates.found.get("written")
    policy.last_reviewed = dates.found.get("last_reviewed")
    policy.ratified = dates.found.get("ratified")
    policy.approving_body = _find_approving_body(prepared, warnings)
    policy.review_cycle_months = _find_review_cycle(prepared, warnings)
    policy.next_review = _next_review(policy, dates.found.get("next_review"), warnings)
    policy.dsl, policy.deputy_dsls, policy.named_governors = _find_people(prepared)
    policy.official_channels = _find_channels(prepared, warnings)
    policy.linked_policies = _find_linked_policies(prepared)
    policy.missing = _missing(policy, dates)
    return policy


def _next_review(
    policy: ImportedPolicy, stated: Found[FuzzyDate] | None, warnings: list[str]
) -> Found[FuzzyDate] | None:
    cycle = policy.review_cycle_months
    assert cycle is not None  # always set, possibly as a default
    derived = derive_next_review(
        cycle, ratified=policy.ratified, last_reviewed=policy.last_reviewed, written=policy.written
    )
    if stated is None:
        if derived is not None and cycle.how == "default":
            warnings.append(
                f"next review date: not stated; derived as {derived.value} from {derived.note} "
                "— please confirm"
            )
        return derived
    agrees = derived is None or derived.value.sort_key[:2] == stated.value.sort_key[:2]
    if derived is not None and cycle.how == "text" and not agrees:
        warnings.append(
            f"next review date {stated.value} (line {stated.line}) does not match "
            f"{derived.note} = {derived.value}"
        )
    return stated


def _missing(policy: ImportedPolicy, dates: _Dates) -> list[str]:
    missing = []
    if policy.title is None:
        missing.append("title: no line naming the policy was found — please supply it")
    if policy.next_review is None:
        term = dates.terms.get("next_review")
        said = f" (it gives only a school term, '{term}')" if term else ""
        missing.append(
            f"next review date: not found in the document{said} and no approval/review date "
            "to derive it from — please supply it"
        )
    if policy.approving_body is None:
        missing.append(
            "approving body: the document does not say who ratifies/approves it (e.g. Full "
            "Governing Body or a named committee) — please supply it"
        )
    return missing
