"""``compliance-bot policies import|list|review|gaps``: what was found and how, what is missing,
what is stored; the school's real policies (../shared/policies) when present."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select
from typer.testing import CliRunner

import bot.features.policies.import_cli
from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.models import AuditEvent, Policy, PolicyReview
from bot.engine.sweep import run_sweep
from bot.features.policies.attest import normalise_name
from bot.features.policies.importer import extract_policy
from tests.support.helpers import Row, SchoolBuilder, at

TODAY = date(2026, 3, 16)  # a Monday

# a fictional policy (names from the test school, nothing copied from a real document)
LINES = [
    "Oak Test School",
    "Online Safety Policy",
    "Approved by: Full Governing Body",
    "Date ratified: 12 March 2026",
    "Next review date: March 2027",
    "Designated Safeguarding Lead: Dana Dale",
    "Named governor: Gail Gov",
    "",
    "Links with other policies",
    "- Acceptable Use Policy",
    "- Behaviour Policy",
    "- Remote Learning Policy",
    "",
    "This policy will be reviewed every year.",
]
NO_DATES = ["Oak Test School", "Behaviour Policy", "", "Be kind. Tell an adult if worried."]


def _sha(name: str) -> str:
    """The first 16 hex digits of the sha256 of a normalised person's name."""
    return hashlib.sha256(normalise_name(name).encode()).hexdigest()[:16]


