"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a small school,
a live server and a real Chromium. PostgreSQL and Chromium tests skip with a reason when the
machine lacks them; `.ci/run` installs both, so in CI they run."""

from __future__ import annotations

import faulthandler
import gc
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

# pytest-xdist's workers inherit COLUMNS=80, which Rich would fix as the CLI consoles' width when
# they are created (at import): drop it, so each CliRunner(env={"COLUMNS": ...}) applies as in a
# plain run. This runs before any test module imports the CLI.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

# Under PYTHONDONTWRITEBYTECODE (set on CI's machines) every Python process the suite starts —
# each xdist worker, each `compliance-bot` a test runs, each served app — compiled a thousand-odd
# modules from source (3.4 s of a 7.6 s `sweep`, 7.6 s of the 17 s a `run` took to listen).
# They share one bytecode cache outside the checkout instead: the first compiles, the rest load
# (Python checks each cached file against its source). Set before xdist starts its workers, and
# in this process too (it reads both at each import): a `pytest -n 0` run compiled every module
# the tests import, each run (16.9 s of a 35 s one-test m365 mail run).
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    os.environ.setdefault(
        "PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "compliance-bot-bytecode")
    )
    sys.dont_write_bytecode = False
    sys.pycache_prefix = sys.pycache_prefix or os.environ["PYTHONPYCACHEPREFIX"]

from bot.wiring import install
from tests.support.clock import FrozenClock
from tests.support.compiled import share_compiled_statements
from tests.support.helpers import SchoolBuilder
from tests.support.paths import NODE_MODULES, SHARED_POLICIES, SHARED_SPREADSHEETS
from tests.support.schedule import heaviest_first

# tests drive the engine directly, as the app's entry points would: hand it the features' steps
install()
# each test's engines compile a statement only if no engine of this process has (support/compiled)
share_compiled_statements()


def _cli_built_once() -> None:
    """``CliRunner.invoke`` builds the whole click command tree from the Typer app on every
    call (~35 ms for the CLI's 50-odd commands): build it once per app and reuse it while the
    app's registrations are what they were (a test that adds a command gets a fresh build).
    Click commands keep no state between invocations: each gets its own context."""
    import typer.testing

    build = typer.testing._get_command
    built: dict[int, tuple[Any, Any, Any]] = {}

    def shape(app: Any) -> Any:  # what a build depends on: the registrations, by identity
        return (
            app.registered_callback,
            app.info,
            tuple((c.name, c.callback) for c in app.registered_commands),
            tuple(
                (g.name, g.typer_instance and shape(g.typer_instance))
                for g in app.registered_groups
            ),
        )

    def get_command(app: Any) -> Any:
        now = shape(app)
        cached = built.get(id(app))
        if cached is None or cached[0] is not app or cached[1] != now:
            cached = built[id(app)] = (app, now, build(app))
        return cached[2]

    typer.testing._get_command = get_command  # type: ignore[assignment]


_cli_built_once()

PG_ENV = "COMPLIANCE_BOT_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CANNOT_RUN_IN_CI = "cannot run in CI because "
BENCHMARK_TIMEOUT = 3600  # a benchmark's bound at full size (pyproject's `timeout` is 600 s)
CHROMIUM = os.environ.get("COMPLIANCE_BOT_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The suite runs on every core (pytest-xdist, ``-n auto`` in pyproject); a run that asks
    to see printed figures (``-s``: benchmarks, the school year's totals) runs in one process,
    so the figures reach the terminal."""
    if config.option.capture == "no" and getattr(config.option, "numprocesses", None):
        config.option.numprocesses = 0
        config.option.dist = "no"
    # xdist hands out modules in the collection's order, heaviest first (support/schedule.py),
    # not re-sorted by how many tests each holds
    config.option.loadscopereorder = False


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker more than the cores this process may use. A quarter of the
    suite's time is spent waiting (for a ``compliance-bot`` process at a terminal, a browser,
    PostgreSQL, a served page): a third worker on 2 cores fills it (the whole suite, quiet,
    this machine: 618 s with 2 workers; 530 s with 3 and 706 s with 4, in runs whose terminal
    tests also skipped pexpect's pause). ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when
    set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    return len(os.sched_getaffinity(0)) + 1


MEMORY = Path("/dev/shm")  # Linux's folder in memory (tmpfs)
MEMORY_FREE = 2 * 2**30  # bytes it must have free to hold a run's temporary folders


def pytest_configure(config: pytest.Config) -> None:
    """Tests' temporary folders (``tmp_path``: SQLite files, schools, uploads) in memory when
    the machine has room there: each SQLite database a test creates, switches to WAL and
    closes waits on the disk's fsyncs (0.25 s of a one-store test on a loaded CI disk, 0.13 s
    in memory), and no test is about the disk. Not for a benchmark run (full sizes write
    large files), nor when the caller chose a place (``--basetemp``, ``TMPDIR``,
    ``PYTEST_DEBUG_TEMPROOT``: pytest's own setting, which this sets)."""
    chosen = config.option.basetemp or any(
        os.environ.get(name) for name in ("TMPDIR", "PYTEST_DEBUG_TEMPROOT")
    )
    benchmarks = any("benchmark" in str(arg) for arg in (*config.args, config.option.markexpr))
    if chosen or benchmarks or not os.access(MEMORY, os.W_OK):
        return
    found = os.statvfs(MEMORY)
    if found.f_flag & (os.ST_RDONLY | os.ST_NOEXEC) or found.f_bavail * found.f_frsize < (
        MEMORY_FREE
    ):
        return  # a container's 64 MB /dev/shm, or one that cannot run a test's scripts
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection left alive (every module the tests import, their parametrize values)
    lives for the whole run: moved out of the collector's reach (``gc.freeze``), so that each
    full collection during the tests walks only what the tests made, not the whole process's
    heap again (tests/core/test_audit.py does the same around its own collections)."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)  # after pytest's own grouping of tests by their fixtures
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Benchmarks are opt-in: they run when named (``uv run pytest tests/benchmarks -s``).
    The heaviest modules run first (tests/support/schedule.py)."""
    items[:] = heaviest_first(items)
    for item in items:
        if item.get_closest_marker("benchmark") is not None:
            item.add_marker(pytest.mark.timeout(BENCHMARK_TIMEOUT))
    named = any("benchmark" in str(arg) for arg in (*config.args, config.option.markexpr))
    if named:
        return
    chosen = [item for item in items if item.get_closest_marker("benchmark") is None]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen


@pytest.fixture(autouse=True)
def _english_unless_spoken() -> Iterator[None]:
    """Each test starts in English: a command run in-process that took its school's language
    (``speak``) leaves it at the test's end, as its process would."""
    from bot.core.language.i18n import speaking

    with speaking("en"):
        yield


@pytest.fixture(autouse=True)
def _fakes_conform() -> Iterator[None]:
    """Every request a fake Graph or fake Google received, and every response it sent, was
    checked against the platform's own description (tests/support/conformance): any mismatch
    fails the test that caused it."""
    from tests.support.conformance import PROBLEMS

    PROBLEMS.clear()
    yield
    found, PROBLEMS[:] = list(PROBLEMS), []
    assert not found, "the fake exchanged something the official description does not allow:\n" + (
        "\n".join(found[:20])
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand this worker's conformance totals to the controller (pytest-xdist)."""
    from tests.support.conformance import TOTALS

    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["conformance"] = dict(TOTALS)


def pytest_testnodedown(node: Any, error: Any) -> None:
    """Add a finished worker's conformance totals to the controller's."""
    from tests.support.conformance import TOTALS

    for key, value in getattr(node, "workeroutput", {}).get("conformance", {}).items():
        TOTALS[key] = TOTALS.get(key, 0) + value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many fake-platform exchanges were checked against the official descriptions."""
    from tests.support.conformance import TOTALS

    if any(TOTALS.values()):
        terminalreporter.write_line(
            "conformance: "
            + ", ".join(f"{value} {key}" for key, value in TOTALS.items())
            + " checked against the official descriptions"
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A benchmark at full size may run longer than faulthandler_timeout: no stacks mid-figures
    (its bound, BENCHMARK_TIMEOUT, still prints them and ends it)."""
    if item.get_closest_marker("benchmark") is not None:
        faulthandler.cancel_dump_traceback_later()


def _missing(reason: str) -> NoReturn:
    """Skip locally; in CI (which installs PostgreSQL and Chromium) a skip would hide a defect."""
    __tracebackhide__ = True  # the skip names its caller's line
    if IN_CI:
        pytest.fail(f"{reason} — CI must provide it (see .ci/run)")
    pytest.skip(reason)


def cannot_run_in_ci(reason: str) -> NoReturn:
    """Skip, in CI too, naming why CI cannot run the test (what no package it can install has)."""
    __tracebackhide__ = True
    pytest.skip(CANNOT_RUN_IN_CI + reason)


def _skips_fail_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """In CI a skip hides a defect (a bare ``pytest.skip``, an ``importorskip``, a ``skipif``)
    unless it names why CI cannot run the test (``cannot_run_in_ci``): it becomes a failure."""
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr).removeprefix("Skipped: ")
    if CANNOT_RUN_IN_CI not in reason:
        report.outcome = "failed"
        report.longrepr = (
            f"skipped in CI: {reason}\nCI must run it, or the skip must say why "
            "it cannot (tests/conftest.py: cannot_run_in_ci)"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[Any]:
    report = yield
    _skips_fail_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[Any]:
    report = yield
    _skips_fail_in_ci(report)
    return report


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The oracles of tests/node (oidc-provider, adaptivecards, …); skips locally without them."""
    if not NODE_MODULES.is_dir() or shutil.which("node") is None:
        _missing("tests/node is not installed (cd tests/node && npm ci)")
    return NODE_MODULES


def _isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No COMPLIANCE_BOT_* variable but the tests' own, and ``folder`` as the working folder."""
    for key in list(os.environ):
        keep = (PG_ENV, "COMPLIANCE_BOT_TEST_CHROMIUM", "COMPLIANCE_BOT_TEST_LIBRESSL")
        if key.startswith("COMPLIANCE_BOT_") and key not in keep:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(folder)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or COMPLIANCE_BOT_* variables."""
    _isolate(monkeypatch, tmp_path)


@contextmanager
def isolated(folder: Path) -> Iterator[None]:
    """What ``_isolated_env`` gives each test, for a module-scoped fixture's set-up (module
    fixtures are made before a test's own)."""
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, folder)
        yield


@pytest.fixture(scope="session", autouse=True)
def _migrations_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test process runs the migrations, and ``Store.upgrade``'s steps after them, once
    and copies the result into later empty databases (tests/support/migrated.py): the suite's
    biggest shared cost, per test, before."""
    from alembic import command

    from bot.core.database import store
    from tests.support.migrated import DATABASES, Templates

    templates = Templates(command.upgrade, tmp_path_factory.mktemp("migrated"))
    steps = (
        templates,
        store.seal_baseline,
        store.adopt_key,
        store.Store._at_head,
        store.Store._log_is_keyed,
        store.Store.transaction,
    )

    def untouched() -> bool:  # no test has replaced a step of the upgrade
        now = (
            command.upgrade,
            store.seal_baseline,
            store.adopt_key,
            store.Store._at_head,
            store.Store._log_is_keyed,
            store.Store.transaction,
        )
        return all(a is b for a, b in zip(now, steps, strict=True))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(command, "upgrade", templates)
        patch.setattr(
            store.Store, "upgrade", templates.store_upgrade(store.Store.upgrade, untouched)
        )
        yield
    templates.close()
    DATABASES.close()


def _postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database for one test, its own, dropped afterwards off the test's
    path (tests/support/migrated.py: one ``DROP DATABASE`` per test, in a background thread)."""
    from tests.support.migrated import DATABASES

    server = os.environ.get(PG_ENV)
    if not server:
        _missing(f"PostgreSQL not configured: set {PG_ENV} (CI does)")
    url = DATABASES.take(server)
    try:
        yield url
    finally:
        DATABASES.drop(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite always, PostgreSQL when a server is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    yield from _postgres_database()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``database_url`` for a module's shared state: one fresh, empty database per backend,
    for a set-up its tests only read (built once, not once per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database (for tests that do not need both backends)."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def school(tmp_path: Path) -> SchoolBuilder:
    """A five-person fictional school in a temporary folder."""
    return SchoolBuilder(tmp_path / "school")


@pytest.fixture
def shared_policies() -> Path:
    """The real policies beside the repo; skips when absent (a user's clone lacks them), fails
    in CI (shared/ is beside its clone)."""
    if not SHARED_POLICIES.is_dir():
        _missing("../shared/policies is not present beside this clone")
    return SHARED_POLICIES


@pytest.fixture(scope="session")
def shared_spreadsheets() -> Path:
    """The corpus's spreadsheets beside the repo (../shared/corpus/spreadsheets): skips when
    absent (a user's clone lacks them), fails in CI."""
    if not SHARED_SPREADSHEETS.is_dir():
        _missing("../shared/corpus/spreadsheets is not present beside this clone")
    return SHARED_SPREADSHEETS


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving an app in a background thread on 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        while not self.server.started:  # however slow the machine: the test's bound ends a hang
            if not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server() -> Any:
    """Factory: ``with live_server(app) as server: server.url``."""
    return LiveServer


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright; skips when Chromium is absent."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium; CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        opened = browser.new_context

        def new_context(**options: Any) -> Any:  # a busy CI machine: bounds, not thresholds
            context = opened(**options)
            context.set_default_timeout(120_000)
            return context

        browser.new_context = new_context  # type: ignore[method-assign]
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser page (own cookies) per test."""
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any request that would leave through a real transport (the fakes use mock ones)."""
    import httpx
    import requests.adapters

    def refuse(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a test tried to reach the network: {request.url}")

    async def refuse_async(self: Any, request: Any) -> Any:
        raise AssertionError(f"a test tried to reach the network: {request.url}")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse_async)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


@pytest.fixture
def connect(fake: Any, tmp_path: Path) -> Iterator[Any]:
    """Factory: the m365 connectors over the test's ``fake`` Graph (``**m365`` overrides the
    settings), sharing its clock; their Graph clients are closed afterwards."""
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import m365_settings

    built: list[Any] = []

    def make(**m365: Any) -> Any:
        clock = fake.clock
        connectors = build(
            m365_settings(tmp_path, **m365),
            transport=fake.transport,
            clock=clock,
            sleep=clock.sleep,
        )
        built.append(connectors)
        return connectors

    yield make
    for connectors in built:
        connectors.mailer.client.close()


@pytest.fixture
def frozen_clock(time_machine: Any) -> FrozenClock:
    """``frozen_clock.at(day, 8, 15)`` travels there; time returns to normal after the test."""
    return FrozenClock(time_machine)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; skips when no server is configured."""
    yield from _postgres_database()
