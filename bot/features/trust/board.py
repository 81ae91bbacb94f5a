"""The trust board's termly pack, its rules (pure): each school's figures for a term, the
trust's total, small counts suppressed so that no sum undoes them (#94), the change since last
term, and the exceptions that need the board's eye (#81). Counts and rates only: no name,
address, reference or subject.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, astuple, dataclass, fields, replace
from datetime import date
from typing import Any

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_
from bot.core.language.words import csv_text

__all__ = [
    "COLUMNS",
    "FEWER_THAN_5",
    "NOT_SHOWN",
    "BoardLine",
    "Clocks",
    "SchoolBoard",
    "Share",
    "board_csv",
    "change",
    "exceptions",
    "protect",
    "shown_count",
    "total",
]

SMALL = 5  # a school's count of concerns or allegations below this is not shown exactly
FEWER_THAN_5 = N_("fewer than 5")
NOT_SHOWN = N_("not shown")  # a count hidden so that a small one cannot be worked out from it
COLUMNS = (
    "school",
    "staff",
    "safeguarding_training_in_date_pct",
    "policies_acknowledged_pct",
    "statutory_reading_done_pct",
    "scr_gaps",
    "concerns_opened",
    "allegations_against_staff",
    "staff_route_referrals_in_time",
    "breaches_in_time",
    "policies_overdue_review",
    "change_since_last_term",
    # after the columns: each rate's counts, the clocks missed, the school's own term
    "training_in_date",
    "training_required",
    "policies_acknowledged",
    "acknowledgements_asked",
    "statutory_reading_done",
    "statutory_reading_asked",
    "staff_route_referrals",
    "staff_route_referrals_late",
    "breaches",
    "breaches_late",
    "term",
    "term_start",
    "term_end",
)


@dataclass(frozen=True)
class Share:
    """So many done of so many owed; a rate says its denominator."""

    done: int
    owed: int

    @property
    def pct(self) -> int | None:
        """The whole percentage done, rounded down (99, never 100, while one is left); None
        when nothing is owed."""
        return self.done * 100 // self.owed if self.owed else None

    def __add__(self, other: Share) -> Share:
        return Share(self.done + other.done, self.owed + other.owed)


@dataclass(frozen=True)
class Clocks:
    """A kind of report deadline started in the term: met in time, missed (stopped late, or
    running past due), and still running within time."""

    in_time: int = 0
    late: int = 0
    running: int = 0

    @property
    def started(self) -> int:
        """Every such deadline started in the term."""
        return self.in_time + self.late + self.running

    def __add__(self, other: Clocks) -> Clocks:
        return Clocks(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


@dataclass(frozen=True)
class SchoolBoard:
    """One school's figures for one of its terms (or the trust's total: ``trust``)."""

    name: str
    term: str
    term_start: date
    term_end: date
    # as of the day the pack was made (None: an earlier term no pack kept, not stated)
    staff: int | None
    training: Share | None
    acknowledged: Share | None
    reading: Share | None
    scr_gaps: int | None  # None also where the SCR was never checked (not stated, not zero)
    # the term's reports, always counted from the record
    concerns: int  # reports made in the term
    allegations: int  # of those, concerns about a member of staff
    referrals: Clocks  # the staff-route (LADO, designated officer) deadlines
    breaches: Clocks  # the regulator's (ICO) 72-hour deadlines
    policies_overdue: int | None
    trust: bool = False
    recomputed: bool = False  # an earlier term's, counted again from the record (no pack kept)
    hidden: frozenset[str] = frozenset()  # the counts (``PROTECTED``) not shown (``protect``)

    def stored(self) -> dict[str, Any]:
        """The figures as kept for next term's trend (JSON)."""
        kept = asdict(self)
        del kept["hidden"]
        for key in ("term_start", "term_end"):
            kept[key] = kept[key].isoformat()
        return kept

    @classmethod
    def from_stored(cls, kept: Mapping[str, Any]) -> SchoolBoard:
        """The figures kept when an earlier pack was made."""
        values = dict(kept)
        for key in ("training", "acknowledged", "reading"):
            values[key] = Share(**values[key]) if values.get(key) else None
        for key in ("referrals", "breaches"):
            values[key] = Clocks(**values[key])
        for key in ("term_start", "term_end"):
            values[key] = date.fromisoformat(values[key])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class BoardLine:
    """One school in the pack: its configuration, this term's figures and last term's."""

    school: SchoolConfig
    row: SchoolBoard
    before: SchoolBoard | None


