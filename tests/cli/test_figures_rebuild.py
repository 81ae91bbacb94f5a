"""``figures rebuild``: recomputes a school's kept figures from its records and says what
changed, in the school's language; run again, it says nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.core.database.figures import PARTS, facts
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import load_settings
from bot.core.models import KeptFigures
from tests.features.dashboard.test_support import configure
from tests.support.helpers import SchoolBuilder

ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}
DAY = "2026-11-23"
SAID = {
    "en": (
        "Oak Test School: Policies overdue for review: {before} before, {n} now.",
        "Oak Test School: the kept figures were true; nothing changed.",
    ),
    "cy": (
        "Oak Test School: Polisïau yn hwyr i'w hadolygu: {before} cynt, {n} nawr.",
        "Oak Test School: roedd y ffigurau a gadwyd yn gywir; ni newidiodd dim.",
    ),
}


def _run(school: SchoolBuilder, *args: str) -> Result:
    result = CliRunner().invoke(
        app, list(args), env={**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_rebuild_mends_figures_a_raw_write_left_stale_and_says_what_changed(
    tmp_path: Path, language: str
) -> None:
    school = configure(SchoolBuilder(tmp_path / "school"))  # the dashboard tests' school
    school.school["language"] = language
    school.installed()
    _run(school, "sweep", "--no-send", "--as-of", DAY)
    store = AppContext(load_settings(home=school.home)).store
    with store.transaction() as db:  # plain SQL: past the session's notes, as a hand edit is
        before = db.scalar(text(f"SELECT count(*) FROM policies WHERE next_review_due < '{DAY}'"))
        n = db.execute(text("UPDATE policies SET next_review_due = '2026-01-31'")).rowcount
    assert n > before
    changed, unchanged = SAID[language]
    rebuilt = _run(school, "figures", "rebuild", "--as-of", DAY).output
    assert changed.format(before=before, n=n) in rebuilt
    assert rebuilt.count(" · ") == 1  # which school's data: said once
    with store.session() as session:
        kept = dict(session.execute(select(KeptFigures.part, KeptFigures.facts)).all())
        assert kept == {part: facts(session, "oak", part) for part in PARTS}
    assert unchanged in _run(school, "figures", "rebuild", "--as-of", DAY).output
