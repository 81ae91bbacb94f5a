"""Training in a Welsh-medium school: the training form's date refusals and the training
import's lines in Welsh (no English left but what was typed), ``cy+en`` Welsh first, English as
it always read."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.forms import SaidError
from bot.core.i18n import BETWEEN, Msg, said_in
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
