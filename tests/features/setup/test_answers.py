"""People named as they are typed (no accents, any case, a first name alone), nations in any
case, and the resumable answers file of an interactive init."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.ports import DirectoryPerson
from bot.features.setup.answers import Answers, Progress, pick_person


def _person(email: str, name: str, given: str, family: str) -> DirectoryPerson:
    return DirectoryPerson(email, email, name, given_name=given, family_name=family)


PEOPLE = [
    _person("siobhan@oak.example", "Siobhán Ní Bhriain", "Siobhán", "Ní Bhriain"),
    _person("ana.o@oak.example", "Ana Ortiz", "Ana", "Ortiz"),
    _person("ana.b@oak.example", "Ana Brook", "Ana", "Brook"),
    _person("zoe@oak.example", "Zoë O'Neill", "Zoë", "O'Neill"),
]


@pytest.mark.parametrize(
    ("typed", "email"),
    [
        ("Siobhan", "siobhan@oak.example"),  # a first name alone, without its accent
        ("siobhan ni bhriain", "siobhan@oak.example"),
        ("SIOBHÁN  NÍ BHRIAIN", "siobhan@oak.example"),
        ("zoe o'neill", "zoe@oak.example"),
        ("Ana Ortiz", "ana.o@oak.example"),
        ("ANA.O@OAK.EXAMPLE", "ana.o@oak.example"),
    ],
)
def test_a_name_finds_its_person_however_it_is_typed(typed: str, email: str) -> None:
    assert pick_person(PEOPLE, typed, "staff.csv") == (email, None, [])


def test_two_people_with_the_name_are_a_question_never_a_guess() -> None:
    email, problem, choices = pick_person(PEOPLE, "ana", "staff.csv")
    assert email is None and [p.email for p in choices] == [
        "ana.o@oak.example",
        "ana.b@oak.example",
    ]
    assert problem is not None and "2 people are called 'ana'" in problem
    assert pick_person(PEOPLE, "Nobody", "staff.csv")[1] == (
        "nobody called 'Nobody' in staff.csv; give the name or email it has"
    )


@pytest.mark.parametrize(
    ("typed", "nation"),
    [
        ("Scotland", "scotland"),
        ("NORTHERN IRELAND", "northern-ireland"),
        ("Northern-Ireland", "northern-ireland"),
        ("wales", "wales"),
    ],
)
def test_nations_in_any_case(typed: str, nation: str) -> None:
    answers = Answers.model_validate(
        {"school": {"name": "Oak", "country": typed}, "people": {"headteacher": "h@oak.example"}}
    )
    assert answers.school.country == nation


def test_the_resumable_answers_file_keeps_each_answer_as_given(tmp_path: Path) -> None:
    path = Progress.beside(tmp_path / ".compliance-bot")
    assert path == tmp_path / ".compliance-bot-answers.yaml"
    progress = Progress(path)
    progress.put(("school", "name"), "Oak Primary")
    progress.put(("people", "dsl"), ["a@oak.example"], answered=False)  # still being given
    progress.put(("job_titles", "Teacher / TA"), "staff")
    progress.mark(("people", "dpo"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = Progress.load(path)
    assert again.get(("school", "name")) == "Oak Primary" and again.has(("school", "name"))
    assert again.get(("people", "dsl")) == ["a@oak.example"]
    assert not again.has(("people", "dsl")) and again.has(("people", "dpo"))
    assert again.get(("job_titles", "Teacher / TA")) == "staff"
    again.forget("people")
    assert Progress.load(path).get(("people", "dsl")) is None
    assert Progress.load(path).has(("school", "name"))
