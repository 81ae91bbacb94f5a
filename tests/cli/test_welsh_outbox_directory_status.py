"""``outbox`` (its table, the states, the counts, what to do with a message that may
not have arrived, ``outbox resolve``'s confirmations) and ``directory status``'s own lines in the
language of the school the install runs: Welsh in ``cy``, Welsh first then English in ``cy+en``,
English as before in ``en`` (the English lines below are what main printed). The outbox's "why
these have not gone yet" lines stay English (see the README); the lines ``directory status``
takes from ``render.py`` are set aa's. A scan fails on a printed line of these commands that
writes English words of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import load_settings
from bot.core.language.i18n import BETWEEN
from tests.support.helpers import SchoolBuilder, each_half

ROOT = Path(__file__).parents[2]
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}


def _run(school: SchoolBuilder, *args: str) -> Result:
    result = CliRunner().invoke(
        app, list(args), env={**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    )
    assert result.exit_code == 0, result.output
    return result


def _said(language: str, welsh: str, english: str) -> str:
    return {"cy": welsh, "cy+en": f"{welsh}{BETWEEN}{english}", "en": english}[language]


@pytest.fixture(scope="module")
def queued(tmp_path_factory: pytest.TempPathFactory) -> SchoolBuilder:
    """A Welsh school whose first sweep queued its digest (email and channel), the email then
    refused and the card not confirmed, and whose directory left out three guests and one
    unlicensed account (its language is set by each test)."""
    school = SchoolBuilder(tmp_path_factory.mktemp("set-z") / "school")
    school.school["country"] = "wales"
    school.school["language"] = "cy"
    school.installed()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-23")
    settings = load_settings(home=school.home)
    with AppContext(settings).store.transaction() as db:
        db.execute(text("UPDATE outbox SET status = 'delivery_unknown' WHERE id = 1"))
        db.execute(text("UPDATE outbox SET status = 'failed', last_error = '550' WHERE id = 2"))
        db.execute(
            text(
                "INSERT INTO connector_state (school_id, key, value, updated_at) VALUES ('oak', "
                "'directory.left_out', '{\"guest\": 3, \"unlicensed account\": 1}', "
                "'2026-11-23 00:00:00')"
            )
        )
    return school


def _speaking(school: SchoolBuilder, language: str) -> SchoolBuilder:
    school.school["language"] = language
    school.write()
    return school


def _cells(output: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.split("┃" if "┃" in line else "│")[1:-1]]
        for line in output.splitlines()
        if line.startswith(("┃", "│"))
    ]


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_the_outbox_is_listed_in_the_schools_language(queued: SchoolBuilder, language: str) -> None:
    printed = _run(_speaking(queued, language), "outbox").stdout.splitlines()
    for half, lines in each_half(language, printed, r"Outbox \(newest first\)"):
        assert not any(BETWEEN in line for line in lines), lines
        _outbox_says(half, lines, queued.home / "outbox")


def _outbox_says(language: str, lines: list[str], folder: Path) -> None:
    """The outbox's title, heads, rows, counts, advice and email files, in ``language``."""
    assert lines[0].strip() == _said(
        language, "Ciw anfon (y mwyaf newydd yn gyntaf)", "Outbox (newest first)"
    )
    head, *rows = _cells("\n".join(lines))
    assert head == [
        "#",
        *(
            _said(language, w, e)
            for w, e in (
                ("Statws", "Status"),
                ("Diben", "Purpose"),
                ("At", "To"),
                ("Pwnc", "Subject"),
            )
        ),
    ]
    refused = _said(language, "gwrthodwyd (failed)", "failed")
    unknown = _said(language, "heb ei chadarnhau (delivery_unknown)", "delivery_unknown")
    digest = _said(language, "Crynodeb cydymffurfio wythnosol", "Weekly compliance digest")
    assert [r[:4] for r in rows] == [
        ["2", refused, digest, "head@oak.example"],
        ["1", unknown, digest, _said(language, "sianel", "channel")],
    ]
    assert f"{unknown}: 1  {refused}: 1" in lines
    assert lines[-2].startswith(
        _said(
            language,
            "Efallai fod negeseuon wedi'u nodi'n delivery_unknown wedi cyrraedd, efallai ddim: ",
            "Messages marked delivery_unknown may or may not have arrived: ",
        )
    )
    assert lines[-1] == _said(language, f"Ffeiliau e-bost: {folder}", f"Email files: {folder}")


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_an_empty_outbox_says_so_in_the_schools_language(tmp_path: Path, language: str) -> None:
    school = SchoolBuilder(tmp_path / "school")
    school.school["country"] = "wales"
    school.school["language"] = language
    school.installed()
    printed = _run(school, "outbox").stdout.splitlines()
    for half, lines in each_half(language, printed, r"Outbox \(newest first\)"):
        assert _said(half, "gwag", "empty") in lines


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_resolve_confirms_in_the_schools_language(tmp_path: Path, language: str) -> None:
    school = SchoolBuilder(tmp_path / "school")
    school.school["country"] = "wales"
    school.school["language"] = language
    school.installed()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-23")
    settings = load_settings(home=school.home)
    with AppContext(settings).store.transaction() as db:
        db.execute(text("UPDATE outbox SET status = 'delivery_unknown'"))
    sent = _run(school, "outbox", "resolve", "1", "--sent", "--as", "head@oak.example")
    assert sent.stdout.splitlines()[-1] == _said(
        language,
        "Mae neges 1 wedi'i nodi fel un a ddanfonwyd; ni chaiff ei hanfon eto. Cofnodwyd mai "
        "chi a wnaeth hyn.",
        "Message 1 is marked as delivered; it will not be sent again. Recorded as yours.",
    )
    again = _run(school, "outbox", "resolve", "2", "--resend", "--as", "head@oak.example")
    assert again.stdout.splitlines()[-1] == _said(
        language,
        "Mae neges 2 yn y ciw i'w hanfon eto: mae'r amserlennydd yn ei hanfon y tro nesaf y "
        "mae'n rhedeg (neu rhedwch `compliance-bot sweep`). Cofnodwyd mai chi a wnaeth hyn.",
        "Message 2 is queued to be sent again: the scheduler sends it at its next run (or run "
        "`compliance-bot sweep`). Recorded as yours.",
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_directory_status_says_its_own_lines_in_the_schools_language(
    queued: SchoolBuilder, language: str
) -> None:
    lines = _run(_speaking(queued, language), "directory", "status").stdout.splitlines()
    assert lines[-2:] == [
        _said(
            language, "Does neb ar goll o'r cyfeiriadur.", "Nobody is missing from the directory."
        ),
        _said(
            language,
            "Wedi'u gadael allan o'r cyfeiriadur (nid staff): 3 o westeion, 1 cyfrif heb drwydded",
            "Left out of the directory (not staff): 3 guests, 1 unlicensed account",
        ),
    ]


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_maintenance_says_what_it_dropped_in_the_schools_language(
    queued: SchoolBuilder, language: str
) -> None:
    said = _run(_speaking(queued, language), "maintenance").stdout.splitlines()
    assert said[0] == _said(
        language,
        "Dilëwyd testun 0 o negeseuon wedi'u danfon a anfonwyd fwy na 30 o ddiwrnodau yn ôl (mae "
        "pwy, pryd ac ôl bys yn aros); tynnwyd 0 o gofnodion yn log yr archwiliadau sy'n hŷn na "
        "90 o ddiwrnodau a 0 o gadarnhadau ymwelwyr y tu hwnt i gyfnod cadw'r ysgol.",
        "Dropped the text of 0 delivered messages sent more than 30 days ago (who, when and a "
        "fingerprint stay); removed 0 sweep log entries older than 90 days and 0 visitor "
        "confirmations past the school's retention.",
    )


# the printed lines this set made the catalogue's, by file and function
SAID = {
    "bot/cli/outbox.py": {"outbox", "resolve"},
    "bot/cli/directory.py": {"directory_status"},
    "bot/cli/main.py": {"migrate"},
    "bot/cli/maintenance.py": {"maintenance", "_report_space", "_compact_database"},
}


# from tests/core/test_i18n_set_z.py (main)
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_migrate_says_the_database_is_up_to_date_in_the_schools_language(
    queued: SchoolBuilder, language: str
) -> None:
    url = f"sqlite:///{queued.home / 'compliance-bot.db'}"
    said = _run(_speaking(queued, language), "migrate").stdout.splitlines()[-1]
    assert said == _said(
        language, f"mae'r gronfa ddata yn gyfredol: {url}", f"database is up to date: {url}"
    )
