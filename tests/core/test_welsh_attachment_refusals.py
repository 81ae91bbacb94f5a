"""A file refused in the reader's language: a PDF's, a Word file's and a photo's own checks
(``bot.core.files.uploads``) keep their sentence and values — across the child process that reads
the
file too — and are said in Welsh with no English left but the file's name, ``cy+en`` Welsh
first, and in English as they always read."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest

from bot.core.files.uploads import AttachmentError, check_pdf, check_zip, clean_attachment
from bot.core.language.i18n import BETWEEN, said_in
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words

PDF = b"%PDF-1.4\n"
THEN_PDF = " so we have not accepted it. Please print it to a new PDF (or save it as Word) and "
THEN_PHOTO = ", so we have not accepted it. Please attach "


def _png() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (4, 3), (10, 120, 30)).save(out, "PNG")
    return out.getvalue()


def _pdf(data: bytes) -> Callable[[], None]:
    return lambda: check_pdf("llythyr.pdf", data)


def _photo(name: str, tail: bytes, declared: str) -> Callable[[], object]:
    return lambda: clean_attachment(name, _png() + tail, declared)


CASES: dict[str, tuple[Callable[[], Any], str, str]] = {  # refusal, file, English
    "pdf incomplete": (_pdf(PDF + b"no end"), "llythyr.pdf",
                       "llythyr.pdf: this PDF is incomplete or damaged."),
    "pdf after its end": (_pdf(PDF + b"%%EOF\nmore"), "llythyr.pdf",
                          f"llythyr.pdf: this PDF has something else after its end,{THEN_PDF}"
                          "upload that."),
    "pdf web page": (_pdf(PDF + b"<script>x</script>\n%%EOF"), "llythyr.pdf",
                     f"llythyr.pdf: this PDF has web page or script code at its start,{THEN_PDF}"
                     "upload that."),
    # refused in the child process (pypdf cannot read it): back as its sentence and values
    "pdf unreadable": (_pdf(PDF + b"1 0 obj <<>>\n%%EOF"), "llythyr.pdf",
                       "llythyr.pdf: this PDF could not be read (it may be damaged or "
                       "password-protected)."),
    "word": (lambda: check_zip("polisi.docx", b"PK\x03\x04 not a zip at all"), "polisi.docx",
             "polisi.docx: this Word file is damaged or is not really a Word document, so we "
             "have not opened it. Please save it again from Word (or as a PDF) and upload that."),
    "photo name": (_photo("llun.jpg", b"", "image/jpeg"), "llun.jpg",
                   f"llun.jpg: its name ends in .jpg, but the file is a PNG image{THEN_PHOTO}the "
                   "original file, or save it again with the right kind of name."),
    "photo declared": (_photo("llun.png", b"", "text/html"), "llun.png",
                       f"llun.png: it was sent as a web page, but the file is a PNG image"
                       f"{THEN_PHOTO}the original file."),
    "photo script": (_photo("llun.png", b"<script>alert(1)</script>", "image/png"), "llun.png",
                     f"llun.png: this image has web page or script code inside it{THEN_PHOTO}a "
                     "plain photo or a screenshot of it."),
    "photo hidden": (_photo("llun.png", b"\x01" * 1200, "image/png"), "llun.png",
                     "llun.png: this image has 1,200 bytes of something else after the picture "
                     f"(a phone's motion photo has a video there){THEN_PHOTO}a plain photo or a "
                     "screenshot of it."),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_files_refusal_is_said_in_welsh(case: str, english_words: set[str]) -> None:
    refuse, name, english = CASES[case]
    with pytest.raises(AttachmentError) as refused:
        refuse()
    assert str(refused.value) == english  # as it always read
    welsh = said_in("cy", refused.value.msg)
    assert welsh != english and welsh.startswith(f"{name}: "), welsh
    left = welsh.replace(name, " ").replace("1,200", " ")
    assert _english_left([left], english_words) == []
    assert said_in("cy+en", refused.value.msg) == f"{welsh}{BETWEEN}{english}"
    if case == "photo declared":
        assert "tudalen we" in welsh and "delwedd PNG" in welsh
    if case == "pdf unreadable":
        assert welsh.startswith("llythyr.pdf: nid oedd modd darllen y PDF hwn")
