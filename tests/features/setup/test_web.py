"""The settings pages: who may open them, each change validated (422 naming the box, nothing
stored), saved as a new version, audited and applied at once; school.yaml read-only when it is
the settings' home; "Start sending" ends preview."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from httpx import Response
from icalendar import Calendar, Event
from sqlalchemy import func, select

from bot.core.config import store as config_store
from bot.core.deployment import setup_state
from bot.core.models import AccountHolder, AuditEvent, ConfigVersion, Duty, Requirement
from tests.features.setup.conftest import TODAY, Site
from tests.support.helpers import at
from tests.support.newcomer import term_calendar


def _versions(site: Site) -> int:
    with site.ctx.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(ConfigVersion)) or 0)


def test_only_admins_and_the_headteacher_open_setup(site: Site) -> None:
    assert site.client.get("/setup", follow_redirects=False).status_code == 401
    site.sign_in("amy@oak.example")
    assert site.client.get("/setup").status_code == 403
    site.sign_in("office@oak.example")
    page = site.client.get("/setup")
    assert page.status_code == 200
    assert "Start sending" in page.text and "Not done yet" in page.text
    assert "/admin/people" in page.text
    # which deadline each report starts, before anything is sent
    assert "Report deadlines" in page.text
    assert (
        "A concern about a member of staff: LADO referral decision within one working day, "
        "ending at the end of the working day (17:00); school holidays do not stop it."
    ) in page.text
    assert "Every other concern (normal urgency): DSL triage within one working day" in page.text
    assert "Reminders about these deadlines go between 07:00 and 19:00 on working days" in (
        page.text
    )


def test_term_dates_typed_are_applied_and_a_bad_line_is_named(site: Site) -> None:
    site.sign_in("office@oak.example")
    before = _versions(site)
    bad = site.client.post(
        "/admin/terms",
        data={
            "csrf_token": site.csrf("/admin/terms"),
            "terms": "Summer 1, 2026-04-13, 2026-05-22\nSummer 2, 2026-06-01, soon",
            "inset_days": "",
            "holidays": "",
        },
    )
    assert bad.status_code == 422
    assert "Terms, line 2" in bad.text and "soon" in bad.text
    assert _versions(site) == before  # nothing stored
    good = site.client.post(
        "/admin/terms",
        data={
            "csrf_token": site.csrf("/admin/terms"),
            "terms": "Summer 1, 2026-04-13, 2026-05-22\nSummer 2, 01/06/2026, 22 July 2026",
            "inset_days": "2026-06-01",
            "holidays": "",
        },
    )
    assert good.status_code == 200 and "Saved and applied" in good.text
    with site.ctx.store.session() as session:
        org = config_store.load_org(site.ctx.settings, session)
        school = org.school("oak")
        assert [t.name for t in school.terms] == ["Summer 1", "Summer 2"]
        assert str(school.terms[1].end) == "2026-07-22"
        assert [str(d) for d in school.inset_days] == ["2026-06-01"]
        audited = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == "office@oak.example")
        ).all()
    assert "config.changed" in audited
    assert "Summer 2" in site.ctx.settings.config_path.read_text(encoding="utf-8")  # the export


def test_term_dates_emptied_are_refused_and_the_calendar_kept(site: Site) -> None:
    """A form sent with every box empty (cleared by mistake, or a blank stale page) does not
    wipe the school's calendar: reminders need its terms to know its school days (qa-input)."""
    site.sign_in("office@oak.example")
    typed = {"terms": "Summer 1, 2026-04-13, 2026-05-22", "inset_days": "2026-06-01"}
    saved = {"csrf_token": site.csrf("/admin/terms"), **typed, "holidays": ""}
    assert site.client.post("/admin/terms", data=saved).status_code == 200
    with site.ctx.store.session() as session:
        terms = config_store.load_org(site.ctx.settings, session).school("oak").terms
    before = _versions(site)
    empty = {"csrf_token": site.csrf("/admin/terms"), "terms": " \n", "inset_days": ""}
    refused = site.client.post("/admin/terms", data={**empty, "holidays": ""})
    assert refused.status_code == 422
    assert "Terms: write at least one term" in refused.text
    assert _versions(site) == before  # nothing stored
    with site.ctx.store.session() as session:
        assert config_store.load_org(site.ctx.settings, session).school("oak").terms == terms


