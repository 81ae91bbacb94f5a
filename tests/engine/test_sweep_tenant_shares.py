"""A trust on one Google Workspace domain or one Microsoft 365 tenant, each school naming its
staff group, read once a sweep and each school's people made only while that school is swept
(#60: memory flat in the number of schools), as ``test_sweep_shares`` proves for the staff
file: the read keeps its people packed by their groups, a school's people are made when it
asks and gone when it is done, and nobody of the tenant looks as if they had left."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.core.models import Person
from bot.core.ports import Directory, DirectoryPerson
from bot.engine import directory as engine_directory
from bot.engine import sweep_people
from bot.engine.sweep import run_sweep
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.alive import alive_since
from tests.support.fakes.google import FakeGoogle, domain_settings
from tests.support.fakes.graph import SENDER, SENDER_ID, FakeClock, FakeGraph
from tests.support.helpers import SchoolBuilder, at

pytest.importorskip("googleapiclient", reason="the google extra is not installed")
pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

TODAY = date(2026, 11, 23)
SCHOOLS = ("oak", "elm", "ash")
STAFF = ("head", "amy", "cy")
DOMAIN = "vale.example"
NOBODY = f"una@{DOMAIN}"  # in the trust office's group, no school's


def _address(who: str, school: str) -> str:
    return f"{who}.{school}@{DOMAIN}"


def _group(school: str, platform: str) -> str:
    """The school's all-staff group as the platform names it (Google: its address)."""
    return f"staff-{school}@{DOMAIN}" if platform == "google" else f"{school.title()} All Staff"


def _schools(builder: SchoolBuilder, platform: str) -> None:
    """Three schools of one tenant, each naming its staff group."""
    builder.people = []
    first = {**builder.school, "deputy_dsl": []}
    schools = [
        {
            **first,
            "id": s,
            "name": f"{s.title()} School",
            "headteacher": _address("head", s),
            "dsl": [_address("head", s)],
            "directory": {"staff_group": _group(s, platform)},
        }
        for s in SCHOOLS
    ]
    builder.school, builder.others = schools[0], schools[1:]


def _google(home: Path) -> tuple[Directory, Callable[[str, str], None]]:
    """The domain's directory over the fake Workspace, and how to add someone to a school."""
    from connectors.google.connector import build

    fake = FakeGoogle()
    fake.add_user(f"it.admin@{DOMAIN}", "IT Admin", admin=True)
    fake.add_user(f"bot@{DOMAIN}", "Compliance Bot")
    members: dict[str, list[str]] = {s: [] for s in SCHOOLS}
    for s in SCHOOLS:
        for who in STAFF:
            fake.add_user(
                _address(who, s), f"{who.title()} {s.title()}", manager=_address("head", "oak")
            )  # a manager across schools
            members[s].append(_address(who, s))
    fake.add_user(NOBODY, "Una Nowhere")
    for s in SCHOOLS:
        fake.add_group(_group(s, "google"), f"{s.title()} staff", members[s])
    fake.add_group(f"office@{DOMAIN}", "Trust office", [NOBODY])
    groups = {_group(s, "google"): "staff" for s in SCHOOLS} | {f"office@{DOMAIN}": "staff"}
    settings = domain_settings(home, DOMAIN, groups)

    def join(who: str, school: str) -> None:
        fake.add_user(_address(who, school), f"{who.title()} {school.title()}")
        members[school].append(_address(who, school))
        fake.add_group(_group(school, "google"), f"{school.title()} staff", members[school])

    return build(settings, http=fake).directory, join


def _graph(home: Path) -> tuple[Directory, Callable[[str, str], None]]:
    """The tenant's directory over the fake Graph, and how to add someone to a school."""
    from connectors.m365.connector import build

    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.add_user(SENDER_ID, "Compliance Bot", SENDER, account_enabled=False, licensed=False)
    groups = [*(_group(s, "graph") for s in SCHOOLS), "Trust Office"]
    for group in groups:
        fake.add_group(group, group)
    fake.add_user("u-head-oak", "Head Oak", _address("head", "oak"))
    for s in SCHOOLS:
        for who in STAFF:
            if (who, s) != ("head", "oak"):
                fake.add_user(
                    f"u-{who}-{s}",
                    f"{who.title()} {s.title()}",
                    _address(who, s),
                    manager="u-head-oak",
                )  # a manager across schools
            fake.add_member(_group(s, "graph"), f"u-{who}-{s}")
    fake.add_user("u-una", "Una Nowhere", NOBODY)
    fake.add_member("Trust Office", "u-una")
    settings = m365_settings(home, role_groups=dict.fromkeys(groups, "staff"))

    def join(who: str, school: str) -> None:
        fake.add_user(f"u-{who}-{school}", f"{who.title()} {school.title()}", _address(who, school))
        fake.add_member(_group(school, "graph"), f"u-{who}-{school}")

    built = build(settings, transport=fake.transport, clock=clock, sleep=clock.sleep)
    return built.directory, join


PLATFORMS = {"google": _google, "graph": _graph}


def _alive(look: Callable[[], list[DirectoryPerson]]) -> dict[str, set[str]]:
    """The tenant's people alive now (``look``: tests/support/alive.py), by the school of
    their address."""
    found: dict[str, set[str]] = {}
    for o in look():
        found.setdefault(o.email.split("@")[0].split(".")[-1], set()).add(o.email)
    return found


