"""What a person types about a policy document on the command line: dates as people write
them, and the details of a scanned policy, which has no text to read.

``--help`` loads this module (``policies import`` uses it), so it imports the importer when it
reads: the importer costs ~90 ms (measured).
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.language.i18n import N_, Msg, shown

if TYPE_CHECKING:
    from bot.features.policies.importer import FuzzyDate, ImportedPolicy

__all__ = ["Typed", "read_document", "typed_date", "typed_title"]


_WEEKDAY = re.compile(
    r"(mon|tues|wednes|thurs|fri|satur|sun)day|mon|tues?|wed|thu(rs?)?|fri|sat|sun", re.I
)


def typed_date(text: str) -> FuzzyDate | None:
    """A date a person typed, read as the policy importer reads documents' dates (UK, day
    first: ``2026-09-02``, ``02/09/2026``, ``2 Sept 2026``, ``1.9.26``), or a month only
    (``2027-09``, ``September 2027``), a month named in Welsh too (``Medi 2027``). The whole
    text must be the one date (a weekday before it may stay); None otherwise.

    Example::

        typed_date("Tuesday 2 September 2026")  # FuzzyDate(2026, 9, 2)
    """
    # lazy: ~90 ms on --help (module docstring)
    from bot.features.policies.importer import FuzzyDate
    from bot.features.policies.importer.dates import find_dates

    value = _english_months(text.strip().rstrip("."))
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        try:
            return FuzzyDate(int(match.group(1)), int(match.group(2)))
        except ValueError:
            return None
    found = find_dates(value)
    if len(found) != 1 or found[0].date is None:
        return None
    rest = (value[: found[0].start] + value[found[0].end :]).strip(" ,")
    if rest and (found[0].start == 0 or not _WEEKDAY.fullmatch(rest)):
        return None
    return found[0].date


@cache
def _welsh_months() -> tuple[re.Pattern[str], dict[str, str]]:
    """Welsh months' names (``babel.dates``, as Welsh pages write them) and the English ones."""
    from babel.dates import get_month_names  # lazy: --help loads this module

    welsh = get_month_names("wide", locale="cy")
    english = get_month_names("wide", locale="en_GB")
    names = {str(welsh[month]).lower(): str(english[month]) for month in range(1, 13)}
    return re.compile(rf"\b({'|'.join(names)})\b", re.I), names


def _english_months(text: str) -> str:
    """A date typed in Welsh ("Medi 2027", "30 Medi 2027") with its month named in English,
    to be read as the importer reads one typed in English."""
    pattern, names = _welsh_months()
    return pattern.sub(lambda month: names[month.group(0).lower()], text)


@dataclass(frozen=True)
class Typed:
    """Details typed on the command line: for a scanned PDF (no text to read) all of them; for
    a document that reads, a title answers the title question and the label is what staff
    see where the document states no version."""

    title: str | None = None
    version_label: str | None = None
    adopted: str | None = None
    next_review: str | None = None
    approved_by: str | None = None

    def given(self) -> bool:
        """Whether anything was typed."""
        return any(astuple(self))


def _from_typed(path: Path, typed: Typed) -> ImportedPolicy:
    """A scanned document's policy from the typed details; ``PolicyImportError`` naming the
    option when one is missing or not a date."""
    from bot.features.policies.importer import PolicyImportError, typed_policy

    if not typed.title:
        raise PolicyImportError(
            path,
            N_(
                "the PDF has no text to read (a scanned image?): give its details with "
                "--title, --adopted or --next-review, and --approved-by"
            ),
        )
    dates = {}
    for option, text in (("--adopted", typed.adopted), ("--next-review", typed.next_review)):
        dates[option] = typed_date(text) if text else None
        if text and dates[option] is None:
            raise PolicyImportError(
                path,
                N_("%(option)s %(text)s is not a date; write 2026-11-12 or November 2027"),
                option=option,
                text=repr(text),
            )
    return typed_policy(
        path.name,
        title=typed.title,
        version=typed.version_label,
        adopted=dates["--adopted"],
        next_review=dates["--next-review"],
        approving_body=typed.approved_by,
    )


def read_document(path: Path, typed: Typed) -> ImportedPolicy:
    """The document read (or, for a scan, its typed details); typed values answer questions."""
    from bot.features.policies.importer import NoTextLayerError, extract_policy

    try:
        imported = extract_policy(path)
    except NoTextLayerError:
        return _from_typed(path, typed)
    if typed.title:
        typed_title(imported, typed.title)
    return imported


def typed_title(imported: ImportedPolicy, title: str) -> None:
    """A title typed for a document that reads answers its title question."""
    from bot.features.policies.importer import Found

    imported.title = Found(" ".join(title.split()), "typed", note=Msg(N_("typed in")))
    imported.title_guess = None
    imported.missing = [m for m in imported.missing if not str(shown(m, "en")).startswith("title")]