def _write(path: Path, lines: list[str]) -> Path:
    """Write the lines as .txt, .md, .docx or .pdf, by the path's suffix."""
    if path.suffix == ".docx":
        document = docx.Document()
        for line in lines:
            if line.startswith("- "):
                document.add_paragraph(line[2:], style="List Bullet")
            elif line:
                document.add_paragraph(line)
        document.save(str(path))
    elif path.suffix == ".pdf":
        pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
        y = 800
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 18
        pdf.save()
    elif path.suffix == ".md":
        path.write_text("# " + "\n\n".join(lines[1:2] + lines[:1] + lines[2:]), encoding="utf-8")
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def home(school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> AppContext:
    """The test school, synced once, with the CLI pointed at it."""
    school.people.append(Row("dana@oak.example", "Dana Dale", "staff", "All Staff"))
    school.policy(
        "code", "1", title="Staff Code of Conduct", linked_policies=["Whistleblowing Policy", "AUP"]
    )
    school.policy("aup", "1", title="Staff Acceptable Use Policy")
    ctx = school.context(sqlite_url)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789-abcdefghij")
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables without folding
    return ctx


def _run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


def _json(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --------------------------------------------------------------------------- the real policies


def test_import_shared_policies_json(
    shared_policies: Path, school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    """Each real policy: the dates in it, the people by count and hash, what is missing."""
    files = sorted(shared_policies.iterdir())
    assert [f.name[:8] for f in files] == ["hildenbo", "rainbow-", "st-james"]
    # a named governor of one document is in this school's directory (name read at run time)
    governor = extract_policy(files[2]).named_governors[0].value
    school.people.append(Row("named@oak.example", governor, "governor", "Governors"))
    ctx = school.context(sqlite_url)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)

    result = _run(
        "policies", "import", *map(str, files), "--json", "--yes", "--as-of", TODAY.isoformat()
    )
    assert result.exit_code == 1  # one document cannot be stored
    data = _json(result)
    assert (data["stored"], data["refused"], data["errors"]) == (2, 1, 0)
    hild, rainbow, james = data["files"]

    def value(entry: dict[str, Any], name: str) -> Any:
        found = entry["found"][name]
        return None if found is None else (found["value"], found["how"])

    # the 2024 policy: day-precision ratification, month-precision review dates
    assert value(hild, "ratified") == ("2024-09-25", "text")
    assert hild["found"]["ratified"]["line"] == 21
    assert value(hild, "last_reviewed") == ("2023-09", "text")
    assert value(hild, "next_review") == ("2025-09", "text")
    assert hild["found"]["next_review"]["line"] == 17
    assert value(hild, "written") == ("2024-09", "text")
    assert value(hild, "approving_body")[1] == "text"
    assert value(hild, "review_cycle_months") == (12, "text")
    assert [_sha(p["value"]) for p in hild["found"]["dsl"]] == ["c68ed4136da105df"]
    assert hild["found"]["named_governors"] == []
    assert hild["stored"] and hild["next_review_stored"] == "2025-09-30"
    assert any("2025-09-30" in n and "last day" in n for n in hild["notes"])
    assert hild["missing"] == [] and hild["refused"] is None
    assert hild["sha256"] == hashlib.sha256(files[0].read_bytes()).hexdigest()

    # the 2020 policy: month-precision dates; two named governors; a DSL
    assert value(james, "written") == ("2020-09", "text")
    assert value(james, "ratified") == ("2020-09", "text")
    assert value(james, "next_review") == ("2021-09", "text")
    assert james["next_review_stored"] == "2021-09-30"
    assert [_sha(p["value"]) for p in james["found"]["dsl"]] == ["52e4437a85efe164"]
    assert [_sha(p["value"]) for p in james["found"]["named_governors"]] == [
        "e106ee929f7d96e3",
        "7f9f0b8ef72afc35",
    ]
    assert any("1 named reviewer not found in the directory" in n for n in james["notes"])

    # the pre-school policy: no dates at all — reported, refused, nothing stored
    for name in ("written", "last_reviewed", "ratified", "next_review", "approving_body"):
        assert rainbow["found"][name] is None, name
    assert not rainbow["stored"]
    assert "next review date" in rainbow["refused"] and "approving body" in rainbow["refused"]
    assert "not an interactive terminal" in rainbow["refused"]
    assert [m.split(":")[0] for m in rainbow["missing"]] == ["next review date", "approving body"]
    assert len(rainbow["found"]["dsl"]) == 1 and len(rainbow["found"]["deputy_dsls"]) == 2
    assert [_sha(p["value"]) for p in rainbow["found"]["deputy_dsls"]] == [
        "f6fa9bfff961ce09",
        "06656ba9b0efa08b",
    ]
    assert len(rainbow["found"]["named_governors"]) == 1

    # every document links to policies this register does not hold
    for entry in (hild, rainbow, james):
        assert "Acceptable Use Policy" in entry["linked_policy_gaps"]
    with ctx.store.session() as session:
        policies = {p.key: p for p in session.scalars(select(Policy))}
        assert set(policies) == {
            "mobile-smart-technology-social",
            "online-safety-mobile-technology",
        }
        stored = policies["online-safety-mobile-technology"]
        assert stored.next_review_due == date(2021, 9, 30)
        assert stored.ratified_on == date(2020, 9, 30)
        assert stored.reviewers == ["named@oak.example"]
        version = stored.current_version
        # ratified "September 2020": the month only, no day invented for staff to read
        assert version is not None and version.label == "adopted September 2020"
        assert version.document == files[2].read_bytes()
        assert version.sha256 == james["sha256"]
        assert len(stored.linked_policies) > 5
        assert policies["mobile-smart-technology-social"].last_reviewed == date(2023, 9, 30)


def test_import_shared_policies_human_output(shared_policies: Path, home: AppContext) -> None:
    """The Rich report says how each value was found and why the undated one is refused."""
    result = _run("policies", "import", *map(str, sorted(shared_policies.iterdir())))
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "found in text" in out and "line 21" in out
    assert "nothing stored: rerun with --yes" in out
    assert "not stored: next review date, approving body not stated in the document" in out
    assert "Linked policies not in the register" in out
    with home.store.session() as session:
        assert len(session.scalars(select(Policy)).all()) == 2  # only the configured ones


# --------------------------------------------------------------------------- fictional documents


@pytest.mark.parametrize("suffix", [".txt", ".md", ".docx", ".pdf"])
def test_import_each_format_and_store(home: AppContext, tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"online-safety{suffix}", LINES)
    result = _run("policies", "import", str(path), "--json", "--yes", "--as-of", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    entry = _json(result)["files"][0]
    assert entry["found"]["title"]["value"] == "Online Safety Policy"
    assert entry["found"]["ratified"]["value"] == "2026-03-12"
    assert entry["found"]["next_review"]["value"] == "2027-03"
    assert entry["stored"] and entry["policy_key"] == "online-safety"
    assert entry["next_review_stored"] == "2027-03-31"
    assert entry["linked_policy_gaps"] == ["Behaviour Policy", "Remote Learning Policy"]
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None
        assert (policy.title, policy.approving_body) == (
            "Online Safety Policy",
            "Full Governing Body",
        )
        assert policy.ratified_on == date(2026, 3, 12)
        assert policy.next_review_due == date(2027, 3, 31)
        assert policy.owner is not None and policy.owner.email == "dana@oak.example"
        assert policy.reviewers == ["gov@oak.example"]
        version = policy.current_version
        assert version is not None and version.label == "adopted 12 March 2026"
        assert version.document == path.read_bytes() and version.document_name == path.name
        assert version.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert version.published_on == TODAY
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.imported"))
            .one()
            .details["sha256"]
            == version.sha256
        )


def test_reimport_is_idempotent_and_derived_review_is_explained(
    home: AppContext, tmp_path: Path
) -> None:
    lines = [line for line in LINES if not line.startswith("Next review")]
    path = _write(tmp_path / "online-safety.txt", lines)
    first = _run("policies", "import", str(path), "--yes", "--as-of", TODAY.isoformat())
    assert first.exit_code == 0, first.output
    out = " ".join(first.output.split())
    assert "next review 2027-03-12 derived" in out
    assert "stored as online-safety adopted 12 March 2026; next review due 2027-03-12" in out
    again = _run("policies", "import", str(path), "--json", "--yes")
    entry = _json(again)["files"][0]
    assert entry["version"] == "adopted 12 March 2026"
    assert "this document is already stored as adopted 12 March 2026" in entry["notes"]
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "online-safety"))
        assert policy is not None and len(policy.versions) == 1


