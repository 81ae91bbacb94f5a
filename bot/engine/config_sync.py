"""Bring the store in line with school.yaml: the school row, config-named roles, policies and their
versions, requirements and official accounts (people come from the directory: ``directory.py``)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import AccountConfig, OrgConfig, PolicyConfig, SchoolConfig
from bot.core.guards.forms import Text, strings_of
from bot.core.language.i18n import N_, Msg, say, speaking
from bot.core.language.words import version_name
from bot.core.models import (
    AccountHolder,
    OfficialAccount,
    Person,
    PersonRole,
    Policy,
    PolicyVersion,
    Requirement,
    School,
)
from bot.engine.periods import add_months
from bot.engine.refused_documents import refused

# what syncing the settings warns of
NOT_IN_DIRECTORY = N_("%(where)s: %(email)s is not in the directory")
OLDER_DOCUMENT = N_(
    "%(where)s: the configuration names an older document than the current version (recorded by "
    "a review); keeping the current one"
)
UNVERSIONED_DOCUMENT = N_("%(where)s: document changed without a new version; stored as %(label)s")
DOCUMENT_GONE = N_("%(where)s.document: document not found: %(path)s; keeping the current version")
HOLDER_LEFT = N_("%(where)s: %(email)s has left; remove them from the configuration")

__all__ = [
    "DOCUMENT_GONE",
    "HOLDER_LEFT",
    "NOT_IN_DIRECTORY",
    "OLDER_DOCUMENT",
    "UNVERSIONED_DOCUMENT",
    "SyncError",
    "account_event",
    "config_inputs",
    "default_statement",
    "ensure_school",
    "sync_config",
]

CONFIG_ROLE_FIELDS = ("headteacher", "dpo", "chair_of_governors", "clerk")


class SyncError(Exception):
    """The configuration refers to something that is not there (a document, a person)."""


def default_statement(title: str, label: str) -> str:
    """The sentence a person agrees to when acknowledging a policy version, said now in the
    active language (what is stored is what they agreed to)."""
    return say(
        "I have read and understood the %(title)s (%(version)s) and I will follow it. "
        "I know who to speak to if I am unsure what it asks of me.",
        title=title,
        version=version_name(label),
    )


def _statement(school: SchoolConfig, title: str, label: str) -> str:
    """The statement of a new version, in the school's language (stored as they agree to it)."""
    with speaking(school.language):
        return default_statement(title, label)


@dataclass(frozen=True)
class _Ref:
    """A person's id and whether they are still here."""

    id: int
    active: bool


def ensure_school(session: Session, school: SchoolConfig) -> None:
    """Create or rename the school row (everything else hangs off it)."""
    row = session.get(School, school.id)
    if row is None:
        session.add(School(id=school.id, name=school.name))
    elif row.name != school.name:
        row.name = school.name
    session.flush()


@dataclass
class _People:
    """The school's people by email, for config references; unknown ones become warnings."""

    by_email: dict[str, _Ref]
    warnings: list[Text] = field(default_factory=list)

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
            self.warnings.append(Msg(NOT_IN_DIRECTORY, where=where, email=email))
        return found


def _load_people(session: Session, school_id: str) -> _People:
    """Everyone the store knows for the school, leavers included."""
    return _People(
        {
            email: _Ref(pid, active)
            for pid, email, active in session.execute(
                select(Person.id, Person.email, Person.active).where(Person.school_id == school_id)
            )
        }
    )


