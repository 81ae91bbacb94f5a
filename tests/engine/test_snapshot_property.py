"""The kept figures equal a rebuild after every event of a generated year, on both databases.

Hypothesis draws sequences of the events that change the dashboard's figures (an
acknowledgement, an AUP signature, a training record, a holder added or removed, a leaver, a
report filed, its clock answered, a policy review recorded, a message failing, a day's sweep, a
view on a later day before its sweep) over a year of school days; after each one the stored
tallies, audiences and per-person rows equal a recount from the duties
(``assert_snapshot_is_a_recount``), and every kept part of the school's other figures equals
one recomputed from its rows (``assert_figures_are_a_rebuild``). The school is the
dashboard tests' (nine people, two policies to acknowledge, one yearly, a training course, an
AUP and an official account); the examples run one after another on the same school, each
starting where the last left it, the days only moving forward.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.database.figures import PARTS, facts
from bot.core.models import (
    Duty,
    KeptFigures,
    OfficialAccount,
    OutboxMessage,
    Person,
    Policy,
    PolicyVersion,
    Report,
)
from bot.core.outbox.record import DispatchStats, settle
from bot.core.ports.errors import PermanentError
from bot.engine.duty_status import close_done
from bot.engine.leavers import make_leavers
from bot.engine.snapshot import roll_forward
from bot.features.accounts.service import add_holder, remove_holder
from bot.features.policies.attest import acknowledge, sign_aup
from bot.features.policies.review import record_review
from bot.features.reports.actions import record_referral
from bot.features.reports.intake import submit_report
from bot.features.reports.submission import Submission
from tests.engine.test_snapshot import assert_snapshot_is_a_recount
from tests.features.dashboard.test_support import TODAY, Env
from tests.support.helpers import at

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env fixtures

YEAR_END = TODAY + timedelta(days=365)
EMAILS = ("amy", "ben", "cal", "dot", "dsl", "deputy", "head")
KINDS = (
    "acknowledge",
    "sign",
    "training",
    "hold",
    "unhold",
    "leave",
    "sweep",
    "view",
    "report",
    "answer",
    "review",
    "fail",
)
CONCERNS = ("staff_concern", "data_breach", "cyberbullying")  # a LADO clock, an ICO one, none
EVENTS = st.tuples(st.sampled_from(KINDS), st.sampled_from(EMAILS), st.integers(0, 40))


def _person(session: Session, name: str) -> Person | None:
    """The active person whose address starts with ``name``, if they have not left."""
    person = session.scalar(select(Person).where(Person.email == f"{name}@oak.example"))
    return person if person is not None and person.active else None


def _open(session: Session, person: Person, kind: str) -> Duty | None:
    """One of the person's open duties of ``kind`` (the oldest), if any."""
    return session.scalars(
        select(Duty)
        .where(Duty.person_id == person.id, Duty.kind == kind, Duty.status == "open")
        .order_by(Duty.id)
    ).first()


def assert_figures_are_a_rebuild(env: Env) -> None:
    """Every kept part of the school's figures equals one recomputed from its rows."""
    with env.context.store.session() as session:
        kept = dict(
            session.execute(
                select(KeptFigures.part, KeptFigures.facts).where(KeptFigures.school_id == "oak")
            ).all()
        )
        assert kept == {part: facts(session, "oak", part) for part in PARTS}


def _report(env: Env, session: Session, name: str, n: int, day: date) -> None:
    """A concern filed by ``name`` (a staff one starts a clock, a data breach another)."""
    submit_report(
        session,
        env.context.config.schools[0],
        Submission(
            category=CONCERNS[n % len(CONCERNS)],
            involved=(("staff", ""),),
            what_happened="Something a member of staff saw.",
            occurred="today",
            location=None,
            actions_taken=None,
        ),
        now=at(day, 9 + n % 8),
        base_url="https://bot.oak.example",
        actor=f"{name}@oak.example",
    )


