"""A newcomer with the staff list their MIS exports (BOM, CRLF, Arbor/SIMS-style headers, job
titles in the role column, an Excel serial date, a duplicate and a missing email), through the
real CLI: ``init --answers`` refuses the unmapped titles and names each bad row's person; with
the role table it shows who will owe what; after Start sending the first sweep opens duties for
every mapped person; a new title at a later sync is held back, named, never stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.models import Person
from bot.features.setup.pack import PACK
from tests.support.mis_export import MIS_TITLES
from tests.support.newcomer import first_sweep, mis_answers, mis_inputs, printed

WIDE = {"COLUMNS": "300"}


@pytest.mark.slow
def test_an_mis_export_goes_from_refused_to_duties_for_every_mapped_person(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs, people, bad = mis_inputs(tmp_path, monkeypatch)
    runner = CliRunner()
    home = tmp_path / ".compliance-bot"

    refused = runner.invoke(app, ["init", "--answers", str(mis_answers(inputs))], env=WIDE)
    said = printed(refused)
    assert refused.exit_code == 2, refused.output
    assert not (home / "school.yaml").exists()
    # each bad row names its line, its person and the file's own column
    assert (f"staff.csv line {bad['bad email']} (Fiona MacLeod): Work Email is missing or not "
            "an email address") in said
    assert f"staff.csv line {bad['duplicate']} (Bob D'Arcy): email rob.darcy" in said
    assert f"leave_out: [{bad['bad email']}]" in said
    # every title is refused until the school says what it means; never stored as it is
    for title in MIS_TITLES:
        assert f"job_titles: '{title}'" in said, title
    assert "'Class Teacher': staff} (suggested)" in said

    answers = mis_answers(inputs, job_titles=MIS_TITLES, leave_out=sorted(bad.values()))
    init = runner.invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert "designated safeguarding lead: Siobhán Ní Bhriain <siobhan.nibhriain@" in \
        said.replace("DSL", "designated safeguarding lead")
    assert "Role table" in said and "Cleaner (1 person) → not asked for anything" in said
    mapped = [p for p in people if MIS_TITLES[p.title] == "staff"]
    assert (f"Safeguarding and child protection training: {len(mapped)} people "
            f"(e.g. Moira Campbell, Siobhán Ní Bhriain, Rob D'Arcy, …)") in said
    assert "WARNING" not in said
    school = load_config(home / "school.yaml").school()
    assert school.country == "england" and school.dsl == ["siobhan.nibhriain@glenview.example"]
    assert school.job_titles["Cleaner"] == "none"

    store, owing, roles = first_sweep(runner, home, WIDE)
    # staff, and the chair of governors: governors' safeguarding training and, with the DSL,
    # the yearly filtering and monitoring review (the statutory year in the standard pack)
    assert owing == {p.email for p in mapped} | {"hamish.reid@glenview.example"}
    assert roles["hamish.reid@glenview.example"] == "governor"
    assert "isla.grant@glenview.example" not in roles  # a cleaner: stored, asked nothing
    assert not set(roles.values()) - {"staff", "governor"}  # no title stored as a role

    # a later sync with a title the table does not know: held back, named, not stored
    with (home / "directory.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("Kirsty,Young,,kirsty.young@glenview.example,Site Manager,,\r\n")
    later = runner.invoke(app, ["sweep", "--no-send"], env=WIDE)
    said = printed(later)
    assert later.exit_code == 0, later.output
    assert "Kirsty Young <kirsty.young@glenview.example>: held back" in said
    assert "'Site Manager'" in said
    with store.session() as session:
        assert session.scalar(select(Person.id).where(
            Person.email == "kirsty.young@glenview.example")) is None
    for command in (["directory", "status"], ["status"]):
        status = runner.invoke(app, command, env=WIDE)
        assert status.exit_code == 0, status.output
        said = printed(status)
        assert "Held back" in said and "'Site Manager': Kirsty Young" in said, command
        assert "Fix: add each title to the role table" in said
        assert "Nobody owes anything" not in said
    check = runner.invoke(app, ["check", "config"], env=WIDE)
    assert check.exit_code == 1
    assert "held back Kirsty Young <kirsty.young@glenview.example>" in printed(check)


def test_a_setup_where_nobody_owes_anything_is_a_loud_warning_everywhere(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs, _people, bad = mis_inputs(tmp_path, monkeypatch)
    runner = CliRunner()
    nobody = dict.fromkeys(MIS_TITLES, "governor")  # governors owe no staff training
    staff_only = [t.id for t in PACK]  # the statutory items ask governors and the DSL too
    answers = mis_answers(inputs, job_titles=nobody, leave_out=sorted(bad.values()),
                       requirements=staff_only)
    init = runner.invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    assert init.exit_code == 0, init.output
    said = printed(init)
    assert "Safeguarding and child protection training: nobody" in said
    assert "WARNING: nobody will be asked for anything" in said
    assert runner.invoke(app, ["sweep", "--no-send"], env=WIDE).exit_code == 0
    status = runner.invoke(app, ["status"], env=WIDE)
    assert "WARNING: Nobody owes anything" in printed(status)


def test_a_problem_at_the_end_asks_just_that_again_never_everything(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.features.setup.answers import Progress

    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs, _people, bad = mis_inputs(tmp_path, monkeypatch)
    (inputs / "not-a-calendar.ics").write_text("BEGIN:NOTHING\n", encoding="utf-8")
    progress = Progress(Progress.beside(Path(".compliance-bot")))
    for key, value in (
        (("school", "name"), "Glenview Primary School"), (("school", "country"), "scotland"),
        (("school", "independent"), False),
        (("platform",), "local"), (("base_url",), "http://127.0.0.1:8123"),
        (("directory",), str(inputs / "staff.csv")), (("leave_out",), sorted(bad.values())),
        (("people", "headteacher"), "moira.campbell@glenview.example"),
        (("people", "dsl"), ["siobhan.nibhriain@glenview.example"]), (("people", "deputy_dsl"), []),
        (("people", "admins"), []),
        (("terms",), {"ics": str(inputs / "not-a-calendar.ics")}),
        (("policies",), str(inputs / "policies")),
        (("policy_answers", "mobile-phones.md", "next_review"), "September 2027"),
        (("requirements",), ["training-safeguarding"]), (("settings_source",), "web"),
    ):
        progress.put(key, value)
    for title, role in MIS_TITLES.items():
        progress.put(("job_titles", title), role)
    for key in ("dpo", "clerk", "chair_of_governors"):
        progress.mark(("people", key))

    result = CliRunner().invoke(app, ["init", "--resume"], env=WIDE,
                                input=f"y\n{inputs / 'term-dates.ics'}\n\n")
    said = printed(result)
    assert result.exit_code == 0, result.output
    assert "1 problem to fix: terms.ics" in said
    assert "Term dates" in said and "Answer those questions again now" in said
    for asked_before in ("School name", "Nation", "Staff list", "Headteacher (name",
                         "Policy folder (.docx", "Manage settings"):
        assert asked_before not in said, asked_before
    assert load_config(Path(".compliance-bot/school.yaml")).school().country == "scotland"