def _sync_config_roles(
    session: Session,
    school: SchoolConfig,
    people: _People,
    trust_admins: Sequence[str] = (),
    trust_leads: Sequence[str] = (),
) -> None:
    """Config-named roles (head, DSLs, admins, the trust's admins...) replace the previous
    config-named roles."""
    wanted_roles: dict[str, set[str]] = defaultdict(set)
    for role, emails in (
        *((role, [getattr(school, role)]) for role in CONFIG_ROLE_FIELDS),
        ("dsl", school.dsl),
        ("deputy_dsl", school.deputy_dsl),
        ("admin", school.admins),
        ("trust_admin", trust_admins),
        ("trust_safeguarding_lead", trust_leads),
    ):
        for email in filter(None, emails):
            wanted_roles[email].add(role)
    holders_of_config_roles = set(
        session.scalars(
            select(PersonRole.person_id).where(
                PersonRole.school_id == school.id, PersonRole.source == "config"
            )
        )
    )
    known = people.by_email
    concerned = {known[e].id for e in wanted_roles if e in known} | holders_of_config_roles
    for p in session.scalars(select(Person).where(Person.id.in_(concerned))):
        p.replace_roles("config", wanted_roles.get(p.email, set()))
    for email, roles in wanted_roles.items():
        # a trust admin or safeguarding lead of another school
        if email in known or email not in (*trust_admins, *trust_leads):
            found = people.find(email, "school roles")
            if found is not None and not found.active:  # a DSL who left hears no concern
                where = ", ".join(sorted(roles))
                people.warnings.append(Msg(HOLDER_LEFT, where=where, email=email))


_Keyed = TypeVar("_Keyed", Policy, Requirement, OfficialAccount)


def _by_key(session: Session, model: type[_Keyed], school_id: str) -> dict[str, _Keyed]:
    """The school's rows of ``model`` by the key the configuration names them with."""
    rows = session.scalars(select(model).where(model.school_id == school_id))
    return {row.key: row for row in rows}


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
        due = pc.next_review or (add_months(base, pc.review_cycle_months) if base else None)
        if due != policy.next_review_due:  # a confirmed date stays confirmed while unchanged
            policy.next_review_derived = pc.next_review is None and due is not None
        policy.next_review_due = due
    session.flush()
    return policy


def _new_version_label(
    policy: Policy, pc: PolicyConfig, digest: str, where: str, warnings: list[Text]
) -> str | None:
    """The label for a new document, or None when the document needs no new version."""
    current = policy.current_version
    if current is not None and current.sha256 == digest:
        return None  # same document: nothing new, whatever the label says
    if any(v.sha256 == digest for v in policy.versions):
        warnings.append(Msg(OLDER_DOCUMENT, where=where))
        return None
    label = pc.version
    if current is not None and current.label == pc.version:
        label = f"{pc.version}-{digest[:7]}"
        warnings.append(Msg(UNVERSIONED_DOCUMENT, where=where, label=label))
    if any(v.label == label for v in policy.versions):
        return None
    return label


