"""Drawing an ``A4Report`` with reportlab (the module ``render`` loads, ~0.2 s): DejaVu Sans
embedded, the structure tree and artifacts as ``pdf`` describes them, and "Page 1 of 3" in each
page's language."""

from __future__ import annotations

import io
from functools import cache, partial
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObjectReference, PDFString
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot.core.language.i18n import N_, Msg, html_lang
from bot.core.language.i18n import said_in as said_now

__all__ = ["Tags", "draw"]

FONTS = Path(__file__).parent / "fonts"  # DejaVu Sans 2.37 and its licence (fonts/LICENSE)
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
# where a mark sits in the structure tree: its elements, outermost first, each (type, key)
Tags = tuple[tuple[str, object], ...]
_GRID = [
    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
    ("FONTSIZE", (0, 0), (-1, -1), 9),
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
]


@cache
def _styles() -> StyleSheet1:
    """reportlab's sample styles in DejaVu Sans (bold where they were bold)."""
    for name in (REGULAR, BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
    )
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):  # a paragraph's (not a list's)
            style.fontName = BOLD if "Bold" in style.fontName else REGULAR
            style.bulletFontName = style.fontName
    return styles


def _flowable(block: tuple[Any, ...], styles: StyleSheet1) -> Any:
    """One of the report's blocks as reportlab draws it."""
    match block:
        case ("text", text, style, tags, language, bullet):
            paragraph = _Paragraph(text, styles[style], bulletText=bullet)
            paragraph.tags, paragraph.language = tags, language
            return paragraph
        case ("space", millimetres):
            return Spacer(1, millimetres * mm)
        case ("table", rows, key, language):
            cells = [[Paragraph(cell, styles["BodyText"]) for cell in row] for row in rows]
            marks = _TableMarks(key, language)
            return Table(
                cells, style=TableStyle(_GRID), hAlign="LEFT", repeatRows=1, renderCB=marks
            )
    return PageBreak()


def draw(report: Any) -> bytes:
    """The PDF of ``report`` (a ``pdf.A4Report``, which imports this module only to draw):
    A4, the same bytes for the same content and time made."""
    styles = _styles()  # and the fonts registered
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=report.title,
        author=report.author,
        lang=html_lang(report.document_language),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        initialFontName=REGULAR,  # not Helvetica, even in a page's preamble
        invariant=1,  # no random file id: the creation date is ``made`` (_Canvas)
    )
    story = [_flowable(block, styles) for block in report.story]
    doc.build(story, canvasmaker=partial(_Canvas, report=report))
    return buffer.getvalue()


class _Paragraph(Paragraph):  # type: ignore[misc]  # reportlab has no type information
    """A paragraph whose drawing is marked as its structure element (``tags``); split over two
    pages, each half is marked, and both belong to the one element."""

    tags: Tags = ()
    language = "en"

    def split(self, width: float, height: float) -> list[Any]:
        """reportlab's split, each part keeping the paragraph's element and language."""
        parts: list[Any] = super().split(width, height)
        for part in parts:
            part.tags, part.language = self.tags, self.language
        return parts

    def drawOn(self, canvas: _Canvas, x: float, y: float, _sW: float = 0) -> None:
        """Draw, marked."""
        canvas.mark(self.tags, self.language)
        super().drawOn(canvas, x, y, _sW)
        canvas.end()


class _TableMarks:
    """Marks a table's cells as its rows' TH and TD elements, and its rules and shading as
    artifacts, from reportlab's render callback (``renderCB``), which follows the table's
    parts over pages."""

    def __init__(self, key: int, language: str) -> None:
        self.key, self.language = key, language
        self.row = -1  # the row under way, counted over every part
        self.repeat = False  # a part after the first: its first row repeats the header

    def __call__(self, table: Any, event: str, *args: Any) -> None:
        """One of reportlab's events (``startCell``, ``endLines``...)."""
        canvas: _Canvas = table.canv
        header_again = self.repeat and args[:1] == (0,)  # the row (startRow, startCell)
        if event == "startTable":
            self.repeat = self.row >= 0
        elif event == "startRow" and not header_again:
            self.row += 1
        elif event in ("startBG", "startLines") or (event == "startCell" and header_again):
            canvas.artifact()
        elif event == "startCell":
            row, cell = (self.key, self.row), "TH" if self.row == 0 else "TD"
            canvas.mark((("Table", self.key), ("TR", row), (cell, (*row, args[1]))), self.language)
        elif event in ("endBG", "endLines", "endCell"):
            canvas.end()


