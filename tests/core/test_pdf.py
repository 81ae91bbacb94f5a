"""Every PDF the product writes (``bot.core.rendering.pdf``) as a Welsh school gets it: the
governors'
report from the command line and the evidence pack's summary for a dual-language school named
"Ysgol Gymraeg Tŷ Gŵyr", and the demo's policy — read back by poppler (pdffonts, pdftotext,
pdfinfo: software we did not write) and pypdf: the font embedded and the name as written, tagged
(a structure tree, the document's language and the English half's), dated when it was made, and
every page numbered in its own language."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.days.clock import LONDON
from bot.core.rendering.pdf import A4Report
from bot.demo.documents import FIXED, mobile_phones_pdf
from tests.conftest import _missing
from tests.features.dashboard.test_governors_report import _build
from tests.support.helpers import SchoolBuilder

NAME = "Ysgol Gymraeg Tŷ Gŵyr"
MADE = datetime(2026, 3, 16, 14, 5, 9, tzinfo=UTC)  # 14:05:09 in London (GMT)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[bytes, datetime]]]:
    """Each PDF and when it says it was made: the governors' report and the evidence pack as a
    ``cy+en`` school in Wales makes them on the command line, and the demo's policy."""
    home = tmp_path_factory.mktemp("ty-gwyr")
    school = SchoolBuilder(home / "school")
    school.school.update(name=NAME, country="wales", language="cy+en")
    ctx = _build(school, f"sqlite:///{home / 'test.db'}")
    with pytest.MonkeyPatch.context() as env, time_machine.travel(MADE, tick=False):
        env.setenv("COMPLIANCE_BOT_HOME", str(ctx.settings.home))
        env.setenv("COMPLIANCE_BOT_DATABASE_URL", f"sqlite:///{home / 'test.db'}")
        for command in (
            ["governors", "report", "--pdf", str(home / "report.pdf"), "--as-of", "2026-03-16"],
            ["evidence", "--out", str(home / "pack.zip")],
        ):
            result: Any = CliRunner().invoke(app, command)
            assert result.exit_code == 0, result.output
    with zipfile.ZipFile(home / "pack.zip") as pack:
        summary = pack.read("summary.pdf")
    yield {
        "governors' report": ((home / "report.pdf").read_bytes(), MADE),
        "evidence summary": (summary, MADE),
        "demo policy": (mobile_phones_pdf(), FIXED.replace(tzinfo=LONDON)),
    }
    ctx.store.dispose()


def _poppler(tool: str, pdf: bytes, *args: str) -> str:
    """A poppler tool's output for ``pdf`` (pdftotext's text)."""
    if shutil.which(tool) is None:
        _missing(f"{tool} is not installed (Debian: poppler-utils)")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        where = [file.name, "-"] if tool == "pdftotext" else [file.name]
        done = subprocess.run([tool, *args, *where], capture_output=True, check=True, text=True)
    return done.stdout


