"""Digest cards: Adaptive Card 1.5 against the official schema, Chat against the Chat API."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from functools import cache
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft6Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT6

from bot.core.ports import CardMessage
from bot.core.rendering.cards import (
    ADAPTIVE_CARD_SCHEMA,
    CHAT_MESSAGE_LIMIT,
    teams_workflow_payload,
)
from bot.features.dashboard.cards import DigestFigures, adaptive_card, chat_card, plain_text_digest
from tests.support.paths import SCHEMAS
from tests.support.speech import in_language

CARD_SCHEMA = SCHEMAS / "adaptive-card-1.5.json"
TEAMS_MESSAGE_LIMIT = 28_000  # Teams rejects bot/webhook messages larger than ~28 KB


@cache
def card_validator() -> Draft6Validator:
    """A validator for the vendored official Adaptive Card 1.5 schema (draft-06)."""
    schema = json.loads(CARD_SCHEMA.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    assert cls is Draft6Validator, schema["$schema"]
    cls.check_schema(schema)
    resource = DRAFT6.create_resource(schema)
    # An explicit Registry has no retriever: a reference that is not vendored raises instead
    # of jsonschema's deprecated fallback fetching it over the network.
    registry: Registry[Any] = Registry().with_resources(
        [
            (schema["id"], resource),  # http://adaptivecards.io/schemas/adaptive-card.json
            ("http://adaptivecards.io/schemas/1.5.0/adaptive-card.json", resource),
        ]
    )
    return Draft6Validator(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The innermost errors under an anyOf/allOf error (the ones that say what is wrong)."""
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def card_errors(card: dict[str, Any]) -> list[str]:
    """Every schema error in `card`, innermost first-hand messages with their paths."""
    return [
        f"{'/'.join(map(str, leaf.absolute_path))}: {leaf.message}"
        for error in card_validator().iter_errors(card)
        for leaf in _leaves(error)
    ]


def _json_schema(node: dict[str, Any]) -> dict[str, Any]:
    """One Google discovery-document schema node as JSON Schema (closed objects)."""
    if "$ref" in node:
        return {"$ref": f"#/$defs/{node['$ref']}"}
    kind = node.get("type")
    out: dict[str, Any] = {}
    if kind == "object":
        out["type"] = "object"
        if "properties" in node:
            out["properties"] = {k: _json_schema(v) for k, v in node["properties"].items()}
            # Google's JSON mapping rejects unknown field names ("Cannot find field").
            out["additionalProperties"] = False
        elif "additionalProperties" in node:
            out["additionalProperties"] = _json_schema(node["additionalProperties"])
    elif kind == "array":
        out["type"] = "array"
        out["items"] = _json_schema(node.get("items", {}))
    elif kind in ("string", "boolean", "integer", "number"):
        out["type"] = kind
        if kind == "string" and node.get("format") in ("int64", "uint64"):
            out["type"] = ["string", "integer"]
    if "enum" in node:
        out["enum"] = node["enum"]
    return out


@cache
def chat_validator() -> Draft202012Validator:
    """Chat API `Message` from the discovery document shipped in google-api-python-client."""
    from googleapiclient.discovery_cache import get_static_doc

    doc = get_static_doc("chat", "v1")
    assert doc, "google-api-python-client no longer ships the Chat discovery document"
    schemas = json.loads(doc)["schemas"]
    schema = {
        "$defs": {name: _json_schema(node) for name, node in schemas.items()},
        "$ref": "#/$defs/Message",
    }
    return Draft202012Validator(schema, registry=Registry())  # offline: see card_validator


def figures(**changes: Any) -> DigestFigures:
    """A typical week at a primary school."""
    base = DigestFigures(
        school_name="St Mary's C of E Primary School",
        as_of=date(2026, 11, 23),
        ack_rate=0.931,
        ack_target=0.95,
        training_rate=0.88,
        aup_unsigned_accounts=2,
        aup_accounts_total=14,
        policies_due_soon=2,
        policies_overdue=1,
        open_reports=3,
        reports_with_running_clocks=1,
        overdue_duties=12,
        needs_attention=("1 policy overdue for review", "2 official accounts without a signed AUP"),
        dashboard_url="https://school.example.org/dashboard",
        per_policy=(
            ("Online Safety Policy", 0.81),
            ("Child Protection and Safeguarding Policy", 0.97),
            ("Mobile Phone Policy", 0.9),
        ),
    )
    return dataclasses.replace(base, **changes)


