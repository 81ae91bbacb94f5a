"""Bring the store in line with its two sources: the directory (people) and the YAML (the rest)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import AccountConfig, OrgConfig, PolicyConfig, SchoolConfig
from bot.core.models import (
    AccountHolder,
    ConnectorState,
    OfficialAccount,
    Person,
    PersonGroup,
    PersonRole,
    Policy,
    PolicyVersion,
    Requirement,
    School,
    utcnow,
)
from bot.engine.duties import add_months
from connectors.base import Directory, DirectoryChanges, DirectoryPerson

__all__ = ["DirectoryReport", "SyncError", "default_statement", "sync_config", "sync_directory"]

CONFIG_ROLE_FIELDS = ("headteacher", "dpo", "chair_of_governors", "clerk")


class SyncError(Exception):
    """The configuration refers to something that is not there (a document, a person)."""


@dataclass
class DirectoryReport:
    """What a directory sync did."""

    added: int = 0
    updated: int = 0
    left: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)
    complete: bool = True
    error: str | None = None  # the directory could not be read this time (nothing changed)


def default_statement(title: str, label: str) -> str:
    """The sentence a person agrees to when acknowledging a policy version."""
    return (
        f"I have read and understood the {title} (version {label}) and I will follow it. "
        "I know who to speak to if I am unsure what it asks of me."
    )


def _state(session: Session, school_id: str, key: str) -> ConnectorState | None:
    return session.scalar(
        select(ConnectorState).where(
            ConnectorState.school_id == school_id, ConnectorState.key == key
        )
    )


def _signature(p: DirectoryPerson, roles: set[str]) -> tuple[object, ...]:
    """What we compare to decide whether a stored person changed (manager handled apart)."""
    return (
        p.external_id, p.display_name, p.given_name, p.family_name, p.job_title, p.active,
        p.start_date, p.has_account, tuple(sorted(p.groups)), tuple(sorted(roles)),
    )


def _set_roles(person: Person, school_id: str, source: str, wanted: set[str]) -> None:
    """Add and remove only the differences (replacing rows would clash on unique keys)."""
    current = {r.role: r for r in person.roles if r.source == source}
    for role, row in current.items():
        if role not in wanted:
            person.roles.remove(row)
    for role in sorted(wanted - set(current)):
        person.roles.append(PersonRole(school_id=school_id, role=role, source=source))


def _set_groups(person: Person, school_id: str, wanted: set[str]) -> None:
    """Add and remove only the differences."""
    current = {g.name: g for g in person.groups}
    for name, row in current.items():
        if name not in wanted:
            person.groups.remove(row)
    for name in sorted(wanted - set(current)):
        person.groups.append(PersonGroup(school_id=school_id, name=name))


@dataclass(frozen=True)
class _Ref:
    """A person's id and whether they are still here."""

    id: int
    active: bool


@dataclass(frozen=True)
class _Known:
    """A stored person as plain columns (loading 10,000 ORM objects daily is too slow)."""

    id: int
    email: str
    external_id: str | None
    active: bool
    source: str
    manager_id: int | None
    signature: tuple[object, ...]


def _known_people(session: Session, school_id: str) -> list[_Known]:
    roles: dict[int, set[str]] = defaultdict(set)
    for pid, role in session.execute(
        select(PersonRole.person_id, PersonRole.role).where(
            PersonRole.school_id == school_id, PersonRole.source == "directory")
    ):
        roles[pid].add(role)
    groups: dict[int, set[str]] = defaultdict(set)
    for pid, name in session.execute(
        select(PersonGroup.person_id, PersonGroup.name).where(PersonGroup.school_id == school_id)
    ):
        groups[pid].add(name)
    known = []
    for row in session.execute(
        select(Person.id, Person.email, Person.external_id, Person.display_name,
               Person.given_name, Person.family_name, Person.job_title, Person.active,
               Person.start_date, Person.has_account, Person.manager_id, Person.source)
        .where(Person.school_id == school_id)
    ):
        (pid, email, ext, name, given, family, title, active, start, account, manager,
         source) = row
        signature = (ext, name, given, family, title, active, start, account,
                     tuple(sorted(groups[pid])), tuple(sorted(roles[pid])))
        known.append(_Known(pid, email, ext, active, source, manager, signature))
    return known


