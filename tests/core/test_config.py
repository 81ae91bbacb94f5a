"""The school configuration: valid files load; invalid ones give one actionable line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import ConfigError, load_config
from tests.support.helpers import SchoolBuilder


def test_valid_config_loads(school: SchoolBuilder) -> None:
    school.policy("online-safety", "1.0")
    school.staff_acknowledge()
    config = load_config(school.write() / "school.yaml")
    assert config.school().requirements[0].policy == "online-safety"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: h@x.org\n"
            "    requirments: []\n",
            "line 6: schools[0].requirments: unknown key",
        ),
        (
            "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: h@x.org\n"
            "    requirements:\n      - {id: r1, kind: acknowledge, policy: p}\n",
            "line 7: schools[0].requirements[0].kind: Input should be",
        ),
        (
            "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: nobody\n",
            "line 5: schools[0].headteacher: not an email address: "
            "An email address must have an @-sign",
        ),
        (
            "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n",
            "schools[0].headteacher: required key is missing",
        ),
        ("organisation: {name: X}\nschools: [\n", "not valid YAML"),
        (
            "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: h@x.org\n"
            "    requirements:\n      - {id: r1, kind: complete_training}\n",
            "needs 'course: <course name>'",
        ),
        (
            "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: h@x.org\n"
            "    requirements:\n      - {id: r1, kind: acknowledge_policy, policy: nope}\n",
            "names unknown policy 'nope'",
        ),
    ],
)
def test_invalid_config_names_file_line_and_key(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_cli_reports_bad_config_in_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "school.yaml").write_text("organisation: {name: X}\nschools: 3\n", encoding="utf-8")
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(home))
    result = CliRunner().invoke(app, ["check", "config"], env={"COLUMNS": "400"})
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("using ")  # which data it acts on, first
    assert len(lines) == 2 and lines[1].startswith("error:")
    assert "school.yaml" in lines[1] and "Traceback" not in result.output


def test_missing_config_points_to_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(tmp_path / "nothing"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert "no school is set up here" in result.output and "compliance-bot demo" in result.output


def test_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_BOT_CONNECTOR", "exchange")
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert "COMPLIANCE_BOT_CONNECTOR" in result.output


def test_school_calendar(school: SchoolBuilder) -> None:
    from datetime import date

    school.school["terms"] = [{"name": "Autumn 2", "start": "2026-11-02", "end": "2026-12-18"}]
    school.school["inset_days"] = ["2026-11-30"]
    cfg = load_config(school.write() / "school.yaml").school()
    assert cfg.is_school_day(date(2026, 11, 27))  # Friday
    assert not cfg.is_school_day(date(2026, 11, 28))  # Saturday
    assert not cfg.is_school_day(date(2026, 11, 30))  # INSET
    assert cfg.next_school_day(date(2026, 11, 28)) == date(2026, 12, 1)
    assert not cfg.is_school_day(date(2026, 12, 21))  # holidays
    assert cfg.add_school_days(date(2026, 11, 27), 1) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{'All Staff': 'staff'}", "COMPLIANCE_BOT_M365__ROLE_GROUPS: not valid JSON"),
        ('{"All Staff": "staf"}', "COMPLIANCE_BOT_M365__ROLE_GROUPS__ALL STAFF: Input should be"),
    ],
)
def test_bad_role_groups_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("COMPLIANCE_BOT_M365__ROLE_GROUPS", value)
    result = CliRunner().invoke(app, ["check", "m365"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith(f"error: {expected}")


DIRECTORY_BASE = (
    "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: h@x.org\n"
    "    directory:\n"
)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "      leaver_grace_days: -1\n",
            "line 7: schools[0].directory.leaver_grace_days: leaver_grace_days must be a whole "
            "number of days from 0 to 365 (got -1;",
        ),
        (
            "      leaver_grace_days: a week\n",
            "schools[0].directory.leaver_grace_days: leaver_grace_days must be a whole number",
        ),
        (
            "      max_removal_share: 10\n",
            "line 7: schools[0].directory.max_removal_share: max_removal_share must be a share "
            "above 0 and at most 1, e.g. 0.10 or '10%' (got 10)",
        ),
        ("      max_removal_share: 0\n", "max_removal_share must be a share above 0"),
        ("      leaver_days: 7\n", "line 7: schools[0].directory.leaver_days: unknown key"),
    ],
)
def test_bad_directory_rules_name_the_line_and_key(
    tmp_path: Path, lines: str, expected: str
) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(DIRECTORY_BASE + lines, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_directory_rules_default_and_accept_a_percentage(tmp_path: Path) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(DIRECTORY_BASE.removesuffix("    directory:\n"), encoding="utf-8")
    rules = load_config(path).school().directory
    assert (rules.leaver_grace_days, rules.max_removal_share) == (7, 0.10)
    path.write_text(
        DIRECTORY_BASE + "      leaver_grace_days: 14\n      max_removal_share: '25%'\n",
        encoding="utf-8",
    )
    rules = load_config(path).school().directory
    assert (rules.leaver_grace_days, rules.max_removal_share) == (14, 0.25)


_WINDOW = (
    "organisation: {name: X}\nschools:\n  - id: a\n    name: A\n    headteacher: h@x.org\n    "
    "sending_window:\n      start: {start}\n      end: {end}\n"
)


@pytest.mark.parametrize("end", ["16:30", "'16:30'", '"16:30"', "16:30:00"])
def test_a_time_reads_as_written_with_or_without_quotes(tmp_path: Path, end: str) -> None:
    from datetime import time

    path = tmp_path / "school.yaml"
    path.write_text(_WINDOW.replace("{start}", "08:00").replace("{end}", end), encoding="utf-8")
    window = load_config(path).school().sending_window
    assert (window.start, window.end) == (time(8, 0), time(16, 30))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            "16:30",
            "08:00",
            "line 6: schools[0].sending_window: the sending window ends (08:00) "
            "before it starts (16:30)",
        ),
        ("08:00", "08:00", "ends (08:00) before it starts (08:00)"),
        ("08:00", "25:00", "line 8: schools[0].sending_window.end: Input should be"),
        ("08:00", "1630", "line 8: schools[0].sending_window.end: write the time as 16:30"),
    ],
)
def test_an_impossible_window_is_refused(
    tmp_path: Path, start: str, end: str, expected: str
) -> None:
    path = tmp_path / "school.yaml"
    path.write_text(_WINDOW.replace("{start}", start).replace("{end}", end), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d") as info:
        load_config(path)
    assert expected in str(info.value)


def test_every_error_is_reported_at_once_each_on_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "school.yaml").write_text(
        "organisation: {name: X}\n"  # 1
        "schools:\n"  # 2
        "  - id: a\n"  # 3
        "    name: A\n"  # 4
        "    headteacher: h@x.org\n"  # 5
        "    sending_windw:\n"  # 6
        "      start: 08:00\n"  # 7
        "    official_accounts:\n"  # 8
        "      - id: fb\n"  # 9
        "        nme: Facebook page\n"  # 10
        "    requirements:\n"  # 11
        "      - id: r1\n"  # 12
        "        kind: acknowledge\n"  # 13
        "        policy: p\n",  # 14
        encoding="utf-8",
    )
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(home))
    result = CliRunner().invoke(app, ["check", "config"], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if "school.yaml line" in x]
    assert [x.split("school.yaml ")[1].split(":")[0] for x in lines] == [
        "line 6",
        "line 9",
        "line 9",
        "line 10",
        "line 13",
    ]
    assert "5 problems, each to fix" in result.output
    said = "\n".join(lines)
    assert "line 6: schools[0].sending_windw: unknown key" in said
    assert "line 9: schools[0].official_accounts[0].name: required key is missing" in said
    assert "line 10: schools[0].official_accounts[0].nme: unknown key" in said
    assert "line 13: schools[0].requirements[0].kind: Input should be" in said


def test_commands_in_a_folder_with_no_school_say_so_and_create_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["duties", "--overdue"], ["status"], ["audit", "verify"], ["outbox"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert "no school is set up here" in result.output
        assert "compliance-bot demo" in result.output
    assert list(tmp_path.iterdir()) == []
