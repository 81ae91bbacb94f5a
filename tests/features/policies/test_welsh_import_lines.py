"""The school's language: the policy import's per-file lines (why a document was not
stored, what was stored) and an SCR sheet's row-matching refusals ("the same person as row N",
"N people in the school have this name") said in the school's language.

One Welsh-medium school (``cy``) is built for the module; ``cy+en`` and English are read from
the same sentences. Welsh must leave no English (the word check of ``tests/core/test_i18n.py``,
with what the school typed taken out); English reads exactly as before, and ``--json`` stays
English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import time_machine

from bot.core.language.i18n import BETWEEN, said_in
from bot.features.policies.import_cli import _Outcome, _refusal, _stored_line
from bot.features.policies.intake import intake_of
from bot.features.policies.typed import Typed, read_document
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder, at
from tests.support.speech import in_language

TODAY = date(2026, 11, 23)
# what the school typed or the machine names, as written: options, file names, keys, hashes
_TYPED = ("--title", "--next-review", "--approved-by", "sha256", "safeguarding", "scr-dwbl.csv")


def _left(texts: list[str], english: set[str]) -> list[str]:
    plain = []
    for text in texts:
        for value in _TYPED:
            text = text.replace(value, " ")
        plain.append(text)
    return _english_left(plain, english)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school (its staff as the support's directory: amy@oak.example among them)."""
    made = make_env(
        SchoolBuilder(tmp_path_factory.mktemp("cy-n") / "school"), country="wales", language="cy"
    )
    yield made
    made.context.store.dispose()


def _run(env: Env, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from bot.cli.main import app

    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.builder.home))
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


# --------------------------------------------------------------------------- the policy import

ENGLISH_REFUSAL = (
    "not stored: title, next review date, approving body not stated in the document and this is "
    "not an interactive terminal — run it at a terminal to type it in, give it with --title, "
    "--next-review or --approved-by, or add it to the document"
)


def test_a_refused_documents_line_speaks_the_schools_language(
    tmp_path: Path, english_words: set[str]
) -> None:
    doc = tmp_path / "nodiadau.txt"
    doc.write_text("Some words with no title or dates.\n")
    item = intake_of(doc, read_document(doc, Typed(None, None, None, None, None)))
    assert _refusal(item, interactive=False) == ENGLISH_REFUSAL
    assert in_language("en", lambda: _refusal(item, interactive=False)) == ENGLISH_REFUSAL
    welsh = in_language("cy", lambda: _refusal(item, interactive=False))
    assert welsh.startswith("heb ei gadw: nid yw teitl, dyddiad yr adolygiad nesaf, corff")
    assert "wedi'u nodi" in welsh  # three things: plural
    assert "yn derfynell ryngweithiol" in welsh
    assert _left([welsh], english_words) == []
    both = in_language("cy+en", lambda: _refusal(item, interactive=False))
    assert both == f"{welsh}{BETWEEN}{ENGLISH_REFUSAL}"


def test_a_stored_documents_line_speaks_the_schools_language(english_words: set[str]) -> None:
    outcome = _Outcome(
        "polisi.docx",
        sha256="ab12",
        stored=True,
        policy_key="safeguarding",
        version="3.2",
        next_review_stored="2027-11-30",
    )
    english = "stored as safeguarding version 3.2; next review due 2027-11-30; sha256 ab12"
    assert _stored_line(outcome) == english
    welsh = in_language("cy", lambda: _stored_line(outcome))
    assert welsh == (
        "wedi'i gadw fel safeguarding fersiwn 3.2; yr adolygiad nesaf erbyn 2027-11-30; sha256 ab12"
    )
    assert _left([welsh.replace("ab12", " ")], english_words) == []
    assert in_language("cy+en", lambda: _stored_line(outcome)) == f"{welsh}{BETWEEN}{english}"


# --------------------------------------------------------------------------- the SCR sheet

SAME = "scr.csv row 3 (Able Amy): the same person as row 2; keep one row a person"
NAMESAKES = (
    "scr.csv row 4 (Amy Able): 2 people in the school have this name and start date; add an "
    "email column to the spreadsheet"
)


