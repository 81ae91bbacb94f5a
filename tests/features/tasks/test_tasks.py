"""Recurring tasks: the pure period rules, owners sharing a task, and whole terms of reminders
under time-machine (a weekly photo upload across half term, a termly filtering check, a yearly
lock-code change); the emailed /task link records nothing until its button is pressed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.core.config import ConfigError, RequirementConfig, SchoolConfig, load_config
from bot.core.guards.links import make_token
from bot.core.models import AuditEvent, Duty, OutboxMessage, Person, TaskCompletion
from bot.engine.duties import plan_duties
from bot.engine.duty_facts import DutyFacts, Evidence, PersonFacts, RequirementFacts
from bot.engine.periods import current_task_period, task_period, term_base
from bot.engine.sweep import run_sweep
from bot.features import tasks
from bot.features.dashboard.web import dashboard_counts
from bot.features.tasks import service as tasks_service
from tests.features.decisions.test_support import TERMS, Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at

STAFF = frozenset({"staff"})


def task(**extra: object) -> RequirementConfig:
    """A recurring task requirement (weekly, owned by p1@x.org unless overridden)."""
    return RequirementConfig.model_validate(
        {
            "id": "photos",
            "kind": "recurring_task",
            "title": "Upload and clear the photos",
            "every": "weekly",
            "owners": ["p1@x.org"],
            **extra,
        }
    )


def person(pid: int, **extra: object) -> PersonFacts:
    return PersonFacts(id=pid, email=f"p{pid}@x.org", roles=STAFF, groups=frozenset(), **extra)  # type: ignore[arg-type]


def calendar(**extra: object) -> SchoolConfig:
    return SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak", "headteacher": "h@x.org", "terms": TERMS, **extra}
    )


# --------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("spec", "day", "key", "start", "due_by"),
    [
        (
            {"every": "weekly"},
            date(2026, 11, 25),
            "2026-W48",
            date(2026, 11, 23),
            date(2026, 11, 27),
        ),
        ({"every": "weekly"}, date(2027, 1, 3), "2026-W53", date(2026, 12, 28), date(2027, 1, 1)),
        ({"every": "monthly"}, date(2026, 2, 14), "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ({"every": "yearly"}, date(2026, 11, 25), "2026-27", date(2026, 9, 1), date(2027, 8, 31)),
        ({"every": "yearly"}, date(2026, 8, 31), "2025-26", date(2025, 9, 1), date(2026, 8, 31)),
        (
            {"every": "yearly", "yearly_on": "01-01"},
            date(2026, 11, 25),
            "2026",
            date(2026, 1, 1),
            date(2026, 12, 31),
        ),
        (
            {"every": None, "every_days": 10},
            date(2026, 11, 25),
            "2026-11-21",
            date(2026, 11, 21),
            date(2026, 11, 30),
        ),
        (
            {"every": "termly"},
            date(2026, 11, 25),
            "Autumn 2026",
            date(2026, 9, 1),
            date(2026, 12, 31),
        ),  # no terms configured: England's usual terms
        ({"every": "termly"}, date(2027, 5, 1), "Summer 2027", date(2027, 4, 1), date(2027, 8, 31)),
    ],
)
def test_period_keys_are_the_period_start(
    spec: dict[str, object], day: date, key: str, start: date, due_by: date
) -> None:
    period = task_period(task(**spec), day, anchor=date(2026, 11, 1))
    assert period is not None
    assert (period.key, period.start, period.due_by) == (key, start, due_by)


def test_termly_follows_configured_terms_and_joins_half_terms() -> None:
    cfg = task(every="termly")
    school = calendar()
    assert [term_base(n) for n in ("Autumn 1", "Spring term 2", "Summer (2nd half)", "Term 3")] == [
        "Autumn",
        "Spring",
        "Summer",
        "Term 3",
    ]
    autumn = task_period(cfg, date(2026, 10, 28), date(2026, 9, 1), school.terms)  # half term
    assert autumn is not None
    assert (autumn.key, autumn.start, autumn.due_by) == (
        "Autumn 2026",
        date(2026, 9, 2),
        date(2026, 12, 18),
    )
    christmas = task_period(cfg, date(2027, 1, 4), date(2026, 9, 1), school.terms)
    assert christmas is not None and christmas.key == "Autumn 2026"
    spring = task_period(cfg, date(2027, 1, 5), date(2026, 9, 1), school.terms)
    assert spring is not None and (spring.key, spring.due_by) == ("Spring 2027", date(2027, 3, 26))
    # before the configured calendar starts nothing is owed: no term is invented
    assert task_period(cfg, date(2026, 9, 1), date(2026, 9, 1), school.terms) is None


def test_a_holiday_week_owes_nothing_new_last_week_stays_current() -> None:
    cfg, school = task(), calendar()
    half_term = current_task_period(cfg, date(2026, 10, 28), date(2026, 9, 1), school)
    assert half_term is not None and half_term.key == "2026-W43"
    assert current_task_period(cfg, date(2026, 11, 2), date(2026, 9, 1), school).key == "2026-W45"  # type: ignore[union-attr]
    summer = current_task_period(cfg, date(2027, 8, 10), date(2026, 9, 1), school)
    assert summer is not None and summer.key == "2027-W29"  # the last week of term
    # a monthly task: August owes nothing; July's stays current
    monthly = current_task_period(
        task(every="monthly"), date(2027, 8, 20), date(2026, 9, 1), school
    )
    assert monthly is not None and monthly.key == "2027-07"


def test_owners_share_one_task_audience_members_each_owe_their_own() -> None:
    cfg = task(owners=["p1@x.org", "p2@x.org"], audience={"groups": ["Class teachers"]})
    req = RequirementFacts(id=7, config=cfg, first_seen=date(2026, 11, 1))
    teacher = PersonFacts(id=3, email="t@x.org", roles=STAFF, groups=frozenset({"Class teachers"}))
    people = [person(1), person(2), teacher, person(4)]
    monday = date(2026, 11, 23)
    plan = plan_duties([req], people, {}, [], Evidence(), [], {}, monday)
    assert [(d.person_id, d.cycle, d.opened_on, d.due_on, d.kind) for d in plan.to_open] == [
        (pid, "2026-W48", monday, date(2026, 11, 27), "recurring_task") for pid in (1, 2, 3)
    ]
    # p2 did it: p1's duty is done too (shared); the teacher still owes their own
    evidence = Evidence(tasks={(7, "2026-W48"): frozenset({2})})
    existing = [DutyFacts(10 + d.person_id, 7, d.person_id, d.cycle, "open") for d in plan.to_open]
    after = plan_duties([req], people, {}, [], evidence, existing, {}, monday + timedelta(1))
    assert sorted((c.duty_id, c.status) for c in after.to_close) == [(11, "done"), (12, "done")]
    # the teacher's own completion closes only the teacher's duty
    own = Evidence(tasks={(7, "2026-W48"): frozenset({3})})
    mine = plan_duties([req], people, {}, [], own, existing, {}, monday + timedelta(1))
    assert [(c.duty_id, c.status) for c in mine.to_close] == [(13, "done")]


def test_an_undone_period_closes_as_missed_when_the_next_begins() -> None:
    req = RequirementFacts(id=7, config=task(), first_seen=date(2026, 11, 1))
    existing = [DutyFacts(5, 7, 1, "2026-W48", "open")]
    plan = plan_duties([req], [person(1)], {}, [], Evidence(), existing, {}, date(2026, 11, 30))
    assert [(c.duty_id, c.status) for c in plan.to_close] == [(5, "missed")]
    assert [d.cycle for d in plan.to_open] == ["2026-W49"]


def test_late_arrivals_and_leavers() -> None:
    req = RequirementFacts(id=7, config=task(), first_seen=date(2026, 11, 28))  # a Saturday
    assert (
        plan_duties([req], [person(1)], {}, [], Evidence(), [], {}, date(2026, 11, 28)).to_open
        == []
    )  # configured at the weekend: owed from Monday
    starter = person(1, start_date=date(2026, 12, 2))
    req2 = RequirementFacts(
        id=7, config=task(every="monthly", due_days=10), first_seen=date(2026, 11, 1)
    )
    [duty] = plan_duties([req2], [starter], {}, [], Evidence(), [], {}, date(2026, 12, 3)).to_open
    assert (duty.opened_on, duty.due_on) == (date(2026, 12, 2), date(2026, 12, 12))
    left = plan_duties(
        [req2],
        [person(1, active=False)],
        {},
        [],
        Evidence(),
        [DutyFacts(5, 7, 1, "2026-12", "open")],
        {},
        date(2026, 12, 3),
    )
    assert [(c.duty_id, c.status) for c in left.to_close] == [(5, "left")]


def test_due_date_moves_back_to_a_school_day() -> None:
    req = RequirementFacts(
        id=7,
        config=task(every="monthly", due_days=12, owners=["p1@x.org"]),
        first_seen=date(2026, 9, 1),
    )
    [duty] = plan_duties(
        [req], [person(1)], {}, [], Evidence(), [], {}, date(2026, 11, 2), school=calendar()
    ).to_open
    assert duty.due_on == date(2026, 11, 13)  # 1 Nov + 12 is Friday 13th already
    req3 = RequirementFacts(
        id=7, config=task(every="monthly", due_days=13), first_seen=req.first_seen
    )
    [duty3] = plan_duties(
        [req3], [person(1)], {}, [], Evidence(), [], {}, date(2026, 11, 2), school=calendar()
    ).to_open
    assert duty3.due_on == date(2026, 11, 13)  # Saturday 14th moves back to Friday


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "needs one of 'every"),
        ({"every": "weekly", "every_days": 7}, "not both"),
        ({"every": "weekly", "owners": []}, "needs 'owners"),
        ({"every": "fortnightly"}, "Input should be 'weekly'"),
        ({"kind": "acknowledge_policy", "policy": "p", "every": "weekly"}, "are for recurring"),
    ],
)
def test_config_errors_name_the_line(tmp_path: Path, spec: dict[str, object], message: str) -> None:
    import yaml

    requirement = {"id": "t", "kind": "recurring_task", "owners": ["a@x.org"], **spec}
    path = tmp_path / "school.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": {"name": "T"},
                "schools": [
                    {
                        "id": "oak",
                        "name": "Oak",
                        "headteacher": "h@x.org",
                        "requirements": [requirement],
                    }
                ],
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(path)
    assert "school.yaml line" in str(caught.value) and "requirements[0]" in str(caught.value)
    with pytest.raises(ValidationError):
        RequirementConfig.model_validate(requirement)


def test_the_documented_examples_are_valid() -> None:
    import yaml

    block = (tasks.__doc__ or "").split("::", 1)[1].split("\n\n")[1]
    data = yaml.safe_load(block)
    school = calendar(cadences=data["cadences"], requirements=data["requirements"])
    everies = [(r.id, r.every, r.owners) for r in school.requirements]
    assert everies == [
        ("phone-lock-code", "yearly", ["office@school.example"]),
        ("phone-photos", "weekly", ["office@school.example", "year4@school.example"]),
        ("filtering-check", "termly", ["dsl@school.example"]),
    ]


# --------------------------------------------------------------------------- whole terms


def _sweep_days(env: Env, first: date, last: date, act: dict[date, str] | None = None) -> None:
    """Sweep every day at 08:15; on the given days that person presses Done at noon."""
    ctx = env.context
    day = first
    while day <= last:
        with time_machine.travel(at(day, 8, 15), tick=False):
            run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
        who = (act or {}).get(day)
        if who:
            _press_done(env, who, day)
        day += timedelta(days=1)


def _press_done(env: Env, email: str, day: date) -> None:
    with env.context.store.transaction() as session:
        duty, person = session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Person.email == email, Duty.status == "open", Duty.kind == "recurring_task")
        ).one()
        result = tasks_service.complete_task(
            session,
            env.school,
            duty,
            person,
            method="link",
            ip=None,
            user_agent="test",
            now=at(day, 12),
        )
        assert not result.already


def _sent(env: Env) -> list[tuple[str, str, str, str]]:
    rows = env.outbox("reminder")
    assert {r.status for r in rows} == {"sent"}
    return [
        (
            r.next_attempt_at.date().isoformat(),
            r.recipients[0].split("@")[0],
            ",".join(c.split("@")[0] for c in r.cc),
            r.subject,
        )
        for r in rows
    ]


def _states(env: Env) -> set[tuple[str, str, str | None]]:
    with env.context.store.session() as session:
        return {
            (d.person.email.split("@")[0], d.cycle, d.closed_reason)
            for d in session.scalars(select(Duty).where(Duty.kind == "recurring_task"))
        }


PHOTOS = "Upload and clear the photos on the school phone"


@pytest.mark.slow
def test_weekly_photo_upload_across_half_term(school: SchoolBuilder, database_url: str) -> None:
    env = make_env(
        school,
        database_url,
        today=date(2026, 10, 12),
        terms=TERMS,
        cadences={"task-weekly": {"before_due": [], "on_due": True, "overdue_every_days": 7}},
        requirements=[
            {
                "id": "phone-photos",
                "kind": "recurring_task",
                "title": PHOTOS,
                "every": "weekly",
                "owners": ["amy@oak.example", "ben@oak.example"],
                "cadence": "task-weekly",
            }
        ],
    )
    _sweep_days(
        env,
        date(2026, 10, 12),
        date(2026, 11, 13),
        act={
            date(2026, 10, 14): "amy@oak.example",  # week 42: Amy does it on Wednesday
            date(2026, 11, 3): "ben@oak.example",  # week 45: Ben does it on Tuesday
        },
    )
    ask = f"Action needed: {PHOTOS}"
    assert _sent(env) == [
        ("2026-10-12", "amy", "", ask),
        ("2026-10-12", "ben", "", ask),
        # week 43: nobody does it; the due-day reminder goes on the last day of the half term
        ("2026-10-19", "amy", "", ask),
        ("2026-10-19", "ben", "", ask),
        ("2026-10-23", "amy", "", ask),
        ("2026-10-23", "ben", "", ask),
        # half term (week 44): nothing; week 45 starts afresh
        ("2026-11-02", "amy", "", ask),
        ("2026-11-02", "ben", "", ask),
        ("2026-11-09", "amy", "", ask),
        ("2026-11-09", "ben", "", ask),
        ("2026-11-13", "amy", "", ask),
        ("2026-11-13", "ben", "", ask),
    ]
    assert _states(env) == {
        ("amy", "2026-W42", "done"),
        ("ben", "2026-W42", "done"),  # one press, both closed
        ("amy", "2026-W43", "missed"),
        ("ben", "2026-W43", "missed"),
        ("amy", "2026-W45", "done"),
        ("ben", "2026-W45", "done"),
        ("amy", "2026-W46", None),
        ("ben", "2026-W46", None),
    }
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskCompletion)) == 2
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "task.completed")
        ).all()
        assert [e.details["duties_closed"] for e in events] == [2, 2]
    mail = env.outbox("reminder")[0]
    assert "Mark as done" in mail.payload["text"] and "/task/" in mail.payload["html"]
    counts = dashboard_counts(env.context.store.session(), "oak", date(2026, 11, 16))
    assert counts["tasks_overdue"] == 2  # week 46, due on Friday 13th, still open
    env.context.store.dispose()


FILTERING = "Check filtering and monitoring"


@pytest.mark.slow
def test_termly_filtering_check_escalates_and_rolls_over(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    env = make_env(
        school,
        sqlite_url,
        today=date(2026, 9, 1),
        terms=TERMS,
        requirements=[
            {
                "id": "filtering",
                "kind": "recurring_task",
                "title": FILTERING,
                "every": "termly",
                "due_days": 21,
                "owners": ["dsl@oak.example"],
            }
        ],
    )
    _sweep_days(
        env, date(2026, 9, 1), date(2027, 4, 16), act={date(2026, 9, 22): "dsl@oak.example"}
    )
    ask, late = f"Action needed: {FILTERING}", f"Overdue: {FILTERING}"
    assert _sent(env) == [
        ("2026-09-02", "dsl", "", ask),  # first day of the autumn term
        ("2026-09-09", "dsl", "", ask),  # 14 days before
        ("2026-09-21", "dsl", "", ask),  # 3 days before fell on Sunday
        # spring: never done; weekly overdue, the line manager told after the third
        ("2027-01-05", "dsl", "", ask),
        ("2027-01-12", "dsl", "", ask),
        ("2027-01-25", "dsl", "", ask),
        ("2027-01-26", "dsl", "", ask),  # due
        ("2027-02-02", "dsl", "", late),
        ("2027-02-09", "dsl", "", late),
        ("2027-02-22", "dsl", "", late),  # the third fell in half term: sent on return
        ("2027-02-23", "dsl", "", late),  # the eighth reminder: the cap (the head is told)
        ("2027-04-12", "dsl", "", ask),  # summer term: a new check
        # due Fri 30 April (21 days fell on Mon 3 May, the May Day bank holiday): 14 days before
        ("2027-04-16", "dsl", "", ask),
    ]
    assert _states(env) == {
        ("dsl", "Autumn 2026", "done"),
        ("dsl", "Spring 2027", "missed"),
        ("dsl", "Summer 2027", None),
    }
    env.context.store.dispose()


def test_yearly_lock_code_asks_each_school_year(school: SchoolBuilder, sqlite_url: str) -> None:
    env = make_env(
        school,
        sqlite_url,
        today=date(2026, 9, 1),
        requirements=[
            {
                "id": "lock-code",
                "kind": "recurring_task",
                "title": "Change the school phone's lock code",
                "every": "yearly",
                "owners": ["amy@oak.example"],
                "cadence": "quiet",
            }
        ],
        cadences={"quiet": {"before_due": [], "on_due": False, "max_reminders": 1}},
    )
    for day, who in (
        (date(2026, 9, 1), None),
        (date(2026, 9, 3), "amy@oak.example"),
        (date(2027, 6, 1), None),
        (date(2027, 9, 1), None),
    ):
        _sweep_days(env, day, day, act={day: who} if who else None)
    assert [(d, who, subject) for d, who, _, subject in _sent(env)] == [
        ("2026-09-01", "amy", "Action needed: Change the school phone's lock code"),
        ("2027-09-01", "amy", "Action needed: Change the school phone's lock code"),
    ]
    assert _states(env) == {("amy", "2026-27", "done"), ("amy", "2027-28", None)}
    env.context.store.dispose()


# --------------------------------------------------------------------------- the emailed link


def _task_env(school: SchoolBuilder) -> tuple[Env, dict[str, str]]:
    env = make_env(
        school,
        requirements=[
            {
                "id": "phone-photos",
                "kind": "recurring_task",
                "title": PHOTOS,
                "every": "weekly",
                "owners": ["amy@oak.example", "ben@oak.example"],
            }
        ],
    )
    ctx = env.context
    with time_machine.travel(at(date(2026, 11, 23), 8, 15), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    links = {}
    for row in env.outbox("reminder"):
        [url] = re.findall(r"http://testserver(/task/\S+)", row.payload["text"])
        links[row.recipients[0]] = url
    return env, links


def _completions(env: Env) -> int:
    with env.context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(TaskCompletion)) or 0)


def test_link_get_records_nothing_done_records_once(school: SchoolBuilder) -> None:
    env, links = _task_env(school)
    with time_machine.travel(at(date(2026, 11, 24), 10), tick=True):
        client = env.client()
        page = client.get(links["amy@oak.example"])
        client.get(links["amy@oak.example"])  # a mail scanner, then Amy
        assert page.status_code == 200 and _completions(env) == 0
        assert PHOTOS in page.text and "the week beginning Monday 23 November 2026" in page.text
        assert "You share this task with Ben Brook" in page.text
        done = client.post(links["amy@oak.example"], data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 200 and "is marked done" in done.text
        assert "The 1 other person who shares it will not be reminded" in done.text
        again = client.post(links["amy@oak.example"], data={"csrf_token": csrf_of(page.text)})
        assert "Already done" in again.text and _completions(env) == 1
        # Ben's own link now says it is done, by whom
        ben = env.client().get(links["ben@oak.example"])
        assert "Already done" in ben.text and "by Amy Able" in ben.text
        no_csrf = client.post(links["amy@oak.example"], data={})
        assert no_csrf.status_code == 403
    with env.context.store.session() as session:
        completion = session.scalars(select(TaskCompletion)).one()
        assert completion.method == "link" and completion.cycle == "2026-W48"
        assert completion.ip == "testclient"
        assert (
            session.scalar(select(func.count()).select_from(Duty).where(Duty.status == "done")) == 2
        )
    assert len(env.audit("task.completed")) == 1
    env.context.store.dispose()


def test_tampered_expired_and_wrong_purpose_links(school: SchoolBuilder) -> None:
    env, links = _task_env(school)
    link = links["amy@oak.example"]
    client = env.client()
    with time_machine.travel(at(date(2026, 11, 24), 10), tick=True):
        tampered = client.get(link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB"))
        assert tampered.status_code == 400 and "isn't valid" in tampered.text
        with env.context.store.session() as session:
            duty = session.scalars(select(Duty)).first()
            assert duty is not None
            ack = make_token(
                env.context.settings.signing_key(), "ack", duty.person_id, duty.id, None
            )
        assert client.get(f"/task/{ack}").status_code == 400  # an ack token is not a task's
    with time_machine.travel(at(date(2027, 1, 5), 10), tick=True):
        expired = client.get(link)
        assert expired.status_code == 410 and "expired" in expired.text
        post = client.post(link, data={"csrf_token": csrf_of(expired.text)})
        assert post.status_code == 410 and _completions(env) == 0
        renew = client.post(
            "/task/renew",
            data={"csrf_token": csrf_of(expired.text), "token": link.removeprefix("/task/")},
        )
        assert "Check your email" in renew.text
    [fresh] = env.outbox("link_renewal")
    assert fresh.recipients == ["amy@oak.example"] and "/task/" in fresh.payload["text"]
    env.context.store.dispose()


def test_missed_period_link_explains(school: SchoolBuilder) -> None:
    env, links = _task_env(school)
    ctx = env.context
    with time_machine.travel(at(date(2026, 11, 30), 8, 15), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    with ctx.store.session() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    with time_machine.travel(at(date(2026, 11, 30), 10), tick=True):
        page = env.client().get(links["amy@oak.example"])
    assert page.status_code == 200 and "which has ended" in page.text
    assert _completions(env) == 0
    with ctx.store.session() as session:  # opening the link queued nothing either
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
    env.context.store.dispose()


def test_reconcile_closes_a_new_owners_duty_for_a_done_period(school: SchoolBuilder) -> None:
    env, links = _task_env(school)
    ctx = env.context
    with time_machine.travel(at(date(2026, 11, 24), 10), tick=True):
        client = env.client()
        page = client.get(links["amy@oak.example"])
        client.post(links["amy@oak.example"], data={"csrf_token": csrf_of(page.text)})
    env.builder.school["requirements"][0]["owners"].append("admin@oak.example")
    env.builder.write()
    ctx.forget_config()
    with time_machine.travel(at(date(2026, 11, 25), 8, 15), tick=False):
        [result], _ = run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    # completions are evidence for the engine: the new owner's duty is born done, so the
    # reconcile step has nothing left to close and nobody is reminded of a finished task
    assert result.extra.get("tasks_closed", 0) == 0
    assert ("admin", "2026-W48", "done") in _states(env)
    assert "admin@oak.example" not in {r.person_email for r in result.reminders}
    env.context.store.dispose()
