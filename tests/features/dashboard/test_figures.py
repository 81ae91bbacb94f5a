"""``read_figures``: what each headline counts, and that its snapshot never serves stale data."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from bot.core.models import Person, TrainingRecord
from bot.engine.snapshot import rebuild
from bot.features.dashboard.figures import read_figures
from bot.features.dashboard.rules import AGE_BANDS, Figures, PolicyFigure, TrainingFigure, age_band
from tests.features.dashboard.test_support import NOW, TODAY, Env, acknowledge_as
from tests.support.helpers import SchoolBuilder

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env and frozen fixtures


def figures(env: Env, day: date = TODAY) -> Figures:
    """The school's figures as of ``day`` at NOW."""
    with env.context.store.session() as session:
        return read_figures(session, "oak", day, now=NOW)


def by_key(f: Figures) -> dict[str, PolicyFigure]:
    """Policy figures by policy key."""
    return {p.key: p for p in f.policies}


def test_acknowledgements_count_the_current_cycle_of_active_people(
    read_env: Env, frozen: None
) -> None:
    env = read_env
    f = figures(env)
    assert f.people == 9
    online, child, aup = (by_key(f)[k] for k in ("online-safety", "child-protection", "aup"))
    assert (online.done, online.owed, online.overdue) == (3, 8, 5)
    assert (child.done, child.owed, child.overdue) == (5, 8, 0)
    assert not aup.required and aup.rate == 1.0  # signed by holders, never acknowledged
    assert (f.ack_done, f.ack_owed) == (8, 16)
    assert f.ack_rate == 0.5
    assert sum(p.required and p.rate < f.ack_target for p in f.policies) == 2  # below target


def test_training_counts_everyone_in_the_audience_not_only_those_with_duties(any_env: Env) -> None:
    env = any_env
    [training] = figures(env).training
    assert training == TrainingFigure(
        requirement_id=training.requirement_id,
        key="training",
        course="Safeguarding",
        audience=7,  # the staff, less the excluded admin
        never=6,
        expired=0,
        renewing=0,
        overdue=6,
    )
    assert training.up_to_date == 1
    with env.context.store.transaction() as session:
        ben = session.scalar(select(Person).where(Person.email == "ben@oak.example"))
        assert ben is not None
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=ben.id,
                course="Safeguarding",
                completed_on=date(2025, 11, 25),
                import_key="t-ben",
            )
        )
    env.sweep(TODAY)
    [training] = figures(env).training
    # trained, and renewal opened 30 days before expiry: still up to date
    assert (training.never, training.renewing, training.up_to_date) == (5, 1, 2)
    [later] = figures(env, date(2026, 11, 26)).training
    assert later.expired == 1 and later.up_to_date == 1  # expired on 25 November


def test_accounts_reviews_duties_and_attention(read_env: Env, frozen: None) -> None:
    env = read_env
    f = figures(env)
    [account] = f.accounts
    assert (account.name, account.holders, account.unsigned, account.handover_needed) == (
        "School Facebook page",
        2,
        2,
        False,
    )
    reviews = {p.key: p.review for p in f.policies}
    assert reviews["child-protection"] == "overdue"
    assert reviews["online-safety"] == "due soon"
    assert (f.policies_overdue, f.policies_due_soon) == (1, 1)
    assert (f.open_duties, f.overdue_duties) == (16, 13)
    assert f.overdue_by_kind == {"acknowledge_policy": 5, "complete_training": 6, "sign_aup": 2}
    assert f.needs_attention() == [
        "1 report deadline has passed",
        "2 report clocks running",
        "1 policy overdue for review",
        "1 official account with unsigned holders",
        "6 staff trainings missing or expired",
        "13 overdue staff duties",
        "1 policy is due for review within 30 days",
    ]
    assert {a.section for a in f.attention()} <= {
        "reports",
        "reviews",
        "accounts",
        "training",
        "duties",
    }


def test_reports_about_the_headteacher_are_left_out_and_closed_ones_too(
    read_env: Env, frozen: None
) -> None:
    env = read_env
    f = figures(env)
    assert f.open_reports == 2
    assert {u: sum(n.values()) for u, n in f.reports_by_age.items()} == {
        "immediate": 1,
        "high": 1,
        "normal": 0,
    }
    assert f.reports_by_age["immediate"] == {b: int(b == "today") for b in AGE_BANDS}
    assert f.reports_by_age["high"] == {b: int(b == "1–7 days") for b in AGE_BANDS}
    assert (f.running_clocks, f.clocks_overdue, f.reports_with_clocks) == (2, 1, 2)


def test_age_bands() -> None:
    assert [age_band(d) for d in (0, 1, 7, 8, 30, 31)] == [
        "today",
        "1–7 days",
        "1–7 days",
        "8–30 days",
        "8–30 days",
        "over 30 days",
    ]


def test_cache_follows_acknowledgements_leavers_and_sweeps(any_env: Env) -> None:
    env = any_env
    assert by_key(figures(env))["online-safety"].done == 3
    acknowledge_as(env, "ben@oak.example", "online-safety", TODAY)  # closes an open duty
    assert by_key(figures(env))["online-safety"].done == 4
    # a leaver: their done acknowledgement stops counting once the sweep deactivates them
    # (after the grace period: disabled in the directory, they are missing for 7 days first)
    env.context.settings.directory_file.write_text(
        env.context.settings.directory_file.read_text(encoding="utf-8").replace(
            "amy@oak.example,Amy Able,staff,All Staff,dsl@oak.example,,yes",
            "amy@oak.example,Amy Able,staff,All Staff,dsl@oak.example,,no",
        ),
        encoding="utf-8",
    )
    env.sweep(TODAY, hour=13)
    assert figures(env).people == 9  # missing from the directory: counted for the grace period
    env.sweep(TODAY + timedelta(days=7), hour=13)
    f = figures(env)
    assert f.people == 8
    assert (by_key(f)["online-safety"].done, by_key(f)["online-safety"].owed) == (3, 7)
    # every figure equals a fresh count of the snapshot
    with env.context.store.transaction() as session:
        rebuild(session, "oak", TODAY)
    assert figures(env) == f


def test_overdue_moves_with_the_day_not_the_cache(env: Env) -> None:
    assert by_key(figures(env, TODAY))["child-protection"].overdue == 0
    assert by_key(figures(env, TODAY + timedelta(days=11)))["child-protection"].overdue == 3


def test_an_empty_school_has_sensible_figures(school: SchoolBuilder, sqlite_url: str) -> None:
    ctx = school.context(sqlite_url)
    with ctx.store.session() as session:
        f = read_figures(session, "oak", TODAY, now=NOW)
    assert (f.people, f.ack_rate, f.training_rate, f.open_reports) == (0, 1.0, 1.0, 0)
    assert f.needs_attention() == []


def test_figures_survive_a_requirement_switched_off(env: Env) -> None:
    from bot.core.models import Requirement

    with env.context.store.transaction() as session:
        session.execute(
            update(Requirement).where(Requirement.key == "training").values(active=False)
        )
    assert figures(env).training == []