def _apply(person: Person, item: DirectoryPerson, roles: set[str], school_id: str) -> None:
    """Copy a directory record onto a stored person."""
    person.external_id = item.external_id
    person.email = item.email
    person.display_name = item.display_name
    person.given_name = item.given_name
    person.family_name = item.family_name
    person.job_title = item.job_title
    person.start_date = item.start_date
    person.has_account = item.has_account
    person.source = "directory"
    person.active = item.active
    _set_groups(person, school_id, set(item.groups))
    _set_roles(person, school_id, "directory", roles)


_Listed = tuple[DirectoryPerson, set[str]]  # a directory record and its roles


@dataclass
class _Sorted:
    """The directory's records sorted against the store."""

    seen: set[str] = field(default_factory=set)  # every listed email
    new: list[_Listed] = field(default_factory=list)
    changed: dict[int, _Listed] = field(default_factory=dict)  # by stored person id
    unchanged: int = 0


def _sort_listed(
    listed: Sequence[DirectoryPerson],
    school: SchoolConfig,
    by_email: Mapping[str, _Known],
    by_external: Mapping[str, _Known],
) -> _Sorted:
    """New, changed and unchanged people (unchanged ones are recognised by column tuples)."""
    result = _Sorted()
    for item in listed:
        roles = set(item.roles) | {
            school.role_groups[g] for g in item.groups if g in school.role_groups
        }
        result.seen.add(item.email)
        k = by_external.get(item.external_id) or by_email.get(item.email)
        if k is None:
            result.new.append((item, roles))
        elif k.signature == _signature(item, roles) and k.email == item.email:
            result.unchanged += 1
        else:
            result.changed[k.id] = (item, roles)
    return result


def _insert_people(
    session: Session, school_id: str, new_items: Sequence[_Listed], ids: dict[str, int]
) -> None:
    """Bulk-insert new people with their roles and groups; their ids go into ``ids``."""
    inserted = session.execute(
        insert(Person).returning(Person.id, Person.email),
        [
            {"school_id": school_id, "external_id": i.external_id, "email": i.email,
             "display_name": i.display_name, "given_name": i.given_name,
             "family_name": i.family_name, "job_title": i.job_title,
             "start_date": i.start_date, "active": i.active, "has_account": i.has_account,
             "source": "directory", "created_at": utcnow(), "updated_at": utcnow()}
            for i, _ in new_items
        ],
    ).all()
    ids.update({email: pid for pid, email in inserted})
    role_rows = [{"school_id": school_id, "person_id": ids[i.email], "role": r,
                  "source": "directory"} for i, roles in new_items for r in sorted(roles)]
    group_rows = [{"school_id": school_id, "person_id": ids[i.email], "name": g}
                  for i, _ in new_items for g in sorted(i.groups)]
    if role_rows:
        session.execute(insert(PersonRole), role_rows)
    if group_rows:
        session.execute(insert(PersonGroup), group_rows)


def _update_people(
    session: Session,
    school_id: str,
    changed: Mapping[int, _Listed],
    today: date,
    report: DirectoryReport,
    ids: dict[str, int],
) -> None:
    """Load only the changed people, copy their records on, and count updates and leavers."""
    for chunk_start in range(0, len(changed), 500):
        chunk = list(changed)[chunk_start:chunk_start + 500]
        for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
            item, roles = changed[person.id]
            was_active = person.active
            _apply(person, item, roles, school_id)
            if not item.active and was_active:
                person.left_on = today
                report.left += 1
            elif item.active:
                person.left_on = None
            report.updated += 1
            ids[item.email] = person.id


def _manager_updates(
    listed: Sequence[DirectoryPerson], known: Sequence[_Known], ids: Mapping[str, int]
) -> list[dict[str, int | None]]:
    """Managers, resolved by email or external id across everyone we know now."""
    lookup: dict[str, int] = dict(ids)
    lookup.update({k.external_id: k.id for k in known if k.external_id})
    lookup.update({i.external_id: ids[i.email] for i in listed if i.email in ids})
    current_manager = {k.id: k.manager_id for k in known}
    updates: list[dict[str, int | None]] = []
    for item in listed:
        pid = ids.get(item.email)
        ref = item.manager_email or item.manager_external_id
        want = lookup.get(ref) if ref else None
        if want == pid:
            want = None  # nobody manages themselves
        if pid is not None and current_manager.get(pid) != want:
            updates.append({"id": pid, "manager_id": want})
    return updates


