"""The reports mirror converges: concurrent submissions through the real web app, a write that
fails half-way, and rows removed or changed on the platform — for the CSV file, the SharePoint
list (fake Graph) and the Google Sheet (fake Sheets API), on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import shutil
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import Report
from bot.core.ports import ListMirror
from bot.features.reports.mirror import mirror_pending
from bot.features.reports.step import report_sweep
from connectors.local.connector import CsvListMirror
from tests.conftest import isolated
from tests.features.reports.test_support import Env, configure, csrf_of, make_env, submission
from tests.support.helpers import SchoolBuilder, step_context
from tests.support.keys import TEST_SECRET
from tests.support.migrated import copy_database, drop_copy

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
ROUNDS, PER_ROUND = 3, 10
FORM = {
    "category": "cyberbullying",
    "involved": ["pupil"],
    "what_happened": "Messages were sent in a group chat.",
    "occurred": "Monday lunchtime",
    "location": "Online",
    "reporter_name": "Pat Parent",
    "reporter_relationship": "parent",
}


@dataclass
class Platform:
    """One mirror under test and how to look at (and meddle with) what its platform holds."""

    name: str
    mirror: ListMirror
    references: Callable[[], list[str]]  # every row's reference, duplicates included
    cells: Callable[[str], dict[str, str]]  # one row's cells by column name, lower-cased
    remove: Callable[[str], None]  # a person deletes a row on the platform
    edit: Callable[[str, str, str], None]  # a person changes one cell
    fail_third_write: Callable[[], None]  # the next pass's third row write fails


def _local(env: Env, monkeypatch: pytest.MonkeyPatch) -> Platform:
    mirror = env.context.connectors.mirror
    assert isinstance(mirror, CsvListMirror)
    path = mirror.path

    def rows() -> list[dict[str, str]]:
        if not path.exists():
            return []
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def rewrite(change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
        current = rows()
        columns = list(current[0]) if current else ["reference"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(change(current))

    def edit(ref: str, column: str, value: str) -> None:
        rewrite(lambda rs: [{**r, column: value} if r["reference"] == ref else r for r in rs])

    def fail_third_write() -> None:
        # the disk fills up as the third row is written: the new file never replaces the list
        real, calls = os.replace, [0]

        def replace(src: Any, dst: Any) -> None:
            calls[0] += 1
            if calls[0] == 3:
                raise OSError(28, "No space left on device")
            real(src, dst)

        monkeypatch.setattr("connectors.local.connector.os.replace", replace)

    return Platform(
        "local",
        mirror,
        references=lambda: [r["reference"] for r in rows()],
        cells=lambda ref: next(r for r in rows() if r["reference"] == ref),
        remove=lambda ref: rewrite(lambda rs: [r for r in rs if r["reference"] != ref]),
        edit=edit,
        fail_third_write=fail_third_write,
    )


def _m365(env: Env, monkeypatch: pytest.MonkeyPatch) -> Platform:
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import LIST_NAME, list_titles, m365_settings
    from tests.support.fakes.graph import SITE_ID, FakeClock, FakeGraph

    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    connectors = build(
        m365_settings(env.builder.home, forms_list=None),
        transport=fake.transport,
        clock=clock,
        sleep=clock.sleep,
    )
    assert connectors.mirror is not None

    def the_list() -> dict[str, Any]:
        [found] = [x for x in fake.sites[SITE_ID].values() if x["displayName"] == LIST_NAME]
        return found

    def item_of(ref: str) -> str:
        [item] = [i for i, f in the_list()["items"].items() if f["Title"] == ref]
        return item

    def cells(ref: str) -> dict[str, str]:
        labels = {c["name"]: c["displayName"].casefold() for c in the_list()["columns"]}
        return {labels[k]: v for k, v in the_list()["items"][item_of(ref)].items()}

    def edit(ref: str, column: str, value: str) -> None:
        [name] = [c["name"] for c in the_list()["columns"] if c["displayName"] == column]
        the_list()["items"][item_of(ref)][name] = value

    def fail_third_write() -> None:
        # the third item is created, but the answer is lost (a 504 after SharePoint acted)
        fake.fail("POST", r"/lists/[^/]+/items$", status=504, deliver=True, after=2)

    return Platform(
        "m365",
        connectors.mirror,
        references=lambda: list_titles(fake),
        cells=cells,
        remove=lambda ref: the_list()["items"].pop(item_of(ref)) and None,
        edit=edit,
        fail_third_write=fail_third_write,
    )


def _google(env: Env, monkeypatch: pytest.MonkeyPatch) -> Platform:
    pytest.importorskip("googleapiclient", reason="needs google-api-python-client")
    from tests.connectors.contract.kit_google import (
        SPREADSHEET_ID,
        build_google,
        seeded_fake,
        sheet_references,
    )

    fake = seeded_fake()
    mirror = build_google(env.builder.home, fake, form_id=None).mirror
    assert mirror is not None

    def grid() -> list[list[str]]:
        return fake.tab(SPREADSHEET_ID, "Reports")

    def row_of(ref: str) -> list[str]:
        [row] = [r for r in grid()[1:] if r and r[0] == ref]
        return row

    def cells(ref: str) -> dict[str, str]:
        header = [h.casefold() for h in grid()[0]]
        return dict(zip(header, row_of(ref), strict=False))

    def edit(ref: str, column: str, value: str) -> None:
        row_of(ref)[grid()[0].index(column)] = value

    def remove(ref: str) -> None:
        grid().remove(row_of(ref))

    def fail_third_write() -> None:
        fake.fail_next("sheets.spreadsheets.values.append", status=503, after=2)

    return Platform(
        "google",
        mirror,
        references=lambda: sheet_references(fake),
        cells=cells,
        remove=remove,
        edit=edit,
        fail_third_write=fail_third_write,
    )


PLATFORMS = {"local": _local, "m365": _m365, "google": _google}


@pytest.fixture(scope="module")
def built_school(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[tuple[Path, str]]:
    """The school and its people (``make_env``) on SQLite or PostgreSQL: built once per
    backend (its folder and its database), copied for each test (``school_env``)."""
    folder = tmp_path_factory.mktemp("mirror")
    with isolated(folder):
        env = make_env(SchoolBuilder(folder / "school"), module_database_url)
        env.context.store.dispose()  # a database is copied only while nobody is connected to it
    yield env.builder.home, module_database_url


@pytest.fixture
def school_env(built_school: tuple[Path, str], tmp_path: Path) -> Iterator[Env]:
    """The test's own copy of ``built_school``, with its web app (what ``make_env`` gives)."""
    from bot.web.app import create_app

    home, url = built_school
    copy = copy_database(url, tmp_path)
    builder = configure(SchoolBuilder(shutil.copytree(home, tmp_path / "school")))
    settings = Settings(
        home=builder.home,
        database_url=copy,
        secret_key=TEST_SECRET,
        demo=True,
        base_url="http://testserver",
    )
    context = AppContext(settings)
    yield Env(context=context, app=create_app(settings, context), builder=builder)
    context.store.dispose()
    drop_copy(copy)


