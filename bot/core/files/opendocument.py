"""OpenDocument text (.odt, LibreOffice's own format) read as lines, as a Word file is: page
headers first, headings as ``# text``, list items as ``- item``, table rows as ``cell | cell``
(a one-cell row: one line per paragraph), footers last; and the title its properties keep.

An .odt is a zip of XML parts (``content.xml``, ``styles.xml``, ``meta.xml``). Read only
after ``bot.core.files.uploads.check_zip`` passed it (no DTD, bounded size and depth), in a
contained child (``uploads.read_contained``); lxml reads it with entities and DTDs left
unread (as python-docx does).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from lxml import etree

__all__ = ["odt_lines"]

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_TEXT, _TABLE, _STYLE = (f"{{{_NS[n]}}}" for n in ("text", "table", "style"))
# what a reader does not see as the text: footnotes' bodies, tracked deletions, field names
_HIDDEN = {f"{_TEXT}{n}" for n in ("note", "tracked-changes", "sequence-decls", "bookmark")}


def odt_lines(data: bytes) -> tuple[list[str], str | None]:
    """The document's lines and the title its properties keep (None when it keeps none)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        parts = {n: etree.fromstring(archive.read(n), _PARSER) for n in _PARTS if n in names}
    content = parts["content.xml"]
    headings = _heading_styles(*parts.values())
    body = content.find("office:body/office:text", _NS)
    lines = list(_margins(parts.get("styles.xml"), "header", headings))
    lines += _blocks(body if body is not None else content, headings, "")
    lines += _margins(parts.get("styles.xml"), "footer", headings)
    title = parts["meta.xml"].findtext(".//dc:title", "", _NS) if "meta.xml" in parts else ""
    return lines, title.strip() or None


_PARTS = ("content.xml", "styles.xml", "meta.xml")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _heading_styles(*parts: Any) -> set[str]:
    """Paragraph styles that are a title or heading, or follow one (LibreOffice names a
    paragraph's own formatting "P3", whose parent is "Title")."""
    parent: dict[str, str] = {}
    for part in parts:
        for style in part.iter(f"{_STYLE}style"):
            name = style.get(f"{_STYLE}name") or ""
            parent[name] = style.get(f"{_STYLE}parent-style-name") or ""
    found: set[str] = set()
    for name in parent:
        seen, at = set(), name
        while at and at not in seen:
            seen.add(at)
            if at.startswith(("Title", "Heading")):
                found.add(name)
                break
            at = parent.get(at, "")
    return found


def _margins(styles: Any, which: str, headings: set[str]) -> Iterator[str]:
    """The page headers (or footers) of every page style, each line once."""
    if styles is None:
        return
    seen: set[str] = set()
    for page in styles.iterfind("office:master-styles/style:master-page", _NS):
        for part in page:
            if part.tag.startswith(f"{_STYLE}{which}"):  # header, header-first, header-left
                for line in _blocks(part, headings, ""):
                    if line.strip() and line not in seen:
                        seen.add(line)
                        yield line


def _blocks(parent: Any, headings: set[str], prefix: str) -> Iterator[str]:
    """Each paragraph, heading, list item and table row of ``parent``, in order."""
    for element in parent:
        tag = element.tag
        if tag in _HIDDEN:
            continue
        if tag in (f"{_TEXT}p", f"{_TEXT}h"):
            style = element.get(f"{_TEXT}style-name") or ""
            heading = tag == f"{_TEXT}h" or style in headings
            for part in _inline(element).split("\n"):
                yield ("# " if heading else prefix) + part if part.strip() else part
        elif tag == f"{_TEXT}list-item" or tag == f"{_TEXT}list-header":
            yield from _blocks(element, headings, "- ")
        elif tag == f"{_TABLE}table-row":
            yield from _row(element, headings)
        else:  # lists, sections, tables' row groups, text boxes, a contents list's body
            yield from _blocks(element, headings, prefix)


def _row(row: Any, headings: set[str]) -> Iterator[str]:
    """A table row: ``cell | cell`` (each cell's text on one line), or a one-cell row's
    paragraphs one line each (a banner: the school's name over the title)."""
    cells = [c for c in row if c.tag == f"{_TABLE}table-cell"]
    if len(cells) == 1:
        yield from _blocks(cells[0], headings, "")
        return
    texts = (" ".join(" ".join(_blocks(cell, set(), "")).split()) for cell in cells)
    if shown := [text for text in texts if text]:
        yield " | ".join(shown)


def _inline(element: Any) -> str:
    """A paragraph's text as a reader sees it: spaces, tabs and line breaks as written."""
    out = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == f"{_TEXT}s":
            count = child.get(f"{_TEXT}c") or "1"
            out.append(" " * min(int(count) if count.isdigit() else 1, 100))
        elif tag == f"{_TEXT}tab":
            out.append("\t")
        elif tag == f"{_TEXT}line-break":
            out.append("\n")
        elif tag not in _HIDDEN:
            out.append(_inline(child))
        out.append(child.tail or "")
    return "".join(out)
