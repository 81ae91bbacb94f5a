"""The decisions and exceptions register: who may see it (table-driven), what a decision must
say, files cleaned of metadata, reviews, audit without contents, review reminders at 14 days,
on the day and weekly while overdue (time-machine), the dashboard figures and the CLI."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app as cli_app
from bot.core.models import (
    AuditEvent,
    Decision,
    DecisionAttachment,
    Duty,
    Person,
    School,
    VisitorAssurance,
)
from bot.engine.sweep import run_sweep
from bot.features.dashboard.web import dashboard_counts
from bot.features.decisions import rules, service
from tests.conftest import isolated
from tests.features.decisions.test_support import (  # noqa: F401
    PDF,
    TERMS,
    Env,
    csrf_of,
    env_fixture,
    jpeg_with_exif,
    make_env,
)
from tests.support.helpers import SchoolBuilder, at
from tests.support.hostile import DISGUISED, HOSTILE_PDFS

TODAY = date(2026, 11, 23)
ROLES = ("anonymous", "staff", "governor", "admin", "dsl", "deputy", "head")
SECRET = "UNIQUE-DECISION-TEXT-4242"


def _ids(env: Env) -> dict[str, int]:
    with env.context.store.session() as session:
        return {p.email.split("@")[0]: p.id for p in session.scalars(select(Person))}


def _form(env: Env, **overrides: str) -> dict[str, str]:
    ids = _ids(env)
    data = {
        "kind": "relationship",
        "subject_type": "staff",
        "subject_person_id": str(ids["ben"]),
        "decision": f"Ben may stay connected to his nephew's family on Facebook. {SECRET}",
        "reasons": "Family relationship that predates his employment; no contact about school.",
        "decided_by_id": str(ids["dsl"]),
        "decided_on": "2026-11-20",
        "review_on": "2027-11-20",
    }
    data.update(overrides)
    return data


def _post_new(env: Env, client: Any, files: list[Any] | None = None, **overrides: str) -> Any:
    token = csrf_of(client.get("/decisions/new").text)
    return client.post(
        "/decisions/new",
        data={"csrf_token": token, **_form(env, **overrides)},
        files=files or None,
        follow_redirects=False,
    )


def _store_decision(env: Env, today: date = TODAY, **overrides: Any) -> int:
    ids = _ids(env)
    values: dict[str, Any] = {
        "kind": "pupil_device",
        "subject_type": "pupil",
        "subject_person_id": None,
        "subject_name": "JS, Year 5",
        "decision": SECRET,
        "reasons": "Diabetes monitoring app",
        "decided_by_id": ids["deputy"],
        "decided_on": today - timedelta(days=1),
        "review_on": today + timedelta(days=60),
        "agreement_on_paper": True,
    }
    values.update(overrides)
    with env.context.store.transaction() as session:
        actor = session.get(Person, ids["deputy"])
        assert actor is not None
        decision = service.create_decision(
            session, env.school, rules.DecisionInput(**values), actor, today
        )
        return decision.id


# --------------------------------------------------------------------------- access


def test_only_leadership_can_open_the_register(env: Env) -> None:
    decision_id = _store_decision(env)
    with env.context.store.transaction() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        service.store_attachments(
            session, decision, [_clean_pdf()], env.context.settings.uploads_dir, "test"
        )
        attachment_id = session.scalars(select(DecisionAttachment.id)).one()
    paths = [
        ("GET", "/decisions"),
        ("GET", "/decisions?status=closed&page=7"),
        ("GET", "/decisions/new"),
        ("GET", f"/decisions/{decision_id}"),
        ("GET", f"/decisions/{decision_id}/files/{attachment_id}"),
        ("POST", "/decisions/new"),
        ("POST", f"/decisions/{decision_id}/review"),
    ]
    expected = {"anonymous": 401, "staff": 403, "governor": 403, "admin": 403}
    for role in ROLES:
        client = env.client(None if role == "anonymous" else role)
        token = csrf_of(client.get("/signin").text)
        for method, path in paths:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data={"csrf_token": token}, follow_redirects=False)
            want = expected.get(role, 422 if method == "POST" else 200)
            assert response.status_code == want, (role, method, path)
            if want in (401, 403):
                assert SECRET not in response.text
    assert env.client("head").get("/decisions/999").status_code == 404


def test_another_schools_decision_is_not_found(env: Env) -> None:
    decision_id = _store_decision(env)
    with env.context.store.transaction() as session:
        session.add(School(id="elm", name="Elm School"))
        session.flush()
        session.get(Decision, decision_id).school_id = "elm"  # type: ignore[union-attr]
    response = env.client("dsl").get(f"/decisions/{decision_id}")
    assert response.status_code == 404 and SECRET not in response.text


# --------------------------------------------------------------------------- recording


@time_machine.travel(at(TODAY), tick=True)
def test_record_view_and_review_with_audit_but_no_contents_in_it(env: Env) -> None:
    client = env.client("dsl")
    created = _post_new(env, client)
    assert created.status_code == 303
    location = created.headers["location"]
    page = client.get(location)
    assert "Saved." in page.text and SECRET in page.text and "Ben Brook" in page.text
    decision_id = int(re.findall(r"/decisions/(\d+)", location)[0])
    listing = client.get("/decisions")
    assert rules.decision_reference(decision_id) in listing.text
    assert "Pre-existing relationship" in listing.text
    # a review that keeps it, then one that closes it
    token = csrf_of(page.text)
    bad = client.post(
        f"/decisions/{decision_id}/review",
        data={"csrf_token": token, "outcome": "continue", "next_review_on": "2026-01-01"},
    )
    assert bad.status_code == 422 and "must be after today" in bad.text
    kept = client.post(
        f"/decisions/{decision_id}/review",
        data={
            "csrf_token": token,
            "outcome": "continue",
            "next_review_on": "2027-06-01",
            "notes": "Still needed.",
        },
        follow_redirects=False,
    )
    assert kept.status_code == 303
    closed = client.post(
        f"/decisions/{decision_id}/review",
        data={"csrf_token": token, "outcome": "closed", "notes": "Nephew has left the school."},
    )
    assert closed.status_code == 200 and "Closed on Monday 23 November 2026" in closed.text
    assert "Continues; next review 01 Jun 2027" in closed.text
    assert rules.decision_reference(decision_id) in client.get("/decisions?status=closed").text
    with env.context.store.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None and decision.status == "closed"
        assert decision.review_on is None and len(decision.reviews) == 2
    actions = [e.action for e in env.audit("decision")]
    assert actions == [
        "decision.recorded",
        "decision.viewed",
        "decisions.listed",
        "decision.viewed",  # the review form shown again with its mistake
        "decision.reviewed",
        "decision.closed",
        "decision.viewed",
        "decisions.listed",
    ]
    for event in env.audit("decision"):
        blob = str(event.details)
        assert SECRET not in blob and "Ben" not in blob and "nephew" not in blob.lower()
        assert event.actor == "dsl@oak.example"


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One school for the refused forms (as ``env`` makes it): a refusal stores nothing,
    which each case checks, so the next case starts from the same school."""
    folder = tmp_path_factory.mktemp("refusing")
    with isolated(folder):
        made = make_env(SchoolBuilder(folder / "school"))
        yield made
        made.context.store.dispose()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"kind": ""}, "kind", "Choose what kind"),
        (
            {"subject_type": "pupil", "pupil_initials": "Jonathan Smith", "pupil_year": "Year 5"},
            "pupil_initials",
            "initials only",
        ),
        (
            {"subject_type": "pupil", "pupil_initials": "J.S.", "pupil_year": "Year 99"},
            "pupil_year",
            "year group",
        ),
        ({"subject_type": "visitor", "visitor_name": ""}, "visitor_name", "Give the visitor"),
        ({"subject_person_id": "999999"}, "subject_person_id", "from the list"),
        ({"subject_person_id": "²"}, "subject_person_id", "from the list"),
        ({"decided_by_id": "²"}, "decided_by_id", "DSL, a deputy DSL or the headteacher"),
        ({"decided_by_id": "{amy}"}, "decided_by_id", "DSL, a deputy DSL or the headteacher"),
        ({"decided_on": "2030-01-01"}, "decided_on", "future"),
        ({"review_on": "2026-11-01"}, "review_on", "after the date of the decision"),
        ({"review_on": "2031-01-01"}, "review_on", "within 3 years"),
        ({"decision": ""}, "decision", "what was decided"),
        ({"reasons": "x" * 4001}, "reasons", "4000 characters"),
        (
            {
                "kind": "pupil_device",
                "subject_type": "pupil",
                "pupil_initials": "JS",
                "pupil_year": "Year 5",
            },
            "agreement_on_paper",
            "written agreement",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_stored(
    refusing: Env, overrides: dict[str, str], field: str, message: str
) -> None:
    env = refusing
    ids = _ids(env)
    overrides = {k: v.format(amy=ids["amy"]) for k, v in overrides.items()}
    response = _post_new(env, env.client("head"), **overrides)
    assert response.status_code == 422
    assert message in response.text and f'href="#{field}"' in response.text
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_pupil_details_stay_minimal(env: Env) -> None:
    client = env.client("deputy")
    response = _post_new(
        env,
        client,
        kind="pupil_device",
        subject_type="pupil",
        pupil_initials="j. s.",
        pupil_year="Year 5",
        agreement_on_paper="yes",
        decision="May keep a phone for glucose monitoring, in the office bag.",
    )
    assert response.status_code == 303
    with env.context.store.session() as session:
        decision = session.scalars(select(Decision)).one()
        assert (decision.subject_type, decision.subject_name, decision.subject_person_id) == (
            "pupil",
            "JS, Year 5",
            None,
        )
        assert decision.agreement_on_paper


def _clean_pdf() -> Any:
    from bot.core.files.uploads import clean_attachment

    return clean_attachment("agreement.pdf", PDF)


def test_files_are_checked_cleaned_stored_privately_and_served_to_leaders(env: Env) -> None:
    client = env.client("head")
    refused = _post_new(
        env,
        client,
        files=[("files", ("agreement.pdf", b"MZ\x90\x00 not really a pdf", "application/pdf"))],
    )
    assert refused.status_code == 422 and "only photos (JPEG or PNG) and PDF" in refused.text
    # issue #40: a file a leader later opens is refused when unsafe or not what it says
    inflating, why = HOSTILE_PDFS["inflating"]
    name, disguised, declared, disguise = DISGUISED["html-after-png"]
    refused = _post_new(
        env,
        client,
        files=[("files", ("agreement.pdf", inflating, "")), ("files", (name, disguised, declared))],
    )
    said = " ".join(refused.text.split())
    assert refused.status_code == 422 and f"agreement.pdf: this PDF {why}" in said
    assert f"{name}: {disguise}" in said
    response = _post_new(
        env,
        client,
        kind="pupil_device",
        subject_type="pupil",
        pupil_initials="AB",
        pupil_year="Reception",
        files=[
            ("files", ("signed agreement.pdf", PDF, "application/pdf")),
            ("files", ("photo.jpg", jpeg_with_exif(), "image/jpeg")),
        ],
    )
    assert response.status_code == 303
    folder = env.context.settings.uploads_dir / "decisions" / "oak"
    stored = sorted(folder.iterdir())
    assert len(stored) == 2
    for path in stored:
        assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg)", path.name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"SecretCam" not in path.read_bytes() and b"Secret Road" not in path.read_bytes()
    with env.context.store.session() as session:
        files = session.scalars(select(DecisionAttachment).order_by(DecisionAttachment.id)).all()
        assert [f.filename for f in files] == ["signed agreement.pdf", "photo.jpg"]
        decision_id = files[0].decision_id
    page = client.get(f"/decisions/{decision_id}")
    assert "signed agreement.pdf" in page.text
    download = client.get(f"/decisions/{decision_id}/files/{files[1].id}")
    assert download.status_code == 200 and download.headers["content-type"] == "image/jpeg"
    assert download.content.startswith(b"\xff\xd8") and b"SecretCam" not in download.content
    assert "attachment" in download.headers["content-disposition"]
    assert (
        env.client("staff").get(f"/decisions/{decision_id}/files/{files[1].id}").status_code == 403
    )
    assert client.get(f"/decisions/{decision_id}/files/999").status_code == 404
    actions = [e.action for e in env.audit("decision.file")]
    assert actions == ["decision.files_added", "decision.file_downloaded"]


