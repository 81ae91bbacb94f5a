"""A newcomer's inputs, generated: a staff CSV, a folder of policies in mixed formats (Word,
PDF, Markdown), a local authority's term-dates calendar and the answers file (all fictional)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from icalendar import Calendar, Event
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

__all__ = [
    "DOMAIN",
    "answers_file",
    "mis_answers",
    "mis_inputs",
    "policy_folder",
    "printed",
    "staff_csv",
    "term_calendar",
]

DOMAIN = "hillside.example"
GIVEN = [
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Esme",
    "Finn",
    "Gail",
    "Hal",
    "Iris",
    "Jude",
    "Kai",
    "Lena",
    "Milo",
    "Nora",
    "Otis",
    "Pia",
    "Quin",
    "Rhea",
    "Saul",
    "Tess",
]
FAMILY = ["Ashby", "Brook", "Crane", "Dale", "Eames", "Frost"]


def staff_csv(path: Path, staff: int = 50, governors: int = 6) -> list[dict[str, str]]:
    """``staff`` + ``governors`` + 4 people: ``staff`` staff (head first), 3 volunteers, the
    governors (the chair first) and a clerk (60 by default; the fresh-process benchmark's
    school has 10,000 staff and, for its review digests, 300 governors)."""
    rows: list[dict[str, str]] = []
    titles = ["Headteacher", "Deputy Headteacher", "SENCo", "School Business Manager"]
    for number in range(staff + governors + 4):
        given = GIVEN[number % 20]
        family = FAMILY[(number // 20 + number % 3) % len(FAMILY)]
        if number < staff:
            role, title = (
                "staff",
                titles[number]
                if number < 4
                else ("Class Teacher" if number % 2 else "Teaching Assistant"),
            )
        elif number < staff + 3:
            role, title = "volunteer", "Reading Volunteer"
        elif number < staff + 3 + governors:
            role, title = "governor", "Chair of Governors" if number == staff + 3 else "Governor"
        else:
            role, title = "clerk", "Clerk to Governors"
        rows.append(
            {
                "email": f"{given.lower()}.{family.lower()}{number}@{DOMAIN}",
                "name": f"{given} {family}",
                "job_title": title,
                "roles": role,
                "manager_email": "" if number == 0 or role != "staff" else rows[0]["email"],
            }
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _pdf(path: Path, lines: list[str]) -> None:
    """A text PDF (reportlab), one line per row."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for line in lines:
        pdf.drawString(60, y, line)
        y -= 18
    pdf.save()


def policy_folder(folder: Path) -> None:
    """Five policies: two Word (one with a key-details table), one PDF, two Markdown.

    The mobile phones policy does not state a next review date, so init asks for it."""
    folder.mkdir(parents=True)
    cp = docx.Document()
    cp.add_paragraph("Hillside Primary School", style="Title")
    cp.add_heading("Child Protection and Safeguarding Policy", level=1)
    cp.add_paragraph("Approved by: Full Governing Body")
    cp.add_paragraph("Date ratified: 8 July 2026")
    cp.add_paragraph("Next review: July 2027")
    cp.add_paragraph(
        "All staff read this policy and Part one of Keeping Children Safe in Education every year."
    )
    cp.save(str(folder / "child-protection.docx"))
    conduct = docx.Document()
    conduct.add_heading("Staff Code of Conduct", level=1)
    table = conduct.add_table(rows=0, cols=2)
    for label, value in (
        ("Approved by", "FGB"),
        ("Date approved", "1 July 2026"),
        ("Review date", "1 July 2027"),
    ):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    conduct.add_paragraph("Staff keep professional boundaries at all times.")
    conduct.save(str(folder / "staff-code-of-conduct.docx"))
    _pdf(
        folder / "online-safety.pdf",
        [
            "Online Safety Policy",
            "Hillside Primary School",
            "Approved by: Full Governing Body",
            "Last reviewed: 30 June 2026",
            "Next review date: 30 June 2027",
            "Staff use the school's filtered internet and report concerns to the DSL.",
        ],
    )
    (folder / "mobile-phones.md").write_text(
        "# Mobile Phones and Personal Devices Policy\n\nApproved by: Resources Committee\n\n"
        "Staff keep personal phones out of sight in classrooms.\n",
        encoding="utf-8",
    )
    (folder / "social-media-aup.md").write_text(
        "# Social Media Acceptable Use Policy\n\nApproved by: Full Governing Body\n\n"
        "Ratified: 8 July 2026\n\nNext review: July 2027\n\n"
        "Staff who run the school Facebook page sign this policy.\n",
        encoding="utf-8",
    )


