"""The scheduler: fixed job ids, explicit grace, and only one scheduler process at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.deployment.settings import Settings
from schedules.jobs import JOBS, dispatch_job, forms_job, sweep_job
from schedules.runner import SchedulerAlreadyRunningError, SchedulerLock, build_scheduler
from tests.support.helpers import SchoolBuilder


def test_jobs_have_fixed_ids_and_explicit_grace(tmp_path: Path) -> None:
    scheduler = build_scheduler(Settings(home=tmp_path))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "compliance-bot.engine.sweep",
        "compliance-bot.dispatch",
        "compliance-bot.reports.forms",
        "compliance-bot.maintenance",
    }
    for spec in JOBS:
        job = jobs[spec.id]
        assert job.misfire_grace_time == spec.grace > 1  # the default of 1 s skips late runs
        assert job.coalesce and job.max_instances == 1
        assert job.kwargs == {"home": str(tmp_path.resolve())}
    start = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)  # the night the clocks go back
    sweep = jobs["compliance-bot.engine.sweep"].trigger
    first = sweep.get_next_fire_time(None, start)
    second = sweep.get_next_fire_time(first, first)
    assert (second - first).total_seconds() == 15 * 60
    # the first sweep runs as the scheduler starts: people can sign in the minute `run` starts
    assert jobs["compliance-bot.engine.sweep"].next_run_time is not None
    assert jobs["compliance-bot.engine.sweep"].next_run_time <= datetime.now(UTC)
    forms = jobs["compliance-bot.reports.forms"]  # an urgent concern on a form waits <= 1 min
    first = forms.trigger.get_next_fire_time(None, start)
    assert (forms.trigger.get_next_fire_time(first, first) - first).total_seconds() <= 60
    assert forms.misfire_grace_time >= 60


def test_the_forms_job_reads_new_responses_and_hands_their_alerts_over_at_once(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import schedules.jobs as jobs
    from bot.core.models import Report

    home = school.write()
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "k" * 40)
    monkeypatch.setattr(jobs, "_contexts", {})
    (home / "form-responses.jsonl").write_text(
        json.dumps(
            {
                "id": "f-1",
                "submitted_at": "2026-11-23T08:58:00Z",
                "answers": {
                    "Category": "Nude or semi-nude image sharing",
                    "What happened": "Fictional",
                },
            }
        )
        + "\n",
        encoding="utf-8",
    )
    import time_machine

    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tick=False):
        forms_job(str(home))  # no sweep, no dispatch job: the alert is delivered by this job
        sent = list((home / "outbox").glob("*.eml"))
        forms_job(str(home))
    assert len(sent) == 1 and "New report" in sent[0].read_text(encoding="utf-8")
    assert len(list((home / "outbox").glob("*.eml"))) == 1  # read once, told once
    with jobs._context(str(home)).store.session() as session:
        assert len(session.scalars(select(Report)).all()) == 1


def test_a_second_scheduler_cannot_start(tmp_path: Path, database_url: str) -> None:
    """File lock beside SQLite; advisory lock on PostgreSQL."""
    settings = Settings(home=tmp_path, database_url=database_url)
    first, second = SchedulerLock(settings), SchedulerLock(settings)
    first.acquire()
    with pytest.raises(SchedulerAlreadyRunningError):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_jobs_run_a_cycle_and_deliver(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.policy("p", "1", published="2026-11-02")
    school.requirement(
        id="ack", kind="acknowledge_policy", policy="p", audience={"roles": ["staff"]}
    )
    home = school.write()
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "k" * 40)
    import time_machine

    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tick=False):
        sweep_job(str(home))
        assert not list((home / "outbox").glob("*.eml"))  # the sweep only queues
        dispatch_job(str(home))
    # four reminders, and Monday's weekly digest to the headteacher
    assert len(list((home / "outbox").glob("*.eml"))) == 5


def test_jobs_share_one_context_per_process(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pacers and the recipient count live in the connectors, the engine in the store: a job
    run must not rebuild them (nor re-run the migrations every minute)."""
    import bot.core.database.store as store_module
    import bot.core.deployment.context as context_module
    import schedules.jobs as jobs

    home = school.write()
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "k" * 40)
    built: list[object] = []
    upgrades: list[object] = []
    real = context_module.build_connectors
    real_upgrade = store_module.Store.upgrade

    def counting(settings: object) -> object:
        built.append(settings)
        return real(settings)  # type: ignore[arg-type]

    def counting_upgrade(self: object) -> None:
        upgrades.append(self)
        real_upgrade(self)  # type: ignore[arg-type]

    monkeypatch.setattr(context_module, "build_connectors", counting)
    monkeypatch.setattr(store_module.Store, "upgrade", counting_upgrade)
    monkeypatch.setattr(jobs, "_contexts", {})
    for _ in range(3):
        dispatch_job(str(home))
    sweep_job(str(home))
    sweep_job(str(home))
    assert len(built) == 1
    assert len(upgrades) == 1