def total(rows: Sequence[SchoolBoard], name: str) -> SchoolBoard:
    """The trust's total: every school's counts added up (``protect`` says which are shown)."""
    first = rows[0]
    return SchoolBoard(
        name=name,
        term=first.term,
        term_start=min(r.term_start for r in rows),
        term_end=max(r.term_end for r in rows),
        staff=_sum([r.staff for r in rows], 0),
        training=_sum([r.training for r in rows], Share(0, 0)),
        acknowledged=_sum([r.acknowledged for r in rows], Share(0, 0)),
        reading=_sum([r.reading for r in rows], Share(0, 0)),
        scr_gaps=_sum([r.scr_gaps for r in rows if r.scr_gaps is not None] or [None], 0),
        concerns=sum(r.concerns for r in rows),
        allegations=sum(r.allegations for r in rows),
        referrals=sum((r.referrals for r in rows), Clocks()),
        breaches=sum((r.breaches for r in rows), Clocks()),
        policies_overdue=_sum([r.policies_overdue for r in rows], 0),
        trust=True,
        recomputed=any(r.recomputed for r in rows),
    )


def _sum(values: Sequence[Any], zero: Any) -> Any:
    """The sum, or None (not stated) where a school's figure is not stated (an SCR never
    checked is left out of the trust's gaps, which says so: not stated in that school)."""
    return None if any(v is None for v in values) else sum(values, zero)


def shown_count(value: int, row: SchoolBoard, key: str) -> int | str:
    """A count about people (``PROTECTED``) as the pack shows it: exact, or "fewer than 5"
    when small, or "not shown" when hidden so that no sum gives a small one away."""
    if key not in row.hidden:
        return value
    return FEWER_THAN_5 if value < SMALL and not row.trust else NOT_SHOWN


# the counts about people: each school's and the trust's, protected together (``protect``)
PROTECTED: dict[str, Callable[[SchoolBoard], int]] = {
    "concerns": lambda r: r.concerns,
    "allegations": lambda r: r.allegations,
    "referrals": lambda r: r.referrals.started,  # and those met in time: started less the rest
}
_INF = float("inf")


def _ranges(
    values: Sequence[int],
    bounds: Sequence[tuple[float, float]],
    hidden: set[int],
    pool: tuple[set[int], float] = (set(), _INF),
) -> dict[int, tuple[float, float]]:
    """What a reader can work out of each hidden count from the total (every count a school's
    share of it): the lowest and highest it can be, given the others' bounds, those of the
    schools in ``pool`` together at most its figure (allegations among hidden concerns)."""
    rest = sum(values[i] for i in hidden)
    schools, most = pool

    def others_most(i: int) -> float:
        free = sum(bounds[j][1] for j in hidden - schools if j != i)
        return free + min(sum(bounds[j][1] for j in hidden & schools if j != i), most)

    return {
        i: (
            max(bounds[i][0], rest - others_most(i)),
            min(bounds[i][1], rest - sum(bounds[j][0] for j in hidden if j != i)),
        )
        for i in hidden
    }


def _group(
    values: Sequence[int],
    bounds: Sequence[tuple[float, float]],
    small: set[int],
    pool: tuple[set[int], float] = (set(), _INF),
) -> tuple[set[int], dict[int, tuple[float, float]] | None]:
    """The schools whose count is hidden, and what a reader can work out of each (None: the
    total is hidden too). Small counts first; while one of them could be worked out from the
    total, the next smallest shown count is hidden with them; when none is left, the total."""
    hidden = set(small)
    while hidden:
        ranges = _ranges(values, bounds, hidden, pool)
        if all(high > low for low, high in ranges.values()):
            return hidden, ranges
        shown = sorted(set(range(len(values))) - hidden, key=lambda i: values[i])
        if not shown:
            return set(small), None
        hidden.add(shown[0])
    return hidden, {}


