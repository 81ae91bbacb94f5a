"""The school's language: what this morning's new features added in English, now from
the catalogue — the Google Chat cards (the needs card, the card after a press, the stranger's
and the group's line). A Welsh-medium school's staff read no English left in them (the check
of ``tests/core/test_i18n.py``: word by word, values the test filled in taken out), every card
still passes the Chat API's discovery document, and an English school reads exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.deployment.context import AppContext
from bot.core.models import Duty, Person, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.features.chatbot.cards import MAX_ITEMS, card_message, needs_card
from bot.features.chatbot.service import GROUP_LINE, answer, read_event
from bot.features.teamsbot.api import ACK_VERB, NeedItem
from tests.core.test_i18n import (
    POLICY,
    SCHOOL_NAME,
    _base,
    _english_left,
    _page,
    _person,
    _statement,
    _words,
    school,
)
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.support.conformance.google_chat import chat_answer_problems, chat_message_problems
from tests.support.helpers import Row, SchoolBuilder, at, outbox_as_sent
from tests.support.speech import catalogue_in, in_language

MONDAY = date(2026, 10, 19)
ENDPOINT = "https://bro-derw.example/api/chat"
ALYS, BEDWYR = "104857600000000000001", "104857600000000000002"  # fictional Google user ids


def _chat_texts(node: Any) -> list[str]:
    """Every string a person reads on a Chat card or message: texts, titles, labels."""
    if isinstance(node, dict):
        seen = [
            v
            for k, v in node.items()
            if k in ("text", "title", "topLabel", "fallbackText", "subtitle") and isinstance(v, str)
        ]
        return seen + [t for v in node.values() for t in _chat_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _chat_texts(v)]
    return []


def _items(count: int = 4) -> list[NeedItem]:
    kinds = [
        ("acknowledge_policy", False),
        ("acknowledge_policy", True),
        ("sign_aup", False),
        ("complete_training", False),
    ]
    return [
        NeedItem(
            kind,
            n,
            POLICY,
            "3.1",
            date(2026, 9, 15),
            n % 2 == 0,
            "https://bro-derw.example/ack/t",
            statement=_statement(),
            sha256="a" * 64,
            read_first=first,
        )
        for n, (kind, first) in ((n, kinds[n % 4]) for n in range(count))
    ]


def _left(texts: list[str], english: set[str]) -> list[str]:
    return _english_left([t.replace("3.1", " ") for t in texts], english)


# --------------------------------------------------------------------------- the cards


@pytest.mark.parametrize("count", [0, 1, 4, MAX_ITEMS + 3], ids=["none", "one", "each", "more"])
def test_the_google_chat_needs_card_is_welsh_and_what_chat_takes(
    count: int, english_words: set[str]
) -> None:
    card = in_language(
        "cy",
        lambda: needs_card(
            SCHOOL_NAME, "Alys", _items(count), function=ENDPOINT, me_url="https://x/me"
        ),
    )
    message = card_message(card, "Beth sydd ei angen")
    assert not chat_message_problems(message)
    assert not _left(_chat_texts(message), english_words)
    assert card["card"]["header"]["title"] == f"Beth mae {SCHOOL_NAME} ei angen gennych"


def test_a_dual_language_card_is_welsh_then_english_and_english_reads_as_before() -> None:
    both = in_language(
        "cy+en", lambda: needs_card(SCHOOL_NAME, "Alys", _items(1), function="ack", me_url="")
    )
    assert both["card"]["header"]["title"] == (
        f"Beth mae {SCHOOL_NAME} ei angen gennych / What {SCHOOL_NAME} needs from you"
    )
    english = needs_card("Oak Primary", "Amy", _items(MAX_ITEMS + 2), function="ack", me_url="")
    texts = _chat_texts(english)
    assert english["card"]["header"]["title"] == "What Oak Primary needs from you"
    assert texts[1] == (
        f"Hello Amy. These are the {MAX_ITEMS + 2} things the school is waiting for from you."
    )
    assert "Overdue since 15 September 2026" in texts and "Due by 15 September 2026" in texts
    assert "…and 2 more on your page." in texts and "Acknowledge" in texts


# --------------------------------------------------------------------------- the app's answers


@dataclass
class _Env:
    context: AppContext

    def ask(self, body: dict[str, Any], schools: Any = None, config: Any = None) -> Any:
        event = read_event(body, addon=False)
        with self.context.store.transaction() as session:
            said = answer(
                session,
                self.context.settings,
                config or self.context.config,
                event,
                at(MONDAY, 10, 0),
                addon=False,
                function=ACK_VERB,
                schools=schools,
            )
        assert not chat_answer_problems(said, addon=False)
        return said


@pytest.fixture(scope="module")
def welsh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Env]:
    """A Welsh-medium school in Wales that asks its staff in Google Chat; Alys and Bedwyr in the
    directory by their Google user ids, a policy to acknowledge; swept on a Monday."""
    school = SchoolBuilder(tmp_path_factory.mktemp("cy-c") / "school")
    school.people = [
        Row(
            "pennaeth@bro-derw.example",
            "Gwen Pennaeth",
            "staff",
            "All Staff;Leadership",
            title="Headteacher",
            id="104857600000000000009",
        ),
        Row("alys@bro-derw.example", "Alys Rhys", id=ALYS),
        Row("bedwyr@bro-derw.example", "Bedwyr Jones", id=BEDWYR),
    ]
    school.policy(
        "online-safety",
        "3.1",
        title=POLICY,
        published="2026-10-12",
        text=f"# {POLICY}\n\nDefnyddiwch gyfrifon yr ysgol.\n",
    )
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    school.school.update(name=SCHOOL_NAME, country="wales", language="cy", asks_in="chat")
    context = school.context(
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}", base_url="https://bro-derw.example"
    )
    run_sweep(
        context.store,
        context.settings,
        context.config,
        context.connectors,
        deliver=False,
        now=at(MONDAY, 10, 0),
    )
    yield _Env(context)
    context.store.dispose()


def _event(kind: str, user_id: str, email: str, *, direct: bool = True, **extra: Any) -> Any:
    space = (
        {"name": "spaces/A1", "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}
        if direct
        else {"name": "spaces/A9", "spaceType": "SPACE", "displayName": "Ystafell staff"}
    )
    who = {"name": f"users/{user_id}", "email": email, "type": "HUMAN"}
    body: dict[str, Any] = {"type": kind, "user": who, "space": space, "common": {}, **extra}
    return body


def test_the_app_answers_a_welsh_school_in_welsh(welsh: _Env, english_words: set[str]) -> None:
    said = welsh.ask(_event("MESSAGE", ALYS, "alys@bro-derw.example"))
    card = said["cardsV2"][0]["card"]
    assert said["fallbackText"] == f"Beth mae {SCHOOL_NAME} ei angen gennych"
    assert not _left(_chat_texts(said), english_words)
    with welsh.context.store.session() as session:
        duty, version = session.execute(
            select(Duty, PolicyVersion)
            .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .join(Person, Person.id == Duty.person_id)
            .where(Person.email == "alys@bro-derw.example")
        ).one()
        duty_id, sha = duty.id, version.sha256
    notes = []
    for params in (
        {"verb": "no.such.verb"},
        {"verb": ACK_VERB, "duty": str(duty_id), "sha256": "b" * 64},  # a version since changed
        {"verb": ACK_VERB, "duty": str(duty_id), "sha256": sha},  # recorded
        {"verb": ACK_VERB, "duty": str(duty_id), "sha256": sha},  # a replay
    ):
        pressed = welsh.ask(
            _event("CARD_CLICKED", ALYS, "alys@bro-derw.example", common={"parameters": params})
        )
        assert pressed["actionResponse"]["type"] == "UPDATE_MESSAGE"
        texts = _chat_texts(pressed)
        notes.append(unescape(" | ".join(texts)))
        assert not _left(texts, english_words), texts
    assert "Diolch: mae eich cadarnhad o" in notes[2] and "eisoes wedi'i gofnodi" in notes[3]
    assert "Diolch" not in notes[0] + notes[1] and card["header"]


def test_a_stranger_a_group_and_a_school_that_asks_elsewhere_are_told_in_welsh(
    welsh: _Env, english_words: set[str]
) -> None:
    stranger = welsh.ask(_event("MESSAGE", "104857600000000000077", "neb@arall.example"))
    group = welsh.ask(_event("MESSAGE", ALYS, "alys@bro-derw.example", direct=False))
    config = welsh.context.config
    lines = [stranger["text"], group["text"]]
    for asks_in in ("email", "teams"):
        elsewhere = config.model_copy(
            update={"schools": [s.model_copy(update={"asks_in": asks_in}) for s in config.schools]}
        )
        lines.append(
            welsh.ask(_event("MESSAGE", ALYS, "alys@bro-derw.example"), config=elsewhere)["text"]
        )
    assert group["text"] != GROUP_LINE
    assert lines[0].startswith(f"Dyma fot cydymffurfio {SCHOOL_NAME}")
    assert not _left(lines, english_words), lines


# --------------------------------------------------------------------------- the SCR room


def _held_back(catalogue: Any) -> set[str]:
    """The words of the catalogue's unconfirmed (fuzzy) sentences: shown in English."""
    return set().union(
        *(
            _words(" ".join(m.id) if isinstance(m.id, tuple) else m.id)
            for m in catalogue
            if m.fuzzy and m.id
        )
    )


