"""The nation packs (bot/core/nations): each loads and validates, names its sources, keeps to
its own words; a school's ``words:`` override any of them, and a wrong key is a clear error."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.core.config import ConfigError, SchoolConfig, load_config
from bot.core.language.words import role_list, role_name, school_words
from bot.core.nations import NATIONS, WORD_KEYS, NationPackError, _load, pack_for, school_words_for

ENGLAND_ONLY = re.compile(
    r"\bLADO\b|\bKCSIE\b|\bDSLs?\b|\bFGB\b|\bDfE\b|Designated Safeguarding"
    r" Lead|Keeping Children Safe"
)
# the words a pack must show its source for (the role titles, the staff route, the guidance)
SOURCED = ("dsl", "deputy_dsl", "governing_body", "staff_route", "guidance")


def _school(**extra: object) -> SchoolConfig:
    return SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak", "headteacher": "h@oak.example", **extra}
    )


@pytest.mark.parametrize("nation", NATIONS)
def test_every_pack_loads_with_its_sources(nation: str) -> None:
    pack = _load(nation)
    assert pack.nation == nation
    for word in SOURCED:
        source = pack.sources[word]
        assert source.title and source.url.startswith("https://"), word
    assert pack.guidance.url.startswith("https://") and pack.guidance.publisher
    assert set(pack.words.model_dump()) == set(WORD_KEYS)


UK_NATIONS = [n for n in NATIONS if pack_for(n).uk]
ISLANDS = [n for n in NATIONS if not pack_for(n).uk]
# what only the UK says: its regulator and law, England's allegations route and inspectorate
UK_ONLY = re.compile(
    r"\bICO\b|UK GDPR|Information Commissioner's Office|\bLADO\b|\bFGB\b"
    r"|\bDfE\b|Ofsted"
)


@pytest.mark.parametrize("nation", [n for n in UK_NATIONS if n != "england"])
def test_no_other_nation_uses_englands_words(nation: str) -> None:
    said = " ".join(pack_for(nation).words.model_dump().values())
    assert not ENGLAND_ONLY.search(said), ENGLAND_ONLY.findall(said)


def test_the_islands_are_packs_of_their_own() -> None:
    assert ISLANDS == ["guernsey", "isle-of-man", "jersey"]
    assert {n: pack_for(n).holidays for n in ISLANDS} == {
        "guernsey": "GG",
        "isle-of-man": "IM",
        "jersey": "JE",
    }
    assert [pack_for(n).words.regulator for n in UK_NATIONS] == ["ICO"] * len(UK_NATIONS)
    jersey = pack_for("jersey").words
    assert (jersey.regulator, jersey.data_protection_law[:37]) == (
        "JOIC",
        "the Data Protection (Jersey) Law 2018",
    )
    assert pack_for("guernsey").words.regulator == "ODPA"
    assert pack_for("guernsey").words.dsl == "School Child Protection Officer"
    isle_of_man = pack_for("isle-of-man").words
    assert isle_of_man.regulator_full == "the Isle of Man Information Commissioner"


@pytest.mark.parametrize("nation", ISLANDS)
def test_an_island_never_says_the_uks_regulator_or_law(nation: str) -> None:
    pack = pack_for(nation)
    said = " ".join(pack.words.model_dump().values())
    if nation == "guernsey":  # Ofsted inspects the Bailiwick's schools, under its own framework
        said = said.replace("Ofsted (under the Bailiwick of Guernsey's framework)", "")
    assert not UK_ONLY.search(said), UK_ONLY.findall(said)
    for word in ("regulator", "data_protection_law"):  # its own law, cited
        assert pack.sources[word].url.startswith("https://"), word


def test_the_older_england_and_wales_country_keeps_englands_words() -> None:
    assert pack_for("england-and-wales") == pack_for("england")
    assert school_words(_school()).staff_route == "LADO"  # the default country


def test_the_nations_words_as_the_issue_names_them() -> None:
    assert pack_for("england").words.governing_body_short == "FGB"
    assert pack_for("scotland").words.dsl == "Child Protection Coordinator"
    assert "IRD" in pack_for("scotland").words.staff_route
    assert pack_for("wales").words.dsl_full == "Designated Safeguarding Person"
    assert pack_for("wales").words.guidance == "Keeping learners safe"
    northern_ireland = pack_for("northern-ireland").words
    assert (northern_ireland.dsl, northern_ireland.deputy_dsl) == (
        "Designated Teacher",
        "Deputy Designated Teacher",
    )
    assert northern_ireland.staff_route == "EA Designated Officer"
    assert "Safeguarding and Child Protection in Schools" in northern_ireland.guidance


def test_each_staff_route_clock_is_the_report_clock_default() -> None:
    """The packs' clock for concerns about staff is what a school gets unless it writes its
    own ``reports.clocks.lado``."""
    for nation in NATIONS:
        clock = pack_for(nation).staff_route.clock.model_dump(exclude_none=True)
        rule = _school(country=nation).clock_rule("lado", "immediate")
        assert rule.model_dump(exclude_none=True) == clock, nation
    assert pack_for("wales").staff_route.clock.hours == 24
    assert pack_for("england").staff_route.clock.working_days == 1


def test_an_unknown_nation_is_a_clear_error() -> None:
    with pytest.raises(NationPackError, match="no nation pack for 'mars'"):
        pack_for("mars")


def test_a_pack_file_with_a_missing_word_names_the_file_and_the_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.core.nations as nations

    text = (nations.HERE / "wales.toml").read_text(encoding="utf-8")
    (tmp_path / "wales.toml").write_text(re.sub(r"(?m)^dsl = .*\n", "", text), encoding="utf-8")
    monkeypatch.setattr(nations, "HERE", tmp_path)
    with pytest.raises(NationPackError, match=r"wales\.toml: words\.dsl: Field required"):
        _load("wales")


def test_roles_are_named_in_the_schools_words() -> None:
    words = school_words(_school(country="northern-ireland"))
    assert str(role_list(["deputy_dsl", "dsl", "headteacher", "chair_of_governors"], words)) == (
        "principal, Designated Teacher, Deputy Designated Teacher, chair of the Board of Governors"
    )
    assert role_name("dsl") == "DSL"  # England's, when no school is known


def test_a_school_overrides_any_word() -> None:
    school = _school(country="scotland", words={"dsl": "Child Protection Co-ordinator"})
    words = school_words(school)
    assert words.dsl == "Child Protection Co-ordinator"
    assert words.staff_route == pack_for("scotland").words.staff_route  # the rest: the pack's
    assert role_name("dsl", words) == "Child Protection Co-ordinator"


def test_a_policy_without_an_approving_body_is_the_nations_governing_body() -> None:
    policy = {"id": "cp", "title": "Child protection", "version": "1", "document": "cp.md"}
    assert _school(policies=[policy]).policies[0].approving_body == "FGB"
    northern_ireland = _school(country="northern-ireland", policies=[policy])
    assert northern_ireland.policies[0].approving_body == "Board of Governors"
    named = _school(country="scotland", policies=[{**policy, "approving_body": "Staffing"}])
    assert named.policies[0].approving_body == "Staffing"


def test_an_unknown_word_in_school_yaml_names_the_file_line_and_the_words_allowed(
    tmp_path: Path,
) -> None:
    school = {
        "id": "oak",
        "name": "Oak",
        "country": "wales",
        "headteacher": "h@oak.example",
        "words": {"dsl": "Safeguarding Person", "lado": "Designated officer"},
    }
    path = tmp_path / "school.yaml"
    path.write_text(
        yaml.safe_dump({"organisation": {"name": "Oak"}, "schools": [school]}, sort_keys=False),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "school.yaml line" in message and "schools[0].words" in message
    assert "unknown word lado" in message and "staff_route" in message


def test_a_crown_dependency_is_one_more_pack_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jersey: England's pack with its own name and bank holidays loads, and its calendar is
    Jersey's (Liberation Day, 9 May) with no code of its own."""
    import bot.core.nations as nations
    from bot.core.days.calendar import _holidays_of

    text = (nations.HERE / "england.toml").read_text(encoding="utf-8")
    text = (
        text.replace('nation = "england"', 'nation = "jersey"')
        .replace('name = "England"', 'name = "Jersey"')
        .replace('holidays = "GB-ENG"', 'holidays = "JE"')
    )
    (tmp_path / "jersey.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(nations, "HERE", tmp_path)
    pack = _load("jersey")
    assert (pack.name, pack.holidays) == ("Jersey", "JE")
    assert _holidays_of(pack.holidays).get(date(2026, 5, 9)) == "Liberation Day"
    assert _holidays_of("GB-ENG").get(date(2026, 5, 9)) is None


def test_an_independent_school_reads_the_proprietors_words() -> None:
    """``independent: true``: the proprietor body in place of the governing body, its members
    as the board; in England who inspects it is its to say (#79 item 2: not ISI for every
    independent school); the evidence pack names the Independent School Standards."""
    from bot.features.evidence.rules import standards_sentence

    own = _school(
        independent=True,
        policies=[{"id": "cp", "title": "Child protection", "version": "1", "document": "cp.md"}],
    )
    words = school_words(own)
    assert (words.governing_body, words.governing_body_short, words.governor) == (
        "proprietor body",
        "the proprietor",
        "proprietor body member",
    )
    assert words.inspectorate == "the inspectorate (not stated)"
    assert own.policies[0].approving_body == "proprietor"
    assert "Independent School Standards" in (standards_sentence(own) or "")
    assert school_words(_school(independent=True, inspectorate="isi")).inspectorate == (
        "the Independent Schools Inspectorate (ISI)"
    )
    maintained = _school()
    assert school_words(maintained).governing_body == "full governing body"
    assert standards_sentence(maintained) is None
    welsh = school_words(_school(country="wales", independent=True))
    assert (welsh.governing_body, welsh.inspectorate) == ("proprietor body", "Estyn")
    # a school's own word still wins
    assert (
        school_words(_school(independent=True, words={"chair": "chair of trustees"})).chair
        == "chair of trustees"
    )


def test_a_proprietor_body_member_is_suggested_as_the_board() -> None:
    from bot.engine.job_roles import suggest_role

    assert suggest_role("Proprietor body member") == "governor"


@pytest.mark.parametrize("nation", NATIONS)
def test_every_pack_answers_each_kind_of_change_with_a_cited_review_or_a_search(
    nation: str,
) -> None:
    """Reviews after a change: each of the pack's answers names a statutory item opened by that
    kind (its source cited) or says "not stated" with the search made; the islands too."""
    from bot.core.nations import EVENT_KINDS

    pack = pack_for(nation)
    items = {item.id: item for item in pack.statutory}
    assert set(pack.reviews) == set(EVENT_KINDS)
    for kind, answer in pack.reviews.items():
        if answer.opens is not None:
            item = items[answer.opens]
            assert kind in item.requirement["review_on"] and item.source.url.startswith("https")
        else:
            assert answer.searched and "(November 2026)" in answer.searched, kind


def test_a_pack_that_names_a_review_it_does_not_open_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.core.nations as nations

    text = (nations.HERE / "wales.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^incident = .*$", 'incident = { opens = "filtering-review" }', text)
    (tmp_path / "wales.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(nations, "HERE", tmp_path)
    with pytest.raises(NationPackError, match=r"reviews\.incident: 'filtering-review' is no"):
        _load("wales")


@pytest.mark.parametrize("nation", NATIONS)
def test_every_statutory_item_says_the_schools_words(nation: str) -> None:
    """A statutory item's ``{word}`` is one of the school's words: an independent school's
    items say its proprietor body's, a maintained school's its governors'."""
    placeholder = re.compile(r"\{[A-Za-z_]+\}")
    for independent in (False, True):
        words = school_words_for(nation, independent=independent)
        for item in pack_for(nation).statutory:
            said = item.said(words)
            assert not placeholder.search(f"{said.summary} {said.requirement}"), item.id
    governors = {
        i.id: i.said(school_words_for("england", independent=True))
        for i in pack_for("england").statutory
    }["governor-safeguarding-training"]
    assert governors.requirement["course"] == "Proprietor body's safeguarding training"
    assert governors.summary.startswith("Proprietor body members complete")
