"""A school's language chosen on /admin/school: stored as a new version of the settings, the
pages its people read are then Welsh (``<html lang="cy">``), a language not offered is refused
with the box named and nothing changed, and the export carries it."""

from __future__ import annotations

from typing import Any

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
    assert bad.status_code == 422 and "Language: choose one of the list." in bad.text
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


def test_init_asks_a_welsh_school_its_language_english_by_default(monkeypatch: Any) -> None:
    from bot.features.setup import prompts

    answers = iter([True])
    monkeypatch.setattr(prompts.typer, "confirm", lambda *a, **k: next(answers))
    assert prompts._language() == "en"
    answers = iter([False])
    monkeypatch.setattr(prompts.typer, "prompt", lambda *a, **k: "CY+EN")
    assert prompts._language() == "cy+en"
