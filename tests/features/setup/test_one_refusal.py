"""One model, its checks said the same way at every door: a school's answer refused by the
answers file (``init --answers``), by ``init`` at a terminal and by the web page
(``/admin/school``) in the same words, because each checks it by the answers' model alone."""

from __future__ import annotations

import html
import signal
from datetime import date
from pathlib import Path

import pytest

from bot.core.config import ConfigError
from bot.core.language.i18n import Msg
from bot.core.nations import NATIONS
from bot.features.setup.answers import SchoolAnswers, TermAnswers, load_answers, refusal
from tests.features.setup.conftest import Site
from tests.support.terminal import answer, asked, spawn, wrapped

NO_NAME = "give the school's name"
NO_NATION = f"unknown nation 'atlantis' (one of {', '.join(NATIONS)})"


def _answers_file(tmp_path: Path, school: str) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(f"school:\n{school}\npeople:\n  headteacher: head@oak.example\n")
    with pytest.raises(ConfigError) as refused:
        load_answers(path)
    return str(refused.value)


def _web(site: Site, **given: str) -> str:
    site.sign_in("office@oak.example")
    form = {"name": "Oak Primary", "country": "england", "reply_to": "", "language": "en"}
    page = site.client.post(
        "/admin/school", data={**form, **given, "csrf_token": site.csrf("/admin/school")}
    )
    assert page.status_code == 422  # nothing stored
    return html.unescape(page.text)


def test_the_model_refuses_a_blank_name_and_an_unknown_nation_in_its_own_words() -> None:
    assert refusal(SchoolAnswers, "name", "  Oak Primary ") == ("Oak Primary", None)
    assert refusal(SchoolAnswers, "country", "Northern Ireland") == ("northern-ireland", None)
    assert str(refusal(SchoolAnswers, "name", "   ")[1]) == NO_NAME
    assert str(refusal(SchoolAnswers, "country", "atlantis")[1]) == NO_NATION
    said = refusal(SchoolAnswers, "name", "")[1]
    assert isinstance(said, Msg) and said.said("cy") == "rhowch enw'r ysgol"


def test_the_answers_file_and_the_web_page_refuse_a_blank_name_alike(
    tmp_path: Path, site: Site
) -> None:
    in_file = _answers_file(tmp_path, "  name: '   '")
    assert f"school.name: {NO_NAME}" in in_file
    assert f"School name: {NO_NAME}." in _web(site, name="   ")
    assert f"school.country: {NO_NATION}" in _answers_file(
        tmp_path, "  name: Oak Primary\n  country: atlantis"
    )
    assert f"Nation: {NO_NATION}." in _web(site, country="atlantis")
    assert site.ctx.config.school().name != "   "


@pytest.mark.slow
def test_the_terminal_refuses_a_blank_name_as_the_answers_file_does(tmp_path: Path) -> None:
    child, _shown = spawn(["init", "--as-of", "2026-09-14"], cwd=tmp_path)
    try:
        answer(child, "School name", "   ")
        child.expect(wrapped(NO_NAME))
        child.expect(asked("School name"))  # asked again, nothing saved
        child.sendline("Oak Primary")
        child.expect(asked("Nation"))
    finally:
        child.kill(signal.SIGKILL)


ENDS_BEFORE = "term 'Autumn 1' ends before it starts"
NOT_A_DATE = "“1 Sept” is not a date; write it like 2026-10-23 or 23/10/2026"


def test_the_terminal_refuses_a_term_and_an_inset_day_as_the_answers_file_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A term typed at ``init`` that ends before it starts, or an INSET day that is not a
    date, is refused at once in the answers file's words and asked again (it was kept, and
    the run then failed on it at the end, and again on every ``--resume``). The terminal takes
    the lines the web page's boxes take, one at a time, and keeps them as typed."""
    import typer

    from bot.features.setup import prompts

    with_terms = "  name: Oak Primary\nterms:\n  dates:\n"
    assert ENDS_BEFORE in _answers_file(
        tmp_path, with_terms + "  - {name: Autumn 1, start: 2026-10-23, end: 2026-09-02}"
    ).replace(f"school:\n{with_terms}", "")
    assert NOT_A_DATE in _answers_file(
        tmp_path, "  name: Oak Primary\nterms:\n  inset_days: [1 Sept]"
    )
    typed = iter(
        [
            "",  # no .ics calendar: the terms are typed
            "Autumn 1, 2026-10-23, 2026-09-02",  # refused: asked again
            "Autumn 1, 2 Sept 2026, 23/10/2026",
            "",
            "1 Sept",  # refused: asked again
            *("2026-09-01", "26/10/2026", ""),
            "",  # no other closures
        ]
    )
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: next(typed))
    kept = prompts._terms("local authority")
    assert kept == {
        "dates": ["Autumn 1, 2 Sept 2026, 23/10/2026"],
        "inset_days": ["2026-09-01", "26/10/2026"],
        "holidays": [],
    }
    read = TermAnswers.model_validate(kept)  # as the answers file reads them back
    assert (read.dates[0].start, read.dates[0].end) == (date(2026, 9, 2), date(2026, 10, 23))
    assert read.inset_days == [date(2026, 9, 1), date(2026, 10, 26)]
    refused = " ".join(capsys.readouterr().err.split())
    assert ENDS_BEFORE in refused and NOT_A_DATE in refused


def test_a_schools_id_is_refused_in_the_schools_words_by_the_file_as_at_the_terminal(
    tmp_path: Path,
) -> None:
    """The terminal said "use small letters, digits and hyphens only" of a bad id; the
    answers file said the pattern it failed. The model says the sentence for both."""
    refused = _answers_file(tmp_path, "  name: Oak Primary\n  id: Oak School")
    assert "school.id: Oak School: use small letters, digits and hyphens only" in refused
    assert "pattern" not in refused
    assert refusal(SchoolAnswers, "id", "oak-primary") == ("oak-primary", None)


def test_the_web_terms_page_refuses_a_term_and_a_closure_as_the_answers_file_does(
    tmp_path: Path, site: Site
) -> None:
    """The terms page checked a typed term and a closure with its own sentences ("“Autumn 1”
    ends before it starts"); it now asks the answers' model, so it says what the file says,
    naming the line, and stores nothing."""
    with_terms = "  name: Oak Primary\nterms:\n"
    in_file = _answers_file(
        tmp_path, with_terms + "  dates:\n  - {name: Autumn 1, start: 2026-10-23, end: 2026-09-02}"
    )
    assert ENDS_BEFORE in in_file
    far = "2099-12-31 is too far ahead"
    assert far in _answers_file(tmp_path, with_terms + "  holidays: [2099-12-31]")
    site.sign_in("office@oak.example")
    before = site.ctx.config.school().terms

    def refused(**typed: str) -> str:
        form = {"terms": "Autumn 1, 2026-09-02, 2026-10-23", "inset_days": "", "holidays": ""}
        page = site.client.post(
            "/admin/terms", data={**form, **typed, "csrf_token": site.csrf("/admin/terms")}
        )
        assert page.status_code == 422  # nothing stored
        return html.unescape(page.text)

    assert f"Terms, line 2: {ENDS_BEFORE}." in refused(
        terms="Spring, 2027-01-05, 2027-03-26\nAutumn 1, 2026-10-23, 2026-09-02"
    )
    assert f"Other closures, line 1: {far}" in refused(holidays="2099-12-31")
    assert site.ctx.config.school().terms == before
