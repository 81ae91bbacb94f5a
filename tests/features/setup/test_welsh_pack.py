"""The standard pack in a Welsh school's words (#94): ``init --answers`` for a school in Wales
writes the pack's courses, reading and tasks into school.yaml in the school's language (``cy``:
Welsh; ``cy+en``: "Cymraeg / English"; ``en`` as before), so its reminders and task subjects
say them in Welsh; and a Welsh-only school's year of email, from its first September to the
summer, has no English in it but the school's own document titles and people's names (read by
the Welsh reader's checks, ``tests/core/test_welsh_reader.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import load_config
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import load_settings
from bot.core.models import Person
from bot.engine.sweep import run_sweep
from tests.core.test_welsh_reader import Catalogue, _english, _visible, catalogue  # noqa: F401
from tests.support.helpers import at, outbox_as_sent
from tests.support.newcomer import answers_file, policy_folder, staff_csv, term_calendar

SCHOOL = "Ysgol Gymraeg Bro Derw"
# what init writes for the pack's training, reading and review task, in each language
WORDED = {
    "en": {
        "training-safeguarding": "Safeguarding and child protection",
        "training-online-safety": "Online safety",
        "dsp-training": "Designated safeguarding person training",
        "prevent-training": "Prevent awareness",
        "read-keeping-learners-safe": "Keeping learners safe",
        "filtering-monitoring-review": "Review web filtering and online safeguarding",
    },
    "cy": {
        "training-safeguarding": "Diogelu ac amddiffyn plant",
        "training-online-safety": "Diogelwch ar-lein",
        "dsp-training": "Hyfforddiant y person diogelu dynodedig",
        "prevent-training": "Ymwybyddiaeth o Prevent",
        "read-keeping-learners-safe": "Cadw dysgwyr yn ddiogel",
        "filtering-monitoring-review": "Adolygu hidlo cynnwys y we a diogelu ar-lein",
    },
}


def _init(folder: Path, language: str, staff: int = 50) -> tuple[dict[str, str], list[Any]]:
    """``init --answers`` for a school in Wales in ``language``: the environment its commands
    run in, and the directory's rows."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = staff_csv(folder / "staff.csv", staff)
    policy_folder(folder / "policies")
    term_calendar(folder / "term-dates.ics")
    school = {"name": SCHOOL, "country": "wales", "language": language}
    answers = answers_file(folder / "answers.yaml", rows, school=school)
    env = {"COLUMNS": "400", "COMPLIANCE_BOT_HOME": str(folder / "home")}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # init writes the settings file (.env) where it is run
        result = CliRunner().invoke(
            app, ["init", "--answers", str(answers), "--as-of", "2026-09-01"], env=env
        )
    assert result.exit_code == 0, result.output
    return env, rows


def _worded(env: dict[str, str]) -> dict[str, str]:
    """Each pack requirement's words as school.yaml has them (its title, else its course)."""
    school = load_config(Path(env["COMPLIANCE_BOT_HOME"]) / "school.yaml").school()
    return {r.id: r.display_title for r in school.requirements if r.id in WORDED["en"]}


@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_init_writes_the_pack_in_the_schools_language(tmp_path: Path, language: str) -> None:
    env, _rows = _init(tmp_path, language, staff=6)
    welsh, english = WORDED["cy"], WORDED["en"]
    expected = {
        "cy": welsh,
        "en": english,
        "cy+en": {key: f"{welsh[key]} / {english[key]}" for key in english},
    }[language]
    assert _worded(env) == expected


def test_a_school_that_renames_a_course_keeps_its_name(tmp_path: Path) -> None:
    """What the school wrote wins: a renamed course is its own, whatever its language."""
    env, _rows = _init(tmp_path, "cy", staff=6)
    path = Path(env["COMPLIANCE_BOT_HOME"]) / "school.yaml"
    text = path.read_text(encoding="utf-8")
    assert "course: Diogelu ac amddiffyn plant\n" in text
    path.write_text(text.replace("Diogelu ac amddiffyn plant", "Cwrs diogelu'r sir"), "utf-8")
    assert _worded(env)["training-safeguarding"] == "Cwrs diogelu'r sir"


# the year's sweeps: the first September day, then every Monday and Thursday (the reminders',
# the digest's and the tasks' days) to the end of the summer term
YEAR = [date(2026, 9, 1)] + [
    day
    for day in (date(2026, 9, 3) + timedelta(days=n) for n in range(322))
    if day.weekday() in (0, 3)
]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Any], tuple[str, ...]]]:
    """A Welsh-only school made by ``init --answers``, swept through its school year: every
    email queued, and what the school itself wrote (its people, their titles, its documents)."""
    folder = tmp_path_factory.mktemp("cy-year")
    env, rows = _init(folder, "cy", staff=6)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for key, value in env.items():
            patch.setenv(key, value)
        assert CliRunner().invoke(app, ["start-sending"], env=env).exit_code == 0
        context = AppContext(load_settings())
        for day in YEAR:
            with time_machine.travel(at(day, 8, 15), tick=False):
                run_sweep(context.store, context.settings, context.config, context.connectors)
        emails = [row for row in outbox_as_sent(context.store) if row.channel == "email"]
        with context.store.session() as session:
            names = list(session.scalars(select(Person.display_name)))
        school = context.config.school()
        own = (
            SCHOOL,
            *(p.title for p in school.policies),
            *(p.approving_body for p in school.policies if p.approving_body),
            *names,
            *(part for name in names for part in name.split()),
            *(row["job_title"] for row in rows),
        )
        yield emails, tuple(sorted(set(own), key=len, reverse=True))
        context.store.dispose()


def test_a_welsh_schools_year_of_email_has_no_english(
    year: tuple[list[Any], tuple[str, ...]],
    catalogue: Catalogue,  # noqa: F811 - the Welsh reader's fixture
) -> None:
    emails, own = year
    purposes = {row.purpose for row in emails}
    print(f"a cy school's year: {len(emails)} emails ({', '.join(sorted(purposes))})")
    assert {"reminder", "governor_review", "digest"} <= purposes, purposes
    subjects = " ".join(row.subject for row in emails)
    for welsh in (WORDED["cy"]["training-safeguarding"], WORDED["cy"]["dsp-training"]):
        assert welsh in " ".join(str(row.payload["text"]) for row in emails), welsh
    assert WORDED["cy"]["filtering-monitoring-review"] in subjects
    left: list[str] = []
    for row in emails:
        lang, html = _visible(row.payload["html"])
        assert lang in (None, "cy"), (row.purpose, lang)
        texts = [row.subject, *html, *row.payload["text"].splitlines()]
        for value in own:
            texts = [text.replace(value, " ") for text in texts]
        left += [f"{row.purpose}: {text!r}" for text in _english(texts, catalogue)]
    assert not left, "\n".join(dict.fromkeys(left))