def _only_unconfirmed(texts: list[str], english: set[str], held_back: set[str]) -> list[str]:
    """Each English text left that is not one of the sentences held back for 'single central
    record' (no Welsh source found for the term: fuzzy, shown in English, counted)."""
    left = []
    for text in texts:
        found = {w for w in _words(text) if w in english}
        if found and not (found <= held_back and "single central record" in text.lower()):
            left.append(text)
    return left


def _gaps() -> list[Any]:
    from bot.features.scr.rules import Gap

    return [
        Gap("missing_check", "Bedwyr Jones", 2, "dbs_enhanced"),
        Gap("late_check", "Bedwyr Jones", 2, "identity", "Dydd Mawrth 15 Medi 2026"),
        Gap("right_to_work_expiring", "Alys Rhys", 1, "right_to_work", "Dydd Mawrth 15 Medi 2026"),
        Gap("agency_confirmation", "Ceri Ifans", 3, "agency_confirmation"),
        Gap("left_in_scr", "Ceri Ifans", 3),
        Gap("not_in_scr", "Alys Rhys", 1),
        Gap("governor_missing", "Alys Rhys", 1),
        Gap("no_training", "Alys Rhys", 1, detail="Dydd Mawrth 15 Medi 2026"),
        Gap("panel_untrained", "Blwyddyn 4", None, detail="Blwyddyn 4"),
    ]


