"""Report rules, intake, actions, mirror and external-form ingestion (domain level)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.files.uploads import AttachmentError, clean_attachment
from bot.core.models import (
    AuditEvent,
    ConnectorState,
    OutboxMessage,
    Report,
    ReportAttachment,
    ReportClock,
    ReportEntry,
)
from bot.engine.config_sync import sync_config
from bot.features.reports import intake as reports
from bot.features.reports.actions import (
    ReportActionError,
    add_entry,
    change_status,
    record_outcome,
    record_referral,
    set_owner,
)
from bot.features.reports.export import export_csv
from bot.features.reports.forms import read_form
from bot.features.reports.intake import submit_report
from bot.features.reports.mirror import mirror_pending
from bot.features.reports.routing import alert_recipients, can_view
from bot.features.reports.rules import REFERENCE_PATTERN, ReportInputError, assess_urgency
from bot.features.reports.step import report_sweep
from bot.features.reports.submission import validate_submission
from connectors.local.connector import CsvListMirror, LocalFormSource
from tests.features.reports.test_support import (  # noqa: F401
    PDF,
    PEOPLE,
    REF,
    Env,
    configure,
    env_fixture,
    jpeg_with_exif,
    make_env,
    png_bytes,
    submission,
    sync_people,
)
from tests.support.helpers import SchoolBuilder, step_context
from tests.support.keys import TEST_KEYS
from tests.support.pdfs import pdf_document

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SECRET = "UNIQUE-SECRET-TEXT-90210"


def school_config() -> SchoolConfig:
    """The test school's roles, without a database."""
    return SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak",
            "headteacher": "head@oak.example",
            "dsl": ["dsl@oak.example"],
            "deputy_dsl": ["deputy@oak.example"],
            "dpo": "dpo@oak.example",
            "chair_of_governors": "chair@oak.example",
        }
    )


# --------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("category", "illegal", "risk", "expected"),
    [
        ("mobile_device", False, False, "normal"),
        ("social_media", False, False, "normal"),
        ("visitor", False, False, "normal"),
        ("other", False, False, "normal"),
        ("cyberbullying", False, False, "high"),
        ("filtering", False, False, "high"),
        ("data_breach", False, False, "high"),
        ("nude_images", False, False, "immediate"),
        ("staff_concern", False, False, "immediate"),
        ("other", True, False, "immediate"),
        ("mobile_device", False, True, "immediate"),
    ],
)
def test_urgency(category: str, illegal: bool, risk: bool, expected: str) -> None:
    assert assess_urgency(category, illegal, risk) == expected


@pytest.mark.parametrize(
    ("category", "about_head", "expected"),
    [
        ("cyberbullying", False, ["dsl@oak.example", "deputy@oak.example"]),
        ("staff_concern", False, ["dsl@oak.example", "deputy@oak.example", "head@oak.example"]),
        ("staff_concern", True, ["dsl@oak.example", "deputy@oak.example", "chair@oak.example"]),
        ("social_media", True, ["dsl@oak.example", "deputy@oak.example", "chair@oak.example"]),
        ("data_breach", False, ["dsl@oak.example", "deputy@oak.example", "dpo@oak.example"]),
    ],
)
def test_alert_routing(category: str, about_head: bool, expected: list[str]) -> None:
    assert alert_recipients(school_config(), category, about_head) == expected


def test_a_head_who_is_also_the_dsl_never_gets_reports_about_themselves() -> None:
    cfg = school_config().model_copy(update={"dsl": ["head@oak.example"]})
    assert "head@oak.example" not in alert_recipients(cfg, "staff_concern", True)
    assert not can_view("head@oak.example", {"dsl", "headteacher"}, True, cfg)
    assert can_view("head@oak.example", {"dsl", "headteacher"}, False, cfg)