class _Canvas(Canvas):  # type: ignore[misc]
    """Holds each page until the last is drawn, to number them "Page 1 of 3"; records what each
    page marks; on save, writes the structure tree and the creation date."""

    def __init__(self, *args: Any, report: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        self.pages: list[dict[str, Any]] = []
        self.marks: list[tuple[Tags, str]] = []  # this page's marked content, by MCID
        zone = report.made.strftime("%z")  # +0100: +01'00' in a PDF date
        self.setDateFormatter(lambda *_: f"D:{report.made:%Y%m%d%H%M%S}{zone[:3]}'{zone[3:]}'")
        self.setViewerPreference("DisplayDocTitle", "true")  # the title, not the file's name

    def mark(self, tags: Tags, language: str) -> None:
        """Begin marked content: the innermost of ``tags``, this page's next MCID."""
        self.marks.append((tags, language))
        self.addLiteral(f"/{tags[-1][0]} <</MCID {len(self.marks) - 1}>> BDC")

    def artifact(self, kind: str = "Layout") -> None:
        """Begin an artifact: what a screen reader skips (rules, page numbers)."""
        self.addLiteral(f"/Artifact <</Type /{kind}>> BDC")

    def end(self) -> None:
        """End the marked content or artifact under way."""
        self.addLiteral("EMC")

    def showPage(self) -> None:  # reportlab's name
        """Keep the page (drawn out on save, when the page count is known)."""
        self.pages.append(dict(self.__dict__))
        self._startPage()
        self.marks = []

    def save(self) -> None:
        """Number each page in its own language, then write the file with its tree."""
        for number, page in enumerate(self.pages, start=1):
            self.__dict__.update(page)
            language = self.marks[0][1] if self.marks else self.report.document_language
            said = said_now(
                language, Msg(N_("Page %(page)s of %(pages)s"), page=number, pages=len(self.pages))
            )
            self.saveState()
            self.artifact("Pagination")
            self.setFont(REGULAR, 8)
            self.setFillColor(colors.dimgrey)
            self.drawCentredString(A4[0] / 2, 9 * mm, said)
            self.end()
            self.restoreState()
            Canvas.showPage(self)
        self._tree()
        Canvas.save(self)

    def _tree(self) -> None:
        """The structure tree: each element's kids in the order drawn, each leaf's marked
        content on its pages, and the parent tree from each page's MCIDs to their elements."""
        doc, language = self._doc, html_lang(self.report.document_language)
        root = PDFDictionary({"Type": PDFName("StructTreeRoot"), "K": PDFArray([])})
        made: dict[Tags, tuple[PDFDictionary, Any]] = {(): (root, doc.Reference(root))}
        nums: list[Any] = []
        for index, (page, held) in enumerate(zip(doc.Pages.pages, self.pages, strict=True)):
            page.StructParents = index
            page.__NoDefault__ = [*page.__NoDefault__, "StructParents"]
            owners = []
            for mcid, (tags, said_in) in enumerate(held["marks"]):
                path = (("Document", 0), *tags)
                for depth in range(1, len(path) + 1):
                    own = html_lang(said_in) if depth == 2 else language  # a part's own
                    if path[:depth] not in made:
                        made[path[:depth]] = self._element(
                            path[depth - 1][0], made[path[: depth - 1]], own != language and own
                        )
                leaf, ref = made[path]
                leaf["K"].sequence.append(
                    PDFDictionary(
                        {
                            "Type": PDFName("MCR"),
                            "Pg": PDFObjectReference(f"Page{index + 1}"),
                            "MCID": mcid,
                        }
                    )
                )
                owners.append(ref)
            nums += [index, PDFArray(owners)]
        root["ParentTree"] = PDFDictionary({"Nums": PDFArray(nums)})
        root["ParentTreeNextKey"] = len(self.pages)
        doc.Catalog.StructTreeRoot = root
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": "true"})

    def _element(
        self, kind: str, parent: tuple[PDFDictionary, Any], language: str | bool
    ) -> tuple[PDFDictionary, Any]:
        """A structure element of type ``kind``, the last of ``parent``'s kids, and its
        reference; ``language``: its own, where not the document's."""
        element = PDFDictionary(
            {"Type": PDFName("StructElem"), "S": PDFName(kind), "P": parent[1], "K": PDFArray([])}
        )
        if language:
            element["Lang"] = PDFString(language)
        if kind == "TH":
            element["A"] = PDFDictionary({"O": PDFName("Table"), "Scope": PDFName("Column")})
        ref = self._doc.Reference(element)
        parent[0]["K"].sequence.append(ref)
        return element, ref