def _leaver_ids(
    changes: DirectoryChanges,
    known: Sequence[_Known],
    sorted_: _Sorted,
    by_email: Mapping[str, _Known],
    by_external: Mapping[str, _Known],
) -> list[int]:
    """Active people the directory removed (or, on a full read, no longer lists)."""
    gone = list(changes.removed)
    if changes.complete:
        gone += [k.external_id or k.email for k in known
                 if k.active and k.source == "directory" and k.email not in sorted_.seen]
    leaver_ids = []
    for ref in gone:
        k = by_external.get(ref) or by_email.get(ref)
        if k is not None and k.active and k.id not in sorted_.changed:
            leaver_ids.append(k.id)
    return leaver_ids


def _save_cursor(
    session: Session, school_id: str, state: ConnectorState | None, cursor: str | None
) -> None:
    """Keep the directory's delta cursor for the next read."""
    if cursor is None:
        return
    if state is None:
        session.add(ConnectorState(school_id=school_id, key="directory.cursor", value=cursor))
    else:
        state.value = cursor


def sync_directory(
    session: Session,
    school: SchoolConfig,
    directory: Directory,
    today: date,
    *,
    default_school: bool = True,
) -> DirectoryReport:
    """Fetch people (full or delta) and upsert them; absent or disabled people become leavers.

    Unchanged people are recognised from column tuples; new people are bulk-inserted; only
    changed people are loaded as ORM objects.
    """
    ensure_school(session, school)
    state = _state(session, school.id, "directory.cursor")
    changes = directory.fetch(state.value if state else None)
    report = DirectoryReport(rejected=list(changes.rejected), complete=changes.complete)
    listed = [
        p for p in changes.people if p.school == school.id or (p.school is None and default_school)
    ]
    known = _known_people(session, school.id)
    by_email = {k.email: k for k in known}
    by_external = {k.external_id: k for k in known if k.external_id}
    sorted_ = _sort_listed(listed, school, by_email, by_external)
    report.unchanged = sorted_.unchanged
    ids = {k.email: k.id for k in known}
    if sorted_.new:
        _insert_people(session, school.id, sorted_.new, ids)
        report.added = len(sorted_.new)
    _update_people(session, school.id, sorted_.changed, today, report, ids)
    session.flush()
    manager_updates = _manager_updates(listed, known, ids)
    if manager_updates:
        session.execute(update(Person), manager_updates)
    leaver_ids = _leaver_ids(changes, known, sorted_, by_email, by_external)
    if leaver_ids:
        session.execute(update(Person).where(Person.id.in_(leaver_ids))
                        .values(active=False, left_on=today))
        report.left += len(leaver_ids)
    _save_cursor(session, school.id, state, changes.cursor)
    session.flush()
    session.expire_all()
    return report


def ensure_school(session: Session, school: SchoolConfig) -> None:
    """Create or rename the school row (everything else hangs off it)."""
    row = session.get(School, school.id)
    if row is None:
        session.add(School(id=school.id, name=school.name))
    elif row.name != school.name:
        row.name = school.name
    session.flush()


def _document_bytes(config: OrgConfig, path_text: str, where: str) -> bytes:
    path = config.resolve(Path(path_text))
    if not path.exists():
        raise SyncError(f"{where}: document not found: {path}")
    return path.read_bytes()


@dataclass
class _People:
    """The school's people by email, for config references; unknown ones become warnings."""

    by_email: dict[str, _Ref]
    warnings: list[str] = field(default_factory=list)

    @property
    def still_here(self) -> set[int]:
        """Ids of the people still at the school (leavers: see the sweep's handovers)."""
        return {ref.id for ref in self.by_email.values() if ref.active}

    def find(self, email: str | None, where: str) -> _Ref | None:
        """The person with this email; warns when the directory does not know them."""
        if email is None:
            return None
        found = self.by_email.get(email)
        if found is None:
            self.warnings.append(f"{where}: {email} is not in the directory")
        return found


def _load_people(session: Session, school_id: str) -> _People:
    """Everyone the store knows for the school, leavers included."""
    return _People({
        email: _Ref(pid, active)
        for pid, email, active in session.execute(
            select(Person.id, Person.email, Person.active).where(Person.school_id == school_id)
        )
    })


