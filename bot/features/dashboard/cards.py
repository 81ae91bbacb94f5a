"""The weekly digest as a Teams Adaptive Card, a Google Chat card and plain text (pure, no I/O)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from functools import partial
from typing import Any

from bot.core.guards.forms import Text
from bot.core.language.i18n import Day, both, each_language, nsay, say
from bot.core.rendering.cards import (
    CHAT_MESSAGE_LIMIT,
    TEAMS_MESSAGE_LIMIT,
    new_card,
    sent_bytes,
    teams_workflow_payload,
)
from bot.core.rendering.cards import text_block as _text
from bot.features.dashboard.charts import percent

__all__ = ["DigestFigures", "adaptive_card", "chat_card", "pct", "plain_text_digest", "week_key"]

TEAMS_POLICY_ROWS = 10  # Teams messages stop at ~28 KB; the dashboard has the full list
CHAT_POLICY_ROWS = 25
ATTENTION_LINES = 10
TITLE_CHARS = 120  # a policy title or school name longer than this is clipped
LINE_CHARS = 200


def week_key(day: date) -> str:
    """The ISO year and week of ``day``, e.g. "2026-W48" (the ISO year, not the calendar year)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class DigestFigures:
    """What the weekly digest says: headline rates and counts, never report contents."""

    school_name: str
    as_of: date
    ack_rate: float
    ack_target: float
    training_rate: float
    aup_unsigned_accounts: int
    aup_accounts_total: int
    policies_due_soon: int
    policies_overdue: int
    open_reports: int
    reports_with_running_clocks: int
    overdue_duties: int
    needs_attention: tuple[Text, ...]  # said where shown
    dashboard_url: str
    per_policy: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        """Reject figures that would render a misleading digest."""
        for each in fields(self):  # every float is a rate, every int a count
            value = getattr(self, each.name)
            if each.type in ("float", float):  # a string under ``from __future__ import …``
                _check_rate(each.name, value)
            elif each.type in ("int", int) and value < 0:
                raise ValueError(f"DigestFigures.{each.name} must not be negative")
        if self.aup_unsigned_accounts > self.aup_accounts_total:
            raise ValueError("DigestFigures.aup_unsigned_accounts cannot exceed aup_accounts_total")
        if self.reports_with_running_clocks > self.open_reports:
            raise ValueError("DigestFigures.reports_with_running_clocks cannot exceed open_reports")
        if not self.dashboard_url.startswith(("https://", "http://")):
            raise ValueError(
                f"DigestFigures.dashboard_url must be an absolute http(s) URL, "
                f"got {self.dashboard_url!r}"
            )
        for title, rate in self.per_policy:
            _check_rate(f"per_policy[{title!r}]", rate)

    @property
    def week_key(self) -> str:
        """ISO year-week of `as_of`, e.g. "2026-W48"."""
        return week_key(self.as_of)


def _check_rate(name: str, value: float) -> None:
    """Raise unless `value` is a fraction between 0 and 1."""
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ValueError(f"DigestFigures.{name} must be a fraction between 0 and 1, got {value!r}")


def pct(rate: float) -> str:
    """Whole percent, rounded down so 94.9% never shows as a target-meeting 95%."""
    return f"{percent(rate)}%"


def _clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters, with an ellipsis when cut."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _worst_first(f: DigestFigures, limit: int) -> tuple[list[tuple[str, float]], int]:
    """Up to `limit` policies, lowest acknowledgement first, and how many were left out."""
    ordered = sorted(f.per_policy, key=lambda item: (item[1], item[0].casefold()))
    return ordered[:limit], max(0, len(ordered) - limit)


def _attention(f: DigestFigures) -> tuple[list[str], int]:
    """The needs-attention lines shown, and how many were left out (in ``cy+en`` each half
    clipped on its own: a cut never falls in the English half only)."""
    lines = [
        each_language(partial(_clip_said, line)) for line in f.needs_attention if str(line).strip()
    ]
    return lines[:ATTENTION_LINES], max(0, len(lines) - ATTENTION_LINES)


def _clip_said(line: Text) -> str:
    """``line`` said in the active language, clipped to ``LINE_CHARS``."""
    return _clip(str(line), LINE_CHARS)