def test_a_calendar_read_on_the_terms_page_is_saved_and_one_without_terms_refused(
    site: Site, tmp_path: Path
) -> None:
    """The local authority's .ics file read on the terms page: its terms, INSET days and
    closures saved and shown; a file that is not an .ics, or a calendar with no term dates,
    refused naming the file, the school's calendar kept."""
    site.sign_in("office@oak.example")
    term_calendar(tmp_path / "term-dates.ics")

    def read(name: str, data: bytes) -> Response:
        token = {"csrf_token": site.csrf("/admin/terms")}
        calendar = [("calendar", (name, data, "text/calendar"))]
        return site.client.post("/admin/terms/calendar", data=token, files=calendar)

    page = read("term-dates.ics", (tmp_path / "term-dates.ics").read_bytes())
    assert page.status_code == 200 and "Read from term-dates.ics and saved" in page.text
    assert "Not used (1): Parents&#39; evening (Thu 12 Nov 2026)." in page.text
    with site.ctx.store.session() as session:
        school = config_store.load_org(site.ctx.settings, session).school("oak")
    assert [t.name for t in school.terms] == [
        "Autumn term 2026",
        "Spring term 2027",
        "Summer term 2027",
    ]
    assert school.inset_days == [date(2026, 9, 1), date(2027, 7, 20)]
    assert date(2026, 10, 26) in school.holidays
    before = _versions(site)
    wrong = read("terms.txt", b"Autumn 1, 2026-09-02, 2026-10-23")
    assert wrong.status_code == 422 and "terms.txt: choose the calendar" in wrong.text
    evening = Calendar()
    evening.add("prodid", "-//x//x//EN")
    evening.add("version", "2.0")
    event = Event()
    event.add("uid", "1@x")
    event.add("summary", "Parents' evening")
    event.add("dtstart", date(2026, 11, 12))
    evening.add_component(event)
    none = read("evening.ics", evening.to_ical())
    assert none.status_code == 422 and "evening.ics: no term dates found" in none.text
    assert _versions(site) == before  # nothing stored


def test_a_requirement_added_opens_duties_at_once(site: Site) -> None:
    site.sign_in("office@oak.example")
    missing = site.client.post(
        "/admin/requirements",
        data={
            "csrf_token": site.csrf("/admin/requirements"),
            "kind": "complete_training",
            "title": "",
            "course": "",
            "due_days": "28",
            "valid_months": "12",
            "roles": "staff",
        },
    )
    assert missing.status_code == 422 and "Course" in missing.text
    added = site.client.post(
        "/admin/requirements",
        data={
            "csrf_token": site.csrf("/admin/requirements"),
            "kind": "complete_training",
            "title": "",
            "course": "Prevent duty",
            "due_days": "28",
            "valid_months": "12",
            "roles": "staff",
            "every": "",
            "policy": "",
            "yearly_on": "",
        },
    )
    assert added.status_code == 200
    with site.ctx.store.session() as session:
        req = session.scalar(select(Requirement).where(Requirement.key == "prevent-duty"))
        assert req is not None and req.active
        opened = session.scalar(
            select(func.count()).select_from(Duty).where(Duty.requirement_id == req.id)
        )
    assert opened and opened >= 4  # every member of staff, without waiting for a sweep


def test_a_pack_follows_the_policies(site: Site) -> None:
    site.sign_in("head@oak.example")
    page = site.client.post(
        "/admin/requirements/pack",
        data={"csrf_token": site.csrf("/admin/requirements"), "pack": "kcsie"},
    )
    assert page.status_code == 200
    assert "No policy about child protection yet" in page.text
    with site.ctx.store.session() as session:
        keys = set(session.scalars(select(Requirement.key).where(Requirement.active.is_(True))))
    # one requirement per matching policy, named after it; training as the pack has it
    assert {"ack-online-safety", "training-safeguarding", "sign-social-media-aup"} <= keys


