"""One school's bad settings hold that school only (bot.core.config.per_school,
bot.engine.settings_problems): an invalid entry keeps the school on its last good settings (or
holds it), names file, line and field on its dashboard, /setup and in ``status``, is emailed once
to its admins and the trust's, and every other school sweeps and sends as normal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.core.config import per_school
from bot.core.config.per_school import schools_with_bad_settings, standing_of
from bot.core.config.store import load_org
from bot.core.deployment.context import AppContext
from bot.core.models import OutboxMessage, SchoolSettings
from bot.engine.settings_problems import PURPOSE, record_settings
from bot.engine.sweep import SchoolSweep
from bot.web.app import create_app
from bot.wiring import install
from tests.features.reports.test_support import TestClient, sign_in
from tests.support.helpers import Row, SchoolBuilder, outbox_as_sent, sweep
from tests.support.keys import TEST_SECRET

TODAY = date(2026, 11, 23)  # a Monday in term
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NEXT_WEEK = NOW + timedelta(days=7)
TERM = {"name": "Autumn", "start": "2026-09-03", "end": "2026-12-18"}
HILL = {
    "id": "hill",
    "name": "Hillside Primary",
    "headteacher": "head@hill.example",
    "admins": ["admin@hill.example"],
    "terms": [TERM],
    "policies": [
        {
            "id": "hill-safety",
            "title": "Hillside Online Safety",
            "version": "1.0",
            "document": "policies/hill-safety.md",
        }
    ],
    "requirements": [
        {
            "id": "ack-hill",
            "kind": "acknowledge_policy",
            "policy": "hill-safety",
            "audience": {"roles": ["staff"]},
        }
    ],
}


def _oak_term_backwards(school: SchoolBuilder) -> str:
    school.school["terms"] = [{"name": "Autumn", "start": "2026-09-03", "end": "2026-07-01"}]
    return "schools[0].terms[0]: term 'Autumn' ends before it starts"


def _oak_unknown_role(school: SchoolBuilder) -> str:
    school.school["role_groups"] = {"All Staff": "staf"}
    return "schools[0].role_groups.All Staff: Input should be"


def _oak_policy_without_document(school: SchoolBuilder) -> str:
    (school.home / "policies" / "online-safety.md").unlink()
    return "schools[0].policies[0].document: document not found"


BREAKS: dict[str, Callable[[SchoolBuilder], str]] = {
    "term ends before it starts": _oak_term_backwards,
    "unknown role": _oak_unknown_role,
    "policy with no document": _oak_policy_without_document,
}


@pytest.fixture
def trust(school: SchoolBuilder, database_url: str) -> Iterator[AppContext]:
    """Oakfield and Hillside, swept once with good settings (their last good ones stored)."""
    school.school.update(name="Oakfield Primary", admins=["admin@oak.example"], terms=[TERM])
    school.organisation["trust_admins"] = ["trust@oak.example"]
    school.policy("online-safety", "1.0")
    school.staff_acknowledge()
    school.others = [dict(HILL)]
    (school.home / "policies" / "hill-safety.md").write_text("# Hillside\n", encoding="utf-8")
    school.people += [
        Row("admin@oak.example", "Ada Admin", "staff", "All Staff"),
        Row("trust@oak.example", "Tess Trust", "staff", "All Staff"),
    ]
    school.people += [
        Row(f"{who}@hill.example", f"{who.title()} Hill", "staff", "All Staff", school="hill")
        for who in ("head", "admin", "amy")
    ]
    context = school.context(database_url, demo=True, base_url="http://testserver")
    install()
    _sweep(context)
    yield context
    context.store.dispose()


def _sweep(context: AppContext, when: datetime = NOW) -> dict[str, SchoolSweep]:
    """One sweep as the scheduler runs it: the configuration read afresh."""
    context.forget_config()
    results, _ = sweep(context, when.date(), when, deliver=False)
    return {r.school_id: r for r in results}


def _queued(context: AppContext, school_id: str) -> int:
    """How many messages the outbox holds for a school."""
    with context.store.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.school_id == school_id)
            )
            or 0
        )


def _page(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return " ".join(page.text.split()).replace("&#39;", "'")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("how", list(BREAKS))
def test_one_schools_bad_entry_holds_that_school_on_its_last_good_settings(
    trust: AppContext,
    school: SchoolBuilder,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    hill_before = _queued(trust, "hill")
    said = BREAKS[how](school)
    # Hillside adds a policy to acknowledge in the same edit: its sweep must queue the asks
    (school.home / "policies" / "hill-aup.md").write_text("# AUP\n", encoding="utf-8")
    hill = school.others[0]
    hill["policies"] = [
        *HILL["policies"],
        {
            "id": "hill-aup",
            "title": "Hillside AUP",
            "version": "1.0",
            "document": "policies/hill-aup.md",
        },
    ]
    hill["requirements"] = [
        *HILL["requirements"],
        {
            "id": "ack-aup",
            "kind": "acknowledge_policy",
            "policy": "hill-aup",
            "audience": {"roles": ["staff"]},
        },
    ]
    school.write()
    trust.forget_config()

    # Oakfield stays in force on its last good settings; the problem names file, line, field
    oak = trust.config.school("oak")
    assert oak.terms[0].end == date(2026, 12, 18) and oak.role_groups == {}
    assert [p.id for p in oak.policies] == ["online-safety"]
    standing = standing_of(trust.config)
    assert standing is not None
    (problem,) = standing.problems
    assert problem.school_id == "oak" and not problem.held
    assert problem.message.startswith(f"{school.home / 'school.yaml'} line ")
    assert said in problem.message

    results = _sweep(trust, NEXT_WEEK)
    assert set(results) == {"oak", "hill"}
    assert not results["hill"].failed and not results["oak"].failed
    assert results["hill"].opened == 3  # Hillside's staff owe the new policy
    assert _queued(trust, "hill") > hill_before  # and are asked for it
    _sweep(trust, NEXT_WEEK.replace(hour=10))  # the next sweep: no second warning
    (warning,) = outbox_as_sent(trust.store, PURPOSE)
    assert warning.school_id == "oak"
    assert sorted(warning.recipients) == ["admin@oak.example", "trust@oak.example"]
    assert said in warning.payload["text"].replace("&#39;", "'")
    with trust.store.session() as session:
        assert set(schools_with_bad_settings(session)) == {"oak"}

    # the head sees why on the dashboard and /setup; Hillside's head sees nothing of it
    app = create_app(trust.settings, trust)  # what `run --web-only` serves: it starts
    for who, shown in (("head@oak.example", True), ("head@hill.example", False)):
        client = TestClient(app)
        sign_in(client, who)
        for path in ("/dashboard", "/setup"):
            text = _page(client, path)
            assert (said in text) is shown, (who, path)
            assert ("keeps using the settings it last accepted" in text) is shown, (who, path)

    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(trust.settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", database_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COLUMNS", "300")
    status = CliRunner().invoke(cli, ["status"])
    assert status.exit_code == 0, status.output
    out = " ".join(status.output.split())
    assert "Settings not applied: Oakfield Primary's settings have a problem" in out
    assert said in out and "Hillside Primary" in out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_that_is_not_yaml_is_told_to_the_trust_once_and_each_school_only_that(
    trust: AppContext, school: SchoolBuilder
) -> None:
    """A YAML error in Hillside's entry (#77 item 6): the trust's admin hears it once, with the
    line and the school whose entry holds it; each school's own admin hears only that the
    trust's file cannot be read, that their school carries on with its last settings and
    that the trust's IT lead has been told; never "the other schools are not affected"."""
    path = school.home / "school.yaml"
    text = path.read_text(encoding="utf-8")
    broken = text.replace(
        "headteacher: head@hill.example\n", "headteacher: [head@hill.example\n", 1
    )
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    trust.forget_config()
    assert [s.id for s in trust.config.schools] == ["oak", "hill"]
    results = _sweep(trust)
    assert set(results) == {"oak", "hill"} and not any(r.failed for r in results.values())
    _sweep(trust, NOW.replace(hour=10))
    told = {tuple(sorted(m.recipients)): m for m in outbox_as_sent(trust.store, PURPOSE)}
    assert sorted(told) == [("admin@hill.example",), ("admin@oak.example",), ("trust@oak.example",)]
    it = told[("trust@oak.example",)]
    text_it = " ".join(it.payload["text"].split()).replace("&#39;", "'")
    assert it.subject == "The trust's settings file cannot be read"
    assert "The line is in the entry of Hillside Primary." in text_it
    assert "school.yaml line" in text_it and "not valid YAML" in text_it
    for who, name in (
        ("admin@oak.example", "Oakfield Primary"),
        ("admin@hill.example", "Hillside Primary"),
    ):
        mail = told[(who,)]
        said = " ".join(mail.payload["text"].split()).replace("&#39;", "'")
        assert mail.subject == f"{name}: the trust's settings file cannot be read"
        assert (
            f"The trust's settings file cannot be read; {name} carries on with its last "
            "settings (accepted on Monday 23 November 2026); your trust's IT lead has been "
            "told."
        ) in said
        assert "not valid YAML" not in said and "not affected" not in said
    with trust.store.session() as session:
        bad = schools_with_bad_settings(session)
    assert set(bad) == {"oak", "hill"} and all(
        "not valid YAML" in "\n".join(map(str, m)) for m in bad.values()
    )
    app = create_app(trust.settings, trust)
    admin, lead = TestClient(app), TestClient(app)
    sign_in(admin, "admin@hill.example")
    sign_in(lead, "trust@oak.example")
    assert "not valid YAML" not in _page(admin, "/setup")
    assert "carries on with the settings it last accepted" in _page(admin, "/setup")
    assert "not valid YAML" in _page(lead, "/setup")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_school_that_never_had_good_settings_is_held_and_the_others_sweep(
    trust: AppContext, school: SchoolBuilder
) -> None:
    school.others.append(
        {
            "id": "ash",
            "name": "Ash Academy",
            "headteacher": "nobody",
            "admins": ["admin@ash.example"],
        }
    )
    school.write()
    results = _sweep(trust)
    assert set(results) == {"oak", "hill"}  # nothing swept for Ash
    (warning,) = outbox_as_sent(trust.store, PURPOSE)
    assert warning.school_id == "ash"
    assert sorted(warning.recipients) == ["admin@ash.example", "trust@oak.example"]
    assert "the bot does nothing for the school" in warning.payload["text"]
    with trust.store.session() as session:
        assert "schools[2].headteacher: not an email address" in "\n".join(
            map(str, schools_with_bad_settings(session)["ash"])
        )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_last_good_settings_are_stored_and_kept_on_postgresql(
    trust: AppContext, school: SchoolBuilder
) -> None:
    """A fresh process (a restart) finds Oakfield's last good settings in the database."""
    _oak_term_backwards(school)
    school.write()
    fresh = AppContext(trust.settings)
    try:
        oak = fresh.config.school("oak")
        assert oak.terms[0].end == date(2026, 12, 18)
        results, _ = sweep(fresh, TODAY, NOW, deliver=False)
        assert {r.school_id for r in results} == {"oak", "hill"}
        with fresh.store.session() as session:
            assert set(schools_with_bad_settings(session)) == {"oak"}
    finally:
        fresh.store.dispose()


def test_a_tick_stores_each_school_s_document_made_again_only_when_its_settings_changed(
    trust: AppContext, school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every tick reads the settings afresh (new objects): the stored documents are made only
    for what changed, and a change is stored."""
    made: list[str] = []
    real = per_school._canonical

    def counted(organisation: Any, entry: Any) -> str:
        made.append(entry.id)
        return real(organisation, entry)

    monkeypatch.setattr(per_school, "_canonical", counted)
    record_settings(trust.store, load_org(trust.settings, trust.store), NOW)
    assert made == []  # the fixture's sweep stored them from the same settings
    school.school["name"] = "Oakfield Primary Academy"
    school.write()
    record_settings(trust.store, load_org(trust.settings, trust.store), NEXT_WEEK)
    assert made == ["oak"]
    with trust.store.session() as session:
        stored = session.scalar(
            select(SchoolSettings.document).where(SchoolSettings.school_id == "oak")
        )
    assert stored is not None and "Oakfield Primary Academy" in stored
