"""The importer's last English lines, and the policy-document questions of the
interactive ``init`` in the language a Welsh school chose.

The importer's lines (an abbreviation's meaning, two lines disagreeing, a date given as a
term) are kept in English (``--json``) and said in the school's language by the real
``policies import``: Welsh in ``cy``, Welsh then English in ``cy+en``, as before in ``en``.

The interactive ``init`` (pexpect, a real terminal, prompts matched by their text) asks a
policy document's questions, says an answer's problem and a document's check in the language
chosen, shows the codes to type in it (``[I/n]``: ie/na; ``gadael-allan``, ``dim``) and takes
both languages' codes, keeping the English code in the answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from bot.core.language.i18n import BETWEEN
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env
from tests.support.terminal import asked, said, spawn
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env
from tests.support.welsh_school import run as _run

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


# --------------------------------------------------------------------------- the interactive init


# a policy stating neither its next review nor who approves it (both asked), and one naming
# another school (pointed out)
MOBILE = "# Mobile Phones Policy\n\nStaff keep personal phones out of sight in classrooms.\n"
OTHER = (
    "# Online Safety Policy\n\nHillside Primary School\n\nApproved by: Full Governing Body\n\n"
    "Next review: July 2027\n\nStaff report concerns to the DSP.\n"
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.mis_export import mis_export
    from tests.support.newcomer import term_calendar

    folder = tmp_path_factory.mktemp("inputs")
    mis_export(folder / "staff.csv")
    term_calendar(folder / "term-dates.ics")
    (folder / "policies").mkdir()
    (folder / "policies" / "mobile-phones.md").write_text(MOBILE, encoding="utf-8")
    (folder / "policies" / "online-safety.md").write_text(OTHER, encoding="utf-8")
    return folder


def _init(folder: Path, inputs: Path, language: str) -> tuple[str, dict[str, Any]]:
    """An interactive init of a Welsh school choosing ``language``, answering with the Welsh
    codes in ``cy`` and the English ones otherwise, to the save question (answered no): what
    the terminal showed, and the answers kept."""
    child, shown = spawn(["init", "--as-of", "2026-09-14"], cwd=folder)
    welsh = language == "cy"

    def answer(question: str, typed: str | None = None) -> None:
        child.expect(question if typed is None else asked(question))
        if typed is not None:
            child.sendline(typed)

    answer("School name", "Ysgol Gymraeg Glan")
    answer("Nation", "wales")
    answer("an independent school", "")
    answer("Its language category", "")
    answer(r"read the bot in English only\?", "y" if language == "en" else "n")
    if language != "en":
        answer(r"Cymraeg only \(cy\), or Welsh first", language)
    codes = {
        "cy": r"\(lleol/m365/google\) \[lleol\]",
        "cy+en": r"\(lleol/m365/google / local/m365/google\) \[lleol\]",
        "en": r"\(local/m365/google\) \[local\]",
    }
    answer(codes[language], "")
    answer(said("Web address staff will use", "Cyfeiriad gwe", language), "")
    answer(said("Staff list:", "Rhestr y staff:", language), str(inputs / "staff.csv"))
    codes = {
        "cy": r"\(darllen-eto/gadael-allan\)",
        "cy+en": r"\(darllen-eto/gadael-allan / read-again/leave-out\)",
        "en": r"\(read-again/leave-out\)",
    }
    answer(codes[language], "ail-ddarllen")  # neither: asked again
    answer(
        said(
            "please answer one of: read-again, leave-out",
            "atebwch un o'r rhain: darllen-eto, gadael-allan",
            language,
        )
    )
    answer(codes[language], "gadael-allan" if welsh else "leave-out")
    for title in (
        "Class Teacher",
        "Cleaner",
        "Governor",
        "Headteacher",
        "Office Manager",
        "Teaching Assistant",
    ):
        answer(re.escape(title) + r" \(", "dim" if welsh and title == "Cleaner" else "")
    answer(
        said("Headteacher (name or email)", "Pennaeth (enw neu gyfeiriad e-bost)", language),
        "moira campbell",
    )
    for typed in ("Siobhan", "", "", "elspeth", "", "", "moira campbell", ""):
        answer(r"\)", typed)  # the people: each question ends "(…): "
    answer(said("Term dates:", "Dyddiadau tymor:", language), str(inputs / "term-dates.ics"))
    answer(said("Policy folder", "Ffolder polisïau", language), str(inputs / "policies"))
    for english, welsh_said, typed in QUESTIONS:
        answer(said(english, welsh_said, language), typed)
    yes = {"cy": r"\? \[I/n\]", "cy+en": r"\? \[I/n\] / \[Y/n\]", "en": r"\? \[Y/n\]"}[language]
    settings = said("Manage settings on the web pages", "Rheoli'r gosodiadau", language)
    first = True
    while child.expect([asked(yes), asked(settings)]) == 0:  # the pack: the first answered in words
        child.sendline(("efallai" if first else "") if language != "en" else "")
        if first and language != "en":
            answer(said("please answer one of: y, n", "atebwch un o'r rhain: ie, na", language))
            child.expect(asked(yes))
            child.sendline("ie" if welsh else "yes")
        first = False
    child.sendline("")
    answer(yes, "na" if welsh else "n")  # save this setup? no
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    kept = re.search(r"(\S+\.answers\.yaml|\S+answers\S*\.yaml)", shown.getvalue())
    assert kept is not None, shown.getvalue()
    path = Path(kept.group(1).rstrip(";:"))
    return shown.getvalue(), yaml.safe_load((folder / path).read_text(encoding="utf-8"))


# the policy document's questions (after its name) in the order asked: (English, Welsh, typed)
QUESTIONS = (
    (
        "Next review date (e.g. 2027-09-30, or September 2027)",
        "Dyddiad yr adolygiad nesaf (e.e. 2027-09-30, neu Medi 2027)",
        "fish",
    ),
    (
        "'fish' is not a date I can read; write 2027-09-30 or September 2027",
        "nid yw 'fish' yn ddyddiad y gellir ei ddarllen; ysgrifennwch 2027-09-30 neu Medi 2027",
        None,
    ),
    ("Next review date", "Dyddiad yr adolygiad nesaf", "Medi 2027"),
    (
        "Who approves it (the governing body, or a committee's name)",
        "Pwy sy'n ei gymeradwyo (y corff llywodraethu, neu enw pwyllgor)",
        "Resources Committee",
    ),
)
CHECK = (  # after the document's name
    "This document names Hillside Primary School, not Ysgol Gymraeg Glan — check it is yours",
    "Mae'r ddogfen hon yn enwi Hillside Primary School, nid Ysgol Gymraeg Glan — gwiriwch mai "
    "eich un chi ydyw",
)
# English of the questions this set made Welsh: none of it left in a Welsh terminal after the
# language is chosen
LEFT = (
    "Next review date",
    "Who approves it",
    "is not a date I can read",
    "This document names",
    "[Y/n]",
    "read-again",
    "leave-out",
    "local/m365",
    "staff/volunteer",
    "'none':",
    "web/file",
)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_the_policy_questions_and_typed_codes_in_the_language_chosen(
    tmp_path: Path, inputs: Path, language: str
) -> None:
    shown, kept = _init(tmp_path, inputs, language)
    after = " ".join(
        shown.partition("English only?" if language == "en" else "(cy/cy+en)")[2].split()
    )  # a said-back line may wrap: read with its line breaks taken out
    # what is asked, up to the summary of what init will write (its policy folder's table
    # and notes: README's "Not yet translated")
    asked = after.partition("Directory: " if language == "en" else "Cyfeiriadur")[0]
    assert re.search(said(*CHECK, language), asked), asked
    left = [english for english in LEFT if english in asked]
    save = said(
        "Save this setup (preview begins)?",
        "Cadw'r gosodiad hwn (mae'r rhagolwg yn dechrau)?",
        language,
    )
    if language == "cy":
        assert not left, left
        roles = "staff/gwirfoddolwr/llywodraethwr/llywodraethwr-diogelu/clerc/cyflenwi/dim"
        assert f"({roles}) [staff]" in asked
        assert "('dim': ni ofynnir" in asked
        assert re.search(save + r" \[I/n\]: na", after), after
    elif language == "cy+en":
        assert left == list(LEFT), left  # beside the Welsh
        assert "[I/n] / [Y/n]" in asked and re.search(save + r" \[I/n\] / \[Y/n\]", after)
    else:
        assert left == list(LEFT), left
        assert "[I/n]" not in shown
        assert "Medi" not in shown.replace("Medi 2027", "")  # what was typed, as typed
    # what was typed, in either language, is kept as the English code and the date read
    assert kept["leave_out"] and kept["job_titles"]["Cleaner"] == "none"
    assert kept["policy_answers"]["mobile-phones.md"] == {
        "next_review": "Medi 2027",
        "approving_body": "Resources Committee",
    }
    assert kept["requirements"] and kept["settings_source"] == "web"


@pytest.mark.slow
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_policies_import_at_a_terminal_asks_in_the_schools_language(
    env: Env, tmp_path: Path, language: str
) -> None:
    """``policies import`` at a terminal asks what the document does not state in the
    school's language, says an answer's problem in it, and reads a month typed in Welsh."""
    env.builder.school["language"] = language
    env.builder.write()
    document = tmp_path / "mobile-phones.md"
    document.write_text(MOBILE, encoding="utf-8")
    child, shown = spawn(["policies", "import", str(document)], home=env.builder.home)
    for english, welsh, typed in QUESTIONS:
        child.expect(
            said(english, welsh, language)
            if typed is None
            else asked(said(english, welsh, language))
        )
        if typed is not None:
            child.sendline(typed)
    store = asked(
        {"cy": r"\? \[I/n\]", "cy+en": r"\? \[I/n\] / \[Y/n\]"}.get(language, r"\? \[Y/n\]")
    )  # store it?
    child.expect(store)
    child.sendline("efallai")  # neither: asked again
    child.expect(
        said("please answer one of: y, n", "atebwch un o'r rhain: ie, na", language)
        if language != "en"
        else "Error: invalid input"
    )
    child.expect(store)
    child.sendline("na" if language == "cy" else "n")
    child.expect(pexpect.EOF)
    child.close()
    seen = " ".join(shown.getvalue().split())
    if language == "cy":
        assert "Next review date" not in seen and "is not a date" not in seen, seen
        assert "[Y/n]" not in seen and "nothing stored (you said no)" not in seen, seen
    else:
        assert "Next review date (e.g. 2027-09-30, or September 2027): fish" in seen, seen
