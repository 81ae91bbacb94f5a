"""#82 and #79 item 2: the evidence pack answers the list the school's own inspectorate
publishes, item by item, and names who inspects the school without claiming compliance.

Each of the nine inspectorates' lists (bot/core/nations/inspectorates/*.toml) is enumerated
against the ``inspection-index.csv`` of a pack made through the real CLI from a seeded school
with no single central record imported; every file the index names is in the pack, and the
pack still verifies (the index is in the signed manifest). A Welsh ``cy`` school's index is in
Welsh; an independent school in England must say who inspects it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.config import SchoolConfig
from bot.core.language.i18n import Msg
from bot.core.models import Person, Report, ReportClock, TrainingRecord
from bot.core.nations import NATIONS, school_words_for
from bot.core.nations.inspectorates import (
    INSPECTORATES,
    default_inspectorate,
    inspectorate,
    inspectorates_of,
)
from bot.core.rendering.signed import MANIFEST
from bot.engine.sweep import run_sweep
from bot.features.evidence.cover_sheet import ISS_SHEET
from bot.features.evidence.inspection import HEADER, INDEX
from bot.features.evidence.rules import Table
from bot.features.evidence.service import Facts
from bot.features.scr.service import import_sheet, refresh_gaps
from bot.features.scr.sheet import read_sheet
from tests.support.helpers import SchoolBuilder, at

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 16)
STATUSES = ("filled", "partly", "not held by this product")


def _school(home: Path, **school: Any) -> SchoolBuilder:
    """A small school with a policy reviewed by its governors and annual safeguarding
    training (its staff have none yet), swept once."""
    built = SchoolBuilder(home)
    built.school.update(school)
    built.policy(
        "child-protection",
        "2026.1",
        title="Child Protection Policy",
        published="2026-09-01",
        next_review="2027-09-01",
    )
    built.requirement(
        id="training",
        kind="complete_training",
        course="Safeguarding",
        valid_months=12,
        audience={"roles": ["staff"]},
    )
    ctx = built.context()
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    ctx.store.dispose()
    return built


def _pack(home: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, dict[str, bytes]]:
    monkeypatch.chdir(home)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(home))
    with time_machine.travel(at(TODAY, 11), tick=False):
        result = CliRunner().invoke(app, ["evidence", "--out", "pack.zip", *args])
    if result.exit_code != 0:
        return result, {}
    with zipfile.ZipFile(home / "pack.zip") as archive:
        return result, {name: archive.read(name) for name in archive.namelist()}


def _index(members: dict[str, bytes]) -> list[dict[str, str]]:
    text = members[INDEX].decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(HEADER)
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A maintained school in England, no single central record imported."""
    return _school(tmp_path_factory.mktemp("oak"), country="england").home


def test_every_item_names_pack_tables_and_every_inspectorate_loads() -> None:
    """The checker: every list loads with its sources and date checked, and each item's
    evidence is a table the pack holds (a misspelt one would never be found)."""
    tables = {f.name for f in fields(Facts) if "Table" in str(f.type)}
    assert len(INSPECTORATES) == 9
    for inspected in INSPECTORATES:
        found = inspectorate(inspected)
        assert found.framework.url.startswith("https://") and found.checked_note
        for item in found.items:
            assert set(item.evidence) <= tables, (inspected, item.id, item.evidence)
            assert found.source_of(item).url.startswith("https://")


def test_each_nation_and_kind_of_school_has_its_inspectorate_or_must_say() -> None:
    """#79 item 2: defaulted from the nation and independence; unset where the school must
    say (an independent school in England; an island's independent school)."""
    state = {n: default_inspectorate(n, independent=False) for n in NATIONS}
    assert state == {
        "england": "ofsted",
        "guernsey": "guernsey",
        "isle-of-man": "isle-of-man",
        "jersey": "jersey",
        "northern-ireland": "eti",
        "scotland": "hmie",
        "wales": "estyn",
    }
    independent = {n: default_inspectorate(n, independent=True) for n in NATIONS}
    assert independent == {
        "england": None,
        "guernsey": None,
        "isle-of-man": None,
        "jersey": None,
        "northern-ireland": "eti",
        "scotland": "hmie",
        "wales": "estyn",
    }
    assert inspectorates_of("england") == ("isi", "ofsted", "sis")
    base = {"id": "oak", "name": "Oak", "headteacher": "h@oak.example"}
    assert SchoolConfig.model_validate({**base, "country": "wales"}).inspected_by == "estyn"
    own = SchoolConfig.model_validate(
        {**base, "country": "england", "independent": True, "inspectorate": "sis"}
    )
    assert own.inspected_by == "sis"
    with pytest.raises(ValueError, match="inspectorate estyn does not inspect schools in this"):
        SchoolConfig.model_validate({**base, "country": "england", "inspectorate": "estyn"})