@pytest.fixture(params=sorted(PLATFORMS))
def platform_env(
    request: pytest.FixtureRequest, school_env: Env, monkeypatch: pytest.MonkeyPatch
) -> tuple[Env, Platform]:
    """A school on SQLite or PostgreSQL whose web app and sweep mirror to one platform."""
    env = school_env
    platform = PLATFORMS[request.param](env, monkeypatch)
    # the app and the sweep both use the deployment's connectors: give them this mirror
    env.context.__dict__["connectors"] = dataclasses.replace(
        env.context.connectors, mirror=platform.mirror
    )
    return env, platform


def _sweep(env: Env) -> dict[str, int]:
    with env.context.store.transaction() as session:
        return report_sweep(step_context(env.context, session, env.school, NOW))


def _mirrorable(env: Env) -> set[str]:
    with env.context.store.session() as session:
        return set(
            session.scalars(select(Report.reference).where(Report.about_headteacher.is_(False)))
        )


# one TLS context for every sender's client (the server is plain HTTP, but httpx builds one per
# client unless given one, loading the CA bundle each time: 2 s of the m365 case's 30 senders)
TLS = ssl.create_default_context()


def _post(url: str, path: str, address: str, about_head: bool) -> int:
    # each sender its own address (the proxy's X-Forwarded-For, trusted from 127.0.0.1), so
    # the per-address rate limit lets all of them through
    # a generous timeout: this test is about exactly-once, not speed, and a busy machine (plus
    # the fakes' conformance checks) can hold one answer longer than httpx's default 5 s
    with httpx.Client(
        base_url=url, headers={"X-Forwarded-For": address}, timeout=120.0, verify=TLS
    ) as client:
        data: dict[str, Any] = {**FORM, "csrf_token": csrf_of(client.get(path).text)}
        if about_head:
            data["about_headteacher"] = "yes"
        return client.post(path, data=data).status_code