@pytest.mark.parametrize(
    ("roles", "about_head", "allowed"),
    [
        ({"dsl"}, False, True),
        ({"dsl"}, True, True),
        ({"deputy_dsl"}, True, True),
        ({"headteacher"}, False, True),
        ({"headteacher"}, True, False),
        ({"chair_of_governors", "governor"}, True, True),
        ({"chair_of_governors", "governor"}, False, False),
        ({"governor"}, True, False),
        ({"staff"}, False, False),
        ({"admin", "dpo"}, False, False),
    ],
)
def test_who_may_read_a_report(roles: set[str], about_head: bool, allowed: bool) -> None:
    email = "head@oak.example" if "headteacher" in roles else "someone@oak.example"
    assert can_view(email, roles, about_head, school_config()) is allowed


def test_validation_names_each_problem() -> None:
    with pytest.raises(ReportInputError) as caught:
        validate_submission(
            {"category": ["bogus"], "involved": ["alien"], "reporter_email": ["not-an-email"]},
            allow_anonymous=False,
            signed_in=False,
        )
    errors = caught.value.errors
    assert set(errors) >= {"category", "involved", "what_happened", "occurred", "reporter_name"}
    assert "reporter_email" in errors
    with pytest.raises(ReportInputError) as caught:
        validate_submission(
            {
                "category": ["other"],
                "involved": ["unknown"],
                "what_happened": ["x"],
                "occurred": ["today"],
                "anonymous": ["yes"],
            },
            allow_anonymous=False,
            signed_in=False,
        )
    assert "anonymous" in caught.value.errors


def test_validation_strips_control_characters_and_flags_nude_images() -> None:
    sub = validate_submission(
        {
            "category": ["nude_images"],
            "involved": ["pupil", "pupil"],
            "names_pupil": ["A\x00B"],
            "what_happened": ["line1\r\nline2\x00\x07"],
            "occurred": ["today"],
            "anonymous": ["yes"],
            "reporter_name": ["Should Not Be Kept"],
        },
        allow_anonymous=True,
        signed_in=False,
    )
    assert sub.what_happened == "line1\nline2"
    assert sub.involved == (("pupil", "AB"),)
    assert sub.suspected_illegal and sub.anonymous and sub.reporter_name is None


# --------------------------------------------------------------------------- references


def test_references_are_random_codes_per_year_never_a_sequence(env: Env) -> None:
    refs = [env.store_report(submission(), NOW + timedelta(minutes=i)) for i in range(12)]
    assert len(set(refs)) == 12 and all(REFERENCE_PATTERN.match(r) for r in refs)
    assert all(re.fullmatch(r"CR-2026-[A-HJ-KM-NP-Z2-9]{5}", r) for r in refs)
    assert refs != sorted(refs)  # not handed out in order (1 in 479 million by chance)
    # 31 Dec 23:30 UTC is still 2026 in London; 1 Jan is a new year's series
    assert env.store_report(submission(), datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).startswith(
        "CR-2026-"
    )
    assert env.store_report(submission(), datetime(2027, 1, 1, 0, 30, tzinfo=UTC)).startswith(
        "CR-2027-"
    )
    # references stored before the random codes still open
    assert REFERENCE_PATTERN.match("CR-2026-0042")