def _headlines(f: DigestFigures) -> list[tuple[str, str]]:
    """The headline facts as (label, value) pairs, in the order every rendering uses, in
    the active language."""
    clocks = ""
    if f.open_reports:
        clocks = " " + nsay(
            "(%(num)d with a running clock)",
            "(%(num)d with a running clock)",
            f.reports_with_running_clocks,
        )
    return [
        (
            say("Policies acknowledged"),
            say("%(rate)s (target %(target)s)", rate=pct(f.ack_rate), target=pct(f.ack_target)),
        ),
        (say("Training up to date"), pct(f.training_rate)),
        (
            say("AUP not signed"),
            nsay(
                "%(num)d of %(total)d official account",
                "%(num)d of %(total)d official accounts",
                f.aup_accounts_total,
                num=f.aup_unsigned_accounts,
                total=f.aup_accounts_total,
            ),
        ),
        (
            say("Policy reviews"),
            say(
                "%(overdue)d overdue, %(soon)d due soon",
                overdue=f.policies_overdue,
                soon=f.policies_due_soon,
            ),
        ),
        (say("Open reports"), f"{f.open_reports}{clocks}"),
        (say("Overdue duties"), str(f.overdue_duties)),
    ]


def _summary(f: DigestFigures) -> str:
    """One sentence for notification previews and fallbacks, in the active language."""
    attention = len([line for line in f.needs_attention if str(line).strip()])
    said = {
        "school": _clip(f.school_name, TITLE_CHARS),
        "week": f.week_key,
        "rate": pct(f.ack_rate),
        "target": pct(f.ack_target),
        "num": attention,
    }
    if not attention:
        return say(
            "Compliance digest for %(school)s, week %(week)s: %(rate)s of policies "
            "acknowledged (target %(target)s); nothing needs attention.",
            **said,
        )
    return nsay(
        "Compliance digest for %(school)s, week %(week)s: %(rate)s of policies acknowledged "
        "(target %(target)s); %(num)d item needs attention.",
        "Compliance digest for %(school)s, week %(week)s: %(rate)s of policies acknowledged "
        "(target %(target)s); %(num)d items need attention.",
        attention,
        **said,
    )


def _more_policies(hidden: int) -> str:
    """The line saying how many policies the card leaves to the dashboard."""
    return nsay(
        "…and %(num)d more policy on the dashboard.",
        "…and %(num)d more policies on the dashboard.",
        hidden,
    )


# --------------------------------------------------------------------------- Teams


def _headline_column(label: str, value: str, color: str) -> dict[str, Any]:
    """One big-number column of the headline ColumnSet."""
    return {
        "type": "Column",
        "width": "stretch",
        "items": [
            _text(value, size="ExtraLarge", weight="Bolder", color=color, spacing="None"),
            _text(label, isSubtle=True, size="Small", spacing="None"),
        ],
    }


def adaptive_card(f: DigestFigures) -> dict[str, Any]:
    """The digest as an Adaptive Card 1.5 for Teams (post it with `teams_workflow_payload`),
    every sentence in the active language; its message, as sent, within Teams' limit."""
    return _fitted(partial(_adaptive_card, f), TEAMS_POLICY_ROWS, _fits_teams)


def _fits_teams(card: dict[str, Any]) -> bool:
    """Whether ``card``'s Teams Workflows message, as sent, is within Teams' limit."""
    return len(sent_bytes(teams_workflow_payload(card))) <= TEAMS_MESSAGE_LIMIT