def _sync_config_roles(session: Session, school: SchoolConfig, people: _People) -> None:
    """Config-named roles (head, DSLs, admins...) replace the previous config-named roles."""
    wanted_roles: dict[str, set[str]] = {}
    for role in CONFIG_ROLE_FIELDS:
        email = getattr(school, role)
        if email:
            wanted_roles.setdefault(email, set()).add(role)
    for role, emails in (
        ("dsl", school.dsl),
        ("deputy_dsl", school.deputy_dsl),
        ("admin", school.admins),
    ):
        for email in emails:
            wanted_roles.setdefault(email, set()).add(role)
    holders_of_config_roles = set(session.scalars(
        select(PersonRole.person_id).where(PersonRole.school_id == school.id,
                                           PersonRole.source == "config")
    ))
    known = people.by_email
    concerned = {known[e].id for e in wanted_roles if e in known} | holders_of_config_roles
    for p in session.scalars(select(Person).where(Person.id.in_(concerned))):
        _set_roles(p, school.id, "config", wanted_roles.get(p.email, set()))
    for email in wanted_roles:
        people.find(email, "school roles")


def _upsert_policy(
    session: Session,
    school_id: str,
    pc: PolicyConfig,
    policies: dict[str, Policy],
    people: _People,
    where: str,
) -> Policy:
    """Create or update a policy's row from its configuration."""
    policy = policies.get(pc.id)
    if policy is None:
        policy = Policy(school_id=school_id, key=pc.id, title=pc.title)
        session.add(policy)
        policies[pc.id] = policy
    policy.title = pc.title
    policy.approving_body = pc.approving_body
    policy.review_cycle_months = pc.review_cycle_months
    policy.is_aup = pc.aup
    policy.reviewers = list(pc.reviewers)
    policy.linked_policies = list(pc.linked_policies)
    owner = people.find(pc.owner, f"{where}.owner")
    policy.owner_id = owner.id if owner else None
    if policy.id is None or not policy.versions:
        # the YAML seeds review dates; afterwards recorded reviews own them
        policy.last_reviewed = pc.last_reviewed
        policy.ratified_on = pc.ratified_on
        base = pc.ratified_on or pc.last_reviewed
        policy.next_review_due = pc.next_review or (
            add_months(base, pc.review_cycle_months) if base else None
        )
    session.flush()
    return policy


def _new_version_label(
    policy: Policy, pc: PolicyConfig, digest: str, where: str, warnings: list[str]
) -> str | None:
    """The label for a new document, or None when the document needs no new version."""
    current = policy.current_version
    if current is not None and current.sha256 == digest:
        return None  # same document: nothing new, whatever the label says
    if any(v.sha256 == digest for v in policy.versions):
        warnings.append(f"{where}: the configuration names an older document than the "
                        "current version (recorded by a review); keeping the current one")
        return None
    label = pc.version
    if current is not None and current.label == pc.version:
        label = f"{pc.version}-{digest[:7]}"
        warnings.append(f"{where}: document changed without a new version; stored as {label}")
    if any(v.label == label for v in policy.versions):
        return None
    return label


def _publish_document(
    session: Session,
    config: OrgConfig,
    school_id: str,
    policy: Policy,
    pc: PolicyConfig,
    today: date,
    where: str,
    warnings: list[str],
) -> None:
    """A new version when the configured document is new (by content)."""
    data = _document_bytes(config, str(pc.document), f"{where}.document")
    digest = hashlib.sha256(data).hexdigest()
    label = _new_version_label(policy, pc, digest, where, warnings)
    if label is None:
        return
    version = PolicyVersion(
        school_id=school_id,
        policy_id=policy.id,
        label=label,
        document_name=Path(str(pc.document)).name,
        document=data,
        sha256=digest,
        published_on=pc.published or today,
        statement=pc.statement or default_statement(pc.title, label),
    )
    session.add(version)
    session.flush()
    session.refresh(policy)
    audit.record(
        session,
        actor="system:config",
        action="policy.version.published",
        object_type="policy",
        object_id=policy.id,
        school_id=school_id,
        details={"version": label, "sha256": digest},
    )


def _sync_policies(
    session: Session, config: OrgConfig, school: SchoolConfig, today: date, people: _People
) -> dict[str, Policy]:
    """Upsert the policies (a new version on a new document); returns them by key."""
    policies = {
        p.key: p for p in session.scalars(select(Policy).where(Policy.school_id == school.id))
    }
    for index, pc in enumerate(school.policies):
        where = f"schools[{school.id}].policies[{index}] ({pc.id})"
        policy = _upsert_policy(session, school.id, pc, policies, people, where)
        _publish_document(session, config, school.id, policy, pc, today, where, people.warnings)
    return policies


