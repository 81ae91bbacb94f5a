"""Policy documents shown as the school wrote them: Markdown rendered by markdown-it-py, Word
(.docx) converted by mammoth and OpenDocument text (.odt) read as lines, both in a contained
child, plain text as paragraphs, all sanitised by nh3; PDF pages drawn
as PNG images by pypdfium2. Results are cached by the document's SHA-256. The three converters
are imported when a document is first shown: a sweep or ``status`` reaches this module (through
the policies room's proof of reading) but shows none."""

from __future__ import annotations

import html
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal, TypeVar

import nh3

from bot.core.files.opendocument import odt_lines
from bot.core.files.uploads import AttachmentError, check_zip, read_contained

if TYPE_CHECKING:
    import pypdfium2
    from markdown_it import MarkdownIt

__all__ = ["DocumentError", "ShownDocument", "pdf_page_png", "sanitise", "show_document"]

# what a policy needs: structure and emphasis, links, tables, images a Word file embeds
# fmt: off
TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "strong", "em",
    "b", "i", "u", "s", "del", "sup", "sub", "blockquote", "code", "pre", "a", "img",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "dl", "dt", "dd",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "th": {"colspan", "rowspan"},
              "td": {"colspan", "rowspan"}, "ol": {"start"}}
# fmt: on
PAGE_WIDTH = 1000  # pixels: sharp on a laptop, scaled down by CSS on a phone
MAX_PAGES = 60  # a longer PDF is offered as a download only
_CACHE_SIZE = 32
_PDFIUM = threading.Lock()  # pdfium is not thread-safe; FastAPI runs sync routes in threads
K = TypeVar("K")
V = TypeVar("V")


class DocumentError(ValueError):
    """A document (or one of its pages) cannot be shown; the download still works."""


@dataclass(frozen=True)
class ShownDocument:
    """How a document appears on a page: sanitised HTML, or PDF pages, or neither."""

    kind: Literal["html", "pdf", "none"]
    html: str = ""
    pages: tuple[str, ...] = field(default_factory=tuple)  # PDF: the text of each page
    heights: tuple[int, ...] = field(default_factory=tuple)  # PDF: each page's image height
    problem: str = ""  # why it is not shown in the page (the download link always is)


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """Keep only inline images (``data:image/``) and ordinary links."""
    if element == "img" and attribute == "src":
        return value if value.startswith("data:image/") else None
    if element == "a" and attribute == "href":
        return None if value.lower().startswith("data:") else value
    return value


def _demote(markup: str) -> str:
    """One level down (h1 -> h2): the page's own h1 is the policy's title."""
    return re.sub(r"<(/?)h([1-6])>", lambda m: f"<{m[1]}h{min(int(m[2]) + 1, 6)}>", markup)


def sanitise(markup: str) -> str:
    """Only the tags and attributes a document needs; scripts, styles and events removed."""
    cleaned = nh3.clean(
        markup,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=_attribute,
        link_rel="noopener noreferrer nofollow",
    )
    cleaned = re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)  # nothing left to show
    cleaned = re.sub(r"<img(?![^>]*\balt=)", '<img alt=""', cleaned)  # decorative unless described
    return _demote(cleaned)


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # lazy: with mammoth and pypdfium2, ~0.33 s of a start

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _text_html(text: str) -> str:
    """Plain text: paragraphs at blank lines, single line breaks joined (no split sentences)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join(f"<p>{html.escape(' '.join(p.split()))}</p>" for p in paragraphs)


@contextmanager
def _opened_pdf(data: bytes) -> Iterator[pypdfium2.PdfDocument]:
    """The PDF opened by pdfium (one at a time: it is not thread-safe), closed after."""
    import pypdfium2  # lazy: a PDF shown, not every start

    with _PDFIUM:
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise DocumentError("the PDF could not be read") from None
        try:
            yield pdf
        finally:
            pdf.close()


def _pdf_pages(data: bytes) -> ShownDocument:
    with _opened_pdf(data) as pdf:
        if len(pdf) > MAX_PAGES:
            raise DocumentError(f"it has {len(pdf)} pages; up to {MAX_PAGES} are shown here")
        texts, heights = [], []
        for page in pdf:
            texts.append(" ".join(page.get_textpage().get_text_range().split()))
            heights.append(round(page.get_height() * PAGE_WIDTH / page.get_width()))
        return ShownDocument("pdf", pages=tuple(texts), heights=tuple(heights))


def _word_html(data: bytes) -> str:
    """In a child: a Word file as HTML, by mammoth."""
    import mammoth  # lazy: a Word document shown, not every start

    return str(mammoth.convert_to_html(io.BytesIO(data)).value)


def _odt_html(data: bytes) -> str:
    """In a child: an OpenDocument text as HTML, its lines (headings, list items) as Markdown."""
    return str(_markdown().render("\n\n".join(odt_lines(data)[0])))


_ZIPPED_HTML = {"docx": _word_html, "odt": _odt_html}


def _convert(name: str, data: bytes) -> ShownDocument:
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    try:
        if suffix == "md":
            source = data.decode("utf-8", errors="replace")
            return ShownDocument("html", sanitise(_markdown().render(source)))
        if suffix == "txt":
            return ShownDocument("html", _text_html(data.decode("utf-8", errors="replace")))
        if suffix in ("docx", "odt"):
            try:  # measured, then converted in a child (a version stored before the check)
                check_zip(name, data)
                markup = read_contained(name, "file", _ZIPPED_HTML[suffix], data)
            except AttachmentError:
                raise DocumentError("it could not be read") from None
            return ShownDocument("html", sanitise(markup))
        if suffix == "pdf":
            return _pdf_pages(data)
    except DocumentError as exc:
        return ShownDocument("none", problem=str(exc))
    except Exception:  # a damaged Word file: say so and offer the download
        return ShownDocument("none", problem="it could not be read")
    return ShownDocument("none", problem="this kind of file cannot be shown in a page")


_shown: OrderedDict[str, ShownDocument] = OrderedDict()
_pngs: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_shown_lock = threading.Lock()


def _remembered(cache: OrderedDict[K, V], key: K, size: int, make: Callable[[], V]) -> V:
    """``cache[key]``, made by ``make`` when missing (outside the lock); the least recently
    used dropped beyond ``size``."""
    with _shown_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    made = make()
    with _shown_lock:
        cache[key] = made
        while len(cache) > size:
            cache.popitem(last=False)
    return made


def show_document(name: str, data: bytes, sha256: str) -> ShownDocument:
    """The document ready for a page (cached by its SHA-256 and kind)."""
    key = f"{sha256}:{name.lower().rsplit('.', 1)[-1]}"
    return _remembered(_shown, key, _CACHE_SIZE, lambda: _convert(name, data))


def _page_png(data: bytes, number: int) -> bytes:
    with _opened_pdf(data) as pdf:
        if not 1 <= number <= min(len(pdf), MAX_PAGES):
            raise DocumentError(f"there is no page {number}")
        page = pdf[number - 1]
        out = io.BytesIO()
        page.render(scale=PAGE_WIDTH / page.get_width()).to_pil().save(
            out, format="PNG", optimize=True
        )
    return out.getvalue()


def pdf_page_png(data: bytes, sha256: str, number: int) -> bytes:
    """Page ``number`` (from 1) of a PDF as a PNG, ``PAGE_WIDTH`` wide (cached by hash, page)."""
    return _remembered(_pngs, (sha256, number), _CACHE_SIZE * 4, lambda: _page_png(data, number))
