"""Chasing official-account handovers nobody has recorded: weekly to the custodian (or the
headteacher), then one "please talk to them" note to the headteacher (rules in ``rules``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import send_after
from bot.core.language.i18n import N_, Msg, nmsg
from bot.core.language.words import school_words
from bot.core.models import OfficialAccount, OutboxMessage
from bot.core.outbox import EmailDraft, Urgency, enqueue_email
from bot.core.rendering.messages import notice
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
    school: SchoolConfig, account: OfficialAccount, since: date, stage: ChaseStage, base_url: str
) -> EmailDraft:
    """The email for one chasing stage (a chase to the custodian, or the final note), in the
    school's language."""
    custodian = account.custodian if account.custodian and account.custodian.active else None
    head = school.headteacher
    title = Msg(school_words(school).headteacher)
    link = f"{base_url}/accounts/{account.id}"
    values = {
        "account": account.name,
        "what": f"{account.name} ({account.platform})",
        "link": link,
        "since": since,
        "head": title,
        "times": HANDOVER_CHASES,
        "days": HANDOVER_CHASE_EVERY_DAYS,
    }
    if stage.final:
        who = (
            custodian.display_name if custodian is not None else Msg(N_("the %(head)s"), head=title)
        )
        return notice(
            school=school,
            to=[head],
            cc=[custodian.email] if custodian is not None and custodian.email != head else [],
            subject=Msg(N_("Chasing has stopped: %(account)s still needs a handover"), **values),
            greeting=Msg(N_("Dear %(name)s,"), name=title),
            paragraphs=[
                account.handover_said(
                    N_(
                        "%(reason)s. The login of %(what)s has needed changing since %(since)s. "
                        "We asked %(who)s %(times)s times to change it and record the handover, "
                        "and nothing has been recorded."
                    ),
                    {**values, "who": who},
                ),
                Msg(
                    N_(
                        "Chasing has stopped: this needs a conversation. Please talk to them. The "
                        'account stays marked "handover needed" on the dashboard until someone '
                        "records the handover on the account's page (%(link)s)."
                    ),
                    **values,
                ),
            ],
            button_url=link,
            button_text=Msg(N_("Open the account")),
        )
    then = _then(HANDOVER_CHASES - stage.number, values, to_head=_chases_head(account, school))
    return notice(
        school=school,
        to=[custodian.email if custodian is not None else head],
        subject=Msg(N_("Official account handover needed: %(account)s"), **values),
        greeting=Msg(N_("Dear %(name)s,"), name=custodian.display_name) if custodian else None,
        paragraphs=[
            account.handover_said(
                N_(
                    "%(reason)s. Please change the password of %(what)s and its recovery "
                    "details (email, phone, two-step sign-in), check who else can sign in, then "
                    "record the handover on the account's page (%(link)s)."
                ),
                values,
            ),
            Msg(N_("The handover has been waiting since %(since)s. %(then)s"), **values, then=then),
        ],
        button_url=link,
        button_text=Msg(N_("Record the handover")),
        small=Msg(N_("You receive this as the account's custodian."))
        if custodian is not None
        else Msg(
            N_(
                "You receive this as the account's custodian, because the account has no "
                "custodian here."
            )
        ),
    )


def _chases_head(account: OfficialAccount, school: SchoolConfig) -> bool:
    """Whether the chase goes to the headteacher: as the custodian, or as there is none."""
    custodian = account.custodian if account.custodian and account.custodian.active else None
    return custodian is None or custodian.email == school.headteacher


def _then(left: int, values: dict[str, object], *, to_head: bool) -> Msg:
    """What follows the chase: the headteacher is asked to follow it up, unless the chase
    already goes to the headteacher (then the account just stays marked on the dashboard)."""
    if to_head:
        return (
            nmsg(
                "You will be reminded every %(days)s days (%(num)s more time); after that the "
                'account stays marked "handover needed" on the dashboard.',
                "You will be reminded every %(days)s days (%(num)s more times); after that the "
                'account stays marked "handover needed" on the dashboard.',
                left,
                **values,
            )
            if left
            else Msg(
                N_(
                    'This is the last reminder; the account stays marked "handover needed" on '
                    "the dashboard until the handover is recorded."
                )
            )
        )
    return (
        nmsg(
            "You will be reminded every %(days)s days (%(num)s more time); after that the "
            "%(head)s is asked to follow it up.",
            "You will be reminded every %(days)s days (%(num)s more times); after that the "
            "%(head)s is asked to follow it up.",
            left,
            **values,
        )
        if left
        else Msg(
            N_("This is the last reminder; next the %(head)s is asked to follow it up."), **values
        )
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
    if not school.is_sending_day(today):
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
        if stage.final and _chases_head(account, school):
            continue  # the head's own last chase said so: no "please talk to them" to themselves
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