def _sync_requirements(
    session: Session, school: SchoolConfig, policies: Mapping[str, Policy], today: date
) -> None:
    """Upsert the configured requirements; the ones no longer configured become inactive."""
    requirements = {
        r.key: r
        for r in session.scalars(select(Requirement).where(Requirement.school_id == school.id))
    }
    configured = set()
    for rc in school.requirements:
        configured.add(rc.id)
        req = requirements.get(rc.id)
        spec = json.loads(rc.model_dump_json())
        policy_id = policies[rc.policy].id if rc.policy else None
        # an acknowledgement without its own title is known by its policy's title
        title = rc.title or (policies[rc.policy].title if rc.policy else rc.display_title)
        if req is None:
            session.add(
                Requirement(
                    school_id=school.id,
                    key=rc.id,
                    kind=rc.kind,
                    title=title,
                    policy_id=policy_id,
                    spec=spec,
                    active=True,
                    first_seen=today,
                )
            )
            continue
        req.kind, req.title, req.policy_id, req.spec, req.active = (
            rc.kind,
            title,
            policy_id,
            spec,
            True,
        )
    for key, req in requirements.items():
        if key not in configured:
            req.active = False


def _upsert_account(
    session: Session,
    school_id: str,
    ac: AccountConfig,
    accounts: dict[str, OfficialAccount],
    policies: Mapping[str, Policy],
    people: _People,
) -> OfficialAccount:
    """Create or update an official account's row from its configuration."""
    account = accounts.get(ac.id)
    if account is None:
        account = OfficialAccount(
            school_id=school_id, key=ac.id, platform=ac.platform, name=ac.name
        )
        session.add(account)
        session.flush()
        accounts[ac.id] = account
    account.platform, account.name, account.url = ac.platform, ac.name, ac.url
    account.purpose, account.notes = ac.purpose, ac.notes
    custodian = people.find(ac.custodian, f"official_accounts.{ac.id}.custodian")
    account.custodian_id = custodian.id if custodian else None
    account.aup_policy_id = policies[ac.aup_policy].id if ac.aup_policy else None
    return account


def _account_event(
    session: Session, school_id: str, account: OfficialAccount, action: str, person_id: int
) -> None:
    """Audit a holder added to or removed from an account by the configuration."""
    audit.record(
        session,
        actor="system:config",
        action=action,
        object_type="official_account",
        object_id=account.id,
        school_id=school_id,
        details={"person_id": person_id},
    )


def _sync_holders(
    session: Session,
    school_id: str,
    ac: AccountConfig,
    account: OfficialAccount,
    people: _People,
    still_here: set[int],
    today: date,
) -> None:
    """Configured holders join the account; removed ones (still here) end and need a handover."""
    current_holders = {h.person_id: h for h in account.holders if h.until is None}
    wanted = set()
    for email in ac.holders:
        holder = people.find(email, f"official_accounts.{ac.id}.holders")
        if holder is None:
            continue
        if not holder.active:
            people.warnings.append(
                f"official_accounts.{ac.id}.holders: {email} has left; "
                "remove them from the configuration"
            )
            continue
        wanted.add(holder.id)
        if holder.id not in current_holders:
            account.holders.append(
                AccountHolder(school_id=school_id, person_id=holder.id, since=today)
            )
            _account_event(session, school_id, account, "account.holder.added", holder.id)
    for person_id, holding in current_holders.items():
        if person_id not in wanted and person_id in still_here:
            holding.until = today
            account.handover_needed = True
            account.handover_reason = "a holder was removed from the account"
            _account_event(session, school_id, account, "account.holder.removed", person_id)


def _sync_accounts(
    session: Session,
    school: SchoolConfig,
    policies: Mapping[str, Policy],
    people: _People,
    today: date,
) -> None:
    """Upsert the official accounts and their configured holders."""
    still_here = people.still_here
    accounts = {
        a.key: a
        for a in session.scalars(
            select(OfficialAccount).where(OfficialAccount.school_id == school.id)
        )
    }
    for ac in school.official_accounts:
        account = _upsert_account(session, school.id, ac, accounts, policies, people)
        _sync_holders(session, school.id, ac, account, people, still_here, today)


def sync_config(
    session: Session, config: OrgConfig, school: SchoolConfig, today: date
) -> list[str]:
    """Upsert the school, its policies (new version on a new label or document), requirements,
    official accounts and config-named roles. Returns warnings (e.g. unknown people)."""
    ensure_school(session, school)
    people = _load_people(session, school.id)
    _sync_config_roles(session, school, people)
    policies = _sync_policies(session, config, school, today, people)
    _sync_requirements(session, school, policies, today)
    _sync_accounts(session, school, policies, people, today)
    session.flush()
    return people.warnings
