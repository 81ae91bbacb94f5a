"""The school's language: the rooms staff and visitors meet beyond the reminders — the
official accounts, the decisions register, the people register and the MIS page, the policy
register and a policy read on screen, the visitors' page, its thank-you and the reception
poster, the demo sign-in — and the sentences built in Python for them (form errors, refusals,
the saved notes, role names).

A Welsh-medium school is built once for the module and its pages are fetched through the real
app by each kind of person who opens them (a visitor, staff, a governor, the DSP, the head);
each must be ``<html lang="cy">`` with no English left (the check of ``tests/core/test_i18n.py``:
word by word, the values the test filled in taken out). A dual-language school shows both, and
an English school reads exactly as before (its own tests cover each page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from babel.messages.pofile import read_po

from bot.core.language import i18n
from bot.core.language.words import school_words
from bot.features.decisions.rules import DecisionInputError, validate_decision, validate_review
from bot.features.people.rules import parse_entry
from bot.features.visitors.rules import (
    DEFAULT_VISITOR_RULES,
    VisitInputError,
    rules_sha256,
    validate_visit,
    visitor_rules,
)
from tests.core.test_i18n import (
    PERSON,
    PO,
    POLICY,
    SCHOOL_NAME,
    _base,
    _english_left,
    _page,
    _person,
    _Visible,
    school,
)
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import (
    PEOPLE,
    Env,
    csrf_of,
    make_env,
    record_welsh_decision,
)
from tests.support.helpers import SchoolBuilder, at
from tests.support.speech import catalogue_in, in_language

TODAY = date(2026, 11, 23)
# what the shared school (tests/features/decisions/test_support.py) and this test fill in:
# people's names and job titles, the account and decision texts (fictional)
FILLED = sorted(
    {
        *(row.name for row in PEOPLE),
        *(row.email for row in PEOPLE),
        *(row.title for row in PEOPLE if row.title),
        "Oak Test School",
        "Cyfrif Facebook yr ysgol",
        "https://facebook.example/ysgol",
        "Rhannu newyddion yr ysgol",
        "Mae'n perthyn i ddisgybl",
        "Mae'r teulu'n ffrindiau",
        "Siân Sparks",
        "Trydan Disglair",
        "DEC-0001",
        "VIS-000001",
    },
    key=len,
    reverse=True,
)
KINDS = {"staff": "staff", "governor": "governor", "dsp": "dsl", "head": "head"}


def _held_back() -> list[str]:
    """The nation pack's words the catalogue holds back (fuzzy: no confirmed Welsh term yet,
    e.g. 'deputy DSP'): shown in English by design, so taken out like the filled values."""
    with PO.open("rb") as po:
        catalog = read_po(po, locale="cy")
    return sorted(
        (
            m.id
            for m in catalog
            if m.fuzzy
            and isinstance(m.id, str)
            and any("nation pack word" in c for c in m.auto_comments)
        ),
        key=len,
        reverse=True,
    )


HELD_BACK = _held_back()


def _texts(html: str) -> tuple[str | None, list[str]]:
    parser = _Visible()
    parser.feed(html)
    texts = parser.texts
    for value in (*FILLED, *HELD_BACK):
        texts = [t.replace(value, " ") for t in texts]
    return parser.lang, texts


def _welsh(response: Any, english: set[str]) -> list[str]:
    """The English left on a page fetched from the app (its language must be Welsh)."""
    assert response.status_code in (200, 400, 409, 422), (response.status_code, response.text[:300])
    lang, texts = _texts(response.text)
    assert lang == "cy", lang
    return _english_left(texts, english)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    """The whole module on Monday 23 November 2026 from 10:00 (sign-ins stay fresh)."""
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school in Wales (``language: cy``), built once: every role, one policy in
    the register, an official account with a holder, a decision recorded, a visitor confirmed,
    someone on the people register."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("cy-f") / "school")
    builder.policy("diogelu", "3.1", title=POLICY, text=f"# {POLICY}\n\nCadwch blant yn ddiogel.\n")
    made = make_env(
        builder,
        policies=builder.school["policies"],
        country="wales",
        language="cy",
        visitor_retention_days=30,
    )
    head = made.client("head")
    page = head.get("/accounts/new").text
    head.post(
        "/accounts/new",
        data={
            "csrf_token": csrf_of(page),
            "platform": "Facebook",
            "name": "Cyfrif Facebook yr ysgol",
            "url": "https://facebook.example/ysgol",
            "purpose": "Rhannu newyddion yr ysgol",
        },
    )
    record_welsh_decision(head, TODAY, date(2027, 1, 5))
    visitor = made.client()
    page = visitor.get("/visit/oak").text
    made.done = visitor.post(  # type: ignore[attr-defined]
        "/visit/oak",
        data={
            "csrf_token": csrf_of(page),
            "name": "Siân Sparks",
            "organisation": "Trydan Disglair",
            "visit_date": TODAY.isoformat(),
            "agree": "yes",
        },
    )
    made.clients = {k: made.client(v) for k, v in KINDS.items()}  # type: ignore[attr-defined]
    yield made
    made.context.store.dispose()


# --------------------------------------------------------------------------- visitors


def test_the_visitors_page_thank_you_and_errors_are_welsh(
    env: Env, english_words: set[str]
) -> None:
    visitor = env.client()
    page = visitor.get("/visit/oak")
    assert not _welsh(page, english_words)
    assert "Ymweld â'r ysgol: Oak Test School" in unescape(page.text) and "Croeso." in page.text
    done = env.done  # type: ignore[attr-defined]
    assert not _welsh(done, english_words)
    assert "ar ddydd Llun 23 Tachwedd 2026" in done.text
    wrong = visitor.post(
        "/visit/oak",
        data={"csrf_token": csrf_of(page.text), "name": "", "visit_date": "ddoe", "agree": ""},
    )
    assert wrong.status_code == 422
    assert not _welsh(wrong, english_words)
    assert "Rhowch eich enw llawn." in wrong.text


@pytest.mark.parametrize("kind", ["staff", "head"])
def test_the_reception_poster_is_welsh(env: Env, english_words: set[str], kind: str) -> None:
    client = env.clients[kind]  # type: ignore[attr-defined]
    poster = client.get("/visit/oak/poster")
    if kind != "head" and poster.status_code == 403:  # only those who may print it
        return
    assert not _welsh(poster, english_words)


def test_the_visitors_form_errors_are_in_the_catalogue() -> None:
    with pytest.raises(VisitInputError) as caught:
        validate_visit({"name": "", "visit_date": "x"}, TODAY)
    tr = catalogue_in("cy")
    said = {tr.gettext(message) for message in caught.value.errors.values()}
    assert said == {
        "Rhowch eich enw llawn.",
        "Rhowch ddyddiad eich ymweliad, fel 2026-11-23.",
        "Ticiwch y blwch i gadarnhau y byddwch yn dilyn y rheolau.",
    }


# --------------------------------------------------------------------------- accounts


@pytest.mark.parametrize("kind", ["dsp", "head"])
def test_the_official_accounts_pages_are_welsh(
    env: Env, english_words: set[str], kind: str
) -> None:
    client = env.clients[kind]  # type: ignore[attr-defined]
    listing = client.get("/accounts")
    assert not _welsh(listing, english_words)
    assert "Cyfrifon swyddogol" in listing.text
    account = re.findall(r'href="/accounts/(\d+)"', listing.text)[0]
    page = client.get(f"/accounts/{account}")
    assert not _welsh(page, english_words)
    person = (re.findall(r'<option value="(\d+)">', page.text) or ["1"])[0]
    if "Ychwanegu deiliad" in page.text:  # the head may add a holder: they then hold it
        client.post(
            f"/accounts/{account}/holders",
            data={"csrf_token": csrf_of(page.text), "person_id": person},
        )
        again = client.post(
            f"/accounts/{account}/holders",
            data={"csrf_token": csrf_of(page.text), "person_id": person},
        )
        assert not _welsh(again, english_words)
        assert "eisoes yn dal y cyfrif hwn" in unescape(again.text)
    assert not _welsh(client.get(f"/accounts/holders/{person}"), english_words)


def test_a_new_accounts_form_and_its_errors_are_welsh(env: Env, english_words: set[str]) -> None:
    head = env.clients["head"]  # type: ignore[attr-defined]
    form = head.get("/accounts/new")
    assert not _welsh(form, english_words)
    wrong = head.post(
        "/accounts/new",
        data={"csrf_token": csrf_of(form.text), "platform": "", "name": "", "url": "ftp://x"},
    )
    assert wrong.status_code == 422
    assert not _welsh(wrong, english_words)
    assert "Rhaid i'r cyfeiriad gwe ddechrau gyda http:// neu https://." in unescape(wrong.text)


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("kind", ["dsp", "head"])
def test_the_decisions_register_and_a_decision_are_welsh(
    env: Env, english_words: set[str], kind: str
) -> None:
    client = env.clients[kind]  # type: ignore[attr-defined]
    for status in ("open", "closed", "all"):
        assert not _welsh(client.get(f"/decisions?status={status}"), english_words)
    listing = client.get("/decisions")
    decision = re.findall(r'href="/decisions/(\d+)"', listing.text)[0]
    page = client.get(f"/decisions/{decision}")
    assert not _welsh(page, english_words)
    assert "Perthynas sy'n bodoli eisoes" in unescape(page.text) and "JS, Blwyddyn 3" in page.text
    wrong = client.post(
        f"/decisions/{decision}/review",
        data={"csrf_token": csrf_of(page.text), "outcome": "continue", "next_review_on": "x"},
    )
    assert wrong.status_code == 422
    assert not _welsh(wrong, english_words)
    form = client.get("/decisions/new")
    assert not _welsh(form, english_words)
    wrong = client.post("/decisions/new", data={"csrf_token": csrf_of(form.text)})
    assert wrong.status_code == 422
    assert not _welsh(wrong, english_words)


# --------------------------------------------------------------------------- people


def test_the_people_register_its_form_and_saved_note_are_welsh(
    env: Env, english_words: set[str]
) -> None:
    head = env.clients["head"]  # type: ignore[attr-defined]
    register = head.get("/admin/people")
    if register.status_code == 403:
        head = env.clients["head"] = env.client("admin")  # type: ignore[attr-defined]
        register = head.get("/admin/people")
    assert not _welsh(register, english_words)
    form = head.get("/admin/people/new")
    assert not _welsh(form, english_words)
    wrong = head.post(
        "/admin/people/new",
        data={"csrf_token": csrf_of(form.text), "name": "", "email": "x", "roles": ["nope"]},
    )
    assert wrong.status_code == 422
    assert not _welsh(wrong, english_words)
    saved = head.post(
        "/admin/people/new",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "Siân Sparks",
            "email": "sian@personol.example",
            "roles": ["governor", "volunteer"],
        },
    )
    assert saved.status_code == 200, saved.text[:300]
    assert not _welsh(saved, english_words)
    assert "Wedi'i gadw: mae Siân Sparks yn y bot nawr" in unescape(saved.text)
    change = re.findall(r'href="/admin/people/(\d+)"', saved.text)[0]
    entry = head.get(f"/admin/people/{change}")
    assert not _welsh(entry, english_words)
    token = {"csrf_token": csrf_of(entry.text)}
    head.post(f"/admin/people/{change}/left", data=token)
    again = head.post(f"/admin/people/{change}/left", data=token)  # refused: already left
    assert again.status_code == 409
    assert not _welsh(again, english_words)
    assert "eisoes wedi'i farcio fel wedi gadael" in unescape(again.text)
    assert not _welsh(head.get("/admin/people/mis"), english_words)


def test_the_mis_page_lists_are_welsh(english_words: set[str]) -> None:
    account = SimpleNamespace(name=PERSON, email="alys@brodderw.example")
    lists = SimpleNamespace(
        ended=[SimpleNamespace(account=account, mis=SimpleNamespace(end_date=TODAY))],
        no_record=[account],
        no_account=[
            SimpleNamespace(display_name=PERSON, job_title=None, other_titles=(), start_date=None)
        ],
        ambiguous=[SimpleNamespace(mis=SimpleNamespace(display_name=PERSON), candidates=[PERSON])],
        matched=[
            SimpleNamespace(account=account, how=how) for how in ("email", "name and start date")
        ],
    )
    context = {**_base(_person("staff", "headteacher")), "school": school("cy")}
    for extra in (
        {"lists": lists, "problem": None, "connected": True},
        {"lists": None, "problem": None, "connected": False},
        {"lists": None, "problem": None, "connected": True},
    ):
        lang, texts = _page("mis.html", {**context, **extra})
        texts = [t.replace("alys@brodderw.example", " ") for t in texts]
        assert lang == "cy" and not _english_left(texts, english_words)


# --------------------------------------------------------------------------- policies


@pytest.mark.parametrize("kind", ["governor", "head"])
def test_the_policy_register_and_a_policy_are_welsh(
    env: Env, english_words: set[str], kind: str
) -> None:
    client = env.clients[kind]  # type: ignore[attr-defined]
    register = client.get("/policies")
    if kind != "head" and register.status_code == 403:
        return
    assert not _welsh(register, english_words)
    page = client.get("/policies/diogelu")
    assert not _welsh(page, english_words)
    if "Cofnodi adolygiad" in page.text:  # the head may record a review: refused in Welsh
        wrong = client.post(
            "/policies/diogelu/review",
            data={"csrf_token": csrf_of(page.text), "reviewed_on": TODAY.isoformat(), "body": ""},
        )
        assert wrong.status_code == 400
        assert not _welsh(wrong, english_words)
        assert "dywedwch pa gorff a adolygodd y polisi" in unescape(wrong.text)


def _register_row(derived: bool) -> SimpleNamespace:
    version = SimpleNamespace(
        id=7, label="3.1", sha256="a" * 64, published_on=TODAY, document_name="diogelu.pdf"
    )
    policy = SimpleNamespace(
        key="diogelu",
        title=POLICY,
        approving_body="governing body",
        review_cycle_months=12,
        last_reviewed=TODAY,
        ratified_on=TODAY,
        next_review_due=date(2027, 11, 23),
        next_review_derived=derived,
        linked_policies=[],
    )
    review = SimpleNamespace(
        id=1,
        reviewed_on=TODAY,
        body="governing body",
        minute_ref="12",
        new_version_id=7,
        recorded_by="pennaeth@brodderw.example",
    )
    return SimpleNamespace(
        policy=policy, owner_name=PERSON, status="due soon", versions=[version], reviews=[review]
    )


@pytest.mark.parametrize("derived", [False, True])
def test_the_policy_pages_every_sentence_is_welsh(english_words: set[str], derived: bool) -> None:
    row = _register_row(derived)
    context = {
        **_base(_person("staff", "headteacher")),
        "today": TODAY,
        "derived_note": "worked out from the ratification date — please confirm",
        "rows": [row],
        "gaps": [SimpleNamespace(title=POLICY, wanted_by=[POLICY])],
    }
    lang, texts = _page("policies.html", context)
    assert lang == "cy" and not _english_left(texts, english_words)
    detail = {
        **context,
        "row": row,
        "policy": row.policy,
        "stages": [SimpleNamespace(on=TODAY)],
        "can_record": True,
        "errors": [],
        "confirm_errors": [],
        "confirmed": True,
        "overdue_repeats": 4,
        "form": {"reviewed_on": TODAY.isoformat(), "body": "corff llywodraethu"},
        "just_recorded": row.reviews[0],
        "versions_by_id": {7: row.versions[0]},
        "accept": ".pdf",
    }
    lang, texts = _page("policies_detail.html", detail)
    texts = [t.replace("pennaeth@brodderw.example", " ") for t in texts]
    assert lang == "cy" and not _english_left(texts, english_words)


def test_a_policy_read_on_screen_is_welsh(english_words: set[str]) -> None:
    version = SimpleNamespace(id=7, label="3.1", published_on=TODAY, document_name="diogelu.pdf")
    context = {
        **_base(_person("staff")),
        "policy": SimpleNamespace(title=POLICY),
        "version": version,
        "back": ("/me", "My tasks"),
        "shown": SimpleNamespace(kind="pdf", pages=["Testun"], heights=[1400], html="", problem=""),
        "doc_query": "",
        "download_url": "/documents/7",
        "document_size": "120 KB",
    }
    lang, texts = _page("document_read.html", context)
    assert lang == "cy" and not _english_left(texts, english_words)
    assert "cyhoeddwyd 23 Tachwedd 2026" in " ".join(texts)


# --------------------------------------------------------------------------- sign-in, /me


def test_the_demo_sign_in_is_welsh(env: Env, english_words: set[str]) -> None:
    page = env.client().get("/signin")
    assert not _welsh(page, english_words)
    assert "dirprwy DSP" in page.text  # confirmed since (Hwb keeps 'DSP' in Welsh)
    assert "deputy DSP" not in HELD_BACK


def test_the_language_choice_on_me_is_in_the_page_not_its_title() -> None:
    html_lang, _texts_read = _page(
        "me.html",
        {
            **_base(_person("staff"), "cy+en"),
            "items": [],
            "done": [],
            "held": [],
            "languages": {"cy": "Cymraeg", "en": "English"},
            "chosen": "cy",
        },
        "cy+en",
    )
    with i18n.speaking("cy+en"):
        from bot.engine.web.deps import templates

        html = templates.env.get_template("me.html").render(
            {
                **_base(_person("staff"), "cy+en"),
                "items": [],
                "done": [],
                "held": [],
                "languages": {"cy": "Cymraeg", "en": "English"},
                "chosen": "cy",
            }
        )
    title = html.split("<title>")[1].split("</title>")[0]
    assert "<form" not in title and "language-choice" in html.split("<main")[1]
    assert html_lang == "cy"


# --------------------------------------------------------------------------- both languages


def test_a_dual_language_school_shows_welsh_first_then_english() -> None:
    row = _register_row(False)
    context = {
        **_base(_person("staff", "headteacher"), "cy+en"),
        "today": TODAY,
        "derived_note": "",
        "rows": [row],
        "gaps": [],
    }
    lang, texts = _page("policies.html", context, "cy+en")
    assert lang == "cy"
    assert "Cofrestr y polisïau / Policy register" in texts
    assert "23 Tach 2026 / 23 Nov 2026" in texts
    lang, texts = _page(
        "visit_done.html",
        {
            **_base(None, "cy+en"),
            "school": school("cy+en"),
            "name": "Siân",
            "visit_date": TODAY,
            "reference": "VIS-000001",
        },
        "cy+en",
    )
    assert f"Diolch — {SCHOOL_NAME} / Thank you — {SCHOOL_NAME}" in texts


def test_english_reads_as_before() -> None:
    row = _register_row(True)
    context = {
        **_base(_person("staff", "headteacher"), "en"),
        "today": date(2026, 12, 4),
        "derived_note": "worked out from the ratification date — please confirm",
        "rows": [row],
        "gaps": [],
    }
    lang, texts = _page("policies.html", context, "en")
    assert lang == "en-GB"
    assert "Review dates as of Friday 04 December 2026." in [t.strip() for t in texts]
    assert "12 months" in texts and "23 Nov 2026" in texts and "due soon" in texts
    assert "(worked out from the ratification date — please confirm)" in texts


# from tests/core/test_i18n_set_f.py (main)
def test_the_built_in_rules_keep_their_english_fingerprint_and_say_it_in_welsh() -> None:
    english = school("en")
    words = school_words(english)
    assert visitor_rules(english) == (  # as it always read: confirmations' fingerprints hold
        DEFAULT_VISITOR_RULES.strip()
        .replace("{headteacher}", words.headteacher)
        .replace("{dsl_full}", words.dsl_full)
    )
    welsh = in_language("cy", lambda: visitor_rules(school("cy")))
    assert welsh.startswith("Croeso.") and rules_sha256(welsh) != rules_sha256(
        visitor_rules(school("cy"))
    )
    both = in_language("cy+en", lambda: visitor_rules(school("cy+en")))
    assert both.splitlines()[0] == (
        "Croeso. Tra byddwch gyda ni, helpwch ni i gadw pob plentyn yn ddiogel. / "
        "Welcome. While you are with us, please help us keep every child safe."
    )


# from tests/core/test_i18n_set_f.py (main)
def test_the_decision_forms_problems_come_from_the_catalogue_with_plurals() -> None:
    with pytest.raises(DecisionInputError) as caught:
        validate_decision(
            {"kind": "x", "decision": "a" * 4001, "review_on": "2031-01-01"},
            leaders={},
            people={},
            has_files=False,
            today=TODAY,
        )
    said = caught.value.errors["decision"]
    assert in_language("cy", lambda: said) == "Cadwch y penderfyniad o fewn 4000 nod."
    with pytest.raises(DecisionInputError) as caught:
        validate_review({"outcome": "continue", "next_review_on": "2031-01-01"}, TODAY)
    said = caught.value.errors["next_review_on"]
    assert in_language("cy", lambda: said) == "Adolygwch ef eto o fewn 3 blynedd."
    with pytest.raises(DecisionInputError) as caught:  # English as before
        validate_review({"outcome": "continue", "next_review_on": "2031-01-01"}, TODAY)
    assert caught.value.errors["next_review_on"] == "Review it again within 3 years."


# from tests/core/test_i18n_set_f.py (main)
def test_the_people_forms_problems_name_the_roles_in_welsh() -> None:
    _, said = parse_entry(
        {"name": "", "email": "x"}, ["nope"], TODAY, {"staff": "staff", "volunteer": "gw"}
    )
    errors = {key: in_language("cy", lambda e=error: e) for key, error in said.items()}
    assert errors["name"] == "Rhowch eu henw llawn"
    assert errors["roles"] == "Dewiswch o leiaf un o'r canlynol: staff, gw"
    _, english = parse_entry({"name": "", "email": "x"}, ["nope"], TODAY)
    assert english["name"] == "Enter their full name"
