"""A statutory reading left unread when next September's edition opens is kept as "not read"
for its year, and the evidence pack says so — not "superseded"."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.models import Duty
from bot.engine.sweep import run_sweep
from bot.features.evidence.service import gather, school_reports
from bot.features.reading.service import register_edition
from tests.support.helpers import SchoolBuilder, at

LAST_YEAR, THIS_YEAR = date(2025, 9, 1), date(2026, 9, 1)


def test_an_unread_reading_counts_as_not_read_for_its_year(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        audiences={"part-1": {"roles": ["staff"]}},
    )
    ctx = school.context(sqlite_url, demo=True)
    for year, day in (("2025", LAST_YEAR), ("2026", THIS_YEAR)):
        edition = school.home / f"kcsie-{year}.md"
        edition.write_text(f"# Keeping children safe in education {year}\n\nPart one.\n")
        with ctx.store.transaction() as session:
            register_edition(
                session,
                ctx.config.school(),
                "read-kcsie",
                "part-1",
                title=f"Keeping children safe in education {year}: Part one",
                edition=year,
                path=edition,
                in_force=day,
                actor="cli",
            )
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=day,
            now=at(day),
            deliver=False,
        )
    with ctx.store.session() as session:
        duties = session.scalars(select(Duty).where(Duty.kind == "reading_campaign")).all()
        unread = [d for d in duties if d.cycle.endswith(":2025")]
        asked = [d for d in duties if d.cycle.endswith(":2026")]
        assert unread and {(d.status, d.closed_reason) for d in unread} == {
            ("not_read", "not_read")
        }
        assert asked and {d.status for d in asked} == {"open"}
        facts = gather(
            session,
            "oak",
            "Oak",
            now=at(THIS_YEAR),
            tz=ZoneInfo("Europe/London"),
            reports=school_reports("oak"),
            made_by="test",
            reports_scope="all",
        )
    rows = {row[1]: row[4] for row in facts.ack_counts.rows}
    assert rows["2025"] == f"{len(unread)} not read in an earlier school year"
    assert rows["2026"] == str(len(asked))  # the edition in force: everyone still to read it