def test_a_reference_clash_is_retried(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    first = env.store_report(submission(), NOW)
    real = reports.next_reference
    calls: list[str] = []

    def stale(year: int) -> str:
        calls.append("x")
        return first if len(calls) == 1 else real(year)

    monkeypatch.setattr(reports, "next_reference", stale)
    second = env.store_report(submission(), NOW)
    assert second != first and REFERENCE_PATTERN.match(second)
    assert len(calls) == 2


def test_concurrent_intake_gives_unique_references(
    school: SchoolBuilder, database_url: str
) -> None:
    made = make_env(school, database_url)
    with made.context.store.transaction() as session:
        # the chain's very first append creates its head row and races (an audit.py matter);
        # a deployment has audit events long before its first report
        reports.audit.record(session, actor="test", action="test.start", object_type="test")
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        store = Store(database_url, keys=TEST_KEYS)
        try:
            barrier.wait()
            with store.transaction() as session:
                intake = submit_report(
                    session, made.school, submission(), now=NOW, base_url="", actor="t"
                )
            results.append(intake.reference)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(set(results)) == 6 and all(REFERENCE_PATTERN.match(r) for r in results)
    with made.context.store.session() as session:
        assert reports.audit.verify(session).ok
    made.context.store.dispose()


# --------------------------------------------------------------------------- intake & alerts


def test_alert_and_receipt_carry_no_contents(env: Env) -> None:
    sub = submission(
        what_happened=SECRET,
        involved=(("pupil", "Zebedee Quixote"),),
        location="Behind the SECRET-SHED",
        reporter_name="Rita Reporter",
        reporter_email="rita@home.example",
    )
    ref = env.store_report(sub, NOW, channel_card=True)
    alert, card, receipt = env.outbox()
    assert (alert.purpose, card.channel, receipt.purpose) == (
        "report_alert",
        "card",
        "report_receipt",
    )
    assert alert.recipients == ["dsl@oak.example", "deputy@oak.example"]
    assert receipt.recipients == ["rita@home.example"]
    for row in (alert, card, receipt):
        blob = json.dumps({"s": row.subject, "p": row.payload, "to": row.recipients})
        for forbidden in (SECRET, "Zebedee", "SECRET-SHED", "Rita Reporter", "Sam (Year 5)"):
            assert forbidden not in blob
        assert ref in blob
    assert "Cyberbullying" in alert.subject and "high urgency" in alert.subject
    assert f"http://testserver/reports/{ref}" in alert.payload["text"]


@pytest.mark.parametrize(
    ("days", "alerted"),
    [(0, ["dsl@oak.example", "head@oak.example"]), (40, ["head@oak.example"])],
    ids=["dsl-missing", "dsl-left"],
)
def test_a_concern_reaches_the_head_when_the_dsl_has_gone(
    tmp_path: Path, days: int, alerted: list[str]
) -> None:
    """The DSL is marked not here in the staff file (missing, then left after the grace
    period) and the school has no deputy: a concern must still reach someone who is here."""
    from bot.web.app import create_app

    builder = configure(SchoolBuilder(tmp_path))
    first = builder.context()
    sync_people(first)
    first.store.dispose()
    builder.people = [
        dataclasses.replace(r, active="no") if r.email == "dsl@oak.example" else r for r in PEOPLE
    ]
    builder.school["deputy_dsl"] = []
    context = builder.context(demo=True, base_url="http://testserver")
    sync_people(context)  # missing from today
    sync_people(context, date(2026, 10, 19) + timedelta(days=days))  # left after the grace
    env = Env(context=context, app=create_app(context.settings, context), builder=builder)
    page = env.submit(env.client())
    found = REF.search(page.text)
    assert page.status_code == 200 and found, page.text
    (alert,) = env.outbox("report_alert")[:1]
    assert alert.recipients == alerted
    assert env.client("head").get(f"/reports/{found.group(0)}").status_code == 200
    # and whoever keeps the settings is told that the DSL they name has left
    with context.store.transaction() as session:
        school = context.config.schools[0]
        said = [str(w) for w in sync_config(session, context.config, school, date(2026, 12, 1))]
    left = "dsl: dsl@oak.example has left; remove them from the configuration"
    assert (left in said) == (days == 40), said
    context.store.dispose()


def test_a_concern_when_everyone_named_has_left_says_who_left(tmp_path: Path) -> None:
    """The DSL, the deputy and the head have all left: nobody can be alerted, and the report's
    chronology says so truly, naming who left and as what (they are named in the
    configuration, but gone), in the school's words and in Welsh."""
    from bot.core.language.i18n import Msg
    from bot.core.language.kept_text import from_data
    from bot.web.app import create_app

    builder = configure(SchoolBuilder(tmp_path))
    first = builder.context()
    sync_people(first)
    first.store.dispose()
    gone = {"dsl@oak.example", "deputy@oak.example", "head@oak.example"}
    builder.people = [dataclasses.replace(r, active="no") if r.email in gone else r for r in PEOPLE]
    builder.school["directory"] = {"max_removal_share": 0.5}  # three of eight leave at once
    context = builder.context(demo=True, base_url="http://testserver")
    sync_people(context)
    sync_people(context, date(2026, 11, 28))  # left after the grace period
    env = Env(context=context, app=create_app(context.settings, context), builder=builder)
    page = env.submit(env.client())
    assert page.status_code == 200 and REF.search(page.text), page.text
    assert [m.recipients for m in env.outbox("report_alert") if m.channel == "email"] == []
    with context.store.transaction() as session:
        (line,) = session.scalars(
            select(ReportEntry).where(ReportEntry.text.like("Nobody could be alerted%"))
        ).all()
        text, said = line.text, line.said
    assert "names no" not in text, text
    assert text == (
        "Nobody could be alerted: everyone the configuration names to hear about this kind of "
        "report has left (Dee Lead, DSL; Dan Deputy, deputy DSL; Hana Head, headteacher). "
        "Name someone who is here in the configuration."
    )
    kept = from_data(said)
    assert isinstance(kept, Msg)
    welsh = kept.said("cy")
    assert "Dee Lead" in welsh and "pennaeth" in welsh and "configuration" not in welsh, welsh
    context.store.dispose()


def test_anonymous_reports_keep_no_identity_and_get_no_receipt(env: Env) -> None:
    ref = env.store_report(
        submission(anonymous=True, reporter_name="X", reporter_email="x@y.example"),
        NOW,
        reporter_id=1,
    )
    report = env.report(ref)
    assert (report.reporter_name, report.reporter_email, report.reporter_id) == (None, None, None)
    assert env.outbox("report_receipt") == []


def test_staff_concern_cards_say_confidential_and_about_head_posts_none(env: Env) -> None:
    env.store_report(submission(category="staff_concern"), NOW, channel_card=True)
    env.store_report(
        submission(category="staff_concern", about_headteacher=True), NOW, channel_card=True
    )
    cards = [m for m in env.outbox() if m.channel == "card"]
    assert len(cards) == 1
    assert "confidential" in cards[0].payload["text"]
    assert "staff" not in cards[0].payload["text"].lower()
    alerts = env.outbox("report_alert")
    assert "head@oak.example" in alerts[0].recipients
    about_head = [a for a in alerts if a.channel == "email"][1]
    assert "head@oak.example" not in about_head.recipients
    assert "chair@oak.example" in about_head.recipients


def test_suspected_illegal_content_is_flagged_and_files_are_not_kept(env: Env) -> None:
    clean = clean_attachment("photo.jpg", jpeg_with_exif())
    ref = env.store_report(submission(category="nude_images"), NOW, files=[clean])
    report = env.report(ref)
    assert report.suspected_illegal and report.urgency == "immediate"
    texts = [e.text for e in report.entries]
    assert any("do not view, copy or forward" in t for t in texts)
    assert any("not stored" in t for t in texts)
    uploads = env.context.settings.uploads_dir
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))
    alert = env.outbox("report_alert")[0]
    assert "do not view, copy or forward" in alert.payload["text"]


