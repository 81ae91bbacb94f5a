"""Files from outside are evidence, never commands: PDFs are parsed with pypdf and refused for
any active content however its names are spelt; control characters in school.yaml, the
directory file and a training import are refused naming the file, line and field; a Word zip
bomb is refused before it expands and hostile PDFs are refused in bounded memory, with nothing
of theirs in the log; a PDF that inflates past its limit or loops, and a file that is not what
its name or declared type says, are refused naming it, while real photos and documents pass."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.config import ConfigError, load_config
from bot.core.files.contained import ContainedError, run_contained
from bot.core.files.documents import show_document
from bot.core.files.uploads import (
    MAX_PDF_DECODED,
    MAX_ZIP_MEMBERS,
    AttachmentError,
    check_document_content,
    check_zip,
    clean_attachment,
)
from bot.core.models import TrainingRecord
from bot.demo.documents import code_of_conduct_docx
from bot.features.policies.importer.reading import read_document
from bot.features.policies.importer.values import PolicyImportError
from bot.features.setup.service import SetupError, read_upload
from bot.features.setup.term_calendar import MAX_ICS_BYTES, CalendarError, read_term_calendar
from bot.features.training.service import import_training_csv
from connectors.local.connector import FileDirectory
from tests.support.greedy import hoard, spin, stall
from tests.support.helpers import SchoolBuilder
from tests.support.hostile import (
    DISGUISED,
    HOSTILE_PDFS,
    LAUGHS,
    MB,
    billion_laughs_docx,
    declared_size,
    deflated_zeros,
    huge_ics,
    zip_of_zeros,
)
from tests.support.pdfs import PDF, pdf_document


@pytest.mark.parametrize(
    "data",
    [
        # /J#61vaScript is /JavaScript with a legal name escape: a byte search misses it
        pdf_document(b"/OpenAction 4 0 R", b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        pdf_document(
            b"/Names << /J#61vaScript 4 0 R >>",
            b"<< /Names [(a) 5 0 R] >>",
            b"<< /S /JavaScript /JS (x) >>",
        ),
        pdf_document(b"/Names << /Embedded#46iles 4 0 R >>", b"<< /Names [] >>"),
        pdf_document(b"/A#41 << /WC << /S /Java#53cript /J#53 (x) >> >>"),
        # a move to a page, then a script
        pdf_document(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /JavaScript >> >>"),
    ],
    ids=["escaped-open-action", "escaped-names-tree", "embedded", "aa", "goto-then-script"],
)
def test_active_content_is_refused_however_it_is_spelt(data: bytes) -> None:
    assert b"/JavaScript" not in data or b"#" in data or b"/Next" in data
    with pytest.raises(AttachmentError, match="contains scripts or embedded files"):
        clean_attachment("minutes.pdf", data)


ACTS = "contains actions that a PDF reader would carry out"


@pytest.mark.parametrize(
    ("data", "refused"),
    [
        # what almost every writer puts in: "open at page 1" (LibreOffice, fpdf, Acrobat)
        (pdf_document(b"/OpenAction [3 0 R /XYZ null null 0]"), None),
        (pdf_document(b"/OpenAction [3 0 R /FitH null]"), None),
        (pdf_document(b"/Open#41ction << /S /GoTo /D [3 0 R /Fit] >>"), None),
        (pdf_document(b"/OpenAction << /S /GoTo /D (intro) >>"), None),  # a named destination
        (pdf_document(b"/AA << /WC << /S /GoTo /D [3 0 R /Fit] >> >>"), None),
        # a web address opened by itself, or anything else done as it opens
        (pdf_document(b"/OpenAction << /S /URI /URI (https://evil.example) >>"), ACTS),
        (pdf_document(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI >> >>"), ACTS),
        (pdf_document(b"/OpenAction << /S /Named /N /Print >>"), ACTS),
        (pdf_document(b"/AA << /WC << /S /URI /URI (https://evil.example) >> >>"), ACTS),
        # anywhere, even behind a click: a program, another file, a form sent, media
        (pdf_document(b"", b"<< /S /L#61unch /F (cmd.exe) >>"), ACTS),  # only in the xref
        (pdf_document(b"", b"<< /S /GoToR /F (other.pdf) /D [0 /Fit] >>"), ACTS),
        (pdf_document(b"", b"<< /S /GoToE /D [0 /Fit] >>"), ACTS),
        (pdf_document(b"", b"<< /S /SubmitForm /F (https://evil.example) >>"), ACTS),
        (pdf_document(b"", b"<< /S /ImportData /F (data.fdf) >>"), ACTS),
        (pdf_document(b"", b"<< /Type /Annot /Subtype /RichMedia >>"), ACTS),
        # a link a person clicks to a web address is no action run by itself
        (pdf_document(b"", b"<< /Type /Annot /Subtype /Link /A << /S /URI /URI (x) >> >>"), None),
    ],
)
def test_active_content_is_judged_precisely(data: bytes, refused: str | None) -> None:
    if refused is None:
        assert clean_attachment("minutes.pdf", data).data == data
        return
    with pytest.raises(AttachmentError, match=f"minutes.pdf: this PDF {refused}"):
        clean_attachment("minutes.pdf", data)


def test_a_plain_pdf_is_kept_and_a_broken_one_refused() -> None:
    assert clean_attachment("minutes.pdf", PDF).data == PDF
    with pytest.raises(AttachmentError, match="could not be read"):
        clean_attachment("x.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")


def test_school_yaml_with_an_escaped_nul_names_file_line_and_key(school: SchoolBuilder) -> None:
    path = school.write() / "school.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "name: Oak Test School", 'name: "Oak\\0 Test School"', 1
    )
    assert "\\0" in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and "line " in message and ".name" in message
    assert "a NUL character (U+0000)" in message
    # a raw NUL in the file is named with its line too
    path.write_text(text.replace('"Oak\\0 Test School"', "Oak\x00School"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: not valid YAML"):
        load_config(path)


def test_directory_rows_with_control_characters_are_rejected_naming_the_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,name,roles\namy@oak.example,Amy Able,staff\nben@oak.example,Ben\x00 "
        "Bold,staff\ncat@oak.example,Cat Calm,staff\x1b\n",
        encoding="utf-8",
    )
    changes = FileDirectory(path).fetch()
    assert [p.email for p in changes.people] == ["amy@oak.example"]
    assert [str(line) for line in changes.rejected] == [
        "people.csv line 3 (Ben Bold): name contains a control character (U+0000), which "
        "cannot be stored; remove it from the file",
        "people.csv line 4 (Cat Calm): roles contains a control character (U+001B), which "
        "cannot be stored; remove it from the file",
    ]
    yaml_path = tmp_path / "people.yaml"
    yaml_path.write_text(
        'people:\n  - {email: dan@oak.example, name: "Dan\\0"}\n', encoding="utf-8"
    )
    assert (
        "people.yaml line 1 (Dan): name contains a control character"
        in (FileDirectory(yaml_path).fetch().rejected[0])
    )


def test_a_training_import_refuses_rows_with_control_characters(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = school.context(database_url)
    from tests.features.reports.test_support import sync_people

    sync_people(ctx)
    export = school.home / "export.csv"
    export.write_text(
        "email,course,completed_on,provider\namy@oak.example,Online safety,2026-11-20,Safe\x00Co\n",
        encoding="utf-8",
    )
    with ctx.store.transaction() as session:
        report = import_training_csv(
            session,
            "oak",
            export,
            actor="test",
            today=date(2026, 11, 23),
            courses=["Online safety"],
        )
    assert [str(line) for line in report.errors] == [
        "export.csv line 2: provider contains a NUL character (U+0000), which cannot be stored"
    ]
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 0
    ctx.store.dispose()


# --------------------------------------------------------------------------- hostile uploads


def _peak_bytes(action: Callable[[], object]) -> int:
    """Peak Python memory while ``action`` runs (it is expected to raise)."""
    tracemalloc.start()
    try:
        with contextlib.suppress(AttachmentError, SetupError, PolicyImportError):
            action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_docx_zip_bomb_is_refused_before_it_is_expanded() -> None:
    bomb = zip_of_zeros(200 * MB)
    assert len(bomb) < 1 * MB  # ~200 KB on the wire
    with pytest.raises(AttachmentError, match=r"policy\.docx: this file would expand to 200"):
        check_zip("policy.docx", bomb)
    # the policy upload says so, naming the file, and so does the page that would show it
    with pytest.raises(SetupError, match=r"policy\.docx: .*would expand"):
        read_upload("policy.docx", bomb)
    assert show_document("policy.docx", bomb, "bomb").problem == "it could not be read"
    assert _peak_bytes(lambda: read_upload("policy.docx", bomb)) < 10 * MB


def test_a_docx_compressed_beyond_reason_is_refused() -> None:
    dense = zip_of_zeros(20 * MB)  # under the total, but 1000:1
    with pytest.raises(AttachmentError, match="compressed far more than a real document"):
        check_zip("dense.docx", dense)


def test_a_member_longer_than_its_header_says_is_caught_by_the_capped_reader(
    tmp_path: Path,
) -> None:
    real = 40 * MB
    liar = declared_size(zip_of_zeros(real), b"word/document.xml", real, 1000)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:  # the directory alone looks harmless
        assert sum(i.file_size for i in archive.infolist()) < 2000
    with pytest.raises(AttachmentError, match=r"liar\.docx: this Word file is damaged"):
        check_zip("liar.docx", liar)
    assert _peak_bytes(lambda: check_zip("liar.docx", liar)) < 10 * MB
    path = tmp_path / "liar.docx"
    path.write_bytes(liar)
    with pytest.raises(PolicyImportError, match=r"liar\.docx: this Word file is damaged"):
        read_document(path)


def test_a_docx_of_too_many_parts_is_refused_and_a_real_one_is_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"p/{number}.xml", "")
    with pytest.raises(AttachmentError, match=r"many\.docx: this file holds 2,001 parts"):
        check_zip("many.docx", out.getvalue())
    real = code_of_conduct_docx()
    check_zip("code.docx", real)  # no error
    assert read_upload("code.docx", real)[0] == "code.docx"


class _Collect(logging.Handler):
    """What reaches the root logger's handlers: the server's log."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("kind", list(HOSTILE_PDFS))