def test_dispatch_job_warns_while_a_message_needs_a_person(
    school: SchoolBuilder,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every run of the dispatch job logs a warning until the uncertain message is resolved."""
    import schedules.jobs as jobs
    from bot.core.models import OutboxMessage, utcnow
    from bot.core.outbox.delivery import resolve

    home = school.write()
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "k" * 40)
    monkeypatch.setattr(jobs, "_contexts", {})
    dispatch_job(str(home))
    ctx = jobs._context(str(home))
    with ctx.store.transaction() as session:
        _queue_one(session)
        row = session.scalars(select(OutboxMessage)).one()
        row.status = "delivery_unknown"  # as a 504 or a crash mid-send leaves it
    caplog.set_level("WARNING", logger="schedules")
    for _ in range(2):
        dispatch_job(str(home))
    warnings = [r for r in caplog.records if "may not have arrived" in r.getMessage()]
    assert len(warnings) == 2 and all(r.levelname == "WARNING" for r in warnings)
    assert "1 message(s) may not have arrived and 0 could not be delivered" in (
        warnings[0].getMessage()
    )
    assert "compliance-bot outbox resolve ID --sent" in warnings[0].getMessage()
    with ctx.store.transaction() as session:
        resolve(
            session,
            row.id,
            resend=False,
            email="head@oak.example",
            schools={s.id: s for s in ctx.config.schools},
            now=utcnow(),
        )
    caplog.clear()
    dispatch_job(str(home))
    assert not [r for r in caplog.records if "may not have arrived" in r.getMessage()]


def test_a_school_yaml_broken_after_a_good_read_leaves_delivery_on_the_last_good_settings(
    school: SchoolBuilder,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The dispatch job reads the settings as the dispatch worker does: an edit that breaks
    school.yaml leaves the last good settings in force (refusal alerts still reach the school's
    admins), and queued mail still goes. It read the file afresh each minute before, so one
    broken edit told nobody of a refused message until it was fixed."""
    import schedules.jobs as jobs

    home = school.write()
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "k" * 40)
    monkeypatch.setattr(jobs, "_contexts", {})
    dispatch_job(str(home))  # the settings read once, as they were
    (home / "school.yaml").write_text("schools: [\n", encoding="utf-8")  # a broken edit
    ctx = jobs._context(str(home))
    with ctx.store.transaction() as session:
        _queue_one(session)
    caplog.set_level("WARNING")
    dispatch_job(str(home))
    assert len(list((home / "outbox").glob("*.eml"))) == 1
    assert not [r for r in caplog.records if "refusal alerts wait" in r.getMessage()]
    assert [r for r in caplog.records if "last good one stays in force" in r.getMessage()]


def _queue_one(session: Session) -> None:
    """One routine email queued for Oak's Amy."""
    from bot.core.models import School
    from bot.core.outbox import EmailDraft, Urgency, enqueue_email

    session.add(School(id="oak", name="Oak Test School"))
    enqueue_email(
        session,
        school_id="oak",
        key="k1",
        purpose="reminder",
        urgency=Urgency.ROUTINE,
        draft=EmailDraft(("amy@oak.example",), "s", "t", "h"),
    )
    session.flush()
