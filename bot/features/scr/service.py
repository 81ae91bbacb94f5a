"""The single central record in the database: importing the school's spreadsheet (whether and
when only), the interview panels, and the gaps — found, kept open, closed and audited.

An import replaces the school's SCR rows in one transaction (a bad row stops it: nothing is
lost); the audit says what changed in counts and which columns were skipped, never a value.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime

from sqlalchemy import ColumnElement, bindparam, func, or_, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import SchoolConfig
from bot.core.guards.permissions import SCR_READERS
from bot.core.language.i18n import N_, Msg
from bot.core.language.words import name_words, plain_key, school_words
from bot.core.models import (
    ConnectorState,
    Person,
    ScrCheck,
    ScrEntry,
    ScrGap,
    ScrPanel,
    ScrPanelMember,
    TrainingRecord,
)
from bot.core.nations import pack_for
from bot.features.scr.rules import (
    CheckValue,
    Entry,
    Gap,
    Panel,
    StaffMember,
    find_gaps,
    gap_counts,
    kind_headings,
    unjudged,
)
from bot.features.scr.sheet import NAMESAKES, ROW_WHO, SAME_PERSON, ScrRow, ScrSheet, ScrSheetError

__all__ = [
    "GOVERNOR_ROLES",
    "STAFF_ROLES",
    "ImportResult",
    "add_panel",
    "check_names",
    "current_gaps",
    "gap_headings",
    "has_record",
    "import_sheet",
    "kept_or_checked",
    "last_checked",
    "open_counts",
    "open_gaps",
    "refresh_gaps",
]

# who works in the school (on the SCR) and who governs it (governors, trustees, members)
STAFF_ROLES = frozenset({"staff", "supply", "headteacher", "dsl", "deputy_dsl"})
GOVERNOR_ROLES = frozenset({"governor", "chair_of_governors", "safeguarding_governor"})
_STATE_KEY = "scr:last-check"  # the day and inputs' fingerprint of the last check
_JUDGED_KEY = "scr:judged"  # JSON: the checks the last import's record has a column for
NEAR = N_(
    "row %(line)s (%(name)s) is nobody of the school by that name; is it %(person)s? If so, "
    "write the name as the staff list does, or add an email column (nothing was guessed)"
)


@dataclass(frozen=True)
class ImportResult:
    """What an import did, in counts (and the columns it did not read, by name)."""

    rows: int
    matched: int
    unmatched: int
    added: int
    removed: int
    changed: int
    skipped: list[str]
    not_read: list[str]
    unjudged: list[str] = field(default_factory=list)  # checks' names: no column, not judged
    # unmatched rows, with whom they may be (NEAR's values)
    near: list[dict[str, str]] = field(default_factory=list)


def check_names(school: SchoolConfig) -> dict[str, str]:
    """Each check's name in the school's nation (its pack's words)."""
    return {c.id: c.name for c in pack_for(school.country).scr_checks}


def gap_headings(school: SchoolConfig) -> dict[str, str]:
    """Each kind of gap as a heading in the school's words (its nation's, an independent
    school's proprietor body, an academy's trustees and members): for the evidence pack's
    tables (English, as its CSV files are)."""
    headings = kind_headings(school_words(school), academy=school.academy)
    return {kind: heading.said("en") for kind, heading in headings.items()}


def reads_names(roles: AbstractSet[str], email: str, school: SchoolConfig) -> bool:
    """Whether someone may read whose gaps they are: the headteacher and the SCR's owner."""
    return bool(roles & SCR_READERS) or email == school.scr_owner


def name_key(name: str) -> str:
    """A name as the record and the staff list are matched by it: its words without titles,
    accents or case, in any order ("Dr Fiona Carr" and "Carr, Fiona" are one)."""
    return " ".join(sorted(name_words(name.replace(",", " "))))


def _match(
    session: Session, school: SchoolConfig, sheet: ScrSheet, where: str, near: list[dict[str, str]]
) -> list[int | None]:
    """Each row's person (by email, else name and start date); ScrSheetError naming every
    row that is ambiguous or is the same person as another row (never a guess). A row
    matching nobody by name, whose name is close to someone's, is added to ``near`` with
    that someone, never taken."""
    people = list(session.scalars(select(Person).where(Person.school_id == school.id)))
    by_email = {p.email.lower(): p for p in people}
    by_name: dict[str, list[Person]] = {}
    for p in people:
        full = f"{p.given_name or ''} {p.family_name or ''}"
        for name in {name_key(p.display_name), name_key(full)} - {""}:
            by_name.setdefault(name, []).append(p)
    found: list[int | None] = []
    problems: list[Msg] = []
    seen: dict[int, int] = {}
    for row in sheet.rows:
        person = by_email.get(row.email or "")
        if person is None:
            candidates = _by_name(row, by_name, near)
            if len(candidates) > 1:
                problem = Msg(NAMESAKES, count=len(candidates))
                problems.append(
                    Msg(ROW_WHO, file=where, line=row.line, who=row.name, problem=problem)
                )
                found.append(None)
                continue
            person = candidates[0] if candidates else None
        if person is not None and person.id in seen:
            problem = Msg(SAME_PERSON, other=seen[person.id])
            problems.append(Msg(ROW_WHO, file=where, line=row.line, who=row.name, problem=problem))
        if person is not None:
            seen[person.id] = row.line
        found.append(person.id if person is not None else None)
    if problems:
        raise ScrSheetError(problems)
    return found


def _by_name(
    row: ScrRow, by_name: dict[str, list[Person]], near: list[dict[str, str]]
) -> list[Person]:
    """The people a row's name is (namesakes told apart by the start date); none: the one
    it is close to, if any, added to ``near``."""
    candidates = by_name.get(name_key(row.name), [])
    if not candidates:
        near.extend(_near(row, by_name))
    if len(candidates) > 1 and row.start_date is not None:
        candidates = [p for p in candidates if p.start_date == row.start_date]
    return candidates


def _near(row: ScrRow, by_name: dict[str, list[Person]]) -> list[dict[str, str]]:
    """NEAR's values proposing the one person a row's name is close to: the same words but
    one, that one spelt nearly alike ("Jon"/"John", "Smyth"/"Smith", "Rob"/"Robert"), and no
    other start date."""
    words = name_key(row.name).split()
    found = {
        p.id: p
        for key, people in by_name.items()
        if _one_word_apart(words, key.split())
        for p in people
        if row.start_date is None or p.start_date in (None, row.start_date)
    }
    if len(found) != 1:
        return []
    person = next(iter(found.values()))
    return [{"line": str(row.line), "name": row.name, "person": person.display_name}]


def _one_word_apart(ours: list[str], theirs: list[str]) -> bool:
    """The same words but one on each side, and those two spelt nearly alike."""
    mine, yours = [w for w in ours if w not in theirs], [w for w in theirs if w not in ours]
    if len(ours) != len(theirs) or len(mine) != 1 or len(yours) != 1:
        return False
    a, b = sorted((mine[0], yours[0]), key=len)
    return (len(a) >= 3 and b.startswith(a)) or difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def _fingerprint(entry: Entry) -> str:
    """An entry's whether-and-when, to count what an import changed."""
    checks = sorted((k, v.done, v.checked_on, v.expires_on) for k, v in entry.checks.items())
    facts = (
        entry.start_date,
        entry.left_on,
        entry.agency,
        entry.lived_abroad,
        entry.management,
        entry.teaching,
        entry.risk_assessed,
        entry.safeguarding_training_on,
        entry.safer_recruitment_on,
    )
    return hashlib.sha256(repr((facts, checks)).encode()).hexdigest()


def _entry(stored: ScrEntry) -> Entry:
    """A stored SCR row as the rules read it (the columns are the rules' fields, by name)."""
    columns = {f.name: getattr(stored, f.name) for f in fields(Entry) if f.name != "checks"}
    checks = {c.check: CheckValue(c.done, c.checked_on, c.expires_on) for c in stored.checks}
    return Entry(**columns, checks=checks)


def _key(entry: Entry) -> int | str:
    """Whom an entry is about across imports: its person, else its name."""
    return entry.person_id or f"row:{plain_key(entry.name)}"


def import_sheet(
    session: Session,
    school: SchoolConfig,
    sheet: ScrSheet,
    *,
    where: str,
    actor: str,
    now: datetime,
) -> ImportResult:
    """Replace the school's SCR rows with the spreadsheet's (matched to its people), audited;
    the checks its columns say are the ones judged from now on."""
    near: list[dict[str, str]] = []
    person_ids = _match(session, school, sheet, where, near)
    old = list(session.scalars(select(ScrEntry).where(ScrEntry.school_id == school.id)))
    before = {_key(e): _fingerprint(e) for e in map(_entry, old)}
    for stored in old:
        session.delete(stored)
    session.flush()
    entries = [row.entry(p) for row, p in zip(sheet.rows, person_ids, strict=True)]
    for row, entry in zip(sheet.rows, entries, strict=True):
        checks = [
            ScrCheck(school_id=school.id, check=check, **asdict(value))
            for check, value in sorted(entry.checks.items())
        ]
        columns = asdict(entry) | {"name": entry.name[:200], "checks": checks}
        session.add(
            ScrEntry(
                school_id=school.id,
                line=row.line,
                source="sheet",
                imported_at=now,
                imported_by=actor[:320],
                **columns,
            )
        )
    after = {_key(e): _fingerprint(e) for e in entries}
    session.flush()
    judged = set(sheet.checks_read) | ({"criminal_record"} if sheet.foreign else set())
    ConnectorState.put(session, school.id, _JUDGED_KEY, json.dumps(sorted(judged)))
    pack = pack_for(school.country).scr_checks
    result = ImportResult(
        rows=len(sheet.rows),
        matched=sum(1 for p in person_ids if p is not None),
        unmatched=sum(1 for p in person_ids if p is None),
        added=len(set(after) - set(before)),
        removed=len(set(before) - set(after)),
        changed=sum(1 for k in set(after) & set(before) if after[k] != before[k]),
        skipped=list(sheet.skipped),
        not_read=list(sheet.not_read),
        unjudged=[
            c.name
            for c in unjudged(
                pack, judged, entries, independent=school.independent or school.academy
            )
        ],
        near=near,
    )
    audit.record(
        session,
        actor=actor,
        action="scr.imported",
        object_type="scr",
        school_id=school.id,
        details={
            "rows": result.rows,
            "matched": result.matched,
            "unmatched": result.unmatched,
            "added": result.added,
            "removed": result.removed,
            "changed": result.changed,
            "columns_skipped": result.skipped,
        },
    )
    return result


def _latest_training(session: Session, school_id: str, words: Sequence[str]) -> dict[int, date]:
    """Each person's latest training whose course names one of ``words``."""
    latest: dict[int, date] = {}
    rows = session.execute(
        select(TrainingRecord.person_id, TrainingRecord.course, TrainingRecord.completed_on).where(
            TrainingRecord.school_id == school_id
        )
    )
    for person_id, course, completed_on in rows:
        text = course.casefold()
        if any(w in text for w in words) and completed_on > latest.get(person_id, date.min):
            latest[person_id] = completed_on
    return latest


def _inputs(
    session: Session, school: SchoolConfig
) -> tuple[list[Entry], list[StaffMember], list[Panel]]:
    """The rules' inputs: the SCR's rows, the school's people, the panels."""
    entries = [
        _entry(e) for e in session.scalars(select(ScrEntry).where(ScrEntry.school_id == school.id))
    ]
    safeguarding = _latest_training(session, school.id, ("safeguarding", "child protection"))
    safer = _latest_training(session, school.id, ("safer recruitment",))
    people = []
    listed = bool(school.role_table)  # a staff list of posts, not groups of accounts
    for p in session.scalars(select(Person).where(Person.school_id == school.id)):
        roles = p.role_names
        current = p.active and p.left_on is None
        volunteer = current and "volunteer" in roles and not roles & STAFF_ROLES
        # someone a staff list read through the role table names without a role (a cleaner
        # asked for nothing, a post still to map) works here all the same
        unroled = listed and not roles and p.source == "directory"
        working = (current and bool(roles & STAFF_ROLES or unroled)) or volunteer
        governor = current and bool(roles & GOVERNOR_ROLES)
        if working or governor or any(e.person_id == p.id for e in entries):
            people.append(
                StaffMember(
                    p.id,
                    p.display_name,
                    working,
                    governor,
                    p.start_date,
                    safeguarding.get(p.id),
                    safer.get(p.id),
                    volunteer,
                )
            )
    panels = [
        Panel(panel.id, panel.title, tuple(m.person_id for m in panel.members))
        for panel in session.scalars(select(ScrPanel).where(ScrPanel.school_id == school.id))
    ]
    return entries, people, panels


def current_gaps(session: Session, school: SchoolConfig, today: date) -> list[Gap]:
    """The school's gaps as of ``today`` (an empty SCR: every member of staff is one)."""
    entries, people, panels = _inputs(session, school)
    judged = ConnectorState.of(session, school.id, _JUDGED_KEY)
    return find_gaps(
        entries,
        people,
        panels,
        pack_for(school.country).scr_checks,
        today,
        independent=school.independent or school.academy,
        judged=None if judged is None else json.loads(judged.value),
    )


def refresh_gaps(
    session: Session,
    school: SchoolConfig,
    today: date,
    *,
    actor: str = "system:sweep",
    force: bool = False,
) -> tuple[int, int]:
    """Find the gaps again when anything they depend on changed (or ``force``): new ones are
    kept open, those no longer found are closed and audited. Returns (opened, closed).

    A school that has never imported its SCR is not checked: every member of staff would be a
    gap, and what the school keeps is not stated until it gives its record."""
    state = ConnectorState.of(session, school.id, _STATE_KEY)
    if state is None and not force and not has_record(session, school.id):
        return 0, 0
    stamp = f"{today.isoformat()}|{_inputs_stamp(session, school.id)}"
    if state is not None and state.value == stamp and not force:
        return 0, 0
    found = {g.key: g for g in current_gaps(session, school, today)}
    open_rows = {
        g.key: g
        for g in session.scalars(
            select(ScrGap).where(ScrGap.school_id == school.id, ScrGap.closed_on.is_(None))
        )
    }
    opened = closed = 0
    for key, gap in found.items():
        if key not in open_rows:
            old = session.scalar(
                select(ScrGap).where(ScrGap.school_id == school.id, ScrGap.key == key)
            )
            if old is not None:  # found again after it closed: open, and tell the owner again
                old.closed_on, old.told_on, old.opened_on = None, None, today
            else:
                session.add(
                    ScrGap(
                        school_id=school.id,
                        key=key,
                        kind=gap.kind,
                        person_id=gap.person_id,
                        subject=gap.subject[:200],
                        check=gap.check,
                        opened_on=today,
                    )
                )
            opened += 1
    for key, row in open_rows.items():
        if key not in found:
            row.closed_on = today
            closed += 1
            audit.record(
                session,
                actor=actor,
                action="scr.gap_closed",
                object_type="scr_gap",
                object_id=row.id,
                school_id=school.id,
                details={
                    "kind": row.kind,
                    "check": row.check,
                    "opened_on": row.opened_on.isoformat(),
                },
            )
    ConnectorState.put(session, school.id, _STATE_KEY, stamp, state)
    session.flush()
    return opened, closed


def _inputs_stamp(session: Session, school_id: str) -> str:
    """What the gaps depend on, in a few numbers: the SCR's import, people's last change, the
    training records and the panels (cheap: one query each, no rows read)."""
    parts = [
        session.scalar(
            select(func.max(ScrEntry.imported_at)).where(ScrEntry.school_id == school_id)
        ),
        session.scalar(select(func.count(ScrEntry.id)).where(ScrEntry.school_id == school_id)),
        session.scalar(select(func.max(Person.updated_at)).where(Person.school_id == school_id)),
        session.scalar(select(func.count(Person.id)).where(Person.school_id == school_id)),
        session.scalar(
            select(func.max(TrainingRecord.id)).where(TrainingRecord.school_id == school_id)
        ),
        session.scalar(
            select(func.count(ScrPanelMember.id)).where(ScrPanelMember.school_id == school_id)
        ),
        session.scalar(select(func.max(ScrPanel.id)).where(ScrPanel.school_id == school_id)),
    ]
    return "|".join(str(p) for p in parts)


def kept_or_checked(school_id: str | ColumnElement[str]) -> ColumnElement[bool]:
    """Whether the school has given its SCR, been checked, or has gaps: without any, the
    sweep's check and the owner's email have nothing to do."""
    return or_(
        select(ScrEntry.id).where(ScrEntry.school_id == school_id).exists(),
        select(ConnectorState.id)
        .where(ConnectorState.school_id == school_id, ConnectorState.key == _STATE_KEY)
        .exists(),
        select(ScrGap.id).where(ScrGap.school_id == school_id).exists(),
    )


def has_record(session: Session, school_id: str) -> bool:
    """Whether the school has given its SCR (an import's rows)."""
    return (
        session.scalar(select(ScrEntry.id).where(ScrEntry.school_id == school_id).limit(1))
        is not None
    )


def open_gaps(session: Session, school_id: str) -> list[ScrGap]:
    """The gaps the last check found, still open."""
    return list(
        session.scalars(
            select(ScrGap)
            .where(ScrGap.school_id == school_id, ScrGap.closed_on.is_(None))
            .order_by(ScrGap.kind, ScrGap.subject)
        )
    )


def open_counts(session: Session, school_id: str) -> dict[str, int] | None:
    """How many open gaps of each kind (counts only: the dashboard, digest, reports); None
    when the school has never had its SCR checked (not stated, not zero)."""
    if last_checked(session, school_id) is None:
        return None
    return gap_counts(session.scalars(_OPEN_KINDS, {"school_id": school_id}))


_OPEN_KINDS = select(ScrGap.kind).where(  # built once: every dashboard view asks
    ScrGap.school_id == bindparam("school_id"), ScrGap.closed_on.is_(None)
)


def last_checked(session: Session, school_id: str) -> date | None:
    """The day the gaps were last found (None: never)."""
    state = ConnectorState.of(session, school_id, _STATE_KEY)
    return date.fromisoformat(state.value.split("|", 1)[0]) if state is not None else None


def add_panel(
    session: Session, school: SchoolConfig, title: str, member_ids: Sequence[int], *, actor: str
) -> ScrPanel:
    """Record an interview panel (its members must be people of the school), audited."""
    known = set(
        session.scalars(
            select(Person.id).where(Person.school_id == school.id, Person.id.in_(member_ids))
        )
    )
    panel = ScrPanel(school_id=school.id, title=title, recorded_by=actor)
    panel.members = [
        ScrPanelMember(school_id=school.id, person_id=i)
        for i in dict.fromkeys(member_ids)
        if i in known
    ]
    session.add(panel)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="scr.panel_added",
        object_type="scr_panel",
        object_id=panel.id,
        school_id=school.id,
        details={"members": len(panel.members)},
    )
    return panel