def test_hostile_pdfs_are_refused_quietly_within_bounds(
    kind: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    data, problem = HOSTILE_PDFS[kind]
    caplog.set_level(logging.DEBUG)
    server_log = _Collect()
    logging.getLogger().addHandler(server_log)
    try:
        _refused_everywhere(kind, data, problem, tmp_path)
    finally:
        logging.getLogger().removeHandler(server_log)
    # pytest hooks pypdf's own logger to show what it said; none of it goes further
    assert server_log.records == []
    outside_pypdf = [r for r in caplog.records if not r.name.startswith("pypdf")]
    assert not [r for r in outside_pypdf if "Upl" in r.getMessage() or "<<" in r.getMessage()]


def _refused_everywhere(kind: str, data: bytes, problem: str, tmp_path: Path) -> None:
    with pytest.raises(AttachmentError, match=rf"{kind}\.pdf: this PDF {problem}"):
        clean_attachment(f"{kind}.pdf", data)
    with pytest.raises(SetupError, match=rf"{kind}\.pdf: "):
        read_upload(f"{kind}.pdf", data)
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(data)
    with contextlib.suppress(PolicyImportError):  # the folder importer reads it quietly too
        read_document(path)
    assert _peak_bytes(lambda: clean_attachment(f"{kind}.pdf", data)) < 64 * MB


# --------------------------------------------------------------------------- contained parsing


def test_billion_laughs_in_a_word_part_is_refused_before_any_entity_expands(tmp_path: Path) -> None:
    laughs = billion_laughs_docx()
    assert len(laughs) < 64 * 1024
    with pytest.raises(AttachmentError, match=r"laughs\.docx: this file declares its own"):
        check_zip("laughs.docx", laughs)
    with pytest.raises(SetupError, match=r"laughs\.docx: .*declares its own XML entities"):
        read_upload("laughs.docx", laughs)
    assert show_document("laughs.docx", laughs, "laughs").problem == "it could not be read"
    path = tmp_path / "laughs.docx"
    path.write_bytes(laughs)
    with pytest.raises(PolicyImportError, match="declares its own XML entities"):
        read_document(path)  # `compliance-bot policies import` reads through the same check


def test_word_xml_nested_beyond_reason_is_refused() -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(code_of_conduct_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = b"<w:document>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</w:document>"
            target.writestr(info.filename, data)
    with pytest.raises(AttachmentError, match="nests its parts over 200 levels deep"):
        check_zip("deep.docx", out.getvalue())


def test_a_parse_that_runs_on_or_eats_memory_is_stopped_not_the_process() -> None:
    with pytest.raises(ContainedError) as slow:
        run_contained(spin, b"", seconds=1.0)
    assert slow.value.why == "time"
    with pytest.raises(ContainedError) as stuck:  # no CPU used: the parent's wait ends it
        run_contained(stall, b"", seconds=0.5)
    assert stuck.value.why == "time"
    with pytest.raises(ContainedError) as greedy:
        run_contained(hoard, b"", memory=256 * MB)
    assert greedy.value.why == "memory"
    assert run_contained(len, b"four") == 4  # and the next file is read as usual


def test_calendars_far_bigger_than_term_dates_are_refused_unread(tmp_path: Path) -> None:
    many = huge_ics(MAX_ICS_BYTES - 64 * 1024)  # under the size limit: thousands of events
    with pytest.raises(CalendarError, match=r"many\.ics: the calendar holds far more"):
        read_term_calendar(many, "many.ics")
    with pytest.raises(CalendarError, match=r"big\.ics: the calendar is larger than 2 MB"):
        read_term_calendar(huge_ics(3 * MB), "big.ics")
    # `init --answers` names it too, reading no more than the limit of a 50 MB file
    from bot.features.setup.answers import Answers, TermAnswers
    from bot.features.setup.school_setup import SetupDraft, read_terms

    path = tmp_path / "term-dates.ics"
    path.write_bytes(huge_ics(50 * MB))
    draft = SetupDraft(answers=Answers.model_construct(terms=TermAnswers(ics=path)))
    peak = _peak_bytes(lambda: read_terms(draft))
    assert draft.problems == ["terms.ics: term-dates.ics: the calendar is larger than 2 MB."]
    assert peak < 8 * MB


# --------------------------------------------------------------------------- issue #40


@pytest.mark.parametrize("kind", list(DISGUISED))
def test_a_file_that_is_not_what_it_says_is_refused_naming_it(kind: str) -> None:
    name, data, declared, why = DISGUISED[kind]
    with pytest.raises(AttachmentError, match=re.escape(why)) as caught:
        clean_attachment(name, data, declared)
    assert str(caught.value).startswith(f"{name}: ")


def _photo(**options: object) -> bytes:
    from PIL import Image

    image = Image.radial_gradient("L").resize((320, 240)).convert("RGB")
    out = io.BytesIO()
    image.save(out, str(options.pop("format", "JPEG")), **options)
    return out.getvalue()


def test_real_photos_and_documents_are_still_accepted() -> None:
    """What phones, cameras and printers write: baseline, progressive and restart-marker JPEGs,
    EXIF with a thumbnail, a phone's two-picture MPO, padding after the picture, PNGs of every
    mode, declared types browsers use, a PDF with a compressed page and an incremental update."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Phone Co"
    mpo = io.BytesIO()
    picture = Image.radial_gradient("L").convert("RGB")
    picture.save(mpo, "MPO", save_all=True, append_images=[picture.rotate(90)])
    photos = {
        "baseline.jpg": _photo(),
        "progressive.JPEG": _photo(progressive=True),
        "restarts.jpg": _photo(restart_marker_blocks=2),
        "exif.jpg": _photo(exif=exif.tobytes()),
        "two pictures.jpg": mpo.getvalue(),
        "padded.jpg": _photo() + bytes(64),
        "IMG_0042": _photo(),  # no extension: no claim
        "screen.png": _photo(format="PNG"),
        "palette.png": _photo(format="PNG", optimize=True),
    }
    for name, data in photos.items():
        for declared in (None, "", "application/octet-stream", "image/jpg", "image/png"):
            if declared in ("image/jpg", "image/png") and (declared == "image/png") != (
                data.startswith(b"\x89PNG")
            ):
                continue
            assert clean_attachment(name, data, declared).data
    text = zlib.compress(b"BT /F1 12 Tf 20 100 Td (Online safety) Tj ET" * 200)
    page = pdf_document(
        b"", b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(text) + text + b"\nendstream"
    ).replace(b"/MediaBox [0 0 200 200] >>", b"/MediaBox [0 0 200 200] /Contents 4 0 R >>")
    assert clean_attachment("minutes.pdf", page, "application/pdf").data == page
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(page), incremental=True)  # as a signing tool adds to a PDF
    writer.add_metadata({"/Title": "Minutes"})
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue() + b"\r\n\x00\x00"  # and padding after its end
    assert updated.count(b"%%EOF") == 2
    assert clean_attachment("minutes.pdf", updated, "application/x-pdf").data == updated


def _stream(head: bytes, data: bytes) -> bytes:
    return (
        b"<< /Length %d /Filter /FlateDecode " % len(data)
        + head
        + b" >>\nstream\n"
        + data
        + (b"\nendstream")
    )


def test_pdf_streams_are_measured_to_the_limit_and_pictures_by_their_size() -> None:
    """Page contents and fonts may expand to 50 MB in all; a picture to what its pixels need,
    however many there are: six flat screenshots of 9 MB each (a chat printed to PDF) pass."""
    assert MAX_PDF_DECODED == 50 * MB
    many = pdf_document(b"", *[_stream(b"", deflated_zeros(20 * MB))] * 3)
    with pytest.raises(AttachmentError, match=r"many\.pdf: this PDF expands to more than 50 MB"):
        clean_attachment("many.pdf", many)
    screenshot = _stream(
        b"/Type /XObject /Subtype /Image /Width 1170 /Height 2700 /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8",
        deflated_zeros(9 * MB),
    )
    chat = pdf_document(b"", *[screenshot] * 6)
    assert clean_attachment("chat.pdf", chat).data == chat
    huge = screenshot.replace(b"/Width 1170 /Height 2700", b"/Width 20000 /Height 20000")
    with pytest.raises(AttachmentError, match="has a picture of 400 million pixels"):
        clean_attachment("huge.pdf", pdf_document(b"", huge))


def test_a_pdf_with_something_after_its_end_or_a_page_at_its_start_is_refused() -> None:
    with pytest.raises(AttachmentError, match=r"a\.pdf: this PDF has something else after"):
        clean_attachment("a.pdf", PDF + b"<html><script>x</script></html>")
    page = PDF.replace(b"%\xe2\xe3\xcf\xd3\n", b"%<html><body><script>x</script>\n", 1)
    with pytest.raises(AttachmentError, match=r"b\.pdf: this PDF has web page or script code"):
        clean_attachment("b.pdf", page)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("policy.pdf", b"# Online Safety\n", "its name ends in .pdf, but the file is a "),
        ("policy.md", PDF, "its name ends in .md, but the file is a PDF"),
        ("policy.md", b"<!DOCTYPE html><html><script>x</script>", "the file is a web page"),
        ("policy.docx", PDF, "its name ends in .docx, but the file is a PDF"),
        ("policy.pdf", HOSTILE_PDFS["inflating"][0], "this PDF expands to more than 50 MB"),
        ("policy.pdf", HOSTILE_PDFS["xref-loop"][0], "has a structure that loops back"),
    ],
)
def test_policy_documents_are_what_their_names_say_and_safe(
    name: str, data: bytes, why: str
) -> None:
    with pytest.raises(AttachmentError, match=re.escape(why)):
        check_document_content(name, data)
    with pytest.raises(SetupError, match=re.escape(why)):
        read_upload(name, data)


def test_real_policy_documents_pass() -> None:
    for name, data in (
        ("policy.md", "# Polisi Diogelu — Ysgol Tŷ Coch\n\nAdolygwyd 2026.\n".encode()),
        ("policy.txt", b"Online Safety Policy\r\n\r\nReviewed 2026.\r\n"),
        ("policy.txt", "Policy\n".encode("utf-16")),
        ("code.docx", code_of_conduct_docx()),
        ("policy.pdf", PDF),
    ):
        check_document_content(name, data)


# --------------------------------------------------------------------------- OpenDocument text

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
    b"&secret;</office:document-content>"
)


def _odt(content: bytes) -> bytes:
    """An OpenDocument text as the standard has it: its "mimetype" member first, stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _docx_with(document: bytes) -> bytes:
    """The demo's Word file with its document part replaced."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(code_of_conduct_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            part = document if info.filename == "word/document.xml" else source.read(info)
            target.writestr(info.filename, part)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "refused"),
    [
        ("bomb.odt", _odt(bytes(60 * MB)), "this file would expand to 60 MB"),
        ("laughs.odt", _odt(LAUGHS), "this file declares its own XML entities"),
        ("xxe.odt", _odt(XXE), "this file declares its own XML entities"),
        ("xxe.docx", _docx_with(XXE), "this file declares its own XML entities"),
        ("broken.odt", _odt(b"<office:document-content>"), "this OpenDocument file is damaged"),
    ],
    ids=["zip-bomb", "billion-laughs", "xxe", "docx-xxe", "damaged"],
)
def test_a_hostile_document_is_refused_on_every_route_naming_it(
    name: str, data: bytes, refused: str, tmp_path: Path
) -> None:
    """The upload page (a 4xx sentence), the command line and init (the importer), the sweep's
    check and the page that would show it: each refuses the file, naming it, no traceback."""
    with pytest.raises(AttachmentError, match=rf"{re.escape(name)}: {refused}"):
        check_document_content(name, data)
    with pytest.raises(SetupError, match=rf"{re.escape(name)}: .*{refused}"):
        read_upload(name, data)
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PolicyImportError, match=rf"{re.escape(name)}: .*{refused}"):
        read_document(path)
    assert show_document(name, data, name).problem == "it could not be read"
    assert _peak_bytes(lambda: read_upload(name, data)) < 10 * MB + len(data)
