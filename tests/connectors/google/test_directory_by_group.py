"""Google by role group: a primary with its staff at the root `/` (and `/Staff/Support`) and
its pupils in `/Pupils/Year 7` and `/Pupils/Year 8/Set A`, the common Workspace for Education
layout that no Admin SDK user query can split (no OR, no NOT). Through the documented settings
(``ALL_USERS=false`` with ``ROLE_GROUPS`` naming an all-staff group) the 29 staff are read and
stored, and no pupil's account is ever read, let alone stored."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from sqlalchemy import func, select

from bot.core.deployment.settings import Settings
from bot.core.models import Person
from bot.core.ports import PermanentError
from bot.engine.directory import sync_directory
from tests.support.fakes.google import FakeGoogle, no_real_http, service_account_info  # noqa: F401
from tests.support.helpers import SchoolBuilder

pytestmark = pytest.mark.usefixtures("no_real_http")

DOMAIN = "stcolmans.example"
ADMIN = f"it.admin@{DOMAIN}"
SENDER = f"compliance-bot@{DOMAIN}"
ALL_STAFF = f"all-staff@{DOMAIN}"
SUPPORT = f"support-staff@{DOMAIN}"
DSL = f"safeguarding@{DOMAIN}"
TEACHERS = [f"teacher{i:02d}@{DOMAIN}" for i in range(21)]  # at the root, as created
SUPPORT_STAFF = [f"support{i:02d}@{DOMAIN}" for i in range(8)]  # in /Staff/Support
PUPILS = [f"pupil{i:02d}@{DOMAIN}" for i in range(55)]
MONDAY = date(2026, 11, 2)
BATCH = "batch"


def _layout() -> FakeGoogle:
    fake = FakeGoogle()
    fake.add_user(ADMIN, "IT Admin", admin=True)  # at the root, not in any role group
    fake.add_user(SENDER, "Compliance Bot")
    for i, address in enumerate(TEACHERS):
        fake.add_user(address, f"Teacher Number{i:02d}", title="Teacher")
    for i, address in enumerate(SUPPORT_STAFF):
        fake.add_user(
            address,
            f"Support Number{i:02d}",
            title="Classroom Assistant",
            org_unit="/Staff/Support",
        )
    for i, address in enumerate(PUPILS):
        unit = "/Pupils/Year 7" if i % 2 else "/Pupils/Year 8/Set A"
        fake.add_user(address, f"Pupil Number{i:02d}", org_unit=unit)
    # the all-staff group holds the teachers and, nested, the support staff's own group
    fake.add_group(SUPPORT, "Support staff", SUPPORT_STAFF)
    fake.add_group(ALL_STAFF, "All staff", [*TEACHERS, SUPPORT])
    fake.add_group(DSL, "Safeguarding", [TEACHERS[0], TEACHERS[1]])
    fake.add_group(f"pupils@{DOMAIN}", "Pupils", PUPILS)  # a group the school does not name
    return fake


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("google") / "service-account.json"
    path.write_text(json.dumps(service_account_info()), encoding="utf-8")
    return path


def _settings(monkeypatch: pytest.MonkeyPatch, key_file: Path, **extra: str) -> Settings:
    """The settings as deploy/google.md writes them, read from the environment."""
    values = {
        "CONNECTOR": "google",
        "GOOGLE__SERVICE_ACCOUNT_FILE": str(key_file),
        "GOOGLE__ADMIN_SUBJECT": ADMIN,
        "GOOGLE__SENDER": SENDER,
        "GOOGLE__ALL_USERS": "false",
        "GOOGLE__ROLE_GROUPS": json.dumps({ALL_STAFF: "staff", DSL: "dsl"}),
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setenv(f"COMPLIANCE_BOT_{name}", value)
    return Settings(_env_file=None)


def test_root_staff_layout_reads_29_staff_and_stores_no_pupil(
    monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    from connectors.google.connector import build

    fake = _layout()
    settings = _settings(monkeypatch, key_file)
    assert settings.google.all_users is False
    directory = build(settings, http=fake).directory

    builder = SchoolBuilder(tmp_path / "school")
    ctx = builder.context(f"sqlite:///{tmp_path / 'test.db'}")
    with ctx.store.transaction() as session:
        sync_directory(session, ctx.config.school(), directory, MONDAY)
    with ctx.store.session() as session:
        stored = set(session.scalars(select(Person.email).where(Person.source != "config")))
        pupils = session.scalar(
            select(func.count()).select_from(Person).where(Person.email.like("pupil%"))
        )
        dsl = set(session.scalars(select(Person.email).where(Person.email == TEACHERS[0])))
    assert stored >= set(TEACHERS) | set(SUPPORT_STAFF)
    assert len(stored & (set(TEACHERS) | set(SUPPORT_STAFF))) == 29
    assert pupils == 0 and dsl == {TEACHERS[0]}

    # never read: no users.list (it lists every account), and users.get only for members
    assert not fake.calls("directory.users.list")
    assert sorted(fake.users_read) == sorted(TEACHERS + SUPPORT_STAFF)
    members = fake.calls("directory.members.list")
    assert {r.query["includeDerivedMembership"] for r in members} == {"true"}
    gets = fake.calls("directory.users.get")
    assert len(gets) == 29 and all(r.batch is not None for r in gets)
    assert all(r.query["projection"] == "full" for r in gets)
    assert len(fake.calls(BATCH)) == 1  # 29 reads in one batch (100 a batch)


def test_the_roles_come_from_the_named_groups(
    monkeypatch: pytest.MonkeyPatch, key_file: Path
) -> None:
    from connectors.google.connector import build

    fake = _layout()
    people = {
        p.email: p
        for p in build(_settings(monkeypatch, key_file), http=fake).directory.fetch(None).people
    }
    assert people[TEACHERS[0]].roles == {"staff", "dsl"}
    assert people[SUPPORT_STAFF[3]].roles == {"staff"}  # through the nested group
    assert people[SUPPORT_STAFF[3]].job_title == "Classroom Assistant"


def test_all_users_reads_everyone_and_the_user_query_narrows_the_members(
    monkeypatch: pytest.MonkeyPatch, key_file: Path
) -> None:
    """ALL_USERS=true is the old reading (pupils too); USER_QUERY with role groups keeps the
    members the query matches, here the support staff only."""
    from connectors.google.connector import build

    fake = _layout()
    settings = _settings(monkeypatch, key_file, GOOGLE__ALL_USERS="true")
    everyone = build(settings, http=fake).directory.fetch(None).people
    assert len(everyone) == 2 + 29 + 55

    fake = _layout()
    settings = _settings(monkeypatch, key_file, GOOGLE__USER_QUERY="orgUnitPath='/Staff'")
    narrowed = build(settings, http=fake).directory.fetch(None).people
    assert sorted(p.email for p in narrowed) == sorted(SUPPORT_STAFF)


def test_a_member_deleted_between_the_two_reads_is_left_out(
    monkeypatch: pytest.MonkeyPatch, key_file: Path
) -> None:
    from connectors.google.connector import build

    fake = _layout()
    directory = build(_settings(monkeypatch, key_file), http=fake).directory
    original = fake._h_directory_members_list

    def then_delete(*args: object) -> tuple[int, object]:
        answer = original(*args)  # type: ignore[arg-type]
        fake.users = [u for u in fake.users if u["primaryEmail"] != TEACHERS[5]]
        return answer

    monkeypatch.setattr(fake, "_h_directory_members_list", then_delete)
    emails = {p.email for p in directory.fetch(None).people}
    assert TEACHERS[5] not in emails and len(emails) == 28


def test_a_role_group_of_everyone_is_refused_in_group_mode(
    monkeypatch: pytest.MonkeyPatch, key_file: Path
) -> None:
    from connectors.google.connector import build

    fake = _layout()
    fake.add_group(f"everyone@{DOMAIN}", "Everyone", ["*"])
    settings = _settings(
        monkeypatch, key_file, GOOGLE__ROLE_GROUPS=json.dumps({f"everyone@{DOMAIN}": "staff"})
    )
    with pytest.raises(PermanentError, match="everyone in the organisation"):
        build(settings, http=fake).directory.fetch(None)
