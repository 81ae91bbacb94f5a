"""``check config``, the platform checks' table around its rows, ``demo``, ``run``'s
start-up lines (serving, delivering the outbox, the notes) and a trust's own language, said in
the school's language: Welsh in ``cy``, Welsh first then English in ``cy+en``, English as main
printed it in ``en`` (the English lines below are main's). A trust whose schools all chose one
language speaks it (its refusals naming no school, the "Database: …" and "using …" lines);
one whose schools differ stays English. A scan fails on a printed line of these commands that
writes English words of its own.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pexpect
import pytest
import time_machine
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.cli.serve import served_settings
from bot.core.deployment.settings import Settings
from bot.core.language.i18n import BETWEEN
from tests.support.demo_school import IN_TERM, demo_school
from tests.support.helpers import TEST_SECRET, SchoolBuilder, at
from tests.support.speech import in_language
from tests.support.terminal import WAIT, spawn
from tools import teams_smoke

ROOT = Path(__file__).parents[2]
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET}
SATURDAY = date(2026, 11, 28)  # the demo runs as of the Friday before


def _said(language: str, welsh: str, english: str) -> str:
    return {"cy": welsh, "cy+en": f"{welsh}{BETWEEN}{english}", "en": english}[language]


def _run(home: Path, *args: str, code: int | None = 0) -> Result:
    result = CliRunner().invoke(app, list(args), env={**ENV, "COMPLIANCE_BOT_HOME": str(home)})
    assert code is None or result.exit_code == code, result.output
    return result


# --------------------------------------------------------------------------- check config


def _checked_school(home: Path, language: str) -> SchoolBuilder:
    """A Welsh school whose staff list has a column the bot does not read, a row repeating an
    address, a row with no address and a post its role table does not know."""
    school = SchoolBuilder(home)
    school.school.update(country="wales", language=language, job_titles={"Headteacher": "staff"})
    school.installed()
    header, *rows = (school.home / "directory.csv").read_text(encoding="utf-8").splitlines()
    (school.home / "directory.csv").write_text(
        "\n".join(
            [
                header + ",room",
                *(row + ",R1" for row in rows),
                "amy@oak.example,Amy Again,staff,All Staff,,,yes,,R2",
                "bad@,Bad Address,staff,All Staff,,,yes,,R2",
                "cara@oak.example,Cara Caretaker,,All Staff,,,yes,Forest School Leader,R3",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return school


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_check_config_says_its_lines_in_the_schools_language(tmp_path: Path, language: str) -> None:
    school = _checked_school(tmp_path / "school", language)
    result = _run(school.home, "check", "config", code=1)
    file = school.home / "school.yaml"
    assert result.stdout.splitlines() == [
        _said(language, f"{file}: dilys — 1 ysgol", f"{file}: valid — 1 school"),
        "  "
        + _said(
            language,
            "oak: 0 polisi, 0 gofyniad, 0 cyfrif swyddogol",
            "oak: 0 policies, 0 requirements, 0 official accounts",
        ),
        _said(language, "cyfeiriadur: gellir darllen 6 person", "directory: 6 people readable"),
    ]
    assert result.stderr.splitlines() == [
        _said(language, f"yn defnyddio {school.home} · {file}", f"using {school.home} · {file}"),
        _said(
            language,
            "heb ei ddarllen colofn 'room' yn rhestr y staff: nid yw'n cael ei darllen. Os oes "
            "rolau pellach ynddi, enwch hi'n 'Additional Role' (neu 'Role 2', 'Role 3'): "
            "darllenir pob colofn o'r fath drwy'r tabl rolau.",
            "not read the staff list's column 'room': it is not read. If one holds further "
            "roles, name it 'Additional Role' (or 'Role 2', 'Role 3'): each of those is read "
            "through the role table.",
        ),
        _said(
            language,
            "gwrthodwyd directory.csv llinell 7 (Amy Again): mae e-bost amy@oak.example eisoes "
            "ar linell 4",
            "rejected directory.csv line 7 (Amy Again): email amy@oak.example already on line 4",
        ),
        _said(
            language,
            "gwrthodwyd directory.csv llinell 8 (Bad Address): mae email ar goll neu nid yw'n "
            "gyfeiriad e-bost (cafwyd 'bad@')",
            "rejected directory.csv line 8 (Bad Address): email is missing or not an email "
            "address (got 'bad@')",
        ),
        _said(
            language,
            "swydd i'w mapio Cara Caretaker <cara@oak.example>: nid yw'r tabl rolau yn dweud "
            "beth mae 'Forest School Leader' yn ei roi, felly nid oes dim yn ddyledus ganddynt "
            "nes ei fod yn gwneud hynny (compliance-bot roles map)",
            "post to map Cara Caretaker <cara@oak.example>: the role table does not say what "
            "'Forest School Leader' gives, so they owe nothing until it does (compliance-bot "
            "roles map)",
        ),
    ]


def test_check_config_with_two_columns_not_read_says_them_in_the_plural(tmp_path: Path) -> None:
    school = SchoolBuilder(tmp_path / "school")
    school.school.update(country="wales", language="cy")
    school.installed()
    header, *rows = (school.home / "directory.csv").read_text(encoding="utf-8").splitlines()
    (school.home / "directory.csv").write_text(
        "\n".join([header + ",room,floor", *(row + ",R1,2" for row in rows)]) + "\n",
        encoding="utf-8",
    )
    assert (
        _run(school.home, "check", "config")
        .stderr.splitlines()[-1]
        .startswith(
            "heb ei ddarllen colofnau 'room', 'floor' yn rhestr y staff: nid ydynt yn cael eu "
            "darllen. "
        )
    )


# --------------------------------------------------------------------------- a trust's language


@pytest.mark.parametrize(("elm", "said_in"), [("cy", "cy"), ("cy+en", "en"), ("en", "en")])
def test_a_trust_whose_schools_share_a_language_speaks_it_on_the_lines_naming_no_school(
    tmp_path: Path, elm: str, said_in: str
) -> None:
    school = SchoolBuilder(tmp_path / "school")
    school.school.update(country="wales", language="cy")
    school.others = [
        {"id": "elm", "name": "Elm School", "headteacher": "head@oak.example", "language": elm}
    ]
    school.installed()
    refused = _run(school.home, "start-sending", code=2).stderr.splitlines()
    url = f"sqlite:///{school.home / 'compliance-bot.db'}"
    file = school.home / "school.yaml"
    assert refused == [
        _said(said_in, f"Cronfa ddata: {url}", f"Database: {url}"),
        _said(said_in, f"yn defnyddio {school.home} · {file}", f"using {school.home} · {file}"),
        _said(
            said_in,
            "gwall: mae gan yr ymddiriedolaeth hon sawl ysgol: dywedwch pa un gyda --school (oak "
            "ar gyfer Oak Test School, elm ar gyfer Elm School), neu --all ar gyfer pob ysgol.",
            "error: this trust has several schools: say which with --school (oak for Oak Test "
            "School, elm for Elm School), or --all for every school.",
        ),
    ]
    # --all by someone who is head of neither: the schools' one language, else English
    stranger = _run(school.home, "start-sending", "--all", "--as", "x@oak.example", code=2)
    assert stranger.stderr.splitlines()[-1].startswith(
        _said(said_in, "gwall: nid x@oak.example yw'r pennaeth", "error: x@oak.example is not")
    )


# --------------------------------------------------------------------------- platform checks


@pytest.fixture
def m365_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``check m365`` over the fake Graph (as tests/connectors/m365/test_check.py drives it)
    for a Welsh school whose ``language:`` each test sets."""
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    import connectors.m365.check as check_module
    from tests.support.fakes.graph import (
        CLIENT_ID,
        CLIENT_SECRET,
        SENDER,
        SITE_ID,
        TENANT_ID,
        WEBHOOK_URL,
        FakeGraph,
    )

    fake = FakeGraph()
    fake.seed_population()
    real = check_module.run_checks
    monkeypatch.setattr(
        check_module,
        "run_checks",
        lambda settings, **kw: real(settings, transport=fake.transport, **kw),
    )
    prefix = "COMPLIANCE_BOT_M365__"
    for name, value in {
        "COMPLIANCE_BOT_CONNECTOR": "m365",
        f"{prefix}TENANT_ID": TENANT_ID,
        f"{prefix}CLIENT_ID": CLIENT_ID,
        f"{prefix}CLIENT_SECRET": CLIENT_SECRET,
        f"{prefix}SENDER": SENDER,
        f"{prefix}SITE_ID": SITE_ID,
        f"{prefix}TEAMS_WEBHOOK_URL": WEBHOOK_URL,
        f"{prefix}ROLE_GROUPS": json.dumps({"Governors": "governor"}),
    }.items():
        monkeypatch.setenv(name, value)
    school = SchoolBuilder(tmp_path / "school")
    school.school["country"] = "wales"

    def run(language: str) -> tuple[Any, list[str]]:
        school.school["language"] = language
        school.write()
        return fake, _run(school.home, "check", "m365", code=None).stdout.splitlines()

    yield run