def _adaptive_card(f: DigestFigures, policy_rows: int) -> dict[str, Any]:
    """The Adaptive Card with at most `policy_rows` policy rows."""
    attention, more_attention = _attention(f)
    body: list[dict[str, Any]] = [
        _text(say("Weekly compliance digest"), size="Large", weight="Bolder", style="heading"),
        _text(
            say(
                "%(school)s · week %(week)s · %(day)s",
                school=_clip(f.school_name, TITLE_CHARS),
                week=f.week_key,
                day=Day(f.as_of),
            ),
            isSubtle=True,
            spacing="None",
        ),
        {
            "type": "ColumnSet",
            "spacing": "Medium",
            "columns": [
                _headline_column(
                    say("policies acknowledged"),
                    pct(f.ack_rate),
                    "Good" if f.ack_rate >= f.ack_target else "Warning",
                ),
                # One compliance target: training is held to the acknowledgement target too.
                _headline_column(
                    say("training up to date"),
                    pct(f.training_rate),
                    "Good" if f.training_rate >= f.ack_target else "Warning",
                ),
                _headline_column(
                    say("open reports"),
                    str(f.open_reports),
                    "Attention" if f.reports_with_running_clocks else "Default",
                ),
            ],
        },
        {
            "type": "FactSet",
            "spacing": "Medium",
            "facts": [{"title": label, "value": value} for label, value in _headlines(f)],
        },
    ]
    if attention:
        items = [_text(say("Needs attention"), weight="Bolder", color="Attention")]
        items += [_text(f"• {line}", spacing="Small") for line in attention]
        if more_attention:
            items.append(
                _text(say("…and %(num)d more on the dashboard.", num=more_attention), isSubtle=True)
            )
        body.append(
            {"type": "Container", "style": "attention", "spacing": "Medium", "items": items}
        )
    else:
        body.append(
            _text(say("Nothing needs attention this week."), color="Good", spacing="Medium")
        )
    shown, hidden = _worst_first(f, policy_rows)
    if shown:
        body.append(
            _text(
                say("Acknowledgement by policy (lowest first)"), weight="Bolder", spacing="Medium"
            )
        )
        body.append(
            {
                "type": "FactSet",
                "spacing": "Small",
                "facts": [
                    {"title": _clip(title, TITLE_CHARS), "value": pct(rate)}
                    for title, rate in shown
                ],
            }
        )
    if hidden:  # also when no row fits: the count, and the dashboard's button, stay
        body.append(_text(_more_policies(hidden), isSubtle=True, spacing="Small"))
    return new_card(
        body,
        actions=[
            {"type": "Action.OpenUrl", "title": say("Open dashboard"), "url": f.dashboard_url}
        ],
        fallback_text=_summary(f),
    )


# --------------------------------------------------------------------------- Google Chat

_CHAT_ICONS = ("DESCRIPTION", "BOOKMARK", "PERSON", "CLOCK", "TICKET", "EMAIL")


def _chat_message(f: DigestFigures, policy_rows: int) -> dict[str, Any]:
    """The Chat message with at most `policy_rows` policy rows, in the active language."""

    def esc(text: str) -> str:
        """Card text is HTML-formatted: a "<" in a title must stay text."""
        return html.escape(text, quote=False)

    headline_widgets: list[dict[str, Any]] = [
        {
            "decoratedText": {
                "topLabel": esc(label),
                "text": esc(value),
                "startIcon": {"knownIcon": icon},
                "wrapText": True,
            }
        }
        for (label, value), icon in zip(_headlines(f), _CHAT_ICONS, strict=True)
    ]
    attention, more_attention = _attention(f)
    if attention:
        lines = [f"• {esc(line)}" for line in attention]
        if more_attention:
            more = say("…and %(num)d more on the dashboard.", num=more_attention)
            lines.append(f"<i>{esc(more)}</i>")
        attention_section: dict[str, Any] = {
            "header": esc(say("Needs attention")),
            "widgets": [{"textParagraph": {"text": "<br>".join(lines)}}],
        }
    else:
        attention_section = {
            "widgets": [{"textParagraph": {"text": esc(say("Nothing needs attention this week."))}}]
        }
    sections: list[dict[str, Any]] = [
        {"header": esc(say("Headlines")), "widgets": headline_widgets},
        attention_section,
    ]
    shown, hidden = _worst_first(f, policy_rows)
    if shown or hidden:
        widgets: list[dict[str, Any]] = [
            {"decoratedText": {"text": esc(_clip(title, TITLE_CHARS)), "bottomLabel": pct(rate)}}
            for title, rate in shown
        ]
        if hidden:
            more = esc(_more_policies(hidden))
            widgets.append({"textParagraph": {"text": f"<i>{more}</i>"}})
        sections.append(
            {
                "header": esc(say("Acknowledgement by policy (lowest first)")),
                "collapsible": True,
                "uncollapsibleWidgetsCount": min(5, len(widgets)),
                "widgets": widgets,
            }
        )
    button = {"text": say("Open dashboard"), "onClick": {"openLink": {"url": f.dashboard_url}}}
    sections.append({"widgets": [{"buttonList": {"buttons": [button]}}]})
    header = {
        "title": say("Weekly compliance digest"),
        "subtitle": say(
            "%(school)s · week %(week)s", school=_clip(f.school_name, TITLE_CHARS), week=f.week_key
        ),
    }
    card = {"header": header, "sections": sections}
    return {
        # Chat reads "<users/all>" in message text as a mention: never pass angle brackets.
        "text": _summary(f).replace("<", "‹").replace(">", "›"),
        "cardsV2": [{"cardId": f"digest-{f.week_key}", "card": card}],
        "thread": {"threadKey": f"digest-{f.week_key}"},
    }


