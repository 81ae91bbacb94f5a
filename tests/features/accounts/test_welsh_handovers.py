"""An official account's handover in a Welsh-medium school: why it is needed (kept as a kind
and its values, said where shown), the account page's line and notes, and the chasing emails,
each in ``cy`` with no English left (the word check of ``tests/core/test_i18n.py``, the values
filled in taken out); ``cy+en`` Welsh first, then English; English as it always read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.core.language.i18n import BETWEEN, said_in, speaking
from bot.core.models import OfficialAccount, Person
from bot.features.accounts.handovers import _chase_draft
from bot.features.accounts.rules import HANDOVER_CHASE_EVERY_DAYS, HANDOVER_CHASES, ChaseStage
from bot.features.accounts.web import HANDOVER_LINE
from tests.core.test_i18n import SCHOOL_NAME, _english_left, _page, _Visible, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words

HOLDER, CUSTODIAN, ACCOUNT = "Gwyn Prys", "Eirlys Puw", "Cyfrif Facebook yr ysgol"
FILLED = (HOLDER, CUSTODIAN, ACCOUNT, SCHOOL_NAME, "Facebook", "https://bot.example/accounts/5")
SINCE = date(2026, 11, 23)
KINDS = ("left", "stopped", "removed")
ENGLISH = {
    "left": f"{HOLDER} has left; change the login and hand over",
    "stopped": f"{HOLDER} no longer runs this account",
    "removed": "a holder was removed from the account",
}
LINE = ". Change the login and any recovery details, then record it here."
STAGES = {
    "first": ChaseStage(1, False),
    "last": ChaseStage(HANDOVER_CHASES, False),
    "final": ChaseStage(HANDOVER_CHASES + 1, True),
}


def _left(texts: list[str], english: set[str]) -> list[str]:
    for value in FILLED:
        texts = [t.replace(value, " ") for t in texts]
    return _english_left(texts, english)


def _account(kind: str | None, reason: str | None = None, custodian: bool = True) -> Any:
    account = OfficialAccount(
        id=5, name=ACCOUNT, platform="Facebook", handover_needed=True, handover_since=SINCE
    )
    if kind is not None:
        account.flag_handover(kind, SINCE, **({"person": HOLDER} if kind != "removed" else {}))
    account.handover_reason = reason
    if custodian:
        account.custodian = Person(display_name=CUSTODIAN, email="eirlys@brodderw.example")
        account.custodian.active = True
    return account


def _account_page(account: Any, language: str) -> tuple[str | None, list[str]]:
    context = {
        "user": None, "csrf_token": "t", "theme": "light", "demo": False, "account": account,
        "handover_line": HANDOVER_LINE, "holders": [], "people": [], "aup": None,
        "custodian": CUSTODIAN, "can_edit": True, "config_managed": False,
        "settings_editable": True, "error": None,
    }  # fmt: skip
    return _page("account.html", context, language)


def _email(draft: Any) -> tuple[str | None, list[str]]:
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    return parser.lang, [draft.subject, *parser.texts, *text.splitlines()]


def _chase(language: str, account: Any, stage: str = "first") -> Any:
    return _chase_draft(school(language), account, SINCE, STAGES[stage], "https://bot.example")


@pytest.mark.parametrize("kind", KINDS)
def test_a_handover_reason_is_said_in_the_readers_language(
    kind: str, english_words: set[str]
) -> None:
    account = _account(kind)
    assert said_in("en", account.handover_said()) == ENGLISH[kind]
    welsh = said_in("cy", account.handover_said())
    assert welsh != ENGLISH[kind] and _left([welsh], english_words) == []
    assert said_in("cy+en", account.handover_said()) == f"{welsh}{BETWEEN}{ENGLISH[kind]}"
    assert said_in("en", account.handover_said(HANDOVER_LINE)) == f"{ENGLISH[kind]}{LINE}"
    assert _left([said_in("cy", account.handover_said(HANDOVER_LINE))], english_words) == []


def test_a_reason_kept_as_free_text_is_shown_as_it_is() -> None:
    account = _account(None, "Amy Able has left")
    assert said_in("cy", account.handover_said()) == "Amy Able has left"
    assert said_in("en", account.handover_said(HANDOVER_LINE)).startswith("Amy Able has left. Ch")


@pytest.mark.parametrize("kind", KINDS)
def test_the_account_pages_handover_line_is_welsh(kind: str, english_words: set[str]) -> None:
    lang, texts = _account_page(_account(kind), "cy")
    assert lang == "cy" and _left(texts, english_words) == []
    assert f"{ENGLISH[kind]}{LINE}" in _account_page(_account(kind), "en")[1]
    assert f"{BETWEEN}{ENGLISH[kind]}{LINE}" in " ".join(_account_page(_account(kind), "cy+en")[1])


def test_a_handover_note_on_the_account_page_begins_in_welsh(english_words: set[str]) -> None:
    account = _account("left")
    account.notes = "Cyfrinair yn y sêff.\nHandover: cyfrinair wedi'i newid"  # as stored
    _, texts = _account_page(account, "cy")
    assert "Trosglwyddo: cyfrinair wedi'i newid" in "\n".join(texts)
    assert _left([t.replace("Cyfrinair", " ") for t in texts], english_words) == []
    assert "Handover: cyfrinair wedi'i newid" in "\n".join(_account_page(account, "en")[1])
    with speaking("cy+en"):
        notes = account.notes_said()
    assert notes == "Cyfrinair yn y sêff.\nTrosglwyddo / Handover: cyfrinair wedi'i newid"


@pytest.mark.parametrize("custodian", [True, False], ids=["custodian", "none"])
@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("kind", KINDS)
def test_the_handover_chases_are_welsh(
    kind: str, stage: str, custodian: bool, english_words: set[str]
) -> None:
    lang, texts = _email(_chase("cy", _account(kind, custodian=custodian), stage))
    assert lang == "cy" and "ers dydd Llun 23 Tachwedd 2026" in " ".join(texts)
    assert _left(texts, english_words) == []


def test_a_handover_chase_reads_as_before_in_english() -> None:
    draft = _chase("en", _account("left"))
    assert draft.subject == f"Official account handover needed: {ACCOUNT}"
    flat = " ".join(draft.parts()[0].split())
    assert (
        f"{HOLDER} has left; change the login and hand over. Please change the password of "
        f"{ACCOUNT} (Facebook) and its recovery details (email, phone, two-step sign-in), check "
        "who else can sign in, then record the handover on the account's page "
        "(https://bot.example/accounts/5)."
    ) in flat
    assert (
        "The handover has been waiting since Monday 23 November 2026. You will be reminded "
        f"every {HANDOVER_CHASE_EVERY_DAYS} days ({HANDOVER_CHASES - 1} more "
        f"time{'s' if HANDOVER_CHASES != 2 else ''}); "
        "after that the headteacher is asked to follow it up."
    ) in flat
    assert "You receive this as the account's custodian." in flat
    final = _chase("en", _account("removed", custodian=False), "final")
    assert final.subject == f"Chasing has stopped: {ACCOUNT} still needs a handover"
    flat = " ".join(final.parts()[0].split())
    assert "Dear headteacher," in flat
    assert (
        "a holder was removed from the account. The login of "
        f"{ACCOUNT} (Facebook) has needed changing since Monday 23 November 2026. We asked the "
        f"headteacher {HANDOVER_CHASES} times to change it and record the handover, and nothing "
        "has been recorded."
    ) in flat


def test_a_dual_language_chase_says_each_part_in_welsh_then_english() -> None:
    account = _account("stopped")
    both, welsh, english = (_chase(language, account) for language in ("cy+en", "cy", "en"))
    assert both.subject == f"{welsh.subject}{BETWEEN}{english.subject}"
    assert "Nid yw Gwyn Prys yn rhedeg y cyfrif hwn mwyach." in both.parts()[0]
