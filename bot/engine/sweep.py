"""One full cycle for each school: directory, configuration, duties, reminders, dispatch."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.clock import local_today, send_after
from bot.core.config import OrgConfig, RequirementConfig, SchoolConfig
from bot.core.context import StepContext
from bot.core.links import make_token
from bot.core.messages import human_date, render
from bot.core.models import (
    AccountHolder,
    Attestation,
    Duty,
    OfficialAccount,
    Person,
    PersonGroup,
    PersonRole,
    Policy,
    PolicyVersion,
    Requirement,
    SweepRun,
    TaskCompletion,
    TrainingRecord,
    utcnow,
)
from bot.core.outbox import DispatchStats, EmailDraft, dispatch, enqueue_emails
from bot.core.settings import Settings
from bot.core.store import Store
from bot.engine.duties import (
    DutyFacts,
    Evidence,
    Holding,
    PersonFacts,
    Plan,
    RequirementFacts,
    VersionFacts,
    next_reminder,
    plan_duties,
)
from bot.engine.steps import STEPS, Step
from bot.engine.sync import DirectoryReport, sync_config, sync_directory
from connectors.base import ConnectorError
from connectors.registry import Connectors

__all__ = ["ReminderPlanned", "SchoolSweep", "apply_plan", "load_facts", "run_sweep"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderPlanned:
    """One reminder email: to whom, which items, who is copied."""

    person_email: str
    person_name: str
    items: tuple[str, ...]
    labels: tuple[str, ...]
    cc: tuple[str, ...]
    key: str
    queued: bool


@dataclass
class SchoolSweep:
    """What one sweep did for one school."""

    school_id: str
    school_name: str
    as_of: date
    school_day: bool
    directory: DirectoryReport
    warnings: list[str] = field(default_factory=list)
    opened: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    reminders: list[ReminderPlanned] = field(default_factory=list)
    overdue: int = 0
    open_duties: int = 0
    handovers: list[str] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- facts


def load_facts(
    session: Session, school: SchoolConfig, today: date
) -> tuple[
    list[RequirementFacts],
    list[PersonFacts],
    dict[str, VersionFacts],
    list[Holding],
    Evidence,
    list[DutyFacts],
]:
    """Read everything the pure engine needs in a handful of column queries."""
    sid = school.id
    configs = {r.id: r for r in school.requirements}
    requirements = [
        RequirementFacts(id=rid, config=configs[key], first_seen=first_seen)
        for rid, key, first_seen in session.execute(
            select(Requirement.id, Requirement.key, Requirement.first_seen).where(
                Requirement.school_id == sid, Requirement.active.is_(True)
            )
        )
        if key in configs
    ]
    roles: dict[int, set[str]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(PersonRole.school_id == sid)
    ):
        roles[pid].add(role)
    groups: dict[int, set[str]] = defaultdict(set)
    for pid, name in session.execute(
        select(PersonGroup.person_id, PersonGroup.name).where(PersonGroup.school_id == sid)
    ):
        groups[pid].add(name)
    holding_rows = session.execute(
        select(AccountHolder.account_id, AccountHolder.person_id, AccountHolder.since, Policy.key)
        .join(OfficialAccount, OfficialAccount.id == AccountHolder.account_id)
        .outerjoin(Policy, Policy.id == OfficialAccount.aup_policy_id)
        .where(AccountHolder.school_id == sid, AccountHolder.until.is_(None))
    ).all()
    holders = {row[1] for row in holding_rows}
    people = [
        PersonFacts(
            id=pid,
            email=email,
            roles=frozenset(roles[pid] | ({"account_holder"} if pid in holders else set())),
            groups=frozenset(groups[pid]),
            active=active,
            start_date=start,
        )
        for pid, email, active, start in session.execute(
            select(Person.id, Person.email, Person.active, Person.start_date).where(
                Person.school_id == sid
            )
        )
    ]
    versions: dict[str, VersionFacts] = {}
    for vid, key, published in session.execute(
        select(PolicyVersion.id, Policy.key, PolicyVersion.published_on)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(PolicyVersion.school_id == sid)
        .order_by(PolicyVersion.id)
    ):
        versions[key] = VersionFacts(id=vid, policy_key=key, published_on=published)
    holdings = [Holding(a, p, since, key) for a, p, since, key in holding_rows]
    acknowledged: dict[tuple[int, int], date] = {}
    signed: dict[tuple[int, int], date] = {}
    for pid, vid, kind, at in session.execute(
        select(
            Attestation.person_id, Attestation.policy_version_id, Attestation.kind, Attestation.at
        ).where(Attestation.school_id == sid)
    ):
        target = signed if kind == "aup_signature" else acknowledged
        day = local_today(at)
        if (pid, vid) not in target or target[(pid, vid)] < day:
            target[(pid, vid)] = day
    trained: dict[tuple[int, str], date] = {}
    for pid, course, completed in session.execute(
        select(TrainingRecord.person_id, TrainingRecord.course, TrainingRecord.completed_on).where(
            TrainingRecord.school_id == sid
        )
    ):
        key2 = (pid, course.strip().lower())
        if key2 not in trained or trained[key2] < completed:
            trained[key2] = completed
    existing = [
        DutyFacts(id=i, requirement_id=r, person_id=p, cycle=c, status=s, account_id=a)
        for i, r, p, c, s, a in session.execute(
            select(
                Duty.id,
                Duty.requirement_id,
                Duty.person_id,
                Duty.cycle,
                Duty.status,
                Duty.account_id,
            ).where(Duty.school_id == sid)
        )
    ]
    done_tasks: dict[tuple[int, str], set[int]] = defaultdict(set)
    for rid, cycle, pid in session.execute(
        select(TaskCompletion.requirement_id, TaskCompletion.cycle, TaskCompletion.person_id)
        .where(TaskCompletion.school_id == sid)
    ):
        done_tasks[(rid, cycle)].add(pid)
    tasks = {key: frozenset(ids) for key, ids in done_tasks.items()}
    return (
        requirements,
        people,
        versions,
        holdings,
        Evidence(acknowledged, signed, trained, tasks),
        existing,
    )


def apply_plan(session: Session, school_id: str, plan: Plan, today: date) -> dict[str, int]:
    """Write the plan with bulk statements; returns closures counted by reason."""
    if plan.to_open:
        session.execute(
            insert(Duty),
            [
                {
                    "school_id": school_id,
                    "requirement_id": d.requirement_id,
                    "person_id": d.person_id,
                    "kind": d.kind,
                    "cycle": d.cycle,
                    "policy_version_id": d.policy_version_id,
                    "account_id": d.account_id,
                    "opened_on": d.opened_on,
                    "due_on": d.due_on,
                    "status": d.status,
                    "closed_on": today if d.status != "open" else None,
                    "closed_reason": d.status if d.status != "open" else None,
                    "evidence_ref": d.evidence_ref,
                    "reminders_sent": 0,
                    "last_stage": -1,
                }
                for d in plan.to_open
            ],
        )
    closed: dict[str, int] = defaultdict(int)
    by_reason: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for c in plan.to_close:
        by_reason[(c.status, c.evidence_ref)].append(c.duty_id)
        closed[c.status] += 1
    for (status, ref), ids in by_reason.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(Duty)
                .where(Duty.id.in_(ids[start : start + 500]), Duty.status == "open")
                .values(status=status, closed_on=today, closed_reason=status, evidence_ref=ref)
            )
    return dict(closed)


# --------------------------------------------------------------------------- reminders


_ITEM_TEXT: dict[str, tuple[str, str]] = {
    "acknowledge_policy": ("Read and acknowledge", "Please read this policy and confirm you have."),
    "sign_aup": (
        "Read and sign the AUP",
        "You run one of the school's official accounts, so you need to sign the social "
        "media Acceptable Use Policy.",
    ),
    "complete_training": (
        "See my training",
        "Please complete this training and send the certificate to the office "
        "(or upload it from your page).",
    ),
    "recurring_task": (
        "Mark as done",
        "This is one of the school's regular tasks. Please do it, then press the button to "
        "mark it done.",
    ),
}


def _item_why(cfg: RequirementConfig, cycle: str, account_name: str | None) -> str:
    base = _ITEM_TEXT[cfg.kind][1]
    if cfg.kind == "sign_aup" and account_name:
        return (
            f"You hold the school's {account_name} account, so you need to sign the social "
            "media Acceptable Use Policy."
        )
    if cfg.kind == "complete_training" and cycle.startswith("renew:"):
        return "Your certificate expires on the due date below; please renew it."
    return base


@dataclass(frozen=True)
class _OpenDuty:
    """The columns of an open duty that reminders need (no ORM objects: 100k rows stay fast)."""

    id: int
    person_id: int
    requirement_id: int
    cycle: str
    opened_on: date
    due_on: date
    last_stage: int
    reminders_sent: int
    version_id: int | None
    account_id: int | None


def plan_reminders(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    school: SchoolConfig,
    today: date,
    now: datetime,
    *,
    write: bool,
) -> list[ReminderPlanned]:
    """One digest email per person with anything due today; escalation copies included."""
    configs = {r.id: r for r in school.requirements}
    req_config: dict[int, RequirementConfig] = {
        rid: configs[key]
        for rid, key in session.execute(
            select(Requirement.id, Requirement.key).where(Requirement.school_id == school.id)
        )
        if key in configs
    }
    people = {
        row[0]: row
        for row in session.execute(
            select(Person.id, Person.email, Person.display_name, Person.given_name,
                   Person.manager_id)
            .where(Person.school_id == school.id, Person.active.is_(True))
        )
    }
    by_person: dict[int, list[_OpenDuty]] = defaultdict(list)
    for row in session.execute(
        select(Duty.id, Duty.person_id, Duty.requirement_id, Duty.cycle, Duty.opened_on,
               Duty.due_on, Duty.last_stage, Duty.reminders_sent, Duty.policy_version_id,
               Duty.account_id)
        .where(Duty.school_id == school.id, Duty.status == "open")
        .order_by(Duty.person_id, Duty.due_on, Duty.id)
    ):
        duty = _OpenDuty(
            id=row[0], person_id=row[1], requirement_id=row[2], cycle=row[3], opened_on=row[4],
            due_on=row[5], last_stage=row[6], reminders_sent=row[7], version_id=row[8],
            account_id=row[9],
        )
        if duty.person_id in people and duty.requirement_id in req_config:
            by_person[duty.person_id].append(duty)
    if not by_person:
        return []
    versions = dict(session.execute(
        select(PolicyVersion.id, PolicyVersion.label).where(PolicyVersion.school_id == school.id)
    ).all())
    titles = dict(session.execute(
        select(PolicyVersion.id, Policy.title).join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(PolicyVersion.school_id == school.id)
    ).all())
    accounts = dict(session.execute(
        select(OfficialAccount.id, OfficialAccount.name)
        .where(OfficialAccount.school_id == school.id)
    ).all())
    cadences = {name: school.cadence(name) for name in {c.cadence for c in configs.values()}}
    secret = settings.signing_key()
    planned: list[ReminderPlanned] = []
    drafts: list[tuple[str, EmailDraft]] = []
    stage_updates: dict[str, list[tuple[int, int, int]]] = {}
    for person_id, duties in by_person.items():
        due_now: list[tuple[_OpenDuty, int, str, tuple[str, ...]]] = []
        for duty in duties:
            cfg = req_config[duty.requirement_id]
            reminder = next_reminder(duty.opened_on, duty.due_on, duty.last_stage,
                                     duty.reminders_sent, cadences[cfg.cadence], today)
            if reminder is not None:
                due_now.append((duty, reminder.stage, reminder.label, reminder.copy))
        if not due_now:
            continue
        _, email, display_name, given_name, manager_id = people[person_id]
        cc: list[str] = []
        copied = {target for *_, copy in due_now for target in copy}
        if "line_manager" in copied and manager_id in people:
            cc.append(people[manager_id][1])
        if "headteacher" in copied:
            cc.append(school.headteacher)
        cc = [c for i, c in enumerate(cc) if c != email and c not in cc[:i]]
        items = []
        for duty in duties:
            cfg = req_config[duty.requirement_id]
            purpose = {"acknowledge_policy": "ack", "sign_aup": "aup",
                       "recurring_task": "task"}.get(cfg.kind)
            url = (
                f"{settings.base_url}/{purpose}/"
                f"{make_token(secret, purpose, person_id, duty.id, duty.version_id)}"
                if purpose else f"{settings.base_url}/me"
            )
            items.append({
                "title": titles.get(duty.version_id, cfg.display_title)
                if duty.version_id else cfg.display_title,
                "version": versions.get(duty.version_id) if duty.version_id else None,
                "why": _item_why(cfg, duty.cycle,
                                 accounts.get(duty.account_id) if duty.account_id else None),
                "due_text": human_date(duty.due_on),
                "overdue": duty.due_on < today,
                "url": url,
                "button": _ITEM_TEXT[cfg.kind][0],
            })
        escalated = [name for flag, name in (("line_manager", "your line manager"),
                                             ("headteacher", "the headteacher"))
                     if flag in copied]
        first = items[0]
        any_overdue = any(i["overdue"] for i in items)
        subject = (
            f"{'Overdue' if first['overdue'] else 'Action needed'}: {first['title']}"
            if len(items) == 1
            else f"{'Overdue items' if any_overdue else 'Action needed'}: "
            f"{len(items)} things to do for {school.name}"
        )
        text, html = render("reminder", {
            "school_name": school.name,
            "subject": subject,
            "person_name": given_name or display_name,
            "intro": (
                "There is one thing the school needs you to do:" if len(items) == 1
                else f"There are {len(items)} things the school needs you to do:"
            ),
            "items": items,
            "escalated_to": " and ".join(escalated),
            "escalated_to_count": len(escalated),
            "link_days": settings.link_max_age_days,
        })
        key = f"reminder:{school.id}:{person_id}:{today.isoformat()}"
        drafts.append((key, EmailDraft(to=(email,), cc=tuple(cc), subject=subject, text=text,
                                       html=html,
                                       from_name=school.mail_from_name or school.name)))
        stage_updates[key] = [
            (duty.id, stage, duty.reminders_sent + 1) for duty, stage, _label, _copy in due_now
        ]
        planned.append(ReminderPlanned(
            person_email=email, person_name=display_name,
            items=tuple(str(i["title"]) for i in items),
            labels=tuple(label for _, _, label, _ in due_now), cc=tuple(cc), key=key,
            queued=False,
        ))
    if not write:
        return planned
    added = enqueue_emails(session, school_id=school.id, purpose="reminder", items=drafts,
                           not_before=send_after(school, today, now))
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for key in added:
        for duty_id, stage, sent in stage_updates[key]:
            grouped[(stage, sent)].append(duty_id)
    for (stage, sent), ids in grouped.items():  # few distinct values: a handful of statements
        for start in range(0, len(ids), 500):
            session.execute(
                update(Duty).where(Duty.id.in_(ids[start:start + 500]))
                .values(last_stage=stage, reminders_sent=sent, last_reminded_on=today)
            )
    return [replace(p, queued=p.key in added) for p in planned]


# --------------------------------------------------------------------------- the cycle


def _flag_handovers(session: Session, school_id: str, today: date) -> list[str]:
    """Holders who have left: end their holding and flag the account for its custodian."""
    flagged: list[str] = []
    rows = session.execute(
        select(AccountHolder, Person, OfficialAccount)
        .join(Person, Person.id == AccountHolder.person_id)
        .join(OfficialAccount, OfficialAccount.id == AccountHolder.account_id)
        .where(
            AccountHolder.school_id == school_id,
            AccountHolder.until.is_(None),
            Person.active.is_(False),
        )
    ).all()
    for holding, person, account in rows:
        holding.until = person.left_on or today
        account.handover_needed = True
        account.handover_reason = f"{person.display_name} has left; change the login and hand over"
        flagged.append(account.name)
        audit.record(
            session,
            actor="system:sweep",
            action="account.handover.flagged",
            object_type="official_account",
            object_id=account.id,
            school_id=school_id,
            details={"person_id": person.id, "reason": "holder left"},
        )
    return flagged


def sweep_school(
    session: Session,
    settings: Settings,
    config: OrgConfig,
    school: SchoolConfig,
    connectors: Connectors,
    today: date,
    now: datetime,
    *,
    write: bool = True,
    extra_steps: Sequence[Step] = (),
) -> SchoolSweep:
    """Run every step for one school inside the caller's transaction."""
    try:
        with session.begin_nested():
            report = sync_directory(
                session,
                school,
                connectors.directory,
                today,
                default_school=school is config.schools[0],
            )
    except ConnectorError as exc:
        # An unreadable directory (an outage, a renamed role group, a bad file) must not stop
        # report clocks and reminders: carry on with the people already known, and say so.
        log.error("school %s: directory not read, carrying on with known people: %s",
                  school.id, exc)
        report = DirectoryReport(complete=False, error=str(exc))
    result = SchoolSweep(
        school_id=school.id,
        school_name=school.name,
        as_of=today,
        school_day=school.is_school_day(today) or not school.sending_window.school_days_only,
        directory=report,
    )
    result.warnings = sync_config(session, config, school, today)
    result.handovers = _flag_handovers(session, school.id, today)
    requirements, people, versions, holdings, evidence, existing = load_facts(
        session, school, today
    )
    plan = plan_duties(
        requirements,
        people,
        versions,
        holdings,
        evidence,
        existing,
        {n: school.cadence(n) for n in school.cadences},
        today,
        school=school,
    )
    result.opened = sum(1 for d in plan.to_open if d.status == "open")
    result.closed = apply_plan(session, school.id, plan, today)
    if result.school_day:
        result.reminders = plan_reminders(
            session, settings, config, school, today, now, write=write
        )
    run = StepContext(session, settings, config, school, connectors, today, now, write)
    for step in extra_steps:
        for k, v in step(run).items():
            result.extra[k] = result.extra.get(k, 0) + v
    open_rows = (
        session.execute(
            select(Duty.due_on).where(Duty.school_id == school.id, Duty.status == "open")
        )
        .scalars()
        .all()
    )
    result.open_duties = len(open_rows)
    result.overdue = sum(1 for d in open_rows if d < today)
    return result