@pytest.mark.parametrize("inspected", INSPECTORATES)
def test_the_index_answers_each_item_of_the_list_with_files_in_the_pack(
    inspected: str, english: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One row per item of the list, in its order, with its source; each file named is in the
    pack; the status is one of three and true to the school (no SCR imported: said so); the
    pack verifies with the index in its signed manifest."""
    result, members = _pack(english, monkeypatch, "--for", inspected)
    assert result.exit_code == 0, result.output
    assert ISS_SHEET not in members  # a maintained school: no Independent School Standards
    listed = inspectorate(inspected).items
    rows = _index(members)
    assert [r["item"] for r in rows] == [i.item for i in listed]
    for row, item in zip(rows, listed, strict=True):
        assert row["inspectorate"] == inspectorate(inspected).name
        assert row["source"] == inspectorate(inspected).source_of(item).url
        files = [f for f in row["file"].split("; ") if f]
        assert all(f in members for f in files), row
        assert row["status"].split(":")[0] in STATUSES, row
        record = inspectorate(inspected).record
        if not item.evidence:  # only the record's room for the school's own evaluation
            assert row["status"].startswith("not held by this product")
            assert [f for f in files if f != record] == []
        if "scr" in item.evidence:
            assert "no single central record has been imported" in row["status"], row
        if item.missing:
            assert row["status"] != "filled", row
    assert f"  {INDEX}\n" in members[MANIFEST].decode("ascii")
    fingerprint = result.output.split("Key fingerprint: ")[1].split("\n")[0]
    verify = CliRunner().invoke(
        app, ["evidence", "verify", str(english / "pack.zip"), "--fingerprint", fingerprint]
    )
    assert verify.exit_code == 0, verify.output
    summary = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(members["summary.pdf"])).pages[:2]
    )
    assert f"Index for {inspectorate(inspected).name}" in summary
    squeezed = "".join(summary.split())  # a table cell's lines are broken anywhere
    assert all("".join(i.item.split())[:40] in squeezed for i in listed)


def test_a_school_with_its_scr_imported_shows_it_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same item reads ``filled`` once the school's own record is imported and checked."""
    built = _school(tmp_path, country="england")
    sheet = openpyxl.Workbook()
    page = sheet.active
    assert page is not None
    page.append(
        [
            "Surname",
            "Forename",
            "Role",
            "Category",
            "Start date",
            "Identity checked",
            "Barred list check",
            "Enhanced DBS check date",
            "Prohibition check",
            "Right to work",
        ]
    )
    checked = datetime(2020, 8, 1)
    for row in built.people:
        given, family = row.name.split()
        page.append(
            [
                family,
                given,
                "Teacher",
                "Staff",
                datetime(2020, 9, 1),
                checked,
                checked,
                checked,
                checked,
                checked,
            ]
        )
    sheet.save(tmp_path / "scr.xlsx")
    ctx = built.context()
    school = ctx.config.school(None)
    with ctx.store.transaction() as session:
        import_sheet(
            session,
            school,
            read_sheet(tmp_path / "scr.xlsx", TODAY),
            where="scr.xlsx",
            actor="test",
            now=at(TODAY),
        )
        refresh_gaps(session, school, TODAY, force=True)
    ctx.store.dispose()
    result, members = _pack(tmp_path, monkeypatch)  # the school's own: Ofsted
    assert result.exit_code == 0, result.output
    scr = next(r for r in _index(members) if r["item"] == "The single central record")
    assert (scr["file"], scr["status"]) == (
        "single-central-record-gaps.csv; single-central-record-gaps-by-person.csv",
        "filled",
    )


def test_report_deadlines_kept_missed_and_running_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#82 item 2: Ofsted's concerns and allegations are answered with each deadline kept,
    missed, running or running late, in the school's words, counts only."""
    built = _school(tmp_path, country="england")
    ctx = built.context()
    now = at(TODAY, 11)
    with ctx.store.transaction() as session:
        for n, (kind, due, stopped) in enumerate(
            [
                ("lado", now - timedelta(days=3), now - timedelta(days=4)),  # kept
                ("lado", now - timedelta(days=3), now - timedelta(days=2)),  # missed
                ("ico", now + timedelta(hours=5), None),  # running
                ("triage", now - timedelta(hours=1), None),  # running late
            ]
        ):
            report = Report(
                school_id="oak",
                reference=f"CR-2026-CLK{n}",
                category="other",
                urgency="high",
                status="new",
                involved=[],
                what_happened="x",
                created_at=now - timedelta(days=5),
            )
            session.add(report)
            session.flush()
            session.add(
                ReportClock(
                    school_id="oak",
                    report_id=report.id,
                    kind=kind,
                    started_at=now - timedelta(days=5),
                    due_at=due,
                    stopped_at=stopped,
                )
            )
    ctx.store.dispose()
    result, members = _pack(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(members["report-deadlines.csv"].decode("utf-8-sig"))))
    assert rows == [
        ["Deadline", "Kept", "Missed", "Running", "Running late"],
        ["LADO referral decision", "1", "1", "0", "0"],
        ["ICO notification decision", "0", "0", "1", "0"],
        ["DSL triage", "0", "0", "0", "1"],
    ]
    concerns = next(r for r in _index(members) if r["item"] == "Concerns and allegations")
    assert concerns["file"] == "concerns-by-category-and-outcome.csv; report-deadlines.csv"
    assert concerns["status"] == "filled"


