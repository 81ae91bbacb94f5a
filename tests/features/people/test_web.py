"""The people register page through the real app on SQLite and PostgreSQL: an admin adds a
volunteer who owes their training at once, changes them, marks them as left (tasks closed now)
and back (tasks reopened); bad boxes are named (422) and nothing is stored; an address the
directory lists is the directory's and the page says so; only the headteacher and admins may
open it, and every viewing and change is audited."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.models import Duty, ExtraPerson, Person
from tests.features.decisions.test_support import Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at

MONDAY = date(2026, 11, 23)
VAL = "val@home.example"
TRAINING = {
    "id": "safeguarding",
    "kind": "complete_training",
    "course": "Safeguarding",
    "audience": {"roles": ["staff", "volunteer", "supply"]},
}


@pytest.fixture
def moment() -> Any:
    with time_machine.travel(at(MONDAY, 10), tick=False):
        yield


def _env(school: SchoolBuilder, database_url: str | None = None) -> Env:
    return make_env(school, database_url, today=MONDAY, requirements=[TRAINING])


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    token = csrf_of(client.get("/admin/people/new").text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _person(env: Env, email: str) -> tuple[bool, str, set[str], dict[str, int]]:
    """(active, source, roles, duties by status)."""
    with env.context.store.session() as session:
        person = session.scalar(select(Person).where(Person.email == email))
        assert person is not None, email
        duties = {
            status: n
            for status, n in session.execute(
                select(Duty.status, func.count())
                .where(Duty.person_id == person.id)
                .group_by(Duty.status)
            )
        }
        return person.active, person.source, person.role_names, duties


def test_an_admin_adds_changes_marks_left_and_back_applied_at_once(
    school: SchoolBuilder, database_url: str, moment: None
) -> None:
    env = _env(school, database_url)
    try:
        admin = env.client("admin")
        page = admin.get("/admin/people")
        assert page.status_code == 200 and "Nobody yet." in page.text
        response = _post(
            admin,
            "/admin/people/new",
            {
                "name": "Val  Volunteer",
                "email": "Val@Home.example",
                "roles": ["volunteer"],
                "job_title": "Reading volunteer",
                "start_date": "01/12/2026",
            },
        )
        assert response.status_code == 303
        page = admin.get(response.headers["location"])
        assert (
            "Saved: Val Volunteer is in the bot now, as volunteer, with 1 task to do." in page.text
        )
        assert _person(env, VAL) == (True, "register", {"volunteer"}, {"open": 1})
        entry_id = int(response.headers["location"].rsplit("=", 1)[1])
        response = _post(
            admin,
            f"/admin/people/{entry_id}",
            {"name": "Val Volunteer", "email": VAL, "roles": ["supply", "volunteer"]},
        )
        assert response.status_code == 303
        assert _person(env, VAL)[2] == {"supply", "volunteer"}
        assert _post(admin, f"/admin/people/{entry_id}/left", {}).status_code == 303
        assert _person(env, VAL) == (False, "register", {"supply", "volunteer"}, {"left": 1})
        page = admin.get(f"/admin/people?saved={entry_id}")
        assert "Val Volunteer is marked as left; their open tasks are closed." in page.text
        assert "Left on 23 Nov 2026" in page.text
        assert _post(admin, f"/admin/people/{entry_id}/left", {}).status_code == 409
        assert _post(admin, f"/admin/people/{entry_id}/back", {}).status_code == 303
        assert _person(env, VAL) == (True, "register", {"supply", "volunteer"}, {"open": 1})
        actions = [e.action for e in env.audit("people.register")]
        assert actions.count("people.register.viewed") == 3
        assert [a for a in actions if a != "people.register.viewed"] == [
            "people.register.added",
            "people.register.changed",
            "people.register.left",
            "people.register.back",
        ]
        assert env.audit("people.register.changed")[0].details == {
            "fields": ["job_title", "roles", "start_date"]
        }
    finally:
        env.context.store.dispose()


def test_bad_boxes_are_named_and_nothing_is_stored(school: SchoolBuilder, moment: None) -> None:
    env = _env(school)
    try:
        admin = env.client("admin")
        response = _post(
            admin,
            "/admin/people/new",
            {
                "name": " ",
                "email": "not-an-address",
                "roles": ["dsl"],
                "start_date": "31/02/2026",
                "manager_email": "boss",
            },
        )
        assert response.status_code == 422
        for message in (
            "Enter their full name",
            "Enter their email address",
            "Choose at least one of: staff, governor, safeguarding governor, "
            "volunteer, supply staff",
            "Enter the start date like 2026-09-01 or 01/09/2026",
            "Enter the email address of who they report to",
        ):
            assert message in response.text
        _post(admin, "/admin/people/new", {"name": "Val", "email": VAL, "roles": "volunteer"})
        response = _post(
            admin, "/admin/people/new", {"name": "Val Again", "email": VAL, "roles": "supply"}
        )
        assert response.status_code == 409
        assert f"{VAL} is already on the register (Val)." in response.text
        assert _post(admin, "/admin/people/999/left", {}).status_code == 404
        with env.context.store.session() as session:
            assert session.scalar(select(func.count()).select_from(ExtraPerson)) == 1
    finally:
        env.context.store.dispose()


def test_an_address_in_the_directory_stays_the_directorys_and_the_page_says_so(
    school: SchoolBuilder, moment: None
) -> None:
    env = _env(school)
    try:
        admin = env.client("admin")
        response = _post(
            admin,
            "/admin/people/new",
            {"name": "Gail at home", "email": "gov@oak.example", "roles": "volunteer"},
        )
        page = html.unescape(admin.get(response.headers["location"]).text)
        assert (
            "Saved. gov@oak.example is in the school's directory, so the directory's "
            "details and roles are used while it lists them" in page
        )
        assert "In the school's directory: the directory's details" in page
        assert _person(env, "gov@oak.example")[:3] == (True, "directory", {"governor"})
    finally:
        env.context.store.dispose()


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("staff", 403), ("governor", 403), ("dsl", 403), ("head", 200), ("admin", 200)],
)
def test_only_the_headteacher_and_admins_open_it(
    school: SchoolBuilder, who: str | None, status: int
) -> None:
    env = _env(school)
    try:
        assert env.client(who).get("/admin/people").status_code == status
    finally:
        env.context.store.dispose()


def test_a_post_without_the_form_token_is_refused(school: SchoolBuilder) -> None:
    env = _env(school)
    try:
        response = env.client("admin").post(
            "/admin/people/new", data={"name": "Val", "email": VAL, "roles": "volunteer"}
        )
        assert response.status_code == 403
    finally:
        env.context.store.dispose()