def _publish_document(
    session: Session,
    config: OrgConfig,
    school: SchoolConfig,
    policy: Policy,
    pc: PolicyConfig,
    today: date,
    where: str,
    warnings: list[Text],
) -> None:
    """A new version when the configured document is new (by content) and passes the checks
    of every upload; refused otherwise (the version in force stays, the admins are told)."""
    school_id = school.id
    path = config.resolve(Path(str(pc.document)))
    if not path.exists() and policy.current_version is not None:
        # a school on its last good settings whose document has since gone (its entry fails
        # the checks for it, ``per_school``): the stored version stays current
        warnings.append(Msg(DOCUMENT_GONE, where=where, path=path))
        return
    if not path.exists():
        raise SyncError(f"{where}.document: document not found: {path}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    said: list[Text] = []
    label = _new_version_label(policy, pc, digest, where, said)
    if label is not None and refused(
        session, school, policy, str(pc.document), data, digest, where, warnings
    ):
        return
    warnings += said
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
        statement=pc.statement or _statement(school, pc.title, label),
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
    policies = _by_key(session, Policy, school.id)
    for index, pc in enumerate(school.policies):
        where = f"schools[{school.id}].policies[{index}] ({pc.id})"
        policy = _upsert_policy(session, school.id, pc, policies, people, where)
        _publish_document(session, config, school, policy, pc, today, where, people.warnings)
    return policies


def _sync_requirements(
    session: Session, school: SchoolConfig, policies: Mapping[str, Policy], today: date
) -> None:
    """Upsert the configured requirements; the ones no longer configured become inactive."""
    requirements = _by_key(session, Requirement, school.id)
    for rc in school.requirements:
        policy = policies[rc.policy] if rc.policy else None
        fields: dict[str, Any] = {
            "kind": rc.kind,
            # an acknowledgement without its own title is known by its policy's title
            "title": rc.title or (policy.title if policy else rc.display_title),
            "policy_id": policy.id if policy else None,
            "spec": json.loads(rc.model_dump_json()),
            "active": True,
        }
        req = requirements.get(rc.id)
        if req is None:
            session.add(Requirement(school_id=school.id, key=rc.id, first_seen=today, **fields))
        else:
            for name, value in fields.items():
                setattr(req, name, value)
    configured = {rc.id for rc in school.requirements}
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


def account_event(
    session: Session,
    school_id: str,
    account: OfficialAccount,
    action: str,
    person_id: int,
    actor: str = "system:config",
    **details: str,
) -> None:
    """Audit a change of an account's holders (by the configuration unless ``actor`` says)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="official_account",
        object_id=account.id,
        school_id=school_id,
        details={"person_id": person_id, **details},
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
                Msg(HOLDER_LEFT, where=f"official_accounts.{ac.id}.holders", email=email)
            )
            continue
        wanted.add(holder.id)
        if holder.id not in current_holders:
            account.holders.append(
                AccountHolder(school_id=school_id, person_id=holder.id, since=today)
            )
            account_event(session, school_id, account, "account.holder.added", holder.id)
    for person_id, holding in current_holders.items():
        if person_id not in wanted and person_id in still_here:
            holding.until = today
            account.flag_handover("removed", today)
            account_event(session, school_id, account, "account.holder.removed", person_id)


def _sync_accounts(
    session: Session,
    school: SchoolConfig,
    policies: Mapping[str, Policy],
    people: _People,
    today: date,
) -> None:
    """Upsert the official accounts and their configured holders."""
    still_here = people.still_here
    accounts = _by_key(session, OfficialAccount, school.id)
    for ac in school.official_accounts:
        account = _upsert_account(session, school.id, ac, accounts, policies, people)
        _sync_holders(session, school.id, ac, account, people, still_here, today)


def sync_config(
    session: Session, config: OrgConfig, school: SchoolConfig, today: date
) -> list[Text]:
    """Upsert the school, its policies (new version on a new label or document), requirements,
    official accounts and config-named roles. Returns warnings (e.g. unknown people)."""
    ensure_school(session, school)
    people = _load_people(session, school.id)
    _sync_config_roles(
        session,
        school,
        people,
        config.organisation.trust_admins,
        config.organisation.trust_safeguarding_leads,
    )
    policies = _sync_policies(session, config, school, today, people)
    _sync_requirements(session, school, policies, today)
    _sync_accounts(session, school, policies, people, today)
    session.flush()
    return people.warnings


# What ``sync_config`` reads from the store and writes back, column by column: the school's
# people by email (who the settings name), its config-named roles, policies, versions,
# requirements, official accounts and their holders (of the people, those ``config_inputs``
# names: a school's staff would cost the digest more than the rest).
_SYNC_READS = (
    (School.id, School.name),
    (Person.id, Person.email, Person.active),
    (PersonRole.id, PersonRole.person_id, PersonRole.role),
    (
        Policy.id,
        Policy.key,
        Policy.title,
        Policy.owner_id,
        Policy.approving_body,
        Policy.review_cycle_months,
        Policy.is_aup,
        Policy.reviewers,
        Policy.linked_policies,
        Policy.last_reviewed,
        Policy.ratified_on,
        Policy.next_review_due,
        Policy.next_review_derived,
    ),
    (PolicyVersion.id, PolicyVersion.policy_id, PolicyVersion.label, PolicyVersion.sha256),
    (
        Requirement.id,
        Requirement.key,
        Requirement.kind,
        Requirement.title,
        Requirement.policy_id,
        Requirement.spec,
        Requirement.active,
        Requirement.first_seen,
    ),
    (
        OfficialAccount.id,
        OfficialAccount.key,
        OfficialAccount.platform,
        OfficialAccount.name,
        OfficialAccount.url,
        OfficialAccount.purpose,
        OfficialAccount.notes,
        OfficialAccount.custodian_id,
        OfficialAccount.aup_policy_id,
        OfficialAccount.handover_needed,
        OfficialAccount.handover_reason,
        OfficialAccount.handover_kind,
        OfficialAccount.handover_values,
        OfficialAccount.handover_since,
    ),
    (
        AccountHolder.id,
        AccountHolder.account_id,
        AccountHolder.person_id,
        AccountHolder.since,
        AccountHolder.until,
    ),
)


def config_inputs(session: Session, config: OrgConfig, school: SchoolConfig) -> str:
    """A digest of everything ``sync_config`` reads for the school: its settings, the trust's
    named people, the bytes of each policy document, and the store's rows it reads and writes.

    ``sync_config`` is a function of these, and its own fixed point (run twice, the second run
    changes nothing): taken after a sync, an equal digest later means a sync would change
    nothing and say the same warnings again. The rows come in one statement (each as one
    string, ``_SYNC_ROWS``): eight reads a school cost more than the rest of the digest."""
    organisation = config.organisation
    digest = hashlib.sha256(
        json.dumps(
            [
                school.model_dump_json(),
                list(organisation.trust_admins),
                list(organisation.trust_safeguarding_leads),
                str(config.base_dir),
            ]
        ).encode()
    )
    for pc in school.policies:
        path = config.resolve(Path(str(pc.document)))
        digest.update(f"|{path}|".encode())
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    # of the school's people, only those the sync can look at: every string of the settings that
    # could be an email (a superset of those it looks up), config roles' and accounts' holders
    named = (*organisation.trust_admins, *organisation.trust_safeguarding_leads)
    emails = sorted(
        {*(s for _, s in strings_of(school.model_dump(mode="json")) if "@" in s), *named}
    )
    for row in session.execute(_SYNC_ROWS, {"school_id": school.id, "emails": emails}):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _as_text(column: Any) -> ColumnElement[str]:
    """A column as text, NULL as ``~`` (a NULL would blank the whole concatenation)."""
    return func.coalesce(cast(column, String), literal_column("'~'"))


def _sync_query(n: int, columns: tuple[Any, ...]) -> Select[Any]:
    """The statement reading one of ``_SYNC_READS`` for a school: its table's number, the
    row's id and its columns as one string."""
    table = columns[0].class_
    row = _as_text(columns[0])
    for column in columns[1:]:
        row = row + literal_column("'|'") + _as_text(column)
    query = select(
        literal(n).label("n"),
        (literal(0) if table is School else columns[0]).label("k"),
        row.label("row"),
    ).where((School.id if table is School else table.school_id) == bindparam("school_id"))
    if table is PersonRole:  # the directory's roles are the directory step's
        query = query.where(PersonRole.source == "config")
    if table is Person:  # those the settings can name, and those holding what they give
        query = query.where(
            Person.email.in_(bindparam("emails", expanding=True))
            | Person.id.in_(_HOLDING.where(PersonRole.source == "config"))
            | Person.id.in_(_HELD)
        )
    return query


_HOLDING = select(PersonRole.person_id).where(PersonRole.school_id == bindparam("school_id"))
_HELD = select(AccountHolder.person_id).where(AccountHolder.school_id == bindparam("school_id"))


_SYNC_ROWS = union_all(
    *(_sync_query(n, columns) for n, columns in enumerate(_SYNC_READS))
).order_by(literal_column("n"), literal_column("k"))
