"""Preview until "Start sending", and the settings kept in the web pages as saved versions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.config.store import document, latest, load_org, save, set_source, to_yaml, updated
from bot.core.deployment.context import AppContext
from bot.core.deployment.setup_state import begin_setup, config_source, is_sending, start_sending
from bot.core.models import AuditEvent, Duty, OutboxMessage
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.demo.builder import demo_settings, demo_setup
from bot.engine.settings_change import apply_settings
from bot.engine.sweep import run_sweep
from tests.support.helpers import SchoolBuilder, at, sweep

MONDAY = date(2026, 11, 23)


def _school(school: SchoolBuilder) -> None:
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.staff_acknowledge(due_days=14)


def _purposes(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    with ctx.store.session() as session:
        return sorted(session.scalars(select(OutboxMessage.purpose)))


def test_a_school_in_preview_plans_everything_and_queues_nothing_until_sending_starts(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    with ctx.store.transaction() as session:
        begin_setup(session, source="file", by="office@oak.example", now=at(MONDAY, 8))
    results, stats = sweep(ctx, MONDAY)
    [result] = results
    assert result.preview and result.opened == 4  # duties are opened: that is the plan
    assert len(result.reminders) == 4 and not any(r.queued for r in result.reminders)
    assert stats is not None and stats.sent == 0
    assert _purposes(ctx) == []  # no reminder, no Monday digest
    with ctx.store.session() as session:
        # nothing recorded as reminded: the first real sweep sends the first reminder
        assert session.scalar(select(func.count()).where(Duty.reminders_sent > 0)) == 0
    # a message someone waits for still goes (a sign-in link), a reminder does not
    with ctx.store.transaction() as session:
        draft = EmailDraft(to=("amy@oak.example",), subject="s", text="t", html="h")
        assert enqueue_email(
            session,
            school_id="oak",
            key="l1",
            purpose="link_renewal",
            urgency=Urgency.WAITING,
            draft=draft,
        )
        assert not enqueue_email(
            session,
            school_id="oak",
            key="r1",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            draft=draft,
        )
    with ctx.store.transaction() as session:
        assert start_sending(session, "oak", by="office@oak.example", now=at(MONDAY, 9))
        assert not start_sending(session, "oak", by="office@oak.example", now=at(MONDAY, 9))
        assert is_sending(session, "oak")
    results, stats = sweep(ctx, MONDAY, at(MONDAY, 10))
    assert not results[0].preview and sum(r.queued for r in results[0].reminders) == 4
    assert _purposes(ctx).count("reminder") == 4 and "digest" in _purposes(ctx)
    with ctx.store.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"setup.begun", "sending.started"} <= actions
    ctx.store.dispose()


def test_an_install_without_setup_sends_as_before(school: SchoolBuilder, sqlite_url: str) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    results, _ = sweep(ctx, MONDAY, deliver=False)
    assert not results[0].preview and _purposes(ctx).count("reminder") == 4
    ctx.store.dispose()


def test_the_yaml_export_reads_back_as_the_same_settings(tmp_path: Path) -> None:
    org, _as_of = demo_setup(demo_settings(tmp_path), date(2026, 11, 20))
    text = to_yaml(org)
    assert "&id" not in text and "*id" not in text
    assert sum(line.strip().startswith("#") for line in text.splitlines()) >= 15
    assert 'start: "08:00"' in text and 'end: "17:00"' in text  # any YAML reader reads them
    copy = tmp_path / "school.yaml"
    copy.write_text(text, encoding="utf-8")
    assert document(load_config(copy)) == document(org)


def test_web_kept_settings_are_saved_versions_applied_at_once(
    school: SchoolBuilder, database_url: str
) -> None:
    _school(school)
    ctx = school.context(database_url)
    org = ctx.config
    run_sweep(
        ctx.store, ctx.settings, org, ctx.connectors, as_of=MONDAY, now=at(MONDAY), deliver=False
    )  # the directory is read: the named people are known
    with ctx.store.transaction() as session:
        assert config_source(session) == "file"
        begin_setup(session, source="web", by="office@oak.example", now=at(MONDAY, 8))
        first = save(session, org, by="office@oak.example", now=at(MONDAY, 8), note="setup")
        assert (
            save(session, org, by="office@oak.example", now=at(MONDAY, 8), note="same again")
            == first
        )  # nothing changed: no new version
    changed = updated(org, "oak", name="Oak Community School")
    assert org.schools[0].name == "Oak Test School"
    with pytest.raises(ValueError, match="headteacher"):
        updated(org, "oak", headteacher="not an address")
    with ctx.store.transaction() as session:
        warnings = apply_settings(
            session,
            changed,
            by="office@oak.example",
            now=at(MONDAY, 9),
            today=MONDAY,
            note="renamed",
            export_to=ctx.settings.config_path,
        ).warnings
        assert warnings == []
        assert latest(session) is not None and latest(session).id == first + 1  # type: ignore[union-attr]
        from bot.core.models import School

        assert session.get(School, "oak").name == "Oak Community School"  # type: ignore[union-attr]
    # the web pages' version is in force; school.yaml is its export and says so
    assert load_org(ctx.settings, ctx.store).schools[0].name == "Oak Community School"
    exported = ctx.settings.config_path.read_text(encoding="utf-8")
    assert exported.startswith("# This school's settings, exported from the bot's web pages")
    assert "Oak Community School" in exported
    ctx.store.dispose()


def test_the_config_commands(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    _ = ctx.store  # an installed school has its database: commands never start one
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789-abcdefghij")
    runner = CliRunner()
    edited = school.home / "edited.yaml"
    result = runner.invoke(app, ["config", "import", str(edited)])
    assert result.exit_code == 2  # no such file: one clear line, nothing stored
    shown = runner.invoke(app, ["config", "source"])
    assert shown.exit_code == 0 and "Settings are kept in" in shown.output
    moved = runner.invoke(app, ["config", "source", "web", "--as", "office@oak.example"])
    assert moved.exit_code == 0, moved.output
    assert "kept in the web pages" in moved.output
    out = runner.invoke(app, ["config", "export", "--out", str(edited)])
    assert out.exit_code == 0, out.output
    assert "using " not in out.output  # the settings alone: export never says where it reads
    assert 'end: "17:00"' in edited.read_text()
    # any YAML 1.1 reader (PyYAML) reads the times back as written, not 17:00 as 1020, and a
    # file it rewrote is still a school.yaml the import accepts
    data = yaml.safe_load(edited.read_text())
    window = data["schools"][0]["sending_window"]
    assert (window["start"], window["end"]) == ("08:00", "17:00")
    data["schools"][0]["name"] = "Oak Primary"
    edited.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    loaded = runner.invoke(app, ["config", "import", str(edited), "--as", "office@oak.example"])
    assert loaded.exit_code == 0, loaded.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "Oak Primary" in status.output
    assert "Preview" not in status.output  # set up from an existing install: already sending
    broken = school.home / "broken.yaml"
    broken.write_text("organisation: {name: T}\nschools: []\n", encoding="utf-8")
    bad = runner.invoke(app, ["config", "import", str(broken)])
    assert bad.exit_code == 2 and "broken.yaml" in bad.output
    assert "Oak Primary" in runner.invoke(app, ["status"]).output  # stored data intact
    ctx.store.dispose()


def test_status_and_start_sending_on_the_command_line(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    with ctx.store.transaction() as session:
        begin_setup(session, source="file", by="office@oak.example", now=at(MONDAY, 8))
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789-abcdefghij")
    runner = CliRunner()
    status = runner.invoke(app, ["status"])
    assert "Preview: no reminder or request is sent" in status.output
    swept = runner.invoke(app, ["sweep", "--as-of", str(MONDAY)])
    assert "Preview: no reminder or request is sent" in swept.output
    assert "that would be queued" in swept.output
    # nothing is said to be queued in preview, only what would be (#77): the week's digest too
    queued = [line for line in swept.output.splitlines() if "queued" in line]
    assert "1 weekly digest would be queued" in queued
    assert all("would be queued" in line for line in queued), queued
    assert _purposes(ctx) == []
    # a teacher cannot start sending in her own name: only the headteacher or an admin
    refused = runner.invoke(app, ["start-sending", "--as", "amy@oak.example"])
    assert refused.exit_code == 2 and "not the head or an admin" in refused.output
    assert "Preview: no reminder or request is sent" in runner.invoke(app, ["status"]).output
    started = runner.invoke(app, ["start-sending", "--as", "Head@oak.example"])
    assert started.exit_code == 0 and "Sending has started" in started.output
    assert "already started" in runner.invoke(app, ["start-sending"]).output
    assert "Preview" not in runner.invoke(app, ["status"]).output
    ctx.store.dispose()


def test_every_process_sees_a_saved_change_at_once_and_a_broken_file_keeps_the_last_good(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _school(school)
    web = school.context(sqlite_url)  # a web process, already serving
    other = AppContext(web.settings)  # a second process on the same database
    assert web.config.schools[0].name == "Oak Test School"
    with other.store.transaction() as session:
        set_source(session, "web", by="office@oak.example", now=at(MONDAY, 8))
        apply_settings(
            session,
            updated(other.config, "oak", name="Oak Primary"),
            by="office@oak.example",
            now=at(MONDAY, 9),
            today=MONDAY,
            note="renamed",
        )
    assert web.config.schools[0].name == "Oak Primary"
    with other.store.transaction() as session:
        set_source(session, "file", by="office@oak.example", now=at(MONDAY, 10))
    assert web.config.schools[0].name == "Oak Test School"  # school.yaml again
    path = web.settings.config_path
    path.write_text(path.read_text().replace("Oak Test School", "Oak Infants"), "utf-8")
    assert web.config.schools[0].name == "Oak Infants"  # an edited file is read again
    path.write_text("schools: [\n", encoding="utf-8")  # a half-saved edit
    assert web.config.schools[0].name == "Oak Infants"  # the last good one stays in force
    web.store.dispose()
    other.store.dispose()


def test_another_process_s_save_is_seen_within_a_second_not_asked_for_on_every_page(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's save reaches this one's pages within ``SHARED_FOR`` (the database's
    part of the stamp is shared by this process's requests for that long, not asked per page)."""
    import bot.core.config.store as config_store

    _school(school)
    web = school.context(sqlite_url)
    web.store.upgrade()  # the database exists: the stamp has its part
    clock = [1000.0]
    monkeypatch.setattr(config_store, "monotonic", lambda: clock[0])
    config_store.forget_stamps()
    assert web.config.schools[0].name == "Oak Test School"
    shared = dict(config_store._SHARED)  # what this process's pages share
    other = AppContext(web.settings)
    with other.store.transaction() as session:
        set_source(session, "web", by="office@oak.example", now=at(MONDAY, 8))
        apply_settings(
            session,
            updated(other.config, "oak", name="Oak Primary"),
            by="office@oak.example",
            now=at(MONDAY, 9),
            today=MONDAY,
            note="renamed",
        )
    # in another process, nothing told this one: it reads the stamp as shared a moment ago
    monkeypatch.setattr(config_store, "_SHARED", shared)
    clock[0] += config_store.SHARED_FOR / 2
    assert web.config.schools[0].name == "Oak Test School"
    clock[0] += config_store.SHARED_FOR
    assert web.config.schools[0].name == "Oak Primary"
    web.store.dispose()
    other.store.dispose()


def test_settings_applied_open_duties_at_once_without_queueing_anything(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    _school(school)
    ctx = school.context(sqlite_url)
    sweep(ctx, MONDAY, deliver=False)
    queued = len(_purposes(ctx))
    training = {
        "id": "train-cp",
        "kind": "complete_training",
        "course": "Child protection",
        "audience": {"roles": ["staff"]},
        "due_days": 28,
    }
    changed = updated(
        ctx.config,
        "oak",
        requirements=[*document(ctx.config)["schools"][0]["requirements"], training],
    )
    with ctx.store.transaction() as session:
        set_source(session, "web", by="office@oak.example", now=at(MONDAY, 9))
        applied = apply_settings(
            session,
            changed,
            by="office@oak.example",
            now=at(MONDAY, 9),
            today=MONDAY,
            note="child protection training",
        )
    assert applied.warnings == []
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Duty)) == 8
        # the four staff's training, opened now, before any sweep
        assert (
            session.scalar(
                select(func.count()).select_from(Duty).where(Duty.kind == "complete_training")
            )
            == 4
        )
    assert len(_purposes(ctx)) == queued  # reminders go with the sweep
    ctx.store.dispose()
