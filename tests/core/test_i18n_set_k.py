"""The school's language, set K: the nation choice's newer packs (Scotland and the islands), the
single central record page (its checks, their sources, its note, its dates and its refusal), the
refusal of a body over the install's size limit (answered before any page knows its school) and
the decision review emails.

A Welsh-medium school (``language: cy``) is built once for the module and its pages fetched
through the real app; each must be ``<html lang="cy">`` with no English left (the word check of
``tests/core/test_i18n.py``, the values the test filled in and the terms the catalogue holds back
as unconfirmed taken out). ``cy+en`` says each sentence in Welsh first, then in English; English
reads exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape
from io import BytesIO
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from babel.messages.pofile import read_po

from bot.core.i18n import BETWEEN, translations
from bot.core.messages import human_date
from bot.core.nations import NATIONS, pack_for
from bot.core.uploads import AttachmentError, clean_attachment
from bot.core.words import school_words, words_in
from bot.engine.settings_problems import PURPOSE as SETTINGS
from bot.engine.settings_problems import record_settings
from bot.engine.web.guards import too_large
from bot.features.decisions.rules import review_subject
from bot.features.decisions.service import plan_decision_reminders
from bot.features.scr.rules import Gap, describe
from bot.web.app import MAX_BODY, body_language
from tests.core.test_i18n import PO, _english_left, _Visible, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import (
    PEOPLE,
    Env,
    configure,
    make_env,
    record_welsh_decision,
)
from tests.support.helpers import SchoolBuilder, at, outbox_as_sent

TODAY = date(2026, 11, 23)
REVIEW_ON = date(2026, 11, 30)  # a Monday, a week after the decision
FILLED = sorted(
    {
        *(row.name for row in PEOPLE),
        *(row.email for row in PEOPLE),
        *(row.title for row in PEOPLE if row.title),
        "Oak Test School",
        "Mae'n perthyn i ddisgybl",
        "Mae'r teulu'n ffrindiau",
        "DEC-0001",
        "MB",
    },
    key=len,
    reverse=True,
)
_PIECES = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|<[^>]+>|\n|[—:;()\"“”]|\. ")


def _held_back() -> list[str]:
    """The English of the sentences the catalogue holds back as unconfirmed (fuzzy: the single
    central record's own name, 'triage'), in pieces: shown in English by design."""
    with PO.open("rb") as po:
        catalog = read_po(po, locale="cy")
    pieces: set[str] = set()
    for message in catalog:
        if message.id and message.fuzzy:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            pieces |= {p.strip() for i in ids for p in _PIECES.split(i) if p.strip()}
    return sorted(pieces, key=len, reverse=True)


HELD_BACK = _held_back()


def _left(texts: list[str], english: set[str]) -> list[str]:
    """The English left in ``texts`` (what the test filled in and the held-back terms out)."""
    plain = []
    for text in texts:
        for value in (*FILLED, *HELD_BACK):
            text = text.replace(value, " ")
        plain.append(text)
    return _english_left(plain, english)


def _page(response: Any, english: set[str]) -> list[str]:
    """The English left on a page fetched from the app (its language must be Welsh)."""
    parser = _Visible()
    parser.feed(response.text)
    assert parser.lang == "cy", parser.lang
    return _left(parser.texts, english)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    """The whole module on Monday 23 November 2026 from 10:00 (sign-ins stay fresh)."""
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school in Wales, built once: every role, one decision due for review."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("cy-k") / "school")
    made = make_env(builder, country="wales", language="cy")
    head = made.client("head")
    record_welsh_decision(head, TODAY, REVIEW_ON)
    yield made
    made.context.store.dispose()


# --------------------------------------------------------------------------- the nation choice


def test_the_nation_choice_names_every_pack_in_welsh(env: Env, english_words: set[str]) -> None:
    page = env.client("admin").get("/admin/school")
    assert page.status_code == 200
    assert not _page(page, english_words)
    options = re.findall(r'<option value="([a-z-]+)"[^>]*>([^<]+)</option>', unescape(page.text))
    named = dict(options)
    assert {key: named[key] for key in NATIONS} == {
        "england": "Lloegr",
        "guernsey": "Guernsey",
        "isle-of-man": "Ynys Manaw",
        "jersey": "Jersey",
        "northern-ireland": "Gogledd Iwerddon",
        "scotland": "Yr Alban",
        "wales": "Cymru",
    }


def test_the_nation_names_in_both_and_in_english() -> None:
    both, english = translations("cy+en"), translations("en")
    assert both.gettext("Scotland") == f"Yr Alban{BETWEEN}Scotland"
    assert both.gettext("Jersey") == "Jersey"  # the island's name, once
    assert [english.gettext(pack_for(n).name) for n in NATIONS] == [
        pack_for(n).name for n in NATIONS
    ]


# --------------------------------------------------------------------------- the SCR page


def test_the_single_central_record_page_is_welsh(env: Env, english_words: set[str]) -> None:
    page = env.client("head").get("/scr")
    assert page.status_code == 200
    assert not _page(page, english_words)
    said = unescape(page.text)
    assert "gwiriad manylach gan y GDG" in said and "gwiriad hunaniaeth" in said
    assert "Cadw dysgwyr yn ddiogel (recriwtio mwy diogel a gwiriadau'r GDG)" in said
    assert "Gwiriadau hawl i weithio: canllaw i gyflogwyr (y Swyddfa Gartref)" in said


def test_the_single_central_record_refusal_is_welsh(env: Env, english_words: set[str]) -> None:
    refused = env.client("staff").get("/scr")
    assert refused.status_code == 403
    assert not _page(refused, english_words)
    assert "pennaeth" in refused.text  # the school's word, in Welsh, in the held-back sentence


def test_every_welsh_check_its_source_and_note_are_in_the_catalogue(
    english_words: set[str],
) -> None:
    pack, tr = pack_for("wales"), translations("cy")
    said = [pack.scr_note, *(c.name for c in pack.scr_checks)]
    said += [c.source.title for c in pack.scr_checks]
    welsh = [tr.gettext(text) for text in said]
    assert all(w != e for w, e in zip(welsh, said, strict=True)), welsh
    assert _left(welsh, english_words) == []


@pytest.mark.parametrize(
    "gap",
    [
        Gap("no_training", "Amy Able", 4, detail=human_date(date(2025, 9, 1))),
        Gap("renewal_due", "Amy Able", 4, "criminal_record", human_date(date(2026, 10, 5))),
        Gap("panel_untrained", "Panel", detail="Athro Blwyddyn 3", panel_id=1),
    ],
    ids=["no training", "renewal", "panel"],
)
def test_a_gaps_date_is_said_in_welsh_and_in_english_as_before(
    gap: Gap, english_words: set[str]
) -> None:
    checks = {c.id: c.name for c in pack_for("wales").scr_checks}
    words = school_words(school("en"))
    english = describe(gap, checks, words)
    assert describe(gap, checks, words, language="en") == english
    if gap.kind != "panel_untrained":
        assert gap.detail in english  # 'Monday 1 September 2025', as it always read
    tr = translations("cy")
    welsh_checks = {key: tr.gettext(name) for key, name in checks.items()}
    welsh = describe(gap, welsh_checks, words_in(words, tr), tr, language="cy")
    assert _left([welsh.replace("Athro Blwyddyn 3", " ")], english_words) == []
    if gap.kind == "no_training":
        assert "ers dydd Llun 1 Medi 2025" in welsh


# --------------------------------------------------------------------------- the size limit


def test_a_body_over_the_limit_is_refused_in_the_schools_language(env: Env) -> None:
    refused = env.client().post(
        "/visit/oak",
        content=b"x" * 64,
        headers={"content-length": str(MAX_BODY + 1), "content-type": "text/plain"},
    )
    assert refused.status_code == 413
    assert refused.text == "Mae'r uwchlwythiad hwnnw'n rhy fawr (12 MB ar y mwyaf)."
    assert refused.headers["content-language"] == "cy"


def test_the_size_limits_language_when_the_address_names_no_school() -> None:
    welsh, english = school("cy"), school("en").model_copy(update={"id": "oak"})
    dual = school("cy+en").model_copy(update={"id": "derw"})

    def said(path: str, *schools: Any) -> str:
        ctx = SimpleNamespace(config=SimpleNamespace(schools=list(schools)))
        return body_language(ctx, {"path": path})  # type: ignore[arg-type]

    assert said("/report", english) == "en"
    assert said("/report", welsh) == "cy"  # the one school this server runs
    assert said("/visit/oak", welsh, english) == "en"  # the school the address names
    assert said("/visit/derw", english, dual) == "cy+en"
    assert said("/report", welsh, english) == "cy+en"  # cannot tell: both, Welsh first
    assert too_large(MAX_BODY) == "That upload is too large (12 MB at most)."  # as before
    assert too_large(MAX_BODY, "cy+en") == (
        f"Mae'r uwchlwythiad hwnnw'n rhy fawr (12 MB ar y mwyaf).{BETWEEN}"
        "That upload is too large (12 MB at most)."
    )


# --------------------------------------------------------------------------- decision reviews


def test_the_decision_review_email_is_welsh(env: Env, english_words: set[str]) -> None:
    with env.context.store.transaction() as session:
        planned = plan_decision_reminders(
            session,
            env.school,
            REVIEW_ON,  # recorded within the reminder's window: told on the day itself
            at(REVIEW_ON, 10),
            write=True,
            base_url="http://testserver",
        )
    assert planned and planned[0].queued
    (row,) = env.outbox("decision_review")
    assert row.subject == "Adolygiad i'w wneud heddiw: penderfyniad DEC-0001"
    parser = _Visible()
    parser.feed(row.payload["html"])
    assert parser.lang == "cy"
    assert _left([row.subject, row.payload["text"], *parser.texts], english_words) == []
    text = row.payload["text"]
    assert "Dydd Llun 30 Tachwedd 2026" in text and "Perthynas sy'n bodoli eisoes" in text
    assert "DSP" in text  # the Welsh pack's own word


@pytest.mark.parametrize("days", [0, 1, 2, 3, 6, 9])
def test_the_review_subject_says_its_days_in_their_plural_form(days: int) -> None:
    today = date(2026, 11, 2)
    due = date.fromordinal(today.toordinal() + days)
    english = review_subject("due", due, today, "DEC-0007")
    assert english == (
        "Review due today: decision DEC-0007"
        if days == 0
        else f"Review due in {days} day{'s' if days != 1 else ''}: decision DEC-0007"
    )
    welsh = review_subject("due", due, today, "DEC-0007", translations("cy"), "cy")
    assert welsh.startswith("Adolygiad") and welsh.endswith("penderfyniad DEC-0007")
    both = review_subject("due", due, today, "DEC-0007", translations("cy+en"), "cy+en")
    assert both == f"{welsh}{BETWEEN}{english}"
    late = review_subject("overdue:1", due, today, "DEC-0007")
    assert late == f"Overdue review: decision DEC-0007 (was due {human_date(due)})"


# --------------------------------------------------------------------------- a photo's checks


def _png() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (4, 3), (10, 120, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "name,tail,declared,english",
    [
        (
            "llun.jpg",
            b"",
            "image/jpeg",
            "llun.jpg: its name ends in .jpg, but the file is a PNG image, so we have not "
            "accepted it. Please attach the original file, or save it again with the right kind "
            "of name.",
        ),
        (
            "llun.png",
            b"",
            "text/html",
            "llun.png: it was sent as a web page, but the file is a PNG image, so we have not "
            "accepted it. Please attach the original file.",
        ),
        (
            "llun.png",
            b"<script>alert(1)</script>",
            "image/png",
            "llun.png: this image has web page or script code inside it, so we have not "
            "accepted it. Please attach a plain photo or a screenshot of it.",
        ),
        (
            "llun.png",
            b"\x01" * 1200,
            "image/png",
            "llun.png: this image has 1,200 bytes of something else after the picture (a "
            "phone's motion photo has a video there), so we have not accepted it. Please attach "
            "a plain photo or a screenshot of it.",
        ),
    ],
    ids=["name", "declared", "script", "hidden"],
)
def test_a_photos_type_and_image_checks_are_welsh(
    name: str, tail: bytes, declared: str, english: str, english_words: set[str]
) -> None:
    with pytest.raises(AttachmentError) as refused:
        clean_attachment(name, _png() + tail, declared)
    assert str(refused.value) == english  # as it always read
    welsh = refused.value.said(translations("cy"))
    assert welsh != english and welsh.startswith(f"{name}: ")
    assert _left([welsh.replace(name, " ").replace("1,200", " ")], english_words) == []
    assert refused.value.said(translations("cy+en")) == f"{welsh}{BETWEEN}{english}"
    if declared == "text/html":
        assert "tudalen we" in welsh and "delwedd PNG" in welsh


# --------------------------------------------------------------------------- never configured


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[dict[str, Any]]:
    """Three schools beside a good one, each held (its settings never passed the checks: its
    head is not an address), each email's row by school: one asking for Welsh, one whose entry
    says no language (English, the default), one whose language is not one of ours."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("cy-k-held") / "school")
    configure(builder, country="wales", language="cy")
    bad = {"country": "wales", "headteacher": "nobody"}
    builder.others = [
        {
            "id": "derw",
            "name": "Ysgol Derw",
            "admins": ["admin@derw.example"],
            **bad,
            "language": "cy",
        },
        {"id": "ash", "name": "Ash Primary", "admins": ["admin@ash.example"], **bad},
        {
            "id": "onn",
            "name": "Ysgol Onnen",
            "admins": ["admin@onn.example"],
            **bad,
            "language": "Cymraeg",
        },
    ]
    context = builder.context(None, demo=True)
    assert record_settings(context.store, context.config, at(TODAY, 10)) == 3
    yield {row.school_id: row for row in outbox_as_sent(context.store, SETTINGS)}
    context.store.dispose()


def test_a_never_configured_schools_settings_email_is_in_the_language_its_file_asks(
    held: dict[str, Any], english_words: set[str]
) -> None:
    welsh = held["derw"]
    assert welsh.subject == "Ysgol Derw: ni allai'r bot ddefnyddio gosodiadau newydd yr ysgol"
    parser = _Visible()
    parser.feed(welsh.payload["html"])
    assert parser.lang == "cy"
    # what to fix is the checks' own text, as they wrote it (not yet in the catalogue)
    problem = [line for line in welsh.payload["text"].splitlines() if "school.yaml" in line]
    texts = [t for t in parser.texts if "school.yaml" not in t]
    assert problem and _left([welsh.subject, *texts], english_words) == []
    english = held["ash"]
    assert english.subject == "Ash Primary: the bot could not use the school's new settings"
    assert "Ni " not in english.payload["text"] and "Helo" not in english.payload["text"]


def test_a_never_configured_school_whose_language_cannot_be_told_reads_both(
    held: dict[str, Any],
) -> None:
    both = held["onn"]
    assert both.subject == (
        f"Ysgol Onnen: ni allai'r bot ddefnyddio gosodiadau newydd yr ysgol{BETWEEN}"
        "Ysgol Onnen: the bot could not use the school's new settings"
    )
    assert "Helo, / Hello," in both.payload["text"]
