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

from bot.core.config import SchoolConfig
from bot.engine.web.deps import language_for_page
from bot.web.app import create_app
from tests.core.test_i18n import (
    POLICY,
    SCHOOL_NAME,
    _base,
    _card_texts,
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
    builder.school.update(name=SCHOOL_NAME, country="wales", language="cy")
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

    from bot.core.language.live_text import fill_time_left
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


# from tests/core/test_i18n_set_b.py (main)
def test_a_complaint_recorded_by_staff_and_its_outcome_email_are_welsh(
    welsh: Env, english_words: set[str]
) -> None:
    amy = _sign_in(welsh, "amy@oak.example")
    page = amy.get("/complaints/new")
    lang, texts = _html(page.text)
    assert page.status_code == 200 and lang == "cy"
    assert not _left(texts, english_words)
    # not a reader: the refusal is Welsh, naming the readers in Welsh
    refused = amy.get("/complaints")
    lang, texts = _html(refused.text)
    assert refused.status_code == 403 and lang == "cy"
    assert not _left(texts, english_words)
    assert any("y swyddog diogelu data a'r pennaeth" in t for t in texts), texts
    sent = amy.post(
        "/complaints/new",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Pat Parent",
            "email": "pat@home.example",
            "relationship": "parent",
            "channel": "letter",
            "received": date.today().isoformat(),
            "text": COMPLAINT,
        },
    )
    lang, texts = _html(sent.text)
    assert sent.status_code == 200 and lang == "cy"
    assert not _left(texts, english_words)
    (reference,) = set(DP_REF.findall(sent.text))
    dpo = _sign_in(welsh, "dpo@oak.example")
    # the readers' pages: the list and the complaint, before and after its outcome
    for path in ("/complaints", f"/complaints/{reference}", "/complaints/counts?period=month"):
        lang, texts = _html(dpo.get(path).text)
        assert lang == "cy" and not _left(texts, english_words), path
    token = csrf_of(dpo.get(f"/complaints/{reference}").text)
    done = dpo.post(
        f"/complaints/{reference}",
        data={"csrf_token": token, "action": "outcome", "outcome": OUTCOME},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    [outcome] = [r for r in welsh.outbox("complaint_outcome") if reference in r.payload["text"]]
    assert OUTCOME in outcome.payload["text"] and COMPLAINT not in outcome.payload["text"]
    assert not _left(_email_texts(outcome), english_words)
    for path in ("/complaints", f"/complaints/{reference}"):
        lang, texts = _html(dpo.get(path).text)
        assert lang == "cy" and not _left(texts, english_words), path


# from tests/core/test_i18n_set_b.py (main)
def test_a_visitor_of_a_dual_language_school_chooses_within_what_the_school_allows() -> None:
    both = {"school": school("cy+en"), "user": None}
    assert language_for_page(_visitor(), both) == "cy+en"  # Welsh first, English beside it
    assert language_for_page(_visitor(accept="en-GB,en;q=0.9"), both) == "cy+en"
    assert language_for_page(_visitor(accept="cy-GB,cy;q=0.9,en;q=0.8"), both) == "cy"
    assert language_for_page(_visitor(accept="en-GB;q=0.5,cy;q=0.9"), both) == "cy"
    kept: dict[str, str] = {}
    assert language_for_page(_visitor("lang=en", session=kept), both) == "en"
    assert language_for_page(_visitor(accept="cy", session=kept), both) == "en"  # kept
    # a Welsh-only or English-only school's pages are in its language whatever is asked
    for language, asked in (("cy", "lang=en"), ("en", "lang=cy")):
        only = {"school": SchoolConfig.model_validate({**_school_fields(), "language": language})}
        assert language_for_page(_visitor(asked, accept="cy"), {**only, "user": None}) == language
    # a signed-in person reads their own choice (``/me``), not the visitor's
    person = SimpleNamespace(school_id="bro-derw", language="cy")
    assert language_for_page(_visitor("lang=en"), {**both, "user": person}) == "cy"


# from tests/core/test_i18n_set_b.py (main)
@pytest.mark.parametrize(
    ("path", "status"), [("/nothing-here", 404), ("/complaints", 401), ("/complaint/nope", 404)]
)
def test_error_pages_are_welsh(welsh: Env, english_words: set[str], path: str, status: int) -> None:
    answer = welsh.client().get(path)
    lang, texts = _html(answer.text)
    assert answer.status_code == status and lang == "cy"
    assert not _left(texts, english_words), texts


# from tests/core/test_i18n_set_b.py (main)
def test_the_aup_page_and_its_consent_are_welsh(english_words: set[str]) -> None:
    from bot.features.policies.api import aup_consent

    user = _person("staff")
    for overdue, errors in ((True, []), (False, ["Ticiwch y blwch i gadarnhau."])):
        context = {
            **_link_context(user),
            "overdue": overdue,
            "errors": errors,
            "accounts": ["Cyfrif Facebook yr ysgol"],
            "consent": in_language("cy", lambda: aup_consent(POLICY, "3.1")),
        }
        lang, texts = _page("aup.html", context)
        assert lang == "cy" and not _english_left(texts, english_words)
        assert any("erbyn dydd Mawrth 15 Medi 2026" in t for t in texts)
    assert aup_consent(POLICY, "3.1").startswith(f"I have read the {POLICY} (version 3.1).")


# from tests/core/test_i18n_set_b.py (main)
def test_the_dsl_alert_email_and_teams_card_are_welsh_and_say_nothing_reported(
    welsh: Env, english_words: set[str], catalogue: Any
) -> None:
    from bot.features.reports.chat_alerts import concern_cards

    what = "Negeseuon cas mewn grŵp sgwrsio."
    sent = welsh.submit(welsh.client(), what_happened=what, urgency="immediate")
    assert sent.status_code in (200, 303), sent.text
    rows = welsh.outbox("report_alert")
    emails = [r for r in rows if "html" in r.payload]
    assert emails, [r.payload for r in rows]
    # terms not yet confirmed in Welsh (the DSP's title, triage) stay English: counted, never
    # any other English
    held_back = set().union(
        *(
            _words(" ".join(m.id) if isinstance(m.id, tuple) else m.id)
            for m in catalogue
            if m.fuzzy and m.id
        )
    )
    for row in emails:
        assert what not in row.payload["text"] and "Pat Parent" not in row.payload["text"]
        texts = _email_texts(row)
        assert row.subject.startswith("Adroddiad newydd CR-")
        left = _left([REPORT_REF.sub(" ", t) for t in texts], english_words - held_back)
        assert not left, left
    card = in_language(
        "cy",
        lambda: concern_cards(SCHOOL_NAME, "CR-2026-7KQ3M", "Immediate", "https://bot.example/r")[
            0
        ],
    )
    texts = [t.replace("CR-2026-7KQ3M", " ") for t in _card_texts(card)]
    assert not _english_left(texts, english_words)
    assert _card_texts(card)[1] == f"Brys: Ar unwaith · {SCHOOL_NAME}"
    english = concern_cards(SCHOOL_NAME, "CR-2026-7KQ3M", "Immediate", "https://bot.example/r")[0]
    assert _card_texts(english)[:2] == [
        "New report CR-2026-7KQ3M",
        f"Immediate urgency · {SCHOOL_NAME}",
    ]


# from tests/core/test_i18n_set_b.py (main)
def test_the_offices_school_details_page_is_welsh(welsh: Env, english_words: set[str]) -> None:
    from bot.core.nations import NATIONS, country_name

    head = _sign_in(welsh, "head@oak.example")
    page = head.get("/admin/school")
    lang, texts = _html(page.text)
    assert page.status_code == 200 and lang == "cy"
    # each nation and each language is named as its own people write it (not yet in Welsh:
    # the nations' names are the packs' own), so those names are taken out
    names = sorted({country_name(c) for c in NATIONS} | {"English"}, key=len, reverse=True)
    for name in names:
        texts = [t.replace(name, " ") for t in texts]
    assert not _left(texts, english_words)
    assert "Manylion yr ysgol" in texts


# from tests/core/test_i18n_set_b.py (main)
def test_the_public_complaint_form_its_errors_and_received_page_are_welsh(
    welsh: Env, english_words: set[str]
) -> None:
    client = welsh.client()
    form = client.get("/complaint/oak")
    lang, texts = _html(form.text)
    assert form.status_code == 200 and lang == "cy"
    assert not _left(texts, english_words)
    assert "Gwneud cwyn diogelu data" in texts
    token = csrf_of(form.text)
    empty = client.post("/complaint/oak", data={"csrf_token": token})
    lang, texts = _html(empty.text)
    assert empty.status_code == 422 and lang == "cy"
    assert "Rhowch eich enw, fel y gall yr ysgol ymateb i chi." in texts
    assert not _left(texts, english_words)
    fields = {
        "csrf_token": token,
        "name": "Pat Parent",
        "email": "pat@home.example",
        "relationship": "parent",
        "text": COMPLAINT + " He was assaulted.",  # reads like a safeguarding concern
    }
    asked = client.post("/complaint/oak", data=fields)
    lang, texts = _html(asked.text)
    assert asked.status_code == 200 and 'id="safeguarding"' in asked.text
    texts = [t.replace("He was assaulted.", " ") for t in texts]  # the textarea's own words
    assert not _left(texts, english_words)
    received = client.post("/complaint/oak", data={**fields, "text": COMPLAINT})
    lang, texts = _html(received.text)
    assert received.status_code == 200 and lang == "cy" and "Cwyn wedi dod i law" in texts
    assert not _left(texts, english_words)
    # the complainant's acknowledgement and the readers' alert (no content in either)
    (reference,) = set(DP_REF.findall(received.text))
    [ack] = [r for r in welsh.outbox("complaint_ack") if reference in r.payload["text"]]
    [alert] = [r for r in welsh.outbox("complaint_alert") if reference in r.payload["text"]]
    for row in (ack, alert):
        assert COMPLAINT not in row.payload["text"]
        assert not _left(_email_texts(row), english_words), row.subject
    assert ack.subject.startswith("Mae eich cwyn diogelu data DP-")
    assert "Swyddfa'r Comisiynydd Gwybodaeth (ICO)" in ack.payload["text"]


# from tests/core/test_i18n_set_b.py (main)
def test_the_sign_in_pages_and_email_are_welsh(welsh: Env, english_words: set[str]) -> None:
    client = welsh.client()
    for path in ("/signin/email", "/signin/code"):
        lang, texts = _html(client.get(path).text)
        assert lang == "cy" and not _left(texts, english_words), path
    page = client.get("/signin/email")
    sent = client.post(
        "/signin/email",
        data={"email": "dsl@oak.example", "csrf_token": csrf_of(page.text), "next": ""},
    )
    lang, texts = _html(sent.text)
    assert lang == "cy" and "Edrychwch ar eich e-bost" in texts
    assert not _left(texts, english_words)
    rows = [r for r in welsh.outbox("signin_link") if r.recipients == ["dsl@oak.example"]]
    assert not _left(_email_texts(rows[-1]), english_words)
    assert "am 15 munud" in rows[-1].payload["text"]
    [token] = LINK.findall(rows[-1].payload["text"])
    lang, texts = _html(client.get(f"/signin/link/{token}").text)
    assert lang == "cy" and not _left(texts, english_words)