def test_people_in_roles_must_come_from_the_directory(site: Site) -> None:
    site.sign_in("office@oak.example")
    token = site.csrf("/admin/roles")
    bad = site.client.post(
        "/admin/roles",
        data={
            "csrf_token": token,
            "headteacher": "head@oak.example",
            "dsl": "stranger@evil.example",
            "admins": "office@oak.example",
        },
    )
    assert bad.status_code == 422
    assert "Designated Safeguarding Lead: choose people from the list" in bad.text
    locked_out = site.client.post(
        "/admin/roles",
        data={
            "csrf_token": token,
            "headteacher": "head@oak.example",
            "dsl": "head@oak.example",
            "admins": "amy@oak.example",
        },
    )
    assert locked_out.status_code == 422 and "could no longer open" in locked_out.text
    good = site.client.post(
        "/admin/roles",
        data={
            "csrf_token": token,
            "headteacher": "head@oak.example",
            "dsl": ["head@oak.example", "line@oak.example"],
            "admins": "office@oak.example",
            "scr_owner": "office@oak.example",
        },
    )
    assert good.status_code == 200
    with site.ctx.store.session() as session:
        school = config_store.load_org(site.ctx.settings, session).school("oak")
    assert school.dsl == ["head@oak.example", "line@oak.example"]
    assert school.scr_owner == "office@oak.example"  # the SCR's keeper (#59)


def test_file_kept_settings_are_read_only(site: Site) -> None:
    with site.ctx.store.transaction() as session:
        config_store.set_source(session, "file", by="it@oak.example", now=at(TODAY))
    site.sign_in("office@oak.example")
    page = site.client.get("/admin/terms")
    assert "your IT provider manages" in page.text and "disabled" in page.text
    refused = site.client.post(
        "/admin/terms",
        data={
            "csrf_token": site.csrf("/admin/terms"),
            "terms": "",
            "inset_days": "",
            "holidays": "",
        },
    )
    assert refused.status_code == 422 and "IT provider" in refused.text


def test_start_sending_ends_preview_once(site: Site) -> None:
    site.sign_in("amy@oak.example")
    token = site.csrf("/me")
    assert site.client.post("/setup/start-sending", data={"csrf_token": token}).status_code == 403
    site.sign_in("office@oak.example")
    assert (
        site.client.post("/setup/start-sending", data={"csrf_token": "forged"}).status_code == 403
    )
    done = site.client.post(
        "/setup/start-sending", data={"csrf_token": site.csrf("/setup")}, follow_redirects=False
    )
    assert done.status_code == 303
    with site.ctx.store.session() as session:
        assert setup_state.is_sending(session, "oak")
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "sending.started")
            )
            == 1
        )


def test_holders_unchanged_by_a_rejected_change(site: Site) -> None:
    with site.ctx.store.session() as session:
        holders = session.scalar(select(func.count()).select_from(AccountHolder))
    assert holders == 1


def test_a_policy_upload_is_checked_and_a_bad_file_stores_nothing(site: Site) -> None:
    site.sign_in("office@oak.example")
    before = _versions(site)
    scripted = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> "
        b">> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    refused = site.client.post(
        "/admin/policies",
        data={"csrf_token": site.csrf("/admin/policies")},
        files=[
            (
                "documents",
                (
                    "good.md",
                    b"# Anti-Bullying Policy\n\nNext review: 1 May 2027\n",
                    "text/markdown",
                ),
            ),
            ("documents", ("macro.pdf", scripted, "application/pdf")),
        ],
    )
    assert refused.status_code == 422 and "macro.pdf" in refused.text
    assert _versions(site) == before  # neither file was stored
    wrong = site.client.post(
        "/admin/policies",
        data={"csrf_token": site.csrf("/admin/policies")},
        files=[("documents", ("notes.exe", b"MZ", "application/x"))],
    )
    assert wrong.status_code == 422 and "notes.exe" in wrong.text
    good = site.client.post(
        "/admin/policies",
        data={"csrf_token": site.csrf("/admin/policies")},
        files=[
            (
                "documents",
                (
                    "anti-bullying.md",
                    b"# Anti-Bullying Policy\n\nNext review: May 2027\n",
                    "text/markdown",
                ),
            )
        ],
    )
    assert good.status_code == 200
    assert "Anti-Bullying Policy" in good.text and "month only" in good.text
    with site.ctx.store.session() as session:
        school = config_store.load_org(site.ctx.settings, session).school("oak")
    policy = next(p for p in school.policies if p.title == "Anti-Bullying Policy")
    assert str(policy.next_review) == "2027-05-31"
    assert (site.ctx.settings.config_path.parent / policy.document).exists()
