"""The school's language, set I: the policy importer's notes on the settings pages (a month-only
date as stored, a title it only guesses, another school or safeguarding lead named), a date's
refusal with its years in their plural form, and the training form's refusals.

Each sentence is built the way the pages build it and said in ``cy`` for a Welsh-medium
school: no English word left (the check of ``tests/core/test_i18n.py``, the values filled in
taken out). ``cy+en`` says each sentence in Welsh first, then in English; in English each reads
exactly as before (except "1 years from today", which was wrong and now reads "1 year").
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import UploadFile

from bot.core.dates import HAPPENED, REVIEW, START, DateWindowError
from bot.core.forms import SaidError
from bot.core.i18n import BETWEEN, translations
from bot.core.settings import Settings
from bot.core.uploads import AttachmentError, check_pdf, check_zip
from bot.engine.web.forms import checked_files
from bot.features.policies.api import ReviewError, accepted_document
from bot.features.policies.importer import extract_from_lines, not_ours
from bot.features.policies.importer.values import FuzzyDate
from bot.features.policies.intake import guess_note, intake_of, stored_day
from bot.features.reading.api import audience_name
from bot.features.setup.rules import SetupError, parse_terms
from bot.features.setup.service import policy_from_upload, read_upload
from bot.features.training.web import _date_problem
from tests.core.test_i18n import SCHOOL_NAME, _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.support.helpers import run_async

TODAY = date(2026, 11, 23)
OTHER = "Aberarth Primary School"
NAMES = (SCHOOL_NAME, OTHER, "Mrs Grattan", "Elen Davies", "Rhys Jones", "DSP", "Polisi Diogelu")


def _left(text: str, english: set[str]) -> list[str]:
    for value in NAMES:
        text = text.replace(value, " ")
    return _english_left([text], english)


# --------------------------------------------------------------------------- dates refused


@pytest.mark.parametrize(
    "window,typed,years",
    [(HAPPENED, date(2028, 1, 1), 1), (START, date(2029, 1, 1), 2), (REVIEW, date(2040, 1, 1), 10)],
    ids=["1 year", "2 years", "10 years"],
)
def test_a_date_too_far_ahead_says_its_years_in_their_plural_form(
    window: Any, typed: date, years: int, english_words: set[str]
) -> None:
    with pytest.raises(DateWindowError) as refused:
        window.check(typed, "Date completed", TODAY)
    english = str(refused.value)
    unit = "year" if years == 1 else "years"
    assert f"({years} {unit} from today); check the year." in english  # "1 years" was wrong
    assert english.startswith(f"Date completed: {typed.isoformat()} is too far ahead")
    welsh = refused.value.said(translations("cy"))
    assert welsh.startswith(f"Dyddiad ei gwblhau: mae {typed.isoformat()} yn rhy bell ymlaen")
    said = {1: "1 flwyddyn o heddiw", 2: "2 flynedd o heddiw", 10: "10 mlynedd o heddiw"}
    assert said[years] in welsh
    assert _left(welsh, english_words) == []
    assert refused.value.said(translations("cy+en")) == f"{welsh}{BETWEEN}{english}"
    assert refused.value.said(translations("en")) == english
    # the plain words the command line and the imports print, plural right in English too
    problem = window.problem(typed, TODAY)
    assert problem is not None and problem == english.removeprefix("Date completed: ")[:-1]
    assert window.problem(typed, TODAY, translations("cy")) == welsh.split(": ", 1)[1][:-1]


def test_a_date_too_long_ago_reads_as_before_and_in_welsh(english_words: set[str]) -> None:
    assert HAPPENED.problem(date(1999, 12, 31), TODAY) == (
        "1999-12-31 is too long ago — the earliest date accepted is 2000-01-01; check the year"
    )
    welsh = HAPPENED.problem(date(1999, 12, 31), TODAY, translations("cy"))
    assert welsh is not None and welsh.startswith("mae 1999-12-31 yn rhy bell yn ôl")
    assert _left(welsh, english_words) == []


@pytest.mark.parametrize(
    "given",
    [None, date(2026, 11, 24), date(1999, 1, 1), date(2028, 1, 1)],
    ids=["none", "future", "long ago", "far ahead"],
)
def test_the_training_forms_date_refusals_are_welsh(
    given: date | None, english_words: set[str]
) -> None:
    refused = _date_problem(given, TODAY)
    assert isinstance(refused, SaidError)
    welsh = refused.said(translations("cy"))
    assert welsh != str(refused)
    assert _left(welsh.replace("2026-11-20", " "), english_words) == []
    assert refused.said(translations("cy+en")) == f"{welsh}{BETWEEN}{refused}"
    assert translations("cy").gettext("The training was not recorded.") == (
        "Ni chofnodwyd yr hyfforddiant."
    )


def test_the_training_forms_date_refusals_read_as_before_in_english() -> None:
    said = [str(_date_problem(day, TODAY)) for day in (None, date(2026, 11, 24), date(1999, 1, 1))]
    assert said == [
        "Please give the date you completed the training (e.g. 2026-11-20).",
        "The completion date cannot be in the future.",
        "Date completed: 1999-01-01 is too long ago — the earliest date accepted is 2000-01-01; "
        "check the year.",
    ]
    assert _date_problem(TODAY, TODAY) is None


# --------------------------------------------------------------------------- importer notes


@pytest.mark.parametrize("label", ["ratified", "last reviewed", "next review", "written"])
def test_a_month_only_date_is_noted_in_welsh(label: str, english_words: set[str]) -> None:
    month = FuzzyDate(2027, 9)
    english: list[str] = []
    assert stored_day(label, month, english) == date(2027, 9, 30)
    assert english == [
        f"{label} September 2027 (month only) is stored as 30 September 2027, "
        "the last day of that month"
    ]
    as_page: list[str] = []
    stored_day(label, month, as_page, language="en")
    assert as_page == english  # the page in English says exactly what it said before
    welsh: list[str] = []
    stored_day(label, month, welsh, language="cy")
    assert "Medi 2027 (mis yn unig)" in welsh[0] and "30 Medi 2027" in welsh[0], welsh
    assert _left(welsh[0], english_words) == []
    both: list[str] = []
    stored_day(label, month, both, language="cy+en")
    assert both == [f"{welsh[0]}{BETWEEN}{english[0]}"]


@pytest.fixture(scope="module")
def another_schools() -> Any:
    return extract_from_lines(
        [
            f"{OTHER}",
            "# Child Protection Policy",
            "Designated Safeguarding Lead: Mrs Grattan",
            "Next review: September 2027",
        ],
        "child-protection.docx",
    )


def test_another_school_and_lead_named_are_pointed_out_in_welsh(
    another_schools: Any, english_words: set[str]
) -> None:
    english = not_ours(another_schools, SCHOOL_NAME, ["Elen Davies", "Rhys Jones"], dsl="DSP")
    assert english == [
        f"This document names {OTHER}, not {SCHOOL_NAME} — check it is yours",
        "This document names Mrs Grattan as the DSP, not Elen Davies or Rhys Jones — check it is "
        "yours",
    ]
    welsh = not_ours(
        another_schools, SCHOOL_NAME, ["Elen Davies", "Rhys Jones"], dsl="DSP", language="cy"
    )
    assert welsh[0].startswith(f"Mae'r ddogfen hon yn enwi {OTHER}, nid {SCHOOL_NAME}")
    assert "nid Elen Davies neu Rhys Jones" in welsh[1]
    for line in welsh:
        assert _left(line.replace(" neu ", " "), english_words) == []
    both = not_ours(
        another_schools, SCHOOL_NAME, ["Elen Davies", "Rhys Jones"], dsl="DSP", language="cy+en"
    )
    assert both == [f"{cy}{BETWEEN}{en}" for cy, en in zip(welsh, english, strict=True)]


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A document whose title is only a guess (a first heading naming no policy) and whose
    dates are months only, uploaded on the settings page in each language."""
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home)
    settings.config_path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Keeping our pupils safe\nRatified: March 2026\nNext review: March 2027\n"
    imported = extract_from_lines(text.splitlines(), "keeping-safe.md")
    assert imported.title is None and imported.title_guess is not None
    return {
        language: policy_from_upload(
            settings, [], "keeping-safe.md", text.encode(), imported, TODAY, language=language
        )
        for language in ("en", "cy", "cy+en")
    }


