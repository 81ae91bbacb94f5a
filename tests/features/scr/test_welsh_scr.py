"""The single central record in a Welsh-medium school: its page (checks, their sources, its
note), its refusal, each gap with its date, and the SCR import's lines and refusals, in Welsh
(no English left but what was typed and the terms the catalogue holds back as unconfirmed:
the record's own name), Welsh first then English in ``cy+en``, English as it always read."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest

from bot.core.language.i18n import Msg, said_in
from bot.core.language.words import school_words
from bot.core.nations import pack_for
from bot.features.scr.rules import Gap, describe
from tests.core.test_i18n import _english_left, _Visible, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import PEOPLE, Env
from tests.support.welsh_school import TODAY, run
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env

_PIECES = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|<[^>]+>|\n|[—:;()\"“”]|\. ")
FILLED = (*(p.name for p in PEOPLE), *(p.email for p in PEOPLE), "Oak Test School", "Athro")


@pytest.fixture(scope="module")
def held_back(catalogue: Any) -> list[str]:
    """The English of the sentences the catalogue holds back as unconfirmed (fuzzy: the single
    central record's own name, 'triage'), in pieces: shown in English by design."""
    pieces: set[str] = set()
    for message in catalogue:
        if message.id and message.fuzzy:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            pieces |= {p.strip() for i in ids for p in _PIECES.split(i) if p.strip()}
    return sorted(pieces, key=len, reverse=True)


def _left(texts: list[str], english: set[str], held_back: list[str]) -> list[str]:
    plain = []
    for text in texts:
        for value in (*FILLED, *held_back):
            text = text.replace(value, " ")
        plain.append(text)
    return _english_left(plain, english)


def _page(response: Any) -> list[str]:
    parser = _Visible()
    parser.feed(response.text)
    assert parser.lang == "cy", parser.lang
    return parser.texts


def test_the_single_central_record_page_and_its_refusal_are_welsh(
    env: Env, english_words: set[str], held_back: list[str]
) -> None:
    page = env.client("head").get("/scr")
    assert page.status_code == 200
    assert _left(_page(page), english_words, held_back) == []
    said = unescape(page.text)
    assert "gwiriad manylach gan y GDG" in said and "gwiriad hunaniaeth" in said
    assert "Cadw dysgwyr yn ddiogel (recriwtio mwy diogel a gwiriadau'r GDG)" in said
    assert "Gwiriadau hawl i weithio: canllaw i gyflogwyr (y Swyddfa Gartref)" in said
    refused = env.client("staff").get("/scr")
    assert refused.status_code == 403
    assert _left(_page(refused), english_words, held_back) == []
    assert "pennaeth" in refused.text  # the school's word, in Welsh


def test_every_welsh_check_its_source_and_note_are_in_the_catalogue(
    english_words: set[str], held_back: list[str]
) -> None:
    pack = pack_for("wales")
    said = [pack.scr_note, *(c.name for c in pack.scr_checks)]
    said += [c.source.title for c in pack.scr_checks]
    welsh = [said_in("cy", Msg(text)) for text in said]
    assert all(w != e for w, e in zip(welsh, said, strict=True)), welsh
    assert _left(welsh, english_words, held_back) == []


@pytest.mark.parametrize(
    "gap",
    [
        Gap("no_training", "Amy Able", 4, detail=date(2025, 9, 1)),
        Gap("renewal_due", "Amy Able", 4, "criminal_record", date(2026, 10, 5)),
        Gap("panel_untrained", "Panel", detail="Athro Blwyddyn 3", panel_id=1),
    ],
    ids=["no training", "renewal", "panel"],
)
def test_a_gaps_date_is_said_in_welsh_and_in_english_as_before(
    gap: Gap, english_words: set[str], held_back: list[str]
) -> None:
    checks = {c.id: c.name for c in pack_for("wales").scr_checks}
    line = describe(gap, checks, school_words(school("cy")))
    if gap.kind == "no_training":  # the date as it always read
        assert "Monday 1 September 2025" in said_in("en", line)
    welsh = said_in("cy", line)
    assert _left([welsh.replace("Blwyddyn 3", " ")], english_words, held_back) == []
    if gap.kind == "no_training":
        assert "ers dydd Llun 1 Medi 2025" in welsh


def test_the_scr_import_speaks_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str], held_back: list[str]
) -> None:
    sheet = env.builder.home.parent / "scr.csv"
    sheet.write_text(
        "Surname,Forename,Identity checked,Barred list check,DBS certificate number\n"
        "Sur001,Fore001,01/08/2020,01/08/2020,001234567890\n"
    )
    _, said = run(env, monkeypatch, "cy", "scr", "import", str(sheet), "--as-of", str(TODAY))
    assert "hepgorwyd y golofn 'DBS certificate number': nid yw data fetio'n cael ei gadw" in said
    assert "rhesi a ddarllenwyd: 1 (0 wedi'u paru â phobl yr ysgol, 1 heb eu paru)" in said, said
    # what the import says (the install's "Database: … using …" line before it is not its own)
    own = said[said.index("hepgorwyd") :].replace("'DBS certificate number'", " ")  # its column
    assert _left([own], english_words, held_back) == []
    assert "001234567890" not in said


def test_an_scr_sheets_refusal_speaks_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str], held_back: list[str]
) -> None:
    bad = env.builder.home.parent / "scr-drwg.csv"
    bad.write_text(
        "Surname,Forename,Identity checked,Barred list check\nSur001,Fore001,maybe "
        "0012345678901,01/08/2020\n,,01/08/2020,01/08/2020\n"
    )
    _, said = run(env, monkeypatch, "cy", "scr", "import", str(bad), "--as-of", str(TODAY))
    assert (
        "scr-drwg.csv rhes 2 (Sur001): nid yw 'Identity checked' yn ddyddiad fel 01/09/2026" in said
    ), said
    assert "scr-drwg.csv rhes 3: mae 'Surname' ar goll" in said
    assert "0012345678901" not in said
    rows = said[said.index("scr-drwg.csv rhes 2") : said.index("ar goll") + 7]
    assert _left([rows.replace("'Identity checked'", " ")], english_words, held_back) == []
