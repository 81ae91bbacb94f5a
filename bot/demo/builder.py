"""The demo: a fictional school with a believable autumn behind it, built in ./.compliance-bot-demo.

Everything here is invented: Oakfield Primary School, its people (names drawn from common
first names and surnames) and its policies (written for this project). History is simulated by
running the real sweep on earlier school days without delivering, so what the demo then sends
"today" is exactly what the bot would send.
"""

from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update

from bot.core.clock import LONDON, last_school_day
from bot.core.config import load_config
from bot.core.context import AppContext
from bot.core.models import Attestation, Duty, OutboxMessage, Person, PolicyVersion, TrainingRecord
from bot.core.settings import DEMO_HOME, Settings
from bot.engine.sweep import SchoolSweep, run_sweep

__all__ = ["DemoPlan", "build_demo", "demo_settings", "term_dates"]

POLICY_SOURCE = Path(__file__).parent / "data" / "policies"
DOMAIN = "oakfield.example"
FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Freya",
    "Arthur",
    "Ivy",
    "Leo",
    "Florence",
    "Oscar",
    "Willow",
    "Harry",
    "Rosie",
    "Jack",
    "Evie",
    "Alfie",
    "Poppy",
    "Theo",
    "Daisy",
    "Archie",
    "Sophia",
    "Henry",
    "Grace",
    "Thomas",
    "Lily",
    "Samuel",
    "Mia",
    "Joshua",
    "Ella",
    "Reuben",
    "Hannah",
    "Kit",
    "Maya",
    "Ezra",
    "Nina",
    "Felix",
    "Orla",
    "Rory",
    "Imogen",
    "Hugo",
    "Tabitha",
    "Ibrahim",
    "Zara",
    "Callum",
    "Priya",
    "Dominic",
    "Layla",
    "Jonah",
]
LAST = [
    "Ashdown",
    "Brackley",
    "Calloway",
    "Danvers",
    "Ellery",
    "Fenwick",
    "Garside",
    "Hartwell",
    "Ingram",
    "Jessop",
    "Kettering",
    "Lowther",
    "Marchbank",
    "Northcott",
    "Oakley",
    "Pemberton",
    "Quarrie",
    "Redfern",
    "Stainton",
    "Thackeray",
    "Underhill",
    "Varley",
    "Whitlock",
    "Yardley",
    "Ashcombe",
    "Birchall",
    "Coverdale",
    "Dunmore",
    "Eastwood",
    "Farrow",
    "Greenhalgh",
    "Holloway",
    "Islip",
    "Jarrold",
    "Kingsley",
    "Langridge",
    "Moorcroft",
    "Netherton",
    "Ormerod",
    "Pilkington",
    "Rushworth",
    "Selwood",
    "Tolley",
    "Upton",
    "Wetherby",
    "Ackland",
    "Brightwell",
    "Chadwick",
    "Deverell",
    "Eccleston",
]


def term_dates(today: date) -> list[dict[str, Any]]:
    """A typical English academic year (the one containing ``today``), with half terms."""
    y = today.year if today.month >= 8 else today.year - 1

    def first_weekday(d: date) -> date:
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return d

    return [
        {"name": "Autumn 1", "start": first_weekday(date(y, 9, 2)), "end": date(y, 10, 23)},
        {"name": "Autumn 2", "start": first_weekday(date(y, 11, 2)), "end": date(y, 12, 18)},
        {"name": "Spring 1", "start": first_weekday(date(y + 1, 1, 5)), "end": date(y + 1, 2, 12)},
        {"name": "Spring 2", "start": first_weekday(date(y + 1, 2, 22)), "end": date(y + 1, 3, 26)},
        {"name": "Summer 1", "start": first_weekday(date(y + 1, 4, 12)), "end": date(y + 1, 5, 28)},
        {"name": "Summer 2", "start": first_weekday(date(y + 1, 6, 7)), "end": date(y + 1, 7, 21)},
    ]


@dataclass(frozen=True)
class DemoPerson:
    """A row of the demo directory."""

    email: str
    name: str
    given: str
    family: str
    title: str
    roles: str
    groups: str
    manager: str
    start: date | None
    active: bool


