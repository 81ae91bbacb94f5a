"""The demo: a fictional school with a believable autumn behind it, built in ./.compliance-bot-demo.

Everything here is invented: Oakfield Primary School, its people and its policies (written for
this project). The school is its folder (``data/``: the staff list, the policy folder, the
answers to ``init`` and the settings beyond them), set up through ``init --answers`` as a real
school is. History is simulated by running the real sweep on earlier school days without
delivering, so what the demo then sends "today" is exactly what the bot would send.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select, update

from bot.core.config import OrgConfig, load_config
from bot.core.config import store as config_store
from bot.core.config.reading import load_yaml
from bot.core.days.clock import LONDON, last_school_day, to_local
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import DEMO_HOME, Settings, SettingsError, describe_invalid
from bot.core.deployment.setup_state import start_sending
from bot.core.language.words import human_date
from bot.core.models import (
    Attestation,
    Duty,
    OutboxMessage,
    Person,
    PolicyVersion,
    Report,
    TrainingRecord,
)
from bot.core.outbox.waiting import Waiting, pending_summary
from bot.demo.documents import DEMO_DOCUMENTS
from bot.demo.school import inset_days, term_dates
from bot.engine.settings_change import apply_settings
from bot.engine.sweep import SchoolSweep, run_sweep
from bot.features.reports.actions import change_status
from bot.features.reports.intake import submit_report
from bot.features.reports.submission import Submission
from bot.features.setup.answers import load_answers
from bot.features.setup.school_setup import draft_setup
from bot.features.setup.writing import school_config, write_setup

__all__ = ["DATA", "DemoPlan", "build_demo", "demo_settings", "demo_setup", "school_folder"]

DATA = Path(__file__).parent / "data"  # the school's folder, as it would give it to init
DOMAIN = "oakfield.example"
# the day the folder's dates are written as of: they move by the days between it and the last
# school day before the demo runs (term dates are made for the year it runs in: school.py)
WRITTEN_AS_OF = date(2026, 11, 23)
CHECKPOINTS = (63, 49, 35, 21, 14, 7, 2)  # days before today the history's sweeps ran


def demo_settings(base: Path | None = None, base_url: str | None = None) -> Settings:
    """Settings pointing at the demo folder, with demo mode on (the only place it is switched
    on besides an explicit COMPLIANCE_BOT_DEMO=true); links in its emails use ``base_url``."""
    home = (base or Path.cwd()) / DEMO_HOME
    try:
        settings = Settings(home=home, demo=True, mail_from=f"compliance-bot@{DOMAIN}")
    except ValidationError as exc:  # e.g. a too-short COMPLIANCE_BOT_SECRET_KEY in the shell
        raise SettingsError(describe_invalid(exc)) from None
    return settings.model_copy(update={"base_url": base_url}) if base_url else settings


@dataclass
class DemoPlan:
    """What ``build_demo`` did."""

    created: bool
    as_of: date
    today: date
    results: list[SchoolSweep]
    sent: int
    settings: Settings
    now: datetime
    waiting: list[Waiting]


def _school_day_at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=LONDON).astimezone(UTC)


def _moved(value: Any, days: int) -> Any:
    """``value`` with every date in it moved by ``days``."""
    if isinstance(value, date):
        return value + timedelta(days=days)
    if isinstance(value, dict):
        return {k: _moved(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, days) for v in value]
    return value


def _staff_list(days: int, *, leaver_in_post: bool) -> str:
    """The staff list with its start dates moved by ``days``; the leaver still in post (the
    autumn's first weeks) or gone."""
    rows = list(csv.DictReader(io.StringIO((DATA / "staff.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if row["start_date"]:
            row["start_date"] = _moved(date.fromisoformat(row["start_date"]), days).isoformat()
        if leaver_in_post:
            row["active"] = "yes"
        writer.writerow(row)
    return out.getvalue()


def _first_online_safety(text: str) -> str:
    """The online safety policy the autumn began with (version 2026.1)."""
    return text.replace("2026.2", "2026.1").replace(
        "Report filtering or monitoring problems", "Report filtering problems"
    )


def school_folder(folder: Path, today: date) -> Path:
    """The folder the school gives ``init``, as the autumn began: the staff list, the policy
    folder (a Word and a PDF policy among them), and the answers with this year's term dates."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "staff.csv", folder / "staff.csv")
    shutil.copytree(DATA / "policies", folder / "policies")
    for name, make in DEMO_DOCUMENTS.items():
        (folder / "policies" / name).write_bytes(make())
    online = folder / "policies" / "online-safety.md"
    online.write_text(_first_online_safety(online.read_text(encoding="utf-8")), encoding="utf-8")
    answers = load_yaml((DATA / "answers.yaml").read_text(encoding="utf-8"))
    answers["terms"] = {"dates": term_dates(today), "inset_days": inset_days(today)}
    path = folder / "answers.yaml"
    path.write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    return path


def demo_setup(settings: Settings, today: date) -> tuple[OrgConfig, date]:
    """Set the demo school up as a real school is (``init --answers``), as the autumn began,
    with the settings of ``data/school-settings.yaml``; the school then started sending.

    Returns the school's configuration as it is today and the last school day (``as_of``).
    """
    extra = load_yaml((DATA / "school-settings.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        draft = draft_setup(settings, load_answers(school_folder(Path(tmp), today)))
        if draft.problems:
            raise SettingsError(
                "the demo school's folder does not set up: "
                + "; ".join(p.said("en") for p in draft.problems)
            )

        def config(days: int, **online_safety: Any) -> OrgConfig:
            data = school_config(draft, today)
            data["schools"][0].update(_moved(extra, days))
            for entry in data["schools"][0]["policies"]:
                if entry["id"] == "online-safety":
                    entry.update(online_safety)
            return OrgConfig.model_validate({**data, "base_dir": settings.home})

        as_of = last_school_day(config(0).schools[0], today)
        days = (as_of - WRITTEN_AS_OF).days
        began = as_of - timedelta(days=CHECKPOINTS[0])
        first = config(days, version="2026.1", published=began, last_reviewed=began)
        start = last_school_day(first.schools[0], began)
        write_setup(settings, draft, first, today=start, now=_school_day_at(start), env_path=None)
    admin = first.schools[0].admins[0]
    ctx = AppContext(settings)
    with ctx.store.transaction() as session:
        for school in first.schools:
            start_sending(session, school.id, by=admin, now=_school_day_at(start))
    # everyone starts the autumn in post; the leaver leaves part-way (see _seed_history)
    settings.directory_file.write_text(_staff_list(days, leaver_in_post=True), encoding="utf-8")
    return config(days), as_of


def _seed_history(ctx: AppContext, final: OrgConfig, as_of: date, rng: random.Random) -> None:
    """Simulate nine weeks of the bot at work: sweeps on past school days and people responding."""
    home = ctx.settings.home
    school = ctx.config.schools[0]
    checkpoints = sorted({last_school_day(school, as_of - timedelta(days=d)) for d in CHECKPOINTS})
    store = ctx.store
    online = home / "policies" / "online-safety.md"
    days = (as_of - WRITTEN_AS_OF).days
    for index, day in enumerate(checkpoints):
        if day >= as_of:
            continue
        if index == 3:  # a teacher who ran the Facebook page leaves
            ctx.settings.directory_file.write_text(
                _staff_list(days, leaver_in_post=False), encoding="utf-8"
            )
        if (
            index
            and day >= as_of - timedelta(days=21)
            and "2026.2" not in online.read_text("utf-8")
        ):  # version 2026.2 is published
            shutil.copy(DATA / "policies" / "online-safety.md", online)
            ctx.settings.config_path.write_text(config_store.to_yaml(final), encoding="utf-8")
            ctx.forget_config()
        run_sweep(
            store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=day,
            now=_school_day_at(day),
            deliver=False,
        )
        if index == 0:
            _seed_training(ctx, as_of, rng)
        _respond(ctx, day, rng)
    _seed_reports(ctx, as_of)
    with store.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(
                status="sent",
                provider_id="demo history (simulated, not delivered)",
                sent_at=_school_day_at(as_of - timedelta(days=1)),
            )
        )


def _seed_reports(ctx: AppContext, as_of: date) -> None:
    """A few fictional reports at different stages, so the tracked list has something in it."""
    school = ctx.config.schools[0]
    for made in load_yaml((DATA / "reports.yaml").read_text(encoding="utf-8")):
        when = _school_day_at(as_of - timedelta(days=made["days_ago"]))
        with ctx.store.transaction() as session:
            intake = submit_report(
                session,
                school,
                Submission(
                    category=made["category"],
                    involved=tuple(made["involved"].items()),
                    what_happened=made["what_happened"],
                    occurred=human_date(to_local(when).date()),
                    location="School",
                    actions_taken=None,
                    anonymous=True,
                ),
                now=when,
                base_url=ctx.settings.base_url,
                actor="demo",
            )
            if made.get("status"):
                report = session.get(Report, intake.report_id)
                assert report is not None
                change_status(
                    session,
                    report,
                    actor=school.dsl[0],
                    status=made["status"],
                    reason="Demo: triaged by the DSL",
                    now=when + timedelta(hours=3),
                )


def _seed_training(ctx: AppContext, as_of: date, rng: random.Random) -> None:
    with ctx.store.transaction() as session:
        staff = session.scalars(select(Person).where(Person.active.is_(True))).all()
        for person in staff:
            roles = person.role_names
            if not roles & {"staff", "volunteer"} or (
                person.start_date and person.start_date > as_of - timedelta(days=30)
            ):
                continue
            roll = rng.random()
            if roll < 0.80:
                done = as_of - timedelta(days=rng.randint(60, 110))
            elif roll < 0.90:
                done = as_of - timedelta(days=rng.randint(340, 360))  # renewal coming up
            else:
                continue  # never trained: will be chased
            courses = [("sg", "Safeguarding and child protection", "Local authority course")]
            if "staff" in roles and rng.random() < 0.6:
                courses.append(("os", "Online safety", "Online course"))
            session.add_all(
                TrainingRecord(
                    school_id="oakfield",
                    person_id=person.id,
                    course=course,
                    completed_on=done,
                    provider=provider,
                    source="demo",
                    import_key=f"demo:{code}:{person.id}",
                )
                for code, course, provider in courses
            )


def _respond(ctx: AppContext, day: date, rng: random.Random) -> None:
    """Some people act on their emails: acknowledgements and signatures dated ``day``."""
    with ctx.store.transaction() as session:
        rows = session.execute(
            select(Duty, PolicyVersion)
            .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .where(Duty.status == "open", Duty.kind.in_(["acknowledge_policy", "sign_aup"]))
        ).all()
        for duty, version in rows:
            if rng.random() > 0.42:
                continue
            at = datetime.combine(
                day, time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=LONDON
            ).astimezone(UTC)
            person = session.get(Person, duty.person_id)
            assert person is not None
            session.add(
                Attestation(
                    school_id=duty.school_id,
                    person_id=duty.person_id,
                    kind="aup_signature" if duty.kind == "sign_aup" else "acknowledgement",
                    policy_version_id=version.id,
                    document_sha256=version.sha256,
                    statement=version.statement,
                    typed_name=person.display_name if duty.kind == "sign_aup" else None,
                    at=at,
                    method="link",
                    ip="192.0.2.10",
                    user_agent="demo",
                    duty_id=duty.id,
                )
            )


def _keep_settings_on_the_web_pages(ctx: AppContext, today: date, now: datetime) -> None:
    """The demo school changes its settings on the admin pages (as a school set up through the
    web would); school.yaml becomes their export. It has been sending all term: no preview."""
    ctx.forget_config()
    org = ctx.config
    admin = org.schools[0].admins[0] if org.schools[0].admins else org.schools[0].headteacher
    with ctx.store.transaction() as session:
        config_store.set_source(session, "web", by=admin, now=now)
        apply_settings(
            session,
            org,
            by=admin,
            now=now,
            today=today,
            note="the demo school's settings",
            export_to=ctx.settings.config_path,
        )
    ctx.forget_config()


def build_demo(
    base: Path | None = None,
    *,
    today: date | None = None,
    fresh: bool = False,
    base_url: str | None = None,
) -> DemoPlan:
    """Create the demo school if needed, then run one cycle as of the last school day.

    ``base_url`` is the address the web UI will be served at: every link in the demo's emails
    points there (``demo --port`` changes it).
    """
    settings = demo_settings(base, base_url)
    home = settings.home
    if fresh and home.exists():
        shutil.rmtree(home)
    real_today = today or datetime.now(LONDON).date()
    created = not (home / "school.yaml").exists()
    rng = random.Random(2026)
    for _ in range(2):  # the draws the people's names once took: the history keeps its own
        rng.sample(range(50), 50)
    if created:
        home.mkdir(parents=True, exist_ok=True)
        final, as_of = demo_setup(settings, real_today)
        (home / "README.txt").write_text(
            "Demo data for compliance-bot: a fictional school. Safe to delete; "
            "`compliance-bot demo` recreates it.\n",
            encoding="utf-8",
        )
    else:
        as_of = last_school_day(load_config(settings.config_path).schools[0], real_today)
    ctx = AppContext(settings)
    now = _school_day_at(as_of)
    if created:
        _seed_history(ctx, final, as_of, rng)
        _keep_settings_on_the_web_pages(ctx, as_of, now)
    results, stats = run_sweep(
        ctx.store, settings, ctx.config, ctx.connectors, as_of=as_of, now=now
    )
    with ctx.store.session() as session:
        waiting = pending_summary(session, now)
    return DemoPlan(
        created=created,
        as_of=as_of,
        today=real_today,
        results=results,
        sent=stats.sent if stats else 0,
        settings=settings,
        now=now,
        waiting=waiting,
    )
