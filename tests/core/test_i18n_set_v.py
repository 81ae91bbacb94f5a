"""#57 set v: the importer's last English lines, and the policy-document questions of the
interactive ``init`` in the language a Welsh school chose.

The importer's lines (an abbreviation's meaning, two lines disagreeing, a date given as a
term) are kept in English (``--json``) and said in the school's language by the real
``policies import``: Welsh in ``cy``, Welsh then English in ``cy+en``, as before in ``en``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import time_machine

from bot.core.i18n import BETWEEN
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder, at

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school (its staff as the support's directory)."""
    made = make_env(
        SchoolBuilder(tmp_path_factory.mktemp("cy-v") / "school"), country="wales", language="cy"
    )
    yield made
    made.context.store.dispose()


def _run(env: Env, monkeypatch: pytest.MonkeyPatch, language: str, *args: str) -> tuple[int, str]:
    """The command run for the school with ``language:`` set to ``language``; its output with
    each run of spaces (rich's wrapping) one space."""
    from typer.testing import CliRunner

    from bot.cli.main import app

    env.builder.school["language"] = language
    env.builder.write()
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.builder.home))
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


# --------------------------------------------------------------------------- the importer's lines

DOCUMENT = """# Online Safety Policy

Approved by: FGB

Last reviewed: 12 September 2026

Last reviewed: 3 October 2026

Next review: Autumn term 2027
"""
# what the document itself writes: its abbreviation, the body it stands for, the term
WRITTEN = ("FGB", "Full Governing Body", "Autumn term 2027", "Autumn", "term", "Governing")
ENGLISH = (
    "warning last reviewed date: line 7 says 2026-10-03 but line 5 says 2026-09-12; kept line 5",
    "warning line 9: next review date is given as a school term ('Autumn term 2027'), not a "
    "date; not used — please supply a date",
)
WELSH = (
    "rhybudd dyddiad yr adolygiad diwethaf: mae llinell 7 yn dweud 2026-10-03 ond mae llinell 5 "
    "yn dweud 2026-09-12; cadwyd llinell 5",
    "rhybudd llinell 9: rhoddir dyddiad yr adolygiad nesaf fel tymor ysgol ('Autumn term 2027'), "
    "nid fel dyddiad; ni chafodd ei ddefnyddio — rhowch ddyddiad",
)
# the approving body's note, in the table's last column (a cell wraps: its words one by one)
NOTE_EN, NOTE_CY = ("(FGB", "=", "Full"), ("(ystyr", "FGB", "yw", "Full")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("doc") / "fgb.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def test_the_importers_three_lines_in_english_as_before(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path
) -> None:
    code, said = _run(env, monkeypatch, "en", "policies", "import", str(document))
    assert code == 0, said
    for english in ENGLISH:
        assert english in said, (english, said)
    assert all(word in said for word in NOTE_EN) and "ystyr" not in said, said
    code, said = _run(env, monkeypatch, "cy", "policies", "import", "--json", str(document))
    assert code == 0, said
    for english in ENGLISH:  # the JSON keeps the importer's English
        assert english.removeprefix("warning ") in said, said
    assert "FGB = Full Governing Body" in said and "rhybudd" not in said


def test_the_importers_three_lines_in_welsh(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path, english_words: set[str]
) -> None:
    code, said = _run(env, monkeypatch, "cy", "policies", "import", str(document))
    assert code == 0, said
    for welsh in WELSH:
        assert welsh in said, (welsh, said)
    for english in ENGLISH:
        assert english.removeprefix("warning ") not in said
    assert all(word in said for word in NOTE_CY) and " = " not in said, said
    under = said.rsplit("┘", 1)[1].split("Darllenwyd ")[0]  # the lines under the table
    for value in WRITTEN:
        under = under.replace(value, " ")
    assert _english_left([under], english_words) == []


def test_the_importers_three_lines_in_both_languages(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path
) -> None:
    code, said = _run(env, monkeypatch, "cy+en", "policies", "import", str(document))
    assert code == 0, said
    for welsh, english in zip(WELSH, ENGLISH, strict=True):
        both = f"rhybudd / warning {welsh.removeprefix('rhybudd ')}{BETWEEN}"
        assert both + english.removeprefix("warning ") in said, (both, said)
    assert all(word in said for word in NOTE_CY), said  # the table's why: Welsh (set q)
