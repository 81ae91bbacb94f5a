"""``compliance-bot campaign add|list``: an edition registered once (the same file again is
'already registered'), and bad input named plainly with nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import Policy, PolicyVersion
from tests.support.helpers import SchoolBuilder
from tests.support.pdfs import pdf_document


def _said(result: object) -> str:
    return " ".join(str(getattr(result, "output", "")).split())  # Rich wraps long lines


def test_an_edition_is_registered_once_and_bad_input_stores_nothing(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    school.requirement(
        id="read-kcsie",
        kind="reading_campaign",
        title="Keeping children safe in education",
        audiences={"annex-a": {"groups": ["Site team"]}, "part-1": {"roles": ["staff"]}},
    )
    school.installed(sqlite_url)
    part_one = school.home / "kcsie-2026-part-one.pdf"
    part_one.write_bytes(pdf_document())  # a real PDF: its content is checked too
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    add = [
        "campaign",
        "add",
        "read-kcsie",
        "--file",
        str(part_one),
        "--audience",
        "part-1",
        "--title",
        "Keeping children safe in education 2026: Part one",
        "--in-force",
        "2026-09-01",
    ]
    first = runner.invoke(app, add)
    assert first.exit_code == 0, first.output
    assert "Registered Keeping children safe in education 2026: Part one (edition 2026" in _said(
        first
    )
    again = runner.invoke(app, add)
    assert again.exit_code == 0 and "Already registered" in _said(again)

    for change, problem in (
        (
            ["--audience", "everyone"],
            "has no audience 'everyone' (its audiences are: annex-a, part-1)",
        ),
        (["--in-force", "1st Sept"], "--in-force: give a date like 2026-09-01"),
    ):
        bad = runner.invoke(app, add[:3] + add[3:] + change)
        assert bad.exit_code == 2 and problem in _said(bad), _said(bad)
    unknown = runner.invoke(app, ["campaign", "add", "read-kcsi", *add[3:]])
    assert unknown.exit_code == 2
    assert "no reading campaign called 'read-kcsi' (there are: read-kcsie)" in _said(unknown)
    wrong_type = school.home / "kcsie.xlsx"
    wrong_type.write_bytes(b"not a document")
    bad_file = runner.invoke(app, [*add[:4], str(wrong_type), *add[5:], "--edition", "2027"])
    assert bad_file.exit_code == 2
    assert "use a .pdf, .docx, .odt, .md or .txt file" in _said(bad_file)
    store = school.context(sqlite_url).store
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 1
        assert (
            session.scalar(select(Policy.kind).where(Policy.key == "read-kcsie/part-1"))
            == "reading"
        )
    store.dispose()

    listed = runner.invoke(app, ["campaign", "list"])
    assert listed.exit_code == 0
    said = _said(listed)
    assert "part-1: edition 2026 from 1 September 2026" in said
    assert "annex-a: no edition registered yet" in said