def test_the_decision_form_has_its_own_limits_each_said_plainly(env: Env) -> None:
    client = env.client("head")
    pdf = ("files", ("agreement.pdf", PDF, "application/pdf"))
    six = _post_new(env, client, files=[pdf] * 6)
    assert six.status_code == 422 and "Attach at most 5 files (6 were chosen)." in six.text
    eight = _post_new(env, client, files=[pdf] * 8)  # past the two spare: not read at all
    assert eight.status_code == 400
    assert "Too much was sent at once: at most 5 files." in eight.text
    long = _post_new(env, client, reasons="x" * (64 * 1024 + 1))
    assert long.status_code == 413 and "One of the boxes has too much text." in long.text
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_a_file_that_cannot_be_written_leaves_none_behind(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    decision_id = _store_decision(env)
    uploads = env.context.settings.uploads_dir
    real_open, opened = os.open, []

    def disk_full_on_the_second(path: Any, flags: int, mode: int = 0o777) -> int:
        if str(path).startswith(str(uploads)):
            opened.append(path)
            if len(opened) == 2:
                raise OSError(28, "No space left on device")
        return real_open(path, flags, mode)

    with env.context.store.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        with monkeypatch.context() as patch, pytest.raises(OSError):
            patch.setattr(os, "open", disk_full_on_the_second)
            service.store_attachments(
                session, decision, [_clean_pdf(), _clean_pdf()], uploads, "test"
            )
    assert len(opened) == 2
    assert not any(p.is_file() for p in uploads.rglob("*"))


# --------------------------------------------------------------------------- review reminders


def _review_mails(env: Env) -> list[tuple[str, str, str]]:
    rows = env.outbox("decision_review")
    assert {r.status for r in rows} <= {"sent"}
    return [
        (
            r.next_attempt_at.date().isoformat(),
            ",".join(e.split("@")[0] for e in r.recipients),
            r.subject,
        )
        for r in rows
    ]


@pytest.mark.slow
def test_review_reminders_14_days_before_on_the_day_then_weekly(
    school: SchoolBuilder, database_url: str
) -> None:
    env = make_env(school, database_url, today=date(2026, 11, 2), terms=TERMS)
    decision_id = _store_decision(env, today=date(2026, 11, 2), review_on=date(2026, 12, 7))
    soon_id = _store_decision(env, today=date(2026, 11, 2), review_on=date(2026, 11, 9))
    ref, soon = rules.decision_reference(decision_id), rules.decision_reference(soon_id)
    ctx = env.context
    settings = ctx.settings.model_copy(update={"base_url": "https://bot.oak.example"})
    day = date(2026, 11, 2)
    while day <= date(2027, 1, 12):
        with time_machine.travel(at(day, 8, 15), tick=False):
            run_sweep(ctx.store, settings, ctx.config, ctx.connectors)
            if day == date(2027, 1, 6):  # reviewed: reminders stop
                with ctx.store.transaction() as session:
                    decision = session.get(Decision, decision_id)
                    head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
                    assert decision is not None and head is not None
                    service.review_decision(
                        session, decision, head, "continue", date(2027, 7, 1), "", day
                    )
                run_sweep(ctx.store, settings, ctx.config, ctx.connectors)
        day += timedelta(days=1)
    assert sorted(_review_mails(env)) == sorted(
        [
            # recorded with its review a week away: no email at once, one on the day
            ("2026-11-09", "deputy,dsl", f"Review due today: decision {soon}"),
            (
                "2026-11-16",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
            ("2026-11-23", "deputy,dsl", f"Review due in 14 days: decision {ref}"),
            (
                "2026-11-23",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
            (
                "2026-11-30",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
            ("2026-12-07", "deputy,dsl", f"Review due today: decision {ref}"),
            (
                "2026-12-07",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
            (
                "2026-12-14",
                "deputy,dsl",
                f"Overdue review: decision {ref} (was due Monday 7 December 2026)",
            ),
            (
                "2026-12-14",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
            # the Christmas holidays: nothing; one email on the first day back
            (
                "2027-01-05",
                "deputy,dsl",
                f"Overdue review: decision {ref} (was due Monday 7 December 2026)",
            ),
            (
                "2027-01-05",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
            (
                "2027-01-11",
                "deputy,dsl",
                f"Overdue review: decision {soon} (was due Monday 9 November 2026)",
            ),
        ]
    )
    rows = env.outbox("decision_review")
    first = next(r for r in rows if ref in r.subject)
    assert first.idempotency_key == f"decision-review:oak:{decision_id}:2026-12-07:1"
    for row in rows:
        body = row.payload["text"] + row.payload["html"]
        assert SECRET not in body and "JS, Year 5" not in body and "Diabetes" not in body
        assert "Pupil's personal device" in body
    assert f"https://bot.oak.example/decisions/{decision_id}" in first.payload["text"]
    env.context.store.dispose()


def test_a_leaver_decider_leaves_the_dsl_and_a_dry_run_sends_nothing(env: Env) -> None:
    decision_id = _store_decision(env, review_on=TODAY + timedelta(days=30))
    with env.context.store.transaction() as session:
        deputy = session.scalar(select(Person).where(Person.email == "deputy@oak.example"))
        assert deputy is not None
        deputy.active = False
    day = TODAY + timedelta(days=30)
    with env.context.store.transaction() as session:
        planned = service.plan_decision_reminders(session, env.school, day, at(day), write=False)
        assert [(p.decision_id, p.recipients) for p in planned] == [
            (decision_id, ("dsl@oak.example",))
        ]
        saturday = day + timedelta(days=3)
        assert (
            service.plan_decision_reminders(session, env.school, saturday, at(saturday), write=True)
            == []
        )
    assert env.outbox("decision_review") == []


# --------------------------------------------------------------------------- figures & CLI


def test_dashboard_counts(env: Env) -> None:
    _store_decision(env, review_on=TODAY + timedelta(days=14))  # due
    _store_decision(env, review_on=TODAY - timedelta(days=1), decided_on=TODAY - timedelta(5))
    _store_decision(env, review_on=TODAY + timedelta(days=15))  # not yet
    closed = _store_decision(env, review_on=TODAY + timedelta(days=3))
    with env.context.store.transaction() as session:
        decision = session.get(Decision, closed)
        head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert decision is not None and head is not None
        service.review_decision(session, decision, head, "closed", None, "", TODAY)
        session.add_all(
            [
                VisitorAssurance(school_id="oak", name=n, visit_date=d, rules_sha256="0" * 64)
                for n, d in (("A", TODAY), ("B", TODAY), ("C", TODAY - timedelta(1)))
            ]
        )
    with env.context.store.session() as session:
        assert dashboard_counts(session, "oak", TODAY) == {
            "decisions_due": 2,
            "tasks_overdue": 0,
            "visitors_today": 2,
        }
        assert session.scalar(select(func.count()).select_from(Duty)) == 0


@pytest.fixture
def cli(env: Env, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points at the test school."""
    settings = env.context.settings
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(settings.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", settings.signing_key())
    return CliRunner()


def test_cli_lists_counts_only_unless_a_leader_asks(env: Env, cli: CliRunner) -> None:
    decision_id = _store_decision(env, review_on=TODAY + timedelta(days=3))
    _store_decision(
        env,
        kind="relationship",
        subject_type="staff",
        subject_name=None,
        subject_person_id=_ids(env)["ben"],
        review_on=TODAY + timedelta(days=90),
    )
    ref = rules.decision_reference(decision_id)
    with time_machine.travel(at(TODAY), tick=True):
        counts = cli.invoke(cli_app, ["decisions", "list"])
        assert counts.exit_code == 0, counts.output
        output = " ".join(counts.output.split())
        assert "2 open decisions" in output and "1 due within 14 days" in output
        assert "Pupil's personal device: 1" in counts.output
        assert "Pre-existing relationship: 1" in counts.output
        for secret in (ref, "JS, Year 5", "Ben Brook", SECRET):
            assert secret not in counts.output
        assert cli.invoke(cli_app, ["decisions", "list", "--show"]).exit_code == 2
        refused = cli.invoke(cli_app, ["decisions", "list", "--show", "--as", "amy@oak.example"])
        assert refused.exit_code == 2 and "is not a DSL" in refused.output
        shown = cli.invoke(cli_app, ["decisions", "list", "--show", "--as", "dsl@oak.example"])
        assert shown.exit_code == 0, shown.output
        assert ref in shown.output and "Ben Brook" in shown.output and SECRET not in shown.output
    with env.context.store.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.actor == "cli:dsl@oak.example"))
    assert event is not None and event.action == "decisions.listed"
    assert cli.invoke(cli_app, ["decisions", "list", "--school", "nope"]).exit_code == 2


ONCE = re.compile(r'name="once" value="([^"]+)"')


def test_the_same_decision_form_sent_twice_is_one_decision(
    school: SchoolBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click, or Refresh and send again, records one decision with one copy of its
    file: the second post goes to the first one's page; so does a post that raced the first
    into the database (its key is taken)."""
    env = make_env(school, database_url)
    client = env.client("head")
    (once,) = ONCE.findall(client.get("/decisions/new").text)
    pdf = [("files", ("agreement.pdf", PDF, "application/pdf"))]
    first = _post_new(env, client, files=pdf, once=once)
    assert first.status_code == 303 and first.headers["location"].endswith("?saved=1")
    again = _post_new(env, client, files=pdf, once=once)
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    # both checked before either stored: the database's rule on the key answers the second
    looked: list[int] = []
    sent_before = service.sent_before

    def first_look_finds_nothing(*args: Any) -> int | None:
        looked.append(1)
        return None if len(looked) == 1 else sent_before(*args)

    with monkeypatch.context() as patch:
        patch.setattr(service, "sent_before", first_look_finds_nothing)
        raced = _post_new(env, client, files=pdf, once=once)
    assert raced.status_code == 303 and raced.headers["location"] == first.headers["location"]

    def stored() -> tuple[int, int, int]:
        with env.context.store.session() as session:
            return (
                session.scalar(select(func.count()).select_from(Decision)) or 0,
                session.scalar(select(func.count()).select_from(DecisionAttachment)) or 0,
                len([f for f in env.context.settings.uploads_dir.rglob("*") if f.is_file()]),
            )

    assert stored() == (1, 1, 1)
    # another form (a new page, or a key no page of ours made) is another decision
    (other,) = ONCE.findall(client.get("/decisions/new").text)
    assert other != once
    assert _post_new(env, client, once=other).headers["location"] != first.headers["location"]
    assert _post_new(env, client, once="<not a key>").status_code == 303
    assert stored()[0] == 3
    # a refused form keeps its key, so the corrected one is still the same form
    (third,) = ONCE.findall(client.get("/decisions/new").text)
    refused = _post_new(env, client, once=third, reasons="")
    assert refused.status_code == 422 and ONCE.findall(refused.text) == [third]
