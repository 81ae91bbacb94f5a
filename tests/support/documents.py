"""A fictional school's policy (``fixtures/documents/source.md``, written for these tests)
saved by the tools schools use, made once per machine into a cache folder shared by the test
workers: python-docx, fpdf2 (whose PDFs open at page 1 through an /OpenAction), Chromium
(a web page printed to PDF), Pillow (a scan: a picture of a page, no text); and where they are
installed, pandoc (Word, OpenDocument), LibreOffice (OpenDocument, Word, PDF, PDF/A, an old
.doc) and Ghostscript (a PDF/A re-made from Chromium's PDF).

Nothing here is the product's own writer: each file is what another program wrote.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from tests.support.paths import FIXTURES

__all__ = ["SOURCE", "WRITERS", "soffice", "written"]

SOURCE = FIXTURES / "documents" / "source.md"
TITLE = "Online Safety and Mobile Phones Policy"
CHROMIUM = "/usr/bin/chromium"
_MAKE_SECONDS = 120


def _lines() -> list[str]:
    return SOURCE.read_text(encoding="utf-8").splitlines()


def _python_docx(folder: Path) -> None:
    """Headings, a two-column details table and a bulleted list, with its title property."""
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    rows: list[list[str]] = []
    for line in [*_lines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) - set("-"):
                rows.append(cells)
            continue
        if rows:
            table = document.add_table(rows=0, cols=2)
            for label, value in rows[1:]:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
            rows = []
        if line.startswith("#"):
            document.add_heading(line.lstrip("# "), level=line.count("#", 0, 3))
        elif line.startswith("- "):
            document.add_paragraph(line[2:], style="List Bullet")
        elif line.strip():
            document.add_paragraph(line)
    document.save(str(folder / "python-docx.docx"))


def _fpdf(folder: Path) -> None:
    """fpdf2's PDF of the text (its catalogue opens at page 1: /OpenAction [page /FitH null])."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(TITLE)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in _lines():
        text = line.lstrip("#- ").replace("|", " ").strip()
        if text and set(text) - set("- "):
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(folder / "fpdf.pdf"))


def _html(folder: Path, name: str, style: str = "") -> Path:
    """The policy as a web page (markdown-it-py), for Chromium to print."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render("\n".join(_lines()))
    page = folder / name
    page.write_text(f"<!doctype html><title>{TITLE}</title>{style}{body}", encoding="utf-8")
    return page


def _chromium(folder: Path, pdf: str = "chromium.pdf", style: str = "") -> None:
    """The web page printed to PDF by headless Chromium (156 keeps "fi" as its ligature,
    U+FB01, in the text)."""
    page = _html(folder, pdf.replace(".pdf", ".html"), style)
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={folder / pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=_MAKE_SECONDS,
    )


def _scanned(folder: Path) -> None:
    """A picture of the policy's first lines, saved as a PDF by Pillow: no text layer."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(_lines()[:30]):
        draw.text((60, 60 + 30 * number), line, fill=0)
    image.save(folder / "scanned.pdf", resolution=100.0)


def _pandoc(folder: Path) -> None:
    for suffix in ("docx", "odt"):
        subprocess.run(
            ["pandoc", str(SOURCE), "-o", str(folder / f"pandoc.{suffix}")],
            check=True,
            capture_output=True,
            timeout=_MAKE_SECONDS,
        )


def soffice(folder: Path, to: str, source: Path, out: Path) -> None:
    """``source`` saved by LibreOffice as ``to`` into ``out`` (its profile in ``folder``)."""
    profile = (folder / "lo-profile").as_uri()  # its own profile: no clash with a user's
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=_MAKE_SECONDS,
    )


def _libreoffice(folder: Path) -> None:
    """pandoc's Word file opened and saved by LibreOffice as OpenDocument, then that saved as
    Word, PDF, PDF/A-2 and Word 97 (.doc)."""
    work = folder / "lo"
    work.mkdir(exist_ok=True)
    shutil.copy(folder / "pandoc.docx", work / "libreoffice.docx")
    soffice(folder, "odt", work / "libreoffice.docx", folder)
    for to, out in (
        ("docx:MS Word 2007 XML", folder),
        ("pdf", folder),
        ("doc", folder),
        ('pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}', work),
    ):
        soffice(folder, to, folder / "libreoffice.odt", out)
    (work / "libreoffice.pdf").rename(folder / "libreoffice-pdfa.pdf")


