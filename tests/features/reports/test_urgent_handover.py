"""The request that stored a report hands its urgent mail to the platform at once, and only
that: the digest backlog queued before it is the dispatcher's, and goes after it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.models import OutboxMessage, utcnow
from bot.core.outbox import EmailDraft, Urgency, dispatch, enqueue_emails
from tests.features.reports.test_support import REF, Env, make_env
from tests.support.helpers import SchoolBuilder


def _queue_digests(env: Env, count: int) -> None:
    with env.context.store.transaction() as session:
        enqueue_emails(
            session,
            school_id="oak",
            purpose="digest",
            urgency=Urgency.ROUTINE,
            not_before=utcnow() - timedelta(minutes=5),
            items=[
                (f"digest:{i}", EmailDraft((f"p{i}@oak.example",), "Your week", "t", "h"))
                for i in range(count)
            ],
        )


def _rows(env: Env) -> list[tuple[str, str, int]]:
    with env.context.store.session() as session:
        return [
            tuple(row)
            for row in session.execute(  # type: ignore[misc]
                select(OutboxMessage.purpose, OutboxMessage.status, OutboxMessage.urgency).order_by(
                    OutboxMessage.id
                )
            )
        ]


def test_a_report_post_hands_over_its_alert_and_receipt_and_never_the_backlog(
    school: SchoolBuilder,
) -> None:
    env = make_env(school)
    _queue_digests(env, 30)
    client = env.client()
    response = env.submit(client, "/report/oak", reporter_email="pat@home.example")
    assert response.status_code == 200 and "Report received" in response.text
    assert REF.findall(response.text)
    rows = _rows(env)
    alerts = [r for r in rows if r[0] == "report_alert"]
    receipts = [r for r in rows if r[0] == "report_receipt"]
    assert alerts and all(
        status == "sent" and urgency == Urgency.SAFEGUARDING for _, status, urgency in alerts
    )
    assert receipts and all(
        status == "sent" and urgency == Urgency.WAITING for _, status, urgency in receipts
    )
    digests = [r for r in rows if r[0] == "digest"]
    assert len(digests) == 30 and {status for _, status, _ in digests} == {"pending"}
    # the dispatcher sends the backlog afterwards, as before
    stats = dispatch(env.context.store, env.context.connectors.mailer, None)
    assert stats.sent == 30
    env.context.store.dispose()
