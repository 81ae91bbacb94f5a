"""A newcomer with the staff list their MIS exports (BOM, CRLF, Arbor/SIMS-style headers, job
titles in the role column, an Excel serial date, a duplicate and a missing email), through the
real CLI: ``init --answers`` names each bad row's person (and nothing else: every post of the
export is in the built-in role table); with the rows left out it shows the role table and who
will owe what; after Start sending the first sweep opens duties for every staff member; a post
no table knows at a later sync is stored owing nothing, listed to map, and mapped once."""

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
    assert (
        f"staff.csv line {bad['bad email']} (Fiona MacLeod): Work Email is missing or not "
        "an email address"
    ) in said
    assert f"staff.csv line {bad['duplicate']} (Bob D'Arcy): email rob.darcy" in said
    assert f"leave_out: [{bad['bad email']}]" in said
    # every post is in the built-in role table: none is a problem, none is stored as it is
    assert "job_titles" not in said and "role table" not in said.replace("Role table", "")

    answers = mis_answers(inputs, leave_out=sorted(bad.values()))
    init = runner.invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert "designated safeguarding lead: Siobhán Ní Bhriain <siobhan.nibhriain@" in said.replace(
        "DSL", "designated safeguarding lead"
    )
    assert "Role table" in said and "Cleaner (1 person) → not asked for anything" in said
    assert "Posts to map" not in said
    mapped = [p for p in people if MIS_TITLES[p.title] == "staff"]
    assert (
        f"Safeguarding and child protection training: {len(mapped)} people "
        f"(e.g. Moira Campbell, Siobhán Ní Bhriain, Rob D'Arcy, …)"
    ) in said
    assert "WARNING" not in said
    school = load_config(home / "school.yaml").school()
    assert school.country == "england" and school.dsl == ["siobhan.nibhriain@glenview.example"]
    assert school.job_titles == {}  # the built-in table, not a copy of it

    store, owing, roles = first_sweep(runner, home, WIDE)
    # staff, and the chair of governors: governors' safeguarding training and, with the DSL,
    # the yearly filtering and monitoring review (the statutory year in the standard pack)
    assert owing == {p.email for p in mapped} | {"hamish.reid@glenview.example"}
    assert roles["hamish.reid@glenview.example"] == "governor"
    assert "isla.grant@glenview.example" not in roles  # a cleaner: stored, asked nothing
    assert not set(roles.values()) - {"staff", "governor"}  # no title stored as a role

    # a later sync with a post no table knows: stored, owing nothing, listed to map
    with (home / "directory.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("Kirsty,Young,,kirsty.young@glenview.example,Forest School Leader,,\r\n")
    later = runner.invoke(app, ["sweep", "--no-send"], env=WIDE)
    said = printed(later)
    assert later.exit_code == 0, later.output
    assert "Posts to map" in said and "'Forest School Leader': Kirsty Young" in said
    with store.session() as session:
        kirsty = session.scalar(
            select(Person).where(Person.email == "kirsty.young@glenview.example")
        )
        assert kirsty is not None and not kirsty.role_names
    for command in (["directory", "status"], ["status"], ["roles", "map"]):
        status = runner.invoke(app, command, env=WIDE)
        assert status.exit_code == 0, status.output
        said = printed(status)
        assert "'Forest School Leader': Kirsty Young" in said, command
        assert "compliance-bot roles map 'POST' ROLE" in said, command
    check = runner.invoke(app, ["check", "config"], env=WIDE)
    assert check.exit_code == 0, check.output  # a post to map never stops anything
    assert "post to map Kirsty Young <kirsty.young@glenview.example>" in printed(check)
    mapped_once = runner.invoke(app, ["roles", "map", "Forest School Leader", "staff"], env=WIDE)
    assert mapped_once.exit_code == 0, mapped_once.output
    assert load_config(home / "school.yaml").school().job_titles == {
        "Forest School Leader": "staff"
    }
    runner.invoke(app, ["sweep", "--no-send"], env=WIDE)
    with store.session() as session:
        kirsty = session.scalar(
            select(Person).where(Person.email == "kirsty.young@glenview.example")
        )
        assert kirsty is not None and kirsty.role_names == {"staff"}
    store.dispose()


def test_a_setup_where_nobody_owes_anything_is_a_loud_warning_everywhere(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs, _people, bad = mis_inputs(tmp_path, monkeypatch)
    runner = CliRunner()
    nobody = dict.fromkeys(MIS_TITLES, "governor")  # governors owe no staff training
    staff_only = [t.id for t in PACK]  # the statutory items ask governors and the DSL too
    answers = mis_answers(
        inputs, job_titles=nobody, leave_out=sorted(bad.values()), requirements=staff_only
    )
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
        (("school", "name"), "Glenview Primary School"),
        (("school", "country"), "scotland"),
        (("school", "independent"), False),
        (("platform",), "local"),
        (("base_url",), "http://127.0.0.1:8123"),
        (("directory",), str(inputs / "staff.csv")),
        (("leave_out",), sorted(bad.values())),
        (("people", "headteacher"), "moira.campbell@glenview.example"),
        (("people", "dsl"), ["siobhan.nibhriain@glenview.example"]),
        (("people", "deputy_dsl"), []),
        (("people", "admins"), []),
        (("terms",), {"ics": str(inputs / "not-a-calendar.ics")}),
        (("policies",), str(inputs / "policies")),
        (("policy_answers", "mobile-phones.md", "next_review"), "September 2027"),
        (("requirements",), ["training-safeguarding"]),
        (("settings_source",), "web"),
    ):
        progress.put(key, value)
    for title, role in MIS_TITLES.items():
        progress.put(("job_titles", title), role)
    for key in ("dpo", "clerk", "chair_of_governors"):
        progress.mark(("people", key))

    result = CliRunner().invoke(
        app, ["init", "--resume"], env=WIDE, input=f"y\n{inputs / 'term-dates.ics'}\n\n"
    )
    said = printed(result)
    assert result.exit_code == 0, result.output
    assert "1 problem to fix: terms.ics" in said
    assert "Term dates" in said and "Answer those questions again now" in said
    for asked_before in (
        "School name",
        "Nation",
        "Staff list",
        "Headteacher (name",
        "Policy folder (.docx",
        "Manage settings",
    ):
        assert asked_before not in said, asked_before
    assert load_config(Path(".compliance-bot/school.yaml")).school().country == "scotland"
