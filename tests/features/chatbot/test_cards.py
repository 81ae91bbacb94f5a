"""Every Google Chat card the product builds, checked by value against the Chat API's discovery
document (``tests/support/conformance/google_chat.py``): the needs card in every state, the
DSL's new-report alert (``reports.intake``), the weekly digest and the webhook's plain line —
and the checker itself catches a misspelt widget, an unknown enum value and a wrong type, as
Google would answer 400."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from typing import Any

import pytest

from bot.features.chatbot.cards import MAX_ITEMS, card_message, needs_card, plain, wrapped
from bot.features.dashboard.cards import DigestFigures, chat_card
from bot.features.reports.chat_alerts import alert_cards
from bot.features.teamsbot.api import NeedItem
from tests.support.conformance.google_chat import chat_answer_problems, chat_message_problems
from tests.support.speech import in_language

ENDPOINT = "https://oak.example/api/chat"


def item(kind: str, n: int = 1, **changes: Any) -> NeedItem:
    return NeedItem(
        kind=kind,
        duty_id=n,
        title=f"Online Safety Policy <{n}> & more",
        version_label="2026.1",
        due_on=date(2026, 11, 2),
        overdue=n % 2 == 0,
        read_url=f"https://oak.example/ack/t{n}",
        statement="I have read it.",
        sha256="a" * 64,
        **changes,
    )


KINDS = [
    item("acknowledge_policy", 1),
    item("acknowledge_policy", 2, read_first=True),
    item("sign_aup", 3),
    item("complete_training", 4),
]


@pytest.mark.parametrize("addon", [True, False])
@pytest.mark.parametrize(
    "items",
    [[], KINDS, [item("acknowledge_policy", n) for n in range(MAX_ITEMS + 5)]],
    ids=["up to date", "every kind", "more than a card holds"],
)
def test_the_needs_card_and_its_answers_are_what_chat_takes(
    items: list[NeedItem], addon: bool
) -> None:
    card = needs_card(
        "Oak <Primary>",
        "Amy",
        items,
        function=ENDPOINT if addon else "ack",
        me_url="https://oak.example/me",
        note="Thank you: it is recorded.",
    )
    message = card_message(card, "What Oak needs from you")
    assert chat_message_problems(message) == []
    for update in (False, True):
        assert chat_answer_problems(wrapped(message, addon=addon, update=update), addon=addon) == []
    assert (
        chat_answer_problems(wrapped(plain("One line."), addon=addon, update=False), addon=addon)
        == []
    )
    if len(items) > MAX_ITEMS:
        assert "5 more on your page" in str(card)
    assert card["card"]["header"]["title"] == "What Oak <Primary> needs from you"  # plain text
    if items:  # a text widget reads HTML: the title's brackets are escaped there
        assert "Online Safety Policy &lt;1&gt; &amp; more" in str(card)


@pytest.mark.parametrize("language", ["cy+en", "en"])
def test_a_card_of_many_long_asks_stays_within_chats_32000_bytes(language: str) -> None:
    # 25 asks, each a policy's longest title and a long statement of the school's own
    school = "Ysgol Gymraeg Tŷ Coch (Gŵyr)"
    statement = (
        "Rwyf wedi darllen a deall y polisi hwn ac yn cytuno i'w ddilyn. I have read and "
        "understood this policy, and I agree to follow it in school and on every school trip. "
    ) * 6
    items = [
        dataclasses.replace(
            item(kind, n),
            title=f"Polisi Diogelu {n} — " + "Safeguarding and Online Safety " * 9,
            statement=statement,
        )
        for n, kind in enumerate(["acknowledge_policy", "sign_aup"] * 12 + ["complete_training"])
    ]
    card = in_language(
        language,
        lambda: needs_card(school, "Alys", items, function=ENDPOINT, me_url="https://x.example/me"),
    )
    for addon, update in ((True, True), (True, False), (False, True), (False, False)):
        answer = wrapped(card_message(card, "Beth sydd ei angen"), addon=addon, update=update)
        assert chat_answer_problems(answer, addon=addon) == []
        body = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        assert len(body) <= 32_000  # as sent, all of it (Chat's limit for one message)
    shown = sum(1 for section in card["card"]["sections"] if len(section["widgets"]) == 3)
    assert 0 < shown < MAX_ITEMS
    texts = json.dumps(card, ensure_ascii=False)
    assert f"…and {25 - shown} more on your page." in texts  # the rest: on their own page
    assert "https://x.example/me" in texts
    assert ("ar eich tudalen" in texts) is (language == "cy+en")


def test_the_dsls_new_report_alert_is_what_chat_takes() -> None:
    _teams, chat = alert_cards(
        "New report CR-2026-7KQ3M",
        ["Immediate urgency.", "Open it to read it (sign-in required)."],
        "https://oak.example/reports/CR-2026-7KQ3M",
        "report-1",
        open_text="Open",
    )
    assert chat_message_problems(chat) == []


def test_the_weekly_digest_is_what_chat_takes() -> None:
    figures = DigestFigures(
        school_name="Oak Primary",
        as_of=date(2026, 10, 19),
        ack_rate=0.8,
        ack_target=0.95,
        training_rate=0.7,
        aup_unsigned_accounts=1,
        aup_accounts_total=3,
        policies_due_soon=2,
        policies_overdue=1,
        open_reports=2,
        reports_with_running_clocks=1,
        overdue_duties=4,
        needs_attention=("Online Safety Policy: 60% acknowledged",),
        dashboard_url="https://oak.example/dashboard",
        per_policy=(("Online Safety Policy", 0.6), ("Child Protection Policy", 0.9)),
    )
    assert chat_message_problems(chat_card(figures)) == []


def _break(message: dict[str, Any], how: str) -> dict[str, Any]:
    broken = copy.deepcopy(message)
    widgets = broken["cardsV2"][0]["card"]["sections"][1]["widgets"]
    if how == "misspelt widget":
        widgets[1] = {"textParagraf": widgets[1]["textParagraph"]}
    elif how == "wrong type":
        widgets[0]["decoratedText"]["wrapText"] = "true"  # a boolean as a string
    elif how == "unknown enum value":
        broken["actionResponse"] = {"type": "REPLACE_MESSAGE"}
    elif how == "no function":
        button = widgets[2]["buttonList"]["buttons"][1]
        del button["onClick"]["action"]["function"]
    return broken


@pytest.mark.parametrize(
    "how", ["misspelt widget", "wrong type", "unknown enum value", "no function"]
)
def test_the_checker_catches_what_chat_would_refuse(how: str) -> None:
    card = needs_card(
        "Oak",
        "Amy",
        [item("acknowledge_policy")],
        function=ENDPOINT,
        me_url="https://oak.example/me",
    )
    message = card_message(card, "What Oak needs from you")
    assert chat_message_problems(message) == []
    problems = chat_message_problems(_break(message, how))
    assert problems, how
    _, chat = alert_cards("New report", ["Urgent."], "https://oak.example/r", "k", open_text="Open")
    chat["cardsV2"][0]["card"]["sections"][0]["widgets"][0] = {"textParagraf": {"text": "x"}}
    assert any(
        "'textParagraf' is not in the discovery schema" in p for p in chat_message_problems(chat)
    )


def test_a_report_alerts_chat_message_escapes_its_words_and_names_its_title() -> None:
    """The channel's card said its line as Chat markup (a school's '&' or '<' broke it) and
    repeated its title as message text; both alerts are now one card shape."""
    teams, chat = alert_cards(
        "New report CR-2026-7KQ3M",
        ["Urgency: immediate · Oak & Ash <DSL team>: sign in to read it."],
        "https://oak.example/r",
        "k",
        open_text="Open (sign-in required)",
    )
    [widget, buttons] = chat["cardsV2"][0]["card"]["sections"][0]["widgets"]
    assert widget["textParagraph"]["text"].endswith(
        "Oak &amp; Ash &lt;DSL team&gt;: sign in to read it."
    )
    assert chat["fallbackText"] == "New report CR-2026-7KQ3M" and "text" not in chat
    assert buttons["buttonList"]["buttons"][0]["text"] == "Open (sign-in required)"
    assert teams["body"][1]["text"].endswith("Oak & Ash <DSL team>: sign in to read it.")
    assert chat_message_problems(chat) == []
