"""The "what the school needs from you" card in Google Chat (cards v2): pure.

The same asks as the Teams card (``teamsbot.api.NeedItem``), in Chat's widgets: each policy to
acknowledge has a **Read the policy** link and an **Acknowledge** button whose action carries the
duty and the SHA-256 of the exact version shown, so a press can only ever record what the
person saw. What a Chat card cannot do well (typing a name to sign an AUP, proof of reading,
uploading a certificate) opens the school's own page instead.

Every card here is checked against the Chat API's discovery document
(``tests/features/chatbot/test_cards.py``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.core.language.i18n import nsay, say
from bot.core.language.words import version_name
from bot.core.rendering.cards import CHAT_MESSAGE_LIMIT, sent_bytes
from bot.features.teamsbot.api import ACK_VERB, NeedItem, due_line, hello_line, needs_title

__all__ = ["MAX_ITEMS", "card_message", "needs_card", "plain", "wrapped"]

MAX_ITEMS = 20  # at most, and fewer when they would outgrow Chat's 32,000 bytes: the /me page
CARD_ID = "needs"


def _link(text: str, url: str) -> dict[str, Any]:
    return {"text": text, "onClick": {"openLink": {"url": url}}}


def _section(item: NeedItem, function: str) -> dict[str, Any]:
    """One ask: what it is, when, what pressing agrees to, and its buttons."""
    version = f" ({version_name(item.version_label)})" if item.version_label else ""
    due = due_line(item)
    widgets: list[dict[str, Any]] = [
        {
            "decoratedText": {
                "topLabel": due,  # plain text: no formatting there
                "text": escape(item.title + version),
                "wrapText": True,
            }
        }
    ]
    buttons: list[dict[str, Any]]
    if item.kind == "complete_training":
        widgets.append(
            {
                "textParagraph": {
                    "text": say("Upload your certificate once you have done the training.")
                }
            }
        )
        buttons = [_link(say("Upload certificate"), item.read_url)]
    elif item.kind == "sign_aup":
        widgets.append({"textParagraph": {"text": escape(item.statement)}})
        buttons = [_link(say("Read and sign"), item.read_url)]
    elif item.read_first:
        widgets.append(
            {
                "textParagraph": {
                    "text": say("Read each page first: the acknowledge button is at the end.")
                }
            }
        )
        buttons = [_link(say("Read and acknowledge"), item.read_url)]
    else:
        widgets.append({"textParagraph": {"text": escape(item.statement)}})
        parameters = [
            {"key": "verb", "value": ACK_VERB},
            {"key": "duty", "value": str(item.duty_id)},
            {"key": "sha256", "value": item.sha256},
        ]
        buttons = [
            _link(say("Read the policy"), item.read_url),
            {
                "text": say("Acknowledge"),
                "onClick": {"action": {"function": function, "parameters": parameters}},
            },
        ]
    widgets.append({"buttonList": {"buttons": buttons}})
    return {"widgets": widgets}


def needs_card(
    school_name: str,
    given_name: str,
    items: list[NeedItem],
    *,
    function: str,
    me_url: str,
    note: str | None = None,
) -> dict[str, Any]:
    """The person's card (a ``CardWithId``): their open asks, or a thank-you when none.

    Args:
        school_name: the school's name as it writes it.
        given_name: how the card greets the person.
        items: their open asks, most urgent first.
        function: what a button's action names: the endpoint's URL for a Workspace add-on,
            the verb's name for a classic Chat app.
        me_url: their own page, where the asks the card leaves out are.
        note: a line above the asks (what a press just recorded, or why it did not).

    The card shows at most ``MAX_ITEMS`` asks, and fewer when the message carrying it (in its
    largest shape, ``wrapped``), as sent, would pass Chat's 32,000 bytes.
    """
    shown = min(len(items), MAX_ITEMS)
    card = _needs_card(school_name, given_name, items, shown, function, me_url, note)
    while shown and not _fits(card, school_name):
        shown -= 1
        card = _needs_card(school_name, given_name, items, shown, function, me_url, note)
    return card


def _fits(card: dict[str, Any], school_name: str) -> bool:
    """Whether the largest message carrying ``card`` (an add-on's update), as sent, is
    within Chat's limit."""
    message = wrapped(card_message(card, needs_title(school_name)), addon=True, update=True)
    return len(sent_bytes(message)) <= CHAT_MESSAGE_LIMIT


def _needs_card(
    school_name: str,
    given_name: str,
    items: list[NeedItem],
    shown: int,
    function: str,
    me_url: str,
    note: str | None,
) -> dict[str, Any]:
    """The card with the first ``shown`` of ``items``."""
    opening: list[dict[str, Any]] = []
    if note:
        opening.append({"textParagraph": {"text": f"<b>{escape(note)}</b>"}})
    opening.append({"textParagraph": {"text": escape(hello_line(given_name, len(items)))}})
    sections = [{"widgets": opening}]
    sections += [_section(item, function) for item in items[:shown]]
    if len(items) > shown:
        more = len(items) - shown
        sections.append(
            {
                "widgets": [
                    {
                        "textParagraph": {
                            "text": nsay(
                                "…and %(num)d more on your page.",
                                "…and %(num)d more on your page.",
                                more,
                            )
                        }
                    },
                    {"buttonList": {"buttons": [_link(say("Open your page"), me_url)]}},
                ]
            }
        )
    # a header is plain text (only text widgets read HTML): not escaped
    card = {"header": {"title": needs_title(school_name)}, "sections": sections}
    return {"cardId": CARD_ID, "card": card}


def plain(text: str) -> dict[str, Any]:
    """A message of one plain line (``Message``)."""
    return {"text": text}


def wrapped(message: dict[str, Any], *, addon: bool, update: bool) -> dict[str, Any]:
    """``message`` as the answer to the event: a new message, or (``update``, a button pressed
    on the app's own card) the card updated in place — in a classic Chat app's shape
    (``actionResponse``) or a Workspace add-on's (``hostAppDataAction.chatDataAction``)."""
    if addon:
        action = "updateMessageAction" if update else "createMessageAction"
        return {"hostAppDataAction": {"chatDataAction": {action: {"message": message}}}}
    return {**message, "actionResponse": {"type": "UPDATE_MESSAGE" if update else "NEW_MESSAGE"}}


def card_message(card: dict[str, Any], title: str) -> dict[str, Any]:
    """A message carrying one card; ``fallbackText`` is what notifications show."""
    return {"fallbackText": title, "cardsV2": [card]}
