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

from bot.core.i18n import BETWEEN
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