def _people(rng: random.Random, as_of: date) -> list[DemoPerson]:
    names = [(f, s) for f, s in zip(rng.sample(FIRST, 50), rng.sample(LAST, 50), strict=True)]
    people: list[DemoPerson] = []

    def add(
        title: str,
        roles: str,
        groups: str,
        manager: str = "",
        start: date | None = None,
        active: bool = True,
    ) -> str:
        given, family = names[len(people)]
        email = f"{given.lower()}.{family.lower()}@{DOMAIN}"
        people.append(
            DemoPerson(
                email,
                f"{given} {family}",
                given,
                family,
                title,
                roles,
                groups,
                manager,
                start,
                active,
            )
        )
        return email

    head = add("Headteacher", "staff", "All Staff;Leadership")
    deputy1 = add("Deputy Headteacher", "staff", "All Staff;Leadership", head)
    deputy2 = add("SENCo and Assistant Head", "staff", "All Staff;Leadership", head)
    add("School Business Manager", "staff", "All Staff;Office", head)
    add("IT Lead", "staff", "All Staff", deputy1)
    for i in range(14):
        add(
            f"Class Teacher (Year {i % 7})" if i % 7 else "Class Teacher (Reception)",
            "staff",
            "All Staff;Teachers",
            deputy1,
        )
    for _ in range(14):
        add("Teaching Assistant", "staff", "All Staff;Support Staff", deputy2)
    add("Office Administrator", "staff", "All Staff;Office", head)
    add("Site Manager", "staff", "All Staff", head)
    add("Midday Supervisor", "staff", "All Staff;Support Staff", deputy2)
    add(
        "Class Teacher (Year 4)",
        "staff",
        "All Staff;Teachers",
        deputy1,
        start=as_of - timedelta(days=4),
    )
    add(
        "Teaching Assistant",
        "staff",
        "All Staff;Support Staff",
        deputy2,
        start=as_of + timedelta(days=3),
    )
    add("Class Teacher (Year 2)", "staff", "All Staff;Teachers", deputy1, active=False)
    add("Reading Volunteer", "volunteer", "Volunteers", deputy1)
    for title in (
        "Chair of Governors",
        "Vice Chair",
        "Safeguarding Governor",
        "Parent Governor",
        "Parent Governor",
        "Staff Governor",
        "Co-opted Governor",
        "Clerk to Governors",
    ):
        add(title, "clerk" if title.startswith("Clerk") else "governor", "Governors")
    return people


def _write_directory(path: Path, people: list[DemoPerson]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "email",
                "name",
                "given_name",
                "family_name",
                "job_title",
                "roles",
                "groups",
                "manager_email",
                "start_date",
                "active",
            ]
        )
        for p in people:
            writer.writerow(
                [
                    p.email,
                    p.name,
                    p.given,
                    p.family,
                    p.title,
                    p.roles,
                    p.groups,
                    p.manager,
                    p.start.isoformat() if p.start else "",
                    "yes" if p.active else "no",
                ]
            )


