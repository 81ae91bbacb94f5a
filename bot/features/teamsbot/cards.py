"""The "what the school needs from you" card (Adaptive Card 1.5, ``Action.Execute``): pure.

Each button's ``data`` names the duty and the SHA-256 of the exact version it shows, so a press
can only ever record what the person saw. ``refresh`` (their own user id) makes Teams ask for
the card afresh when they open the chat, so a card done on the web shows as done here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.language.i18n import Dated, nsay, say
from bot.core.language.words import version_name
from bot.core.rendering.cards import ADAPTIVE_CARD_TYPE, TEAMS_BOT_MESSAGE_LIMIT, new_card
from bot.core.rendering.cards import text_block as _text

__all__ = [
    "ACK_VERB",
    "AUP_VERB",
    "MAX_ITEMS",
    "REFRESH_VERB",
    "NeedItem",
    "due_line",
    "hello_line",
    "needs_card",
    "needs_title",
    "refreshed",
]

ACK_VERB = "policy.acknowledge"
AUP_VERB = "aup.sign"
REFRESH_VERB = "needs.refresh"
KINDS = ("acknowledge_policy", "sign_aup", "complete_training")
MAX_ITEMS = 20  # at most, and fewer when the message would outgrow Teams': the /me page has all


@dataclass(frozen=True)
class NeedItem:
    """One open duty as the card shows it.

    ``read_url`` opens the policy (or the training page); ``statement`` is what pressing the
    button agrees to; ``sha256`` binds the press to the version shown.
    """

    kind: str  # acknowledge_policy | sign_aup | complete_training
    duty_id: int
    title: str
    version_label: str | None
    due_on: date
    overdue: bool
    read_url: str
    statement: str = ""
    sha256: str = ""
    read_first: bool = False  # the school asks for proof of reading: acknowledged on its page


def due_line(item: NeedItem) -> str:
    """When the ask is due, or since when it is overdue."""
    day = Dated(item.due_on, "%-d %B %Y", "EEEE d MMMM y")
    if item.overdue:
        return say("Overdue since %(day)s", day=day)
    return say("Due by %(due)s", due=day)


def _item(item: NeedItem) -> dict[str, Any]:
    """One item's container: what it is, when, what pressing agrees to, and its buttons."""
    version = f" ({version_name(item.version_label)})" if item.version_label else ""
    items: list[dict[str, Any]] = [
        _text(item.title + version, weight="Bolder"),
        _text(
            due_line(item),
            isSubtle=True,
            spacing="None",
            color="Attention" if item.overdue else "Default",
        ),
    ]
    actions: list[dict[str, Any]]
    if item.kind == "complete_training":
        items.append(_text(say("Upload your certificate once you have done the training.")))
        actions = [
            {"type": "Action.OpenUrl", "title": say("Upload certificate"), "url": item.read_url}
        ]
    else:
        items.append(_text(item.statement, size="Small"))
        data = {"duty": item.duty_id, "sha256": item.sha256}
        read = {"type": "Action.OpenUrl", "title": say("Read the policy"), "url": item.read_url}
        if item.kind == "sign_aup":
            items += [
                {
                    "type": "Input.Text",
                    "id": f"name-{item.duty_id}",
                    "label": say("Type your full name"),
                    "isRequired": True,
                    "maxLength": 200,
                    "errorMessage": say("Type your full name to sign."),
                },
                # a required input needs a label: a screen reader announces it (and
                # Microsoft's renderer refuses the card without one)
                {
                    "type": "Input.Toggle",
                    "id": f"consent-{item.duty_id}",
                    "label": say("Your agreement"),
                    "title": say("I agree to the statement above"),
                    "valueOn": "yes",
                    "valueOff": "no",
                    "isRequired": True,
                    "errorMessage": say("Tick the box to agree."),
                },
            ]
            actions = [
                read,
                {
                    "type": "Action.Execute",
                    "title": say("Sign"),
                    "verb": AUP_VERB,
                    "data": data,
                    "style": "positive",
                },
            ]
        elif item.read_first:
            items.append(
                _text(
                    say("Read each page first: the acknowledge button is at the end."),
                    size="Small",
                    isSubtle=True,
                )
            )
            actions = [
                {
                    "type": "Action.OpenUrl",
                    "title": say("Read and acknowledge"),
                    "url": item.read_url,
                }
            ]
        else:
            actions = [
                read,
                {
                    "type": "Action.Execute",
                    "title": say("Acknowledge"),
                    "verb": ACK_VERB,
                    "data": data,
                    "associatedInputs": "None",
                    "style": "positive",
                },
            ]
    items.append({"type": "ActionSet", "actions": actions})
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def needs_card(
    school_name: str,
    given_name: str,
    items: list[NeedItem],
    *,
    user_id: str | None,
    me_url: str,
    note: str | None = None,
) -> dict[str, Any]:
    """The card for one person: their open items, or a thank-you when there are none.

    Args:
        school_name: the school's name as it writes it.
        given_name: how the card greets the person.
        items: their open duties, most urgent first.
        user_id: their Entra object id (``refresh.userIds``), None for no refresh.
        me_url: their own page, where the items the card leaves out are.
        note: a line above the items (what a press just recorded, or why it did not).

    The card shows at most ``MAX_ITEMS`` items, and fewer when the message carrying it would
    pass what Teams takes from a bot (``TEAMS_BOT_MESSAGE_LIMIT``, counted as UTF-16).
    """
    shown = min(len(items), MAX_ITEMS)
    card = _needs_card(school_name, given_name, items, shown, user_id, me_url, note)
    while shown and not _fits(card):
        shown -= 1
        card = _needs_card(school_name, given_name, items, shown, user_id, me_url, note)
    return card


