"""The kept counts equal a rebuild after every event of a generated year, on both databases.

Hypothesis draws sequences of the events that change the dashboard's duty counts (an
acknowledgement, an AUP signature, a training record, a holder added or removed, a leaver, a
day's sweep, a view on a later day before its sweep) over a year of school days; after each
one the stored tallies, audiences and per-person rows equal a recount from the duties
(``assert_snapshot_is_a_recount``). The school is the dashboard tests' (nine people, two
policies to acknowledge, one yearly, a training course, an AUP and an official account); the
examples run one after another on the same school, each starting where the last left it, the
days only moving forward.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import Duty, OfficialAccount, Person, PolicyVersion
from bot.engine.duty_status import close_done
from bot.engine.leavers import make_leavers
from bot.engine.snapshot import roll_forward
from bot.features.accounts.service import add_holder, remove_holder
from bot.features.policies.attest import acknowledge, sign_aup
from tests.engine.test_snapshot import assert_snapshot_is_a_recount
from tests.features.dashboard.test_support import TODAY, Env
from tests.support.helpers import at

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env fixtures

YEAR_END = TODAY + timedelta(days=365)
EMAILS = ("amy", "ben", "cal", "dot", "dsl", "deputy", "head")
KINDS = ("acknowledge", "sign", "training", "hold", "unhold", "leave", "sweep", "view")
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


def _apply(env: Env, kind: str, name: str, day: date) -> None:
    """Make one event happen on ``day`` the way the product makes it."""
    if kind == "sweep":
        env.sweep(day)
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
            _apply(env, kind, name, calendar["day"])
            assert_snapshot_is_a_recount(env)

    year()
    assert calendar["day"] > TODAY + timedelta(days=30)  # the events spread over the year