def test_the_upload_pages_notes_and_questions_are_welsh(
    uploaded: dict[str, Any], english_words: set[str]
) -> None:
    welsh = uploaded["cy"]
    said = [*welsh.found, *welsh.needs_answer]
    assert any("Mawrth 2027 (mis yn unig)" in line for line in said), said
    assert any("y pennawd cyntaf, ond nid yw'n enwi polisi" in line for line in said), said
    for line in said:  # the title and the version label staff see are the school's own values
        line = line.replace("Keeping our pupils safe", " ").replace("adopted March 2026", " ")
        assert _left(line, english_words) == [], line
    both = uploaded["cy+en"]
    english = uploaded["en"]
    assert [*both.found, *both.needs_answer] == [
        f"{cy}{BETWEEN}{en}" if cy != en else en
        for cy, en in zip(said, [*english.found, *english.needs_answer], strict=True)
    ]


def test_the_upload_pages_notes_read_as_before_in_english(uploaded: dict[str, Any]) -> None:
    english = uploaded["en"]
    assert (
        "next review March 2027 (month only) is stored as 31 March 2027, the last day of that month"
    ) in english.found
    assert english.needs_answer[0] == (
        "the title: not clear from the document — is it “Keeping our pupils safe”? (the first "
        "heading, but it does not name a policy)"
    )