def test_attachments_are_stored_outside_the_web_root_under_random_names(env: Env) -> None:
    files = [clean_attachment("C:\\Users\\me\\holiday.jpeg", jpeg_with_exif())]
    files.append(clean_attachment("scan.PDF", PDF))
    ref = env.store_report(submission(), NOW, files=files)
    with env.context.store.session() as session:
        rows = session.scalars(select(ReportAttachment).order_by(ReportAttachment.id)).all()
    assert [r.filename for r in rows] == ["holiday.jpg", "scan.pdf"]
    for row in rows:
        path = env.context.settings.uploads_dir / "reports" / "oak" / row.stored_as
        assert path.is_file() and oct(path.stat().st_mode)[-3:] == "600"
        assert "holiday" not in row.stored_as and len(row.stored_as) >= 32
    assert "static" not in str(env.context.settings.uploads_dir)
    assert ref


# --------------------------------------------------------------------------- attachments


def test_images_lose_exif_gps_and_comments() -> None:
    original = jpeg_with_exif()
    assert b"SecretCam" in original and b"Secret Road" in original
    clean = clean_attachment("p.jpg", original)
    assert clean.content_type == "image/jpeg"
    assert b"SecretCam" not in clean.data and b"Secret Road" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif() and "comment" not in image.info
    png = clean_attachment("p.png", png_bytes())
    assert b"Secret Person" not in png.data


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("invoice.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, "not one of those"),
        ("script.png", b"<script>alert(1)</script>", "not one of those"),
        ("empty.jpg", b"", "empty"),
        ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "at most 5 MB"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 50, "could not be read"),
        ("evil.pdf", pdf_document(b"/OpenAction << /S /JavaScript /JS (alert(1)) >>"), "scripts"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj", "incomplete"),
    ],
)
def test_bad_files_are_refused_by_content(name: str, data: bytes, message: str) -> None:
    with pytest.raises(AttachmentError, match=message) as caught:
        clean_attachment(name, data)
    assert name in str(caught.value) or "the file" in str(caught.value)