# --------------------------------------------------------------------------- the DSL team's pages


@pytest.mark.parametrize("enabled", [True, False], ids=["on", "off"])
def test_the_public_report_link_page_is_welsh(enabled: bool, english_words: set[str]) -> None:
    context = {
        **_base(_person("dsl")),
        "school": school("cy"),
        "enabled": enabled,
        "url": "https://bro-derw.example/r/abc",
        "qr_svg": "<svg></svg>",
    }
    lang, texts = _page("reports_link.html", context)
    assert lang == "cy"
    # the setting's own name and the address are the configuration's, not sentences
    texts = [t.replace("reports: public_link: false", " ") for t in texts]
    assert not _english_left(texts, english_words), texts
    lang, english = _page("reports_link.html", {**context, **_base(_person("dsl"), "en")}, "en")
    assert lang == "en-GB" and "Public report link" in english


def test_the_school_chooser_for_a_concern_is_welsh(english_words: set[str]) -> None:
    context = {**_base(None), "schools": [school("cy")]}
    _lang, texts = _page("report_choose.html", context)
    assert not _english_left(texts, english_words), texts
    assert "Rhoi gwybod am bryder neu dor-rheol" in texts


# from tests/core/test_i18n_set_c.py (main)
def test_the_scr_owners_email_is_welsh_but_for_the_unconfirmed_term(
    welsh: _Env, english_words: set[str], catalogue: Any
) -> None:
    from bot.core.deployment import setup_state
    from bot.core.language.words import school_words
    from bot.core.models import ScrGap
    from bot.features.scr.owner import tell_owner
    from bot.features.scr.rules import kind_headings
    from tests.web.test_welsh_public_pages import _email_texts

    school = welsh.context.config.schools[0].model_copy(
        update={"scr_owner": "swyddfa@bro-derw.example"}
    )
    with welsh.context.store.transaction() as session:
        setup_state.start_sending(session, school.id, by="test", now=at(MONDAY))
        for n, kind in enumerate(("missing_check", "governor_missing", "no_training")):
            session.add(
                ScrGap(
                    school_id=school.id,
                    key=f"k{n}",
                    kind=kind,
                    subject="Alys Rhys",
                    opened_on=MONDAY,
                )
            )
    with welsh.context.store.transaction() as session:
        assert tell_owner(session, school, MONDAY, base_url="https://bro-derw.example") == 3
    [row] = outbox_as_sent(welsh.context.store, "scr_gaps")
    texts = _email_texts(row)
    assert row.subject == "Single central record: 3 new gaps"  # the term is not confirmed
    assert "Gweld y bylchau" in texts
    assert not _only_unconfirmed(texts, english_words, _held_back(catalogue)), texts
    headings = in_language(
        "cy", lambda: {k: str(v) for k, v in kind_headings(school_words(school)).items()}
    )
    assert headings["governor_missing"] == "Llywodraethwr heb fod ar y cofnod"
    english = kind_headings(school_words(school.model_copy(update={"language": "en"})))
    assert english["missing_check"] == "Check missing or undated"
    assert english["governor_missing"] == "Governor not on the record"