def _chat_joined(welsh: dict[str, Any], english: dict[str, Any]) -> dict[str, Any]:
    """A dual-language school's Chat message (``each_language``): the Welsh card's sections,
    then the English card's, under one header and one summary, each "Welsh / English"."""
    card, other = welsh["cardsV2"][0]["card"], english["cardsV2"][0]["card"]
    header = {key: both(said, other["header"][key]) for key, said in card["header"].items()}
    joined = {"header": header, "sections": card["sections"] + other["sections"]}
    return {
        **welsh,
        "text": both(welsh["text"], english["text"]),
        "cardsV2": [{**welsh["cardsV2"][0], "card": joined}],
    }


def chat_card(f: DigestFigures) -> dict[str, Any]:
    """The digest as a Google Chat webhook message (cardsV2), in the active language (in
    ``cy+en`` the Welsh card, then the English, joined once); the whole message, as sent,
    always under 32,000 bytes."""
    message = _fitted(
        lambda rows: each_language(partial(_chat_message, f, rows), _chat_joined),
        CHAT_POLICY_ROWS,
        _fits_chat,
    )
    if not _fits_chat(message):
        raise ValueError(f"the digest cannot fit a {CHAT_MESSAGE_LIMIT}-byte Chat message")
    return message


def _fits_chat(message: dict[str, Any]) -> bool:
    """Whether ``message``, as sent, is within Chat's limit."""
    return len(sent_bytes(message)) <= CHAT_MESSAGE_LIMIT


def _fitted(
    build: Callable[[int], dict[str, Any]], rows: int, fits: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """``build(rows)``, with fewer policy rows (the dashboard has them all) until it ``fits``:
    every string is clipped, so only a very long dashboard URL or very wide (multi-byte)
    rows bite; the card with no rows when even that does not fit."""
    message = build(rows)
    while not fits(message) and rows > 0:
        rows //= 2
        message = build(rows)
    return message


# --------------------------------------------------------------------------- plain text


def plain_text_digest(f: DigestFigures) -> str:
    """The digest as plain text, for the email fallback and the terminal, in the active
    language."""
    lines = [
        say("Weekly compliance digest — %(school)s", school=_clip(f.school_name, TITLE_CHARS)),
        say("Week %(week)s (as of %(day)s)", week=f.week_key, day=Day(f.as_of)),
        "",
    ]
    pairs = _headlines(f)
    width = max(len(label) for label, _value in pairs)
    lines += [f"{label + ':':<{width + 1}} {value}" for label, value in pairs]
    lines.append("")
    attention, more_attention = _attention(f)
    if attention:
        lines.append(say("Needs attention:"))
        lines += [f"  - {line}" for line in attention]
        if more_attention:
            lines.append("  " + say("…and %(num)d more on the dashboard.", num=more_attention))
    else:
        lines.append(say("Nothing needs attention this week."))
    shown, _more = _worst_first(f, len(f.per_policy))
    if shown:
        lines += ["", say("Acknowledgement by policy (lowest first):")]
        lines += [f"  {pct(rate):>4}  {_clip(title, TITLE_CHARS)}" for title, rate in shown]
    lines += ["", say("Dashboard: %(url)s", url=f.dashboard_url)]
    return "\n".join(lines) + "\n"
