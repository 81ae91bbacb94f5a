"""Tampering with any record that matters, directly in SQL, makes ``audit verify`` fail naming it.

One school is built through the bot (a report with an attachment, a chronology entry and an
outcome, an acknowledgement and an AUP signature, a training record, a decision with a review
and a file, policy versions and a review, a task completion). Each case then works on a copy of
that database (SQLite backup / PostgreSQL template), edits, deletes or forges a row — or cuts,
empties or rebuilds the audit log — the way someone with database access would, and runs the
real ``compliance-bot audit verify`` through Typer's runner. The figure "cases tried /
detected" is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core import audit
from bot.core.models import (
    Attestation,
    Base,
    Decision,
    DecisionAttachment,
    DecisionReview,
    Person,
    PolicyReview,
    PolicyVersion,
    Report,
    Requirement,
    TaskCompletion,
    TrainingRecord,
)
from bot.core.seals import seal_existing
from bot.core.store import Store
from bot.core.uploads import clean_attachment
from bot.features.reports.actions import add_entry, record_outcome
from tests.features.reports.test_support import PDF, configure, submission, sync_people
from tests.support.helpers import SchoolBuilder

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
REF = "{ref}"  # the report's reference: random, filled in from the built school


@dataclass
class Built:
    """The base database, its settings and the ids of one record of each kind."""

    url: str
    home: Path
    secret: str
    ids: dict[str, int]
    anchor: Path
    reference: str = ""


def _build(builder: SchoolBuilder, database_url: str, tmp_path: Path) -> Built:
    """A school with one record of every sealed kind, written through the bot."""
    configure(builder)
    builder.policy("online-safety", "2026.1", title="Online Safety")
    builder.policy("social-media-aup", "2026.1", title="Social Media AUP", aup=True)
    context = builder.context(database_url, demo=True, base_url="http://testserver")
    sync_people(context)
    school = context.config.school("oak")
    store = context.store
    from bot.features.reports.intake import submit_report

    with store.transaction() as session:
        submit_report(session, school, submission(), now=NOW, base_url="http://testserver",
                      actor="test", files=[clean_attachment("scan.pdf", PDF)],
                      uploads_dir=context.settings.uploads_dir)
    ids: dict[str, int] = {}
    with store.transaction() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        dsl = session.scalars(select(Person).where(Person.email == "dsl@oak.example")).one()
        versions = {v.policy.key: v for v in session.scalars(select(PolicyVersion))}
        ack = Attestation(school_id="oak", person_id=amy.id, kind="acknowledgement",
                          policy_version_id=versions["online-safety"].id,
                          document_sha256=versions["online-safety"].sha256,
                          statement="I have read and understood it.", at=NOW, method="sso")
        sig = Attestation(school_id="oak", person_id=amy.id, kind="aup_signature",
                          policy_version_id=versions["social-media-aup"].id,
                          document_sha256=versions["social-media-aup"].sha256,
                          statement="I will follow the AUP.", typed_name="Amy Able", at=NOW,
                          method="link")
        training = TrainingRecord(school_id="oak", person_id=amy.id, course="Safeguarding",
                                  completed_on=date(2026, 9, 1), provider="LA",
                                  import_key="amy-safeguarding-2026")
        decision = Decision(school_id="oak", kind="pre_existing_relationship",
                            subject_type="staff", subject_person_id=amy.id,
                            decision="May follow a parent's account.", reasons="Family.",
                            decided_by_id=dsl.id, decided_on=date(2026, 10, 1),
                            review_on=date(2027, 10, 1), review_set_on=date(2026, 10, 1),
                            recorded_by="dsl@oak.example")
        session.add_all([ack, sig, training, decision])
        session.flush()
        review = DecisionReview(school_id="oak", decision_id=decision.id,
                                reviewed_on=date(2026, 10, 20), reviewed_by_id=dsl.id,
                                outcome="continue", notes="Still fine.",
                                next_review_on=date(2027, 10, 1), recorded_by="dsl@oak.example")
        kept = DecisionAttachment(school_id="oak", decision_id=decision.id,
                                  filename="agreement.pdf", content_type="application/pdf",
                                  size=10, sha256="a" * 64, stored_as="x" * 32,
                                  uploaded_by="dsl@oak.example")
        policy = versions["online-safety"].policy
        policy_review = PolicyReview(school_id="oak", policy_id=policy.id,
                                     reviewed_on=date(2026, 10, 15), body="FGB",
                                     minute_ref="FGB 15/10/26 item 4",
                                     recorded_by="gov@oak.example")
        requirement = Requirement(school_id="oak", key="phone-lock", kind="recurring_task",
                                  title="Change the school phone's lock code", spec={},
                                  first_seen=date(2026, 9, 1))
        session.add_all([review, kept, policy_review, requirement])
        session.flush()
        task = TaskCompletion(school_id="oak", requirement_id=requirement.id, cycle="2026",
                              person_id=dsl.id, method="sso", at=NOW)
        session.add(task)
        session.flush()
        ids.update(attestation=ack.id, signature=sig.id, training_record=training.id,
                   decision=decision.id, decision_review=review.id, decision_attachment=kept.id,
                   policy_version=versions["online-safety"].id, policy_review=policy_review.id,
                   task_completion=task.id)
    with store.transaction() as session:
        for i in range(60):  # reads of the report: audit events only
            audit.record(session, actor="dsl@oak.example", action="report.viewed",
                         object_type="report", object_id=1, school_id="oak", details={"i": i})
    with store.transaction() as session:
        report = session.scalars(select(Report)).one()
        add_entry(session, report, actor="dsl@oak.example", kind="action",
                  text="Called the parents.", reason=None, now=NOW + timedelta(hours=1))
        record_outcome(session, report, actor="dsl@oak.example", outcome="Resolved.",
                       lessons="Remind pupils.", now=NOW + timedelta(hours=2))
        reference = report.reference
        ids.update(report=report.id,
                   report_entry=next(e.id for e in report.entries if e.kind == "action"),
                   report_attachment=1)
    store.dispose()
    anchor = tmp_path / "kept" / "anchor.txt"
    built = Built(database_url, context.settings.home, context.settings.signing_key(), ids,
                  anchor, reference)
    with _env(built, database_url):
        made = CliRunner().invoke(app, ["audit", "anchor", "--out", str(anchor)])
    assert made.exit_code == 0, made.output
    return built


@contextmanager
def _env(built: Built, url: str) -> Iterator[None]:
    """Point the CLI at ``url`` for the school's home."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLIANCE_BOT_HOME", str(built.home))
        mp.setenv("COMPLIANCE_BOT_DATABASE_URL", url)
        mp.setenv("COMPLIANCE_BOT_SECRET_KEY", built.secret)
        yield


