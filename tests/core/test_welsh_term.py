"""A Welsh school's whole autumn term, read as its staff and governors read it (#78): the
fortnight of ``test_welsh_reader`` brings every kind of message once; a term brings them again
and again, at other dates and counts (every weekday's and month's name, the reminders' plurals,
the review's approach and its lapse, the weekly digests, a new policy version half way).

The same school (``test_welsh_reader._env``: a school in Wales with its people, policy,
training, weekly task and course named in Welsh) is swept every day from Tuesday 1 September
to Sunday 20 December 2026, its policy republished on Monday 2 November. Every email queued
and every card is read with the reader's own checks: a ``cy`` school's say no English but what
the school wrote; a ``cy+en`` school's each say the whole message in Welsh, then the whole of
it in English (``lang="en"``), no Welsh date, title or word in the English half, no English in
the Welsh, nothing joined "Welsh / English" inside either (a value said twice), and the
subject "Welsh / English" once; then each role's pages at a fixed address, at the term's end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from tests.core.test_welsh_reader import (
    ROLES,
    Catalogue,
    _as_sent,
    _both,
    _card_texts,
    _english,
    _env,
    _halves,
    _unknown,
    _visible,
    _where,
    catalogue,
)
from tests.features.reports.test_support import Env
from tests.support.helpers import at, outbox_as_sent
from tests.support.told_school import sweep_on
from tests.web.test_nation_words import _pages

__all__ = ["catalogue"]  # the reader's fixture, shared

TERM = [date(2026, 9, 1) + timedelta(days=n) for n in range(111)]  # to Sunday 20 December
REPUBLISHED = date(2026, 11, 2)


@pytest.fixture(scope="module", params=["cy", "cy+en"])
def term(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Env]:
    """The school swept every day of the term, its policy republished half way."""
    env = _env(tmp_path_factory.mktemp("term") / "school", request.param)
    try:
        before = [day for day in TERM if day < REPUBLISHED]
        sweep_on(env, before)
        builder = env.builder
        (entry,) = builder.school["policies"]
        entry.update(version="2026.2", published=REPUBLISHED.isoformat())
        (builder.home / entry["document"]).write_text(
            f"# {entry['title']}\n\nFersiwn 2026.2\n", encoding="utf-8"
        )
        builder.write()
        env.context.forget_config()
        sweep_on(env, [day for day in TERM if day >= REPUBLISHED])
        yield env
    finally:
        env.context.store.dispose()


def _sent(env: Env, channels: tuple[str, ...]) -> list[Any]:
    return [_as_sent(row) for row in outbox_as_sent(env.context.store) if row.channel in channels]


def test_the_term_sends_its_messages_again_at_other_dates(term: Env) -> None:
    emails = _sent(term, ("email",))
    purposes = {row.purpose for row in emails}
    print(f"{term.school.language} term: {len(emails)} emails, purposes {sorted(purposes)}")
    assert {"reminder", "governor_review", "digest", "task_missed"} <= purposes
    months = {row.created_at.month for row in emails}
    assert months >= {9, 10, 11, 12}, months
    assert any("2026.2" in row.payload["text"] for row in emails), "the new version not asked"


def test_every_email_of_the_term_is_welsh_and_each_half_in_one_language(
    term: Env, catalogue: Catalogue
) -> None:
    left = []
    for row in _sent(term, ("email",)):
        if term.school.language == "cy+en":
            left += [f"{row.purpose} {row.created_at:%d %b}: {t}" for t in _halves(row, catalogue)]
            continue
        lang, html = _visible(row.payload["html"])
        assert lang in (None, "cy"), (row.purpose, lang)
        texts = [row.subject, *html, *row.payload["text"].splitlines()]
        left += [f"{row.purpose} {row.created_at:%d %b}: {t!r}" for t in _english(texts, catalogue)]
    assert not left, "\n".join(left[:40])


def test_every_card_of_the_term_is_welsh(term: Env, catalogue: Catalogue) -> None:
    check = _both if term.school.language == "cy+en" else _english
    found = []
    for row in _sent(term, ("card", "teams")):
        texts = [row.subject, row.payload.get("text", ""), *_card_texts(row.payload)]
        found += [(f"card {row.purpose}", text) for text in check(texts, catalogue)]
    left = _unknown(found, set())
    assert not left, "\n".join(left[:40])


def test_every_page_at_the_terms_end_is_welsh(term: Env, catalogue: Catalogue) -> None:
    check = _both if term.school.language == "cy+en" else _english
    found = []
    with time_machine.travel(at(TERM[-1], 12, 0), tick=False):
        for who in ROLES:
            with term.client(who) as client:
                for path in _pages(term):
                    lang, texts = _visible(client.get(path).text)
                    if lang is None:  # a file or a bare answer, not a page
                        continue
                    assert lang == "cy", (who, path)
                    where = _where(f"{who} {path}")
                    found += [(where, text) for text in check(texts, catalogue)]
    left = _unknown(found, set())
    assert not left, "\n".join(left[:40])