def test_a_title_far_down_the_page_is_asked_about_in_welsh(english_words: set[str]) -> None:
    lines = [f"Line {n} of the cover page" for n in range(1, 10)] + ["Online Safety Policy"]
    imported = extract_from_lines(["Oak Primary School", *lines], "cover.md")
    guess = imported.title_guess
    assert imported.title is None and guess is not None and guess.line == 11
    welsh = guess_note(guess, "cy")
    assert welsh.startswith(f"mae llinell {guess.line} yn enwi polisi")
    assert guess_note(guess, "en") == guess.note
    assert _left(welsh, english_words) == []
    assert intake_of(Path("cover.md"), imported).notes  # the command line keeps its English


# --------------------------------------------------------------------------- file refusals

PDF_HEAD = b"%PDF-1.4\n"


def _refused(check: Any, *args: Any, **kwargs: Any) -> AttachmentError:
    with pytest.raises(AttachmentError) as refused:
        check(*args, **kwargs)
    return refused.value


@pytest.mark.parametrize(
    "data,english",
    [
        (b"%PDF-1.4\nno end", "llythyr.pdf: this PDF is incomplete or damaged."),
        (
            PDF_HEAD + b"%%EOF\nmore",
            "llythyr.pdf: this PDF has something else after its end, so we have not accepted "
            "it. Please print it to a new PDF (or save it as Word) and upload that.",
        ),
        (
            PDF_HEAD + b"<script>x</script>\n%%EOF",
            "llythyr.pdf: this PDF has web page or script code at its start, so we have not "
            "accepted it. Please print it to a new PDF (or save it as Word) and upload that.",
        ),
    ],
    ids=["incomplete", "after its end", "web page"],
)
def test_a_pdfs_own_refusals_are_welsh(data: bytes, english: str, english_words: set[str]) -> None:
    refused = _refused(check_pdf, "llythyr.pdf", data)
    assert str(refused) == english  # as before
    welsh = refused.said(translations("cy"))
    assert welsh.startswith("llythyr.pdf: ") and welsh != english
    assert _left(welsh.replace("llythyr.pdf", " "), english_words) == []
    assert refused.said(translations("cy+en")) == f"{welsh}{BETWEEN}{english}"


def test_a_refusal_made_in_the_child_process_is_said_by_the_parent_in_welsh(
    english_words: set[str],
) -> None:
    # a PDF that starts and ends as one but is nothing inside: pypdf fails in the child, whose
    # refusal comes back as its sentence and values, never as English text
    refused = _refused(check_pdf, "llythyr.pdf", PDF_HEAD + b"1 0 obj <<>>\n%%EOF")
    assert str(refused) == (
        "llythyr.pdf: this PDF could not be read (it may be damaged or password-protected)."
    )
    assert refused.values == {"file": "llythyr.pdf"}
    welsh = refused.said(translations("cy"))
    assert welsh.startswith("llythyr.pdf: nid oedd modd darllen y PDF hwn")
    assert _left(welsh.replace("llythyr.pdf", " "), english_words) == []


def test_a_word_files_refusal_is_welsh(english_words: set[str]) -> None:
    refused = _refused(check_zip, "polisi.docx", b"PK\x03\x04 not a zip at all")
    assert str(refused) == (
        "polisi.docx: this Word file is damaged or is not really a Word document, so we have "
        "not opened it. Please save it again from Word (or as a PDF) and upload that."
    )
    welsh = refused.said(translations("cy"))
    assert welsh.startswith("polisi.docx: mae'r ffeil Word hon wedi'i difrodi")
    assert _left(welsh.replace("polisi.docx", " "), english_words) == []


