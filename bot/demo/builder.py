"""The demo: a fictional school with a believable autumn behind it, built in ./.compliance-bot-demo.

Everything here is invented: Oakfield Primary School, its people (names drawn from common
first names and surnames) and its policies (written for this project). History is simulated by
running the real sweep on earlier school days without delivering, so what the demo then sends
"today" is exactly what the bot would send.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select, update

from bot.core.clock import LONDON, last_school_day, to_local
from bot.core.config import load_config
from bot.core.context import AppContext
from bot.core.models import (
    Attestation,
    Duty,
    OutboxMessage,
    Person,
    PolicyVersion,
    Report,
    TrainingRecord,
)
from bot.core.settings import DEMO_HOME, Settings, SettingsError, describe_invalid
from bot.core.setup_state import set_source
from bot.core.waiting import Waiting, pending_summary
from bot.core.words import human_date
from bot.demo.documents import DEMO_DOCUMENTS
from bot.demo.school import (
    DOMAIN,
    DemoPerson,
    demo_people,
    school_config,
    write_config,
    write_directory,
)
from bot.engine.settings_change import apply_settings
from bot.engine.sweep import SchoolSweep, run_sweep
from bot.features.reports.actions import change_status
from bot.features.reports.intake import submit_report
from bot.features.reports.rules import Submission

__all__ = ["DemoPlan", "build_demo", "demo_settings"]

POLICY_SOURCE = Path(__file__).parent / "data" / "policies"


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


def _seed_history(
    ctx: AppContext, people: list[DemoPerson], as_of: date, rng: random.Random
) -> None:
    """Simulate nine weeks of the bot at work: sweeps on past school days and people responding."""
    home = ctx.settings.home
    school = ctx.config.schools[0]
    checkpoints = sorted(
        {last_school_day(school, as_of - timedelta(days=d)) for d in (63, 49, 35, 21, 14, 7, 2)}
    )
    store = ctx.store
    online = home / "policies" / "online-safety.md"
    final_text = online.read_text(encoding="utf-8")
    first = True
    leaver_left = False
    for index, day in enumerate(checkpoints):
        if day >= as_of:
            continue
        if not leaver_left and index >= 3:  # a teacher who ran the Facebook page leaves
            write_directory(home / "directory.csv", people)
            leaver_left = True
        if first:  # the autumn began with last year's online safety policy, version 2026.1
            online.write_text(
                final_text.replace("2026.2", "2026.1").replace(
                    "Report filtering or monitoring problems", "Report filtering problems"
                ),
                encoding="utf-8",
            )
            write_config(home / "school.yaml", school_config(people, as_of, "2026.1"))
            ctx.__dict__.pop("config", None)
        elif day >= as_of - timedelta(days=21) and "2026.2" not in online.read_text("utf-8"):
            online.write_text(final_text, encoding="utf-8")  # version 2026.2 is published
            write_config(home / "school.yaml", school_config(people, as_of, "2026.2"))
            ctx.__dict__.pop("config", None)
        run_sweep(
            store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=day,
            now=_school_day_at(day),
            deliver=False,
        )
        if first:
            _seed_training(ctx, people, as_of, rng)
            first = False
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


DEMO_REPORTS = (
    # (days ago, category, involved, what happened, status after triage)
    (19, "mobile_device", (("pupil", "Year 6 pupil"),),
     "A pupil was seen filming in the changing room corridor at lunchtime. (Fictional demo "
     "text.)", "investigating"),
    (8, "cyberbullying", (("pupil", "Two Year 5 pupils"),),
     "Unkind messages about a classmate in a group chat, shown to a teaching assistant by a "
     "parent. (Fictional demo text.)", "triaged"),
    (2, "data_breach", (("staff", "Office"),),
     "A class list with contact details was emailed to the wrong parent. (Fictional demo "
     "text.)", None),
    (1, "social_media", (("parent", "A parent"),),
     "A photo from the nativity rehearsal was posted publicly with children's faces. "
     "(Fictional demo text.)", None),
)


def _seed_reports(ctx: AppContext, as_of: date) -> None:
    """A few fictional reports at different stages, so the tracked list has something in it."""
    school = ctx.config.schools[0]
    for days, category, involved, text, status in DEMO_REPORTS:
        when = _school_day_at(as_of - timedelta(days=days))
        with ctx.store.transaction() as session:
            intake = submit_report(
                session, school,
                Submission(category=category, involved=involved, what_happened=text,
                           occurred=human_date(to_local(when).date()), location="School",
                           actions_taken=None,
                           anonymous=True),
                now=when, base_url=ctx.settings.base_url, actor="demo",
            )
            if status is not None:
                report = session.get(Report, intake.report_id)
                assert report is not None
                change_status(session, report, actor=school.dsl[0], status=status,
                              reason="Demo: triaged by the DSL", now=when + timedelta(hours=3))


def _seed_training(
    ctx: AppContext, people: list[DemoPerson], as_of: date, rng: random.Random
) -> None:
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
            session.add(
                TrainingRecord(
                    school_id="oakfield",
                    person_id=person.id,
                    course="Safeguarding and child protection",
                    completed_on=done,
                    provider="Local authority course",
                    source="demo",
                    import_key=f"demo:sg:{person.id}",
                )
            )
            if "staff" in roles and rng.random() < 0.6:
                session.add(
                    TrainingRecord(
                        school_id="oakfield",
                        person_id=person.id,
                        course="Online safety",
                        completed_on=done,
                        provider="Online course",
                        source="demo",
                        import_key=f"demo:os:{person.id}",
                    )
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
        set_source(session, "web", by=admin, now=now)
        apply_settings(session, org, by=admin, now=now, today=today,
                       note="the demo school's settings", export_to=ctx.settings.config_path)
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
    if created:
        home.mkdir(parents=True, exist_ok=True)
        (home / "policies").mkdir(exist_ok=True)
        for doc in POLICY_SOURCE.glob("*.md"):
            shutil.copy(doc, home / "policies" / doc.name)
        for name, make in DEMO_DOCUMENTS.items():  # a Word and a PDF policy, as schools have
            (home / "policies" / name).write_bytes(make())
        people = demo_people(rng, real_today)
        # everyone starts the autumn in post; the leaver leaves part-way (see _seed_history)
        write_directory(home / "directory.csv", [replace(p, active=True) for p in people])
        write_config(home / "school.yaml", school_config(people, real_today, "2026.2"))
        (home / "README.txt").write_text(
            "Demo data for compliance-bot: a fictional school. Safe to delete; "
            "`compliance-bot demo` recreates it.\n",
            encoding="utf-8",
        )
    ctx = AppContext(settings)
    school = load_config(settings.config_path).schools[0]
    as_of = last_school_day(school, real_today)
    now = _school_day_at(as_of)
    if created:
        _seed_history(ctx, people, as_of, rng)
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
