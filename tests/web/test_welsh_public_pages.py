"""The school's language: what reporters, complainants, the people who read complaints
and anyone signing in see, in a Welsh-medium school, has no English left in it (the check of
``tests/core/test_i18n.py``: word by word, values the test filled in taken out).

Through the real app (SQLite, the outbox as sent): the public complaint form, its errors, its
received page, the acknowledgement and the readers' alert, the complaint recorded by staff and
the outcome emailed to the complainant; the sign-in pages and the sign-in email; the 401, 403
and 404 pages. Rendered directly: the expired and invalid link pages, the AUP signing page, the
reading-proof page. A dual-language (``cy+en``) school's visitor may choose one language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from bot.web.app import create_app
from tests.core.test_i18n import (
    POLICY,
    SCHOOL_NAME,
    _base,
    _english_left,
    _page,
    _person,
    _Visible,
    _words,
    school,
)
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.reports.test_support import PEOPLE, Env, TestClient, configure, csrf_of
from tests.features.reports.test_support import sync_people as _sync_people
from tests.support.helpers import SchoolBuilder, outbox_as_sent
from tests.support.speech import catalogue_in, in_language

DP_REF = re.compile(r"DP-\d{4}-[A-Z0-9]{5}")
REPORT_REF = re.compile(r"CR-\d{4}-[A-Z0-9]{4,6}")
LINK = re.compile(r"http://testserver/signin/link/([A-Za-z0-9_-]+)")
CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")
COMPLAINT = "Anfonwyd adroddiad ysgol fy mab at riant arall."  # what the complainant wrote
OUTCOME = "Rydym wedi ymddiheuro ac wedi newid y drefn."
# what the test (or the directory) filled in: names, addresses, the complaint's own words
OURS = (
    *(p.name for p in PEOPLE),
    *(p.name.split()[0] for p in PEOPLE),
    *(p.email for p in PEOPLE),
    "pat@home.example",
    "Pat Parent",
    COMPLAINT,
    OUTCOME,
)


def _left(texts: list[str], english: set[str]) -> list[str]:
    """``_english_left`` with this module's own filled-in values (and references) taken out."""
    plain = []
    for text in texts:
        for value in OURS:
            text = text.replace(value, " ")
        plain.append(DP_REF.sub(" ", CODE.sub(" ", text)))
    return _english_left(plain, english)


def _html(text: str) -> tuple[str | None, list[str]]:
    parser = _Visible()
    parser.feed(text)
    return parser.lang, parser.texts


def _email_texts(row: Any) -> list[str]:
    lang, texts = _html(row.payload["html"])
    assert lang == "cy", row.subject
    return [row.subject, *texts, *row.payload["text"].splitlines()]


@pytest.fixture(scope="module")
def welsh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A Welsh-medium school in Wales (``language: cy``) with the usual people, not the demo:
    people sign in with an emailed link."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("cy-b") / "school")
    configure(builder)
    in_language("cy", lambda: builder.school.update(name=SCHOOL_NAME, country="wales"))
    context = builder.context(None, base_url="http://testserver")
    _sync_people(context)
    made = Env(context=context, app=create_app(context.settings, context), builder=builder)
    yield made
    context.store.dispose()


def _sign_in(env: Env, email: str) -> TestClient:
    """A client signed in as ``email`` by the emailed link (the sign-in pages and email are
    checked on the way)."""
    client = env.client()
    page = client.get("/signin/email")
    data = {"email": email, "csrf_token": csrf_of(page.text), "next": ""}
    sent = client.post("/signin/email", data=data)
    assert sent.status_code == 200, sent.text
    rows = [r for r in outbox_as_sent(env.context.store, "signin_link") if r.recipients == [email]]
    [token] = LINK.findall(rows[-1].payload["text"])
    page = client.get(f"/signin/link/{token}")
    done = client.post(
        "/signin/link",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return client


# --------------------------------------------------------------------------- complaints


# --------------------------------------------------------------------------- sign-in, errors


@pytest.mark.parametrize("language", ["en", "cy"])
def test_an_error_naming_a_persons_own_text_with_a_percent_sign_renders(language: str) -> None:
    """An error's detail can carry what the person sent (a file's name): a "%" in it is theirs,
    shown as it is, never read as a format (the fuzzed report form found a 500 here)."""
    message = "The file '%PDF 100%.pdf' could not be read."
    lang, texts = _page("error.html", {**_base(None), "status": 400, "message": message}, language)
    assert lang == {"en": "en-GB", "cy": "cy"}[language] and message in texts


@pytest.mark.parametrize("name", ["link_invalid.html", "link_expired.html"])
def test_the_link_pages_are_welsh(name: str, english_words: set[str]) -> None:
    lang, texts = _page(name, {**_base(None), "token": "x", "purpose": "ack"})
    assert lang == "cy" and not _english_left(texts, english_words)


# --------------------------------------------------------------------------- AUP and reading


def _link_context(user: SimpleNamespace) -> dict[str, Any]:
    return {
        **_base(user),
        "person": user,
        "policy": SimpleNamespace(title=POLICY),
        "version": SimpleNamespace(
            id=7, label="3.1", document_name="diogelu.pdf", statement="Rwyf wedi darllen."
        ),
        "duty": SimpleNamespace(due_on=date(2026, 9, 15)),
        "overdue": True,
        "token": "x",
        "shown": SimpleNamespace(kind="pdf", pages=["Testun"], heights=[1400], html="", problem=""),
        "doc_query": "",
        "download_url": "/documents/7",
        "document_size": "120 KB",
    }


@pytest.mark.parametrize("stage", ["reading", "check", "confirm"])
def test_the_reading_proof_page_is_welsh(stage: str, english_words: set[str]) -> None:
    from bot.features.policies.proof import Section

    parts = [Section(f"Page {n}", "<p>Testun</p>", n) for n in (1, 2, 3)]
    read = SimpleNamespace(
        seen={1}, total=3, read_all=stage != "reading", passed=stage == "confirm", attempts=1
    )
    question = SimpleNamespace(question="Pwy yw'r PDD?", choices=["Alys", "Neb"])
    context = {
        **_link_context(_person("staff")),
        "section": parts[0],
        "page": 1,
        "parts": parts,
        "read": read,
        "proof": SimpleNamespace(questions=[question, question], needed=2),
        "every_page": True,
        "error": None,
        "result": None,
    }
    lang, texts = _page("ack_read.html", context)
    assert lang == "cy" and not _english_left(texts, english_words)
    assert "Tudalen 2" in " ".join(texts)
    _, english = _page("ack_read.html", {**context, **_base(_person("staff"), "en")}, "en")
    assert any("3 pages · you have seen" in t for t in english), english


# --------------------------------------------------------------------------- a visitor's choice


def _visitor(query: str = "", accept: str = "", session: dict[str, str] | None = None) -> Request:
    headers = [(b"accept-language", accept.encode())] if accept else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/report",
            "query_string": query.encode(),
            "headers": headers,
            "session": {} if session is None else session,
        }
    )