def _bounds(key: str, row: SchoolBoard, value: int, highest: float) -> tuple[float, float]:
    """What a reader knows of a school's hidden count from its own cells: under 5 or at least
    5; its concerns at least its allegations shown; its allegations at most its concerns
    (``highest``: as far as they can be worked out); its referrals those missed or running and
    those met in time, which are said."""
    low, high = (0.0, SMALL - 1.0) if value < SMALL else (float(SMALL), _INF)
    if key == "concerns":
        low = max(low, row.allegations if row.allegations >= SMALL else 0)
    if key == "allegations":
        high = min(high, highest)
    if key == "referrals":
        missed = row.referrals.late + row.referrals.running
        small = row.referrals.in_time < SMALL
        low, high = (missed, missed + SMALL - 1.0) if small else (missed + SMALL, _INF)
    return low, high


def protect(
    rows: Sequence[SchoolBoard], whole: SchoolBoard | None
) -> tuple[list[SchoolBoard], SchoolBoard | None]:
    """The schools' and the trust's figures with the counts about people that must not be
    shown marked ``hidden``: below 5 in a school, and as many more (or the trust's total) as
    it takes that no sum of what is shown tells a small one. A reader is assumed to know the
    rule: a small count lies in 0 to 4, a hidden larger one at 5 or more, a school's
    allegations are among its concerns, and its referrals are at least those missed or running
    (``tests/features/trust/test_suppression.py`` proves it over generated trusts)."""
    hidden: list[set[str]] = [set() for _ in rows]
    whole_hidden: set[str] = set()
    highest = [float(r.concerns) for r in rows]  # what a reader can work out of each
    pool: tuple[set[int], float] = (set(), _INF)
    for key, figure in PROTECTED.items():
        values = [figure(r) for r in rows]
        small = {
            i
            for i, r in enumerate(rows)
            if values[i] < SMALL or (key == "referrals" and r.referrals.in_time < SMALL)
        }
        bounds = [_bounds(key, r, values[i], highest[i]) for i, r in enumerate(rows)]
        cells, ranges = _group(values, bounds, small, pool) if whole else (small, {})
        if ranges is None:
            whole_hidden.add(key)
        for i in cells:
            hidden[i].add(key)
        if key == "concerns":  # the schools' allegations are among these, at most their sum
            for i in cells:
                highest[i] = (ranges or dict.fromkeys(cells, bounds[i]))[i][1]
            most = _INF if ranges is None else sum(values[i] for i in cells)
            pool = (cells, float(most))
    rows = [replace(r, hidden=frozenset(h)) for r, h in zip(rows, hidden, strict=True)]
    return rows, None if whole is None else replace(whole, hidden=frozenset(whole_hidden))


def _pct(share: Share | None) -> int | None:
    return None if share is None else share.pct


# the figures compared with last term: (CSV column, the figure, higher is better)
TREND: tuple[tuple[str, Callable[[SchoolBoard], int | None], bool | None], ...] = (
    ("staff", lambda r: r.staff, None),
    ("safeguarding_training_in_date_pct", lambda r: _pct(r.training), True),
    ("policies_acknowledged_pct", lambda r: _pct(r.acknowledged), True),
    ("statutory_reading_done_pct", lambda r: _pct(r.reading), True),
    ("scr_gaps", lambda r: r.scr_gaps, False),
    ("concerns_opened", lambda r: r.concerns, None),  # neither better nor worse
    ("allegations_against_staff", lambda r: r.allegations, None),
    ("staff_route_referrals_late", lambda r: r.referrals.late, False),
    ("breaches_late", lambda r: r.breaches.late, False),
    ("policies_overdue_review", lambda r: r.policies_overdue, False),
)


_KEYS = {"concerns_opened": "concerns", "allegations_against_staff": "allegations"}


def change(row: SchoolBoard, before: SchoolBoard | None) -> dict[str, int]:
    """Which figures moved since ``before`` (last term's) and by how much (a rate in points);
    a count's change is left out where either term's count is not shown (the change would
    tell it)."""
    if before is None:
        return {}
    moved = {}
    for column, figure, _ in TREND:
        now, then = figure(row), figure(before)
        if now is None or then is None or now == then:
            continue
        if _KEYS.get(column) in row.hidden | before.hidden:
            continue
        moved[column] = now - then
    return moved


