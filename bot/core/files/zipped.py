"""A zipped office file (a Word .docx, an OpenDocument .odt, an Excel .xlsx) opened within
bounds, whoever reads it: its zip directory measured before anything expands (``measure``: a
1 MB zip bomb that opens to a gigabyte is refused here), then, in a child process limited in
memory and time (``bot.core.files.contained``), every member read through once in small chunks
and every XML part streamed through expat (``scan``): a member longer than its header says
fails, and a DTD (entity expansion, "billion laughs", outside entities: no office program
writes one), nesting too deep, or too many elements or rows is refused before a reader builds
a tree. A refusal is a ``ZipRefused`` naming why; each reader says it in its own words.
"""

from __future__ import annotations

import io
import xml.parsers.expat
import zipfile
from dataclasses import dataclass
from typing import Any

__all__ = ["ZipLimits", "ZipRefused", "measure", "scan"]

_CHUNK = 64 * 1024


class ZipRefused(Exception):
    """Why the file is refused (``why``): "damaged"; from its directory "parts", "expands",
    "ratio"; from its XML "entities", "doctype", "deep", "elements", "rows". ``values``: the
    figures its sentence names (``most``...). It crosses from the child as it is."""

    def __init__(self, why: str, **values: str) -> None:
        super().__init__(why)
        self.why, self.values = why, values


@dataclass(frozen=True)
class ZipLimits:
    """What a reader opens at the most: zip members (``parts``), bytes expanded, how much more
    a member over ``ratio_from`` bytes expands than it is compressed (``ratio``), XML nesting
    (``depth``), XML elements and rows (``<row>``), every part together; None: not limited.
    ``xml``: the endings of the parts streamed through expat."""

    parts: int
    expanded: int
    xml: tuple[str, ...] = (".xml", ".rels")
    ratio: int | None = None
    ratio_from: int = 1024 * 1024
    depth: int | None = None
    elements: int | None = None
    rows: int | None = None


def measure(data: bytes, limits: ZipLimits) -> None:
    """Refuse the file from its zip directory alone: nothing expands."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ZipRefused("damaged") from None
    if len(members) > limits.parts:
        raise ZipRefused("parts", parts=f"{len(members):,}", most=f"{limits.parts:,}")
    total = sum(info.file_size for info in members)
    if total > limits.expanded:
        size, most = f"{total / 1048576:,.0f}", str(limits.expanded >> 20)
        raise ZipRefused("expands", size=size, most=most)
    if limits.ratio is not None and any(
        info.file_size > limits.ratio_from
        and info.file_size > limits.ratio * max(info.compress_size, 1)
        for info in members
    ):
        raise ZipRefused("ratio")


def scan(data: bytes, limits: ZipLimits) -> None:
    """In the child: read every member through once, streaming each XML part through expat
    (an empty part, as pandoc writes, expands to nothing); ZipRefused to refuse."""
    counted = [0, 0]  # elements and rows, of every part together
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                streamed = info.filename.lower().endswith(limits.xml)
                parser = _parser(limits, counted) if streamed else None
                with archive.open(info) as member:
                    read = 0
                    while chunk := member.read(_CHUNK):
                        read += len(chunk)
                        if read > info.file_size:  # zipfile stops at the declared size; be sure
                            raise zipfile.BadZipFile("longer than declared")
                        if parser is not None:
                            parser.Parse(chunk, False)
                    if parser is not None and read:
                        parser.Parse(b"", True)
    except ZipRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        xml.parsers.expat.ExpatError,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
        RuntimeError,
    ):  # RuntimeError: a password-protected member
        raise ZipRefused("damaged") from None


def _parser(limits: ZipLimits, counted: list[int]) -> Any:
    """An expat parser for one part that refuses a DTD and counts into ``counted``."""
    parser = xml.parsers.expat.ParserCreate()
    depth = [0]

    def start(name: str, _attributes: object) -> None:
        depth[0] += 1
        counted[0] += 1
        if limits.depth is not None and depth[0] > limits.depth:
            raise ZipRefused("deep", most=str(limits.depth))
        if limits.elements is not None and counted[0] > limits.elements:
            raise ZipRefused("elements", most=f"{limits.elements:,}")
        if limits.rows is not None and (name == "row" or name.endswith(":row")):
            counted[1] += 1
            if counted[1] > limits.rows:
                raise ZipRefused("rows", most=f"{limits.rows:,}")

    def end(_name: str) -> None:
        depth[0] -= 1

    def refuse(why: str) -> Any:
        def handler(*_: object) -> None:
            raise ZipRefused(why)

        return handler

    parser.EntityDeclHandler = refuse("entities")
    parser.EndDoctypeDeclHandler = refuse("doctype")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    return parser