def _config(people: list[DemoPerson], today: date, online_safety_version: str) -> dict[str, Any]:
    by_title: dict[str, list[str]] = {}
    for p in people:
        by_title.setdefault(p.title, []).append(p.email)
    head = by_title["Headteacher"][0]
    deputies = [by_title["Deputy Headteacher"][0], by_title["SENCo and Assistant Head"][0]]
    teachers = by_title.get("Class Teacher (Year 1)", []) + by_title.get(
        "Class Teacher (Year 3)", []
    )
    leaver = next(p.email for p in people if not p.active)
    governors = [p.email for p in people if p.roles == "governor"]

    def policy(
        pid: str,
        title: str,
        version: str,
        published: date,
        next_review: date,
        body: str = "FGB",
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "id": pid,
            "title": title,
            "version": version,
            "document": f"policies/{pid}.md",
            "published": published,
            "approving_body": body,
            "review_cycle_months": 12,
            "owner": head,
            "next_review": next_review,
            "last_reviewed": published,
            **extra,
        }

    return {
        "organisation": {
            "name": "Oakfield Learning Trust (fictional)",
            "timezone": "Europe/London",
        },
        "schools": [
            {
                "id": "oakfield",
                "name": "Oakfield Primary School",
                "headteacher": head,
                "dsl": [head],
                "deputy_dsl": deputies,
                "dpo": by_title["School Business Manager"][0],
                "chair_of_governors": by_title["Chair of Governors"][0],
                "clerk": by_title["Clerk to Governors"][0],
                "admins": [by_title["School Business Manager"][0]],
                "role_groups": {"Governors": "governor"},
                "terms": term_dates(today),
                "inset_days": [term_dates(today)[2]["start"]],
                "sending_window": {"start": "08:00", "end": "17:00"},
                "cadences": {
                    "standard": {
                        "before_due": [14, 3],
                        "on_due": True,
                        "overdue_every_days": 7,
                        "max_reminders": 8,
                        "escalate": [
                            {"after_overdue": 3, "to": "line_manager"},
                            {"after_overdue": 5, "to": "headteacher"},
                        ],
                    },
                    "training": {
                        "before_due": [30, 7],
                        "on_due": True,
                        "overdue_every_days": 7,
                        "max_reminders": 6,
                        "escalate": [{"after_overdue": 2, "to": "line_manager"}],
                    },
                },
                "policies": [
                    policy(
                        "child-protection",
                        "Child Protection and Safeguarding Policy",
                        "2026.1",
                        today - timedelta(days=63),
                        today + timedelta(days=300),
                        reviewers=[governors[2]],
                    ),
                    policy(
                        "online-safety",
                        "Online Safety Policy",
                        online_safety_version,
                        today - timedelta(days=63 if online_safety_version == "2026.1" else 20),
                        today + timedelta(days=25),
                        reviewers=[governors[2]],
                        linked_policies=[
                            "Child Protection and Safeguarding Policy",
                            "Social Media Acceptable Use Policy",
                            "Remote Learning Policy",
                        ],
                    ),
                    policy(
                        "mobile-phones",
                        "Mobile Phones and Personal Devices Policy",
                        "2026.1",
                        today - timedelta(days=35),
                        today + timedelta(days=50),
                        body="Resources Committee",
                    ),
                    policy(
                        "social-media-aup",
                        "Social Media Acceptable Use Policy",
                        "2026.1",
                        today - timedelta(days=49),
                        today + timedelta(days=200),
                        aup=True,
                    ),
                    policy(
                        "staff-code-of-conduct",
                        "Staff Code of Conduct",
                        "2026.1",
                        today - timedelta(days=63),
                        today + timedelta(days=5),
                    ),
                    policy(
                        "data-protection",
                        "Data Protection Policy",
                        "2025.1",
                        today - timedelta(days=375),
                        today - timedelta(days=10),
                    ),
                ],
                "requirements": [
                    {
                        "id": "ack-child-protection",
                        "kind": "acknowledge_policy",
                        "policy": "child-protection",
                        "title": "Child Protection and Safeguarding Policy",
                        "audience": {"roles": ["staff", "volunteer"]},
                        "due_days": 14,
                        "yearly_on": "09-01",
                    },
                    {
                        "id": "ack-online-safety",
                        "kind": "acknowledge_policy",
                        "policy": "online-safety",
                        "audience": {"roles": ["staff", "volunteer"]},
                        "due_days": 14,
                    },
                    {
                        "id": "ack-mobile-phones",
                        "kind": "acknowledge_policy",
                        "policy": "mobile-phones",
                        "audience": {"roles": ["staff", "volunteer"]},
                        "due_days": 14,
                    },
                    {
                        "id": "ack-code-of-conduct",
                        "kind": "acknowledge_policy",
                        "policy": "staff-code-of-conduct",
                        "audience": {"roles": ["staff"]},
                        "due_days": 21,
                    },
                    {
                        "id": "sign-social-media-aup",
                        "kind": "sign_aup",
                        "policy": "social-media-aup",
                        "due_days": 10,
                    },
                    {
                        "id": "training-safeguarding",
                        "kind": "complete_training",
                        "course": "Safeguarding and child protection",
                        "valid_months": 12,
                        "audience": {"roles": ["staff", "volunteer"]},
                        "due_days": 28,
                        "cadence": "training",
                    },
                    {
                        "id": "training-online-safety",
                        "kind": "complete_training",
                        "course": "Online safety",
                        "valid_months": 12,
                        "audience": {"roles": ["staff"]},
                        "due_days": 28,
                        "cadence": "training",
                    },
                    {
                        "id": "task-phone-photos",
                        "kind": "recurring_task",
                        "title": "Upload and clear photos from the school phone",
                        "every": "weekly",
                        "owners": [by_title["Deputy Headteacher"][0]],
                    },
                    {
                        "id": "task-filtering-check",
                        "kind": "recurring_task",
                        "title": "Check filtering and monitoring",
                        "every": "termly",
                        "owners": [by_title["IT Lead"][0]],
                    },
                    {
                        "id": "task-phone-lock-code",
                        "kind": "recurring_task",
                        "title": "Change the school phone lock code",
                        "every": "yearly",
                        "owners": [head],
                    },
                    {
                        "id": "training-school-phone",
                        "kind": "complete_training",
                        "course": "School phone and social media",
                        "valid_months": 12,
                        "audience": {"roles": ["account_holder"]},
                        "due_days": 21,
                        "cadence": "training",
                    },
                ],
                "official_accounts": [
                    {
                        "id": "facebook",
                        "platform": "Facebook",
                        "name": "Oakfield Primary Facebook page",
                        "url": "https://www.facebook.com/oakfield.example",
                        "custodian": head,
                        "purpose": "News and celebrations for families",
                        "holders": [by_title["Office Administrator"][0], leaver],
                        "aup_policy": "social-media-aup",
                    },
                    {
                        "id": "tapestry",
                        "platform": "Tapestry",
                        "name": "Tapestry learning journal",
                        "custodian": head,
                        "purpose": "Early years observations shared with parents",
                        "holders": teachers[:1] + by_title["Class Teacher (Reception)"],
                        "aup_policy": "social-media-aup",
                    },
                    {
                        "id": "school-phone",
                        "platform": "Mobile phone",
                        "name": "School mobile phone",
                        "custodian": head,
                        "purpose": "Trip contact and photos for the website",
                        "holders": [by_title["Deputy Headteacher"][0], by_title["IT Lead"][0]],
                        "aup_policy": "social-media-aup",
                    },
                ],
            }
        ],
    }