def _answer(session: Session, day: date) -> None:
    """The oldest report with a running referral clock has its referral recorded (the clock
    stops)."""
    for report in session.scalars(select(Report).order_by(Report.id)):
        running = [c.kind for c in report.clocks if c.stopped_at is None and c.kind != "triage"]
        if running:
            record_referral(
                session,
                report,
                actor="dsl@oak.example",
                target=running[0],
                outcome="referred",
                text="Referred by phone.",
                reason=None,
                now=at(day, 15),
            )
            return


def _review(session: Session, n: int, day: date) -> None:
    """A policy's review recorded by the governors, unless one is recorded later already."""
    policy = session.scalars(select(Policy).order_by(Policy.id)).all()[n % 2]
    if policy.last_reviewed is None or policy.last_reviewed <= day:
        record_review(
            session,
            policy,
            reviewed_on=day,
            body="FGB",
            minute_ref=None,
            actor="head@oak.example",
            today=day,
        )


def _fail(env: Env, day: date) -> None:
    """The platform refuses the newest message still waiting to go."""
    with env.context.store.session() as session:
        row = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id.desc())
        ).first()
    if row is not None:
        refused = [(row, "", PermanentError("refused"))]
        settle(
            env.context.store,
            "email",
            refused,
            at(day, 11),
            DispatchStats(),
            None,
            troubled_before=False,
        )


def _apply(env: Env, kind: str, name: str, day: date, n: int = 0) -> None:
    """Make one event happen on ``day`` the way the product makes it."""
    if kind == "sweep":
        env.sweep(day)
        return
    if kind == "fail":
        _fail(env, day)
        return
    if kind in ("report", "answer", "review"):
        with env.context.store.transaction() as session:
            if kind == "report":
                _report(env, session, name, n, day)
            elif kind == "answer":
                _answer(session, day)
            else:
                _review(session, n, day)
        return
    with env.context.store.transaction() as session:
        person = _person(session, name)
        account = session.scalars(select(OfficialAccount)).one()
        if kind == "view":  # a view on a day the sweep has not reached yet
            roll_forward(session, "oak", day)
        elif person is None:
            return
        elif kind == "acknowledge" and (duty := _open(session, person, "acknowledge_policy")):
            assert duty.policy_version is not None
            acknowledge(
                session,
                person,
                duty,
                duty.policy_version,
                method="link",
                ip=None,
                user_agent=None,
                now=at(day, 10),
            )
        elif kind == "sign" and (duty := _open(session, person, "sign_aup")):
            version = session.get(PolicyVersion, duty.policy_version_id)
            assert version is not None
            sign_aup(
                session,
                person,
                version,
                "Social Media AUP",
                person.display_name,
                method="link",
                ip=None,
                user_agent=None,
                now=at(day, 10),
            )
        elif kind == "training" and (duty := _open(session, person, "complete_training")):
            close_done(session, [duty], f"training:{person.id}:{day}", day)
        elif kind == "hold" and not any(
            h.person_id == person.id and h.until is None for h in account.holders
        ):
            add_holder(session, account, person, day, actor="head@oak.example")
        elif kind == "unhold" and any(
            h.person_id == person.id and h.until is None for h in account.holders
        ):
            remove_holder(session, account, person.id, day, actor="head@oak.example")
        elif kind == "leave" and name not in ("head", "dsl"):  # the school keeps its leaders
            make_leavers(session, "oak", [person.id], day)


def test_kept_counts_equal_a_rebuild_after_every_event_of_a_year(any_env: Env) -> None:
    env = any_env
    calendar: dict[str, Any] = {"day": TODAY}

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,  # the same year each run: a failure here is a failure in CI
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(EVENTS, min_size=1, max_size=8))
    def year(events: list[tuple[str, str, int]]) -> None:
        for kind, name, days in events:
            calendar["day"] = min(YEAR_END, calendar["day"] + timedelta(days=days))
            _apply(env, kind, name, calendar["day"], days)
            assert_snapshot_is_a_recount(env)
            assert_figures_are_a_rebuild(env)

    year()
    assert calendar["day"] > TODAY + timedelta(days=30)  # the events spread over the year
