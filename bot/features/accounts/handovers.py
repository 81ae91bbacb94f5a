"""Chasing official-account handovers nobody has recorded: weekly to the custodian (or the
headteacher), then one "please talk to them" note to the headteacher (rules in ``rules``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import send_after
from bot.core.config import SchoolConfig
from bot.core.messages import human_date, notice
from bot.core.models import OfficialAccount, OutboxMessage
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.words import school_words
from bot.features.accounts.rules import (
    HANDOVER_CHASE_EVERY_DAYS,
    HANDOVER_CHASES,
    HANDOVER_KEY_PREFIX,
    ChaseStage,
    handover_key,
    handover_stage,
    stage_number,
)

__all__ = ["chase_handovers"]


def _sent_stages(session: Session, school_id: str) -> dict[tuple[int, str], int]:
    """The highest chasing stage already queued per (account, flagged-on day)."""
    sent: dict[tuple[int, str], int] = {}
    prefix = f"{HANDOVER_KEY_PREFIX}:{school_id}:"
    for (key,) in session.execute(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"{prefix}%")
        )
    ):
        try:
            account_id, since, label = key[len(prefix) :].split(":", 2)
            slot = (int(account_id), since)
            number = stage_number(label)
        except ValueError:
            continue
        sent[slot] = max(sent.get(slot, 0), number)
    return sent


def _chase_draft(
    school: SchoolConfig,
    account: OfficialAccount,
    since: date,
    stage: ChaseStage,
    base_url: str,
) -> EmailDraft:
    """The email for one chasing stage (a chase to the custodian, or the final note)."""
    custodian = account.custodian if account.custodian and account.custodian.active else None
    head = school.headteacher
    title = school_words(school).headteacher
    link = f"{base_url}/accounts/{account.id}"
    reason = (account.handover_reason or "A holder no longer runs this account").rstrip(".")
    what = f"{account.name} ({account.platform})"
    if stage.final:
        who = custodian.display_name if custodian is not None else f"the {title}"
        return notice(
            school=school,
            to=[head],
            cc=[custodian.email] if custodian is not None and custodian.email != head else [],
            subject=f"Chasing has stopped: {account.name} still needs a handover",
            greeting=f"Dear {title},",
            paragraphs=[
                f"{reason}. The login of {what} has needed changing since "
                f"{human_date(since)}. We asked {who} {HANDOVER_CHASES} times to change it "
                "and record the handover, and nothing has been recorded.",
                "Chasing has stopped: this needs a conversation. Please talk to them. The "
                "account stays marked \"handover needed\" on the dashboard until someone "
                f"records the handover on the account's page ({link}).",
            ],
            button_url=link,
            button_text="Open the account",
        )
    to = custodian.email if custodian is not None else head
    left = HANDOVER_CHASES - stage.number
    then = (
        f"You will be reminded every {HANDOVER_CHASE_EVERY_DAYS} days "
        f"({left} more time{'s' if left != 1 else ''}); after that the {title} is asked "
        "to follow it up."
        if left
        else f"This is the last reminder; next the {title} is asked to follow it up."
    )
    return notice(
        school=school,
        to=[to],
        subject=f"Official account handover needed: {account.name}",
        greeting=f"Dear {custodian.display_name}," if custodian is not None else None,
        paragraphs=[
            f"{reason}. Please change the password of {what} and its recovery details (email, "
            "phone, two-step sign-in), check who else can sign in, then record the handover "
            f"on the account's page ({link}).",
            f"The handover has been waiting since {human_date(since)}. {then}",
        ],
        button_url=link,
        button_text="Record the handover",
        small="You receive this as the account's custodian"
        + ("." if custodian is not None else ", because the account has no custodian here."),
    )


def chase_handovers(
    session: Session,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    write: bool,
    base_url: str,
) -> dict[str, int]:
    """Queue today's handover chases and final notes; returns counts for the sweep summary."""
    counts = {"handover_chases": 0, "handover_chasing_stopped": 0}
    if school.sending_window.school_days_only and not school.is_school_day(today):
        return counts
    accounts = session.scalars(
        select(OfficialAccount)
        .where(OfficialAccount.school_id == school.id, OfficialAccount.handover_needed.is_(True))
        .order_by(OfficialAccount.id)
    ).all()
    if not accounts:
        return counts
    sent = _sent_stages(session, school.id)
    not_before = send_after(school, today, now)
    for account in accounts:
        if account.handover_since is None:  # flagged before handovers were dated
            account.handover_since = today
        since = account.handover_since
        stage = handover_stage(since, today)
        if stage is None or stage.number <= sent.get((account.id, since.isoformat()), 0):
            continue
        queued = not write or enqueue_email(
            session,
            school_id=school.id,
            key=handover_key(school.id, account.id, since, stage),
            purpose="handover_chase",
            urgency=Urgency.ROUTINE,
            draft=_chase_draft(school, account, since, stage, base_url),
            not_before=not_before,
        )
        if queued:
            counts["handover_chasing_stopped" if stage.final else "handover_chases"] += 1
    return counts
