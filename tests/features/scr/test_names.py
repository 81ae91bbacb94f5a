"""Names as people write them: a directory's "Dr Fiona Carr" is the record's "Carr, Fiona"
(titles, accents, case and "Surname, Forename" aside); a name close to someone's but not
theirs is proposed, never taken."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.features.scr.service import current_gaps, import_sheet, refresh_gaps
from bot.features.scr.sheet import read_sheet
from tests.features.decisions.test_support import configure, sync_people
from tests.support.helpers import Row, SchoolBuilder, at

TODAY = date(2026, 11, 23)


def test_titles_accents_and_surname_first_match_and_a_near_name_is_only_proposed(
    tmp_path: Path,
) -> None:
    builder = configure(
        SchoolBuilder(tmp_path / "school"),
        headteacher="fiona@oak.example",
        dsl=["sian@oak.example"],
        deputy_dsl=[],
        admins=["fiona@oak.example"],
    )
    builder.people = [
        Row("fiona@oak.example", "Dr Fiona Carr", "staff", start="2020-09-01"),
        Row("sian@oak.example", "Siân O'Neill", "staff", start="2020-09-01"),
        Row("john@oak.example", "John Smyth", "staff", start="2020-09-01"),
    ]
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context, TODAY)
    sheet = tmp_path / "scr.csv"
    sheet.write_text(
        "Name,Start date,Identity checked,Barred list check,Enhanced DBS check date,Right to work\n"
        + "".join(
            f'"{n}",01/09/2020,01/08/2020,01/08/2020,01/08/2020,01/08/2020\n'
            for n in ("Carr, Fiona", "MRS SIAN O'NEILL", "Jon Smyth")
        ),
        encoding="utf-8",
    )
    school = context.config.school("oak")
    with context.store.transaction() as session:
        result = import_sheet(
            session, school, read_sheet(sheet, TODAY), where="scr.csv", actor="test", now=at(TODAY)
        )
        refresh_gaps(session, school, TODAY, force=True)
        kinds = {(g.kind, g.subject) for g in current_gaps(session, school, TODAY)}
    assert (result.matched, result.unmatched) == (2, 1)
    assert result.near == [{"line": "4", "name": "Jon Smyth", "person": "John Smyth"}]
    assert ("not_in_scr", "Dr Fiona Carr") not in kinds
    assert ("left_in_scr", "Fiona Carr") not in kinds
    assert ("not_in_scr", "John Smyth") in kinds  # proposed, not taken
    context.store.dispose()