def _fits(card: dict[str, Any]) -> bool:
    """Whether the bot's message carrying ``card`` is within Teams' limit, as Teams counts it."""
    message = {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_TYPE, "content": card}],
    }
    sent = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return len(sent.encode("utf-16-le")) <= TEAMS_BOT_MESSAGE_LIMIT


def _needs_card(
    school_name: str,
    given_name: str,
    items: list[NeedItem],
    shown: int,
    user_id: str | None,
    me_url: str,
    note: str | None,
) -> dict[str, Any]:
    """The card with the first ``shown`` of ``items``."""
    body: list[dict[str, Any]] = [
        _text(needs_title(school_name), size="Large", weight="Bolder", style="heading")
    ]
    if note:
        thanks = note.startswith(("Thank you", "Diolch"))  # recorded (English or Welsh)
        body.append(_text(note, color="Good" if thanks else "Warning"))
    body.append(_text(hello_line(given_name, len(items)), spacing="Small"))
    body += [_item(i) for i in items[:shown]]
    if len(items) > shown:
        more = len(items) - shown
        body += [
            _text(
                nsay("…and %(num)d more on your page.", "…and %(num)d more on your page.", more),
                separator=True,
            ),
            {
                "type": "ActionSet",
                "actions": [
                    {"type": "Action.OpenUrl", "title": say("Open your page"), "url": me_url}
                ],
            },
        ]
    return refreshed(new_card(body), REFRESH_VERB, {}, user_id) if user_id else new_card(body)


def hello_line(given_name: str, count: int) -> str:
    """The card's greeting: how many asks are waiting for the person, or that none are."""
    if count:
        return nsay(
            "Hello %(name)s. This is the one thing the school is waiting for from you.",
            "Hello %(name)s. These are the %(num)d things the school is waiting for from you.",
            count,
            name=given_name,
        )
    return say("Hello %(name)s. Nothing is waiting for you: you are up to date.", name=given_name)


def needs_title(school_name: str) -> str:
    """The card's title, and its feed nudge's: 'What Oak Primary needs from you'."""
    return say("What %(school)s needs from you", school=school_name)


def refreshed(
    card: dict[str, Any], verb: str, data: dict[str, Any], user_id: str
) -> dict[str, Any]:
    """``card`` with a ``refresh``: Teams asks for it afresh (``verb`` with ``data``, an
    ``Action.Execute``) whenever ``user_id`` opens the chat."""
    card["refresh"] = {
        "action": {"type": "Action.Execute", "title": "Refresh", "verb": verb, "data": data},
        "userIds": [user_id],
    }
    return card
