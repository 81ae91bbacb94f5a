"""The minute's poll of an external form (``poll_forms``) over the local JSON-lines form, on SQLite
and PostgreSQL: a response that cannot be read is skipped, flagged once to the DSL team and the
admins without its contents, never blocks the rest and stays listed until it is readable or
gone; overlapping polls store each report once; a yes/no answer is never guessed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.models import AuditEvent, ConnectorState, OutboxMessage, Report
from bot.core.ports import UnreadableResponse
from bot.features.reports.forms import FORMS_STATE_KEY, form_problems, poll_forms, read_form
from connectors.local.connector import LocalFormSource
from tests.features.reports.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SECRET = "UNIQUE-POLL-TEXT-7731"


@pytest.fixture
def env(school: SchoolBuilder, database_url: str) -> Iterator[Env]:
    made = make_env(school, database_url)
    yield made
    made.context.store.dispose()


def response(rid: str, submitted: str, **answers: str) -> dict[str, Any]:
    return {
        "id": rid,
        "submitted_at": submitted,
        "answers": {"Category": "Cyberbullying", "What happened": SECRET, **answers},
    }


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def poll(env: Env, source: LocalFormSource) -> Any:
    ctx = env.context
    return poll_forms(ctx.store, ctx.config, source, now=NOW, base_url="http://testserver")


def stored(env: Env) -> dict[str, Report]:
    with env.context.store.session() as session:
        return {r.source_ref: r for r in session.scalars(select(Report))}


def flags(env: Env) -> list[OutboxMessage]:
    with env.context.store.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.idempotency_key.like("form-unreadable:%"))
            )
        )


def test_a_bad_response_is_skipped_flagged_once_and_never_blocks_the_rest(
    env: Env, tmp_path: Path
) -> None:
    path = tmp_path / "form.jsonl"
    bad = response("r-2", SECRET)  # a wrongly mapped column: the time holds what was reported
    write(
        path,
        [
            response("r-1", "2026-11-02T09:00:00+00:00"),
            bad,
            response("r-3", "2026-11-02T11:00:00+00:00"),
        ],
    )
    source = LocalFormSource(path)
    first = poll(env, source)
    assert (first.stored, first.flagged, first.problems, first.errors) == (2, 1, 1, ())
    assert set(stored(env)) == {"r-1", "r-3"}  # the response after the bad one was read
    [flag] = flags(env)
    assert flag.purpose == "report_alert"
    assert sorted(flag.recipients) == ["admin@oak.example", "deputy@oak.example", "dsl@oak.example"]
    assert flag.subject == "A response to the concern form could not be read"
    body = json.dumps(flag.payload)
    assert SECRET not in body and "form.jsonl line 2 (response r-2)" in body
    assert "its submitted_at is missing or not an ISO 8601 time" in body

    # the next polls: nothing stored twice, flagged once, still listed; the position moved on
    again = poll(env, source)
    assert (again.stored, again.flagged, again.problems) == (0, 0, 1)
    assert len(flags(env)) == 1 and len(stored(env)) == 2
    with env.context.store.session() as session:
        position = session.scalar(
            select(ConnectorState.value).where(ConnectorState.key == FORMS_STATE_KEY)
        )
        [problem] = form_problems(session, "oak")
    assert position == "2026-11-02T11:00:00+00:00"
    assert (problem.key, problem.dismissed_by) == ("r-2", None)
    assert SECRET not in problem.where + problem.problem

    # corrected where it is kept (an old time): read on the next poll, and resolved
    write(
        path,
        [
            response("r-1", "2026-11-02T09:00:00+00:00"),
            response("r-2", "2026-10-01T08:00:00+00:00"),
            response("r-3", "2026-11-02T11:00:00+00:00"),
        ],
    )
    fixed = poll(env, source)
    assert (fixed.stored, fixed.flagged, fixed.problems) == (1, 0, 0)
    assert set(stored(env)) == {"r-1", "r-2", "r-3"}
    with env.context.store.session() as session:
        assert form_problems(session, "oak") == []
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("report.form_%"))
            )
        )
    assert actions == ["report.form_unreadable", "report.form_problem_resolved"]
    assert poll(env, source).stored == 0 and len(flags(env)) == 1


def test_an_unclear_headteacher_answer_is_flagged_never_read_as_no(
    env: Env, tmp_path: Path
) -> None:
    path = tmp_path / "form.jsonl"
    write(
        path,
        [
            response(
                "r-1", "2026-11-02T09:00:00Z", **{"Is this about the headteacher?": "Not sure"}
            ),
            response("r-2", "2026-11-02T09:05:00Z", **{"Is this about the headteacher?": "Yes"}),
        ],
    )
    result = poll(env, LocalFormSource(path))
    assert (result.stored, result.flagged) == (1, 1)
    report = stored(env)["r-2"]
    assert report.about_headteacher
    with env.context.store.session() as session:
        [problem] = form_problems(session, "oak")
        alert = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"report-alert:oak:{report.reference}"
            )
        )
    assert problem.problem == "the answer to 'Is this about the headteacher?' is neither yes nor no"
    assert alert is not None and "head@oak.example" not in alert.recipients


def test_two_overlapping_polls_store_each_report_once(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "form.jsonl"
    write(path, [response(f"r-{n}", f"2026-11-02T09:{n:02d}:00Z") for n in range(1, 6)])
    source = LocalFormSource(path)
    store, school = env.context.store, env.school
    second: dict[str, Any] = {}

    def overlapping() -> None:
        with store.transaction() as session:
            second["read"] = read_form(session, source, school, now=NOW, base_url="")

    with store.transaction() as session:
        first = read_form(session, source, school, now=NOW, base_url="")
        # the second poll starts while the first has stored its reports but not committed
        thread = threading.Thread(target=overlapping)
        thread.start()
    thread.join()
    assert first.stored == 5 and second["read"].stored == 0
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 5


def test_the_local_form_returns_unreadable_lines_after_the_readable_ones(tmp_path: Path) -> None:
    path = tmp_path / "form.jsonl"
    path.write_text(
        "not json\n" + json.dumps(response("r-1", "2026-11-02T09:00:00Z")) + "\n", encoding="utf-8"
    )
    got = LocalFormSource(path).responses(None)
    assert [getattr(r, "response_id", None) for r in got] == ["r-1", None]
    assert got[1] == UnreadableResponse("line 1", "form.jsonl line 1", "it has no 'id'")