# from tests/core/test_i18n_set_c.py (main)
@pytest.mark.parametrize("errors", [{}, {"title": "t", "members": "m"}], ids=["page", "errors"])
def test_the_scr_page_is_welsh_but_for_the_unconfirmed_term(
    errors: dict[str, str], english_words: set[str], catalogue: Any
) -> None:
    from bot.core.language.words import school_words
    from bot.core.nations import pack_for
    from bot.features.scr.rules import describe, kind_headings

    tr = catalogue_in("cy")
    words = school_words(school("cy"))
    if errors:  # as the panel form says them
        errors = {
            "title": tr.gettext(
                "Give the recruitment a title of up to 200 characters, like 'Year 4 teacher, "
                "January'."
            ),
            "members": tr.gettext("Choose the people on the interview panel."),
        }
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for gap in _gaps():
        by_kind.setdefault(gap.kind, []).append((gap.subject, describe(gap, {}, words)))
    pack = pack_for("wales")
    context = {
        **_base(_person("headteacher")),
        "school": school("cy"),
        "today": date(2026, 9, 16),
        "checked": date(2026, 9, 15),
        "by_kind": by_kind,
        "kinds": kind_headings(words),
        "total": len(_gaps()),
        "pack_checks": pack.scr_checks,
        "note": pack.scr_note,
        "panels": [("Blwyddyn 4", ["Alys Rhys", None])],
        "staff": [(1, "Alys Rhys")],
        "errors": errors,
    }
    lang, texts = _page("scr.html", context)
    assert lang == "cy"
    # the nation pack's own words (its check names, its note and its sources' titles) are the
    # pack's, in English in the Wales pack: not the catalogue's
    pack_words = {pack.scr_note, *(c.name for c in pack.scr_checks)}
    pack_words |= {c.source.title for c in pack.scr_checks}
    names = ("Bedwyr Jones", "Ceri Ifans", "Blwyddyn 4", "Alys Rhys")
    plain = []
    for text in texts:
        for value in (*pack_words, *names):
            text = text.replace(value, " ")
        plain.append(text)
    assert not _only_unconfirmed(plain, english_words, _held_back(catalogue))
    assert "Paneli cyfweld" in texts and "ar ddydd Mercher 16 Medi 2026" in " ".join(texts)