def test_a_png_named_jpg_is_refused_and_one_with_no_extension_kept_as_png() -> None:
    """Issue #40: a file must be what its name says (the DSL's viewer goes by the name)."""
    with pytest.raises(
        AttachmentError,
        match=r"photo\.jpg: its name ends in \.jpg, but the file "
        r"is a PNG image",
    ):
        clean_attachment("photo.jpg", png_bytes())
    clean = clean_attachment("photo", png_bytes(), "application/octet-stream")
    assert clean.content_type == "image/png" and clean.filename == "photo.png"


# --------------------------------------------------------------------------- actions


def _load(session: object, ref: str) -> Report:
    report = session.scalar(select(Report).where(Report.reference == ref))  # type: ignore[attr-defined]
    assert report is not None
    return report  # type: ignore[no-any-return]


def test_triage_referral_and_closing_rules(env: Env) -> None:
    ref = env.store_report(submission(category="staff_concern", what_happened=SECRET), NOW)
    later = NOW + timedelta(hours=1)
    store = env.context.store
    with store.transaction() as session:
        report = _load(session, ref)
        with pytest.raises(ReportActionError, match="reason"):
            change_status(
                session, report, actor="dsl@oak.example", status="triaged", reason="", now=later
            )
        change_status(
            session,
            report,
            actor="dsl@oak.example",
            status="investigating",
            reason="Meets the harm threshold",
            now=later,
        )
        with pytest.raises(ReportActionError, match="outcome"):
            change_status(
                session, report, actor="dsl@oak.example", status="closed", reason="done", now=later
            )
        record_outcome(
            session,
            report,
            actor="dsl@oak.example",
            outcome="Advice given",
            lessons="Update the code of conduct",
            now=later,
        )
        with pytest.raises(ReportActionError, match="LADO"):
            change_status(
                session, report, actor="dsl@oak.example", status="closed", reason="done", now=later
            )
        with pytest.raises(ReportActionError, match="reason"):
            record_referral(
                session,
                report,
                actor="dsl@oak.example",
                target="lado",
                outcome="not_required",
                text="",
                reason=None,
                now=later,
            )
        assert record_referral(
            session,
            report,
            actor="dsl@oak.example",
            target="lado",
            outcome="not_required",
            text="LADO consulted by phone",
            reason="Below the harm threshold",
            now=later,
        ) == ["lado"]
        change_status(
            session,
            report,
            actor="dsl@oak.example",
            status="closed",
            reason="Outcome agreed",
            now=later,
        )
    report = env.report(ref)
    assert report.status == "closed" and report.closed_at == later
    assert report.what_happened == SECRET
    assert all(c.stopped_at is not None for c in report.clocks)
    kinds = [e.kind for e in report.entries]
    assert kinds.count("status") == 2 and "decision" in kinds and "outcome" in kinds


def test_triage_clock_stops_when_the_status_leaves_new(env: Env) -> None:
    ref = env.store_report(submission(), NOW)
    with env.context.store.transaction() as session:
        report = _load(session, ref)
        change_status(
            session,
            report,
            actor="deputy@oak.example",
            status="triaged",
            reason="Pastoral follow-up",
            now=NOW + timedelta(hours=3),
        )
    (clock,) = env.report(ref).clocks
    assert clock.stopped_by == "deputy@oak.example"


