"""A4 reports of headings, sentences and grid tables (reportlab), as the governors' report and
the evidence pack print them: one look, one place.

reportlab is imported when a report is made, not with this module: the web app loads it at
start, and reportlab would add ~0.2 s to that (measured).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["A4Report"]


class A4Report:
    """Collects headings, sentences and tables, then renders one A4 PDF.

    Example:
        >>> doc = A4Report("Governors' report - Oakfield")
        >>> doc.text("Governors' report", "Title")
        >>> doc.text("Counts only.")
        >>> doc.table([["Policy", "Status"], ["Online safety", "current"]])
        >>> doc.render().startswith(b"%PDF")
        True
    """

    def __init__(self, title: str) -> None:
        """Start an empty report whose PDF metadata title is ``title``."""
        from reportlab.lib.styles import getSampleStyleSheet  # lazy: ~0.2 s (module docstring)

        self.title = title
        self.styles = getSampleStyleSheet()
        self.story: list[Any] = []

    def text(self, text: str, style: str = "Normal") -> None:
        """A paragraph of plain text (escaped: never read as markup) in ``style`` (``Title``,
        ``Heading2`` for a heading)."""
        from reportlab.platypus import Paragraph

        self.story.append(Paragraph(escape(text), self.styles[style]))

    def space(self, millimetres: float) -> None:
        """Vertical space."""
        from reportlab.lib.units import mm
        from reportlab.platypus import Spacer

        self.story.append(Spacer(1, millimetres * mm))

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        """A grid whose first row is its header, repeated on every page it runs over."""
        from reportlab.lib import colors
        from reportlab.platypus import Paragraph, Table, TableStyle

        style = TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
        body = self.styles["BodyText"]
        cells = [[Paragraph(escape(c), body) for c in row] for row in rows]
        self.story.append(Table(cells, style=style, hAlign="LEFT", repeatRows=1))

    def render(self) -> bytes:
        """The PDF (A4, the same bytes for the same content)."""
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=self.title,
            author="compliance-bot",
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            invariant=1,
        )
        doc.build(self.story)
        return buffer.getvalue()
