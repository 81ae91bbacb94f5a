"""A newcomer on Microsoft 365 and on Google Workspace, whose accounts the MIS provisions (job
titles as the MIS has them), through the real CLI with the platform's settings exported: ``init
--answers`` sets the school up in one try (every title is in the built-in role table) and shows
who will owe what; after Start sending the first sweep opens duties for every staff member; a
post no table knows at a later sync is stored owing nothing and listed to map. The local mode's
journey is test_mis_newcomer.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.models import Person
from tests.support.mis_export import MIS_TITLES, MisPerson
from tests.support.newcomer import first_sweep, mis_answers, mis_inputs, printed
from tests.support.newcomer_tenants import google_domain, graph_tenant

WIDE = {"COLUMNS": "300"}
NEWCOMER = "kirsty.young@glenview.example"


def _m365(monkeypatch: pytest.MonkeyPatch, people: list[MisPerson], _folder: Path) -> Any:
    fake = graph_tenant(monkeypatch, people)

    def joins() -> None:
        fake.add_user(
            "u-new",
            "Kirsty Young",
            NEWCOMER,
            given_name="Kirsty",
            surname="Young",
            job_title="Forest School Leader",
        )

    return joins


def _google(monkeypatch: pytest.MonkeyPatch, people: list[MisPerson], folder: Path) -> Any:
    fake = google_domain(monkeypatch, people, folder)

    def joins() -> None:
        fake.add_user(NEWCOMER, "Kirsty Young", title="Forest School Leader", org_unit="/Staff")

    return joins


PLATFORMS: dict[str, Callable[..., Any]] = {"m365": _m365, "google": _google}


@pytest.mark.slow
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_platform_school_is_set_up_in_one_try_and_a_new_post_is_listed_to_map(
    platform: str, tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs, people, _bad = mis_inputs(tmp_path, monkeypatch)
    joins = PLATFORMS[platform](monkeypatch, people, tmp_path)
    runner = CliRunner()
    home = tmp_path / ".compliance-bot"

    answers = mis_answers(inputs, platform=platform, directory=None)
    init = runner.invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert (
        "Directory: the Microsoft 365 directory" in said
        or "Directory: the Google Workspace directory" in said
    )
    assert "Year 6" not in said  # a pupil (Google: outside the staff user query)
    assert "Siobhán Ní Bhriain <siobhan.nibhriain@glenview.example>" in said
    assert "Cleaner (1 person) → not asked for anything" in said
    mapped = [p for p in people if MIS_TITLES[p.title] == "staff"]
    assert f"Safeguarding and child protection training: {len(mapped)} people (e.g. " in said
    assert "WARNING" not in said and "Posts to map" not in said
    school = load_config(home / "school.yaml").school()
    assert school.job_titles == {}

    store, owing, roles = first_sweep(runner, home, WIDE)
    assert owing == {p.email for p in mapped} | {"hamish.reid@glenview.example"}
    assert roles["hamish.reid@glenview.example"] == "governor"
    assert "isla.grant@glenview.example" not in roles  # a cleaner: asked nothing
    assert not set(roles.values()) - {"staff", "governor"}  # no title stored as a role

    # a later sync with a post no table knows: stored, owing nothing, listed to map
    joins()
    later = runner.invoke(app, ["sweep", "--no-send"], env=WIDE)
    said = printed(later)
    assert later.exit_code == 0, later.output
    assert "Posts to map" in said and "'Forest School Leader': Kirsty Young" in said
    with store.session() as session:
        kirsty = session.scalar(select(Person).where(Person.email == NEWCOMER))
        assert kirsty is not None and not kirsty.role_names
    status = runner.invoke(app, ["directory", "status"], env=WIDE)
    assert "'Forest School Leader': Kirsty Young" in printed(status)
    store.dispose()


def test_before_the_platform_can_be_read_setup_says_who_owes_what_is_not_known_yet(
    tmp_path: Path, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual order on a platform (init, then the guide's settings): no 'nobody' guessed."""
    frozen_clock.at(date(2026, 9, 14), 8, 45, tick=True)
    inputs, people, _bad = mis_inputs(tmp_path, monkeypatch)
    by_email = {"headteacher": people[0].email, "dsl": [people[1].email]}
    answers = mis_answers(inputs, platform="m365", directory=None, people=by_email)
    init = CliRunner().invoke(app, ["init", "--answers", str(answers)], env=WIDE)
    said = printed(init)
    assert init.exit_code == 0, init.output
    assert "Directory: the Microsoft 365 directory is read once `compliance-bot check m365`" in said
    assert "Who will owe what: not known yet" in said
    assert "compliance-bot remind --dry-run names everyone asked" in said
    assert ": nobody" not in said and "WARNING" not in said
