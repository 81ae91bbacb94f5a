"""The pack's formats, pure: CSV files a spreadsheet opens, and the tables of rules and
retention; the manifest and the key are ``bot.core.rendering.signed``'s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from bot.core.language.i18n import N_, Joined, Msg
from bot.core.language.words import csv_text
from bot.core.nations import Source, pack_for
from bot.core.nations.inspectorates import inspectorate

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig

__all__ = [
    "HOLDER_STATES",
    "KINDS",
    "SELF_RECORDED",
    "Table",
    "cells",
    "csv_bytes",
    "in_pack_language",
    "pack_language",
    "retention_table",
    "rules_table",
    "standards_sentence",
    "training_state",
]

EXPIRES_SOON_DAYS = 30


# the words the pack's tables say (``N_``: the CSV files keep them in English; the summary
# says them in the school's language)
KINDS = {"acknowledgement": N_("Acknowledged"), "aup_signature": N_("Signed the AUP")}
HOLDER_STATES = {
    "signed": N_("Signed"),
    "waiting": N_("Not signed yet"),
    "overdue": N_("Overdue"),
    "no AUP set": N_("No AUP set for this account"),
}
SELF_RECORDED = N_("Themselves")


@dataclass(frozen=True)
class Table:
    """One table of facts: a CSV file in the pack and a table in the PDF summary.

    ``pdf_columns`` picks the columns the PDF shows (all of them when None): an A4 page has
    room for fewer than a spreadsheet.
    """

    file_name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    pdf_columns: tuple[int, ...] | None = None

    def pdf_rows(self) -> list[list[str]]:
        """The header and rows as the PDF shows them."""
        keep = self.pdf_columns or tuple(range(len(self.headers)))
        return [[row[i] for i in keep] for row in (self.headers, *self.rows)]


def csv_bytes(table: Table) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark, so Excel reads its accents."""
    return csv_text(table.headers, table.rows).encode("utf-8")


def training_state(expires: date | None, today: date) -> str:
    """Training in words: in date, expires soon, expired, or not done."""
    if expires is None:
        return N_("not done")
    if expires < today:
        return N_("expired")
    if (expires - today).days <= EXPIRES_SOON_DAYS:
        return N_("expires soon")
    return N_("in date")


def cells(values: Sequence[object]) -> tuple[str, ...]:
    """A row as text: dates as 23 Nov 2026, nothing as an empty cell."""
    return tuple(
        "" if value is None else f"{value:%d %b %Y}" if isinstance(value, date) else str(value)
        for value in values
    )


class _School(Protocol):
    """A school's nation, kind, inspectorate and language (``SchoolConfig``)."""

    @property
    def country(self) -> str: ...

    @property
    def independent(self) -> bool: ...

    @property
    def inspected_by(self) -> str | None: ...

    @property
    def language(self) -> str: ...


def pack_language(language: str) -> str:
    """The pack's one language: Welsh in a Welsh or dual-language school, else English."""
    return "cy" if language in ("cy", "cy+en") else "en"


def in_pack_language(language: str) -> Callable[[str], str]:
    """The catalogue's sentences said in the pack's one language (``language``: the school's)."""
    one = pack_language(language)
    return lambda message: Msg(message).said(one)


def standards_sentence(school: _School) -> str | None:
    """What an independent school's pack says of its standards (from the nation pack) and of
    who inspects it, in the school's language: evidence, never a claim that a standard is met;
    None for other schools."""
    if not school.independent:
        return None
    _ = in_pack_language(school.language)
    standards = pack_for(school.country).independent_standards
    if standards is None:
        said = _(
            "This is an independent school; the standards it is inspected against are not "
            "stated here."
        )
    else:
        said = _(
            "This is an independent school: the standards it must meet are %(standards)s (%(url)s)."
        ) % {"standards": _(standards.title), "url": standards.url}
    if school.inspected_by is None:
        return f"{said} " + _(
            "Who inspects it is not stated (the school says so in its settings: inspectorate). "
            "This pack shows the school's evidence; it claims no standard is met."
        )
    return f"{said} " + _(
        "It is inspected by %(inspectorate)s, whose judgement it is whether each standard is "
        "met: this pack shows the school's evidence and claims none."
    ) % {"inspectorate": _(inspectorate(school.inspected_by).name)}


def _cited(source: Source | None, dates: Source | None = None) -> str:
    """A rule's source (and where its dates come from) as the table says it."""
    said = f"{source.title} ({source.url})" if source else "the school's own"
    return f"{said}; dates: {dates.title} ({dates.url})" if dates else said


def retention_table(school: SchoolConfig) -> Table:
    """The school's retention schedule: how long each kind of record is kept, from which day,
    and the source of each default (the school's own choices marked)."""
    from bot.features.privacy.api import schedule_rows  # lazy: the room's face loads SQLAlchemy

    rows = tuple(  # the period, and whether it is the school's own choice
        cells(
            (r.name, Joined((r.period, Msg(OWN) if r.school_choice else "")), r.runs_from, r.source)
        )
        for r in schedule_rows(school)
    )
    headers = (
        N_("Kind of record"),
        N_("Kept for"),
        N_("Counted from"),
        N_("Source of the default"),
    )
    return Table("retention-schedule.csv", N_("Retention schedule"), headers, rows)


OWN = N_(" (the school's choice)")


def rules_table(school: SchoolConfig) -> Table:
    """The rules the school's records were kept under, each with the days it applied and its
    source: its requirements (a nation pack's item: the pack's source), a reading's part that
    an edition dropped, and the single central record's checks. A check or an acknowledgement
    dated before a rule's last day was made under that rule."""
    pack = pack_for(school.country)
    items = {str(item.requirement.get("id")): item for item in pack.statutory}
    rows: list[tuple[str, ...]] = []
    for req in school.requirements:
        item = items.get(req.id)
        source, dates = (item.source, item.dates_source) if item else (None, None)
        rows.append(cells((req.display_title, req.in_force, req.until, _cited(source, dates))))
        rows += [
            cells((f"{req.display_title} ({part})", None, audience.until, _cited(source, dates)))
            for part, audience in req.audiences.items()
            if audience.until is not None
        ]
    board = school.independent or school.academy
    rows += [
        cells((check.name, check.in_force, check.until, _cited(check.source, check.dates_source)))
        for check in pack.scr_checks
        if check.settings == "all" or board
    ]
    return Table(
        "rules.csv",
        N_("The rules these records were kept under, and when each applied"),
        (N_("Rule"), N_("Applies from"), N_("Applies until"), N_("Source")),
        tuple(rows),
    )