def worse(row: SchoolBoard, before: SchoolBoard | None) -> list[str]:
    """The columns of the figures that are worse than last term."""
    moved = change(row, before)
    return [
        column
        for column, _, better in TREND
        if better is not None and column in moved and (moved[column] > 0) != better
    ]


def exceptions(
    row: SchoolBoard, before: SchoolBoard | None, threshold: int
) -> list[tuple[str, dict[str, Any]]]:
    """What in one school needs the board's eye, each a sentence of the catalogue (``N_``)
    and its values: a rate below the trust's threshold, SCR gaps, a deadline missed, a policy
    overdue for review, and any figure worse than last term."""
    found: list[tuple[str, dict[str, Any]]] = []
    for message, share in (
        (
            N_(
                "Safeguarding training in date: %(pct)s%% (%(done)s of %(owed)s), below the "
                "trust's %(threshold)s%%."
            ),
            row.training,
        ),
        (
            N_(
                "Policies acknowledged: %(pct)s%% (%(done)s of %(owed)s), below the trust's "
                "%(threshold)s%%."
            ),
            row.acknowledged,
        ),
        (
            N_(
                "Statutory reading done: %(pct)s%% (%(done)s of %(owed)s), below the trust's "
                "%(threshold)s%%."
            ),
            row.reading,
        ),
    ):
        if share is not None and share.pct is not None and share.pct < threshold:
            found.append((message, {**asdict(share), "pct": share.pct, "threshold": threshold}))
    for message, count in (
        (N_("Single central record gaps open: %(num)s."), row.scr_gaps or 0),
        (N_("%(route)s referral deadlines missed: %(num)s."), row.referrals.late),
        (N_("%(regulator)s breach deadlines (72 hours) missed: %(num)s."), row.breaches.late),
        (N_("Policies overdue for review: %(num)s."), row.policies_overdue or 0),
    ):
        if count:
            found.append((message, {"num": count}))
    if went_down := worse(row, before):
        found.append((N_("Worse than last term: %(figures)s."), {"figures": went_down}))
    return found


NOT_STATED = "not stated"


def _stated(value: object) -> object:
    return NOT_STATED if value is None else value


def _cells(row: SchoolBoard, moved: Mapping[str, int] | None) -> list[object]:
    def pct(share: Share | None) -> object:  # nothing owed: an empty cell
        return NOT_STATED if share is None else "" if share.pct is None else share.pct

    said = (
        "no earlier term"
        if moved is None
        else "; ".join(f"{k} {v:+d}" for k, v in moved.items()) or "no change"
    )
    shares = [
        x
        for s in (row.training, row.acknowledged, row.reading)
        for x in ((NOT_STATED,) * 2 if s is None else (s.done, s.owed))
    ]
    return [
        row.name,
        _stated(row.staff),
        pct(row.training),
        pct(row.acknowledged),
        pct(row.reading),
        _stated(row.scr_gaps),
        shown_count(row.concerns, row, "concerns"),
        shown_count(row.allegations, row, "allegations"),
        shown_count(row.referrals.in_time, row, "referrals"),
        row.breaches.in_time,
        _stated(row.policies_overdue),
        said,
        *shares,
        NOT_SHOWN if "referrals" in row.hidden else row.referrals.started,
        row.referrals.late,
        row.breaches.started,
        row.breaches.late,
        row.term,
        row.term_start.isoformat(),
        row.term_end.isoformat(),
    ]


def board_csv(rows: Sequence[tuple[SchoolBoard, SchoolBoard | None]]) -> str:
    """``trust-board.csv``: one row per school, then the trust's (``school`` = trust), each
    with last term's figures beside it (None: no earlier term) for the change."""
    return csv_text(
        COLUMNS,
        [
            _cells(
                row if not row.trust else replace(row, name="trust"),
                None if before is None else change(row, before),
            )
            for row, before in rows
        ],
    )
