"""The retention schedule: a source for every default, the school's own choice marked, on a
page only the DPO and the head read; the same rows for the record of processing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.config import SchoolConfig
from bot.features.privacy.retention import RULES, cutoff, schedule_rows
from tests.features.reports.test_support import make_env
from tests.support.helpers import SchoolBuilder

SCHOOL = SchoolConfig(id="s", name="Oak", headteacher="head@oak.example")


def test_every_default_names_its_source_and_a_schools_choice_replaces_it() -> None:
    rows = schedule_rows(SCHOOL)
    assert [r.kind for r in rows] == [r.kind for r in RULES]
    assert all(r.source.said("en") and r.runs_from.said("en") for r in rows)
    leavers = next(r for r in rows if r.kind == "leavers")
    assert leavers.period.said("en") == "6 years" and not leavers.school_choice
    assert "termination of employment + 6 years" in leavers.source.said("en")
    assert leavers.period.said("cy") == "6 o flynyddoedd"
    own = SCHOOL.model_copy(update={"retention": {"leavers": 7}})
    chosen = next(r for r in schedule_rows(own) if r.kind == "leavers")
    assert chosen.period.said("en") == "7 years" and chosen.school_choice
    assert cutoff("leavers", own, date(2026, 11, 2)) == date(2019, 11, 2)
    assert cutoff("allegations", own, date(2026, 11, 2)) is None
    assert cutoff("visitors", SCHOOL, date(2026, 11, 2)) == date(2025, 11, 2)


def test_an_unknown_kind_in_the_settings_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="leaver"):
        SchoolConfig(id="s", name="Oak", headteacher="h@oak.example", retention={"leaver": 6})


def test_only_the_dpo_and_the_head_read_the_schedule(
    school: SchoolBuilder, database_url: str
) -> None:
    env = make_env(school, database_url)
    for reader in ("dpo@oak.example", "head"):
        page = env.client(reader).get("/privacy/schedule")
        assert page.status_code == 200, reader
        assert "IRMS Information Management Toolkit for Schools" in page.text
    for other in ("staff", "dsl", "deputy", "governor", "chair", "admin"):
        assert env.client(other).get("/privacy/schedule").status_code == 403, other
    assert env.client().get("/privacy/schedule").status_code == 401


def test_the_evidence_pack_carries_the_schedule_in_the_schools_language() -> None:
    from bot.core.language.i18n import speaking
    from bot.features.evidence.rules import retention_table

    own = SCHOOL.model_copy(update={"retention": {"leavers": 7}})
    table = retention_table(own)
    assert table.file_name == "retention-schedule.csv" and len(table.rows) == len(RULES)
    assert table.rows[3][:2] == ("People who left", "7 years (the school's choice)")
    with speaking("cy"):
        welsh = retention_table(own)
    assert welsh.rows[3][:2] == ("Pobl sydd wedi gadael", "7 o flynyddoedd (dewis yr ysgol)")
