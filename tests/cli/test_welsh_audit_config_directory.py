"""The command line's lines around the refusals — ``audit``'s verdicts and what it
wrote or would not write, ``config``'s settings lines and ``import``'s warnings, a sweep's
"step failed:" and "stopped:" lines and the "stopped." of a Ctrl-C — in the language of the
school the command acts on: Welsh in ``cy``, Welsh first then English in ``cy+en``, English as
main printed it in ``en`` (the English lines below are main's). ``check``'s own problem lines
stay English (see the README). A scan fails on a printed line of ``audit``, ``config`` or these
shared helpers that writes English words of its own.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from bot.cli.directory import _LEAVER_CONFIRMED
from bot.cli.main import app
from bot.core.language.i18n import BETWEEN, Dated, Msg, said_in
from bot.engine.commands import context, directory_errors, friendly
from bot.engine.step_failures import StepFailed
from bot.engine.sweep import SchoolSweep
from tests.support.helpers import SchoolBuilder

ROOT = Path(__file__).parents[2]
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}


def _run(school: SchoolBuilder, *args: str, code: int = 0) -> Result:
    env = {**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result


def _said(language: str, welsh: str, english: str) -> str:
    return {"cy": welsh, "cy+en": f"{welsh}{BETWEEN}{english}", "en": english}[language]


def _school(home: Path, language: str) -> SchoolBuilder:
    school = SchoolBuilder(home)
    school.school["country"] = "wales"
    school.school["language"] = language
    school.installed()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-23")  # records for the log to seal
    return school


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> SchoolBuilder:
    """A Welsh school after one sweep (its language is set by each test; the log is the same)."""
    return _school(tmp_path_factory.mktemp("set-x") / "school", "cy")


def _speaking(school: SchoolBuilder, language: str) -> SchoolBuilder:
    school.school["language"] = language
    school.write()
    return school


KINDS = (
    "1 ysgol, gosodiadau da diwethaf 1 ysgol, 5 o bobl, 8 o rolau",
    "1 school, 1 school's last good settings, 5 people, 8 roles",
)


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_audit_verify_and_anchor_say_the_log_is_intact_in_the_schools_language(
    swept: SchoolBuilder, language: str, tmp_path: Path
) -> None:
    school = _speaking(swept, language)
    anchor = tmp_path / "anchor.txt"
    written = _run(school, "audit", "anchor", "--out", str(anchor)).stdout.splitlines()[-1]
    verified = _run(school, "audit", "verify", "--anchor", str(anchor)).stdout.splitlines()
    entries = (
        written.split(" entries (")[0].rsplit(" ", 1)[-1]
        if language == "en"
        else (written.split(" o gofnodion (")[0].rsplit(" ", 1)[-1])
    )
    assert verified[-2] == _said(
        language,
        f"mae'r log archwilio yn gyfan: gwiriwyd {entries} o gofnodion y log a 15 o gofnodion "
        f"wedi'u selio yn eu herbyn ({KINDS[0]}).",
        f"audit log intact: {entries} entries verified and 15 records checked against them "
        f"({KINDS[1]}).",
    )
    made = verified[-1]
    assert made.startswith(
        _said(
            language,
            "Mae'n cyfateb i'r ffeil angor a wnaed ar ",
            "It matches the anchor file made on ",
        ).split(BETWEEN)[0]
    )
    assert written == _said(
        language,
        f"ysgrifennwyd yr angor i {anchor}: roedd gan y log archwilio {entries} o gofnodion "
        f"(gwiriwyd 15 o gofnodion wedi'u selio). Cadwch ef y tu allan i'r gweinydd hwn; mae "
        f"'compliance-bot audit verify --anchor {anchor}' yn dangos a gafodd y log ei dorri'n "
        "fyr neu ei ailysgrifennu ers hynny.",
        f"anchor written to {anchor}: the audit log had {entries} entries (15 records "
        f"checked). Keep it outside this server; 'compliance-bot audit verify --anchor "
        f"{anchor}' shows whether the log was cut short or rewritten since.",
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_damaged_log_is_refused_in_the_schools_language(tmp_path: Path, language: str) -> None:
    school = _school(tmp_path / "school", language)
    with sqlite3.connect(school.home / "compliance-bot.db") as db:  # a change made behind the bot
        db.create_function("seal_tag", -1, lambda *_: "forged")
        db.execute("UPDATE people SET display_name = 'X' WHERE email = 'amy@oak.example'")
    failed = _said(language, "methodd gwiriad y log archwilio:", "audit check failed:")
    problem = "  - The record of person #3 (amy@oak.example now) was changed after it was recorded."
    verify = _run(school, "audit", "verify", code=1).stderr.splitlines()
    assert verify[-3:-1] == [failed, problem]  # the problem as check wrote it (README)
    assert verify[-1].startswith(_said(language, "(gwiriwyd ", "(").split(BETWEEN)[0])
    anchor = _run(school, "audit", "anchor", code=1).stderr.splitlines()
    assert anchor[-1] == _said(
        language,
        "Ni ysgrifennwyd angor: byddai angor nawr yn gwarantu log sydd wedi'i ddifrodi.",
        "No anchor written: an anchor now would vouch for a damaged log.",
    )
    rotate = _run(school, "audit", "rotate-key", code=1).stderr.splitlines()
    assert rotate[-1] == _said(
        language,
        "Ni newidiwyd yr allwedd: rhaid i'r log basio'r gwiriad cyn iddo symud i allwedd newydd.",
        "The key was not changed: the log must verify before it moves to a new key.",
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_config_says_where_settings_are_kept_and_imports_warnings_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    school = _school(tmp_path / "school", language)
    yaml_file = school.home / "school.yaml"
    kept = _run(school, "config", "source", "web").stdout.splitlines()[-1]
    assert kept == _said(
        language,
        f"Caiff y gosodiadau eu cadw ar y tudalennau gwe; mae {yaml_file} yn allforiad ohonynt "
        "(mae `compliance-bot config import` yn llwytho copi wedi'i olygu).",
        f"Settings are kept in the web pages; {yaml_file} is an export of them "
        "(`compliance-bot config import` loads an edited copy).",
    )
    edited = tmp_path / "edited.yaml"
    data = yaml.safe_load(yaml_file.read_text(encoding="utf-8"))
    data["schools"][0]["dpo"] = "ghost@oak.example"  # named, but not in the directory
    edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = _run(school, "config", "import", str(edited))
    assert result.stdout.splitlines()[-1] == _said(
        language,
        f"{edited}: dilys; mae'r gosodiadau hyn bellach mewn grym.",
        f"{edited}: valid; these settings are now in force.",
    )
    assert result.stderr.splitlines()[-1] == (
        _said(language, "rhybudd:", "warning:")
        + " "
        + _said(
            language,
            "school roles: nid yw ghost@oak.example yn y cyfeiriadur",
            "school roles: ghost@oak.example is not in the directory",
        )
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_stopped_directory_sync_is_said_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    school = _school(tmp_path / "school", language)
    school.people = school.people[:1]  # four of five gone at once: the sync stops
    school.write()
    line = _run(school, "sweep", "--no-send", "--as-of", "2026-11-24", code=3).stderr
    assert "compliance-bot directory move --school oak" in line.splitlines()[-1]  # or moved
    assert line.splitlines()[-2] == _said(
        language,
        "stopiwyd: Oak Test School: byddai cysoniad y cyfeiriadur yn marcio 4 o'r 5 o bobl fel "
        "rhai sydd ar goll o'r cyfeiriadur, felly ni newidiwyd neb. Os ydynt wedi mynd go iawn: "
        "compliance-bot directory confirm-removals --school oak --as EICH-E-BOST",
        "stopped: Oak Test School: the directory sync would mark 4 of the 5 people as missing, "
        "so nobody was changed. If they really have gone: compliance-bot directory "
        "confirm-removals --school oak --as YOUR-EMAIL",
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_directorys_confirmations_are_said_in_the_schools_language(
    tmp_path: Path, language: str
) -> None:
    school = _school(tmp_path / "school", language)
    school.people = school.people[:1]
    school.write()
    _run(school, "sweep", "--no-send", "--as-of", "2026-11-24", code=3)
    who = ("--as", "head@oak.example")
    confirmed = _run(school, "directory", "confirm-removals", *who).stdout
    assert confirmed.startswith(
        _said(
            language,
            "Cadarnhawyd gan head@oak.example (cofnodwyd): caiff 4 o bobl eu marcio fel rhai "
            "sydd ar goll o'r cyfeiriadur yn yr archwiliad nesaf: ",
            "Confirmed by head@oak.example (recorded): 4 people will be marked as missing from the "
            "directory at the next sweep: ",
        ).split(BETWEEN)[0]
    )
    resync = _run(school, "directory", "resync", *who).stdout.splitlines()[-1]
    assert resync == _said(
        language,
        "Cofnodwyd ar gyfer Oak Test School gan head@oak.example: mae'r archwiliad nesaf yn "
        "darllen y cyfeiriadur cyfan eto.",
        "Recorded for Oak Test School by head@oak.example: the next sweep reads the whole "
        "directory again.",
    )
    unbound = _run(school, "directory", "unbind-signin", "head@oak.example", *who).stdout
    assert unbound.splitlines()[-1] == _said(
        language,
        "Nid yw Hana Head (head@oak.example) wedi'i gysylltu â chyfrif mewngofnodi: dim i'w wneud.",
        "Hana Head (head@oak.example) is not tied to a sign-in account: nothing to do.",
    )
    day = Dated(date(2026, 11, 6), "%-d %b %Y", "d MMM y")
    left = said_in(
        language,
        Msg(
            _LEAVER_CONFIRMED,
            day=day,
            name="Amy Able",
            email="amy@oak.example",
            who="head@oak.example",
        ),
    )
    assert left.startswith(
        _said(
            language,
            "Mae Amy Able (amy@oak.example) wedi gadael o 6 Tach 2026 (cadarnhawyd gan ",
            "Amy Able (amy@oak.example) has left as of 6 Nov 2026 (confirmed by ",
        ).split(BETWEEN)[0]
    )


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_a_failed_step_is_said_in_its_schools_language(
    language: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", ENV["COLUMNS"])
    failed = SchoolSweep(
        "oak",
        "Oak Test School",
        date(2026, 11, 23),
        failed=[StepFailed("duties", "OperationalError")],
    )
    with pytest.raises(typer.Exit):
        directory_errors([failed], {"oak": language})
    assert capsys.readouterr().err.splitlines() == [
        _said(
            language,
            "methodd cam: Oak Test School: duties (OperationalError); aeth y camau eraill yn eu "
            "blaen",
            "step failed: Oak Test School: duties (OperationalError); the other steps carried on",
        )
    ]


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_ctrl_c_is_stopped_in_the_language_the_command_read(
    swept: SchoolBuilder,
    language: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(_speaking(swept, language).home))
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", ENV["COMPLIANCE_BOT_SECRET_KEY"])
    monkeypatch.setenv("COLUMNS", ENV["COLUMNS"])

    @friendly
    def interrupted(read: bool) -> None:
        if read:
            context()
        raise KeyboardInterrupt

    for read, said in ((True, _said(language, "stopiwyd.", "stopped.")), (False, "stopped.")):
        with pytest.raises(typer.Exit):
            interrupted(read)  # before context() has read the school: English
        assert capsys.readouterr().err.splitlines()[-1] == said


_MARKUP = re.compile(r"\[/?[a-z ]*\]")


def _english_words(argument: ast.expr) -> list[str]:
    """The words a printed argument writes itself (rich markup left out; what a call returns,
    such as ``refusal(…)``, is the catalogue's or a value): none when it writes none."""
    if isinstance(argument, ast.Call):
        return []
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return (
            [argument.value] if re.search(r"[A-Za-z]{2,}", _MARKUP.sub("", argument.value)) else []
        )
    return [
        w
        for child in ast.iter_child_nodes(argument)
        if isinstance(child, ast.expr)
        for w in _english_words(child)
    ]
