"""A new concern, told to the DSL team in their chat within seconds: in Teams an activity-feed
notification and a card in each one's chat with the bot; in Google Chat a card in each one's
direct message with the school's Chat app. Urgency and reference only — never what was
reported, who is involved or who reported it — and an Open button to the report's page, where
reading it needs signing in (and is audited). Whoever the report is about is never told: the
recipients are exactly the email alert's (``reports.routing.alert_recipients``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.cards import new_card, text_block
from bot.core.i18n import Msg, say
from bot.core.models import Person, TeamsChat
from bot.core.outbox import Urgency, enqueue_chat_card
from bot.core.ports import GOOGLE_CHAT_SERVICE

__all__ = ["CONCERN_ACTIVITY", "concern_card", "google_concern_card", "queue_concern_alerts"]

CONCERN_ACTIVITY = "newConcern"  # declared in the app manifest's activities.activityTypes


def _said(school_name: str, reference: str, urgency: str) -> tuple[str, str, str]:
    """What both cards say, in the active language: the title, the urgency line and why the
    card says no more."""
    return (
        say("New report %(reference)s", reference=reference),
        say("%(urgency)s urgency · %(school)s", urgency=Msg(urgency), school=school_name),
        say(
            "To protect the people involved, this message does not say what was "
            "reported. Open it to read it (sign-in required)."
        ),
    )


def concern_card(school_name: str, reference: str, urgency: str, url: str) -> dict[str, Any]:
    """The chat card: the reference, the urgency and an Open button; nothing else (``urgency``
    as ``URGENCIES`` names it, the card in the active language)."""
    title, shown, private = _said(school_name, reference, urgency)
    color = "Attention" if urgency.lower() == "immediate" else "Default"
    return new_card(
        [
            text_block(title, size="Large", weight="Bolder", style="heading"),
            text_block(shown, color=color),
            text_block(private, isSubtle=True),
        ],
        actions=[{"type": "Action.OpenUrl", "title": say("Open"), "url": url}],
    )


def google_concern_card(school_name: str, reference: str, urgency: str, url: str) -> dict[str, Any]:
    """The same card as a Google Chat message (cards v2): the reference, the urgency and an
    Open button; nothing else (Chat has no activity feed: the message notifies them)."""
    title, shown, private = _said(school_name, reference, urgency)
    button = {"text": say("Open"), "onClick": {"openLink": {"url": url}}}
    widgets: list[dict[str, Any]] = [
        {"textParagraph": {"text": escape(shown, quote=False)}},
        {"textParagraph": {"text": escape(private, quote=False)}},
        {"buttonList": {"buttons": [button]}},
    ]
    card_id = "report-" + hashlib.sha256(reference.encode()).hexdigest()[:16]
    card = {"header": {"title": title}, "sections": [{"widgets": widgets}]}
    return {"fallbackText": title, "cardsV2": [{"cardId": card_id, "card": card}]}


def queue_concern_alerts(
    session: Session,
    school_id: str,
    school_name: str,
    recipients: Sequence[str],
    *,
    reference: str,
    urgency: str,
    url: str,
    now: datetime,
) -> None:
    """Queue the feed notification and the card for each recipient the bot reaches in Teams, or
    the card in their Google Chat DM (safeguarding urgency: ahead of everything else)."""
    wanted = {r.lower() for r in recipients}
    if not wanted:
        return
    rows = session.execute(
        select(Person, TeamsChat)
        .join(TeamsChat, TeamsChat.person_id == Person.id)
        .where(Person.school_id == school_id, Person.active.is_(True))
    ).all()
    title = say("New report %(reference)s", reference=reference)
    shown = say("%(urgency)s urgency", urgency=Msg(urgency))
    for person, chat in rows:
        if person.email.lower() not in wanted:
            continue
        if chat.service_url == GOOGLE_CHAT_SERVICE:  # their DM with the Google Chat app
            sends: tuple[tuple[str, dict[str, Any], dict[str, Any] | None], ...] = (
                ("chat", google_concern_card(school_name, reference, urgency, url), None),
            )
        else:  # the feed notification (no card), then the card in their chat
            feed = {
                "user_id": chat.user_id,
                "activity_type": CONCERN_ACTIVITY,
                # the feed's own text is the app manifest's template (English); the preview is ours
                "preview": f"{title}: {shown[:1].lower()}{shown[1:]}",
                "web_url": url,
                "template": {"reference": reference, "urgency": urgency.lower()},
            }
            card = concern_card(school_name, reference, urgency, url)
            sends = (("feed", {}, feed), ("chat", card, None))
        for kind, content, notification in sends:
            enqueue_chat_card(
                session,
                school_id=school_id,
                purpose="report_alert",
                urgency=Urgency.SAFEGUARDING,
                key=f"report-{kind}:{school_id}:{reference}:{person.id}",
                recipient=person.email,
                title=title,
                text=shown,
                chat_id=chat.chat_id,
                service_url=chat.service_url,
                card=content,
                feed=notification,
                not_before=now,
            )
