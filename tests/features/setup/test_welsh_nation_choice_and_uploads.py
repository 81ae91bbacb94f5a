"""A Welsh-medium school's settings: the nation choice names every pack in Welsh, and a policy
document uploaded on the settings pages is noted, asked about and refused in Welsh (no English
left but the document's and the school's own words), ``cy+en`` Welsh first, English as it
always read."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from bot.core.deployment.settings import Settings
from bot.core.language.i18n import BETWEEN, Msg, said_in, speaking
from bot.core.nations import NATIONS, pack_for
from bot.features.policies.importer import extract_from_lines
from bot.features.policies.rules import ReviewError
from bot.features.policies.store import accepted_document
from bot.features.setup.answers import typed_lines
from bot.features.setup.rules import SetupError
from bot.features.setup.service import policy_from_upload, read_upload
from tests.core.test_i18n import _english_left, _Visible
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env
from tests.support.welsh_school import TODAY
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env


def test_the_nation_choice_names_every_pack_in_welsh(env: Env, english_words: set[str]) -> None:
    page = env.client("admin").get("/admin/school")
    assert page.status_code == 200
    parser = _Visible()
    parser.feed(page.text)
    texts = [text.replace("Oak Test School", " ") for text in parser.texts]
    assert parser.lang == "cy" and _english_left(texts, english_words) == []
    options = re.findall(r'<option value="([a-z-]+)"[^>]*>([^<]+)</option>', unescape(page.text))
    assert {key: dict(options)[key] for key in NATIONS} == {
        "england": "Lloegr", "guernsey": "Guernsey", "isle-of-man": "Ynys Manaw",
        "jersey": "Jersey", "northern-ireland": "Gogledd Iwerddon", "scotland": "Yr Alban",
        "wales": "Cymru",
    }  # fmt: skip
    assert said_in("cy+en", Msg("Scotland")) == f"Yr Alban{BETWEEN}Scotland"
    assert said_in("cy+en", Msg("Jersey")) == "Jersey"  # the island's name, once
    assert [said_in("en", Msg(pack_for(n).name)) for n in NATIONS] == [
        pack_for(n).name for n in NATIONS
    ]


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A document whose title is only a guess (a first heading naming no policy) and whose
    dates are months only, uploaded on the settings page in each language."""
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    settings.config_path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Keeping our pupils safe\nRatified: March 2026\nNext review: March 2027\n"
    imported = extract_from_lines(text.splitlines(), "keeping-safe.md")
    assert imported.title is None and imported.title_guess is not None
    said = {}
    for language in ("en", "cy", "cy+en"):
        upload = policy_from_upload(settings, [], "keeping-safe.md", text.encode(), imported,
                                    TODAY)  # fmt: skip
        with speaking(language):
            said[language] = [str(line) for line in (*upload.found, *upload.needs_answer)]
    return said


def test_the_upload_pages_notes_and_questions_are_welsh(
    uploaded: dict[str, list[str]], english_words: set[str]
) -> None:
    welsh = uploaded["cy"]
    assert any("Mawrth 2027 (mis yn unig)" in line for line in welsh), welsh
    assert any("y pennawd cyntaf, ond nid yw'n enwi polisi" in line for line in welsh), welsh
    for line in welsh:  # the title and the version label staff see are the school's own values
        line = line.replace("Keeping our pupils safe", " ").replace("adopted March 2026", " ")
        assert _english_left([line], english_words) == [], line
    assert uploaded["cy+en"] == [
        f"{cy}{BETWEEN}{en}" if cy != en else en
        for cy, en in zip(welsh, uploaded["en"], strict=True)
    ]
    assert (
        "next review March 2027 (month only) is stored as 31 March 2027, the last day of that month"
    ) in uploaded["en"]
    assert (
        "the title: not clear from the document — is it “Keeping our pupils safe”? (the first "
        "heading, but it does not name a policy)"
    ) in uploaded["en"]


@pytest.mark.parametrize(
    "name,data,english",
    [
        ("polisi.pdf", b"", "polisi.pdf: the file is empty."),
        ("polisi.exe", b"MZ", "polisi.exe: use a .pdf, .docx, .odt, .md or .txt file for the "
                              "policy."),
        ("polisi.md", b"Polisi diogelu plant. " * 40 + b"\x01" * 30,
         "polisi.md: this file cannot be read as text (it may be damaged, or be another kind "
         "of file renamed), so we have not accepted it. Please save it again from the program "
         "it was written in."),
        ("gwag.md", b"   \n\n   \n", "gwag.md: no text found (the document is empty)."),
    ],
    ids=["empty", "wrong type", "not text", "no text"],
)  # fmt: skip
def test_a_policy_document_refused_on_the_settings_page_is_welsh(
    name: str, data: bytes, english: str, english_words: set[str]
) -> None:
    with pytest.raises(SetupError) as refused:
        read_upload(name, data)
    assert str(refused.value) == english  # as before
    welsh = said_in("cy", refused.value.msg)
    assert welsh.startswith(f"{name}: ") and welsh.endswith("."), welsh
    assert _english_left([welsh.replace(name, " ")], english_words) == []
    if name == "gwag.md":  # the importer's own reason
        assert welsh == "gwag.md: ni chafwyd hyd i destun (mae'r ddogfen yn wag)."
    if name == "gwag.md":  # the command line's reading of an empty document is its own
        return
    with pytest.raises(ReviewError) as said:  # the command line's words, no full stop of its own
        accepted_document(name, data)
    assert str(said.value) == english.removesuffix(".")


@pytest.mark.parametrize(
    "typed,english",
    [
        ("Hydref, 2026-09-02, 2099-12-31",
         "Terms, line 1: 2099-12-31 is too far ahead — the latest date accepted is 2031-11-23 "
         "(5 years from today); check the year."),
        ("Hydref, 1999-09-02, 2026-10-23",
         "Terms, line 1: 1999-09-02 is too long ago — the earliest date accepted is "
         "2000-01-01; check the year."),
    ],
    ids=["far ahead", "long ago"],
)  # fmt: skip
def test_a_term_date_outside_the_calendar_is_refused_in_welsh(
    typed: str, english: str, english_words: set[str]
) -> None:
    problem = typed_lines("dates", typed, TODAY)[1]
    assert isinstance(problem, Msg)
    assert str(problem) == english  # as before
    welsh = said_in("cy", problem)
    assert welsh.startswith("Tymhorau, llinell 1: mae "), welsh
    assert "(5 mlynedd o heddiw)" in welsh or "yn rhy bell yn ôl" in welsh
    assert _english_left([welsh], english_words) == []
    assert said_in("cy+en", problem) == f"{welsh}{BETWEEN}{english}"