def run_sweep(
    store: Store,
    settings: Settings,
    config: OrgConfig,
    connectors: Connectors,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    write: bool = True,
    deliver: bool = True,
    on_sent: Callable[[str], None] | None = None,
) -> tuple[list[SchoolSweep], DispatchStats | None]:
    """Sweep every school (each in its own transaction), then dispatch the outbox once."""
    moment = now or utcnow()
    today = as_of or local_today(moment)
    results: list[SchoolSweep] = []
    for school in config.schools:
        session = store.session()
        try:
            session.begin()
            run = SweepRun(school_id=school.id, as_of=today, started_at=moment) if write else None
            result = sweep_school(
                session,
                settings,
                config,
                school,
                connectors,
                today,
                moment,
                write=write,
                extra_steps=STEPS,
            )
            if write and run is not None:
                run.finished_at = utcnow()
                run.stats = {
                    "opened": result.opened,
                    "closed": result.closed,
                    "reminders": sum(1 for r in result.reminders if r.queued),
                    "overdue": result.overdue,
                    **result.extra,
                }
                session.add(run)
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        results.append(result)
    stats = None
    if write and deliver:
        stats = dispatch(
            store,
            connectors.mailer,
            connectors.notifier,
            now=lambda: max(utcnow(), moment),
            on_sent=on_sent,
        )
    return results, stats
