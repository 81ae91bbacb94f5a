"""Maintenance: delivered messages keep their evidence and lose their bodies; logs are pruned."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.core.models import AuditEvent, MailSend, OutboxMessage, School, SweepRun, utcnow
from bot.core.outbox import EmailDraft, enqueue_email
from bot.core.settings import RetentionSettings
from bot.core.store import Store
from bot.engine.maintenance import body_sha256, run_maintenance


def test_retention_drops_old_bodies_keeps_evidence_and_prunes_logs(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    now = utcnow()
    with store.transaction() as session:
        session.add_all([School(id="oak", name="Oakfield"), School(id="elm", name="Elmwood")])
        session.flush()
        for key in ("old-sent", "new-sent", "old-failed", "waiting"):
            enqueue_email(session, school_id="oak", key=key, purpose="reminder", draft=EmailDraft(
                to=("ben.teacher@oakfield.example",), cc=("head@oakfield.example",),
                subject="Please acknowledge: Online Safety Policy", text="Dear Ben " * 200,
                html="<p>Dear Ben</p>" * 200))
        rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
        for key, status, age in (("old-sent", "sent", 40), ("new-sent", "sent", 5),
                                 ("old-failed", "failed", 40)):
            rows[key].status, rows[key].sent_at = status, now - timedelta(days=age)
            rows[key].provider_id = f"<{key}@oakfield.example>"
        fingerprint = body_sha256(rows["old-sent"])
        for school, age in (("oak", 200), ("oak", 100), ("oak", 10), ("elm", 300)):
            session.add(SweepRun(school_id=school, as_of=date(2026, 1, 1),
                                 started_at=now - timedelta(days=age)))
        session.add(MailSend(mailbox="bot@oakfield.example", at=now - timedelta(days=3),
                             recipients=2, done=True))

    kept = run_maintenance(store, RetentionSettings(), [], now)

    assert (kept.bodies, kept.sweep_runs, kept.pacing_rows) == (1, 2, 1)
    with store.session() as session:
        rows = {r.idempotency_key: r for r in session.scalars(select(OutboxMessage))}
        old = rows["old-sent"]
        assert old.payload == {} and old.body_dropped_at == now
        assert old.body_sha256 == fingerprint  # the evidence: who, what, when, id, hash
        assert old.recipients == ["ben.teacher@oakfield.example"]
        assert old.cc == ["head@oakfield.example"]
        assert old.subject.startswith("Please acknowledge")
        assert old.provider_id == "<old-sent@oakfield.example>" and old.sent_at is not None
        for key in ("new-sent", "old-failed", "waiting"):  # too recent, or a person may resend
            assert rows[key].payload["text"].startswith("Dear Ben")
            assert rows[key].body_dropped_at is None
        ages = sorted((r.school_id, (now - r.started_at).days)
                      for r in session.scalars(select(SweepRun)))
        assert ages == [("elm", 300), ("oak", 10)]  # each school's newest run stays
        actions = [e.action for e in session.scalars(select(AuditEvent))]
        assert actions.count("outbox.bodies_dropped") == 1
        assert actions.count("sweep_runs.purged") == 1
        details = [e.details for e in session.scalars(select(AuditEvent))]
        assert all("Ben" not in str(d) for d in details)  # counts only, never content
    again = run_maintenance(store, RetentionSettings(), [], now)
    assert (again.bodies, again.sweep_runs, again.pacing_rows) == (0, 0, 0)
    store.dispose()