def test_a_northern_irish_pack_holds_etis_three_proformas_filled_from_its_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#82 item 3: the designated teacher and deputy with their training, the Board of
    Governors' reviews, and a signature line each for the principal and the chair."""
    built = _school(tmp_path, country="northern-ireland")
    ctx = built.context()
    with ctx.store.transaction() as session:
        head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert head is not None
        session.add(
            TrainingRecord(
                school_id="oak",
                person_id=head.id,
                course="Safeguarding",
                completed_on=date(2026, 9, 3),
                source="manual",
                import_key="sg-head",
            )
        )
    ctx.store.dispose()
    result, members = _pack(tmp_path, monkeypatch)  # the school's own: ETI
    assert result.exit_code == 0, result.output
    forms = {i.id: str(i.form) for i in inspectorate("eti").items}
    text = {
        key: " ".join(
            " ".join((p.extract_text() or "").split())
            for p in PdfReader(io.BytesIO(members[name])).pages
        )
        for key, name in forms.items()
    }
    child = text["child-protection"]
    assert "ETI child protection proforma" in child
    assert "Designated Teacher for Child Protection Hana Head Safeguarding 03 Sep 2026" in child
    assert "Deputy Designated Teacher for Child Protection Lena Line" in child
    for said in text.values():
        assert said.count("Signed: ") == 2 and "(principal)" in said, said[-300:]
        assert "(chair of the Board of Governors)" in said and "signs nothing" in said
        assert "headteacher" not in said.lower()
    assert "Reviews and confirmations by the Board of Governors" in text["safeguarding"]
    assert "pastoral care team's to describe" in text["preventative-curriculum"]
    rows = _index(members)
    assert [r["file"].split("; ")[-1] for r in rows] == list(forms.values())
    assert all(f"  {name}\n" in members[MANIFEST].decode("ascii") for name in forms.values())


@pytest.mark.parametrize("country", ["scotland", "jersey", "guernsey", "isle-of-man"])
def test_scotland_and_the_islands_get_a_record_under_their_lists_own_headings(
    country: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#82 item 5: the child protection coordinator's sheet (HM Inspectors), and each island's
    review framework's headings, as far as they are stated, each dated with room to sign."""
    _school(tmp_path, country=country)
    result, members = _pack(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    found = inspectorate(
        str(
            SchoolConfig.model_validate(
                {"id": "x", "name": "x", "headteacher": "h@x.example", "country": country}
            ).inspected_by
        )
    )
    record = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(members[str(found.record)])).pages
    )
    squeezed = "".join(record.split())
    assert all("".join(item.item.split())[:30] in squeezed for item in found.items)
    lead = school_words_for(country).dsl_full
    assert f"for the {lead} and the school's leaders" in record and record.count("Signed: ") == 2
    assert "Dated Monday 16 November 2026" in record


