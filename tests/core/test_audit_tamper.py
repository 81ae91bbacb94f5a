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

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core import audit
from bot.core.audit import adopt_key
from bot.core.audit.batches import seal_all
from bot.core.audit.seals import KINDS, SEALED, field_digests, row_digest, seal_existing
from bot.core.config import store as config_store
from bot.core.database.store import Store
from bot.core.files.uploads import clean_attachment, store_file
from bot.core.guards.keys import Keyring
from bot.core.models import (
    Attestation,
    AuditHead,
    Base,
    ConfigVersion,
    Decision,
    DecisionAttachment,
    DecisionReview,
    Duty,
    OutboxMessage,
    Person,
    PolicyReview,
    PolicyVersion,
    Report,
    ReportClock,
    Requirement,
    TaskCompletion,
    TrainingRecord,
)
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_email
from bot.features.reports.actions import add_entry, record_outcome
from tests.conftest import isolated
from tests.features.reports.test_support import PDF, configure, submission, sync_people
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_KEYS

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
    head_then: dict[str, Any] = field(default_factory=dict)

    @property
    def uploads(self) -> Path:
        """The school's uploads folder."""
        return self.home / "uploads"


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
        submit_report(
            session,
            school,
            submission(),
            now=NOW,
            base_url="http://testserver",
            actor="test",
            files=[clean_attachment("scan.pdf", PDF)],
            uploads_dir=context.settings.uploads_dir,
        )
    ids: dict[str, int] = {}
    with store.transaction() as session:
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        dsl = session.scalars(select(Person).where(Person.email == "dsl@oak.example")).one()
        versions = {v.policy.key: v for v in session.scalars(select(PolicyVersion))}
        ack = Attestation(
            school_id="oak",
            person_id=amy.id,
            kind="acknowledgement",
            policy_version_id=versions["online-safety"].id,
            document_sha256=versions["online-safety"].sha256,
            statement="I have read and understood it.",
            at=NOW,
            method="sso",
        )
        sig = Attestation(
            school_id="oak",
            person_id=amy.id,
            kind="aup_signature",
            policy_version_id=versions["social-media-aup"].id,
            document_sha256=versions["social-media-aup"].sha256,
            statement="I will follow the AUP.",
            typed_name="Amy Able",
            at=NOW,
            method="link",
        )
        certificate = store_file(
            context.settings.uploads_dir / "certificates" / "oak",
            clean_attachment("certificate.pdf", PDF),
        )
        training = TrainingRecord(
            school_id="oak",
            person_id=amy.id,
            course="Safeguarding",
            completed_on=date(2026, 9, 1),
            provider="LA",
            import_key="amy-safeguarding-2026",
            certificate_path=str(certificate.relative_to(context.settings.uploads_dir)),
        )
        decision = Decision(
            school_id="oak",
            kind="pre_existing_relationship",
            subject_type="staff",
            subject_person_id=amy.id,
            decision="May follow a parent's account.",
            reasons="Family.",
            decided_by_id=dsl.id,
            decided_on=date(2026, 10, 1),
            review_on=date(2027, 10, 1),
            review_set_on=date(2026, 10, 1),
            recorded_by="dsl@oak.example",
        )
        session.add_all([ack, sig, training, decision])
        session.flush()
        review = DecisionReview(
            school_id="oak",
            decision_id=decision.id,
            reviewed_on=date(2026, 10, 20),
            reviewed_by_id=dsl.id,
            outcome="continue",
            notes="Still fine.",
            next_review_on=date(2027, 10, 1),
            recorded_by="dsl@oak.example",
        )
        agreement = store_file(
            context.settings.uploads_dir / "decisions" / "oak",
            clean_attachment("agreement.pdf", PDF),
        )
        kept = DecisionAttachment(
            school_id="oak",
            decision_id=decision.id,
            filename="agreement.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            stored_as=agreement.name,
            uploaded_by="dsl@oak.example",
        )
        policy = versions["online-safety"].policy
        policy_review = PolicyReview(
            school_id="oak",
            policy_id=policy.id,
            reviewed_on=date(2026, 10, 15),
            body="FGB",
            minute_ref="FGB 15/10/26 item 4",
            recorded_by="gov@oak.example",
        )
        requirement = Requirement(
            school_id="oak",
            key="phone-lock",
            kind="recurring_task",
            title="Change the school phone's lock code",
            spec={},
            first_seen=date(2026, 9, 1),
        )
        session.add_all([review, kept, policy_review, requirement])
        session.flush()
        task = TaskCompletion(
            school_id="oak",
            requirement_id=requirement.id,
            cycle="2026",
            person_id=dsl.id,
            method="sso",
            at=NOW,
        )
        duty = dict(
            school_id="oak",
            requirement_id=requirement.id,
            kind="recurring_task",
            opened_on=date(2026, 9, 1),
            due_on=date(2026, 12, 1),
        )
        done = Duty(
            **duty,
            person_id=dsl.id,
            cycle="2026",
            status="done",
            closed_on=date(2026, 11, 3),
            closed_reason="done",
            evidence_ref="task:1",
        )
        open_duty = Duty(**duty, person_id=amy.id, cycle="2026")
        session.add_all([task, done, open_duty])
        session.flush()
        role = next(r for r in amy.roles if r.role == "staff")
        clock = session.scalars(select(ReportClock)).one()
        ids.update(
            person=amy.id,
            person_role=role.id,
            requirement=requirement.id,
            report_clock=clock.id,
            done_duty=done.id,
            open_duty=open_duty.id,
        )
        config_store.save(
            session, context.config, by="head@oak.example", now=NOW, note="The DSL changed"
        )
        ids["config_version"] = session.scalar(select(func.max(ConfigVersion.id))) or 0
        ids.update(
            attestation=ack.id,
            signature=sig.id,
            training_record=training.id,
            decision=decision.id,
            decision_review=review.id,
            decision_attachment=kept.id,
            policy_version=versions["online-safety"].id,
            policy_review=policy_review.id,
            task_completion=task.id,
        )
    with store.transaction() as session:
        for i in range(60):  # reads of the report: audit events only
            audit.record(
                session,
                actor="dsl@oak.example",
                action="report.viewed",
                object_type="report",
                object_id=1,
                school_id="oak",
                details={"i": i},
            )
    with store.transaction() as session:
        report = session.scalars(select(Report)).one()
        add_entry(
            session,
            report,
            actor="dsl@oak.example",
            kind="action",
            text="Called the parents.",
            reason=None,
            now=NOW + timedelta(hours=1),
        )
        record_outcome(
            session,
            report,
            actor="dsl@oak.example",
            outcome="Resolved.",
            lessons="Remind pupils.",
            now=NOW + timedelta(hours=2),
        )
        reference = report.reference
        ids.update(
            report=report.id,
            report_entry=next(e.id for e in report.entries if e.kind == "action"),
            report_attachment=1,
        )
    dispatch(store, context.connectors.mailer, None)
    with store.transaction() as session:
        sent = session.scalar(
            select(func.min(OutboxMessage.id)).where(OutboxMessage.status == "sent")
        )
        assert enqueue_email(
            session,
            school_id="oak",
            key="test:queued",
            purpose="reminder",
            urgency=Urgency.ROUTINE,
            draft=EmailDraft(
                ("amy@oak.example",), "A reminder", "Please read it.", "<p>Please read it.</p>"
            ),
        )
        queued = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "test:queued")
        ).one()
        ids.update(sent_message=sent or 0, queued_message=queued.id)
    store.dispose()
    anchor = tmp_path / "kept" / "anchor.txt"
    built = Built(
        database_url, context.settings.home, context.settings.signing_key(), ids, anchor, reference
    )
    with _env(built, database_url):
        made = CliRunner().invoke(app, ["audit", "anchor", "--out", str(anchor)])
    assert made.exit_code == 0, made.output
    with _raw(database_url) as conn:  # the head as it stood at the anchor, for a replay
        built.head_then = dict(conn.execute(select(_table(conn, "audit_head"))).one()._mapping)
    store = Store(database_url, keys=TEST_KEYS)
    with store.transaction() as session:  # written after the anchor: a later acknowledgement
        amy = session.scalars(select(Person).where(Person.email == "amy@oak.example")).one()
        version = session.scalars(
            select(PolicyVersion).where(PolicyVersion.id == ids["policy_version"])
        ).one()
        late = Attestation(
            school_id="oak",
            person_id=amy.id,
            kind="acknowledgement",
            policy_version_id=version.id,
            document_sha256=version.sha256,
            statement="Read again.",
            at=NOW + timedelta(days=1),
            method="sso",
        )
        session.add(late)
        for i in range(3):
            audit.record(
                session,
                actor="dsl@oak.example",
                action="report.viewed",
                object_type="report",
                object_id=1,
                school_id="oak",
                details={"i": i},
            )
    store.dispose()
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
        saved = {
            n: [dict(r._mapping) for r in conn.execute(select(_table(conn, n)))] for n in tables
        }
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
    engine = _ENGINES.get(url)
    if engine is None:  # pooled: three connections a case at ~40 ms each on PostgreSQL
        engine = _ENGINES.setdefault(url, create_engine(url))
        if engine.dialect.name == "sqlite":  # the triggers' tag function, telling them nothing
            event.listen(
                engine,
                "connect",
                lambda dbapi, _record: dbapi.create_function("seal_tag", 0, lambda: None),
            )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn


