"""The statutory year in the pack: each nation's items (with their sources) become valid
requirements for ``init`` and the web's packs; KCSIE is a reading campaign, never a policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core.config import OrgConfig
from bot.core.nations import NATIONS, pack_for
from bot.features.setup.pack import PACKS, PolicyRef, match_pack, pack_requirements, school_pack

NAMED = {
    "headteacher": "head@oak.example",
    "dsl": ["dsl@oak.example"],
    "chair_of_governors": "chair@oak.example",
}


def _school(
    country: str, requirements: list[dict[str, Any]] | None = None, language: str = "en"
) -> OrgConfig:
    return OrgConfig.model_validate(
        {
            "organisation": {"name": "Trust"},
            "schools": [
                {
                    "id": "oak",
                    "name": "Oak",
                    "headteacher": "head@oak.example",
                    "dsl": ["dsl@oak.example"],
                    "chair_of_governors": "chair@oak.example",
                    "country": country,
                    "language": language,
                    "requirements": requirements or [],
                }
            ],
            "base_dir": Path("."),
        }
    )


def _chosen(country: str) -> dict[str, dict[str, Any]]:
    """Every template chosen ('standard' in init) for a school of ``country``."""
    items = match_pack([], country)
    reqs = pack_requirements(items, {i.template.id for i in items}, NAMED)
    _school(country, reqs)  # valid school.yaml
    return {r["id"]: r for r in reqs}


def test_every_item_names_its_source_and_how_often() -> None:
    for nation in NATIONS:
        items = pack_for(nation).statutory
        assert items, nation
        for item in items:
            assert item.source.title and item.source.url.startswith("https://"), item.id
            assert item.frequency, item.id


def test_england_reads_kcsie_by_audience_and_trains_the_dsl_every_two_years() -> None:
    reqs = _chosen("england")
    kcsie = reqs["read-kcsie"]
    assert kcsie["kind"] == "reading_campaign" and kcsie["yearly_on"] == "09-01"
    assert list(kcsie["audiences"]) == ["annex-a", "part-1"]  # the narrower audience first
    assert "staff" in kcsie["audiences"]["part-1"]["roles"]
    dsl = reqs["dsl-training"]
    assert (dsl["full_every"], dsl["refresh_every"]) == ("2 years", "1 year")
    assert dsl["audience"]["roles"] == ["dsl", "deputy_dsl"]
    assert {"prevent-training", "governor-safeguarding-training"} <= set(reqs)
    review = reqs["filtering-monitoring-review"]
    assert review["kind"] == "recurring_task" and review["every"] == "yearly"
    assert review["owners"] == ["dsl@oak.example", "chair@oak.example"]  # leader and governor
    assert "pvg-membership" not in reqs and "designated-teacher-training" not in reqs


def test_the_old_default_nation_takes_englands_items() -> None:
    assert pack_for("england-and-wales").statutory == pack_for("england").statutory


def test_wales_reads_keeping_learners_safe_and_never_kcsie() -> None:
    reqs = _chosen("wales")
    assert "read-keeping-learners-safe" in reqs and "read-kcsie" not in reqs
    assert all("kcsie" not in r["id"] for r in reqs.values())


def test_scotland_renews_pvg_every_five_years_as_a_record_check() -> None:
    reqs = _chosen("scotland")
    pvg = reqs["pvg-membership"]
    assert pvg["record_check"] is True and pvg["full_every"] == "5 years"
    school = _school("scotland", list(reqs.values())).school()
    config = next(r for r in school.requirements if r.id == "pvg-membership")
    assert config.full_every == 60 and config.record_check
    assert "read-kcsie" not in reqs and "dsl-training" not in reqs


def test_northern_ireland_designated_teachers_refresh_every_three_years() -> None:
    reqs = _chosen("northern-ireland")
    teacher = reqs["designated-teacher-training"]
    assert teacher["refresh_every"] == "3 years" and "full_every" not in teacher
    assert "read-kcsie" not in reqs


def test_unstated_frequencies_are_said_so() -> None:
    prevent = next(i for i in pack_for("england").statutory if i.id == "prevent-training")
    assert prevent.frequency == "not stated"


@pytest.mark.parametrize("title", ["Keeping Children Safe in Education 2025", "KCSIE 2025 Part 1"])
def test_kcsie_is_never_matched_as_a_policy(title: str) -> None:
    guidance = PolicyRef("kcsie-2025", title)
    assert guidance.is_guidance
    items = match_pack([guidance], "england")
    assert all(guidance not in item.policies for item in items)
    chosen = pack_requirements(items, {i.template.id for i in items}, NAMED)
    assert all(r.get("policy") != "kcsie-2025" for r in chosen)
    assert not PolicyRef("cp", "Safeguarding and Child Protection Policy").is_guidance


def test_the_web_pack_adds_the_nations_items_with_their_sources_once() -> None:
    org = _school("england")
    added, notes = school_pack(PACKS["statutory"], org.school())
    ids = {r["id"] for r in added}
    assert ids == {
        "read-kcsie",
        "dsl-training",
        "prevent-training",
        "governor-safeguarding-training",
        "filtering-monitoring-review",
        "phone-policy-review",
    }
    assert any("How often: not stated" in n and "gov.uk" in n for n in notes)
    assert any(
        "Mobile phone" in n.replace("mobile phone", "Mobile phone")
        and "legislation.gov.uk/ukpga/2026/21/section/36" in n
        for n in notes
    )
    again, _ = school_pack(PACKS["statutory"], _school("england", added).school())
    assert again == []


@pytest.mark.parametrize(
    ("language", "course"),
    [
        ("cy", "Hyfforddiant y person diogelu dynodedig"),
        (
            "cy+en",
            "Hyfforddiant y person diogelu dynodedig / Designated safeguarding person training",
        ),
        ("en", "Designated safeguarding person training"),
    ],
)
def test_a_pack_added_on_the_web_is_written_in_the_schools_language(
    language: str, course: str
) -> None:
    """#94: a Welsh school adding a pack on the requirements page gets its words in Welsh."""
    school = _school("wales", language=language).school()
    added, _ = school_pack(PACKS["statutory"], school)
    said = {r["id"]: r.get("course") or r.get("title") for r in added}
    assert said["dsp-training"] == course
    kcsie, _ = school_pack(PACKS["kcsie"], school)
    online = next(r["course"] for r in kcsie if r["id"] == "training-online-safety")
    assert online == {"cy": "Diogelwch ar-lein", "en": "Online safety"}.get(
        language, "Diogelwch ar-lein / Online safety"
    )