def _dump(path: Path, data: dict[str, Any]) -> None:
    header = (
        "# compliance-bot demo school (fictional). Edit me and run `compliance-bot sweep`.\n"
        "# Reference: see README.md > Configuration.\n"
    )
    path.write_text(
        header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def demo_settings(base: Path | None = None) -> Settings:
    """Settings pointing at the demo folder."""
    home = (base or Path.cwd()) / DEMO_HOME
    return Settings(home=home, demo=True, mail_from=f"compliance-bot@{DOMAIN}")


@dataclass
class DemoPlan:
    """What ``build_demo`` did."""

    created: bool
    as_of: date
    today: date
    results: list[SchoolSweep]
    sent: int
    settings: Settings


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
            _write_directory(home / "directory.csv", people)
            leaver_left = True
        if first:  # the autumn began with last year's online safety policy, version 2026.1
            online.write_text(
                final_text.replace("2026.2", "2026.1").replace(
                    "Report filtering or monitoring problems", "Report filtering problems"
                ),
                encoding="utf-8",
            )
            _dump(home / "school.yaml", _config(people, as_of, "2026.1"))
            ctx.__dict__.pop("config", None)
        elif day >= as_of - timedelta(days=21) and "2026.2" not in online.read_text("utf-8"):
            online.write_text(final_text, encoding="utf-8")  # version 2026.2 is published
            _dump(home / "school.yaml", _config(people, as_of, "2026.2"))
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
    from bot.core.models import Report
    from bot.features.reports.actions import change_status
    from bot.features.reports.intake import submit_report
    from bot.features.reports.rules import Submission

    school = ctx.config.schools[0]
    for days, category, involved, text, status in DEMO_REPORTS:
        when = _school_day_at(as_of - timedelta(days=days))
        with ctx.store.transaction() as session:
            intake = submit_report(
                session, school,
                Submission(category=category, involved=involved, what_happened=text,
                           occurred="demo", location="School", actions_taken=None,
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


def build_demo(
    base: Path | None = None, *, today: date | None = None, fresh: bool = False
) -> DemoPlan:
    """Create the demo school if needed, then run one cycle as of the last school day."""
    settings = demo_settings(base)
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
        people = _people(rng, real_today)
        # everyone starts the autumn in post; the leaver leaves part-way (see _seed_history)
        _write_directory(home / "directory.csv", [replace(p, active=True) for p in people])
        _dump(home / "school.yaml", _config(people, real_today, "2026.2"))
        (home / "README.txt").write_text(
            "Demo data for compliance-bot: a fictional school. Safe to delete; "
            "`compliance-bot demo` recreates it.\n",
            encoding="utf-8",
        )
    ctx = AppContext(settings)
    school = load_config(settings.config_path).schools[0]
    as_of = last_school_day(school, real_today)
    if created:
        _seed_history(ctx, people, as_of, rng)
        ctx.__dict__.pop("config", None)
    results, stats = run_sweep(
        ctx.store, settings, ctx.config, ctx.connectors, as_of=as_of, now=_school_day_at(as_of)
    )
    return DemoPlan(
        created=created,
        as_of=as_of,
        today=real_today,
        results=results,
        sent=stats.sent if stats else 0,
        settings=settings,
    )
