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

from sqlalchemy.orm import Session

from bot.core.language.i18n import Msg, say
from bot.core.models import chats_of
from bot.core.outbox import Urgency, enqueue_chat_card
from bot.core.ports import GOOGLE_CHAT_SERVICE
from bot.core.rendering.cards import new_card, text_block

__all__ = ["CONCERN_ACTIVITY", "alert_cards", "concern_cards", "queue_concern_alerts"]

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


def alert_cards(
    title: str,
    lines: Sequence[str],
    url: str,
    card_id: str,
    *,
    open_text: str,
    attention: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report's alert as an Adaptive Card and as a Google Chat message (cards v2): the title,
    ``lines`` (the first one in the attention colour when ``attention``, the rest subtle) and a
    button to ``url`` (``card_id``: Chat's name for the card; Chat has no activity feed: the
    message notifies them)."""
    first, *rest = lines
    body = [text_block(first, color="Attention" if attention else "Default")]
    teams = new_card(
        [text_block(title, size="Large", weight="Bolder", style="heading"), *body]
        + [text_block(line, isSubtle=True) for line in rest],
        actions=[{"type": "Action.OpenUrl", "title": open_text, "url": url}],
    )
    button = {"text": open_text, "onClick": {"openLink": {"url": url}}}
    widgets: list[dict[str, Any]] = [
        *({"textParagraph": {"text": escape(line, quote=False)}} for line in lines),
        {"buttonList": {"buttons": [button]}},
    ]
    card = {"header": {"title": title}, "sections": [{"widgets": widgets}]}
    return teams, {"fallbackText": title, "cardsV2": [{"cardId": card_id, "card": card}]}


def concern_cards(
    school_name: str, reference: str, urgency: str, url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chat cards (Teams, Google Chat): the reference, the urgency and an Open button;
    nothing else (``urgency`` as ``URGENCIES`` names it, the cards in the active language)."""
    title, shown, private = _said(school_name, reference, urgency)
    card_id = "report-" + hashlib.sha256(reference.encode()).hexdigest()[:16]
    return alert_cards(
        title,
        (shown, private),
        url,
        card_id,
        open_text=say("Open"),
        attention=urgency.lower() == "immediate",
    )


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
    title = say("New report %(reference)s", reference=reference)
    shown = say("%(urgency)s urgency", urgency=Msg(urgency))
    for person, chat in chats_of(session, school_id):
        if person.email.lower() not in wanted:
            continue
        teams_card, chat_card = concern_cards(school_name, reference, urgency, url)
        if chat.service_url == GOOGLE_CHAT_SERVICE:  # their DM with the Google Chat app
            sends: tuple[tuple[str, dict[str, Any], dict[str, Any] | None], ...] = (
                ("chat", chat_card, None),
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
            sends = (("feed", {}, feed), ("chat", teams_card, None))
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