def test_the_platform_checks_table_is_framed_in_the_schools_language(m365_checks: Any) -> None:
    fake, lines = m365_checks("cy")
    assert lines[0].strip() == "Gwiriadau'r platfform"
    assert [c.strip() for c in lines[2].split("┃")[1:-1]] == ["Gwiriad", "Canlyniad", "Manylion"]
    assert sum("│ Iawn " in line for line in lines) == 15
    assert lines[-1] == "Llwyddodd pob un o'r 15 gwiriad."
    fake.granted.discard("GroupMember.Read.All")
    fake.send_scope = None
    _, lines = m365_checks("cy+en")
    assert lines[0].strip() == "Gwiriadau'r platfform / Platform checks"
    assert sum("ar goll / missing (" in line for line in lines) == 2
    assert "Methodd 2 o'r 12 gwiriad. / 2 of 12 checks failed." in lines
    assert "Sut i'w drwsio / How to fix" in lines


# --------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def welsh_home(tmp_path_factory: pytest.TempPathFactory) -> SchoolBuilder:
    school = SchoolBuilder(tmp_path_factory.mktemp("set-ac") / "school")
    school.school.update(country="wales", language="cy")
    school.installed()
    return school


def _once_it_catches(pid: int, signum: int) -> None:
    """Wait until process ``pid`` handles ``signum`` (Linux's /proc: its SigCgt mask): the
    dispatcher sets its handler after the line above is printed."""
    deadline = time.monotonic() + WAIT  # a bound for a busy machine, never a threshold
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
        caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) & (1 << (signum - 1)):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never handled signal {signum}")


