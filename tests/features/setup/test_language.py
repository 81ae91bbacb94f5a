"""A school's language chosen on /admin/school: stored as a new version of the settings, the
pages its people read are then Welsh (``<html lang="cy">``), a language not offered is refused
with the box named and nothing changed, and the export carries it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.features.setup.conftest import Site


def _save(site: Site, **changes: str) -> int:
    form = {
        "name": "Oak Primary",
        "country": "wales",
        "reply_to": "",
        "language": "en",
        **changes,
        "csrf_token": site.csrf("/admin/school"),
    }
    return site.client.post("/admin/school", data=form, follow_redirects=False).status_code


def test_a_welsh_school_chooses_cymraeg_and_its_pages_are_welsh(site: Site) -> None:
    site.sign_in("office@oak.example")
    assert 'name="language"' in site.client.get("/admin/school").text
    assert _save(site, language="cy") == 303
    assert site.ctx.config.school().language == "cy"
    site.sign_in("amy@oak.example")
    me = site.client.get("/me").text
    assert '<html lang="cy"' in me and "Beth mae'r ysgol yn ei ofyn gennych" in me
    report = site.client.get("/report").text
    assert "Rhoi gwybod am bryder neu dor-rheol" in report
    assert "Person Diogelu Dynodedig" in report  # the pack's word as Welsh says it
    site.sign_in("office@oak.example")
    bad = site.client.post(
        "/admin/school",
        data={
            "name": "Oak Primary",
            "country": "wales",
            "language": "klingon",
            "csrf_token": site.csrf("/admin/school"),
        },
    )
    # refused in the school's language (Welsh now), naming the box, in the answers' words
    refused = "Iaith: Dylai fod yn 'en', 'cy' neu 'cy+en'."
    assert bad.status_code == 422 and refused in html.unescape(bad.text)
    assert site.ctx.config.school().language == "cy"
    exported = yaml.safe_load(site.client.get("/admin/settings/school.yaml").text)
    assert exported["schools"][0]["language"] == "cy"
    assert _save(site, language="cy+en") == 303
    both = site.client.get("/report").text
    assert "Rhoi gwybod am bryder neu dor-rheol / Report a concern or a breach" in both


def test_an_english_school_reads_english(site: Site) -> None:
    site.sign_in("amy@oak.example")
    me = site.client.get("/me").text
    assert '<html lang="en-GB"' in me and "What the school is asking of you" in me


def test_init_asks_a_welsh_school_its_language_english_by_default(
    monkeypatch: Any, tmp_path: Path
) -> None:
    from bot.features.setup import prompts
    from bot.features.setup.answers import Progress

    wales = Progress(tmp_path / "answers.yaml", {"school": {"country": "wales"}})
    answers = iter([True])
    monkeypatch.setattr(prompts.typer, "confirm", lambda *a, **k: next(answers))
    assert prompts._language(wales) == "en"
    answers = iter([False])
    monkeypatch.setattr(prompts.typer, "prompt", lambda *a, **k: "CY+EN")
    assert prompts._language(wales) == "cy+en"


@pytest.mark.parametrize(
    ("category", "typed", "language"),
    [
        ("primarily-welsh", None, "cy"),
        ("dual-language", None, "cy+en"),
        ("primarily-english", "", "en"),
        ("primarily-english", "cy+en", "cy+en"),
    ],
)
def test_a_welsh_schools_language_follows_its_language_category(
    monkeypatch: Any, tmp_path: Path, capsys: Any, category: str, typed: str | None, language: str
) -> None:
    """The Welsh Language and Education (Wales) Act 2025: a school's category sets its
    language (said so); a primarily English school is offered Welsh beside English."""
    from bot.core.config import SchoolConfig
    from bot.features.setup import prompts
    from bot.features.setup.answers import Progress

    asked: list[str] = []

    def prompt(question: str, **_: Any) -> str:
        asked.append(question)
        assert typed is not None, question
        return typed or str(_.get("default"))

    monkeypatch.setattr(prompts.typer, "prompt", prompt)
    progress = Progress(
        tmp_path / "answers.yaml", {"school": {"country": "wales", "language_category": category}}
    )
    assert prompts._language(progress) == language
    assert "sets the language" in " ".join(capsys.readouterr().out.split())
    assert (asked != []) is (category == "primarily-english")
    school = SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak",
            "headteacher": "h@oak.example",
            "country": "wales",
            "language_category": category,
        }
    )
    assert school.language == {"primarily-welsh": "cy", "dual-language": "cy+en"}.get(
        category, "en"
    )
    assert school.language_said is not None and school.language_said.id == category


def test_in_a_dual_language_school_each_person_chooses_on_me(site: Site) -> None:
    site.sign_in("office@oak.example")
    assert _save(site, language="cy+en") == 303
    site.sign_in("amy@oak.example")
    both = site.client.get("/me").text
    assert "Beth mae'r ysgol yn ei ofyn gennych / What the school is asking of you" in both
    for chosen, lang, said in (
        ("en", "en-GB", "What the school is asking of you"),
        ("cy", "cy", "Beth mae'r ysgol yn ei ofyn gennych"),
        ("", "cy", " / What the school is asking of you"),
    ):
        saved = site.client.post(
            "/me/language",
            data={"language": chosen, "csrf_token": site.csrf("/me")},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        page = site.client.get("/me").text
        assert f'<html lang="{lang}"' in page and said in page
    refused = site.client.post(
        "/me/language", data={"language": "fr", "csrf_token": site.csrf("/me")}
    )
    assert refused.status_code == 400 and "Language: choose one" in refused.text
    site.sign_in("office@oak.example")
    assert _save(site, language="cy") == 303  # a Welsh-only school offers no choice
    site.sign_in("amy@oak.example")
    assert 'action="/me/language"' not in site.client.get("/me").text
    assert (
        site.client.post(
            "/me/language", data={"language": "en", "csrf_token": site.csrf("/me")}
        ).status_code
        == 400
    )