_OUTSIDE = MetaData()


def _table(conn: Connection, name: str) -> Table:
    """A table as the bot's schema has it (the database is at the newest revision), in a
    schema of the tamperer's own: their writes are not the bot's, so the bot's rules for its
    own writes (a duty's status changed only with the dashboard's counts) do not stop them."""
    found = _OUTSIDE.tables.get(name)
    return found if found is not None else Base.metadata.tables[name].to_metadata(_OUTSIDE)


# --------------------------------------------------------------------------- the cases

TABLES = {
    "report": "reports",
    "report_entry": "report_entries",
    "report_attachment": "report_attachments",
    "attestation": "attestations",
    "signature": "attestations",
    "training_record": "training_records",
    "decision": "decisions",
    "decision_review": "decision_reviews",
    "decision_attachment": "decision_attachments",
    "policy_version": "policy_versions",
    "policy_review": "policy_reviews",
    "task_completion": "task_completions",
}
EDITS: dict[str, tuple[str, Any, str]] = {  # kind: (column, new value, expected words)
    "report": (
        "what_happened",
        "Nothing happened.",
        f"Report {REF} was changed after it was recorded (what happened)",
    ),
    "report_entry": (
        "text",
        "Did nothing.",
        f"A chronology entry (action) on report {REF} was changed after it was recorded (text)",
    ),
    "report_attachment": (
        "sha256",
        "b" * 64,
        f"A file attached to report {REF} was changed after it was recorded (file fingerprint)",
    ),
    "attestation": (
        "statement",
        "I did not read it.",
        "Acknowledgement by amy@oak.example for "
        "Online Safety version 2026.1 was changed after it was recorded (statement)",
    ),
    "signature": (
        "typed_name",
        "Someone Else",
        "AUP signature by amy@oak.example for Social "
        "Media AUP version 2026.1 was changed after it was recorded (typed name)",
    ),
    "training_record": (
        "completed_on",
        date(2026, 10, 1),
        "Training record of amy@oak.example "
        "(Safeguarding) was changed after it was recorded (completed on)",
    ),
    "decision": ("reasons", "None.", "was changed after it was recorded (reasons)"),
    "decision_review": ("notes", "Changed.", "A review of decision #"),
    "decision_attachment": ("sha256", "c" * 64, "A file kept with decision #"),
    "policy_version": (
        "statement",
        "Nothing to agree.",
        "Version 2026.1 of Online Safety was changed after it was recorded",
    ),
    "policy_review": (
        "minute_ref",
        "none",
        "The review of Online Safety on 2026-10-15 was changed after it was recorded (minute ref)",
    ),
    "task_completion": (
        "method",
        "link",
        "Task completion by dsl@oak.example for Change the "
        "school phone's lock code (2026) was changed after it was recorded",
    ),
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


# ---- what someone without the key can do to the log itself

GUESS = Keyring.from_secrets("a-secret-someone-guessed-0123456789-abc")


def _legacy_link(
    prev: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    kind: str,
    object_id: str | None,
    details: dict[str, Any],
) -> str:
    """A link made the way the log was made before it was keyed (plain SHA-256): anyone can."""
    body = json.dumps(
        {
            "prev": prev,
            "seq": seq,
            "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "actor": actor,
            "action": action,
            "type": kind,
            "id": object_id,
            "school": "oak",
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _append_unkeyed(
    conn: Connection,
    links: list[tuple[str, str, str | None, dict[str, Any]]],
    *,
    from_scratch: bool = False,
) -> None:
    """Append events with unkeyed links (and a head to match), as the old recipe made them."""
    events, head = _table(conn, "audit_events"), _table(conn, "audit_head")
    if from_scratch:
        conn.execute(events.delete())
        conn.execute(head.delete())
        conn.execute(insert(head).values(id=1, last_hash=audit.GENESIS, count=0))
    count, prev = conn.execute(select(head.c.count, head.c.last_hash)).one()
    at = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    for action, kind, object_id, details in links:
        count += 1
        digest = _legacy_link(prev, count, at, "system:seal", action, kind, object_id, details)
        conn.execute(
            insert(events).values(
                seq=count,
                school_id="oak",
                at=at,
                actor="system:seal",
                action=action,
                object_type=kind,
                object_id=object_id,
                details=details,
                prev_hash=prev,
                hash=digest,
                key_id=None,
            )
        )
        prev = digest
    conn.execute(head.update().values(count=count, last_hash=prev, key_id=None, mac=None))


def _seal_link(
    conn: Connection, kind: str, table_name: str, row_id: int
) -> tuple[str, str, str | None, dict[str, Any]]:
    """A seal for a stored row made with the project's public functions, without the key."""
    table = _table(conn, table_name)
    row = dict(conn.execute(select(table).where(table.c.id == row_id)).one()._mapping)
    details = {
        "row": row_digest(row, row.keys(), None),
        "fields": field_digests(row, None),
        "ident": {},
    }
    return (SEALED, kind, str(row_id), details)


def _forge_and_seal_unkeyed(kind: str) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        _forge(kind)(built, conn)
        _append_unkeyed(
            conn,
            [
                _seal_link(
                    conn,
                    kind if kind != "signature" else "attestation",
                    TABLES[kind],
                    1000 + built.ids[kind],
                )
            ],
        )

    return run


def _edit_and_reseal_unkeyed(built: Built, conn: Connection) -> None:
    _edit("report", "what_happened", "Nothing happened.")(built, conn)
    _append_unkeyed(conn, [_seal_link(conn, "report", "reports", built.ids["report"])])


def _rebuild_unkeyed(built: Built, conn: Connection) -> None:
    """Edit a report, then rebuild the whole log with valid unkeyed links and fresh seals."""
    _edit("report", "what_happened", "Nothing happened.")(built, conn)
    links = []
    for kind in KINDS:
        for (row_id,) in conn.execute(select(kind.table.c.id)):
            links.append(_seal_link(conn, kind.name, kind.table.name, row_id))
    _append_unkeyed(conn, links, from_scratch=True)


def _with_guessed_key(forge: bool) -> Callable[[Built, Connection], None]:
    """The bot's own functions with a key someone made up: forge an acknowledgement (sealed
    at commit), or empty the log and rebuild it with fresh seals."""

    def run(built: Built, conn: Connection) -> None:
        store = Store(built.url, keys=GUESS)
        with store.transaction() as session:
            if forge:
                adopt_key(session)
                row = session.get(Attestation, built.ids["attestation"])
                assert row is not None
                session.add(
                    Attestation(
                        school_id="oak",
                        person_id=row.person_id,
                        kind=row.kind,
                        policy_version_id=row.policy_version_id,
                        document_sha256=row.document_sha256,
                        statement=row.statement,
                        at=row.at,
                        method="sso",
                    )
                )
            else:
                session.execute(text("DELETE FROM audit_events"))
                session.execute(
                    update(AuditHead).values(
                        count=0, last_hash=audit.GENESIS, key_id=None, mac=None
                    )
                )
                seal_existing(session)
                seal_all(session, "system:upgrade")
        store.dispose()

    return run


def _replay_anchor_head(built: Built, conn: Connection) -> None:
    """Cut the log back to where the kept anchor saw it, and put back the head as it was then
    (a copy someone kept): the chain and the anchor agree, the records written since do not."""
    events, head = _table(conn, "audit_events"), _table(conn, "audit_head")
    conn.execute(events.delete().where(events.c.seq > built.head_then["count"]))
    conn.execute(head.update().values(built.head_then))


def _key_id_changed(built: Built, conn: Connection) -> None:
    events = _table(conn, "audit_events")
    top = conn.execute(select(func.max(events.c.seq))).scalar_one()
    conn.execute(events.update().where(events.c.seq == top - 5).values(key_id="0123456789ab"))


# ---- the files the records name


def _file_of(built: Built, conn: Connection, table_name: str, area: str) -> Path:
    table = _table(conn, table_name)
    stored = conn.execute(select(table.c.stored_as).order_by(table.c.id).limit(1)).scalar_one()
    return built.uploads / area / "oak" / stored


def _replace_file(table_name: str, area: str) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        _file_of(built, conn, table_name, area).write_bytes(b"%PDF-1.4 something else")

    return run


def _delete_file(table_name: str, area: str) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        _file_of(built, conn, table_name, area).unlink()

    return run


def _delete_certificate(built: Built, conn: Connection) -> None:
    for path in (built.uploads / "certificates").rglob("*.pdf"):
        path.unlink()


def _set(table_name: str, ident: str, **values: Any) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        table = _table(conn, table_name)
        conn.execute(table.update().where(table.c.id == built.ids[ident]).values(values))

    return run


def _remove(table_name: str, ident: str) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        table = _table(conn, table_name)
        conn.execute(table.delete().where(table.c.id == built.ids[ident]))

    return run


def _copy(table_name: str, ident: str, **changes: Any) -> Callable[[Built, Connection], None]:
    def run(built: Built, conn: Connection) -> None:
        table = _table(conn, table_name)
        row = dict(conn.execute(select(table).where(table.c.id == built.ids[ident])).one()._mapping)
        conn.execute(insert(table).values({**row, "id": 5000 + row["id"], **changes}))

    return run


def _settings_rewritten(built: Built, conn: Connection) -> None:
    """A settings version's text and its own fingerprint changed to agree with each other."""
    table = _table(conn, "config_versions")
    document = conn.execute(
        select(table.c.document).where(table.c.id == built.ids["config_version"])
    ).scalar_one()
    changed = document.replace("dsl@oak.example", "someone@elsewhere.example")
    conn.execute(
        table.update()
        .where(table.c.id == built.ids["config_version"])
        .values(document=changed, sha256=hashlib.sha256(changed.encode()).hexdigest())
    )


Tamper = Callable[[Built, Connection], None]
AUDIT = ("audit_events", "audit_head", "seal_queue")
FILES = ("<files>",)  # the uploads folder is put back
CASES: list[tuple[str, Tamper, str, bool, tuple[str, ...]]] = []
for _kind, (_col, _value, _words) in EDITS.items():
    _t = (TABLES[_kind],)
    CASES.append((f"edit {_kind}", _edit(_kind, _col, _value), _words, False, _t))
    CASES.append((f"delete {_kind}", _delete(_kind), "is missing: it was deleted", False, _t))
    CASES.append((f"forge {_kind}", _forge(_kind), "is not in the audit log", False, _t))
UNSIGNED = "is not signed with the audit key, though entries before it are"
NOT_HELD = "which this installation does not hold"
CASES += [
    (
        "flip about_headteacher",
        _edit("report", "about_headteacher", True),
        f"Report {REF} was changed after it was recorded (about the headteacher)",
        False,
        ("reports",),
    ),
    (
        "edit outcome",
        _edit("report", "outcome", "Nothing to see."),
        f"Report {REF} was changed after it was recorded (outcome)",
        False,
        ("reports",),
    ),
    (
        "delete last 50 events, head updated",
        _truncate(True),
        "most likely to hide entries removed from the end",
        False,
        AUDIT,
    ),
    (
        "delete last 50 events, head left",
        _truncate(False),
        "the last entries were removed",
        False,
        AUDIT,
    ),
    ("delete every audit row", _empty, "is not in the audit log", False, AUDIT),
    (
        "delete last 50 events, head updated, checked with the anchor",
        _truncate(True),
        "most likely to hide entries removed from the end",
        True,
        AUDIT,
    ),
    # forged records with forged seals, made without the key
    (
        "forged acknowledgement + seal by hand (unkeyed)",
        _forge_and_seal_unkeyed("attestation"),
        UNSIGNED,
        False,
        ("attestations", *AUDIT),
    ),
    (
        "forged report + seal by hand (unkeyed)",
        _forge_and_seal_unkeyed("report"),
        UNSIGNED,
        False,
        ("reports", *AUDIT),
    ),
    (
        "forged training record + seal by hand (unkeyed)",
        _forge_and_seal_unkeyed("training_record"),
        UNSIGNED,
        False,
        ("training_records", *AUDIT),
    ),
    (
        "edited report + new seal by hand (unkeyed)",
        _edit_and_reseal_unkeyed,
        UNSIGNED,
        False,
        ("reports", *AUDIT),
    ),
    (
        "forged acknowledgement through the bot's functions with a guessed key",
        _with_guessed_key(True),
        NOT_HELD,
        False,
        ("attestations", *AUDIT),
    ),
    (
        "edited report, whole log rebuilt unkeyed with fresh seals",
        _rebuild_unkeyed,
        "No entry of the audit log is signed with the audit key",
        False,
        ("reports", *AUDIT),
    ),
    (
        "edited report, whole log rebuilt unkeyed, checked with the anchor",
        _rebuild_unkeyed,
        "No entry of the audit log is signed with the audit key",
        True,
        ("reports", *AUDIT),
    ),
    (
        "whole log rebuilt through the bot's functions with a guessed key",
        _with_guessed_key(False),
        "Audit log entry #1 was made with the audit key",
        False,
        AUDIT,
    ),
    ("an entry's key id changed", _key_id_changed, "was made with another audit key", False, AUDIT),
    (
        "anchor replay: log cut back to the anchor, the head then put back",
        _replay_anchor_head,
        "Acknowledgement by amy@oak.example for Online Safety version 2026.1 is not in the "
        "audit log",
        True,
        AUDIT,
    ),
    # files on disk and stored documents
    (
        "report file replaced",
        _replace_file("report_attachments", "reports"),
        f"The file scan.pdf attached to report {REF} was changed or replaced on disk",
        False,
        FILES,
    ),
    (
        "report file deleted",
        _delete_file("report_attachments", "reports"),
        f"The file scan.pdf attached to report {REF} is missing from the uploads folder",
        False,
        FILES,
    ),
    (
        "decision file replaced",
        _replace_file("decision_attachments", "decisions"),
        "The file agreement.pdf kept with decision #1 was changed or replaced on disk",
        False,
        FILES,
    ),
    (
        "decision file deleted",
        _delete_file("decision_attachments", "decisions"),
        "The file agreement.pdf kept with decision #1 is missing",
        False,
        FILES,
    ),
    (
        "training certificate deleted",
        _delete_certificate,
        "The certificate of amy@oak.example's Safeguarding training is missing",
        False,
        FILES,
    ),
    (
        "policy document bytes changed",
        _set("policy_versions", "policy_version", document=b"%PDF-1.4 other"),
        "The stored document of Online Safety version 2026.1 does not match its fingerprint",
        False,
        ("policy_versions",),
    ),
    # the newly sealed tables
    (
        "settings version changed",
        _set("config_versions", "config_version", note="Nothing."),
        "Settings version #{config_version} was changed after it was recorded (note)",
        False,
        ("config_versions",),
    ),
    (
        "settings version text and fingerprint rewritten together",
        _settings_rewritten,
        "Settings version #{config_version} was changed after it was recorded",
        False,
        ("config_versions",),
    ),
    (
        "settings version text changed (its own fingerprint)",
        _set("config_versions", "config_version", document="organisation: {}"),
        "Settings version #{config_version} does not match its own fingerprint",
        False,
        ("config_versions",),
    ),
    (
        "settings version deleted",
        _remove("config_versions", "config_version"),
        "Settings version #{config_version} is missing",
        False,
        ("config_versions",),
    ),
    (
        "a person's email changed",
        _set("people", "person", email="amy@elsewhere.example"),
        "The record of person #{person} (amy@elsewhere.example now) was changed after it was "
        "recorded",
        False,
        ("people",),
    ),
    (
        "a person made inactive",
        _set("people", "person", active=False),
        "The record of person #{person} (amy@oak.example now) was changed",
        False,
        ("people",),
    ),
    (
        "a person added",
        _copy("people", "person", email="new@oak.example"),
        "(new@oak.example now) is not in the audit log",
        False,
        ("people",),
    ),
    (
        "a role changed",
        _set("person_roles", "person_role", role="dsl"),
        "The role dsl of amy@oak.example was changed after it was recorded",
        False,
        ("person_roles",),
    ),
    (
        "a role added",
        _copy("person_roles", "person_role", role="headteacher"),
        "The role headteacher of amy@oak.example is not in the audit log",
        False,
        ("person_roles",),
    ),
    (
        "a role removed",
        _remove("person_roles", "person_role"),
        "The role staff of amy@oak.example is missing",
        False,
        ("person_roles",),
    ),
    (
        "a requirement deactivated",
        _set("requirements", "requirement", active=False),
        'The requirement "Change the school phone\'s lock code" was changed after it was '
        "recorded (active)",
        False,
        ("requirements",),
    ),
    (
        "a report clock's deadline moved",
        _set("report_clocks", "report_clock", due_at=datetime(2027, 1, 1, 17, 0, tzinfo=UTC)),
        f"deadline of report {REF} was changed after it was recorded (due at)",
        False,
        ("report_clocks",),
    ),
    (
        "a report clock stopped",
        _set("report_clocks", "report_clock", stopped_at=datetime(2026, 11, 3, 11, 0, tzinfo=UTC)),
        f"deadline of report {REF} was changed after it was recorded (stopped at)",
        False,
        ("report_clocks",),
    ),
    (
        "a duty marked done",
        _set(
            "duties", "open_duty", status="done", closed_on=date(2026, 11, 4), closed_reason="done"
        ),
        "The duty of amy@oak.example for Change the school phone's lock code (2026) is not in "
        "the audit log",
        False,
        ("duties",),
    ),
    (
        "a done duty reopened",
        _set("duties", "done_duty", status="open", closed_on=None),
        "The duty of dsl@oak.example for Change the school phone's lock code (2026) was "
        "changed after it was recorded",
        False,
        ("duties",),
    ),
    (
        "a done duty deleted",
        _remove("duties", "done_duty"),
        "The duty of dsl@oak.example for Change the school phone's lock code (2026) is missing",
        False,
        ("duties",),
    ),
    (
        "a sent message's recipients edited",
        _set("outbox", "sent_message", recipients=["someone@elsewhere.example"]),
        "Outgoing message #{sent_message} (|) was changed after it was recorded",
        False,
        ("outbox",),
    ),
    (
        "a sent message's time moved",
        _set("outbox", "sent_message", sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        "Outgoing message #{sent_message} (|) was changed after it was recorded",
        False,
        ("outbox",),
    ),
    (
        "a sent message deleted",
        _remove("outbox", "sent_message"),
        "Outgoing message #{sent_message} (|) is missing",
        False,
        ("outbox",),
    ),
    # what steers a queued message: checked against the seal it was queued with
    (
        "a queued message's recipients changed",
        _set("outbox", "queued_message", recipients=["someone@elsewhere.example"]),
        "Queued message #{queued_message} (reminder) was changed after it was queued: recipients",
        False,
        ("outbox",),
    ),
    (
        "a queued message's copies changed",
        _set("outbox", "queued_message", cc=["someone@elsewhere.example"]),
        "Queued message #{queued_message} (reminder) was changed after it was queued: recipients",
        False,
        ("outbox",),
    ),
    (
        "a queued message's body changed",
        _set("outbox", "queued_message", payload={"text": "Click here.", "html": ""}),
        "Queued message #{queued_message} (reminder) was changed after it was queued: subject or "
        "body",
        False,
        ("outbox",),
    ),
    (
        "a queued message's urgency changed",
        _set("outbox", "queued_message", urgency=0),
        "Queued message #{queued_message} (reminder) was changed after it was queued: urgency",
        False,
        ("outbox",),
    ),
    (
        "a queued message's seal removed",
        _set("outbox", "queued_message", seal=None),
        "Queued message #{queued_message} (reminder) has no seal this install made",
        False,
        ("outbox",),
    ),
    (
        "a queued message marked sent",
        _set(
            "outbox",
            "queued_message",
            status="sent",
            sent_at=datetime(2026, 11, 3, 12, 0, tzinfo=UTC),
        ),
        "Outgoing message #{queued_message} (reminder) is not in the audit log",
        False,
        ("outbox",),
    ),
]


def _detected(built: Built, words: str, output: str) -> bool:
    """Every part of ``words`` (split at '|'), filled in from the built school, is said."""
    said = " ".join(output.split())
    filled = words.replace(REF, built.reference).format(**built.ids)
    return all(part in said for part in filled.split("|"))


def _run_case(
    built: Built,
    runner: CliRunner,
    tamper: Tamper,
    with_anchor: bool,
    tables: tuple[str, ...],
    tmp_path: Path,
) -> Any:
    """One case on the base database (and files), everything put back afterwards."""
    kept = tmp_path / "uploads-kept"
    if FILES[0] in tables:
        shutil.copytree(built.uploads, kept)
    try:
        with _restoring(built, tuple(t for t in tables if t != FILES[0])) as url:
            with _raw(url) as conn:
                tamper(built, conn)
            args = ["audit", "verify"] + (["--anchor", str(built.anchor)] if with_anchor else [])
            with _env(built, url):
                return runner.invoke(app, args)
    finally:
        if kept.exists():
            shutil.rmtree(built.uploads)
            kept.rename(built.uploads)


@pytest.fixture(name="built", scope="module")
def built_fixture(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[Built]:
    """The school, built once per backend: every test puts back what it changes (the tamper
    cases their tables and files, the anchor test forges a copy of the anchor)."""
    folder = tmp_path_factory.mktemp("tamper")
    try:
        with isolated(folder):
            yield _build(SchoolBuilder(folder / "school"), module_database_url, folder)
    finally:
        engine = _ENGINES.pop(module_database_url, None)
        if engine is not None:
            engine.dispose()  # nobody connected when the database is dropped


def test_every_tampering_is_detected(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database_url = built.url
    runner = CliRunner()
    with _env(built, database_url):
        clean = runner.invoke(app, ["audit", "verify", "--anchor", str(built.anchor)])
    assert clean.exit_code == 0, clean.output
    said = " ".join(clean.output.split())
    assert "audit log intact" in said and "1 report," in said
    assert "1 training record" in said and "It matches the anchor file" in said
    assert "1 closed duty" in said and "sent messages" in said and "1 settings version" in said

    missed: list[str] = []
    for name, tamper, words, with_anchor, tables in CASES:
        result = _run_case(built, runner, tamper, with_anchor, tables, tmp_path)
        if result.exit_code != 1 or not _detected(built, words, result.output):
            missed.append(f"{name}: exit {result.exit_code}: {result.output}")
    with _env(built, database_url):  # everything put back: intact again
        again = runner.invoke(app, ["audit", "verify", "--anchor", str(built.anchor)])
    assert again.exit_code == 0, again.output
    tried = len(CASES)
    with capsys.disabled():
        print(
            f"\naudit tamper cases ({make_url(database_url).get_backend_name()}): "
            f"{tried} tried / {tried - len(missed)} detected"
        )
    assert not missed, "\n".join(missed)


def test_an_altered_anchor_file_is_refused(built: Built, tmp_path: Path) -> None:
    forged = built.anchor.read_text(encoding="utf-8").replace('"entries":', '"entries":1')
    anchor = tmp_path / "anchor.txt"
    anchor.write_text(forged, encoding="utf-8")
    with _env(built, built.url):
        result = CliRunner().invoke(app, ["audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 2
    assert "signature does not match" in " ".join(result.output.split())


def test_the_digest_email_carries_the_figure_verify_checks(built: Built) -> None:
    from bot.features.dashboard.digest import build_digest

    store = Store(built.url, keys=TEST_KEYS)
    with store.session() as session:
        digest = build_digest(
            session, school_config(built), date(2026, 11, 2), base_url="http://testserver"
        )
    store.dispose()
    assert digest.audit_head is not None
    figure = f"{digest.audit_head[0]}:{digest.audit_head[1]}"
    email = digest.email("head@oak.example")
    assert f"Audit log figure: {figure}" in email.text and figure in (email.html or "")
    with _env(built, built.url):
        ok = CliRunner().invoke(app, ["audit", "verify", "--fingerprint", figure])
        wrong = CliRunner().invoke(app, ["audit", "verify", "--fingerprint", f"3:{'0' * 64}"])
    assert ok.exit_code == 0, ok.output
    assert wrong.exit_code == 1 and "differs from the fingerprint given" in wrong.output


def school_config(built: Built) -> Any:
    """The test school's configuration, read as the bot reads it."""
    from bot.core.config import load_config

    return load_config(built.home / "school.yaml").school("oak")
