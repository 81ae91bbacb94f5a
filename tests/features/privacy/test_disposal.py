"""Disposal on time: a school's leavers, old visitors and old concerns leave no trace of their
personal data, people still employed keep everything, and ``audit verify`` stays intact."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import JSON, String, Text, inspect, select, text

from bot import wiring
from bot.core import audit
from bot.core.audit.check import check
from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.deployment.settings import RetentionSettings
from bot.core.models import (
    AuditEvent,
    Complaint,
    OutboxMessage,
    Person,
    Report,
    ReportAttachment,
    School,
    TrainingRecord,
    VisitorAssurance,
)
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.engine.maintenance import run_maintenance
from bot.features.visitors.service import purge_visitors
from tests.support.keys import TEST_KEYS

SCHOOL = SchoolConfig(id="s", name="Oakfield Primary School", headteacher="head@oakfield.example")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEFT = ("Siân ap Gwyn", "sian.apgwyn@oakfield.example")  # stored as "Si\u00e2n" in JSON
STAYS = ("Sam Stays", "sam.stays@oakfield.example")
VISITOR, VISITOR_EMAIL = "Victor Visitor", "victor@visitors.example"
COMPLAINANT = ("Carol Complainant", "carol@parents.example")
REPORTER = ("Rita Reporter", "rita.parent@example.com")


def _eml(name: str, email: str) -> bytes:
    """A message as the standard library writes it (a Welsh name: an encoded header and body)."""
    message = EmailMessage()
    message["To"] = Address(name, addr_spec=email)
    message["Subject"] = "Please acknowledge"
    message.set_content(f"Annwyl {name}", cte="base64")
    return bytes(message)


def _to_the_dsl(about: str) -> bytes:
    """A message naming someone only in its base64 body."""
    message = EmailMessage()
    message["To"] = "dsl@oakfield.example"
    message.set_content(f"A report from {about} – see the list.", cte="base64")
    return bytes(message)


def _seed(store: Store, outbox: Path) -> None:
    with store.transaction() as session:
        session.add(School(id="s", name=SCHOOL.name))
        people = {}
        for (name, email), left_on in ((LEFT, date(2019, 8, 31)), (STAYS, None)):
            people[email] = person = Person(
                school_id="s",
                email=email,
                display_name=name,
                given_name=name.split()[0],
                family_name=name.split()[1],
                active=left_on is None,
                left_on=left_on,
            )
            session.add(person)
            session.flush()
            session.add(
                TrainingRecord(
                    school_id="s",
                    person_id=person.id,
                    course="Safeguarding",
                    completed_on=date(2018, 9, 1),
                    provider=f"recorded for {name}",
                    import_key=f"t{person.id}",
                )
            )
            enqueue_email(
                session,
                school_id="s",
                key=f"remind:{email}",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                draft=EmailDraft(
                    to=(email,),
                    subject="Please acknowledge",
                    text=f"Dear {name}",
                    html=f"<p>Dear {name}</p>",
                ),
            )
            audit.record(
                session, actor=email, action="policy.read", object_type="policy", school_id="s"
            )
            (outbox / f"{person.id}.eml").write_bytes(_eml(name, email))
        visitor = VisitorAssurance(
            school_id="s", name=VISITOR, visit_date=date(2024, 10, 1), rules_sha256="0" * 64
        )
        session.add(visitor)
        session.flush()
        enqueue_email(
            session,
            school_id="s",
            key=f"visit-copy:s:{visitor.id}",
            purpose="visitor_copy",
            urgency=Urgency.ROUTINE,
            draft=EmailDraft(
                to=(VISITOR_EMAIL,), subject="Your visit", text=f"Dear {VISITOR}", html="<p>Hi</p>"
            ),
        )
        copy = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "visitor_copy")
        ).one()
        copy.status, copy.sent_at = "sent", datetime(2024, 10, 1, 10, tzinfo=UTC)
        copy.provider_id = "visit-copy_s_1.eml"  # as the .eml mailer names its files
        sent = outbox / copy.provider_id
        sent.write_bytes(_eml(VISITOR, VISITOR_EMAIL))
        os.utime(sent, (datetime(2024, 10, 1, tzinfo=UTC).timestamp(),) * 2)
        session.add(
            Complaint(
                school_id="s",
                reference="DP-2019-1",
                received_at=datetime(2019, 1, 7, tzinfo=UTC),
                channel="form",
                name=COMPLAINANT[0],
                email=COMPLAINANT[1],
                relationship="parent",
                text="You kept my data",
                ack_due_on=date(2019, 2, 6),
                outcome_due_on=date(2019, 3, 6),
                outcome_at=datetime(2019, 2, 20, tzinfo=UTC),
                outcome="Upheld",
                recorded_by=STAYS[1],
            )
        )
        (outbox / "report.eml").write_bytes(_to_the_dsl(REPORTER[0]))
        report = Report(
            school_id="s",
            reference="CR-2000-AAAAA",
            category="filtering",
            urgency="routine",
            status="closed",
            what_happened="A blocked site was reached",
            reporter_name=REPORTER[0],
            reporter_email=REPORTER[1],
            created_at=datetime(2018, 3, 1, tzinfo=UTC),
            closed_at=datetime(2018, 4, 1, tzinfo=UTC),
        )
        session.add(report)
        session.flush()
        upload = outbox.parent / "uploads" / "reports" / "s" / "a1b2.jpg"
        upload.parent.mkdir(parents=True)
        upload.write_bytes(b"a photo of the screen")
        os.utime(upload, (datetime(2018, 3, 1, tzinfo=UTC).timestamp(),) * 2)
        session.add(
            ReportAttachment(
                school_id="s",
                report_id=report.id,
                filename="screen.jpg",
                content_type="image/jpeg",
                size=21,
                sha256="0" * 64,
                stored_as="a1b2.jpg",
            )
        )


def _found(store: Store, outbox: Path, needles: tuple[str, ...]) -> list[str]:
    """Every place (table.column, or file) holding one of ``needles``, in any case."""
    found = []
    with store.session() as session:
        connection = session.connection()
        for table in inspect(connection).get_table_names():
            for column in inspect(connection).get_columns(table):
                if not isinstance(column["type"], (String, Text, JSON)):
                    continue
                name = column["name"]
                cast = "TEXT" if connection.dialect.name == "sqlite" else "text"
                for needle in {f for n in needles for f in (n, json.dumps(n)[1:-1])}:
                    hit = connection.execute(
                        text(
                            f'SELECT 1 FROM "{table}" WHERE lower(CAST("{name}" AS {cast})) LIKE :n'
                        ),
                        {"n": f"%{needle.lower()}%"},
                    ).first()
                    if hit:
                        found.append(f"{table}.{name}: {needle}")
    for path in outbox.rglob("*"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = (str(message.values()) + message.get_content()).lower()
        found += [f"{path.name}: {n}" for n in needles if n.lower() in body]
    return found


def test_a_leaver_old_visitors_and_old_concerns_leave_no_trace(
    database_url: str, tmp_path: Path
) -> None:
    wiring.install()
    store = Store(database_url, keys=TEST_KEYS)
    store.upgrade()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    _seed(store, outbox)
    gone = (*LEFT, VISITOR, VISITOR_EMAIL, *REPORTER, *COMPLAINANT)
    assert len(_found(store, outbox, gone)) > 5

    with store.transaction() as session:  # the sweep deletes visitors first, their copies too
        assert purge_visitors(session, SCHOOL, NOW.date(), write=True) == 1
    uploads = tmp_path / "uploads"
    certificate = uploads / "certificates" / "s" / "sam.pdf"  # still employed: it stays
    certificate.parent.mkdir(parents=True)
    certificate.write_bytes(b"%PDF-1.4")
    os.utime(certificate, (datetime(2019, 1, 1, tzinfo=UTC).timestamp(),) * 2)
    with store.transaction() as session:
        record = session.scalars(
            select(TrainingRecord).where(TrainingRecord.provider.contains("Sam"))
        )
        record.one().certificate_path = "certificates/s/sam.pdf"
    kept = run_maintenance(store, RetentionSettings(), [SCHOOL], NOW, outbox, uploads)

    assert _found(store, outbox, gone) == [] and not (uploads / "reports/s/a1b2.jpg").exists()
    assert (
        kept.disposed == 2 and kept.files == 2 and certificate.exists()
    )  # a person and a report; the rest by kind
    stays = _found(store, outbox, STAYS)
    assert {"people.email: " + STAYS[1], "outbox.recipients: " + STAYS[1]} <= set(stays)
    assert f"audit_events.actor: {STAYS[1]}" in stays and any(".eml" in s for s in stays)
    with store.session() as session:
        assert session.scalar(select(TrainingRecord).where(TrainingRecord.provider.contains("Sam")))
        assert session.scalar(select(Report.id)) is None
        verdict = check(session)
        assert verdict.ok, verdict.problems
        assert verdict.disposed == {"people": 1, "reports": 1, "audit_events": 1}
        disposed = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "retention.disposed")
        ).one()
    assert disposed["people"] == 1 and disposed["reports"] == 1
    assert disposed["deleted"] == {
        "complaints": 1,
        "report_attachments": 1,
        "reports": 1,
        "training_records": 1,
    }
    again = run_maintenance(store, RetentionSettings(), [SCHOOL], NOW, outbox)
    assert again.disposed == 0