@pytest.mark.parametrize(
    "name,data,english",
    [
        ("polisi.pdf", b"", "polisi.pdf: the file is empty."),
        (
            "polisi.exe",
            b"MZ",
            "polisi.exe: use a .pdf, .docx, .odt, .md or .txt file for the policy.",
        ),
        (
            "polisi.md",
            b"Polisi diogelu plant. " * 40 + b"\x01" * 30,
            "polisi.md: this file cannot be read as text (it may be damaged, or be another kind "
            "of file renamed), so we have not accepted it. Please save it again from the program "
            "it was written in.",
        ),
    ],
    ids=["empty", "wrong type", "not text"],
)
def test_a_policy_document_refused_on_the_settings_page_is_welsh(
    name: str, data: bytes, english: str, english_words: set[str]
) -> None:
    with pytest.raises(SetupError) as refused:
        read_upload(name, data)
    assert str(refused.value) == english  # as before
    welsh = refused.value.said(translations("cy"))
    assert welsh.startswith(f"{name}: ") and welsh.endswith("."), welsh
    assert _left(welsh.replace(name, " "), english_words) == []
    # the command line's words are as before (no full stop of its own)
    with pytest.raises(ReviewError) as said:
        accepted_document(name, data)
    assert str(said.value) == english.removesuffix(".")


def _uploads(count: int) -> list[UploadFile]:
    return [UploadFile(BytesIO(b"x"), filename="llun.png") for _ in range(count)]


@pytest.mark.parametrize("most", [1, 5])
def test_at_most_n_files_is_said_with_its_plural(most: int) -> None:
    _, english = run_async(checked_files(_uploads(most + 1), most))
    unit = "file" if most == 1 else "files"  # "at most 1 files" was wrong
    assert english == f"Attach at most {most} {unit} ({most + 1} were chosen)."
    _, welsh = run_async(checked_files(_uploads(most + 1), most, translations("cy")))
    assert welsh == f"Atodwch {most} ffeil ar y mwyaf (dewiswyd {most + 1})."
    _, both = run_async(checked_files(_uploads(most + 1), most, translations("cy+en")))
    assert both == f"{welsh}{BETWEEN}{english}"


# --------------------------------------------------------------------------- reading names


@pytest.mark.parametrize(
    "part,english,welsh",
    [
        ("part-1", "Part 1", "Rhan 1"),
        ("part-a", "Part a", "Rhan a"),
        ("all-staff", "All staff", None),
    ],
)
def test_a_readings_part_is_named_in_the_schools_language(
    part: str, english: str, welsh: str | None
) -> None:
    assert audience_name(part) == english  # as before
    # an audience the school named itself is shown as it named it, in every language
    assert audience_name(part, "cy") == (welsh or english)
    assert audience_name(part, "cy+en") == (f"{welsh}{BETWEEN}{english}" if welsh else english)


@pytest.mark.parametrize(
    "typed,english",
    [
        (
            "Hydref, 2026-09-02, 2099-12-31",
            "Terms, line 1: 2099-12-31 is too far ahead — the latest date accepted is 2031-11-23 "
            "(5 years from today); check the year.",
        ),
        (
            "Hydref, 1999-09-02, 2026-10-23",
            "Terms, line 1: 1999-09-02 is too long ago — the earliest date accepted is "
            "2000-01-01; check the year.",
        ),
    ],
    ids=["far ahead", "long ago"],
)
def test_a_term_date_outside_the_calendar_is_refused_in_welsh(
    typed: str, english: str, english_words: set[str]
) -> None:
    with pytest.raises(SetupError) as refused:
        parse_terms(typed, TODAY)
    assert str(refused.value) == english  # as before
    welsh = refused.value.said(translations("cy"))
    assert welsh.startswith("Tymhorau, llinell 1: mae "), welsh
    assert "(5 mlynedd o heddiw)" in welsh or "yn rhy bell yn ôl" in welsh
    assert _left(welsh, english_words) == []
    assert refused.value.said(translations("cy+en")) == f"{welsh}{BETWEEN}{english}"


def test_the_importers_own_reason_is_welsh_on_the_settings_page(english_words: set[str]) -> None:
    with pytest.raises(SetupError) as refused:
        read_upload("gwag.md", b"   \n\n   \n")
    assert str(refused.value) == "gwag.md: no text found (the document is empty)."  # as before
    welsh = refused.value.said(translations("cy"))
    assert welsh == "gwag.md: ni chafwyd hyd i destun (mae'r ddogfen yn wag)."
    assert _left(welsh.replace("gwag.md", " "), english_words) == []
