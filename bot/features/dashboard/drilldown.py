"""The dashboard's drill-down pages: people, one person, one policy and one official account.

Who may open them is the dashboard's rule (see ``viewer``); a person, policy or account in a
school the viewer cannot open is "not found". Long lists are shown 50 a page; the people list
reads the snapshot's person rows (``bot.engine.snapshot``) through an index in the order shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.days.clock import LONDON, local_today
from bot.core.language.i18n import N_
from bot.core.language.words import name_words
from bot.core.models import (
    AccountHolder,
    Attestation,
    Duty,
    OfficialAccount,
    Person,
    PersonTally,
    Policy,
    PolicyVersion,
    Requirement,
    TrainingRecord,
    utcnow,
)
from bot.engine import snapshot
from bot.engine.web.deps import ctx
from bot.features.accounts.api import holder_states
from bot.features.dashboard.charts import PAGE_SIZE, Pager, page_number, percent
from bot.features.dashboard.chrome import (
    CLOSED,
    EVIDENCE_KINDS,
    KIND_LABELS,
    OPEN,
    SOURCES,
    find_viewer,
    guarded,
    school_page,
)
from bot.features.dashboard.figures import current_cycles, current_versions, policy_figure
from bot.features.dashboard.rules import ACK_TARGET, METHODS
from bot.features.dashboard.viewer import Viewer

__all__ = ["account_detail", "people", "person_detail", "policy_detail", "router"]

router = APIRouter()
Found = TypeVar("Found", Person, OfficialAccount)


def _in_reach(
    request: Request, session: Session, model: type[Found], ident: int, what: str
) -> tuple[Viewer, Found]:
    """The viewer and the ``model`` row ``ident``, if it belongs to a school whose dashboard
    they may open (else 404, saying ``what``: "There is no such person.")."""
    viewer = find_viewer(request, session, None)  # sign-in and role checks come first
    found = session.get(model, ident)
    if found is None or not any(s.id == found.school_id for s in viewer.schools):
        raise HTTPException(404, what)
    return find_viewer(request, session, found.school_id), found


@router.get("/dashboard/people", include_in_schema=False)
def people(
    request: Request,
    school: str | None = None,
    q: str | None = None,
    show: str | None = None,
    page: str | None = None,
) -> Response:
    """Everyone in the school with their open and overdue duties (50 a page)."""

    def build() -> Response:
        today = local_today(utcnow())
        search = (q or "").strip()[:100]
        only_overdue = show == "overdue"
        with ctx(request).store.session() as session:
            viewer = find_viewer(request, session, school)
            sid = viewer.school.id
            if snapshot.roll_forward(session, sid, today)[1]:
                session.commit()  # counted once (a first view, or the first of a new day)
            conditions = [PersonTally.school_id == sid]
            # every word of the search in the name (titles such as "Fr." or "Mrs" aside),
            # or the whole search in the email
            words = name_words(search, accents=True) if "@" not in search else []
            if search:
                like = f"%{search.lower()}%"
                named = [func.lower(Person.display_name).like(f"%{w}%") for w in words] or [
                    func.lower(Person.display_name).like(like)
                ]
                conditions.append(or_(and_(*named), Person.email.like(like)))
            if only_overdue:
                conditions.append(PersonTally.overdue > 0)
            base = (
                select(
                    Person.id,
                    Person.display_name,
                    Person.job_title,
                    Person.email,
                    PersonTally.open,
                    PersonTally.overdue,
                )
                .join(Person, Person.id == PersonTally.person_id)
                .where(*conditions)
            )
            counted = select(func.count()).select_from(PersonTally).where(*conditions)
            if search:
                counted = counted.join(Person, Person.id == PersonTally.person_id)
            total = session.scalar(counted) or 0
            pager = Pager(page_number(page), total, PAGE_SIZE)
            first = (PersonTally.overdue.desc(),) if only_overdue else ()
            rows = session.execute(
                base.order_by(*first, PersonTally.name, PersonTally.person_id)
                .offset(pager.offset)
                .limit(pager.size)
            ).all()
        return school_page(
            request,
            "dashboard_people.html",
            viewer,
            {
                "user": viewer.person,
                "rows": rows,
                "pager": pager,
                "q": search,
                "show": "overdue" if only_overdue else "all",
            },
        )

    return guarded(request, build)


@router.get("/dashboard/people/{person_id}", include_in_schema=False)
def person_detail(request: Request, person_id: int) -> Response:
    """One person's duties and evidence (the view is recorded in the audit log)."""

    def build() -> Response:
        today = local_today(utcnow())
        with ctx(request).store.transaction() as session:
            viewer, person = _in_reach(
                request, session, Person, person_id, N_("There is no such person.")
            )
            duties = session.execute(
                select(Duty, func.coalesce(Policy.title, Requirement.title), OfficialAccount.name)
                .join(Requirement, Requirement.id == Duty.requirement_id)
                .outerjoin(Policy, Policy.id == Requirement.policy_id)
                .outerjoin(OfficialAccount, OfficialAccount.id == Duty.account_id)
                .where(Duty.person_id == person.id)
                .order_by(
                    case((Duty.status == "open", 0), else_=1), Duty.due_on.desc(), Duty.id.desc()
                )
            ).all()
            evidence = session.execute(
                select(Attestation, PolicyVersion.label, Policy.title)
                .join(PolicyVersion, PolicyVersion.id == Attestation.policy_version_id)
                .join(Policy, Policy.id == PolicyVersion.policy_id)
                .where(Attestation.person_id == person.id)
                .order_by(Attestation.at.desc())
            ).all()
            training = session.scalars(
                select(TrainingRecord)
                .where(TrainingRecord.person_id == person.id)
                .order_by(TrainingRecord.completed_on.desc())
            ).all()
            accounts = session.execute(
                select(OfficialAccount.id, OfficialAccount.name, AccountHolder.since)
                .join(AccountHolder, AccountHolder.account_id == OfficialAccount.id)
                .where(AccountHolder.person_id == person.id, AccountHolder.until.is_(None))
                .order_by(OfficialAccount.name)
            ).all()
            audit.record(
                session,
                actor=viewer.email,
                action="dashboard.person_viewed",
                object_type="person",
                object_id=person.id,
                school_id=person.school_id,
            )
            view = {
                "person": person,
                "duties": [
                    {
                        "title": f"{title} — {account}" if account else title,
                        "kind": KIND_LABELS.get(d.kind, d.kind),
                        "due_on": d.due_on,
                        "status": d.status,
                        "late": d.status == "open" and d.due_on < today,
                        "closed_on": d.closed_on,
                        "state": CLOSED.get(
                            d.closed_reason or d.status,
                            (d.closed_reason or d.status).replace("_", " ").capitalize(),
                        ),
                        "reminders": d.reminders_sent,
                    }
                    for d, title, account in duties
                ],
                "evidence": [
                    {
                        "kind": EVIDENCE_KINDS.get(a.kind, EVIDENCE_KINDS["acknowledgement"]),
                        "policy": title,
                        "version": label,
                        "sha256": a.document_sha256,
                        "at": a.at.astimezone(LONDON),
                        "method": METHODS.get(a.method, a.method),
                        "typed_name": a.typed_name,
                    }
                    for a, label, title in evidence
                ],
                "training": training,
                "accounts": accounts,
                "manager": person.manager.display_name if person.manager else None,
                "groups": sorted(g.name for g in person.groups),
                "roles": sorted(person.role_names),
                "sources": SOURCES,
                "open_word": OPEN,
            }
        return school_page(request, "dashboard_person.html", viewer, view)

    return guarded(request, build)


