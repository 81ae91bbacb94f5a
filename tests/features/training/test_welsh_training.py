"""Training in a Welsh-medium school: the training form's date refusals and the training
import's lines in Welsh (no English left but what was typed), ``cy+en`` Welsh first, English as
it always read."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.guards.forms import SaidError
from bot.core.language.i18n import BETWEEN, Msg, said_in
from bot.features.training.web import _date_problem
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env
from tests.support.welsh_school import TODAY, run
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env


@pytest.mark.parametrize(
    "given",
    [None, date(2026, 11, 24), date(1999, 1, 1), date(2028, 1, 1)],
    ids=["none", "future", "long ago", "far ahead"],
)
def test_the_training_forms_date_refusals_are_welsh(
    given: date | None, english_words: set[str]
) -> None:
    refused = _date_problem(given, TODAY)
    assert isinstance(refused, SaidError)
    welsh = said_in("cy", refused.msg)
    assert welsh != str(refused)
    assert _english_left([welsh.replace("2026-11-20", " ")], english_words) == []
    assert said_in("cy+en", refused.msg) == f"{welsh}{BETWEEN}{refused}"
    assert said_in("cy", Msg("The training was not recorded.")) == "Ni chofnodwyd yr hyfforddiant."


def test_the_training_forms_date_refusals_read_as_before_in_english() -> None:
    said = [str(_date_problem(day, TODAY)) for day in (None, date(2026, 11, 24), date(1999, 1, 1))]
    assert said == [
        "Please give the date you completed the training (e.g. 2026-11-20).",
        "The completion date cannot be in the future.",
        "Date completed: 1999-01-01 is too long ago — the earliest date accepted is 2000-01-01; "
        "check the year.",
    ]
    assert _date_problem(TODAY, TODAY) is None


def test_the_training_import_speaks_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    export = env.builder.home.parent / "hyfforddiant.csv"
    export.write_text("email,course,completed_on\namy@oak.example,Tân,20/11/2026\n")
    _, said = run(env, monkeypatch, "cy", "training", "import", str(export))
    assert "0 wedi'u mewnforio, 0 yno eisoes, 1 wedi'u gwrthod." in said, said
    assert "hyfforddiant.csv llinell 2, colofn 'course': nid yw 'Tân' yn un o gyrsiau" in said
    said_by_import = said[said.index("wedi'i hepgor") :].replace("'course'", " ")  # its column
    assert _english_left([said_by_import], english_words) == []
    _, missing = run(env, monkeypatch, "cy", "training", "import", str(export.with_name("d.csv")))
    assert "d.csv: ni chafwyd hyd i'r ffeil" in missing


# One row of each kind the import refuses, typed as a provider's export would have it, and
# what the school reads for it: (Welsh, English), written out by hand.
REFUSED_ROWS = [
    (
        "nobody@oak.example,,Online safety,20/11/2026",
        "rhesi.csv llinell 2: nid yw email nobody@oak.example yn y cyfeiriadur",
        "rhesi.csv line 2: email nobody@oak.example is not in the directory",
    ),
    (
        ",,Online safety,20/11/2026",
        "rhesi.csv llinell 3: email a name yn wag",
        "rhesi.csv line 3: email and name empty",
    ),
    (
        "ben@oak.example,,Online safety,31/13/2026",
        "rhesi.csv llinell 4: completed_on: nid yw'n ddyddiad: '31/13/2026' (defnyddiwch "
        "2026-09-14 neu 14/09/2026)",
        "rhesi.csv line 4: completed_on not a date: '31/13/2026' (use 2026-09-14 or 14/09/2026)",
    ),
    (
        "ben@oak.example,,Online Safety Training,20/11/2026",
        "rhesi.csv llinell 5, colofn 'course': cwrs anhysbys 'Online Safety Training' — ai "
        "'Online safety' oedd dan sylw?",
        "rhesi.csv line 5, column 'course': unknown course 'Online Safety Training' — did you "
        "mean 'Online safety'?",
    ),
    (
        "ben@oak.example,,Online safety,2027-01-01",
        "rhesi.csv llinell 6: completed_on: mae 2027-01-01 yn y dyfodol",
        "rhesi.csv line 6: completed_on 2027-01-01 is in the future",
    ),
    (
        "ben@oak.example,,Online safety,01/01/1900",
        "rhesi.csv llinell 7: completed_on: mae 1900-01-01 yn rhy bell yn ôl — y dyddiad "
        "cynharaf a dderbynnir yw 2000-01-01; gwiriwch y flwyddyn",
        "rhesi.csv line 7: completed_on 1900-01-01 is too long ago — the earliest date accepted "
        "is 2000-01-01; check the year",
    ),
]
# what the school typed (its column names, its course, its cells): left as written
TYPED = [
    "nobody@oak.example",
    "'course'",
    "email",
    "name",
    "completed_on",
    "Online Safety Training",
    "Online safety",
]


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_each_kind_of_refused_training_row_is_said_in_the_schools_language(
    language: str, env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    monkeypatch.setitem(
        env.builder.school,
        "requirements",
        [
            {
                "id": "os",
                "kind": "complete_training",
                "course": "Online safety",
                "audience": {"roles": ["staff"]},
            }
        ],
    )
    export = env.builder.home.parent / "rhesi.csv"
    rows = "".join(f"{row}\n" for row, _, _ in REFUSED_ROWS)
    export.write_text(f"email,name,course,completed_on\n{rows}", encoding="utf-8")
    code, said = run(env, monkeypatch, language, "training", "import", str(export))
    assert code == 1  # nothing imported
    for _, welsh, english in REFUSED_ROWS:
        welsh_line, english_line = f"wedi'i hepgor {welsh}", f"skipped {english}"
        expected = {
            "cy": welsh_line,
            "cy+en": f"{welsh_line}{BETWEEN}{english_line}",  # whole Welsh, then whole English
            "en": english_line,
        }[language]
        assert f" {expected} " in f" {said} ", said
    if language == "en":
        assert "llinell" not in said and "0 imported, 0 already present, 6 rejected." in said
    elif language == "cy":  # a Welsh school reads no English but what was typed
        welsh_said = said[said.index("wedi'i hepgor") :]
        for typed in TYPED:
            welsh_said = welsh_said.replace(typed, " ")
        assert _english_left([welsh_said], english_words) == []
