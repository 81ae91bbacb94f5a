"""When each person's duties next need the planner if nothing else changes: the duties step's
index of dates (migration 0050's ``attention``).

A plan depends on the day only through a few dates: a person's own (the day they start, a
training renewal's window opening: ``Plan.attention``) and the whole school's (a yearly cycle,
a reading campaign's year or next edition, a recurring task's next period, a requirement first
seen later: ``school_attention``, kept as person ``WHOLE``). Reminder stages are the reminders'
own index (``ReminderRun.due``: the people with a stored duty whose next stage may fall
today). So a new day's first sweep plans the people whose date has come, those the reminders
name and those whose rows changed (``whom``), instead of everyone; a nightly sweep plans everyone
anyway (``decide``), a safety net under all of it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, Integer, String, column, delete, select, table
from sqlalchemy.orm import Session

from bot.core.database.store import dialect_insert
from bot.core.days.clock import to_local
from bot.engine.changes import WHOLE
from bot.engine.facts import Batch

__all__ = ["ATTENTION", "Last", "came", "decide", "kept", "record", "whom"]

ATTENTION = table(
    "attention", column("school_id", String), column("person_id", Integer), column("on_date", Date)
)


def record(
    session: Session,
    school_id: str,
    batch: Batch,
    dates: Mapping[int, date],
    whole: date | None = None,
    *,
    school: bool = False,
) -> None:
    """Keep the batch's people's dates (theirs alone: none, no row), and with ``school`` the
    whole school's (``whole``) too."""
    c = ATTENTION.c
    bounds: list[ColumnElement[bool]] = []
    if batch.ids is not None:
        bounds.append(c.person_id.in_(batch.ids))
    if batch.after is not None:
        bounds.append(c.person_id > batch.after)
    if batch.upto is not None:
        bounds.append(c.person_id <= batch.upto)
    if school and not bounds:  # everyone in one batch (a small school): every row, at once
        session.execute(delete(ATTENTION).where(c.school_id == school_id))
    else:
        session.execute(
            delete(ATTENTION).where(c.school_id == school_id, c.person_id != WHOLE, *bounds)
        )
        if school:
            session.execute(delete(ATTENTION).where(c.school_id == school_id, c.person_id == WHOLE))
    rows = [{"school_id": school_id, "person_id": p, "on_date": d} for p, d in dates.items()]
    if school and whole is not None:
        rows.append({"school_id": school_id, "person_id": WHOLE, "on_date": whole})
    if rows:  # an upsert: a plan of the same people in another transaction (settings applied
        # while the sweep runs) may have written theirs after this one's delete
        stmt = dialect_insert(session, ATTENTION)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["school_id", "person_id"], set_={"on_date": stmt.excluded.on_date}
            ),
            rows,
        )


def came(session: Session, school_id: str, today: date) -> frozenset[int] | None:
    """The people whose date has come by ``today`` (one index range); None: the school's."""
    c = ATTENTION.c
    found = frozenset(
        session.scalars(select(c.person_id).where(c.school_id == school_id, c.on_date <= today))
    )
    return None if WHOLE in found else found


def whom(
    session: Session,
    school_id: str,
    today: date,
    marked: frozenset[int] | None,
    new_day: bool,
    reminded: Collection[int] = (),
) -> frozenset[int] | None:
    """Whom a sweep that is not a full one plans (None: everyone): the ``marked``
    (``bot.engine.changes``), and on a new day those whose date came and those a reminder stage
    may fall due for today (``reminded``: the reminders' own index, ``ReminderRun.due``)."""
    if marked is None or not new_day:
        return marked
    dated = came(session, school_id, today)
    return None if dated is None else marked | dated | frozenset(reminded)


@dataclass(frozen=True)
class Last:
    """What the duties step planned from last: its context, the day, the last full plan's day."""

    inputs: str
    day: date
    full: date

    def dump(self) -> str:
        """As kept in ``ConnectorState``."""
        return json.dumps(
            {"inputs": self.inputs, "day": self.day.isoformat(), "full": self.full.isoformat()}
        )

    @classmethod
    def load(cls, value: str | None) -> Last | None:
        """From ``ConnectorState`` (None: nothing, or another release's form: plan everyone)."""
        try:
            found = json.loads(value or "")
            return cls(
                found["inputs"], date.fromisoformat(found["day"]), date.fromisoformat(found["full"])
            )
        except (ValueError, KeyError, TypeError):
            return None


def decide(
    last: Last | None, inputs: str, today: date, now: datetime, hour: int
) -> tuple[bool, bool]:
    """(full, new day): whether this sweep plans everyone - another context (``inputs``), a day
    before the last one's, or the day's first sweep at or after ``hour`` (local time) - and
    whether it is the day's first."""
    if last is None or last.inputs != inputs or last.day > today:
        return True, last is None or last.day != today
    return last.full < today and to_local(now).hour >= hour, last.day != today


def kept(last: Last | None, inputs: str, today: date, everyone: bool) -> str:
    """What the duties step keeps after planning (``Last``, dumped)."""
    full = today if everyone or last is None else last.full
    return Last(inputs, today, full).dump()
