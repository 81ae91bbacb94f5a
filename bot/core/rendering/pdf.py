"""Every PDF the product writes, one way (reportlab): A4 headings, sentences, lists and grid
tables in DejaVu Sans, embedded (every letter of Welsh, ŵ and ŷ among them, and of the Latin,
Greek and Cyrillic names people have: Helvetica's WinAnsi has no ŵ or ŷ), dated when made,
numbered "Page 1 of 3" in the reader's language, and tagged for a screen reader.

Tagged (ISO 32000-1 §14.7-14.8), as far as reportlab lets us, which has no tagging of its own:
the document's language (``/Lang``) and a part's in another (the English half of a ``cy+en``
report); a structure tree (``/StructTreeRoot``, ``/MarkInfo /Marked true``) of headings,
paragraphs, lists and tables (rows, header and data cells), each element pointing to the marked
content it draws (``BDC``/``EMC`` written into the page, table cells from reportlab's render
callback); the page numbers and table rules and shading marked as artifacts; a repeated table
header an artifact on the pages after the first. Not done: PDF/UA's XMP identification, and a
list item's bullet as a label (Lbl) of its own (it is inside the item's body).

The report collects its blocks as plain data and is imported anywhere; reportlab (~0.2 s to a
process that loads it, measured), which the web app and the CLI's ``--help`` never load, is
loaded by ``render`` (``pdf_draw``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from bot.core.days.clock import LONDON
from bot.core.language.i18n import Msg, said_in, speaking

__all__ = ["A4Report"]

_ROLES = {"Title": "H1", "Heading2": "H2"}  # a style's structure type; any other: P


class A4Report:
    """Collects headings, sentences, lists and tables, then renders one A4 PDF: every document
    of headed tables the product writes (the evidence pack's, the trustees' and governors'
    reports, the privacy records).

    Example:
        >>> doc = A4Report("Adroddiad y llywodraethwyr", "cy", of="Tŷ Gŵyr")  # and its Title
        >>> doc.table([["Polisi", "Statws"]], empty=doc.say("None recorded."))
        >>> doc.table([["Polisi", "Statws"], ["Diogelwch ar-lein", "cyfredol"]])
        >>> doc.part("en")  # the English half, from a new page, tagged /Lang (en-GB)
        >>> doc.text("Counts only.")
        >>> doc.render().startswith(b"%PDF")
        True
    """

    def __init__(
        self,
        title: str,
        language: str = "en",
        made: datetime | None = None,
        author: str = "compliance-bot",
        *,
        of: str | None = None,
    ) -> None:
        """An empty report: its metadata title, its language (``en``, ``cy``; ``cy+en``: Welsh
        first), and when it was made (now, unless given: the file's creation date); ``of``
        (the school's name): the title heads the page and ``of`` follows it in the metadata."""
        self.author, self.document_language = author, language
        self.title = title if of is None else f"{title} - {of}"
        self.language = language  # the part's under way (``part``)
        self.made = (made or datetime.now(LONDON)).astimezone(LONDON)
        # its blocks, each a tuple (kind, ...: ``pdf_draw.draw``); its length: the next
        # block's key in the structure tree
        self.story: list[tuple[Any, ...]] = []
        if of is not None:
            self.text(title, "Title")

    def say(self, message: str, /, **values: object) -> str:
        """A catalogue sentence said in the language of the part under way (``cy+en``: in
        Welsh, then English); without ``values``, its placeholders left to fill."""
        return said_in(self.language, Msg(message, **values))

    def halves(self) -> Iterator[str]:
        """Each language the whole report is written in, spoken (``speaking``) while it is
        written: ``cy+en`` in Welsh, then in English from a new page."""
        for half in ("cy", "en") if self.document_language == "cy+en" else (self.language,):
            self.part(half)
            with speaking(half):
                yield half

    def part(self, language: str) -> None:
        """What follows is in ``language`` (the English half of a ``cy+en`` report), on a page
        of its own, tagged with its language where it is not the document's."""
        if self.story:
            self.story.append(("break",))
        self.language = language

    def text(self, text: str, style: str = "Normal") -> None:
        """A paragraph of plain text (escaped: never read as markup) in ``style`` (``Title``: the
        report's H1; ``Heading2``: H2)."""
        tags = ((_ROLES.get(style, "P"), len(self.story)),)
        self.story.append(("text", escape(text), style, tags, self.language, None))

    def bullets(self, items: Sequence[str]) -> None:
        """A bulleted list."""
        key = len(self.story)
        for n, item in enumerate(items):
            tags = (("L", key), ("LI", (key, n)), ("LBody", (key, n)))
            self.story.append(("text", escape(item), "Bullet", tags, self.language, "•"))

    def space(self, millimetres: float) -> None:
        """Vertical space."""
        self.story.append(("space", millimetres))

    def page_break(self) -> None:
        """What follows starts a new page."""
        self.story.append(("break",))

    def table(self, rows: Sequence[Sequence[str]], empty: str | None = None) -> None:
        """A grid whose first row is its header (TH cells), repeated on every page it runs
        over (an artifact there: the table's header is said once); ``empty``: the sentence
        written instead when no row follows the header."""
        if empty is not None and len(rows) < 2:
            return self.text(empty)
        cells = [[escape(cell) for cell in row] for row in rows]
        self.story.append(("table", cells, len(self.story), self.language))

    def render(self) -> bytes:
        """The PDF (A4; the same bytes for the same content and time made)."""
        from bot.core.rendering.pdf_draw import draw  # lazy: reportlab, ~0.2 s to load (measured)

        return draw(self)