def _school_fields() -> dict[str, Any]:
    return {
        "id": "bro-derw",
        "name": SCHOOL_NAME,
        "country": "wales",
        "headteacher": "pennaeth@brodderw.example",
    }


def test_the_catalogue_covers_set_b_with_every_plural_form(catalogue: Any) -> None:
    tr = catalogue_in("cy")
    assert catalogue_in("cy+en").gettext("Send the complaint") == (
        "Anfon y gŵyn / Send the complaint"
    )
    one = tr.ngettext(
        "%(count)s question; %(needed)s right answers are needed.",
        "%(count)s questions; %(needed)s right answers are needed.",
        1,
    )
    assert one % {"count": 1, "needed": 1} == "Un cwestiwn; mae angen 1 ateb cywir."
    ours = [m for m in catalogue if m.id and "cy.ico.org.uk" in " ".join(m.user_comments)]
    assert len(ours) >= 10 and not any(m.fuzzy for m in ours)


# --------------------------------------------------------------------------- the DSL's alerts


def test_the_clock_rules_read_in_welsh_and_in_english_as_before() -> None:
    from bot.core.config import ClockRule
    from bot.features.reports.rules import describe_clock

    tr = catalogue_in("cy")
    hours = ClockRule(hours=24, out_of_hours="next_working_day")
    assert in_language(tr, lambda: describe_clock(hours)).startswith(
        "24 awr; os caiff ei wneud y tu allan"
    )
    day = ClockRule(school_days=1)
    assert describe_clock(day, time(17)) == (
        "one school day, ending at the end of the school day (17:00); weekends, bank holidays "
        "and the school's holidays are not counted"
    )
    assert describe_clock(ClockRule(working_days=3, end_of_day=False)) == (
        "three working days, at the time of day it started; school holidays do not stop it"
    )


@pytest.mark.parametrize(("kind", "stage"), [("lado", 1), ("ico", 3), ("triage", 9)])
def test_the_deadline_emails_are_welsh_with_the_countdown_written_when_sent(
    english_words: set[str], catalogue: Any, kind: str, stage: int
) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.core.live_text import fill_time_left
    from bot.features.reports.clocks import _draft

    due = datetime(2026, 9, 18, 16, 0, tzinfo=UTC)
    report = SimpleNamespace(reference="CR-2026-7KQ3M", category="cyberbullying", urgency="high")
    clock = SimpleNamespace(kind=kind, due_at=due)
    held_back = set().union(
        *(
            _words(" ".join(m.id) if isinstance(m.id, tuple) else m.id)
            for m in catalogue
            if m.fuzzy and m.id
        )
    )
    for language, sent in (("cy", due - timedelta(hours=5)), ("cy+en", due + timedelta(hours=2))):
        draft = _draft(school(language), report, clock, stage, "https://bot.example/r", ["a@x"])
        text = fill_time_left(draft.text, draft.deadline, sent)
        assert "\u2063" not in text
        if language == "cy+en":  # Welsh first, then the English, each its own countdown
            assert "roedd y terfyn amser wedi mynd heibio 2 awr ynghynt" in text
            assert "the deadline had passed 2 hours earlier" in text
            continue
        assert "roedd 5 awr ar ôl" in text and "Dydd Gwener 18 Medi 2026, 17:00" in text
        _, texts = _html(fill_time_left(draft.html, draft.deadline, sent))
        texts = [REPORT_REF.sub(" ", t) for t in (draft.subject, *texts, *text.splitlines())]
        assert not _english_left(texts, english_words - held_back), draft.subject


