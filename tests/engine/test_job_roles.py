"""The role table: a job title in the school's words gives a role only when the school says
so; a title it does not know is reported, never stored, never dropped."""

from __future__ import annotations

import pytest

from bot.core.ports import DirectoryPerson
from bot.engine.job_roles import map_roles, suggest_role, words_of


def _person(
    title: str | None = None, roles: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> DirectoryPerson:
    return DirectoryPerson(
        "x", "x@oak.example", "X", job_title=title, roles=frozenset(roles), groups=frozenset(groups)
    )


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Class Teacher", "staff"),
        ("Teaching Assistant", "staff"),
        ("HLTA", "staff"),
        ("TA", "staff"),
        ("Deputy Headteacher", "staff"),
        ("Governor", "governor"),
        ("Safeguarding Governor", "safeguarding_governor"),
        ("Cleaner", "none"),
        ("Supply Teacher", "supply"),
        ("Reading Volunteer", "volunteer"),
        ("Astronaut", None),
    ],
)
def test_suggestions_for_common_titles(title: str, role: str | None) -> None:
    assert suggest_role(title) == role


def test_titles_are_mapped_without_case_or_accents_and_unknown_ones_are_named() -> None:
    table = {"Class teacher": "staff", "Cleaner": "none", "Gouverneur élu": "governor"}
    assert map_roles(_person("CLASS TEACHER"), {}, table).roles == {"staff"}
    assert map_roles(_person("gouverneur elu"), {}, table).roles == {"governor"}
    cleaner = map_roles(_person("Cleaner"), {}, table)
    assert cleaner.roles == frozenset() and cleaner.unknown == ()
    assert map_roles(_person("Site Manager"), {}, table).unknown == ("Site Manager",)


def test_a_roles_column_in_the_schools_words_is_never_stored_as_a_role() -> None:
    person = _person(roles=("Teacher", "staff"))
    assert map_roles(person, {}, {}).unknown == ("Teacher",)
    assert map_roles(person, {}, {"teacher": "staff"}).roles == {"staff"}


def test_a_school_without_a_table_is_not_asked_about_titles() -> None:
    """Roles from groups (Microsoft 365, Google) or the roles column: titles are not read."""
    in_group = _person("Class Teacher", groups=("All Staff",))
    assert map_roles(in_group, {"All Staff": "staff"}, {}).roles == {"staff"}
    assert map_roles(_person("Class Teacher"), {}, {}).unknown == ()
    assert words_of([in_group, _person("Cleaner"), _person("cleaner")], {"All Staff": "staff"}) == {
        "Cleaner": 2
    }


def test_the_built_in_table_speaks_each_nations_words_and_no_other() -> None:
    from bot.core.nations import posts_for, role_table

    wales, scotland, england = posts_for("wales"), posts_for("scotland"), posts_for("england")
    assert (wales["Pennaeth"], wales["Clerc y Llywodraethwyr"]) == ("staff", "clerk")
    assert scotland["Depute Head Teacher"] == "staff"
    assert "Pennaeth" not in england and "Depute Head Teacher" not in england
    assert england["Clerk to Governors"] == "clerk" and england["Cleaner"] == "none"
    # the school's own table wins; a school whose roles come from groups alone reads no title
    assert role_table("england", {"Cleaner": "staff"}, {})["Cleaner"] == "staff"
    assert role_table("england", {}, {"All Staff": "staff"}) == {}
