"""One model, its checks said the same way at every door: a school's answer refused by the
answers file (``init --answers``), by ``init`` at a terminal and by the web page
(``/admin/school``) in the same words, because each checks it by the answers' model alone."""

from __future__ import annotations

import html
import signal
from pathlib import Path

import pytest

from bot.core.config import ConfigError
from bot.core.language.i18n import Msg
from bot.core.nations import NATIONS
from bot.features.setup.answers import SchoolAnswers, load_answers, refusal
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
