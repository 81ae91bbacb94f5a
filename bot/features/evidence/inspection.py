"""The inspection index, pure: one row per item of an inspectorate's published list on
safeguarding (``bot.core.nations.inspectorates``), saying where the pack answers it and how far.

A row's ``status`` is ``filled`` (the pack's tables hold the school's own dated facts for it),
``partly`` (what the pack holds and what it does not, in words) or ``not held by this product``;
no item is ever left out. The index is written in the pack's language (the CSV file and the
summary PDF, which opens with it); its column names stay as the issue of record names them.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.language.i18n import N_
from bot.core.nations.inspectorates import InspectionItem, inspectorate
from bot.features.evidence.rules import Table, in_pack_language
from bot.features.evidence.service import Facts

__all__ = ["ALWAYS_HELD", "FILLED", "INDEX", "NOT_HELD", "PARTLY", "held", "index_table"]

INDEX = "inspection-index.csv"
HEADER = ("inspectorate", "item", "source", "file", "status")
FILLED = N_("filled")
PARTLY = N_("partly")
NOT_HELD = N_("not held by this product")
# tables whose every state is a fact, none included: counts of reports, their deadlines and
# complaints, and the rules the records were kept under
ALWAYS_HELD = frozenset({"concerns", "clocks", "complaints", "rules"})
NOTHING_YET = N_("nothing is recorded in compliance-bot yet")
NO_SCR = N_("no single central record has been imported")
NOT_IN_PACK = N_("not in this pack")


def held(facts: Facts) -> dict[str, str | None]:
    """Each table of the pack (by ``Facts`` field): None where it holds the school's own dated
    facts, else why not (a catalogue sentence)."""
    tables = {k: v for k, v in vars(facts).items() if isinstance(v, Table)}
    said: dict[str, str | None] = {
        key: None if key in ALWAYS_HELD or table.rows else NOTHING_YET
        for key, table in tables.items()
    }
    said["rules"] = None if facts.rules is not None else NOT_IN_PACK
    said["filtering"] = facts.filtering_note
    said["scr"] = None if facts.scr_held else NO_SCR
    if facts.scr_gaps is not None:  # no gap on a checked record is a fact
        said["scr_gaps"] = said["scr"]
    return said


def _status(
    item: InspectionItem,
    facts: Facts,
    states: dict[str, str | None],
    _: Callable[[str], str],
    record: str | None,
) -> tuple[str, str]:
    """The item's files (the tables, the item's form and the list's record) and status."""
    tables = {k: v for k, v in vars(facts).items() if isinstance(v, Table)}
    files = [tables[key].file_name for key in item.evidence if key in tables]
    files += [f for f in (item.form, record) if f]
    if not item.evidence:
        return "; ".join(files), _(NOT_HELD) + (f": {_(item.missing)}" if item.missing else "")
    there = [tables[k].file_name for k in item.evidence if k in tables and states[k] is None]
    lacking = [
        f"{tables[k].file_name if k in tables else k}: {_(reason)}"
        for k in item.evidence
        if (reason := states.get(k, NOT_IN_PACK)) is not None
    ]
    if item.missing:
        lacking.append(_(item.missing))
    if not lacking:
        return "; ".join(files), _(FILLED)
    parts = ([_("in the pack: %(files)s") % {"files": ", ".join(there)}] if there else []) + [
        _("not shown: %(what)s") % {"what": "; ".join(lacking)}
    ]
    return "; ".join(files), f"{_(PARTLY)}: {'; '.join(parts)}"


def index_table(inspectorate_id: str, facts: Facts, language: str) -> Table:
    """The index for one inspectorate, in the pack's language (``language``: the school's)."""
    found = inspectorate(inspectorate_id)
    _ = in_pack_language(language)
    states = held(facts)
    rows = tuple(
        (
            _(found.name),
            _(item.item),
            found.source_of(item).url,
            *_status(item, facts, states, _, found.record),
        )
        for item in found.items
    )
    return Table(INDEX, _(found.name), HEADER, rows, pdf_columns=(1, 3, 4))