def big_figures() -> DigestFigures:
    """A trust-sized digest: thousands of long, non-ASCII policy titles and many lines."""
    titles = tuple(
        (f"Política de protección nº {i} — Safeguarding “annex” <{i}> & more " * 4, (i % 100) / 100)
        for i in range(3000)
    )
    return figures(
        school_name="Ysgol Gynradd Gymraeg " * 20,
        per_policy=titles,
        needs_attention=tuple(f"{i} things overdue — see the dashboard " * 10 for i in range(80)),
    )


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every dict in a JSON tree."""
    if isinstance(node, dict):
        return [node, *(d for v in node.values() for d in _walk(v))]
    if isinstance(node, list):
        return [d for v in node for d in _walk(v)]
    return []


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 11, 23), "2026-W48"),
        (date(2026, 1, 1), "2026-W01"),
        (date(2027, 1, 1), "2026-W53"),  # a Friday in the ISO year before
        (date(2024, 12, 30), "2025-W01"),  # a Monday in the ISO year after
    ],
)
def test_week_key_is_iso_year_and_week(day: date, key: str) -> None:
    assert figures(as_of=day).week_key == key


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ack_rate": 1.2}, "ack_rate"),
        ({"training_rate": -0.1}, "training_rate"),
        ({"ack_target": float("nan")}, "ack_target"),
        ({"open_reports": -1}, "open_reports"),
        ({"aup_unsigned_accounts": 15}, "aup_unsigned_accounts"),
        ({"reports_with_running_clocks": 4}, "reports_with_running_clocks"),
        ({"dashboard_url": "/dashboard"}, "dashboard_url"),
        ({"per_policy": (("AUP", 1.5),)}, "per_policy"),
    ],
)
def test_figures_reject_nonsense(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        figures(**changes)


# --------------------------------------------------------------------------- Teams


def test_adaptive_card_validates_against_official_1_5_schema() -> None:
    card = adaptive_card(figures())
    assert card_errors(card) == []
    assert card["$schema"] == ADAPTIVE_CARD_SCHEMA
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"


def test_adaptive_card_has_headlines_and_dashboard_button() -> None:
    card = adaptive_card(figures())
    types = [node.get("type") for node in _walk(card["body"])]
    assert "ColumnSet" in types
    assert "FactSet" in types
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open dashboard",
            "url": "https://school.example.org/dashboard",
        }
    ]
    facts = {f["title"]: f["value"] for f in _walk(card) if "title" in f and "value" in f}
    assert facts["Policies acknowledged"] == "93% (target 95%)"
    assert facts["AUP not signed"] == "2 of 14 official accounts"
    assert facts["Open reports"] == "3 (1 with a running clock)"
    assert facts["Online Safety Policy"] == "81%"  # per-policy rows, lowest first
    text = json.dumps(card)
    assert "1 policy overdue for review" in text
    assert "St Mary's C of E Primary School" in text
    assert "2026-W48" in text


def test_only_elements_teams_renders_in_1_5() -> None:
    # Teams renders these; no Action.Execute (needs a bot), no Media, no inputs in a digest.
    allowed = {
        "AdaptiveCard",
        "TextBlock",
        "ColumnSet",
        "Column",
        "Container",
        "FactSet",
        "Action.OpenUrl",
    }
    used = {n["type"] for n in _walk(adaptive_card(big_figures())) if "type" in n}
    assert used <= allowed


def test_percent_is_rounded_down_so_a_miss_never_looks_like_a_hit() -> None:
    card = adaptive_card(figures(ack_rate=0.9499))
    facts = {f["title"]: f["value"] for f in _walk(card) if "title" in f and "value" in f}
    assert facts["Policies acknowledged"] == "94% (target 95%)"


def test_colours_follow_the_target() -> None:
    def headline_colours(f: DigestFigures) -> list[str]:
        columns = next(n for n in adaptive_card(f)["body"] if n["type"] == "ColumnSet")
        return [c["items"][0]["color"] for c in columns["columns"]]

    assert headline_colours(figures()) == ["Warning", "Warning", "Attention"]
    on_target = figures(ack_rate=0.96, training_rate=0.99, reports_with_running_clocks=0)
    assert headline_colours(on_target) == ["Good", "Good", "Default"]


def test_quiet_week_says_nothing_needs_attention() -> None:
    card = adaptive_card(figures(needs_attention=(), per_policy=()))
    assert card_errors(card) == []
    assert "Nothing needs attention this week." in json.dumps(card)
    assert "nothing needs attention" in card["fallbackText"]


def test_workflow_payload_is_the_webhook_message_shape() -> None:
    card = adaptive_card(figures())
    payload = teams_workflow_payload(card)
    assert payload == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
    json.dumps(payload)  # plain JSON types only


def test_big_digest_card_stays_valid_and_small_enough_for_teams() -> None:
    card = adaptive_card(big_figures())
    assert card_errors(card) == []
    size = len(json.dumps(teams_workflow_payload(card)).encode())
    assert size < TEAMS_MESSAGE_LIMIT
    text = json.dumps(card, ensure_ascii=False)
    assert "…and 2990 more policies on the dashboard." in text
    assert "…and 70 more on the dashboard." in text


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        # (The official schema does not require "version": nested ShowCard cards omit it.)
        (lambda c: c.update(type="HeroCard"), "'HeroCard' is not one of ['AdaptiveCard']"),
        (lambda c: c.update(colour="Good"), "('colour' was unexpected)"),
        (lambda c: c["body"].append({"type": "Marquee"}), "'Marquee' is not one of ['TextBlock']"),
        (lambda c: c["body"][3]["facts"].append({"title": "x"}), "'value' is a required property"),
        (lambda c: c["actions"][0].pop("url"), "'url' is a required property"),
        (lambda c: c["body"][0].update(wrap="yes"), "body/0/wrap: 'yes' is not of type 'boolean'"),
    ],
    ids=[
        "not-an-adaptive-card",
        "unknown-card-property",
        "unknown-element",
        "fact-without-value",
        "openurl-without-url",
        "wrap-not-boolean",
    ],
)
def test_broken_cards_fail_validation(mutate: Any, complaint: str) -> None:
    card = adaptive_card(figures())
    mutate(card)
    errors = card_errors(card)
    assert errors, "the validator accepted a broken card"
    assert any(complaint in e for e in errors), errors


def test_validation_never_fetches_remote_references() -> None:
    validator = card_validator().evolve(schema={"$ref": "http://adaptivecards.invalid/x.json"})
    with pytest.raises(Unresolvable):
        validator.validate(adaptive_card(figures()))
    # ...while the canonical schema URL resolves to the vendored file.
    vendored = card_validator().evolve(schema={"$ref": ADAPTIVE_CARD_SCHEMA})
    assert vendored.is_valid(adaptive_card(figures()))
    assert not vendored.is_valid({"type": "AdaptiveCard", "body": [{"type": "Marquee"}]})


# --------------------------------------------------------------------------- Google Chat


def test_chat_card_matches_the_chat_api_message_schema() -> None:
    message = chat_card(figures())
    errors = [e.message for e in chat_validator().iter_errors(message)]
    assert errors == []


def test_chat_card_shape() -> None:
    message = chat_card(figures())
    assert message["text"].startswith("Compliance digest for St Mary's C of E Primary School")
    assert message["thread"] == {"threadKey": "digest-2026-W48"}
    [card] = message["cardsV2"]
    assert card["cardId"] == "digest-2026-W48"
    assert card["card"]["header"]["title"] == "Weekly compliance digest"
    widgets = [w for s in card["card"]["sections"] for w in s["widgets"]]
    decorated = [w["decoratedText"] for w in widgets if "decoratedText" in w]
    assert {"topLabel": "Policies acknowledged", "text": "93% (target 95%)"}.items() <= decorated[
        0
    ].items()
    [button_list] = [w["buttonList"] for w in widgets if "buttonList" in w]
    assert button_list["buttons"][0]["onClick"] == {
        "openLink": {"url": "https://school.example.org/dashboard"}
    }


def test_chat_card_escapes_html_in_names() -> None:
    message = chat_card(figures(school_name="A & B <Academy>", per_policy=(("<b>AUP</b>", 0.5),)))
    text = json.dumps(message["cardsV2"])
    assert "&lt;b&gt;AUP&lt;/b&gt;" in text
    assert "<b>AUP</b>" not in text


def test_big_chat_card_is_truncated_politely_under_the_limit() -> None:
    message = chat_card(big_figures())
    for ascii_only in (True, False):
        assert len(json.dumps(message, ensure_ascii=ascii_only).encode()) < CHAT_MESSAGE_LIMIT
    assert not list(chat_validator().iter_errors(message))
    text = json.dumps(message, ensure_ascii=False)
    assert "more policies on the dashboard." in text
    assert "Open dashboard" in text


def test_chat_card_drops_policy_rows_before_failing() -> None:
    # A long (signed) dashboard link leaves less room: rows go, the button stays.
    long_url = "https://school.example.org/dashboard?" + "t=" + "x" * 20_000
    message = chat_card(dataclasses.replace(big_figures(), dashboard_url=long_url))
    assert len(json.dumps(message).encode()) < CHAT_MESSAGE_LIMIT
    assert long_url in json.dumps(message)


def test_broken_chat_message_fails_validation() -> None:
    message = chat_card(figures())
    message["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["decoratedText"]["colour"] = "red"
    message["thread"]["threadKey"] = 48
    errors = [e.message for e in chat_validator().iter_errors(message)]
    assert len(errors) == 2, errors


def crowded_figures() -> DigestFigures:
    """A large Welsh-medium school's worst week: hundreds of policies with long Welsh titles,
    many lines needing attention, and a long signed dashboard link."""
    school = "Ysgol Gymraeg Tŷ Coch (Gŵyr)"
    titles = tuple(
        (f"Polisi Diogelu a Lles Disgyblion {school} — atodiad {i}: teithiau oddi ar y safle", 0.5)
        for i in range(400)
    )
    return figures(
        school_name=school,
        per_policy=titles,
        needs_attention=tuple(
            f"{i} aelod o staff heb gwblhau'r hyfforddiant diogelu blynyddol — {school} " * 3
            for i in range(60)
        ),
        dashboard_url="https://bot.example/dashboard?school=ty-coch&sig=" + "a1b2c3d4" * 1200,
    )


def _policy_rows(message: dict[str, Any]) -> int:
    """How many policy rows (a title with its rate below) the Chat message shows."""
    return sum(
        1 for node in _walk(message) if "bottomLabel" in node and node["bottomLabel"].endswith("%")
    )


def test_a_dual_language_digest_is_one_chat_message_chat_takes() -> None:
    from connectors.google.chat import ChatWebhookNotifier
    from tests.support.fakes.google import WEBHOOK_URL, FakeGoogle

    f = crowded_figures()
    halves = [in_language(language, lambda: chat_card(f)) for language in ("cy", "en")]
    welsh_alone, english_alone = (len(json.dumps(h, ensure_ascii=False)) for h in halves)
    assert welsh_alone + english_alone > CHAT_MESSAGE_LIMIT  # both whole would not fit
    message = in_language("cy+en", lambda: chat_card(f))
    fake = FakeGoogle()  # refuses a body over 32,000 bytes, as Chat does
    notifier = ChatWebhookNotifier(WEBHOOK_URL, transport=fake.chat_transport())
    notifier.post(CardMessage("digest:ty-coch:2026-W48", "digest", "", {}, message))
    assert fake.chat_posts == [message]
    assert not list(chat_validator().iter_errors(message))
    rows = _policy_rows(message)
    assert 0 < rows < 2 * 25 and rows % 2 == 0  # as many rows in each half, fewer than 25
    hidden = 400 - rows // 2
    text = json.dumps(message, ensure_ascii=False)
    welsh, english = (
        f"…a {hidden} o bolisïau eraill ar y dangosfwrdd.",
        f"…and {hidden} more policies on the dashboard.",
    )
    assert text.index(welsh) < text.index(english)  # the Welsh card, then the English
    buttons = [n["text"] for n in _walk(message) if "openLink" in n.get("onClick", {})]
    assert buttons == ["Agor y dangosfwrdd", "Open dashboard"]
    assert text.count(f.dashboard_url) == 2


@pytest.mark.parametrize(("language", "signature"), [("cy+en", 2600), ("en", 2700)])
def test_a_crowded_digest_card_is_within_teams_limit_as_sent(language: str, signature: int) -> None:
    # a link long enough that the card with all 10 policy rows would not fit
    longer = "https://bot.example/dashboard?school=ty-coch&sig=" + "a1b2c3d4" * signature
    f = dataclasses.replace(crowded_figures(), dashboard_url=longer)
    card = in_language(language, lambda: adaptive_card(f))
    sent = httpx.Request("POST", "https://example.invalid/", json=teams_workflow_payload(card))
    assert len(sent.content) <= TEAMS_MESSAGE_LIMIT
    assert card_errors(card) == []
    text = json.dumps(card, ensure_ascii=False)
    assert longer in text
    more = re.findall(r"…and (\d+) more policies on the dashboard\.", text)
    assert len(more) == 1 and int(more[0]) > 400 - 10  # fewer rows than the 10 shown at most
    assert ("o bolisïau eraill ar y dangosfwrdd." in text) is (language == "cy+en")


# --------------------------------------------------------------------------- plain text


def test_plain_text_digest() -> None:
    text = plain_text_digest(figures())
    assert text.splitlines()[:2] == [
        "Weekly compliance digest — St Mary's C of E Primary School",
        "Week 2026-W48 (as of Monday 23 November 2026)",
    ]
    assert "Policies acknowledged: 93% (target 95%)" in text
    assert "  - 1 policy overdue for review" in text
    assert "   81%  Online Safety Policy" in text
    assert text.index("Online Safety Policy") < text.index("Child Protection")
    assert text.endswith("Dashboard: https://school.example.org/dashboard\n")


# --------------------------------------------------------------------------- any figures

_line = st.text(min_size=1, max_size=300)


@st.composite
def any_figures(draw: st.DrawFn) -> DigestFigures:
    """Arbitrary but consistent digest figures."""
    total = draw(st.integers(0, 500))
    reports = draw(st.integers(0, 50))
    rate = st.floats(0, 1)
    return DigestFigures(
        school_name=draw(_line),
        as_of=draw(st.dates(date(2020, 1, 1), date(2040, 12, 31))),
        ack_rate=draw(rate),
        ack_target=draw(rate),
        training_rate=draw(rate),
        aup_unsigned_accounts=draw(st.integers(0, total)),
        aup_accounts_total=total,
        policies_due_soon=draw(st.integers(0, 100)),
        policies_overdue=draw(st.integers(0, 100)),
        open_reports=reports,
        reports_with_running_clocks=draw(st.integers(0, reports)),
        overdue_duties=draw(st.integers(0, 10_000)),
        needs_attention=tuple(draw(st.lists(_line, max_size=30))),
        dashboard_url="https://school.example.org/dashboard",
        per_policy=tuple(draw(st.lists(st.tuples(_line, rate), max_size=200))),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_figures())
def test_any_figures_render_valid_cards_within_limits(f: DigestFigures) -> None:
    card = adaptive_card(f)
    assert card_errors(card) == []
    assert len(json.dumps(teams_workflow_payload(card)).encode()) < TEAMS_MESSAGE_LIMIT
    message = chat_card(f)
    assert len(json.dumps(message).encode()) < CHAT_MESSAGE_LIMIT
    assert not list(chat_validator().iter_errors(message))
    assert plain_text_digest(f).endswith("\n")
