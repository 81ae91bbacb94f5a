"""The duty snapshot equals a full recount after every kind of change, on SQLite and PostgreSQL.

Each test reads the stored summary rows, then recounts them from the duties (``rebuild``) in a
transaction that is rolled back, and compares; the per-person rows are also checked against
plain SQL over the duties.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.orm import Session

from bot.core.config.store import updated
from bot.core.models import (
    AudienceSize,
    Duty,
    DutySnapshot,
    DutyTally,
    Person,
    PersonTally,
    PolicyVersion,
)
from bot.engine.duty_status import DutyCountsBypassed, close_done
from bot.engine.leavers import confirm_leaver
from bot.engine.settings_change import apply_settings
from bot.engine.snapshot import rebuild, roll_forward
from bot.features.accounts.service import add_holder
from bot.features.policies.attest import sign_aup
from tests.features.dashboard.test_support import TODAY, Env, acknowledge_as
from tests.support.helpers import at

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env fixtures


def _state(session: Session) -> dict[str, Any]:
    """Everything the snapshot holds for the school, comparable (zero rows dropped)."""
    snap = session.get(DutySnapshot, "oak")
    assert snap is not None
    return {
        "people": snap.people,
        "as_of": snap.as_of,
        "tallies": sorted(
            (
                r.requirement_id,
                r.kind,
                r.cycle,
                r.policy_version_id,
                r.due_on,
                r.status,
                r.active,
                r.duties,
            )
            for r in session.scalars(select(DutyTally).where(DutyTally.school_id == "oak"))
            if r.duties
        ),
        "audiences": sorted(
            (r.requirement_id, r.people)
            for r in session.scalars(select(AudienceSize).where(AudienceSize.school_id == "oak"))
        ),
        "people_rows": sorted(
            (r.person_id, r.name, r.open, r.overdue)
            for r in session.scalars(select(PersonTally).where(PersonTally.school_id == "oak"))
        ),
    }


def assert_snapshot_is_a_recount(env: Env) -> dict[str, Any]:
    """The stored snapshot equals a fresh count (and plain SQL for the per-person rows)."""
    session = env.context.store.session()
    try:
        stored = _state(session)
        rebuild(session, "oak", stored["as_of"])
        assert _state(session) == stored
        as_of = stored["as_of"]
        by_sql = sorted(
            (pid, name, int(n or 0), int(late or 0))
            for pid, name, n, late in session.execute(
                select(
                    Person.id,
                    Person.display_name,
                    func.count(Duty.id),
                    func.sum(case((Duty.due_on < as_of, 1), else_=0)),
                )
                .outerjoin(Duty, (Duty.person_id == Person.id) & (Duty.status == "open"))
                .where(Person.school_id == "oak", Person.active.is_(True))
                .group_by(Person.id, Person.display_name)
            )
        )
        assert stored["people_rows"] == by_sql
    finally:
        session.rollback()
        session.close()
    return stored


def test_after_a_sweep_and_an_acknowledgement(any_env: Env) -> None:
    env = any_env
    before = assert_snapshot_is_a_recount(env)
    acknowledge_as(env, "ben@oak.example", "online-safety", TODAY)
    after = assert_snapshot_is_a_recount(env)
    ben = env.person("ben@oak.example")
    [(_, _, open_before, _)] = [r for r in before["people_rows"] if r[0] == ben.id]
    [(_, _, open_after, _)] = [r for r in after["people_rows"] if r[0] == ben.id]
    assert open_after == open_before - 1  # only Ben's row moved


def test_after_an_aup_signature_and_a_new_holder(any_env: Env) -> None:
    env = any_env
    with env.context.store.transaction() as session:
        amy = session.scalar(select(Person).where(Person.email == "amy@oak.example"))
        assert amy is not None
        duty = session.scalar(select(Duty).where(Duty.person_id == amy.id, Duty.kind == "sign_aup"))
        assert duty is not None and duty.policy_version_id is not None
        version = session.get(PolicyVersion, duty.policy_version_id)
        assert version is not None
        recorded = sign_aup(
            session,
            amy,
            version,
            "Social Media AUP",
            "Amy Able",
            method="link",
            ip=None,
            user_agent=None,
            now=at(TODAY, 10),
        )
        assert recorded.closed_duties == 1
    assert_snapshot_is_a_recount(env)
    with env.context.store.transaction() as session:
        from bot.core.models import OfficialAccount

        account = session.scalars(select(OfficialAccount)).one()
        cal = session.scalar(select(Person).where(Person.email == "cal@oak.example"))
        assert cal is not None
        add_holder(session, account, cal, TODAY, actor="head@oak.example")
    assert_snapshot_is_a_recount(env)


def test_after_a_training_record(any_env: Env) -> None:
    env = any_env
    client = env.client("ben@oak.example")
    import re

    page = client.get("/me").text
    action = re.search(r'action="(/me/training/\d+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert action is not None and token is not None
    before = assert_snapshot_is_a_recount(env)
    done = client.post(
        action.group(1),
        data={"csrf_token": token.group(1), "completed_on": str(TODAY - timedelta(days=1))},
    )
    assert done.status_code == 200, done.text
    after = assert_snapshot_is_a_recount(env)
    ben = env.person("ben@oak.example")
    [open_before] = [r[2] for r in before["people_rows"] if r[0] == ben.id]
    assert [r[2] for r in after["people_rows"] if r[0] == ben.id] == [open_before - 1]


def test_after_a_leaver_and_a_new_starter(any_env: Env) -> None:
    env = any_env
    with env.context.store.transaction() as session:
        session.execute(
            Person.__table__.update()
            .where(Person.email == "cal@oak.example")
            .values(missing_since=TODAY - timedelta(days=1))
        )
    with env.context.store.transaction() as session:  # an admin confirms, outside the sweep
        confirm_leaver(session, "oak", "cal@oak.example", "admin@oak.example", TODAY)
    left = assert_snapshot_is_a_recount(env)
    assert left["people"] == 8
    directory = env.context.settings.directory_file
    lines = [
        line
        for line in directory.read_text(encoding="utf-8").splitlines()
        if not line.startswith("cal@")  # gone from the directory too
    ]
    lines.append("new@oak.example,Nia New,staff,All Staff,dsl@oak.example,,yes,")
    directory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env.sweep(TODAY, hour=13)
    joined = assert_snapshot_is_a_recount(env)
    assert joined["people"] == 9


def test_after_a_settings_change(any_env: Env) -> None:
    env = any_env
    org = env.context.config
    school = org.schools[0]
    requirements = [
        r.model_dump(mode="python", exclude_none=True)
        for r in school.requirements
        if r.id != "ack-online-safety"
    ]
    changed = updated(org, "oak", requirements=requirements)
    with env.context.store.transaction() as session:
        apply_settings(
            session,
            changed,
            by="head@oak.example",
            now=at(TODAY, 11),
            today=TODAY,
            note="online safety dropped",
        )
    after = assert_snapshot_is_a_recount(env)
    assert after["tallies"]


def test_rolls_forward_to_a_new_day_as_a_recount_would(any_env: Env) -> None:
    env = any_env
    later = TODAY + timedelta(days=11)  # the child protection acknowledgements fall due
    with env.context.store.transaction() as session:
        snap, moved = roll_forward(session, "oak", later)
        assert moved and snap.as_of == later
    rolled = assert_snapshot_is_a_recount(env)
    assert rolled["as_of"] == later


def test_a_fresh_install_counts_once_on_the_first_view(any_env: Env) -> None:
    env = any_env
    before = assert_snapshot_is_a_recount(env)
    with env.context.store.transaction() as session:  # as after the upgrade, before a sweep
        for table in (DutyTally, PersonTally, AudienceSize, DutySnapshot):
            session.execute(table.__table__.delete())
    page = env.client("head@oak.example").get("/dashboard")
    assert page.status_code == 200
    assert assert_snapshot_is_a_recount(env) == before  # built, committed, the same numbers


def test_a_duty_changed_outside_the_one_way_fails_and_changes_nothing(any_env: Env) -> None:
    """The dashboard's counts cannot drift: a duty's status changed around ``changing`` /
    ``close_done`` / ``recounted`` — through the ORM, by an UPDATE built or written as SQL text,
    or by deleting the duty — fails before it is written, and the snapshot still equals a
    recount. The same change made the one way holds."""
    env = any_env
    before = assert_snapshot_is_a_recount(env)
    with env.context.store.session() as session:
        duty = session.scalars(select(Duty).where(Duty.status == "open")).first()
        assert duty is not None
        duty.status = "done"
        with pytest.raises(DutyCountsBypassed, match="dashboard's counts would drift"):
            session.flush()
        session.rollback()
        with pytest.raises(DutyCountsBypassed):
            session.execute(update(Duty).where(Duty.id == duty.id).values(status="done"))
        session.rollback()
        for written in (  # by hand, as a maintenance script might
            f"UPDATE duties SET status = 'done' WHERE id = {duty.id}",
            f"update \"duties\"\n   set reminders_sent = 0, status='done' where id = {duty.id}",
            f"DELETE FROM duties WHERE id = {duty.id}",
        ):
            with pytest.raises(DutyCountsBypassed):
                session.execute(text(written))
            session.rollback()
        with pytest.raises(DutyCountsBypassed):
            session.execute(delete(Duty).where(Duty.id == duty.id))
        session.rollback()
        session.delete(session.get(Duty, duty.id))
        with pytest.raises(DutyCountsBypassed):
            session.flush()
        session.rollback()
        # other columns stay free to change (a reminder's stage), built or written
        session.execute(update(Duty).where(Duty.id == duty.id).values(reminders_sent=1))
        session.execute(text(f"UPDATE duties SET reminders_sent = 2 WHERE id = {duty.id}"))
        session.rollback()
    assert assert_snapshot_is_a_recount(env) == before
    with env.context.store.transaction() as session:
        duty = session.scalars(select(Duty).where(Duty.status == "open")).first()
        assert duty is not None
        assert close_done(session, [duty], "test:1", TODAY) == 1
    assert assert_snapshot_is_a_recount(env) != before


def test_a_nightly_sweep_that_changes_nothing_keeps_the_counts_without_a_recount(
    any_env: Env,
) -> None:
    env = any_env
    built = datetime(2000, 1, 1, tzinfo=UTC)  # a mark only a recount replaces (it stamps the time)
    with env.context.store.transaction() as session:
        session.execute(update(DutySnapshot).values(built_at=built))
    later = TODAY + timedelta(days=11)  # the child protection acknowledgements fall due
    env.sweep(later)  # the day's first sweep: it plans everyone, and nothing changed
    with env.context.store.session() as session:
        kept = session.get(DutySnapshot, "oak")
        assert kept is not None and kept.built_at == built  # not counted afresh
    rolled = assert_snapshot_is_a_recount(env)  # yet what a recount finds, as of that day
    assert rolled["as_of"] == later
