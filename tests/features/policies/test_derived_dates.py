"""Derived review dates stay derived (bot.features.policies: store, review, alerts, cli): an
imported next review worked out as "ratified + 12 months" is marked in the register listing and
the governors' digest until someone confirms it (``policies confirm-date``, audited)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, OutboxMessage, Policy
from bot.engine.sweep import run_sweep
from tests.features.policies.test_cli import LINES, TODAY, _run, _write, home
from tests.support.helpers import at

__all__ = ["home"]  # the fixture, shared with the import tests

NOTE = "worked out from the ratification date — please confirm"


def _policy(ctx: AppContext) -> Policy:
    with ctx.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        session.expunge(policy)
        return policy


def test_imported_derived_date_is_marked_until_confirmed(home: AppContext, tmp_path: Path) -> None:
    lines = [line for line in LINES if not line.startswith("Next review")]
    path = _write(tmp_path / "online-safety.txt", lines)
    stored = _run("policies", "import", str(path), "--yes", "--as-of", TODAY.isoformat())
    assert stored.exit_code == 0, stored.output
    policy = _policy(home)
    assert policy.next_review_due == date(2027, 3, 12) and policy.next_review_derived
    listed = _run("policies", "list", "--as-of", TODAY.isoformat())
    assert "(worked out — please confirm)" in listed.output

    # the governors' digest 30 days before says the date is worked out
    day = date(2027, 2, 10)
    run_sweep(
        home.store,
        home.settings,
        home.config,
        home.connectors,
        as_of=day,
        now=at(day),
        deliver=False,
    )
    with home.store.session() as session:
        texts = [
            r.payload["text"]
            for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "governor_review")
            )
        ]
    assert texts and all(NOTE in " ".join(t.split()) for t in texts)

    confirmed = _run("policies", "confirm-date", "online-safety", "--as-of", day.isoformat())
    assert confirmed.exit_code == 0, confirmed.output
    assert "next due for review by 12 Mar 2027" in " ".join(confirmed.output.split())
    assert not _policy(home).next_review_derived
    again = _run("policies", "confirm-date", "online-safety", "--as-of", day.isoformat())
    assert again.exit_code == 1 and "already confirmed" in again.output
    listed = _run("policies", "list", "--as-of", day.isoformat())
    assert "please confirm" not in listed.output
    with home.store.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.review_date.confirmed")
        ).all()
    assert [(e.actor, e.details) for e in events] == [
        ("cli", {"was": "2027-03-12", "next_review_due": "2027-03-12"})
    ]
    # the next digest (14 days before, Friday 26 February) no longer carries the note
    later = date(2027, 2, 26)
    run_sweep(
        home.store,
        home.settings,
        home.config,
        home.connectors,
        as_of=later,
        now=at(later),
        deliver=False,
    )
    with home.store.session() as session:
        newest = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "governor_review")
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert newest is not None and newest.idempotency_key.endswith(later.isoformat())
    assert "please confirm" not in newest.payload["text"]


def test_confirm_date_refuses_bad_input_and_changes_nothing(
    home: AppContext, tmp_path: Path
) -> None:
    lines = [line for line in LINES if not line.startswith("Next review")]
    _run(
        "policies",
        "import",
        str(_write(tmp_path / "os.txt", lines)),
        "--yes",
        "--as-of",
        TODAY.isoformat(),
    )
    bad = _run("policies", "confirm-date", "online-safety", "--date", "next March")
    assert bad.exit_code == 2
    assert "--date (the next review date): give a date like 2026-09-30" in bad.output
    past = _run(
        "policies",
        "confirm-date",
        "online-safety",
        "--date",
        "2026-01-01",
        "--as-of",
        TODAY.isoformat(),
    )
    assert past.exit_code == 1 and "is in the past" in past.output
    missing = _run("policies", "confirm-date", "nope")
    assert missing.exit_code == 2 and "no policy 'nope'" in missing.output
    policy = _policy(home)
    assert policy.next_review_due == date(2027, 3, 12) and policy.next_review_derived
    moved = _run(
        "policies",
        "confirm-date",
        "online-safety",
        "--date",
        "2027-01-31",
        "--as-of",
        TODAY.isoformat(),
    )
    assert moved.exit_code == 0, moved.output
    policy = _policy(home)
    assert policy.next_review_due == date(2027, 1, 31) and not policy.next_review_derived


def test_a_far_future_date_is_refused_on_the_command_line_naming_the_field(
    home: AppContext, tmp_path: Path
) -> None:
    lines = [line for line in LINES if not line.startswith("Next review")]
    _run(
        "policies",
        "import",
        str(_write(tmp_path / "os.txt", lines)),
        "--yes",
        "--as-of",
        TODAY.isoformat(),
    )
    for typed, says in (
        ("9999-12-31", "9999-12-31 is too far ahead"),
        ("0001-01-01", "0001-01-01 is too long ago"),
    ):
        refused = _run(
            "policies",
            "confirm-date",
            "online-safety",
            "--date",
            typed,
            "--as-of",
            TODAY.isoformat(),
        )
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2 and f"--date (the next review date): {says}" in said
    far = _run(
        "policies",
        "review",
        "online-safety",
        "--date",
        "2999-01-01",
        "--body",
        "FGB",
        "--as-of",
        TODAY.isoformat(),
    )
    assert far.exit_code == 2 and "--date (the review meeting): 2999-01-01 is too far ahead" in (
        " ".join(far.output.split())
    )
    policy = _policy(home)
    assert policy.next_review_due == date(2027, 3, 12) and policy.next_review_derived
