"""A trust by ``init`` (#77 item 4), through the real CLI from an empty folder, as
docs/trust.md's "For a
trust" walks it: three schools (England; Wales in Welsh and English; an independent school),
each its own staff list, policy folder and calendar. The first ``init`` sets up the install;
each later one adds its school: only its own answers read, its entry after the others' (theirs
as they were), its policies in a folder of its own, its people in the trust's one staff list
under its id, in preview; an id already present is refused, saying how to change that school;
the trust's IT lead needs no school post; and ``check config`` then reads three schools."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.config import store as config_store
from bot.core.database.store import Store
from bot.core.deployment import setup_state
from bot.core.models import Person
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar

WIDE = {"COLUMNS": "300"}
SCHOOLS = (  # id, name, nation, language, domain, independent
    ("hillside", "Hillside Primary School", "england", "en", "hillside.example", False),
    ("bro-derw", "Ysgol Bro Derw", "wales", "cy+en", "broderw.example", False),
    ("st-aldhelms", "St Aldhelm's School", "england", "en", "staldhelms.example", True),
)
IT_LEAD = "it.lead@valetrust.example"


def _inputs(
    folder: Path, sid: str, name: str, country: str, language: str, domain: str, independent: bool
) -> Path:
    """A school's own files, and its answers (the first school's name the trust and its IT
    lead, who is on its staff list with a job title no school's role table knows)."""
    folder.mkdir(parents=True)
    rows = staff_csv(folder / "staff.csv")
    text = (folder / "staff.csv").read_text(encoding="utf-8").replace("hillside.example", domain)
    if sid == "hillside":
        text += f"{IT_LEAD},Ivo Lead,Trust IT Lead,,\n"
    (folder / "staff.csv").write_text(text, encoding="utf-8")
    rows = [{k: v.replace("hillside.example", domain) for k, v in r.items()} for r in rows]
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    school: dict[str, Any] = {"name": name, "country": country, "id": sid}
    if language != "en":
        school["language"] = language
    if independent:
        school["independent"] = True
    extra: dict[str, Any] = (
        {"organisation": "Vale Learning Trust", "trust_admins": [IT_LEAD]}
        if sid == "hillside"
        else {}
    )
    return answers_file(folder / "answers.yaml", rows, school=school, **extra)


def _init(answers: Path) -> Any:
    return CliRunner().invoke(app, ["init", "--answers", str(answers)], env=WIDE)