@contextmanager
def _restoring(built: Built, tables: tuple[str, ...]) -> Iterator[str]:
    """The base database, with ``tables`` put back exactly as they were afterwards."""
    with _raw(built.url) as conn:
        saved = {n: [dict(r._mapping) for r in conn.execute(select(_table(conn, n)))]
                 for n in tables}
    try:
        yield built.url
    finally:
        with _raw(built.url) as conn:
            for name, rows in saved.items():
                table = _table(conn, name)
                conn.execute(table.delete())
                if rows:
                    conn.execute(insert(table), rows)


_ENGINES: dict[str, Engine] = {}


@contextmanager
def _raw(url: str) -> Iterator[Connection]:
    """A connection as an intruder has it: no bot, foreign keys not enforced."""
    engine = _ENGINES.get(url) or _ENGINES.setdefault(url, create_engine(url, poolclass=NullPool))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn


def _table(conn: Connection, name: str) -> Table:
    """A table as the bot's schema has it (the database is at the newest revision)."""
    return Base.metadata.tables[name]


# --------------------------------------------------------------------------- the cases

TABLES = {
    "report": "reports", "report_entry": "report_entries",
    "report_attachment": "report_attachments", "attestation": "attestations",
    "signature": "attestations", "training_record": "training_records",
    "decision": "decisions", "decision_review": "decision_reviews",
    "decision_attachment": "decision_attachments", "policy_version": "policy_versions",
    "policy_review": "policy_reviews", "task_completion": "task_completions",
}
EDITS: dict[str, tuple[str, Any, str]] = {  # kind: (column, new value, expected words)
    "report": ("what_happened", "Nothing happened.",
               f"Report {REF} was changed after it was recorded (what happened)"),
    "report_entry": ("text", "Did nothing.", f"A chronology entry (action) on report {REF} was "
                     "changed after it was recorded (text)"),
    "report_attachment": ("sha256", "b" * 64, f"A file attached to report {REF} was changed "
                          "after it was recorded (file fingerprint)"),
    "attestation": ("statement", "I did not read it.", "Acknowledgement by amy@oak.example for "
                    "Online Safety version 2026.1 was changed after it was recorded (statement)"),
    "signature": ("typed_name", "Someone Else", "AUP signature by amy@oak.example for Social "
                  "Media AUP version 2026.1 was changed after it was recorded (typed name)"),
    "training_record": ("completed_on", date(2026, 10, 1), "Training record of amy@oak.example "
                        "(Safeguarding) was changed after it was recorded (completed on)"),
    "decision": ("reasons", "None.", "was changed after it was recorded (reasons)"),
    "decision_review": ("notes", "Changed.", "A review of decision #"),
    "decision_attachment": ("sha256", "c" * 64, "A file kept with decision #"),
    "policy_version": ("statement", "Nothing to agree.",
                       "Version 2026.1 of Online Safety was changed after it was recorded"),
    "policy_review": ("minute_ref", "none", "The review of Online Safety on 2026-10-15 was "
                      "changed after it was recorded (minute ref)"),
    "task_completion": ("method", "link", "Task completion by dsl@oak.example for Change the "
                        "school phone's lock code (2026) was changed after it was recorded"),
}
UNIQUE_FIX: dict[str, dict[str, Any]] = {  # columns a forged copy must change to be insertable
    "reports": {"reference": "CR-2026-0099", "source_ref": None},
    "training_records": {"import_key": "forged"},
    "policy_versions": {"label": "2026.9"},
    "task_completions": {"cycle": "2025"},
}