def test_document_without_dates_is_refused_and_nothing_stored(
    home: AppContext, tmp_path: Path
) -> None:
    path = _write(tmp_path / "behaviour.txt", NO_DATES)
    result = _run("policies", "import", str(path), "--yes")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "missing next review date: not stated in the document" in out
    assert "not stored: next review date, approving body not stated in the document" in out
    assert "1 file read: 1 not stored." in out
    with home.store.session() as session:
        assert session.scalar(select(Policy).where(Policy.key == "behaviour")) is None


def test_unreadable_file_is_an_error(home: AppContext, tmp_path: Path) -> None:
    result = _run("policies", "import", str(tmp_path / "nope.docx"), "--json")
    assert result.exit_code == 1
    assert "file not found" in _json(result)["files"][0]["error"]


def test_interactive_import_asks_for_what_is_missing(
    home: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.features.policies.import_cli, "_interactive", lambda: True)
    path = _write(tmp_path / "behaviour.txt", NO_DATES)
    result = _run("policies", "import", str(path), stdin="not a date\n2027-01\nFGB\ny\n")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "not a date I can read" in out
    assert "next review January 2027 is stored as 2027-01-31" in out
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "behaviour"))
        assert policy is not None
        assert (policy.next_review_due, policy.approving_body) == (date(2027, 1, 31), "FGB")
        assert policy.last_reviewed is None and policy.ratified_on is None  # never invented


def test_interactive_import_left_blank_is_refused(
    home: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.features.policies.import_cli, "_interactive", lambda: True)
    path = _write(tmp_path / "behaviour.txt", NO_DATES)
    result = _run("policies", "import", str(path), stdin="\n\n")
    assert result.exit_code == 1
    assert "not stored" in result.output
    with home.store.session() as session:
        assert session.scalar(select(Policy).where(Policy.key == "behaviour")) is None


# --------------------------------------------------------------------------- list, review, gaps


def test_list_review_and_gaps(home: AppContext, tmp_path: Path) -> None:
    listed = _run("policies", "list", "--as-of", TODAY.isoformat())
    assert listed.exit_code == 0
    assert "code" in listed.output and "no review date" in listed.output

    new_doc = tmp_path / "code-2026.md"
    new_doc.write_text("# Staff Code of Conduct\n\nRevised.\n", encoding="utf-8")
    reviewed = _run(
        "policies",
        "review",
        "code",
        "--date",
        "2026-03-12",
        "--body",
        "FGB",
        "--minute",
        "FGB/26/04",
        "--document",
        str(new_doc),
        "--as-of",
        TODAY.isoformat(),
    )
    assert reviewed.exit_code == 0, reviewed.output
    out = " ".join(reviewed.output.split())
    assert "next review due 12 Mar 2027" in out
    assert "New version published (reviewed 12 March 2026)" in out
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "code"))
        assert policy is not None and policy.current_version is not None
        assert policy.current_version.label == "reviewed 12 March 2026"
        assert session.scalars(select(PolicyReview)).one().minute_ref == "FGB/26/04"
    listed = _run("policies", "list", "--as-of", TODAY.isoformat())
    assert "current" in listed.output and "reviewed 12" in listed.output

    future = _run(
        "policies",
        "review",
        "code",
        "--date",
        "2026-04-01",
        "--body",
        "FGB",
        "--as-of",
        TODAY.isoformat(),
    )
    assert future.exit_code == 1 and "is in the future" in future.output
    bad = _run("policies", "review", "code", "--date", "12/03/2026", "--body", "FGB")
    assert bad.exit_code == 2 and "--date (the review meeting): give a date like" in bad.output
    unknown = _run("policies", "review", "nope", "--date", "2026-03-12", "--body", "FGB")
    assert unknown.exit_code == 2 and "no policy 'nope'" in unknown.output

    gaps = _run("policies", "gaps")
    assert gaps.exit_code == 0
    assert "Whistleblowing Policy" in gaps.output and "AUP" not in gaps.output
    assert "1 gap." in gaps.output


