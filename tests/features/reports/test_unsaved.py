"""A report the database refuses (#77 item 9): an SQLite trigger and a PostgreSQL constraint
refuse the report's row. The reporter gets a plain 503 with everything they typed still in the
form and their files named to attach again; nothing is stored; the people a report would
alert are told at once that one failed (through the outbox while the database takes that row,
else straight through the school's mailer), with nothing of what was written; the log says
it failed, without the words."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from html import unescape

import pytest
from sqlalchemy import func, select

from bot.core.models import AuditEvent, Report
from bot.core.outbox import Urgency
from bot.features.reports import unsaved
from tests.features.reports.test_support import Env, make_env, png_bytes
from tests.support.helpers import SchoolBuilder

TYPED = {
    "what_happened": "Quentin showed Year 6 a video on his phone behind the hall.",
    "names_pupil": "Quentin Zebedee",
    "location": "Behind the sports hall",
    "occurred": "Thursday after lunch",
    "reporter_name": "Pat Parent",
    "reporter_email": "pat@home.example",
}
PHOTO = ("screenshot-of-chat.png", png_bytes(), "image/png")


@pytest.fixture(name="env")
def env_fixture(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    env = make_env(school, database_url)
    unsaved._sent.clear()  # each test's process-local memory of direct alerts starts empty
    yield env
    env.context.store.dispose()


def refuse(env: Env, table: str) -> None:
    """Make the database refuse every new row of ``table``: a trigger (SQLite), a constraint
    (PostgreSQL)."""
    engine = env.context.store.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        else:
            conn.exec_driver_sql(
                f"ALTER TABLE {table} ADD CONSTRAINT refuse_{table} CHECK (false) NOT VALID"
            )


def allow(env: Env, table: str) -> None:
    """Undo ``refuse``."""
    engine = env.context.store.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER refuse_{table}")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT refuse_{table}")


def _post(env: Env, **extra: object) -> object:
    client = env.client()
    return env.submit(client, files=[("attachments", PHOTO)], **{**TYPED, **extra})


def _fields(page: str) -> dict[str, str]:
    """What the form's text fields and text area hold."""
    held = {n: unescape(v) for n, v in re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page)}
    for name, text in re.findall(
        r'<textarea[^>]*name="(\w+)"[^>]*>(.*?)</textarea>', page, re.DOTALL
    ):
        held[name] = unescape(text)
    return held


def _stored(env: Env) -> int:
    with env.context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def _audited(env: Env) -> list[AuditEvent]:
    with env.context.store.session() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "report.not_stored"))
        )


def _no_words(text: str) -> None:
    for value in TYPED.values():
        assert value not in text
    assert "screenshot-of-chat" not in text


def test_a_refused_report_keeps_what_was_typed_and_the_team_hears_through_the_outbox(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    refuse(env, "reports")
    answer = _post(env)
    assert answer.status_code == 503, answer.text
    page = answer.text
    assert "Your report has not been sent" in page and "call 999" in page
    assert "speak to the Designated Safeguarding Lead now" in page
    assert "please attach them again: screenshot-of-chat.png." in page
    held = _fields(page)
    for name, value in TYPED.items():
        assert held[name] == value, name
    assert 'value="cyberbullying" checked' in page
    assert _stored(env) == 0
    assert list((env.context.settings.uploads_dir / "reports").rglob("*.*")) == []
    # the alert: at once, to the people a report would reach, saying nothing of it
    [alert] = env.outbox("report_failed")
    assert alert.urgency == Urgency.SAFEGUARDING and alert.status == "sent"
    assert sorted(alert.recipients) == ["deputy@oak.example", "dsl@oak.example"]
    assert alert.subject == "A report to Oak Test School could not be saved"
    _no_words(f"{alert.subject} {alert.payload['text']} {alert.payload['html']}")
    [entry] = _audited(env)
    assert not entry.details  # that it happened: nothing of the report
    # the log: that it failed and why (the types), never the words
    assert "a report to oak could not be stored (sqlalchemy.exc." in caplog.text
    _no_words(caplog.text)
    # a second failure in the quiet time: audited, not alerted twice
    assert _post(env).status_code == 503
    assert len(env.outbox("report_failed")) == 1 and len(_audited(env)) == 2
    # once the database takes reports again, the same form stores it
    allow(env, "reports")
    answer = env.submit(env.client(), **{name: held[name] for name in TYPED})
    assert answer.status_code == 200 and "Report received" in answer.text
    assert _stored(env) == 1


def test_when_the_database_takes_nothing_the_alert_goes_straight_through_the_mailer(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    refuse(env, "reports")
    refuse(env, "outbox")
    answer = _post(env)
    assert (
        answer.status_code == 503
        and _fields(answer.text)["what_happened"] == (TYPED["what_happened"])
    )
    assert env.outbox("report_failed") == [] and _audited(env) == []
    mailed = [
        email.message_from_bytes(p.read_bytes())
        for p in (env.context.settings.home / "outbox").glob("*.eml")
    ]
    [alert] = [m for m in mailed if "could not be saved" in str(m["Subject"])]
    assert sorted(a.strip() for a in str(alert["To"]).split(",")) == [
        "deputy@oak.example",
        "dsl@oak.example",
    ]
    _no_words(alert.as_string())
    assert "could not be queued either" in caplog.text and "mailed directly" in caplog.text
    _no_words(caplog.text)
    # once in the quiet time from this process, however many fail
    assert _post(env).status_code == 503
    again = [
        p
        for p in (env.context.settings.home / "outbox").glob("*.eml")
        if "could not be saved" in p.read_text(errors="replace")
    ]
    assert len(again) == 1
