"""The record of processing (UK GDPR Art. 30): pre-filled from the school's settings, naming
Microsoft or Google as processor by the school's platform, "not stated" or "for the DPO to
complete" where the bot cannot know, the retention schedule's rows printed as given."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import SchoolConfig
from bot.core.language.i18n import speaking
from bot.core.models import AuditEvent
from bot.features.privacy.record import record_rows
from bot.features.privacy.retention import schedule_rows
from tests.support.helpers import SchoolBuilder


def _school(**extra: object) -> SchoolConfig:
    return SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak Test School", "headteacher": "head@oak.example", **extra}
    )


@pytest.mark.parametrize(
    ("platform", "processor", "transfer"),
    [
        ("m365", "Microsoft (Microsoft 365), as processor", "Microsoft may process data"),
        ("google", "Google (Google Workspace), as processor", "Google may process data"),
        ("local", "No platform processor", "None made by this system"),
        (None, "not stated", "for the DPO to complete"),
    ],
)
def test_the_processor_is_the_schools_platform(
    platform: str | None, processor: str, transfer: str
) -> None:
    with speaking("en"):
        rows = dict(record_rows(_school(dpo="dpo@oak.example"), platform))
    assert rows["Recipients"].startswith(processor)
    assert transfer in rows["Transfers outside the UK"]
    assert rows["Data protection officer"] == "dpo@oak.example"
    if platform != "m365":
        assert "Microsoft" not in str(rows)


def test_retention_is_the_schools_schedule_and_an_unnamed_dpo_is_not_stated() -> None:
    school = _school(retention={"leavers": 7})  # the school's own choice for people who left
    with speaking("en"):
        rows = dict(record_rows(school, "local"))
        schedule = schedule_rows(school)
    for row in schedule:  # every kind, with its period, the day it counts from and its source
        said = " - ".join(str(part) for part in (row.period, row.runs_from, row.source))
        assert rows[f"Retention: {row.name}"] == said
    assert "IRMS Information Management Toolkit for Schools" in str(rows)
    assert rows["Retention: People who left"].startswith("7 years")
    assert rows["Data protection officer"] == "not stated"
    with speaking("cy"):
        welsh = dict(record_rows(_school(country="wales", language="cy"), "m365"))
    assert welsh["Derbynwyr"].startswith("Microsoft (Microsoft 365), yn brosesydd i'r ysgol")
    assert welsh["Cadw: Cadarnhadau a llofnodion"].startswith("6 o flynyddoedd")


def test_the_command_writes_the_record_and_audits_it(
    school: SchoolBuilder, database_url: str
) -> None:
    school.installed(database_url)
    out = school.home / "out"
    result = CliRunner().invoke(
        app,
        ["privacy", "record", "--out", str(out)],
        env={"COMPLIANCE_BOT_HOME": str(school.home), "COMPLIANCE_BOT_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    table = list(
        csv.reader(io.StringIO((out / "oak-record-of-processing.csv").read_text("utf-8-sig")))
    )
    assert table[0] == ["What Article 30 asks", "Answer"]
    assert dict(table[1:])["Recipients"].startswith("No platform processor")
    assert (out / "oak-record-of-processing.pdf").read_bytes().startswith(b"%PDF")
    with school.context(database_url).store.session() as session:
        assert "privacy.record_written" in set(session.scalars(select(AuditEvent.action)))