def test_corrections_are_appended_and_the_original_never_changes(env: Env) -> None:
    ref = env.store_report(submission(what_happened=SECRET), NOW)
    with env.context.store.transaction() as session:
        report = _load(session, ref)
        add_entry(
            session,
            report,
            actor="dsl@oak.example",
            kind="correction",
            text="It was Tuesday, not Monday",
            reason="Reporter phoned",
            now=NOW,
        )
        with pytest.raises(ReportActionError, match="reason"):
            add_entry(
                session,
                report,
                actor="dsl@oak.example",
                kind="decision",
                text="No further action",
                reason="",
                now=NOW,
            )
        with pytest.raises(ReportActionError):
            add_entry(
                session,
                report,
                actor="dsl@oak.example",
                kind="system",
                text="forged",
                reason=None,
                now=NOW,
            )
    report = env.report(ref)
    assert report.what_happened == SECRET
    (correction,) = [e for e in report.entries if e.kind == "correction"]
    assert (correction.author, correction.reason) == ("dsl@oak.example", "Reporter phoned")


def test_only_someone_who_may_read_it_can_own_it(env: Env) -> None:
    from bot.core.models import Person

    ref = env.store_report(submission(about_headteacher=True), NOW)
    with env.context.store.transaction() as session:
        report = _load(session, ref)
        head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        chair = session.scalar(select(Person).where(Person.email == "chair@oak.example"))
        assert head is not None and chair is not None
        with pytest.raises(ReportActionError, match="allowed"):
            set_owner(session, report, env.school, actor="dsl@oak.example", owner=head, now=NOW)
        set_owner(session, report, env.school, actor="dsl@oak.example", owner=chair, now=NOW)
    assert env.report(ref).owner_id is not None


def test_audit_events_never_hold_contents(env: Env) -> None:
    ref = env.store_report(submission(what_happened=SECRET, reporter_name="Rita R"), NOW)
    with env.context.store.transaction() as session:
        report = _load(session, ref)
        add_entry(
            session,
            report,
            actor="dsl@oak.example",
            kind="action",
            text=f"Called parents re {SECRET}",
            reason=None,
            now=NOW,
        )
        record_outcome(
            session, report, actor="dsl@oak.example", outcome=SECRET, lessons=None, now=NOW
        )
    with env.context.store.session() as session:
        events = session.scalars(select(AuditEvent)).all()
        assert {"report.created", "report.entry_added", "report.outcome_recorded"} <= {
            e.action for e in events
        }
        blob = json.dumps([e.details for e in events])
        assert SECRET not in blob and "Rita" not in blob


# --------------------------------------------------------------------------- CSV export


def test_csv_export_guards_against_formulas(env: Env) -> None:
    ref = env.store_report(
        submission(
            what_happened='=HYPERLINK("http://evil.example","click")',
            location="+44 1234",
            occurred="-1+1",
            involved=(("pupil", "@SUM(A1)"),),
        ),
        NOW,
    )
    with env.context.store.session() as session:
        rows = list(session.scalars(select(Report)))
        for r in rows:
            _ = r.owner
        text = export_csv(rows, "governor")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["reference"] == ref
    assert row["what_happened"].startswith("'=HYPERLINK")
    assert row["where"] == "'+44 1234" and row["when"] == "'-1+1"
    assert row["involved"] == "Pupil (@SUM(A1))"  # not at the start of the cell: harmless
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@"))


# --------------------------------------------------------------------------- mirror


def test_mirror_gets_minimal_fields_only_and_is_idempotent(env: Env, tmp_path: Path) -> None:
    mirror = CsvListMirror(tmp_path / "mirror.csv")
    ref = env.store_report(submission(what_happened=SECRET), NOW)
    env.store_report(submission(about_headteacher=True), NOW)
    store = env.context.store
    with store.transaction() as session:
        assert mirror_pending(session, mirror, env.school) == 1
    with store.transaction() as session:
        assert mirror_pending(session, mirror, env.school) == 0
    rows = list(csv.DictReader(mirror.path.open(encoding="utf-8")))
    assert rows == [
        {
            "reference": ref,
            "category": "Cyberbullying",
            "urgency": "High",
            "status": "New",
            "created": "2026-11-03",
        }
    ]
    assert SECRET not in mirror.path.read_text(encoding="utf-8")
    with store.transaction() as session:
        report = _load(session, ref)
        change_status(
            session, report, actor="dsl@oak.example", status="triaged", reason="ok", now=NOW
        )
    with store.transaction() as session:
        assert mirror_pending(session, mirror, env.school) == 1
    (row,) = list(csv.DictReader(mirror.path.open(encoding="utf-8")))
    assert row["status"] == "Triaged"


