"""Every edition kept: a person's acknowledgements of each edition are exported one row per
person and edition (CSV by command and download), and a new edition or a new school year adds
to them without changing what an earlier edition's row says."""

from __future__ import annotations

import csv
import io
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bot.core.models import AuditEvent, Duty, Person, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import acknowledge
from bot.features.reading.service import register_edition
from bot.web.app import create_app
from tests.features.reports.test_support import sign_in
from tests.support.helpers import SchoolBuilder, at


def _sweep(ctx: object, day: date) -> None:
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,  # type: ignore[attr-defined]
        as_of=day,
        now=at(day),
        deliver=False,
    )


def _edition(ctx: object, school: SchoolBuilder, name: str, day: date) -> None:
    path = school.home / f"kcsie-{name}.md"
    path.write_text(f"# Keeping children safe in education {name}\n\nPart one.\n")
    with ctx.store.transaction() as session:  # type: ignore[attr-defined]
        register_edition(
            session,
            ctx.config.school(),
            "read-kcsie",  # type: ignore[attr-defined]
            "part-1",
            title=f"Keeping children safe in education {name}",
            edition=name,
            path=path,
            in_force=day,
            actor="cli",
        )


def _everyone_reads(ctx: object, day: date) -> None:
    with ctx.store.transaction() as session:  # type: ignore[attr-defined]
        for duty, person in session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .where(Duty.status == "open", Duty.kind == "reading_campaign")
        ).all():
            version = session.get(PolicyVersion, duty.policy_version_id)
            assert version is not None
            acknowledge(
                session,
                person,
                duty,
                version,
                method="link",
                ip=None,
                user_agent="test",
                now=at(day, 10),
            )


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_each_edition_is_kept_one_row_per_person_and_edition(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        due_days=30,
        yearly_on="09-01",
        audiences={"part-1": {"roles": ["staff"]}},
    )
    ctx = school.context(sqlite_url, demo=True)
    _edition(ctx, school, "2025", date(2025, 9, 1))
    _sweep(ctx, date(2025, 9, 1))
    _everyone_reads(ctx, date(2025, 9, 3))
    runner = CliRunner()
    from bot.cli.main import app

    def export() -> list[dict[str, str]]:
        result = runner.invoke(
            app,
            ["campaign", "editions"],
            env={
                "COMPLIANCE_BOT_HOME": str(school.home),
                "COMPLIANCE_BOT_DATABASE_URL": sqlite_url,
            },
        )
        assert result.exit_code == 0, result.output
        return _rows(result.stdout)

    before = export()
    staff = {r["Email"] for r in before}
    assert len(before) == len(staff) > 1 and {r["Edition"] for r in before} == {"2025"}
    _edition(ctx, school, "2026", date(2026, 9, 1))
    _sweep(ctx, date(2026, 9, 1))
    _everyone_reads(ctx, date(2026, 9, 2))
    after = export()
    assert len(after) == 2 * len(staff)  # one row per person and edition
    assert [r for r in after if r["Edition"] == "2025"] == before  # never overwritten
    new = [r for r in after if r["Edition"] == "2026"]
    assert {r["Email"] for r in new} == staff
    assert all(
        r["In force from"] == "2026-09-01"
        and r["Times acknowledged"] == "1"
        and r["Reading"] == "Keeping children safe in education"
        for r in new
    )

    client = TestClient(create_app(ctx.settings, ctx))
    assert client.get("/evidence/editions.csv").status_code == 401
    sign_in(client, school.school["headteacher"])
    download = client.get("/evidence/editions.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert _rows(download.text) == after
    with ctx.store.session() as session:
        exported = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "reading.editions_exported")
        ).all()
    assert [d["via"] for d in exported] == ["cli", "cli", "web"]
    ctx.store.dispose()


def test_annex_a_is_offered_only_with_an_edition_that_has_it(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    """England's pack: Annex A is read in editions before KCSIE 2026 (1 September 2026): the
    2025 edition's Annex A is registered, the 2026 edition's is refused, naming the day and
    the audience to register it for instead."""
    import pytest

    from bot.core.nations import pack_for
    from bot.features.reading.service import EditionError

    kcsie = next(i for i in pack_for("england").statutory if i.id == "kcsie-read")
    school.requirement(**kcsie.requirement)
    ctx = school.context(sqlite_url, demo=True)
    path = school.home / "annex-a.md"
    path.write_text("# Keeping children safe in education: Annex A\n\nCondensed part one.\n")
    with ctx.store.transaction() as session:
        register_edition(
            session,
            ctx.config.school(),
            "read-kcsie",
            "annex-a",
            title="KCSIE 2025 Annex A",
            edition="2025",
            path=path,
            in_force=date(2025, 9, 1),
            actor="cli",
        )
    with ctx.store.transaction() as session, pytest.raises(EditionError) as refused:
        register_edition(
            session,
            ctx.config.school(),
            "read-kcsie",
            "annex-a",
            title="KCSIE 2026 Annex A",
            edition="2026",
            path=path,
            in_force=date(2026, 9, 1),
            actor="cli",
        )
    assert "only in editions in force before 2026-09-01" in str(refused.value)
    assert "(part-1)" in str(refused.value)
    ctx.store.dispose()