def test_an_scr_sheet_naming_one_person_twice_is_refused_in_welsh(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    sheet = env.builder.home.parent / "scr-dwbl.csv"
    sheet.write_text(
        "Surname,Forename,Email,Identity checked,Barred list check\n"
        "Able,Amy,amy@oak.example,01/08/2020,01/08/2020\n"
        "Able,Amy,amy@oak.example,01/08/2020,01/08/2020\n"
    )
    code, said = _run(env, monkeypatch, "scr", "import", str(sheet), "--as-of", TODAY.isoformat())
    assert code != 0
    assert "scr-dwbl.csv rhes 3 (" in said and "yr un person â rhes 2" in said, said
    assert "error:" not in said and said.count("gwall:") == 2, said  # the refusal's mark too
    # the row's refusal (the held-back "nothing was imported" line after it is set K's)
    refusal = said[said.index("scr-dwbl.csv rhes 3") : said.index("bob person") + 10]
    assert _left([refusal.split("(", 1)[0], refusal.split(")", 1)[1]], english_words) == []


# from tests/core/test_i18n_set_n.py (main)
def test_the_import_prints_welsh_and_its_json_stays_english(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    doc = env.builder.home.parent / "nodiadau.txt"
    doc.write_text("Some words with no title or dates.\n")
    code, said = _run(env, monkeypatch, "policies", "import", str(doc))
    assert code == 1
    assert "heb ei gadw: nid yw teitl" in said and "not stored:" not in said, said
    code, said = _run(env, monkeypatch, "policies", "import", "--json", str(doc))
    assert code == 1 and ENGLISH_REFUSAL in said and "heb ei gadw" not in said
    assert "refused_said" not in said


@pytest.mark.parametrize("label", ["ratified", "last reviewed", "next review", "written"])
def test_a_month_only_date_is_noted_in_welsh(label: str, english_words: set[str]) -> None:
    from bot.features.policies.importer.values import FuzzyDate
    from bot.features.policies.intake import stored_day

    notes: list[object] = []
    day = stored_day(label, FuzzyDate(2027, 9), notes)  # type: ignore[arg-type]
    assert day == date(2027, 9, 30)
    (note,) = notes
    english = (f"{label} September 2027 (month only) is stored as 30 September 2027, "
               "the last day of that month")  # fmt: skip
    assert said_in("en", note) == english
    welsh = said_in("cy", note)
    assert "Medi 2027 (mis yn unig)" in welsh and "30 Medi 2027" in welsh, welsh
    assert _english_left([welsh], english_words) == []
    assert said_in("cy+en", note) == f"{welsh}{BETWEEN}{english}"


def test_another_school_and_lead_named_are_pointed_out_in_welsh(english_words: set[str]) -> None:
    from bot.features.policies.importer import extract_from_lines
    from bot.features.policies.importer.checks import not_ours

    other, ours = "Aberarth Primary School", "Ysgol Gymraeg Bro Derw"
    leads = ["Elen Davies", "Rhys Jones"]
    text = [other, "# Child Protection Policy", "Designated Safeguarding Lead: Mrs Grattan",
            "Next review: September 2027"]  # fmt: skip
    imported = extract_from_lines(text, "child-protection.docx")
    lines = not_ours(imported, ours, leads, dsl="DSP")
    english = [said_in("en", line) for line in lines]
    assert english == [
        f"This document names {other}, not {ours} — check it is yours",
        "This document names Mrs Grattan as the DSP, not Elen Davies or Rhys Jones — check it is "
        "yours",
    ]
    welsh = [said_in("cy", line) for line in lines]
    assert welsh[0].startswith(f"Mae'r ddogfen hon yn enwi {other}, nid {ours}")
    assert "nid Elen Davies neu Rhys Jones" in welsh[1]
    for line in welsh:
        for value in (other, ours, *leads, "Mrs Grattan", "DSP", " neu "):
            line = line.replace(value, " ")
        assert _english_left([line], english_words) == []
    assert [said_in("cy+en", line) for line in lines] == [
        f"{cy}{BETWEEN}{en}" for cy, en in zip(welsh, english, strict=True)
    ]


def test_a_title_far_down_the_page_is_asked_about_in_welsh(english_words: set[str]) -> None:
    from bot.features.policies.importer import extract_from_lines

    lines = [f"Line {n} of the cover page" for n in range(1, 10)] + ["Online Safety Policy"]
    imported = extract_from_lines(["Oak Primary School", *lines], "cover.md")
    guess = imported.title_guess
    assert imported.title is None and guess is not None and guess.line == 11
    welsh = said_in("cy", guess.note)
    assert welsh.startswith(f"mae llinell {guess.line} yn enwi polisi")
    assert _english_left([welsh.replace("Online Safety Policy", " ")], english_words) == []
    assert intake_of(Path("cover.md"), imported).notes  # the command line says it too


@pytest.mark.parametrize(
    "states,english",
    [
        (["new"], "1 file read: 1 stored."),
        (["new", "same", "copy", "copy", "waiting"],
         "5 files read: 1 stored, 1 already in the register, unchanged, 2 copies of another "
         "document, not stored again, 1 not stored. Rerun with --yes to store it."),
        ([], "0 files read: nothing stored."),
    ],
    ids=["one", "each", "none"],
)  # fmt: skip
def test_the_policy_import_summary_speaks_the_schools_language(
    states: list[str], english: str, english_words: set[str]
) -> None:
    from bot.features.policies.import_cli import import_summary

    made: dict[str, dict[str, object]] = {
        "new": {"stored": True}, "same": {"stored": True, "already_stored": True},
        "copy": {"same_as": "cp"}, "waiting": {},
    }  # fmt: skip
    outcomes = [
        _Outcome(f"{n}.docx", **made[state])  # type: ignore[arg-type]
        for n, state in enumerate(states)
    ]
    assert in_language("en", lambda: import_summary(outcomes)) == english
    welsh = in_language("cy", lambda: import_summary(outcomes))
    assert welsh.startswith("Darllenwyd ") and _english_left([welsh], english_words) == []
    assert in_language("cy+en", lambda: import_summary(outcomes)) == f"{welsh}{BETWEEN}{english}"