# --------------------------------------------------------------------------- what an import says


def _cover_page_docx(path: Path) -> Path:
    """A Word policy with a cover page: the school, the title, month-only review date."""
    document = docx.Document()
    document.core_properties.title = "Microsoft Word - template.docx"
    document.add_paragraph("Oak Test School", style="Title")
    document.add_paragraph("Anti-Bullying Policy", style="Title")
    document.add_paragraph("Adopted by the Full Governing Body: 14th October 2025")
    document.add_paragraph("To be reviewed by: October 2026")
    document.add_heading("1. Introduction", level=1)
    document.add_paragraph("This anti-bullying policy works with our behaviour policy.")
    document.save(str(path))
    return path


def test_single_docx_import_says_what_it_stored(home: AppContext, tmp_path: Path) -> None:
    """Without --yes nothing is stored, and the summary says so; with it, 1 stored; again,
    already in the register. The report uses the school's words and states the month rule."""
    path = _cover_page_docx(tmp_path / "anti-bullying.docx")
    shown = _run("policies", "import", str(path), "--as-of", TODAY.isoformat())
    assert shown.exit_code == 0, shown.output
    out = " ".join(shown.stdout.split())  # the "using" and "Database" lines are on stderr
    assert out.endswith("1 file read: 1 not stored. Rerun with --yes to store it.")
    assert "title │ Anti-Bullying Policy" in out and "school named │ Oak Test School" in out
    assert "approved or ratified │ 14 October 2025" in out
    assert "next review │ October 2026 (month only)" in out
    assert "a review due 'September 2026' is due by 30 September 2026" in out
    assert "Not stated in the document: date written, last reviewed" in out
    assert "Linked policies named: Behaviour Policy" in out  # never itself
    for internal in ("(s)", "_", "not found", "2025-10-14"):
        assert internal not in out, internal
    with home.store.session() as session:
        assert session.scalar(select(Policy).where(Policy.key == "anti-bullying")) is None

    stored = _run("policies", "import", str(path), "--yes", "--as-of", TODAY.isoformat())
    assert stored.exit_code == 0, stored.output
    out = " ".join(stored.output.split())
    assert "next review October 2026 is stored as 2026-10-31" in out
    assert out.endswith("1 file read: 1 stored.")
    again = _run("policies", "import", str(path), "--yes", "--as-of", TODAY.isoformat())
    assert " ".join(again.output.split()).endswith(
        "1 file read: 1 already in the register, unchanged."
    )
    with home.store.session() as session:
        policy = session.scalar(select(Policy).where(Policy.key == "anti-bullying"))
        assert policy is not None and policy.title == "Anti-Bullying Policy"
        assert policy.ratified_on == date(2025, 10, 14)
        assert policy.next_review_due == date(2026, 10, 31)
        assert policy.last_reviewed is None  # not stated, never guessed
        assert "Anti-Bullying Policy" not in policy.linked_policies


def test_mixed_import_counts_each_file_once(home: AppContext, tmp_path: Path) -> None:
    good = _write(tmp_path / "online-safety.docx", LINES)
    undated = _write(tmp_path / "behaviour.txt", NO_DATES)
    result = _run(
        "policies", "import", str(good), str(undated), str(tmp_path / "gone.pdf"),
        "--yes", "--json", "--as-of", TODAY.isoformat(),
    )  # fmt: skip
    assert result.exit_code == 1
    data = _json(result)
    assert (data["stored"], data["not_stored"], data["refused"], data["errors"]) == (1, 2, 1, 1)
    assert data["summary"] == "3 files read: 1 stored, 2 not stored."
    assert data["files"][1]["found"]["dates_not_stated"] == [
        "date written", "last reviewed", "approved or ratified", "next review",
    ]  # fmt: skip
    assert "last day of the month is used" in data["month_only_rule"]


def test_a_document_naming_another_school_is_pointed_out(home: AppContext, tmp_path: Path) -> None:
    lines = ["Elsewhere Primary School – Online Safety Policy", *LINES[2:]]
    path = _write(tmp_path / "online-safety.txt", lines)
    result = _run("policies", "import", str(path), "--as-of", TODAY.isoformat())
    out = " ".join(result.output.split())
    assert "title │ Online Safety Policy" in out
    assert (
        "This document names Elsewhere Primary School, not Oak Test School — check it is yours"
        in out
    )