def _ghostscript(folder: Path) -> None:
    """Chromium's PDF re-made as PDF/A-2 by Ghostscript, and locked by it with passwords. The
    page is printed without ligatures for it: Ghostscript 10.0 writes a ligature's U+FB01 as
    U+00FC in the text ("Ratiüed" in every reader, a text layer nobody can read back), so with
    them the test would be of that bug, not of a PDF/A a school makes."""
    _chromium(folder, "chromium-plain.pdf", "<style>*{font-variant-ligatures:none}</style>")
    pdfa = ("-dPDFA=2", "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB")
    _gs(folder, "ghostscript-pdfa.pdf", *pdfa)
    # the same page locked as schools lock a policy: printing and copying barred by an owner
    # password, no password to open it (every reader opens it without asking); and one that
    # needs a password to open
    locked = ("-sOwnerPassword=governors", "-dEncryptionR=3", "-dKeyLength=128")
    _gs(folder, "ghostscript-locked.pdf", *locked, "-dPermissions=-3904")
    _gs(folder, "ghostscript-password.pdf", *locked, "-sUserPassword=staffroom")


def _gs(folder: Path, name: str, *options: str) -> None:
    """Ghostscript's pdfwrite of the Chromium page printed without ligatures, as ``name``."""
    subprocess.run(
        ["gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", *options,
         f"-sOutputFile={folder / name}", str(folder / "chromium-plain.pdf")],
        check=True, capture_output=True, timeout=_MAKE_SECONDS,
    )  # fmt: skip


# each writer: the program it needs (None: a Python package of the dev group), what it makes
WRITERS: dict[str, tuple[str | None, tuple[str, ...], Callable[[Path], None]]] = {
    "python-docx": (None, ("python-docx.docx",), _python_docx),
    "fpdf2": (None, ("fpdf.pdf",), _fpdf),
    "Pillow": (None, ("scanned.pdf",), _scanned),
    "Chromium": (CHROMIUM, ("chromium.pdf",), _chromium),
    "pandoc": ("pandoc", ("pandoc.docx", "pandoc.odt"), _pandoc),
    "LibreOffice": (
        "soffice",
        (
            "libreoffice.odt",
            "libreoffice.docx",
            "libreoffice.pdf",
            "libreoffice-pdfa.pdf",
            "libreoffice.doc",
        ),
        _libreoffice,
    ),
    "Ghostscript": (
        "gs",
        ("ghostscript-pdfa.pdf", "ghostscript-locked.pdf", "ghostscript-password.pdf"),
        _ghostscript,
    ),
}
_NEEDS = {"LibreOffice": "pandoc", "Ghostscript": "Chromium"}  # whose file it starts from


def _installed(writer: str) -> bool:
    program = WRITERS[writer][0]
    needed = _NEEDS.get(writer)
    return (program is None or shutil.which(program) is not None) and (
        needed is None or _installed(needed)
    )


def written() -> tuple[Path, dict[str, str]]:
    """The cache folder of the documents, made once per machine, source and set of installed
    writers, and which writer made each file a test expects (a file whose writer is not
    installed here is not there). A writer installed later makes a new folder: a cache made
    before it came cannot stand for one made with it."""
    installed = [writer for writer in WRITERS if _installed(writer)]
    made_by = SOURCE.read_bytes() + Path(__file__).read_bytes() + "|".join(installed).encode()
    stamp = hashlib.sha256(made_by).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"compliance-bot-documents-{stamp}"
    with FileLock(f"{folder}.lock"):
        if not (folder / "done").exists():
            folder.mkdir(exist_ok=True)
            for writer in installed:
                WRITERS[writer][2](folder)
            (folder / "done").write_text("", encoding="utf-8")
    return folder, {name: writer for writer, (_, names, _) in WRITERS.items() for name in names}