def test_delivering_the_outbox_is_said_in_the_schools_language(welsh_home: SchoolBuilder) -> None:
    child, shown = spawn(["run", "--dispatch-only"], home=welsh_home.home)
    child.expect("Yn danfon y ciw anfon — Ctrl-C i stopio.")
    _once_it_catches(child.pid, signal.SIGTERM)
    child.kill(signal.SIGTERM)
    child.expect("Stopiwyd ar ôl anfon 0 o negeseuon.")
    child.expect(pexpect.EOF)
    assert "Delivering" not in shown.getvalue()


def test_serving_is_said_in_the_schools_language(welsh_home: SchoolBuilder) -> None:
    from tools.smoke import free_port

    welsh_home.school["language"] = "cy+en"
    welsh_home.write()
    port = free_port()
    try:
        child, shown = spawn(["run", "--web-only", "--port", str(port)], home=welsh_home.home)
        child.expect("Ctrl-C to stop")
        child.kill(signal.SIGTERM)
        child.expect(pexpect.EOF)
        # rich breaks a long line at the terminal's width: read it as one
        assert (
            f"Yn gweini ar http://127.0.0.1:{port} — Ctrl-C i stopio. / Serving on "
            f"http://127.0.0.1:{port} — Ctrl-C to stop."
        ) in " ".join(shown.getvalue().split())
    finally:
        welsh_home.school["language"] = "cy"
        welsh_home.write()


def test_the_note_on_links_is_said_in_the_schools_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    in_language("cy", lambda: served_settings(Settings(_env_file=None), "0.0.0.0", 8123))
    assert " ".join(capsys.readouterr().err.split()) == (
        "nodyn: mae'r dolenni mewn negeseuon e-bost yn pwyntio at http://127.0.0.1:8123; "
        "gosodwch COMPLIANCE_BOT_BASE_URL i'r cyfeiriad y mae staff yn ei ddefnyddio."
    )


# --------------------------------------------------------------------------- demo


def _demo_once(folder: Path) -> list[str]:
    """``demo --once`` in ``folder`` on the Saturday; its lines."""
    before = Path.cwd()
    os.chdir(folder)  # the demo is built in the folder the command runs in
    try:
        with time_machine.travel(at(SATURDAY, 10), tick=False):
            result = CliRunner().invoke(app, ["demo", "--once"], env={"COLUMNS": "1000"})
    finally:
        os.chdir(before)
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.output.splitlines()]


