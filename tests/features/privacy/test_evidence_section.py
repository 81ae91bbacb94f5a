"""The evidence pack's data-protection complaints section, on SQLite and PostgreSQL: counts and
timeliness per quarter in the PDF and a CSV of its own, nothing of what a complaint says."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from bot.features.evidence.pack import PackRequest, make_pack
from bot.features.evidence.service import school_reports
from bot.features.privacy.rules import Submission
from bot.features.privacy.service import receive, record_outcome
from tests.support.helpers import SchoolBuilder, at

LONDON = ZoneInfo("Europe/London")
SECRET_TEXT = "My medical notes were left on the photocopier"


def _cli_request(**extra: Any) -> PackRequest:
    """A pack asked for at the command line, counting every report."""
    return PackRequest(
        actor="cli",
        made_by="the command line",
        reports=school_reports("oak"),
        reports_scope="Every report.",
        via="cli",
        **extra,
    )


def test_the_pack_counts_complaints_by_quarter_without_their_content(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = school.context(database_url, demo=True)
    sub = Submission("Pat Parent", "pat@home.example", "parent", SECRET_TEXT, None, False)
    late = Submission("Lee Letter", None, "other", SECRET_TEXT, None, False)
    oak = ctx.config.schools[0]
    with ctx.store.transaction() as session:
        first = receive(
            session, oak, sub, now=at(date(2026, 7, 3), 23, 59), channel="form", actor="public-form"
        )
        record_outcome(
            session,
            oak,
            first,
            "We apologised.",
            now=at(date(2026, 7, 20)),
            actor="dpo@oak.example",
        )
        receive(
            session,
            oak,
            late,
            now=at(date(2026, 10, 2), 9),
            channel="letter",
            actor="amy@oak.example",
        )
    request = _cli_request()
    with ctx.store.transaction() as session:
        pack = make_pack(
            session,
            "oak",
            "Oak School",
            request,
            secret="k" * 40,
            now=at(date(2026, 11, 20), 14),
            tz=LONDON,
        )
    files = zipfile.ZipFile(io.BytesIO(pack.data))
    rows = files.read("data-protection-complaints-by-quarter.csv").decode("utf-8-sig")
    lines = rows.strip().splitlines()
    assert lines[0].startswith("Period,Received,Acknowledged within 30 days")
    # July: one, acknowledged at once, outcome by the date set, 17 days; October: one,
    # not acknowledged yet (a letter: no email address), still open
    assert lines[1:] == ["2026 Q3,1,1,0,0,1,1,0,17", "2026 Q4,1,0,0,1,0,0,1,"]
    summary = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(files.read("summary.pdf"))).pages
    )
    assert "8. Data protection complaints" in summary
    everything = b"".join(files.read(n) for n in files.namelist())
    assert SECRET_TEXT.encode() not in everything and b"Pat Parent" not in everything
    ctx.store.dispose()


def test_the_pack_holds_the_record_of_processing_naming_the_schools_processor(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = school.context(database_url, demo=True)
    oak = ctx.config.schools[0]
    request = _cli_request(school=oak, platform="google")
    with ctx.store.transaction() as session:
        pack = make_pack(
            session,
            "oak",
            oak.name,
            request,
            secret="k" * 40,
            now=at(date(2026, 11, 20)),
            tz=LONDON,
        )
    files = zipfile.ZipFile(io.BytesIO(pack.data))
    table = files.read("record-of-processing.csv").decode("utf-8-sig")
    assert table.startswith("What Article 30 asks,Answer")
    assert "Google (Google Workspace), as processor" in table and "Microsoft" not in table
    assert "record-of-processing.csv" in files.read("README.txt").decode("utf-8")