# --------------------------------------------------------------------------- policies


@router.get("/dashboard/policies/{key}", include_in_schema=False)
def policy_detail(
    request: Request,
    key: str,
    school: str | None = None,
    show: str | None = None,
    page: str | None = None,
) -> Response:
    """Who has and has not acknowledged a policy's current version (50 a page)."""

    def build() -> Response:
        today = local_today(utcnow())
        listing = show if show in ("outstanding", "acknowledged") else "outstanding"
        with ctx(request).store.session() as session:
            viewer = find_viewer(request, session, school)
            sid = viewer.school.id
            policy = session.scalar(
                select(Policy).where(Policy.school_id == sid, Policy.key == key)
            )
            if policy is None:
                raise HTTPException(404, N_("There is no such policy."))
            versions = current_versions(session, sid)
            vid = versions.get(policy.id, (None, None))[0]
            version = session.get(PolicyVersion, vid) if vid else None
            cycles = current_cycles(session, sid, {policy.id: vid} if vid else {}, today)
            wanted = [
                and_(Duty.requirement_id == rid, Duty.cycle == cycle)
                for rid, (_, cycle) in cycles.items()
            ]
            filters = [
                Duty.school_id == sid,
                Duty.kind == "acknowledge_policy",
                Person.active.is_(True),
                or_(*wanted) if wanted else Duty.id < 0,
            ]
            counts, late = {}, {}  # by status: how many, and how many past due
            for duty_status, n, past_due in session.execute(
                select(Duty.status, func.count(), func.sum(case((Duty.due_on < today, 1), else_=0)))
                .join(Person, Person.id == Duty.person_id)
                .where(*filters, Duty.status.in_(["open", "done"]))
                .group_by(Duty.status)
            ):
                counts[duty_status], late[duty_status] = n, int(past_due or 0)
            overdue = late.get("open", 0)
            status = "open" if listing == "outstanding" else "done"
            total = int(counts.get(status, 0))
            pager = Pager(page_number(page), total, PAGE_SIZE)
            order = (Duty.due_on,) if status == "open" else ()
            rows = session.execute(
                select(
                    Person.id,
                    Person.display_name,
                    Person.job_title,
                    Duty.due_on,
                    Duty.reminders_sent,
                    Duty.closed_on,
                )
                .join(Person, Person.id == Duty.person_id)
                .where(*filters, Duty.status == status)
                .order_by(*order, Person.display_name)
                .offset(pager.offset)
                .limit(pager.size)
            ).all()
            when: dict[int, datetime] = {}
            if status == "done" and rows and vid:
                for pid, at in session.execute(
                    select(Attestation.person_id, func.max(Attestation.at))
                    .where(
                        Attestation.policy_version_id == vid,
                        Attestation.kind == "acknowledgement",
                        Attestation.person_id.in_([r[0] for r in rows]),
                    )
                    .group_by(Attestation.person_id)
                ):
                    when[pid] = at
            done = int(counts.get("done", 0))
            figure = policy_figure(
                policy,
                version.label if version else None,
                done,
                done + int(counts.get("open", 0)),
                overdue,
                today,
            )
            people_rows = [
                {
                    "id": pid,
                    "name": name,
                    "job_title": title,
                    "due_on": due,
                    "late": status == "open" and due < today,
                    "reminders": reminders,
                    "when": when[pid].astimezone(LONDON) if pid in when else None,
                    "closed_on": closed,
                }
                for pid, name, title, due, reminders, closed in rows
            ]
        return school_page(
            request,
            "dashboard_policy.html",
            viewer,
            {
                "p": figure,
                "approving_body": policy.approving_body,
                "version": version,
                "rows": people_rows,
                "pager": pager,
                "show": listing,
                "percent": percent,
                "target_pct": percent(ACK_TARGET),
            },
        )

    return guarded(request, build)


# --------------------------------------------------------------------------- accounts


@router.get("/dashboard/accounts/{account_id}", include_in_schema=False)
def account_detail(request: Request, account_id: int) -> Response:
    """An official account's holders and whether each has signed the AUP."""

    def build() -> Response:
        with ctx(request).store.session() as session:
            viewer, account = _in_reach(
                request, session, OfficialAccount, account_id, N_("There is no such account.")
            )
            states = holder_states(session, account, local_today(utcnow()))
            custodian = account.custodian.display_name if account.custodian else None
        return school_page(
            request,
            "dashboard_account.html",
            viewer,
            {
                "account": account,
                "custodian": custodian,
                "holders": states,
                "unsigned": sum(1 for s in states if s.state != "signed"),
            },
        )

    return guarded(request, build)
