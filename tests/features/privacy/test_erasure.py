"""Erasure on request where the law allows, refusals that say why, and legal holds the
schedule passes over; a redaction vouches for nothing but what it wrote."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot import wiring
from bot.core.audit.check import check
from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import AuditEvent, Complaint, Person, Report
from bot.engine.maintenance import run_maintenance
from bot.features.privacy.erasure import HoldError, erase, set_hold
from tests.features.privacy.test_disposal import LEFT, NOW, STAYS, _found, _seed
from tests.support.keys import TEST_KEYS

SCHOOL = SchoolConfig(
    id="s",
    name="Oakfield Primary School",
    headteacher="head@oakfield.example",
    dsl=["dsl@oakfield.example"],
)
TODAY = date(2026, 11, 2)


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> tuple[Store, Path]:
    wiring.install()
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    _seed(store, outbox)
    return store, outbox


def _erase(store: Store, outbox: Path, email: str) -> list[str]:
    with store.transaction() as session:
        refused = erase(
            session,
            SCHOOL,
            email,
            reason="asked by letter",
            by="dpo",
            outbox_dir=outbox,
            today=TODAY,
        )
        return [
            f"{r.record.said('en')} | {r.rule.said('en')} | {r.until.said('en')}" for r in refused
        ]


def test_erasure_of_someone_still_employed_is_refused_with_rule_and_until(
    seeded: tuple[Store, Path],
) -> None:
    store, outbox = seeded
    refused = _erase(store, outbox, STAYS[1].upper())
    assert refused == [
        "their staff records | IRMS Information Management Toolkit for Schools (2019), Human "
        "resources: staff personal file, termination of employment + 6 years | 6 years after "
        "they leave"
    ]
    assert len(_found(store, outbox, STAYS)) > 3
    with store.session() as session:
        assert session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "privacy.erasure_refused")
        ).one()
        request = session.scalars(select(Complaint).where(Complaint.kind == "erasure")).one()
    # a tracked request with its month, answered with the refusal's record, rule and date
    assert request.email == STAYS[1] and request.outcome_at is not None
    assert request.outcome.startswith("Nothing erased, as the law still requires: their staff")
    assert request.outcome.endswith("kept until 6 years after they leave.")


def test_erasure_of_a_leaver_removes_them_everywhere_and_records_the_reason(
    seeded: tuple[Store, Path],
) -> None:
    store, outbox = seeded
    with store.transaction() as session:  # left last year: the schedule would keep them
        session.execute(
            update(Person).where(Person.email == LEFT[1]).values(left_on=date(2025, 8, 31))
        )
    assert _erase(store, outbox, LEFT[1]) == []
    assert _found(store, outbox, LEFT) == []
    assert len(_found(store, outbox, STAYS)) > 3
    with store.session() as session:
        assert check(session).ok
        erased = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "privacy.erased")
        ).one()
    assert erased["reason"] == "asked by letter" and erased["people"] == 1
    with store.session() as session:  # the request is kept, answered, without their name
        request = session.scalars(select(Complaint).where(Complaint.kind == "erasure")).one()
    assert request.outcome == "Erased: asked by letter" and request.outcome_at is not None
    assert request.email.startswith("former-") and request.name.startswith("former-")


def test_an_allegation_and_a_hold_keep_a_leaver_until_lifted(seeded: tuple[Store, Path]) -> None:
    store, outbox = seeded
    with store.transaction() as session:
        session.add(
            Report(
                school_id="s",
                reference="CR-2019-BBBBB",
                category="staff_concern",
                urgency="urgent",
                what_happened="An allegation",
                about_person=LEFT[1],
            )
        )
    refused = _erase(store, outbox, LEFT[1])
    assert [r.split(" | ")[0] for r in refused] == ["allegation CR-2019-BBBBB"]
    assert refused[0].endswith("| the DSL decides")
    run_maintenance(store, RetentionSettings(), [SCHOOL], NOW, outbox)
    assert _found(store, outbox, (LEFT[1],))  # the allegation keeps them
    with store.transaction() as session:
        allegation = session.scalars(select(Report)).one()
        allegation.about_person = None  # (as the DSL's correction would)
        with pytest.raises(HoldError):
            set_hold(session, SCHOOL, LEFT[1], by=STAYS[1], reason="claim", lift=False)
        set_hold(session, SCHOOL, LEFT[1], by="dsl@oakfield.example", reason="claim", lift=False)
    refused = _erase(store, outbox, LEFT[1])
    assert refused == [
        "their records | a legal hold set by dsl@oakfield.example: claim | the hold is lifted"
    ]
    run_maintenance(store, RetentionSettings(), [SCHOOL], NOW, outbox)
    assert _found(store, outbox, (LEFT[1],))  # the hold keeps them
    with store.transaction() as session:
        set_hold(session, SCHOOL, LEFT[1], by="DSL@oakfield.example", reason="settled", lift=True)
    run_maintenance(store, RetentionSettings(), [SCHOOL], NOW, outbox)
    assert _found(store, outbox, LEFT) == []
    with store.session() as session:
        assert check(session).ok


def test_a_redacted_event_changed_afterwards_breaks_the_chain(seeded: tuple[Store, Path]) -> None:
    store, outbox = seeded
    run_maintenance(store, RetentionSettings(), [SCHOOL], NOW, outbox)
    with store.transaction() as session:
        redacted = session.scalars(
            select(AuditEvent).where(AuditEvent.actor.like("former-%"))
        ).first()
        assert redacted is not None
        redacted.action = "policy.changed"
    with store.session() as session:
        verdict = check(session)
    assert not verdict.ok


def test_a_one_word_name_is_replaced_on_its_row_and_nowhere_else(
    seeded: tuple[Store, Path],
) -> None:
    store, outbox = seeded
    with store.transaction() as session:
        desk = Person(
            school_id="s",
            email="reception@oakfield.example",
            display_name="Sam",
            active=False,
            left_on=date(2025, 7, 1),
        )
        session.add(desk)
    assert _erase(store, outbox, "reception@oakfield.example") == []
    with store.session() as session:
        assert (
            session.scalar(select(Person.display_name).where(Person.email == STAYS[1]))
            == "Sam Stays"
        )
        gone = session.scalar(select(Person).where(Person.display_name == "Sam"))
        assert gone is None and check(session).ok