@pytest.mark.parametrize("name", ["governors' report", "evidence summary", "demo policy"])
def test_every_pdf_embeds_its_font_is_tagged_and_dated(
    pdfs: dict[str, tuple[bytes, datetime]], name: str
) -> None:
    pdf, made = pdfs[name]
    fonts = _poppler("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(re.search(r"TrueType\s+\S+\s+yes yes yes", f) for f in fonts), fonts
    assert {f.split()[0].partition("+")[2] for f in fonts} <= {"DejaVuSans", "DejaVuSans-Bold"}
    info = _poppler("pdfinfo", pdf, "-isodates")
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    assert f"CreationDate:    {_iso(made)}\n" in info
    assert PdfReader(io.BytesIO(pdf)).metadata.creation_date == made
    tree = _poppler("pdfinfo", pdf, "-struct")
    assert tree.startswith("Document\n") and "  H1 (block)\n" in tree
    if name == "demo policy":
        assert "    LI (block)\n      LBody (block)" in tree  # its lists, as lists


@pytest.mark.parametrize("name", ["governors' report", "evidence summary"])
def test_a_welsh_schools_name_reads_back_as_written(
    pdfs: dict[str, tuple[bytes, datetime]], name: str
) -> None:
    """Helvetica's WinAnsi printed T■ G■yr; the text layer says "Tŷ Gŵyr" (pdftotext, pypdf)."""
    pdf = pdfs[name][0]
    assert "Tŷ Gŵyr" in _poppler("pdftotext", pdf)
    assert "Tŷ Gŵyr" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    tree = _poppler("pdfinfo", pdf, "-struct")
    assert "TH:\n         /Scope /Column" in tree  # header cells say they head a column


def _iso(made: datetime) -> str:
    """A time as ``pdfinfo -isodates`` writes it: "2026-03-16T14:05:09Z", "…T09:00:00+01"."""
    hours = int((made.utcoffset() or timedelta()).total_seconds()) // 3600
    return f"{made:%Y-%m-%dT%H:%M:%S}" + (f"+{hours:02d}" if hours else "Z")


def _pages(pdf: bytes) -> list[str]:
    return _poppler("pdftotext", pdf, "-layout").split("\f")[:-1]


def test_the_command_line_report_is_welsh_then_english_each_half_tagged_and_numbered(
    pdfs: dict[str, tuple[bytes, datetime]],
) -> None:
    """The school is ``cy+en``: the whole report in Welsh, then in English from a new page (as
    the web route gives it), each page numbered in its half's language, the English half's
    elements tagged ``en-GB`` under a Welsh document."""
    pdf = pdfs["governors' report"][0]
    pages = _pages(pdf)
    total = len(pages)
    english = next(n for n, page in enumerate(pages) if "Governors' report" in page)
    assert english > 0 and "Adroddiad y llywodraethwyr" in pages[0]
    for n, page in enumerate(pages, start=1):
        footer = page.strip().splitlines()[-1].strip()
        assert footer == (f"Page {n} of {total}" if n > english else f"Tudalen {n} o {total}")
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/Lang"] == "cy" and bool(root["/MarkInfo"]["/Marked"])
    [document] = [kid.get_object() for kid in root["/StructTreeRoot"]["/K"]]
    assert document["/S"] == "/Document"
    tops = [kid.get_object() for kid in document["/K"]]
    langs = [(str(kid["/S"]), kid.get("/Lang")) for kid in tops]
    first = langs.index(("/H1", "en-GB"))  # the English half's title
    assert langs[0] == ("/H1", None) and all(lang is None for _, lang in langs[:first])
    assert all(lang == "en-GB" for _, lang in langs[first:])


def test_a_welsh_document_numbers_every_page_in_welsh() -> None:
    doc = A4Report(f"Prawf - {NAME}", "cy", MADE)
    for n in range(60):
        doc.text(f"{NAME}: brawddeg {n}. " * 6)
    pages = _pages(doc.render())
    assert len(pages) > 2
    assert [page.strip().splitlines()[-1].strip() for page in pages] == [
        f"Tudalen {n} o {len(pages)}" for n in range(1, len(pages) + 1)
    ]


def test_a_table_over_pages_keeps_one_table_and_its_header_once() -> None:
    """A table run over three pages is one Table of rows in the tree; the header row repeated on
    each later page is drawn (the reader sees it) but marked an artifact (said once)."""
    doc = A4Report("Polisïau", "cy", MADE)
    doc.table([["Polisi", "Statws"], *([f"Polisi {n}", "cyfredol"] for n in range(120))])
    pdf = doc.render()
    tree = _poppler("pdfinfo", pdf, "-struct")
    assert tree.count("  Table (block)") == 1 and tree.count("    TR") == 121
    assert tree.count("TH:") == 2
    pages = _pages(pdf)
    assert len(pages) >= 3 and all("Statws" in page for page in pages)


def test_the_creation_date_is_the_time_made_in_london_summer_too() -> None:
    summer = datetime(2026, 7, 1, 8, 0, 0, tzinfo=UTC)  # 09:00 BST
    with time_machine.travel(summer, tick=False):
        doc = A4Report("Haf", "cy")
        doc.text("Tymor yr haf")
        pdf = doc.render()
    assert "CreationDate:    2026-07-01T09:00:00+01\n" in _poppler("pdfinfo", pdf, "-isodates")
