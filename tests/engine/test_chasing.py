"""Chasing with an end, through the real sweep, outbox and dashboard (SQLite and PostgreSQL):
a capped item leaves the owner's digest and the line manager (else the head) is told once."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.core.models import Duty, OutboxMessage, Person, PolicyVersion, TrainingRecord
from bot.engine.chasing import chasing_stopped_key
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.features.dashboard.test_support import sign_in
from tests.support.clock import FrozenClock
from tests.support.helpers import SchoolBuilder, acknowledged_by_link

START = date(2026, 11, 2)  # a Monday in term
END = date(2026, 11, 27)


def _mails(folder: Path) -> list[email.message.EmailMessage]:
    """Every email the local mailer delivered, in delivery order."""
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        found.append(message)
    return found


def _respond(ctx: object, day: date) -> None:
    """The head does everything on day one; Amy too; Lena acknowledges but never trains; Ben
    does nothing."""
    store = ctx.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        for duty, person in session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Duty.status == "open")
        ).all():
            who = person.email.split("@")[0]
            if who in ("head", "amy") or (who == "line" and duty.kind == "acknowledge_policy"):
                if duty.kind == "acknowledge_policy":
                    version = session.get(PolicyVersion, duty.policy_version_id)
                    assert version is not None
                    acknowledged_by_link(session, person, duty, version, day)
                elif duty.kind == "complete_training":
                    session.add(
                        TrainingRecord(
                            school_id="oak",
                            person_id=person.id,
                            course="Online safety",
                            completed_on=day,
                            import_key=f"t-{who}",
                        )
                    )


def test_a_capped_item_leaves_the_digest_and_the_manager_is_told_once(
    school: SchoolBuilder, database_url: str, frozen_clock: FrozenClock
) -> None:
    school.school["cadences"] = {
        "standard": {
            "before_due": [],
            "on_due": True,
            "overdue_every_days": 2,
            "max_reminders": 3,
            "escalate": [],
        }
    }
    school.policy("online-safety", "2026.1", title="Online Safety Policy", published=str(START))
    school.staff_acknowledge(due_days=14)
    school.staff_train(title="Online safety training", due_days=7)
    ctx = school.context(database_url, demo=True, base_url="https://bot.oak.example")
    day = START
    while day <= END:
        frozen_clock.at(day, 9, 30)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        _respond(ctx, day)
        day += timedelta(days=1)

    mails = _mails(ctx.settings.outbox_dir)
    ben = [
        m
        for m in mails
        if m["X-Compliance-Bot-Key"].startswith("reminder:") and m["To"] == "ben@oak.example"
    ]
    # training: asked 2 Nov, due 9 Nov, overdue 11 Nov (the 3rd and last); the policy: due
    # 16 Nov, overdue 18 Nov (its 3rd). After 11 Nov the training is never listed again.
    listed = [
        (
            m["X-Compliance-Bot-Key"][-10:],
            "Online safety training" in m.get_body(("plain",)).get_content(),
        )
        for m in ben
    ]
    assert listed == [
        ("2026-11-02", True),
        ("2026-11-09", True),
        ("2026-11-11", True),
        ("2026-11-16", False),
        ("2026-11-18", False),
    ]

    stopped = [m for m in mails if m["X-Compliance-Bot-Key"].startswith("chasing-stopped:")]
    told = sorted((m["To"], m["Subject"]) for m in stopped)
    assert told == [
        ("head@oak.example", "Chasing has stopped for Lena Line: please talk to them"),
        ("line@oak.example", "Chasing has stopped for Ben Brook: please talk to them"),
        ("line@oak.example", "Chasing has stopped for Ben Brook: please talk to them"),
    ]
    with ctx.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "chasing_stopped")
        ).all()
        keyed = {r.idempotency_key for r in rows}
        capped = session.scalars(select(Duty).where(Duty.chasing_stopped_on.is_not(None))).all()
        assert (
            keyed
            == {
                chasing_stopped_key(
                    "oak",
                    d.person.manager.email if d.person.manager else "head@oak.example",
                    d.chasing_stopped_on,
                )
                for d in capped
            }
            and len(rows) == 3
        )
        # told on the school day after the last reminder, never on the day itself
        assert sorted((d.person.email, d.chasing_stopped_on) for d in capped) == [
            ("ben@oak.example", date(2026, 11, 12)),
            ("ben@oak.example", date(2026, 11, 19)),
            ("line@oak.example", date(2026, 11, 12)),
        ]
    text = next(m for m in stopped if "Lena" in m["Subject"]).get_body(("plain",)).get_content()
    assert "Lena Line has had 3 reminders about Online safety training" in text
    assert "the last on Wednesday 11 November 2026" in text
    assert "will not remind them about it again" in text
    assert "complete the training" in text
    for word in ("complete_training", "overdue:", "duty", "stage"):
        assert word not in text  # the school's words, never internal names

    client = TestClient(create_app(ctx.settings, ctx), base_url="https://testserver")
    sign_in(client, "head@oak.example")
    page = client.get("/dashboard").text
    assert 'data-figure="needs-conversation">3<' in page
    assert "3 items still not done after every reminder" in page
    assert "Ben Brook" in page and "Online Safety Policy (version 2026.1)" in page


def test_a_manager_hears_once_a_day_listing_every_person_and_item(
    school: SchoolBuilder, sqlite_url: str, frozen_clock: FrozenClock
) -> None:
    """Four items capped on the same day for two of Lena's staff: one email to her, listing
    them all; the head hears once about Lena's own two."""
    school.school["cadences"] = {
        "standard": {
            "before_due": [],
            "on_due": True,
            "overdue_every_days": 2,
            "max_reminders": 1,
            "escalate": [],
        }
    }
    school.policy("online-safety", "2026.1", title="Online Safety Policy", published=str(START))
    school.staff_acknowledge(due_days=7)
    school.staff_train(title="Online safety training", due_days=7)
    ctx = school.context(sqlite_url)
    for day in (START, START + timedelta(days=7), START + timedelta(days=8)):
        frozen_clock.at(day, 9, 30)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        frozen_clock.at(day, 14, 0)  # a second sweep the same day adds nothing
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    stopped = [
        m
        for m in _mails(ctx.settings.outbox_dir)
        if m["X-Compliance-Bot-Key"].startswith("chasing-stopped:")
    ]
    assert sorted((m["To"], m["Subject"]) for m in stopped) == [
        (
            "head@oak.example",
            "Chasing has stopped for Lena Line: please talk to them about 2 items",
        ),
        ("line@oak.example", "Chasing has stopped for Amy Able and Ben Brook: please talk to them"),
    ]
    line = next(m for m in stopped if m["To"] == "line@oak.example")
    text = " ".join(line.get_body(("plain",)).get_content().split())
    for who in ("Amy Able", "Ben Brook"):
        for item in ("Online Safety Policy (version 2026.1)", "Online safety training"):
            assert text.count(f"{who}: {item}") == 1  # listed once, not again as a table
    with ctx.store.session() as session:
        told = session.scalars(select(Duty.chasing_stopped_on)).all()
        assert set(told) == {START + timedelta(days=7), None}  # the head's own: nobody to tell
    ctx.store.dispose()
