"""The school's language beyond the reminders (#57, set A): what the head, the governors and a
line manager read — the "well overdue" and "chasing has stopped" emails, the review-date
changes and their calendar entries, the task pages, the governors' report — has no English
left in it when the school writes Welsh (``cy``), shows both in a dual-language school
(``cy+en``), and reads exactly as before in English.

The check is ``tests/core/test_i18n.py``'s, word by word: the values this test fills in (names,
titles, dates) are taken out, and any word left that English uses and Welsh does not fails.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from icalendar import Calendar

from bot.core.outbox import EmailDraft
from tests.core.test_i18n import (
    PERSON,
    POLICY,
    _english_left,
    _Visible,
    catalogue,  # noqa: F401 - the module-scoped fixture english_words reads
    english_words,  # noqa: F401 - a fixture
    school,
)

MANAGER = "rheolwr@brodderw.example"
OTHER = "Gwyn Prys"
NOW = datetime(2026, 9, 16, 8, tzinfo=UTC)


def _email_texts(draft: EmailDraft, *filled: str) -> tuple[str | None, list[str]]:
    """The email's language and every line a person reads (subject, HTML, text), with the
    values the test filled in taken out."""
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    texts = [draft.subject, *parser.texts, *text.splitlines()]
    for value in (MANAGER, OTHER, *filled):
        texts = [t.replace(value, " ") for t in texts]
    return parser.lang, texts


# --------------------------------------------------------------------------- line managers


def _talk(n: int, kind: str, last: date | None) -> Any:
    from bot.engine.chasing import Conversation

    return Conversation(
        duty_id=n,
        person_name=PERSON if n % 2 else OTHER,
        person_email=f"p{n}@brodderw.example",
        item=POLICY,
        due_on=date(2026, 9, 1),
        reminders_sent=n + 4,
        last_reminded_on=last,
        told_on=None,
        kind=kind,
    )


KINDS = (
    "acknowledge_policy",
    "reading_campaign",
    "sign_aup",
    "complete_training",
    "recurring_task",
)


@pytest.mark.parametrize("count", [1, 2, 5])
@pytest.mark.parametrize("last", [None, date(2026, 9, 15)])
def test_the_chasing_stopped_email_is_welsh(
    english_words: set[str],  # noqa: F811 - the fixture
    count: int,
    last: date | None,
) -> None:
    from bot.engine.chasing import _draft

    talks = [_talk(n + 1, KINDS[n], last) for n in range(count)]
    lang, texts = _email_texts(_draft(school("cy"), MANAGER, talks))
    assert lang == "cy"
    assert not _english_left(texts, english_words)


def test_the_chasing_stopped_email_in_english_is_as_before() -> None:
    from bot.engine.chasing import _draft

    english = school("en")
    one = _draft(english, MANAGER, [_talk(1, "sign_aup", date(2026, 9, 15))])
    assert one.subject == f"Chasing has stopped for {PERSON}: please talk to them"
    assert (
        f"{PERSON} has had 5 reminders about {POLICY}, the last on Tuesday 15 September 2026, "
        "and it is still not done. The bot will not remind them about it again."
    ) in one.parts()[0]
    same = _draft(english, MANAGER, [_talk(1, "sign_aup", None), _talk(3, "sign_aup", None)])
    assert same.subject == f"Chasing has stopped for {PERSON}: please talk to them about 2 items"
    assert f"Please talk to {PERSON} about it. They run one" in same.parts()[0]
    two = _draft(english, MANAGER, [_talk(1, "sign_aup", None), _talk(2, "sign_aup", None)])
    assert two.subject == f"Chasing has stopped for {PERSON} and {OTHER}: please talk to them"
    assert f"{OTHER}: {POLICY} (was due Tuesday 1 September 2026; 6 reminders)." in two.parts()[0]


@pytest.mark.parametrize("names", [[PERSON], [PERSON, OTHER]])
def test_the_well_overdue_email_to_a_line_manager_is_welsh(
    english_words: set[str],  # noqa: F811 - the fixture
    names: list[str],
) -> None:
    from bot.engine.reminder_words import told_draft

    draft = told_draft(school("cy"), MANAGER, {name: [POLICY] for name in names})
    lang, texts = _email_texts(draft)
    assert lang == "cy"
    assert not _english_left(texts, english_words)
    english = told_draft(school("en"), MANAGER, {name: [POLICY] for name in names})
    assert english.subject == ("Well overdue: " + (PERSON if len(names) == 1 else "2 people"))


def test_a_dual_language_line_manager_reads_welsh_then_english() -> None:
    from bot.engine.reminder_words import told_draft

    draft = told_draft(school("cy+en"), MANAGER, {PERSON: [POLICY]})
    assert draft.subject == f"Hwyr iawn: {PERSON} / Well overdue: {PERSON}"


# --------------------------------------------------------------------------- review dates


def _policy(due: date | None) -> SimpleNamespace:
    return SimpleNamespace(
        key="diogelu",
        title=POLICY,
        approving_body="governing body",
        next_review_due=due,
        review_cycle_months=12,
    )


@pytest.mark.parametrize(
    "moved", [[date(2026, 11, 2)], [None], [date(2026, 11, 2), None]], ids=["moved", "gone", "2"]
)
def test_a_review_date_change_and_its_calendar_entry_are_welsh(
    english_words: set[str],  # noqa: F811 - the fixture
    moved: list[date | None],
) -> None:
    from bot.features.policies.alerts import Move, _draft

    welsh = school("cy")
    moves = [Move(_policy(due), date(2026, 10, 1), 1) for due in moved]  # type: ignore[arg-type]
    draft = _draft(welsh, moves, "gov@brodderw.example", NOW)
    lang, texts = _email_texts(
        draft, "gov@brodderw.example", "Dydd Iau 1 Hydref 2026", "Dydd Llun 2 Tachwedd 2026"
    )
    assert lang == "cy"
    assert not _english_left(texts, english_words)
    for attachment in draft.attachments:
        event = Calendar.from_ical(attachment.data).walk("VEVENT")[0]
        shown = [str(event["summary"]), str(event["description"])]
        shown += [str(c) for c in event["categories"].cats]
        shown = [t.replace("Ysgol Gymraeg Bro Derw", " ") for t in shown]
        assert str(event["summary"]) == f"Adolygiad polisi yn ddyledus: {POLICY}"
        assert not _english_left(shown, english_words)


def test_a_review_date_change_in_english_is_as_before() -> None:
    from bot.features.policies.alerts import Move, _draft

    move = Move(_policy(date(2026, 11, 2)), date(2026, 10, 1), 1)  # type: ignore[arg-type]
    draft = _draft(school("en"), [move], "gov@brodderw.example", NOW)
    assert draft.subject == f"Policy review date changed: {POLICY}"
    assert (
        f"The next review of the {POLICY} by the governing body is now due by Monday 2 November "
        "2026, not Thursday 1 October 2026; the attached calendar entry moves the event already "
        "in your calendar."
    ) in draft.parts()[0]
    event = Calendar.from_ical(draft.attachments[0].data).walk("VEVENT")[0]
    assert str(event["summary"]) == f"Policy review due: {POLICY}"
    assert str(event["description"]).startswith(
        f"Ysgol Gymraeg Bro Derw: the {POLICY} is due for review and ratification by the "
        "governing body (every 12 months). After the meeting"
    )