@pytest.mark.slow
def test_three_inits_from_an_empty_folder_make_one_install_of_three_schools(
    tmp_path: Path, frozen_clock: Any
) -> None:
    from datetime import date

    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    answers = [_inputs(tmp_path / "inputs" / s[0], *s) for s in SCHOOLS]
    home = tmp_path / ".compliance-bot"
    entries: list[dict[str, Any]] = []
    for number, path in enumerate(answers, start=1):
        result = _init(path)
        assert result.exit_code == 0, result.output
        written = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))
        assert written["schools"][: number - 1] == entries  # the others as they were
        entries = written["schools"]
        assert [s["id"] for s in entries] == [s[0] for s in SCHOOLS[:number]]
        if number > 1:
            said = " ".join(result.output.split())
            assert f"({number} now), in preview" in said
            assert f"start-sending --school {SCHOOLS[number - 1][0]}" in said

    config = load_config(home / "school.yaml")
    assert config.organisation.trust_admins == [IT_LEAD]
    hill, bro, st = (config.school(s[0]) for s in SCHOOLS)
    assert (bro.language, bro.country, st.independent, hill.independent) == (
        "cy+en",
        "wales",
        True,
        False,
    )
    assert {Path(str(p.document)).parent.name for p in bro.policies} == {"bro-derw"}
    assert {Path(str(p.document)).parent.name for p in hill.policies} == {"policies"}
    with (home / "directory.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert Counter(r["school"] for r in rows) == {"hillside": 61, "bro-derw": 60, "st-aldhelms": 60}
    assert {r["email"].rsplit("@", 1)[1] for r in rows if r["school"] == "bro-derw"} == {
        "broderw.example"
    }

    store = Store(f"sqlite:///{(home / 'compliance-bot.db').resolve()}")
    with store.session() as session:
        assert not any(setup_state.is_sending(session, s[0]) for s in SCHOOLS)  # each preview
        people = Counter(session.scalars(select(Person.school_id)))
        ivo = session.scalars(select(Person).where(Person.email == IT_LEAD)).one()
        assert "trust_admin" in ivo.role_names  # no school post asked of the IT lead
        saved = config_store.latest(session)
        assert saved is not None and len(yaml.safe_load(saved.document)["schools"]) == 3
    assert people == {"hillside": 61, "bro-derw": 60, "st-aldhelms": 60}
    store.dispose()

    before = (home / "school.yaml").read_bytes()
    again = _init(answers[0])  # hillside's id is taken
    assert again.exit_code == 2
    said = " ".join(again.output.split())
    assert "a school with the id hillside is set up already (Hillside Primary School)" in said
    assert "edit its entry in school.yaml and run `compliance-bot check config`" in said
    assert (home / "school.yaml").read_bytes() == before

    check = CliRunner().invoke(app, ["check", "config"], env=WIDE)
    assert check.exit_code == 0 and "valid — 3 schools" in check.output


def test_a_folder_that_is_not_the_installs_home_is_told_where_it_is(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    first = _inputs(tmp_path / "inputs" / "hillside", *SCHOOLS[0])
    assert _init(first).exit_code == 0
    database = f"sqlite:///{(tmp_path / '.compliance-bot' / 'compliance-bot.db').resolve()}"
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", database)
    second = _inputs(tmp_path / "inputs" / "bro-derw", *SCHOOLS[1])
    refused = _init(second)
    assert refused.exit_code == 2
    assert "set COMPLIANCE_BOT_HOME to the install's folder" in " ".join(refused.output.split())
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(tmp_path / ".compliance-bot"))
    added = _init(second)
    assert added.exit_code == 0, added.output
    assert not (other / ".env").exists()  # the install's settings stand
    config = load_config(tmp_path / ".compliance-bot" / "school.yaml")
    assert [s.id for s in config.schools] == ["hillside", "bro-derw"]


@pytest.mark.slow
def test_a_school_is_added_at_the_terminal_asked_only_its_own_questions(tmp_path: Path) -> None:
    """The second school answered at a real terminal (pexpect): its id asked (the taken one
    refused, saying how to change that school), never the platform, web address or where the
    settings are kept; the first school's entry as it was."""
    import pexpect

    from tests.support.mis_export import mis_export
    from tests.support.terminal import answer, asked, spawn

    school = tmp_path / "trust"
    school.mkdir()
    first = _inputs(tmp_path / "inputs" / "hillside", *SCHOOLS[0])
    done = CliRunner().invoke(
        app,
        ["init", "--answers", str(first), "--as-of", "2026-09-14"],
        env=WIDE,
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.output
    (tmp_path / ".env").rename(school / ".env")
    (tmp_path / ".compliance-bot").rename(school / ".compliance-bot")
    env_text = (school / ".env").read_text(encoding="utf-8")
    (school / ".env").write_text(
        env_text.replace(str(tmp_path / ".compliance-bot"), str(school / ".compliance-bot")),
        encoding="utf-8",
    )
    before = yaml.safe_load((school / ".compliance-bot" / "school.yaml").read_text())["schools"]
    inputs = tmp_path / "glenview"
    inputs.mkdir()
    mis_export(inputs / "staff.csv")
    from tests.support.newcomer import policy_folder as folder
    from tests.support.newcomer import term_calendar as calendar

    folder(inputs / "policies")
    calendar(inputs / "term-dates.ics")
    child, shown = spawn(["init", "--as-of", "2026-09-14"], cwd=school)
    answer(child, "School name", "Glenview Primary School")
    answer(child, "Nation", "Scotland")
    answer(child, "Is it an independent school", "")
    answer(child, "A short id for the school", "hillside")  # taken: refused, asked again
    child.expect("a school with the id hillside is set up already")
    answer(child, "A short id for the school", "glenview")
    answer(child, "Staff list", str(inputs / "staff.csv"))
    answer(child, "leave these rows out", "leave-out")
    for _ in range(6):  # the role table: each common title's suggestion, confirmed
        answer(child, "→.*\\[(staff|none|governor)\\]", "")
    answer(child, "Headteacher \\(name or email\\)", "moira campbell")
    answer(child, "Child Protection Coordinator", "Siobhan")
    answer(child, "Child Protection Coordinator", "")
    answer(child, "Depute Child Protection Coordinator", "")
    answer(child, "Data protection officer", "elspeth")
    answer(child, "Clerk to the board", "")
    answer(child, "Chair of the board", "HAMISH REID")
    answer(child, "Who runs the bot day to day", "moira campbell")
    answer(child, "Who runs the bot day to day", "")
    answer(child, "Term dates", str(inputs / "term-dates.ics"))
    answer(child, "Policy folder", str(inputs / "policies"))
    answer(child, "mobile-phones.md", "September 2027")
    while child.expect([asked("\\? \\[Y/n\\]"), "Who will owe what"]) == 0:
        child.sendline("")  # every template of the pack
    answer(child, "Save this setup \\(preview begins\\)\\?", "")
    child.expect("joins the install's other schools \\(2 now\\), in preview")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    said = shown.getvalue()
    for never in ("Where do staff", "Web address", "Manage settings"):
        assert never not in said, never
    written = yaml.safe_load((school / ".compliance-bot" / "school.yaml").read_text())
    assert written["schools"][0] == before[0]
    assert written["schools"][1]["id"] == "glenview"
    assert written["schools"][1]["country"] == "scotland"