@pytest.fixture(scope="module")
def demo_in(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A copy of the session's demo school (tests/support/demo_school.py: built once, as the
    browser modules read it); ``demo_in(language)`` makes it a school of that language
    (``config import``, as its head would) and runs ``demo --once`` in its folder on the
    Saturday, as on an existing demo."""
    home = demo_school(tmp_path_factory, IN_TERM).home
    folder = home.parent

    def run(language: str) -> tuple[Path, list[str]]:
        out = folder / "school.yaml"
        _run(home, "config", "export", "--out", str(out))
        lines = [
            line
            for line in out.read_text(encoding="utf-8").splitlines()
            if not line.startswith("  language: ")
        ]
        at_country = lines.index("  country: england") + 1
        lines.insert(at_country, f"  language: {language}")
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _run(home, "config", "import", str(out), "--as", "arthur.farrow@oakfield.example")
        return home, _demo_once(folder)

    return run


@pytest.mark.parametrize("language", ["cy", "cy+en"])
def test_the_demo_says_its_lines_in_the_schools_language(demo_in: Any, language: str) -> None:
    home, lines = demo_in(language)
    url = f"sqlite:///{home / 'compliance-bot.db'}"
    assert lines[:3] == [
        _said(
            language,
            f"Yn defnyddio'r demo sy'n bodoli yn {home} (--fresh i'w greu o'r newydd)",
            f"Using the existing demo in {home} (--fresh to rebuild)",
        ),
        _said(language, f"Cronfa ddata: {url}", f"Database: {url}"),
        _said(
            language,
            "Nid yw heddiw (dydd Sadwrn 28 Tachwedd) yn ddiwrnod ysgol: dim ond ar ddiwrnodau "
            "ysgol y mae'r bot yn anfon e-bost, felly mae'r cylch hwn yn rhedeg ar gyfer dydd "
            "Gwener 27 Tachwedd 2026.",
            "Today (Saturday 28 November) is not a school day: the bot only emails on school "
            "days, so this cycle runs as of Friday 27 November 2026.",
        ),
    ]
    assert lines[-5:] == [
        _said(  # --once serves nothing: the line does not say it does
            language,
            "Y tudalennau gwe: nid ydynt yn cael eu gweini gyda --once; mae'r demo hebddo yn "
            "gweini http://127.0.0.1:8000",
            "Web UI: not served with --once; the demo without it serves http://127.0.0.1:8000",
        ),
        _said(
            language,
            "O'r ffolder hon, mae pob gorchymyn bellach yn gweithredu ar yr ysgol demo, e.e.",
            "From this folder, every command now acts on the demo school, e.g.",
        ),
        "  uv run compliance-bot duties --overdue",
        "  uv run compliance-bot status",
        "  uv run compliance-bot remind --dry-run",
    ]


# --------------------------------------------------------------------------- the smoke tests


def test_a_smoke_test_is_said_in_the_language_of_the_school_here(
    welsh_home: SchoolBuilder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # its demo is the fictional English school (here a copy of the session's, not built
    # again: tests/support/demo_school.py); its lines are the technician's
    folder = demo_school(tmp_path_factory, IN_TERM).home.parent
    result = CliRunner().invoke(  # the tool as the IT lead runs it (deploy/teams/smoke-test.md)
        teams_smoke.app,
        ["--folder", str(folder)],
        env={**ENV, "COMPLIANCE_BOT_HOME": str(welsh_home.home)},
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("        ")]
    assert lines[0] == "Yn creu'r ysgol demo ac yn gweini'r bot ar 127.0.0.1 …"
    assert lines[1].startswith("llwyddodd  mae ")
    assert lines[1].endswith(
        " yn gosod yr ap ac yn dweud helo: eu cerdyn o'r hyn sydd ei angen yw'r ateb"
    )
    assert lines[2:] == [
        "llwyddodd  mae'r cerdyn a agorwyd yn Teams yn dangos beth sydd ei angen ar yr ysgol",
        "llwyddodd  mae Cadarnhau yn cofnodi un cadarnhad ac mae'r cerdyn yn dweud hynny",
        "llwyddodd  o'i bwyso eto, ni chofnodir dim mwy",
        "llwyddodd  mae rhywun nad yw'r ysgol yn ei adnabod yn cael un llinell blaen",
        "llwyddodd  gwrthodir tocyn na lofnododd y cyhoeddwr erioed",
        "Llwyddodd pob un o'r 6 cam.",
    ]


# --------------------------------------------------------------------------- the scan

# the printed lines this set made the catalogue's, by file and function
SAID = {
    "tools/smoke.py": {"run_command"},
    "bot/cli/serve.py": {"demo", "_serve", "_serve_workers", "run", "served_settings"},
    "bot/cli/main.py": {"check_config"},
    "bot/cli/checks.py": {"print_checks"},
}