def _stored(context: Any) -> dict[str, tuple[str | None, bool, date | None]]:
    """Everyone stored: school, active, missing since."""
    with context.store.session() as session:
        rows = session.execute(
            select(Person.email, Person.school_id, Person.active, Person.missing_since)
        ).all()
    return {email: (school_id, active, missing) for email, school_id, active, missing in rows}


def _sweep(context: Any, connectors: Any, minutes: int) -> list[Any]:
    """The trust's sweep at 08:00 + ``minutes`` on ``TODAY`` (nothing delivered): each
    school's result, none with a failed step."""
    results, _ = run_sweep(
        context.store,
        context.settings,
        context.config,
        connectors,
        as_of=TODAY,
        deliver=False,
        now=at(TODAY, 8) + timedelta(minutes=minutes),
    )
    assert not [r.failed for r in results if r.failed]
    return results


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_each_school_s_people_are_made_while_it_is_swept_and_gone_before_the_next(
    platform: str, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While school 2 is swept no person of school 1 is alive; nobody after the sweep; a
    person added to one school is that school's alone, and nobody is missing."""
    builder = SchoolBuilder(tmp_path / "school")
    _schools(builder, platform)
    context = builder.context(database_url)
    directory, join = PLATFORMS[platform](tmp_path / "tenant")
    connectors = replace(context.connectors, directory=directory, extra_people=None)
    emails = {_address(w, s) for s in SCHOOLS for w in (*STAFF, "nia")} | {NOBODY}
    seen: dict[str, dict[str, set[str]]] = {}
    sync = sweep_people.sync_directory
    look = alive_since(DirectoryPerson, lambda o: o.email in emails)

    def watched(session: Any, school_config: Any, *args: Any, **kwargs: Any) -> Any:
        seen[school_config.id] = _alive(look)  # before the school reads its share
        return sync(session, school_config, *args, **kwargs)

    monkeypatch.setattr(sweep_people, "sync_directory", watched)
    added = []
    for minutes in (0, 15, 30):  # the first sweep, one person more, then a quiet sweep
        results = _sweep(context, connectors, minutes)
        assert list(seen) == list(SCHOOLS)
        assert all(found == {} for found in seen.values()), seen
        assert _alive(look) == {}
        added.append([r.directory.added for r in results])
        if minutes == 0:
            join("nia", "ash")
        seen.clear()
    assert added[1:] == [[0, 0, 1], [0, 0, 0]]
    stored = _stored(context)
    assert {e for e, (_s, active, missing) in stored.items() if not active or missing} == set()
    assert {e: s for e, (s, _a, _m) in stored.items() if e.endswith(DOMAIN)} == {
        _address(w, s): s for s in SCHOOLS for w in STAFF
    } | {_address("nia", "ash"): "ash"}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_change_to_one_school_s_person_re_applies_that_school_alone(
    platform: str, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One tenant, three schools: after someone joins ash, ash applies the read again and oak
    and elm stay quiet (nothing applied; no person, group or role written: only the tenant's
    cursor moves on, as it must for the next shared read); then none writes anything else."""
    builder = SchoolBuilder(tmp_path / "school")
    _schools(builder, platform)
    context = builder.context(database_url)
    directory, join = PLATFORMS[platform](tmp_path / "tenant")
    connectors = replace(context.connectors, directory=directory, extra_people=None)
    applied: list[str] = []
    writes: dict[str, list[str]] = {}
    apply, sync = engine_directory.apply_listing, sweep_people.sync_directory
    school: list[str] = []

    def applying(session: Any, school_config: Any, *args: Any, **kwargs: Any) -> Any:
        applied.append(school_config.id)
        return apply(session, school_config, *args, **kwargs)

    def syncing(session: Any, school_config: Any, *args: Any, **kwargs: Any) -> Any:
        school[:] = [school_config.id]
        try:
            return sync(session, school_config, *args, **kwargs)
        finally:
            school.clear()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split(None, 3)
        if school and words[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.setdefault(school[0], []).append(" ".join(words[:3]))

    monkeypatch.setattr(engine_directory, "apply_listing", applying)
    monkeypatch.setattr(sweep_people, "sync_directory", syncing)
    event.listen(context.store.engine, "before_cursor_execute", seen)
    try:
        done = []
        # the first sweep; the next (Graph's first delta: every school applies it once); one
        # person more at ash; a quiet sweep
        for minutes in (0, 15, 30, 45):
            _sweep(context, connectors, minutes)
            done.append((list(applied), {s: writes.get(s, []) for s in SCHOOLS}))
            applied.clear()
            writes.clear()
            if minutes == 15:
                join("nia", "ash")
    finally:
        event.remove(context.store.engine, "before_cursor_execute", seen)
    assert done[0][0] == list(SCHOOLS)
    assert done[1][0] == ([] if platform == "google" else list(SCHOOLS))
    assert done[2][0] == ["ash"]
    cursor_only = {"oak": ["UPDATE connector_state SET"], "elm": ["UPDATE connector_state SET"]}
    assert {s: done[2][1][s][:2] for s in ("oak", "elm")} == cursor_only, done[2][1]
    assert done[2][1]["ash"]  # nia is written
    # quiet: Graph's next delta is empty, which ash (its last one named nia) applies to find
    # nothing to write; Google's listing is the same as before
    assert done[3][0] == ([] if platform == "google" else ["ash"])
    assert {s for s, w in done[3][1].items() if set(w) - {"UPDATE connector_state SET"}} == set()
    assert _stored(context)[_address("nia", "ash")] == ("ash", True, None)
