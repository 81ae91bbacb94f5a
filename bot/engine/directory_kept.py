"""What the last directory read kept for the admins' pages and ``directory status``: the
accounts it left out (guests, unlicensed accounts, accounts with no mailbox), the people of a
shared tenant in no school's staff group, and who the newest sync held back for a job title
the role table does not know."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import ConnectorState, SweepRun
from bot.core.ports import DirectoryChanges

__all__ = [
    "keep",
    "keep_left_out",
    "keep_unassigned",
    "left_out",
    "no_mailbox",
    "posts_to_map",
    "unassigned",
]

LEFT_OUT_KEY = "directory.left_out"  # JSON: accounts the last read left out, by what they are
NO_MAILBOX_KEY = "directory.no_mailbox"  # JSON: names of accounts left out for want of a mailbox
UNASSIGNED_KEY = "directory.unassigned"  # JSON: email -> "Name <email>" in no school's group


def keep(session: Session, school_id: str, key: str, data: object) -> None:
    """Keep ``data`` as JSON under ``key`` for the school (for ``directory status``)."""
    ConnectorState.put(session, school_id, key, json.dumps(data))


def keep_left_out(
    session: Session, school_id: str, counts: Mapping[str, int], unreachable: Sequence[str]
) -> None:
    """What a read left out, by what it is, and the names of those without a mailbox."""
    keep(session, school_id, LEFT_OUT_KEY, dict(sorted(counts.items())))
    keep(session, school_id, NO_MAILBOX_KEY, sorted(unreachable))


def no_mailbox(session: Session, school_id: str) -> list[str]:
    """The accounts the last read left out because mail cannot reach them ("Name (sign-in)")."""
    row = ConnectorState.of(session, school_id, NO_MAILBOX_KEY)
    names = json.loads(row.value) if row and row.value else []
    return [str(n) for n in names] if isinstance(names, list) else []


def left_out(session: Session, school_id: str) -> dict[str, int] | None:
    """What the last directory read left out, by what it is ({"guest": 3}); None when the
    directory does not count them (a staff list file)."""
    row = ConnectorState.of(session, school_id, LEFT_OUT_KEY)
    if row is None:
        return None
    try:
        counts = json.loads(row.value)
    except ValueError:
        return None
    return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else None


def keep_unassigned(
    session: Session, school_id: str, changes: DirectoryChanges, staff_groups: frozenset[str]
) -> list[str]:
    """Name (never guess) the people a read of a directory shared by several schools puts in
    no school's staff group: kept for the school's people page and ``directory status``
    (a complete read replaces the list, a delta updates the people it lists). Returns them."""
    row = ConnectorState.of(session, school_id, UNASSIGNED_KEY)
    kept: dict[str, str] = {}
    if row is not None and not changes.complete:
        loaded = json.loads(row.value or "{}")
        kept = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    for p in changes.people if not changes.complete else changes.outside(staff_groups):
        kept.pop(p.email, None)  # (a complete read starts from nobody: none to forget)
        if p.active and p.school is None and staff_groups.isdisjoint(p.groups):
            kept[p.email] = f"{p.display_name} <{p.email}>"
    for ref in changes.removed:
        kept.pop(ref, None)
    keep(session, school_id, UNASSIGNED_KEY, dict(sorted(kept.items())))
    return sorted(kept.values())


def unassigned(session: Session, school_id: str) -> list[str]:
    """The people the last directory read put in no school's staff group ("Name <email>")."""
    row = ConnectorState.of(session, school_id, UNASSIGNED_KEY)
    names = json.loads(row.value) if row and row.value else {}
    return sorted(str(n) for n in names.values()) if isinstance(names, dict) else []


def posts_to_map(session: Session, school_id: str) -> dict[str, list[str]]:
    """The posts the newest sync found that the role table does not know, and who holds each
    (set up owing nothing until it is mapped): title -> names."""
    stats = session.scalar(
        select(SweepRun.stats)
        .where(SweepRun.school_id == school_id)
        .order_by(SweepRun.id.desc())
        .limit(1)
    )
    found = (stats or {}).get("held_back") or {}
    return {str(k): [str(n) for n in v] for k, v in found.items()}