def test_concurrent_submissions_leave_every_report_in_the_mirror_exactly_once(
    platform_env: tuple[Env, Platform], live_server: Any
) -> None:
    env, platform = platform_env
    statuses: list[int] = []
    with live_server(env.app) as server:
        for round_ in range(ROUNDS):
            threads = [
                threading.Thread(
                    target=lambda r=round_, n=number: statuses.append(
                        _post(server.url, env.public_path, f"10.0.{r}.{n}", about_head=n == 0)
                    )
                )
                for number in range(PER_ROUND)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    # the form leaves the mirror to the sweep: the sweeps below write every report, once
    assert statuses == [200] * ROUNDS * PER_ROUND
    wanted = _mirrorable(env)
    assert len(wanted) == ROUNDS * (PER_ROUND - 1)  # reports about the head are never mirrored
    missing = wanted - set(platform.references())
    assert _sweep(env)["reports_mirrored"] == len(missing)  # the count is honest
    assert Counter(platform.references()) == Counter(wanted)  # every report, exactly once
    assert _sweep(env)["reports_mirrored"] == 0


def test_a_write_that_fails_half_way_is_repaired_by_the_next_sweep(
    platform_env: tuple[Env, Platform],
) -> None:
    env, platform = platform_env
    refs = [env.store_report(submission(), NOW) for _ in range(5)]
    platform.fail_third_write()
    failed = _sweep(env)
    assert failed["report_mirror_errors"] == 1 and "reports_mirrored" not in failed
    held = set(platform.references())
    assert set(refs[:2]) <= held and not set(refs[3:]) & held
    # the next sweep writes what the platform does not hold — and says how many, truthfully
    assert _sweep(env)["reports_mirrored"] == len(set(refs) - held)
    assert Counter(platform.references()) == Counter(refs)
    assert _sweep(env)["reports_mirrored"] == 0


def test_rows_removed_or_changed_on_the_platform_are_put_back(
    platform_env: tuple[Env, Platform],
) -> None:
    env, platform = platform_env
    first, second, third = (env.store_report(submission(), NOW) for _ in range(3))
    assert _sweep(env)["reports_mirrored"] == 3
    platform.remove(first)
    platform.edit(second, "status", "Closed")
    # the web app's pass trusts its record of confirmed writes; the sweep reads the platform
    with env.context.store.transaction() as session:
        assert mirror_pending(session, platform.mirror, env.school) == 0
    assert _sweep(env)["reports_mirrored"] == 2
    assert Counter(platform.references()) == Counter([first, second, third])
    assert platform.cells(second)["status"] == "New"
    assert _sweep(env)["reports_mirrored"] == 0


def test_a_stuck_platform_call_never_holds_up_a_report(school_env: Env, live_server: Any) -> None:
    """While one pass waits on SharePoint, people can still submit (the turn is no DB lock)."""
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from connectors.m365.connector import build
    from tests.connectors.contract.kit_m365 import list_titles, m365_settings
    from tests.support.fakes.graph import FakeClock, FakeGraph

    env = school_env
    clock, release, stuck = FakeClock(), threading.Event(), threading.Event()
    fake = FakeGraph(clock=clock)

    def hang(request: httpx.Request) -> Exception:
        stuck.set()
        release.wait(timeout=120)
        return httpx.ReadTimeout("no answer from SharePoint", request=request)

    # the first item is created, then the answer hangs until the test lets it go
    fake.fail("POST", r"/lists/[^/]+/items$", exception=hang, deliver=True)
    settings = m365_settings(env.builder.home, forms_list=None)
    mirror = build(settings, transport=fake.transport, clock=clock, sleep=clock.sleep).mirror
    assert mirror is not None
    env.context.__dict__["connectors"] = dataclasses.replace(env.context.connectors, mirror=mirror)
    first = env.store_report(submission(), NOW)

    def pass_() -> None:
        # the hung call then fails; what it leaves undone the others and the sweep repair
        with env.context.store.transaction() as session, contextlib.suppress(Exception):
            mirror_pending(session, mirror, env.school)

    hung = threading.Thread(target=pass_)
    hung.start()
    assert stuck.wait(timeout=120)
    with live_server(env.app) as server:
        statuses = [_post(server.url, env.public_path, f"10.1.0.{n}", False) for n in range(3)]
        assert statuses == [200, 200, 200]  # stored while the mirror pass is stuck
        release.set()
        hung.join()
    # the sweep writes what the stuck pass left undone (the form itself no longer mirrors)
    wanted = _mirrorable(env)
    assert len(wanted) == 4 and first in wanted
    missing = wanted - set(list_titles(fake))
    assert _sweep(env)["reports_mirrored"] == len(missing)  # the count is honest
    assert Counter(list_titles(fake)) == Counter(wanted)
