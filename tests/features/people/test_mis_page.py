"""The MIS page (``/admin/people/mis``) through the real app: the headteacher and admins see
the three lists (possible leavers named with why, the people with no account, the matched) and
why the last read failed; nobody else may open it, and every viewing is audited."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest
import time_machine

from bot.engine.mis import record_mis_error, sync_mis
from connectors.wonde.client import WondeClient
from connectors.wonde.connector import WondeMis
from tests.features.decisions.test_support import Env, make_env
from tests.support.fakes.wonde import FakeWonde
from tests.support.helpers import SchoolBuilder, at

MONDAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A school whose MIS was read once: Amy matched, Ben past his end date, a supply teacher
    with no account; the other accounts have no MIS record."""
    with time_machine.travel(at(MONDAY, 10), tick=False):
        made = make_env(SchoolBuilder(tmp_path_factory.mktemp("mis") / "school"), today=MONDAY)
        fake = FakeWonde()
        fake.add_employee("A1", "Amy", "Able", work_email="amy@oak.example", roles=("Teacher",))
        fake.add_employee(
            "A2",
            "Ben",
            "Brook",
            work_email="ben@oak.example",
            roles=("Teacher",),
            end=date(2026, 10, 23),
        )
        fake.add_employee("A3", "Sam", "Supply", roles=("Supply Teacher",), start=date(2026, 9, 1))
        mis = WondeMis(
            WondeClient(fake.school, fake.token, transport=fake.transport), now=lambda: fake.now
        )
        school = made.context.config.schools[0]
        with made.context.store.transaction() as session:
            report = sync_mis(session, school, mis, MONDAY)
        # the built-in role table knows every post: Sam is kept, as supply staff, no note
        assert report.people.notes == []
        yield made
    made.context.store.dispose()


def test_the_head_sees_the_three_lists_and_the_viewing_is_audited(env: Env) -> None:
    with time_machine.travel(at(MONDAY, 10), tick=False):
        page = env.client("head").get("/admin/people/mis")
    assert page.status_code == 200
    text = " ".join(html.unescape(page.text).split())
    assert "Possible leavers, still with an account (" in text
    assert (
        "ben@oak.example</td><td>The MIS gives 23 Oct 2026 as their last day: they keep "
        "their tasks until 7 days have passed, then leave."
    ) in text
    assert "gov@oak.example</td><td>No record in the MIS" in text
    assert "In the MIS with no account (1)" in text
    assert "<td>Sam Supply</td><td>Supply Teacher</td><td>01 Sep 2026</td>" in text
    assert "<td>Amy Able</td><td>amy@oak.example</td><td>email</td>" in text
    assert "A1" not in text.split("<main", 1)[-1].replace("A1930", "")  # no MIS ids shown
    assert env.audit("people.mis.viewed")


def test_a_failed_read_is_said_plainly(env: Env) -> None:
    with env.context.store.transaction() as session:
        record_mis_error(
            session,
            "oak",
            "Wonde refused access to school A1930499544 (403): "
            "the school has withdrawn its approval of the app in Wonde",
        )
    try:
        text = html.unescape(env.client("admin").get("/admin/people/mis").text)
        assert "The MIS could not be read at the last sweep" in text
        assert "withdrawn its approval of the app in Wonde" in text
        assert "Sam Supply" in text  # the last good read stands
    finally:
        with env.context.store.transaction() as session:
            record_mis_error(session, "oak", "")


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("staff", 403), ("dsl", 403), ("governor", 403), ("admin", 200)],
)
def test_only_the_headteacher_and_admins_open_it(env: Env, who: str | None, status: int) -> None:
    assert env.client(who).get("/admin/people/mis").status_code == status
