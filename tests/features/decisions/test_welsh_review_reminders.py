"""A decision's review reminder in a Welsh-medium school: the email in Welsh (no English left
but what was filled in, the pack's own words), and its subject's days in their plural form in
each language, English as it always read."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.language.i18n import BETWEEN, said_in
from bot.core.language.words import human_date
from bot.features.decisions.rules import review_subject
from bot.features.decisions.service import plan_decision_reminders
from tests.core.test_i18n import _english_left, _Visible
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import PEOPLE, Env, record_welsh_decision
from tests.support.helpers import at
from tests.support.welsh_school import TODAY
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env

REVIEW_ON = date(2026, 11, 30)  # a Monday, a week after the decision
FILLED = sorted(
    {*(p.name for p in PEOPLE), *(p.email for p in PEOPLE), *(p.title for p in PEOPLE if p.title),
     "Oak Test School", "Mae'n perthyn i ddisgybl", "Mae'r teulu'n ffrindiau", "DEC-0001", "MB"},
    key=len, reverse=True,
)  # fmt: skip


def test_the_decision_review_email_is_welsh(env: Env, english_words: set[str]) -> None:
    record_welsh_decision(env.client("head"), TODAY, REVIEW_ON)
    with env.context.store.transaction() as session:
        planned = plan_decision_reminders(
            session, env.school, REVIEW_ON, at(REVIEW_ON, 10), write=True,
            base_url="http://testserver",
        )  # fmt: skip
    assert planned and planned[0].queued
    (row,) = env.outbox("decision_review")
    assert row.subject == "Adolygiad i'w wneud heddiw: penderfyniad DEC-0001"
    parser = _Visible()
    parser.feed(row.payload["html"])
    assert parser.lang == "cy"
    texts = [row.subject, row.payload["text"], *parser.texts]
    for value in FILLED:
        texts = [text.replace(value, " ") for text in texts]
    assert _english_left(texts, english_words) == []
    text = row.payload["text"]
    assert "Dydd Llun 30 Tachwedd 2026" in text and "Perthynas sy'n bodoli eisoes" in text
    assert "DSP" in text  # the Welsh pack's own word


@pytest.mark.parametrize("days", [0, 1, 2, 3, 6, 9])
def test_the_review_subject_says_its_days_in_their_plural_form(days: int) -> None:
    today = date(2026, 11, 2)
    due = date.fromordinal(today.toordinal() + days)
    subject = review_subject("due", due, today, "DEC-0007")
    english = said_in("en", subject)
    assert english == (
        "Review due today: decision DEC-0007"
        if days == 0
        else f"Review due in {days} day{'s' if days != 1 else ''}: decision DEC-0007"
    )
    welsh = said_in("cy", subject)
    assert welsh.startswith("Adolygiad") and welsh.endswith("penderfyniad DEC-0007")
    assert said_in("cy+en", subject) == f"{welsh}{BETWEEN}{english}"
    late = said_in("en", review_subject("overdue:1", due, today, "DEC-0007"))
    assert late == f"Overdue review: decision DEC-0007 (was due {human_date(due)})"
