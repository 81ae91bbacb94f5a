"""Training imports read every spreadsheet a school has the way the other readers do: a
provider's workbook (a title row, a "Results" sheet after a notes sheet) is imported; every
spreadsheet of ../shared/corpus (staff exports, SCR trackers: no training in them) is refused
with a sentence naming the file and the columns it lacks, and nothing is kept."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.core.models import TrainingRecord
from bot.features.training.service import import_training_csv
from tests.features.decisions.test_support import make_env
from tests.support.helpers import SchoolBuilder

TODAY = date(2026, 11, 23)
COURSES = ["Online safety"]


def test_a_providers_workbook_is_imported_from_its_results_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "About this export"
    notes.append(["Exported by the provider; one row a completion."])
    results = book.create_sheet("Results")
    results.append(["SafeCo completions, autumn term"])
    results.append(["Email Address", "Course Name", "Completion Date"])
    results.append(["amy@oak.example", "Online safety", datetime(2026, 11, 20)])
    results.append(["ben@oak.example", "Online safety", "19/11/2026"])
    export = tmp_path / "completions.xlsx"
    book.save(export)
    env = make_env(SchoolBuilder(tmp_path / "school"), today=TODAY)
    with env.context.store.transaction() as session:
        report = import_training_csv(
            session, "oak", export, actor="test", today=TODAY, courses=COURSES
        )
    assert (report.imported, report.errors) == (2, [])
    env.context.store.dispose()


def test_no_corpus_spreadsheet_is_a_training_export(
    shared_spreadsheets: Path, tmp_path: Path
) -> None:
    env = make_env(SchoolBuilder(tmp_path / "school"), today=TODAY)
    files = sorted(p for p in shared_spreadsheets.iterdir() if p.suffix in (".xlsx", ".csv"))
    with env.context.store.transaction() as session:
        said = {
            p.name: import_training_csv(
                session, "oak", p, actor="test", today=TODAY, courses=COURSES
            ).errors
            for p in files
        }
        kept = session.scalar(select(func.count(TrainingRecord.id)))
    assert kept == 0
    for name, errors in said.items():
        [error] = errors
        assert error.startswith(f"{name} line 1: missing columns "), error
        assert "course, completed_on" in error, error
    assert said["staff-export.semicolons.csv"] == [
        "staff-export.semicolons.csv line 1: missing columns course, completed_on (found: "
        "surname, forename, job title, email, start date)"
    ]
    env.context.store.dispose()
