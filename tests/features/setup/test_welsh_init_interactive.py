"""The interactive ``init`` in the language a Welsh school chooses. The questions up
to the language (school name, nation, language) are English; from the choice on every question,
its help and what is said back are Welsh (``cy``) or Welsh first then English (``cy+en``);
``en`` asks as before. Driven in a real terminal (pexpect), prompts matched by their text."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from tests.support.mis_export import mis_export
from tests.support.newcomer import policy_folder, term_calendar
from tests.support.terminal import asked, said, spawn

# each question (or line said back) in the order init says it: (English, Welsh); the answer
# typed after a question (None: a line said back, nothing typed)
STEPS: tuple[tuple[str, str, str | None], ...] = (
    ("Where do staff have their accounts", "Ble mae cyfrifon y staff", ""),
    ("Web address staff will use", "Cyfeiriad gwe y bydd staff yn ei ddefnyddio", ""),
    ("Staff list: the export from your MIS", "Rhestr y staff: yr allforyn o'ch MIS", "{staff}"),
    ("2 rows of staff.csv cannot be used:", "ni ellir defnyddio 2 rhes o staff.csv:", None),
    (
        "Fix the file and read it again, or leave these rows out",
        "Cywiro'r ffeil a'i darllen eto, neu adael y rhesi hyn allan",
        "leave-out",
    ),
    ("left out: 2 lines", "wedi'u gadael allan: 2 llinell", None),
    (
        "Job titles in the staff list: say what each means here",
        "Teitlau swyddi yn rhestr y staff: dywedwch beth mae pob un yn ei olygu yma",
        None,
    ),
    ("Class Teacher (", "Class Teacher (", ""),
    ("Cleaner (", "Cleaner (", ""),
    ("Governor (", "Governor (", ""),
    ("Headteacher (", "Headteacher (", ""),
    ("Office Manager (", "Office Manager (", ""),
    ("Teaching Assistant (", "Teaching Assistant (", ""),
    ("Headteacher (name or email)", "Pennaeth (enw neu gyfeiriad e-bost)", "moira campbell"),
    (
        "Designated Safeguarding Person (DSP) (Enter when done)",
        "Person Diogelu Dynodedig (DSP) (pwyswch Enter ar ôl gorffen)",
        "Siobhan",
    ),
    (
        "Designated Safeguarding Person (DSP) (Enter when done)",
        "Person Diogelu Dynodedig (DSP) (pwyswch Enter ar ôl gorffen)",
        "",
    ),
    ("Deputy DSP (Enter when done)", "Dirprwy DSP (pwyswch Enter ar ôl gorffen)", ""),
    (
        "Data protection officer (staff, or the local authority's or trust's DPO's email)",
        "Swyddog diogelu data (aelod o staff, neu gyfeiriad e-bost swyddog diogelu data'r "
        "awdurdod lleol neu'r ymddiriedolaeth)",
        "elspeth",
    ),
    (
        "Clerk to the governors (staff, or their email) (Enter to leave out)",
        "Clerc y llywodraethwyr (aelod o staff, neu eu cyfeiriad e-bost) (pwyswch Enter i adael "
        "allan)",
        "clerk@clerking.example",
    ),
    (
        "clerk@clerking.example is not in staff.csv: their name (someone from outside the school)",
        "nid yw clerk@clerking.example yn staff.csv: eu henw (rhywun o'r tu allan i'r ysgol)",
        "Morag Bell",
    ),
    ("→ Morag Bell <clerk@clerking.example> (", "→ Morag Bell <clerk@clerking.example> (", None),
    (
        "Chair of governors (Enter to leave out)",
        "Cadeirydd y llywodraethwyr (pwyswch Enter i adael allan)",
        "HAMISH REID",
    ),
    (
        "Who runs the bot day to day (an admin: the office or business manager; the headteacher if "
        "nobody) (Enter when done)",
        "Pwy sy'n rhedeg y bot o ddydd i ddydd (gweinyddwr: rheolwr y swyddfa neu reolwr busnes; y "
        "pennaeth os nad oes neb) (pwyswch Enter ar ôl gorffen)",
        "moira campbell",
    ),
    ("Who runs the bot day to day", "Pwy sy'n rhedeg y bot o ddydd i ddydd", ""),
    (
        "Term dates: the local authority's .ics calendar (Enter to type them)",
        "Dyddiadau tymor: calendr .ics yr awdurdod lleol (pwyswch Enter i'w teipio)",
        "{ics}",
    ),
    ("Policy folder (.docx, .pdf, .md)", "Ffolder polisïau (.docx, .pdf, .md)", "{policies}"),
    ("read 5 documents from", "darllenwyd 5 dogfen o", None),
    ("mobile-phones.md", "mobile-phones.md", "September 2027"),
    (
        "Requirement pack (built-in templates that follow your policies):",
        "Pecyn gofynion (templedi adeiledig sy'n dilyn eich polisïau):",
        None,
    ),
)
SETTINGS = (
    "Manage settings on the web pages (recommended) or in school.yaml",
    "Rheoli'r gosodiadau ar y tudalennau gwe (argymhellir) neu yn school.yaml",
)
SAVE = ("Save this setup (preview begins)?", "Cadw'r gosodiad hwn (mae'r rhagolwg yn dechrau)?")
NOT_SAVED = (
    "Nothing was saved. Your answers are kept in",
    "Ni chadwyd dim. Mae eich atebion wedi'u cadw yn",
)


def _init(folder: Path, inputs: Path, language: str) -> str:
    """An interactive init of a Welsh school choosing ``language``, to the save question
    (answered no): everything the terminal showed."""
    child, shown = spawn(["init", "--as-of", "2026-09-14"], cwd=folder)

    def answer(question: str, typed: str | None) -> None:
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
    files = {
        "staff": inputs / "staff.csv",
        "ics": inputs / "term-dates.ics",
        "policies": inputs / "policies",
    }
    for english, welsh, typed in STEPS:
        answer(said(english, welsh, language), None if typed is None else typed.format(**files))
    settings = said(*SETTINGS, language)
    while child.expect([asked(r"\? \[[YI]/n\]"), asked(settings)]) == 0:
        child.sendline("")  # every template of the pack
    child.sendline("")
    answer(said(*SAVE, language), "n")
    answer(said(*NOT_SAVED, language), None)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    return shown.getvalue()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    mis_export(folder / "staff.csv")
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    return folder


# English said by init's own questions: none of it is left in a Welsh school's terminal after
# its choice (the pack's template summaries, a document's name and the policies room's
# question about it are the pack's and the school's words)
ENGLISH = (
    "Where do staff",
    "Web address",
    "Staff list",
    "cannot be used",
    "left out",
    "Job titles",
    "(name or email)",
    "Enter when done",
    "Enter to leave out",
    "Term dates",
    "Policy folder (",
    "documents from",
    "Requirement pack (",
    "Manage settings",
    "Save this setup",
    "Nothing was saved",
)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_welsh_school_is_asked_in_the_language_it_chose(
    tmp_path: Path, inputs: Path, language: str
) -> None:
    shown = _init(tmp_path, inputs, language)
    after = " ".join(
        shown.partition("English only?" if language == "en" else "(cy/cy+en)")[2].split()
    )  # a said-back line may wrap: read with its line breaks taken out
    left = [english for english in ENGLISH if english in after]
    missing = [english for english in ENGLISH if english not in after]
    if language == "cy":
        assert not left, left
        assert "pwyswch Enter" in after
        assert "o'r tu allan i staff.csv: wedi'i ychwanegu at gofrestr y bobl" in after
    elif language == "cy+en":
        assert not missing, missing
        assert "Person Diogelu Dynodedig (DSP) (pwyswch Enter ar ôl gorffen) / Designated" in after
    else:
        assert not missing, missing
        assert "pwyswch" not in shown and "Pennaeth" not in shown