def _edit(kind: str, column: str, value: Any) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        table = _table(conn, TABLES[kind])
        conn.execute(table.update().where(table.c.id == built.ids[kind]).values({column: value}))
    return run


def _delete(kind: str) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        table = _table(conn, TABLES[kind])
        conn.execute(table.delete().where(table.c.id == built.ids[kind]))
    return run


def _forge(kind: str) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        table = _table(conn, TABLES[kind])
        row = dict(conn.execute(select(table).where(table.c.id == built.ids[kind])).one()._mapping)
        row.update(UNIQUE_FIX.get(table.name, {}))
        row["id"] = 1000 + built.ids[kind]
        conn.execute(insert(table).values(row))
    return run


def _truncate(keep_head: bool) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        events, head = _table(conn, "audit_events"), _table(conn, "audit_head")
        top = conn.execute(select(func.max(events.c.seq))).scalar_one()
        conn.execute(events.delete().where(events.c.seq > top - 50))
        last = conn.execute(select(events.c.hash).where(events.c.seq == top - 50)).scalar_one()
        if keep_head:
            conn.execute(head.update().values(count=top - 50, last_hash=last))
    return run


def _empty(built: Built, conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_events"))
    conn.execute(text("DELETE FROM audit_head"))


AUDIT = ("audit_events", "audit_head")
CASES: list[tuple[str, Callable[[Built, Connection], None], str, bool, tuple[str, ...]]] = []
for _kind, (_col, _value, _words) in EDITS.items():
    _t = (TABLES[_kind],)
    CASES.append((f"edit {_kind}", _edit(_kind, _col, _value), _words, False, _t))
    CASES.append((f"delete {_kind}", _delete(_kind), "is missing: it was deleted", False, _t))
    CASES.append((f"forge {_kind}", _forge(_kind), "is not in the audit log", False, _t))
CASES += [
    ("flip about_headteacher", _edit("report", "about_headteacher", True),
     f"Report {REF} was changed after it was recorded (about the headteacher)", False,
     ("reports",)),
    ("edit outcome", _edit("report", "outcome", "Nothing to see."),
     f"Report {REF} was changed after it was recorded (outcome)", False, ("reports",)),
    ("delete last 50 events, head updated", _truncate(True), "the log was cut short", False,
     AUDIT),
    ("delete last 50 events, head left", _truncate(False), "the last entries were removed",
     False, AUDIT),
    ("delete every audit row", _empty, "is not in the audit log", False, AUDIT),
    ("delete last 50 events, head updated, checked with the anchor", _truncate(True),
     "entries were removed, or the log was rebuilt", True, AUDIT),
]


def _rebuild(built: Built, conn: Connection) -> None:
    """Rewrite a report and rebuild the whole chain with fresh, valid hashes."""
    conn.execute(text("UPDATE reports SET what_happened = 'Nothing happened.'"))
    _empty(built, conn)


def test_every_tampering_is_detected(
    database_url: str, school: SchoolBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = _build(school, database_url, tmp_path)
    runner = CliRunner()
    with _env(built, database_url):
        clean = runner.invoke(app, ["audit", "verify", "--anchor", str(built.anchor)])
    assert clean.exit_code == 0, clean.output
    said = " ".join(clean.output.split())
    assert "audit log intact" in said and "15 records checked" in said and "1 report," in said
    assert "1 training record" in said and "It matches the anchor file" in said

    missed: list[str] = []
    for name, tamper, words, with_anchor, tables in CASES:
        with _restoring(built, tables) as url:
            with _raw(url) as conn:
                tamper(built, conn)
            args = ["audit", "verify"] + (["--anchor", str(built.anchor)] if with_anchor else [])
            with _env(built, url):
                result = runner.invoke(app, args)
        words = words.replace(REF, built.reference)
        if result.exit_code != 1 or words not in " ".join(result.output.split()):
            missed.append(f"{name}: exit {result.exit_code}: {result.output}")

    # a whole chain rebuilt with valid hashes passes on its own; the kept anchor catches it
    with _restoring(built, ("reports", *AUDIT)) as url:
        with _raw(url) as conn:
            _rebuild(built, conn)
        store = Store(url)
        with store.transaction() as session:
            seal_existing(session)
        store.dispose()
        with _env(built, url):
            alone = runner.invoke(app, ["audit", "verify"])
            anchored = runner.invoke(app, ["audit", "verify", "--anchor", str(built.anchor)])
    assert alone.exit_code == 0, alone.output  # what an anchor is for
    if anchored.exit_code != 1 or "the anchor file made on" not in anchored.output:
        missed.append(f"rebuilt chain, checked with the anchor: {anchored.output}")
    tried = len(CASES) + 1
    with capsys.disabled():
        print(f"\naudit tamper cases ({make_url(database_url).get_backend_name()}): "
              f"{tried} tried / {tried - len(missed)} detected")
    assert not missed, "\n".join(missed)


def test_an_altered_anchor_file_is_refused(database_url: str, school: SchoolBuilder,
                                           tmp_path: Path) -> None:
    built = _build(school, database_url, tmp_path)
    forged = built.anchor.read_text(encoding="utf-8").replace('"entries":', '"entries":1')
    built.anchor.write_text(forged, encoding="utf-8")
    with _env(built, database_url):
        result = CliRunner().invoke(app, ["audit", "verify", "--anchor", str(built.anchor)])
    assert result.exit_code == 2
    assert "signature does not match" in " ".join(result.output.split())


def test_the_digest_email_carries_the_figure_verify_checks(sqlite_url: str, school: SchoolBuilder,
                                                           tmp_path: Path) -> None:
    from bot.features.dashboard.digest import build_digest

    built = _build(school, sqlite_url, tmp_path)
    store = Store(sqlite_url)
    with store.session() as session:
        digest = build_digest(session, school_config(built), date(2026, 11, 2),
                              base_url="http://testserver")
    store.dispose()
    assert digest.audit_head is not None
    figure = f"{digest.audit_head[0]}:{digest.audit_head[1]}"
    email = digest.email("head@oak.example")
    assert f"Audit log figure: {figure}" in email.text and figure in (email.html or "")
    with _env(built, sqlite_url):
        ok = CliRunner().invoke(app, ["audit", "verify", "--fingerprint", figure])
        wrong = CliRunner().invoke(app, ["audit", "verify", "--fingerprint", f"3:{'0' * 64}"])
    assert ok.exit_code == 0, ok.output
    assert wrong.exit_code == 1 and "differs from the fingerprint given" in wrong.output


def school_config(built: Built) -> Any:
    """The test school's configuration, read as the bot reads it."""
    from bot.core.config import load_config

    return load_config(built.home / "school.yaml").school("oak")
