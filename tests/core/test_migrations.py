"""Migrations keep what is stored: 0002 (people.missing_since) and 0010 (derived review dates,
handover start dates) upgrade and downgrade a database without losing any row, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.core.database.store import Store, alembic_config
from bot.core.models import OfficialAccount
from tests.support.helpers import is_current
from tests.support.keys import TEST_KEYS


def test_0002_adds_missing_since_and_keeps_everyone(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0001")
    now = datetime(2026, 11, 2, 9, 0)
    # the tables as revision 0001 has them (the models are already at the newest revision)
    schools = sa.table(
        "schools", sa.column("id"), sa.column("name"), sa.column("created_at", sa.DateTime())
    )
    people = sa.table(
        "people",
        *(sa.column(n) for n in ("school_id", "email", "display_name", "source")),
        sa.column("active", sa.Boolean()),
        sa.column("has_account", sa.Boolean()),
        sa.column("left_on", sa.Date()),
        sa.column("created_at", sa.DateTime()),
        sa.column("updated_at", sa.DateTime()),
    )
    common = {
        "school_id": "oak",
        "source": "directory",
        "has_account": True,
        "created_at": now,
        "updated_at": now,
    }
    with store.engine.begin() as conn:
        conn.execute(sa.insert(schools).values(id="oak", name="Oak", created_at=now))
        conn.execute(
            sa.insert(people),
            [
                {
                    **common,
                    "email": "amy@oak.example",
                    "display_name": "Amy Able",
                    "active": True,
                    "left_on": None,
                },
                {
                    **common,
                    "email": "ben@oak.example",
                    "display_name": "Ben Brook",
                    "active": False,
                    "left_on": date(2026, 10, 1),
                },
            ],
        )
    command.upgrade(config, "head")
    assert is_current(store)
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT email, active, left_on, missing_since FROM people ORDER BY email")
        ).all()
    assert [(r[0], bool(r[1]), str(r[2]) if r[2] else None, r[3]) for r in rows] == [
        ("amy@oak.example", True, None, None),
        ("ben@oak.example", False, "2026-10-01", None),
    ]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE people SET missing_since = '2026-11-03' WHERE id = 1"))
    command.downgrade(config, "0001")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM people")).scalar_one() == 2
    store.dispose()


def test_0010_marks_nothing_derived_and_keeps_policies_and_accounts(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0004")
    now = datetime(2026, 11, 2, 9, 0)
    schools = sa.table(
        "schools", sa.column("id"), sa.column("name"), sa.column("created_at", sa.DateTime())
    )
    policies = sa.table(
        "policies",
        *(
            sa.column(n)
            for n in ("school_id", "key", "title", "approving_body", "review_cycle_months")
        ),
        sa.column("next_review_due", sa.Date()),
        sa.column("under_review", sa.Boolean()),
        sa.column("is_aup", sa.Boolean()),
        sa.column("reviewers", sa.JSON()),
        sa.column("linked_policies", sa.JSON()),
        sa.column("created_at", sa.DateTime()),
    )
    accounts = sa.table(
        "official_accounts",
        *(sa.column(n) for n in ("school_id", "key", "platform", "name", "handover_reason")),
        sa.column("handover_needed", sa.Boolean()),
    )
    with store.engine.begin() as conn:
        conn.execute(sa.insert(schools).values(id="oak", name="Oak", created_at=now))
        conn.execute(
            sa.insert(policies).values(
                school_id="oak",
                key="online-safety",
                title="Online Safety Policy",
                approving_body="FGB",
                review_cycle_months=12,
                next_review_due=date(2027, 3, 12),
                under_review=False,
                is_aup=False,
                reviewers=[],
                linked_policies=[],
                created_at=now,
            )
        )
        conn.execute(
            sa.insert(accounts).values(
                school_id="oak",
                key="facebook",
                platform="Facebook",
                name="Oak Facebook",
                handover_needed=True,
                handover_reason="Amy Able has left",
            )
        )
    command.upgrade(config, "0010")
    with store.engine.connect() as conn:
        policy = conn.execute(
            text("SELECT key, next_review_due, next_review_derived FROM policies")
        ).one()
        account = conn.execute(
            text(
                "SELECT key, handover_needed, handover_reason, handover_since "
                "FROM official_accounts"
            )
        ).one()
    assert (policy[0], str(policy[1]), bool(policy[2])) == ("online-safety", "2027-03-12", False)
    assert (account[0], bool(account[1]), account[2], account[3]) == (
        "facebook",
        True,
        "Amy Able has left",
        None,
    )
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE policies SET next_review_derived = :d"), {"d": True})
        conn.execute(text("UPDATE official_accounts SET handover_since = '2026-11-02'"))
    command.downgrade(config, "0004")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM policies")).scalar_one() == 1
        assert (
            conn.execute(text("SELECT handover_reason FROM official_accounts")).scalar_one()
            == "Amy Able has left"
        )
    store.dispose()


def test_0020_leaves_room_on_duty_pages_on_postgresql(postgres_url: str) -> None:
    store = Store(postgres_url, keys=TEST_KEYS)
    store.upgrade()
    options = "SELECT reloptions FROM pg_class WHERE relname = 'duties'"
    with store.engine.connect() as conn:
        assert conn.execute(text(options)).scalar_one() == ["fillfactor=70"]
    command.downgrade(alembic_config(store.engine), "0014")
    with store.engine.connect() as conn:
        assert conn.execute(text(options)).scalar_one() is None
    store.dispose()


def test_0039_report_changes_marks_every_write_and_downgrades(database_url: str) -> None:
    """The number changes in each transaction that writes a report or a clock, and only
    then; the downgrade takes the row and its triggers away, the upgrade brings them back."""
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    version = text("SELECT version FROM report_changes")
    now = datetime(2026, 11, 2, 9, 0)
    with store.engine.begin() as conn:
        first = conn.execute(version).scalar_one()
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('oak', 'Oak', :t)"), {"t": now}
        )
    with store.engine.connect() as conn:
        assert conn.execute(version).scalar_one() == first  # not a report
    seen = [first]
    for statement in (
        "INSERT INTO reports (school_id, reference, category, urgency, status, involved,"
        " what_happened, anonymous, about_headteacher, suspected_illegal, source, created_at)"
        " VALUES ('oak', 'CR-1', 'other', 'low', 'new', '[]', 'x', false, false, false, 'web',"
        " :t)",
        "INSERT INTO report_clocks (school_id, report_id, kind, started_at, due_at,"
        " escalations_sent) SELECT 'oak', id, 'triage', :t, :t, 0 FROM reports",
        "UPDATE report_clocks SET stopped_at = :t",
        "UPDATE reports SET status = 'closed'",
        "DELETE FROM report_clocks",
        "DELETE FROM reports",
    ):
        with store.engine.begin() as conn:
            conn.execute(text(statement), {"t": now})
        with store.engine.connect() as conn:
            seen.append(conn.execute(version).scalar_one())
        assert seen[-1] not in seen[:-1], statement
    command.downgrade(alembic_config(store.engine), "0035")
    with store.engine.connect() as conn:
        assert not sa.inspect(conn).has_table("report_changes")
    command.upgrade(alembic_config(store.engine), "head")
    with store.engine.connect() as conn:
        assert conn.execute(version).scalar_one() not in seen
    store.dispose()


def test_0041_a_person_renamed_marks_the_reports_changed(database_url: str) -> None:
    """A change of a person's name changes the number (the list shows owners' names); a name
    written unchanged, or another column changed, does not."""
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    version = text("SELECT version FROM report_changes")
    now = datetime(2026, 11, 2, 9, 0)
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('oak', 'Oak', :t)"), {"t": now}
        )
        conn.execute(
            text(
                "INSERT INTO people (school_id, email, display_name, active, has_account, source,"
                " created_at, updated_at, session_version)"
                " VALUES ('oak', 'a@oak.example', 'Ann', true, true, 'directory', :t, :t, 0)"
            ),
            {"t": now},
        )

    def after(statement: str) -> int:
        with store.engine.begin() as conn:
            conn.execute(text(statement), {"t": now})
        with store.engine.connect() as conn:
            return int(conn.execute(version).scalar_one())

    first = after("SELECT 1")
    assert after("UPDATE people SET display_name = 'Ann'") == first
    assert after("UPDATE people SET updated_at = :t") == first
    renamed = after("UPDATE people SET display_name = 'Ann Smith'")
    assert renamed != first
    command.downgrade(alembic_config(store.engine), "0039")
    assert after("UPDATE people SET display_name = 'Ann'") == renamed
    store.dispose()


def test_0051_keeps_handover_reasons_as_kinds_and_free_text(database_url: str) -> None:
    store = Store(database_url, keys=TEST_KEYS)
    config = alembic_config(store.engine)
    command.upgrade(config, "0049")
    stored = {
        "facebook": "Amy Able has left; change the login and hand over",
        "tapestry": "Ben Brook no longer runs this account",
        "phone": "a holder was removed from the account",
        "x": "Amy Able has left",  # a shape the bot no longer writes: kept as it is
    }
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schools (id, name, created_at) VALUES ('oak', 'Oak', :at)"),
            {"at": datetime(2026, 11, 2, 9, 0)},
        )
        for key, reason in stored.items():
            conn.execute(
                text(
                    "INSERT INTO official_accounts (school_id, key, platform, name, "
                    "handover_needed, handover_reason) VALUES ('oak', :k, 'Facebook', :k, "
                    ":needed, :reason)"
                ),
                {"k": key, "needed": True, "reason": reason},
            )
    command.upgrade(config, "0051")
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                *(sa.column(c) for c in ("key", "handover_reason", "handover_kind")),
                sa.column("handover_values", sa.JSON()),
            ).select_from(sa.table("official_accounts"))
        ).all()
    kinds = {key: (kind, values, reason) for key, reason, kind, values in rows}
    said = {
        key: str(
            OfficialAccount(
                handover_kind=kind, handover_values=values, handover_reason=reason
            ).handover_said()
        )
        for key, reason, kind, values in rows
    }
    assert kinds == {
        "facebook": ("left", {"person": "Amy Able"}, None),
        "tapestry": ("stopped", {"person": "Ben Brook"}, None),
        "phone": ("removed", {}, None),
        "x": (None, None, "Amy Able has left"),
    }
    assert said == stored  # each reads as it was stored
    command.downgrade(config, "0049")
    with store.engine.connect() as conn:
        back = dict(conn.execute(text("SELECT key, handover_reason FROM official_accounts")).all())
    assert back == stored
    store.dispose()
