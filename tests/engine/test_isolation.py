"""One school's failing step never stops another school's clocks, nor the school's other steps
(bot.engine.sweep, bot.engine.step_failures): each step of each school runs in isolation, the
report deadlines first; a failure is recorded, told to the school's admins once and cleared when
the step works again."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.core.config import SchoolConfig
from bot.core.deployment.context import AppContext, StepContext
from bot.core.deployment.settings import Settings
from bot.core.models import StepFailure, SweepRun
from bot.engine import duties_step, steps, sweep, sweep_people
from bot.engine.config_sync import sync_config
from bot.engine.directory import sync_directory
from bot.engine.step_failures import ENGINE_TITLES, failing_steps
from bot.engine.sweep import SchoolSweep, run_sweep
from bot.features.reports.intake import submit_report
from bot.web.app import create_app
from bot.wiring import FEATURE_STEPS, FIRST, STEPS, install
from tests.conftest import isolated
from tests.features.reports.test_clocks import london
from tests.features.reports.test_support import TestClient, configure, sign_in, submission
from tests.support.helpers import Row, SchoolBuilder, outbox_as_sent
from tests.support.keys import TEST_SECRET
from tests.support.migrated import copy_database, drop_copy

ELM = {
    "id": "elm",
    "name": "Elm Test School",
    "headteacher": "head@elm.example",
    "dsl": ["dsl@elm.example"],
    "deputy_dsl": ["deputy@elm.example"],
    "admins": ["admin@elm.example"],
    "reports": {"allow_anonymous": True, "triage_school_days": 1},
}
STARTED = london(2026, 10, 23, 15, 0)  # an allegation on a Friday: due Monday 17:00
SETTINGS: dict[str, Any] = {"demo": True, "base_url": "http://testserver"}
HALF_TIME = datetime(2026, 10, 26, 7, 0, tzinfo=UTC)  # Monday 07:00: the half-time warning
ENGINE_STEPS = ("directory", "extra_people", "mis", "settings", "handovers", "duties")
FEATURE_NAMES = tuple(s.__name__ for s in (*FIRST, *STEPS))
ALL_STEPS = (*FEATURE_NAMES[:1], *ENGINE_STEPS, *FEATURE_NAMES[1:])  # the order they run in


class Broken(RuntimeError):
    """The failure injected into one step of one school."""


@pytest.fixture(scope="module")
def built_trust(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[tuple[Path, str]]:
    """Two schools, each with a staff allegation filed on Friday afternoon: built once per
    backend (the school's folder and its database), copied for each test (``trust``)."""
    folder = tmp_path_factory.mktemp("trust")
    with isolated(folder):
        school = configure(SchoolBuilder(folder / "school"))
        school.others = [ELM]
        school.people += [
            Row(f"{who}@elm.example", f"{who.title()} Elm", "staff", "All Staff", school="elm")
            for who in ("head", "dsl", "deputy", "admin")
        ]
        context = school.context(module_database_url, **SETTINGS)
        with context.store.transaction() as session:
            for config in context.config.schools:
                sync_directory(
                    session,
                    config,
                    context.connectors.directory,
                    STARTED.date(),
                    default_school=config.id == "oak",
                )
                sync_config(session, context.config, config, STARTED.date())
        for config in context.config.schools:
            _file_allegation(context, config)
        context.store.dispose()  # a database is copied only while nobody is connected to it
    yield school.home, module_database_url


@pytest.fixture
def trust(built_trust: tuple[Path, str], tmp_path: Path) -> Iterator[AppContext]:
    """The test's own copy of ``built_trust``: its folder and its database."""
    home, url = built_trust
    copy = copy_database(url, tmp_path)
    context = AppContext(
        Settings(
            home=shutil.copytree(home, tmp_path / "school"),
            database_url=copy,
            secret_key=TEST_SECRET,
            **SETTINGS,
        )
    )
    install()
    yield context
    install()
    context.store.dispose()
    drop_copy(copy)


def _file_allegation(context: AppContext, config: SchoolConfig) -> None:
    with context.store.transaction() as session:
        submit_report(
            session,
            config,
            submission(category="staff_concern", involved=(("staff", "Mr X"),)),
            now=STARTED,
            base_url="http://testserver",
            actor="test",
            uploads_dir=context.settings.uploads_dir,
        )


def _sweep(context: AppContext, moment: datetime = HALF_TIME) -> dict[str, SchoolSweep]:
    with time_machine.travel(moment, tick=False):
        results, _ = run_sweep(
            context.store,
            context.settings,
            context.config,
            context.connectors,
            now=moment,
            deliver=False,
        )
    return {r.school_id: r for r in results}


def _failed(result: SchoolSweep) -> tuple[str, ...]:
    """The names of the steps that failed for the school in its run."""
    return tuple(f.step for f in result.failed)


def _warned(context: AppContext) -> set[str]:
    """The schools whose report deadline warnings are queued."""
    return {m.school_id for m in outbox_as_sent(context.store, "report_escalation")}


def _school_of(args: tuple[Any, ...]) -> str | None:
    """The school a step or an engine function was called for."""
    for arg in args:
        if isinstance(arg, StepContext):
            return arg.school.id
        if isinstance(arg, SchoolConfig):
            return arg.id
        if isinstance(arg, str) and arg in ("oak", "elm"):
            return arg
    return None


def _failing_in_oak(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original``, except that it raises for the school ``oak``."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        if _school_of(args) == "oak":
            raise Broken("injected")
        return original(*args, **kwargs)

    broken.__name__ = original.__name__
    return broken


def _break(step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``step`` raise for oak: a feature step through the registry the app hands the
    engine, an engine step by replacing the function it calls (fault injection)."""
    if step in FEATURE_NAMES:
        swapped = {s: _failing_in_oak(s) if s.__name__ == step else s for s in (*FIRST, *STEPS)}
        steps.register(
            replace(
                FEATURE_STEPS,
                first=tuple(swapped[s] for s in FIRST),
                sweep=tuple(swapped[s] for s in STEPS),
                run_in_preview=frozenset(swapped[s] for s in FEATURE_STEPS.run_in_preview),
            )
        )
        return
    module, target = {
        "directory": (sweep_people, "sync_directory"),
        "extra_people": (sweep_people, "sync_extra_people"),
        "mis": (sweep, "read_mis"),
        "settings": (sweep, "sync_config"),
        "handovers": (sweep, "_flag_handovers"),
        "duties": (duties_step, "plan_and_apply"),
    }[step]
    monkeypatch.setattr(module, target, _failing_in_oak(getattr(module, target)))


def test_every_step_is_known_and_the_report_deadlines_run_first() -> None:
    install()
    assert steps.registered().first[0].__name__ == "report_sweep"
    assert set(ENGINE_STEPS) <= set(ENGINE_TITLES)
    assert set(FEATURE_NAMES) <= set(steps.registered().titles)


@pytest.mark.parametrize("step", ALL_STEPS)
def test_a_step_failing_in_one_school_stops_nothing_else(
    step: str, trust: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break(step, monkeypatch)
    results = _sweep(trust)
    oak, elm = results["oak"], results["elm"]
    assert _failed(oak) == (step,)
    # every other step ran, in order, and the school's work was saved
    assert oak.succeeded == [*(s for s in ALL_STEPS if s != step), "school"]
    assert _failed(elm) == () and elm.succeeded == [*ALL_STEPS, "school"]
    # the other school's report deadlines still warn; oak's too unless they are what failed
    assert _warned(trust) == ({"elm"} if step == "report_sweep" else {"oak", "elm"})
    with trust.store.session() as session:  # oak's other steps' work was kept, not rolled back
        runs = session.scalars(select(SweepRun).order_by(SweepRun.id)).all()
        assert [(r.school_id, r.stats.get("failed_steps")) for r in runs] == [
            ("oak", [step]),
            ("elm", None),
        ]
        [failing] = failing_steps(session)
    assert (failing.school_id, failing.step, failing.error) == ("oak", step, "Broken")


def test_a_failure_is_mailed_to_the_admins_once_and_cleared_when_the_step_works(
    trust: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break("governor_alerts", monkeypatch)
    _sweep(trust)
    _sweep(trust, datetime(2026, 10, 26, 7, 15, tzinfo=UTC))  # 15 minutes later: still failing
    [alert] = outbox_as_sent(trust.store, "step_failed")
    assert alert.school_id == "oak" and alert.recipients == ["admin@oak.example"]
    text = alert.payload["text"]
    assert "sending the policy review alerts" in " ".join(text.split())
    for secret in ("Mr X", "governor_alerts", "Broken", "injected", "Traceback"):
        assert secret not in text and secret not in alert.subject
    with trust.store.session() as session:
        row = session.scalar(select(StepFailure))
        assert row is not None and row.failures == 2
    install()  # the step works again
    results = _sweep(trust, datetime(2026, 10, 26, 7, 30, tzinfo=UTC))
    assert _failed(results["oak"]) == ()
    with trust.store.session() as session:
        assert failing_steps(session) == []
    _break("governor_alerts", monkeypatch)  # a new episode: told again, once
    _sweep(trust, datetime(2026, 10, 26, 7, 45, tzinfo=UTC))
    assert len(outbox_as_sent(trust.store, "step_failed")) == 2


def test_a_school_whose_transaction_fails_does_not_stop_the_next(
    trust: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even the school's own commit failing (its database refusing the run) leaves the next
    school's clocks running, and is recorded."""
    original = sweep.sweep_school

    def refusing(full: StepContext, *args: Any) -> SchoolSweep:
        result = original(full, *args)
        if full.school.id == "oak":
            raise Broken("the commit would fail")
        return result

    monkeypatch.setattr(sweep, "sweep_school", refusing)
    results = _sweep(trust)
    assert _failed(results["oak"]) == ("school",)
    assert _warned(trust) == {"elm"}
    with trust.store.session() as session:
        assert [(f.school_id, f.step) for f in failing_steps(session)] == [("oak", "school")]
    monkeypatch.setattr(sweep, "sweep_school", original)  # saved again: the failure is over
    _sweep(trust, datetime(2026, 10, 26, 7, 15, tzinfo=UTC))
    assert _warned(trust) == {"oak", "elm"}
    with trust.store.session() as session:
        assert failing_steps(session) == []


def test_a_failing_step_shows_on_status_the_dashboard_and_setup(
    trust: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break("governor_alerts", monkeypatch)
    _sweep(trust)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(trust.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", str(trust.settings.database_url))
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COLUMNS", "200")
    status = CliRunner().invoke(cli, ["status"])
    said = " ".join(status.output.split())
    assert status.exit_code == 0, status.output
    assert "Step failing: governor_alerts (sending the policy review alerts)" in said
    assert "Broken, 1 run since 26 Oct 2026 07:00" in said
    plain = "sending the policy review alerts (the bot's other jobs carry on)"
    app = create_app(trust.settings, trust)
    for who, shown in (("admin@oak.example", True), ("admin@elm.example", False)):
        client = TestClient(app)
        sign_in(client, who)
        for path in ("/dashboard", "/setup"):
            page = client.get(path)
            assert page.status_code == 200, (who, path)
            text = " ".join(page.text.split()).replace("&#39;", "'")
            assert (plain in text) is shown, (who, path)
            assert "governor_alerts" not in text and "Broken" not in text