def test_the_sweep_step_mirrors_through_the_deployment_connector(env: Env) -> None:
    ref = env.store_report(submission(), NOW)
    ctx = env.context
    with ctx.store.transaction() as session:
        counts = report_sweep(step_context(ctx, session, env.school, NOW))
    with ctx.store.transaction() as session:
        again = report_sweep(step_context(ctx, session, env.school, NOW))
    assert counts["reports_mirrored"] == 1 and again["reports_mirrored"] == 0
    mirror_file = env.context.settings.home / "reports-mirror.csv"
    assert ref in mirror_file.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- external forms


def _write_responses(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def test_form_responses_are_ingested_once_each(env: Env, tmp_path: Path) -> None:
    forms_file = tmp_path / "form.jsonl"
    _write_responses(
        forms_file,
        [
            {
                "id": "resp-1",
                "submitted_at": "2026-11-02T09:00:00+00:00",
                "answers": {
                    "Category": "Cyberbullying",
                    "What happened": SECRET,
                    "When": "Friday",
                    "Where": "Snapchat",
                    "Who was involved": "Two pupils in Year 6",
                    "Your name": "Fran Form",
                    "Your email": "fran@home.example",
                },
            },
            {
                "id": "resp-2",
                "submitted_at": "2026-11-02T10:00:00+00:00",
                "answers": {"category": "Something odd", "what happened": "Unclear"},
            },
        ],
    )
    source = LocalFormSource(forms_file)
    store = env.context.store
    with store.transaction() as session:
        assert read_form(session, source, env.school, now=NOW, base_url="").stored == 2
    with store.transaction() as session:
        assert read_form(session, source, env.school, now=NOW, base_url="").stored == 0
    _write_responses(
        forms_file,
        [
            {
                "id": "resp-3",
                "submitted_at": "2026-11-03T08:00:00+00:00",
                "answers": {"Category": "Personal data breach", "What happened": "Lost laptop"},
            }
        ],
    )
    with store.transaction() as session:
        assert read_form(session, source, env.school, now=NOW, base_url="").stored == 1
    with store.session() as session:
        found = {r.source_ref: r for r in session.scalars(select(Report))}
        state = session.scalar(
            select(ConnectorState.value).where(ConnectorState.key == "reports.forms.last_seen")
        )
        clocks = {c.report_id: c for c in session.scalars(select(ReportClock))}
    assert set(found) == {"resp-1", "resp-2", "resp-3"}
    first = found["resp-1"]
    assert (first.source, first.category, first.what_happened) == ("form", "cyberbullying", SECRET)
    assert first.involved == [{"role": "pupil", "names": "Two pupils in Year 6"}]
    assert first.reporter_email == "fran@home.example" and not first.anonymous
    assert found["resp-2"].category == "other" and found["resp-2"].anonymous
    assert found["resp-3"].category == "data_breach"
    assert clocks[found["resp-3"].id].kind == "ico"
    # the clock starts when the form was submitted, not when we read it
    assert clocks[found["resp-3"].id].started_at == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert state == "2026-11-03T08:00:00+00:00"
    receipts = env.outbox("report_receipt")
    assert [r.recipients for r in receipts] == [["fran@home.example"]]
    assert SECRET not in json.dumps(receipts[0].payload)


def test_outbox_keys_make_a_repeat_alert_impossible(env: Env) -> None:
    ref = env.store_report(submission(), NOW)
    with env.context.store.session() as session:
        keys = session.scalars(select(OutboxMessage.idempotency_key)).all()
        count = session.scalar(select(func.count()).select_from(ReportEntry))
    assert keys == [f"report-alert:oak:{ref}", f"report-receipt:oak:{ref}"]
    assert count == 0