def term_calendar(path: Path) -> None:
    """A 2026-27 calendar the way local authorities publish them: term starts and ends,
    half terms and holidays as all-day spans, INSET days, a bank holiday."""
    calendar = Calendar()
    calendar.add("prodid", "-//Fictional County Council//Term dates//EN")
    calendar.add("version", "2.0")
    events = [
        ("INSET day", date(2026, 9, 1), 1),
        ("Autumn term begins", date(2026, 9, 2), 1),
        ("Autumn half term", date(2026, 10, 26), 5),
        ("Autumn term ends", date(2026, 12, 18), 1),
        ("Christmas holidays", date(2026, 12, 21), 14),
        ("Spring term begins", date(2027, 1, 4), 1),
        ("Spring half term", date(2027, 2, 15), 5),
        ("Spring term ends", date(2027, 3, 26), 1),
        ("Summer term begins", date(2027, 4, 12), 1),
        ("May Day bank holiday", date(2027, 5, 3), 1),
        ("Summer half term", date(2027, 5, 31), 5),
        ("Staff training day", date(2027, 7, 20), 1),
        ("Summer term ends", date(2027, 7, 21), 1),
        ("Parents' evening", date(2026, 11, 12), 1),
    ]
    for number, (summary, start, days) in enumerate(events):
        event = Event()
        event.add("uid", f"term-{number}@county.example")
        event.add("summary", summary)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=days))
        calendar.add_component(event)
    path.write_bytes(calendar.to_ical())


def answers_file(path: Path, rows: list[dict[str, str]], **changes: Any) -> Path:
    """The answers for Hillside (people by email and by name; the question the mobile phones
    policy leaves answered here)."""
    data: dict[str, Any] = {
        "school": {"name": "Hillside Primary School", "country": "england"},
        "platform": "local",
        "base_url": "http://127.0.0.1:8123",
        "directory": "staff.csv",
        "people": {
            "headteacher": rows[0]["email"],
            "dsl": [rows[0]["email"]],
            "deputy_dsl": [rows[1]["email"], rows[2]["email"]],
            "dpo": rows[3]["email"],
            "chair_of_governors": next(
                r["email"] for r in rows if r["job_title"] == "Chair of Governors"
            ),
            "clerk": rows[-1]["name"],
        },
        "policies": "policies",
        "policy_answers": {"mobile-phones.md": {"next_review": "September 2027"}},
        "terms": {"ics": "term-dates.ics"},
        "requirements": "standard",
        "settings_source": "web",
    }
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def mis_answers(folder: Path, **changes: Any) -> Path:
    """Glenview's answers (tests/support/mis_export.py), people by name as a head types them:
    the DSL without her name's accent; ``changes`` replace or add keys (platform, job_titles…)."""
    data: dict[str, Any] = {
        "school": {"name": "Glenview Primary School", "country": "England"},
        "platform": "local",
        "base_url": "http://127.0.0.1:8123",
        "directory": "staff.csv",
        "people": {
            "headteacher": "moira campbell",
            "dsl": ["Siobhan"],  # typed without the accent: finds Siobhán Ní Bhriain
            "dpo": "Elspeth Murray",
            "chair_of_governors": "HAMISH REID",
        },
        "policies": "policies",
        "policy_answers": {"mobile-phones.md": {"next_review": "September 2027"}},
        "terms": {"ics": "term-dates.ics"},
        **changes,
    }
    path = folder / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def mis_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Any, Any]:
    """The inputs folder (the MIS export, policies, term dates), the working folder made
    ``tmp_path``; the export's people and the lines of its bad rows."""
    from tests.support.mis_export import mis_export

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    people, bad = mis_export(inputs / "staff.csv")
    policy_folder(inputs / "policies")
    term_calendar(inputs / "term-dates.ics")
    monkeypatch.chdir(tmp_path)
    return inputs, people, bad


def printed(result: Any) -> str:
    """What a command printed, its lines joined as one (Rich wraps long lines)."""
    return " ".join(result.output.split())


def first_sweep(
    runner: Any, home: Path, env: dict[str, str]
) -> tuple[Any, set[str], dict[str, str]]:
    """Press Start sending and run the first sweep, as a newcomer would: (the school's store,
    for the caller to read on and dispose of; the addresses of everyone who now owes a duty;
    each directory-given role by address)."""
    from sqlalchemy import select

    from bot.cli.main import app
    from bot.core.database.store import Store
    from bot.core.models import Duty, Person, PersonRole

    assert runner.invoke(app, ["start-sending"], env=env).exit_code == 0
    sweep = runner.invoke(app, ["sweep", "--no-send"], env=env)
    assert sweep.exit_code == 0, sweep.output
    store = Store(f"sqlite:///{(home / 'compliance-bot.db').resolve()}")
    with store.session() as session:
        owing = set(session.scalars(select(Person.email).join(Duty, Duty.person_id == Person.id)))
        roles = dict(
            session.execute(
                select(Person.email, PersonRole.role)
                .join(PersonRole)
                .where(PersonRole.source == "directory")
            ).all()
        )
    return store, owing, roles