@pytest.mark.parametrize("language", ["cy", "cy+en"])
def test_a_welsh_schools_index_summary_and_record_are_in_welsh(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``cy`` school in Wales: Estyn's list (its own, by default) in Welsh, in the index
    and at the head of the summary; its dated self-evaluation record in Welsh (#82 item 5),
    Welsh then English for ``cy+en``."""
    _school(tmp_path, country="wales", language=language)
    result, members = _pack(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output

    def cy(message: str) -> str:
        return Msg(message).text("cy")

    rows = _index(members)
    listed = inspectorate("estyn").items
    assert [r["item"] for r in rows] == [cy(i.item) for i in listed]
    for row, item in zip(rows, listed, strict=True):
        assert row["item"] != item.item, item.item  # each one translated
        assert row["status"].split(":")[0] in (cy(s) for s in STATUSES), row
    summary = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(io.BytesIO(members["summary.pdf"])).pages[:2]
    )
    assert cy("Index for %(inspectorate)s") % {"inspectorate": "Estyn"} in summary
    assert "Index for" not in summary
    record = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(members[str(inspectorate("estyn").record)])).pages
    )
    welsh = record.split("Safeguarding self-evaluation record")[0]
    assert cy("Safeguarding self-evaluation record") in welsh
    assert "Page " not in welsh  # its pages numbered in Welsh alone, as the governors' report's
    assert "Dyddiad: dydd Llun 16 Tachwedd 2026" in welsh  # dated, the Welsh way
    assert all(
        cy(item.item)[:30] in "".join(welsh.split())
        or "".join(cy(item.item).split())[:30] in "".join(welsh.split())
        for item in inspectorate("estyn").items
    )
    assert welsh.count("Llofnod: ") == 2 and "pennaeth" in welsh
    english = record[len(welsh) :]
    if language == "cy":
        assert english == ""
    else:  # the same record in English after it
        assert "Dated Monday 16 November 2026" in english and english.count("Signed: ") == 2


def test_an_independent_school_in_england_must_say_who_inspects_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#79 item 2: not ISI for every independent school; once it says, the pack names its
    inspectorate and claims no compliance."""
    built = _school(tmp_path, country="england", independent=True, proprietor="trust")
    result, _members = _pack(tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "is not stated: give --for" in " ".join(result.output.split())
    built.school["inspectorate"] = "isi"
    built.write()
    result, members = _pack(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert _index(members)[0]["inspectorate"] == "the Independent Schools Inspectorate (ISI)"
    readme = " ".join(members["README.txt"].decode("utf-8").split())
    assert "It is inspected by the Independent Schools Inspectorate (ISI)" in readme
    assert "claims none" in readme and "it meets" not in readme
    # #82 item 4: its paragraph 7 cover sheet names the proprietor body, signed in the pack
    sheet = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(members[ISS_SHEET])).pages
    )
    for said in (
        "Independent School Standards, paragraph 7 (safeguarding): cover sheet",
        "Its proprietor: a trust, whose proprietor body approves its policies",
        "Inspected by the Independent Schools Inspectorate (ISI)",
        "7(a): arrangements are made",
        "7(b): such arrangements have regard",
        "The review record of the proprietor body",
        "claims neither",
    ):
        assert said in sheet, said
    assert "overnor" not in sheet and f"  {ISS_SHEET}\n" in members[MANIFEST].decode("ascii")
    result, members = _pack(tmp_path, monkeypatch, "--for", "sis")  # the same paragraph
    sheet = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(members[ISS_SHEET])).pages
    )
    assert "Inspected by the Schools Inspection Service (SIS)" in sheet


def test_a_table_the_pack_lacks_is_never_called_filled() -> None:
    """Pure: an item whose table is empty reads ``partly`` naming why."""
    from bot.features.evidence.inspection import index_table

    empty = Table("x.csv", "X", ("A",), ())
    values: dict[str, Any] = {
        f.name: Table(f"{f.name}.csv", f.name, ("A",), (("1",),))
        for f in fields(Facts)
        if str(f.type) == "Table"
    }
    values["training"] = empty
    values["training_roles"] = Table("r.csv", "R", ("A",), (("1",),))
    facts = Facts(
        school_name="Oak",
        made_at=at(TODAY),
        made_by="x",
        reports_scope="x",
        filtering_note=None,
        **values,
    )
    row = next(
        r for r in index_table("ofsted", facts, "en").rows if r[1] == "Staff safeguarding training"
    )
    assert row[4] == (
        "partly: in the pack: r.csv; not shown: x.csv: nothing is recorded in compliance-bot yet"
    )
