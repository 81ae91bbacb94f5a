"""Files from outside are evidence, never commands: PDFs are parsed with pypdf and refused for
any active content however its names are spelt; control characters in school.yaml, the
directory file and a training import are refused naming the file, line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.config import ConfigError, load_config
from bot.core.models import TrainingRecord
from bot.core.uploads import AttachmentError, clean_attachment
from bot.features.training.service import import_training_csv
from connectors.local.connector import FileDirectory
from tests.support.helpers import SchoolBuilder
from tests.support.pdfs import PDF, pdf_document


@pytest.mark.parametrize(
    "data",
    [
        # /J#61vaScript is /JavaScript with a legal name escape: a byte search misses it
        pdf_document(b"/OpenAction 4 0 R", b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        pdf_document(b"/Names << /J#61vaScript 4 0 R >>", b"<< /Names [(a) 5 0 R] >>",
                     b"<< /S /JavaScript /JS (x) >>"),
        pdf_document(b"/Open#41ction << /S /GoTo /D [3 0 R /Fit] >>"),  # any OpenAction
        pdf_document(b"", b"<< /S /L#61unch /F (cmd.exe) >>"),  # only in the xref table
        pdf_document(b"/Names << /Embedded#46iles 4 0 R >>", b"<< /Names [] >>"),
        pdf_document(b"/A#41 << /WC << /S /Java#53cript /J#53 (x) >> >>"),
    ],
    ids=["escaped-open-action", "escaped-names-tree", "open-action", "launch", "embedded", "aa"],
)
def test_active_content_is_refused_however_it_is_spelt(data: bytes) -> None:
    assert b"/JavaScript" not in data or b"#" in data
    with pytest.raises(AttachmentError, match="contains scripts or embedded files"):
        clean_attachment("minutes.pdf", data)


def test_a_plain_pdf_is_kept_and_a_broken_one_refused() -> None:
    assert clean_attachment("minutes.pdf", PDF).data == PDF
    with pytest.raises(AttachmentError, match="could not be read"):
        clean_attachment("x.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")


def test_school_yaml_with_an_escaped_nul_names_file_line_and_key(school: SchoolBuilder) -> None:
    path = school.write() / "school.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "name: Oak Test School", 'name: "Oak\\0 Test School"', 1
    )
    assert "\\0" in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and "line " in message and ".name" in message
    assert "a NUL character (U+0000)" in message
    # a raw NUL in the file is named with its line too
    path.write_text(text.replace('"Oak\\0 Test School"', "Oak\x00School"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: not valid YAML"):
        load_config(path)


def test_directory_rows_with_control_characters_are_rejected_naming_the_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,name,roles\n"
        "amy@oak.example,Amy Able,staff\n"
        "ben@oak.example,Ben\x00 Bold,staff\n"
        "cat@oak.example,Cat Calm,staff\x1b\n",
        encoding="utf-8",
    )
    changes = FileDirectory(path).fetch()
    assert [p.email for p in changes.people] == ["amy@oak.example"]
    assert changes.rejected == [
        "people.csv line 3: name contains a control character (U+0000), which cannot be "
        "stored; remove it from the file",
        "people.csv line 4: roles contains a control character (U+001B), which cannot be "
        "stored; remove it from the file",
    ]
    yaml_path = tmp_path / "people.yaml"
    yaml_path.write_text(
        'people:\n  - {email: dan@oak.example, name: "Dan\\0"}\n', encoding="utf-8"
    )
    assert "people.yaml line 1: name contains a control character" in (
        FileDirectory(yaml_path).fetch().rejected[0]
    )


def test_a_training_import_refuses_rows_with_control_characters(
    school: SchoolBuilder, database_url: str
) -> None:
    ctx = school.context(database_url)
    from tests.features.reports.test_support import sync_people

    sync_people(ctx)
    export = school.home / "export.csv"
    export.write_text(
        "email,course,completed_on,provider\n"
        "amy@oak.example,Online safety,2026-11-20,Safe\x00Co\n",
        encoding="utf-8",
    )
    with ctx.store.transaction() as session:
        report = import_training_csv(
            session, "oak", export, actor="test", today=date(2026, 11, 23),
            courses=["Online safety"],
        )
    assert report.errors == [
        "export.csv line 2: provider contains a NUL character (U+0000), which cannot be stored"
    ]
    with ctx.store.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 0
    ctx.store.dispose()
