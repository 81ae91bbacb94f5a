"""Who inspects a school, and what each inspectorate asks for on safeguarding: one file each.

The promise: a school's inspectorate is its own (``inspectorate`` in school.yaml), defaulted
from its nation and whether it is independent where one inspectorate is the rule, and unset
where the school must say (an independent school in England: ISI, Ofsted or the Schools
Inspection Service). Each inspectorate's file (``inspectorates/<id>.toml``) lists the items of
its published safeguarding list with their sources and the day they were checked, so a changed
framework is one file; the evidence pack answers that list item by item
(``bot.features.evidence.inspection``).

Example::

    default_inspectorate("wales", independent=False)   # 'estyn'
    inspectorate("eti").items[0].item                   # 'Child protection proforma (...)'
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import BinaryIO, Literal

from pydantic import Field, ValidationError

from bot.core.nations import NATIONS, NationPackError, Source, _Strict, pack_for

__all__ = [
    "INSPECTORATES",
    "InspectionItem",
    "Inspectorate",
    "default_inspectorate",
    "extract_inspectorate_words",
    "inspectorate",
    "inspectorates_of",
]

HERE = Path(__file__).parent / "inspectorates"
# every file there is an inspectorate (its id the file's name), in a stable order
INSPECTORATES: tuple[str, ...] = tuple(sorted(p.stem for p in HERE.glob("*.toml")))


class InspectionItem(_Strict):
    """One item of an inspectorate's list: what it asks, where it says so (the framework's
    source unless given), the pack's evidence for it (its tables, by ``Facts`` field) and what
    the pack cannot show. No evidence: the product does not hold it."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    item: str = Field(min_length=1)
    source: Source | None = None
    evidence: tuple[str, ...] = ()
    missing: str | None = Field(default=None, min_length=1)
    form: str | None = None  # the pack's own form for the item (ETI's proformas), a file name


class Inspectorate(_Strict):
    """One inspectorate, as its file says it."""

    id: str
    name: str = Field(min_length=1, max_length=120)  # in running text: "an inspector from …"
    nations: tuple[str, ...] = Field(min_length=1)
    # the schools of those nations it inspects unless they say otherwise
    default_for: tuple[Literal["state", "independent"], ...] = ()
    checked: date
    checked_note: str = Field(min_length=1)  # what was read, and what was not
    framework: Source
    items: tuple[InspectionItem, ...] = Field(min_length=1, alias="item")
    # the pack's self-evaluation record against this list, a file name (a section per item,
    # pre-filled, for the school to complete and sign); None: the pack makes none
    record: str | None = Field(default=None, pattern=r"^[a-z0-9-]+\.pdf$")

    def source_of(self, item: InspectionItem) -> Source:
        """Where the item is asked: its own source, else the framework's."""
        return item.source or self.framework


@cache
def inspectorate(id_: str) -> Inspectorate:
    """The inspectorate with this id (loaded once); a missing or invalid file is refused."""
    path = HERE / f"{id_}.toml"
    if id_ not in INSPECTORATES:
        raise NationPackError(f"no inspectorate {id_!r} (one of {', '.join(INSPECTORATES)})")
    try:
        found = Inspectorate.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise NationPackError(f"{path}: {exc}") from None
    if found.id != id_ or set(found.nations) - set(NATIONS):
        raise NationPackError(f"{path}: id must be {id_!r}, nations among {', '.join(NATIONS)}")
    if len({i.id for i in found.items}) != len(found.items):
        raise NationPackError(f"{path}: two items share an id")
    return found


def inspectorates_of(country: str) -> tuple[str, ...]:
    """The inspectorates a school of this country (a nation, or ``england-and-wales``) may
    name."""
    nation = pack_for(country).nation
    return tuple(i for i in INSPECTORATES if nation in inspectorate(i).nations)


def default_inspectorate(country: str, *, independent: bool) -> str | None:
    """Who inspects a school of this country that says nothing, or None where the school must
    say (more than one inspects such schools, or none is stated)."""
    kind = "independent" if independent else "state"
    found = [i for i in inspectorates_of(country) if kind in inspectorate(i).default_for]
    return found[0] if len(found) == 1 else None


def extract_inspectorate_words(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor (``babel.cfg``): an inspectorate's name, its framework's title, what
    was checked, and each item, its source's title and what the pack cannot show, so the
    index and the summary say them in the school's language; the files are never changed."""
    data = tomllib.load(fileobj)
    yield 0, None, data["name"], ["inspectorate name"]
    yield 0, None, data["framework"]["title"], ["inspectorate framework title"]
    yield 0, None, data["checked_note"], ["inspectorate: what was checked"]
    for item in data["item"]:
        yield 0, None, item["item"], ["inspectorate list item"]
        if "source" in item:
            yield 0, None, item["source"]["title"], ["inspectorate framework title"]
        if "missing" in item:
            yield 0, None, item["missing"], ["inspectorate item: what the pack cannot show"]
