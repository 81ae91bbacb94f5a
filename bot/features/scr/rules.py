"""The safer-recruitment check's pure rules: from the SCR's rows (whether and when), the
people working in the school, their training and the interview panels, the gaps — never the
records themselves. ``today`` is handed in.

Which checks the law asks of whom comes from the school's nation pack (``scr_checks``): a
check ``everyone`` needs is asked of each member of staff (agency staff: the identity check
and the agency's written confirmation instead), ``teaching`` of those the SCR marks as
teaching, ``management`` of management posts, ``abroad`` of those who lived or worked abroad,
``governors`` of governors, trustees and members; ``settings = "independent"`` checks (s128)
only in independent schools and academies (``find_gaps(..., independent=True)`` for both).
A volunteer is asked the checks of regulated activity (identity, barred list, criminal record,
overseas); volunteers, supply workers and governors are on the record while they come in, never
leavers for want of a contract. A check the school's spreadsheet has no column for is not
judged (``judged``): the import says so once, and no gap of it is found for anybody. A renewal
or expiry date the record holds that has passed is a gap, for every check that has one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.core.language.i18n import N_, Msg
from bot.core.language.said_forms import capital
from bot.core.nations import ScrCheck, Words
from bot.engine.periods import add_months, cycle_start

__all__ = [
    "GAP_KINDS",
    "RIGHT_TO_WORK_WARNING",
    "Entry",
    "Gap",
    "Panel",
    "StaffMember",
    "board_word",
    "describe",
    "find_gaps",
    "gap_counts",
    "kind_headings",
    "unjudged",
]

RIGHT_TO_WORK_WARNING = timedelta(days=60)
# the five-year PVG membership applies to those joining from this day (Disclosure (Scotland)
# Act 2020 s.71, in force 1 April 2026); earlier members move over in phases, not stated when
FIVE_YEAR_PVG_FROM = date(2026, 4, 1)
# each kind of gap as the page's headings say it, in the order the page lists them
GAP_KINDS: dict[str, str] = {
    "missing_check": N_("Check missing or undated"),
    "late_check": N_("Check dated after the start date, no risk assessment recorded"),
    "renewal_due": N_("Due for renewal"),
    "right_to_work_expiring": N_("Right to work running out"),
    "agency_confirmation": N_("Agency's written confirmation missing"),
    "left_in_scr": N_("On the record but not working here"),
    "not_in_scr": N_("Working here but not on the record"),
    "governor_missing": N_("Governor not on the record"),
    "no_training": N_("No safeguarding training this school year"),
    "panel_untrained": N_("Interview panel without safer recruitment training"),
}


@dataclass(frozen=True)
class CheckValue:
    """One check of an SCR row: done or not, when, and when it runs out."""

    done: bool
    checked_on: date | None = None
    expires_on: date | None = None


@dataclass(frozen=True)
class Entry:
    """One SCR row as stored (``person_id`` None: it matched nobody in the school)."""

    person_id: int | None
    name: str
    start_date: date | None = None
    left_on: date | None = None
    agency: bool = False
    lived_abroad: bool = False
    management: bool = False
    teaching: bool = False
    risk_assessed: bool = False
    safeguarding_training_on: date | None = None
    safer_recruitment_on: date | None = None
    checks: Mapping[str, CheckValue] = field(default_factory=dict)
    kind: str = "staff"  # staff, volunteer, supply or governor (``ScrRow.kind``)


# who is on the record while they come in, whatever their contract says: never a leaver
_COMING_IN = frozenset({"volunteer", "supply", "governor"})
# the checks of regulated activity a volunteer is asked
_VOLUNTEER_CHECKS = frozenset({"identity", "barred_list", "criminal_record", "overseas"})


@dataclass(frozen=True)
class StaffMember:
    """A person of the school as the check needs them: working here, or a governor."""

    person_id: int
    name: str
    working: bool  # on the staff (supply and volunteers too) and not left
    governor: bool  # a governor, trustee or member
    start_date: date | None = None
    safeguarding_training_on: date | None = None  # the latest training record
    safer_recruitment_on: date | None = None
    volunteer: bool = False  # on the record; not asked for staff training


@dataclass(frozen=True)
class Panel:
    """An interview panel: its title and its members' person ids."""

    id: int
    title: str
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class Gap:
    """One gap: its kind, whom it is about (a person, an SCR row or a panel), the check."""

    kind: str
    subject: str
    person_id: int | None = None
    check: str | None = None
    detail: date | str = ""  # a date, or a panel's title
    panel_id: int | None = None

    @property
    def key(self) -> str:
        """The gap's identity across sweeps: the same gap found again is the same row."""
        who = str(self.person_id) if self.person_id is not None else f"row:{self.subject}"
        if self.panel_id is not None:
            who = f"panel:{self.panel_id}"
        return f"{self.kind}:{who}:{self.check or ''}"[:200]


def board_word(words: Words, *, academy: bool = False) -> Msg:
    """Who governs the school as its SCR names them: an academy's trust's members and trustees
    beside its governors, else the school's word (an independent school's proprietor body
    member)."""
    if not academy:
        return Msg(words.governor)
    return Msg(N_("trustee, member or %(governor)s"), governor=Msg(words.governor))


def kind_headings(words: Words, *, academy: bool = False) -> dict[str, Msg]:
    """Each kind of gap as a heading, in the school's words (an independent school's
    proprietor body member, an academy's trustees and members, Scotland's board member)."""
    headings = {kind: Msg(heading) for kind, heading in GAP_KINDS.items()}
    return {
        **headings,
        "governor_missing": Msg(
            N_("%(governor)s not on the record"),
            governor=capital(board_word(words, academy=academy)),
        ),
    }


_NOT_DATED = "not dated"  # a check recorded as done, with no date
_GAP_SENTENCES = {
    "late_check": N_(
        "%(check)s dated %(detail)s, after the start date, with no risk assessment recorded"
    ),
    "renewal_due": N_("%(check)s: renewal was due on %(detail)s"),
    "right_to_work_expiring": N_("%(check)s runs out on %(detail)s"),
    "agency_confirmation": N_("agency staff: no written confirmation of the agency's checks"),
    "left_in_scr": N_("on the single central record, but not working here (no leaving date)"),
    "not_in_scr": N_("working here, but not on the single central record"),
    "governor_missing": N_("%(governor)s: not on the single central record"),
    "no_training": N_("no safeguarding training date since %(detail)s"),
    "panel_untrained": N_("interview panel '%(detail)s': no member trained in safer recruitment"),
}


def describe(gap: Gap, checks: Mapping[str, str], words: Words, *, academy: bool = False) -> Msg:
    """The gap in the school's words (``checks``: each check's name in its nation), said
    where shown (a date in it too)."""
    if gap.kind == "missing_check":
        sentence = (
            N_("%(check)s: not dated")
            if gap.detail == _NOT_DATED
            else N_("%(check)s: not recorded")
        )
    else:
        sentence = _GAP_SENTENCES[gap.kind]
    return Msg(
        sentence,
        check=Msg(checks[gap.check]) if gap.check and gap.check in checks else Msg(N_("check")),
        detail=gap.detail,
        governor=board_word(words, academy=academy),
    )


def _applies(check: ScrCheck, entry: Entry, *, governor: bool, independent: bool) -> bool:
    """Whether the law asks this check of this person."""
    if not check.statutory or (check.settings == "independent" and not independent):
        return False
    if governor:
        return "governors" in check.applies
    if entry.agency:  # the agency makes the checks; the school checks identity and the letter
        return check.id in ("identity", "agency_confirmation")
    if entry.kind == "volunteer" and check.id not in _VOLUNTEER_CHECKS:
        return False
    wanted = {
        "everyone": True,
        "teaching": entry.teaching,
        "management": entry.management,
        "abroad": entry.lived_abroad,
        "agency": entry.agency,
        "governors": False,
    }
    return any(wanted[a] for a in check.applies)


def _check_gaps(
    entry: Entry,
    who: StaffMember,
    pack: Sequence[ScrCheck],
    today: date,
    *,
    independent: bool,
    judged: Collection[str] | None = None,
) -> Iterable[Gap]:
    """A person's check gaps: missing or undated, late without a risk assessment, renewal."""
    start = entry.start_date or who.start_date
    for check in pack:
        if judged is not None and check.id not in judged:
            continue
        if not check.in_force_on(today) or not _applies(  # a rule not (or no longer) in force
            check, entry, governor=who.governor and not who.working, independent=independent
        ):
            continue
        value = entry.checks.get(check.id)
        if check.id == "agency_confirmation" and (value is None or not value.done):
            yield Gap("agency_confirmation", who.name, who.person_id, check.id)
            continue
        if value is None or not value.done:
            yield Gap("missing_check", who.name, who.person_id, check.id)
            continue
        if value.checked_on is None:
            yield Gap("missing_check", who.name, who.person_id, check.id, _NOT_DATED)
            continue
        if start is not None and value.checked_on > start and not entry.risk_assessed:
            yield Gap("late_check", who.name, who.person_id, check.id, value.checked_on)
        due = _renewal(check, value)
        if due is not None and due <= today and check.id != "right_to_work":
            yield Gap("renewal_due", who.name, who.person_id, check.id, due)


def _renewal(check: ScrCheck, value: CheckValue) -> date | None:
    """When a check is due again: the renewal or expiry date the record holds, else the
    nation's term counted from the check (Scotland's five-year PVG membership, for members
    from 1 April 2026; earlier members move over in phases not yet stated)."""
    if value.expires_on is not None:
        return value.expires_on
    if check.renew_years and value.checked_on and value.checked_on >= FIVE_YEAR_PVG_FROM:
        return add_months(value.checked_on, 12 * check.renew_years)
    return None


def _right_to_work(entry: Entry, who: StaffMember, today: date) -> Iterable[Gap]:
    value = entry.checks.get("right_to_work")
    if (
        value is not None
        and value.expires_on is not None
        and value.expires_on <= today + RIGHT_TO_WORK_WARNING
    ):
        yield Gap(
            "right_to_work_expiring", who.name, who.person_id, "right_to_work", value.expires_on
        )


def find_gaps(
    entries: Sequence[Entry],
    people: Sequence[StaffMember],
    panels: Sequence[Panel],
    pack: Sequence[ScrCheck],
    today: date,
    *,
    independent: bool = False,
    judged: Collection[str] | None = None,
) -> list[Gap]:
    """Every gap of the school's safer recruitment, in the order the page lists them
    (``independent``: an independent school or an academy, where s128 applies; ``judged``:
    the checks the school's record has a column for, None: every one)."""
    by_person = {e.person_id: e for e in entries if e.person_id is not None}
    known = {p.person_id: p for p in people}
    gaps = list(_leavers(entries, known))
    for who in people:
        found = by_person.get(who.person_id)
        if found is None:
            if who.working:
                gaps.append(Gap("not_in_scr", who.name, who.person_id))
            elif who.governor:
                gaps.append(Gap("governor_missing", who.name, who.person_id))
        elif found.left_on is None or found.left_on > today:
            gaps.extend(
                _check_gaps(found, who, pack, today, independent=independent, judged=judged)
            )
            if who.working and (judged is None or "right_to_work" in judged):
                gaps.extend(_right_to_work(found, who, today))
        gaps.extend(_training(who, found, today))
    gaps.extend(_panel_gaps(panels, known, by_person))
    order = list(GAP_KINDS)
    return sorted(gaps, key=lambda g: (order.index(g.kind), g.subject.casefold(), g.check or ""))


def _leavers(entries: Sequence[Entry], known: Mapping[int, StaffMember]) -> Iterable[Gap]:
    """Rows for someone not here, with no leaving date: never a volunteer, supply worker or
    governor, who are on the record while they come in."""
    for entry in entries:
        who = known.get(entry.person_id) if entry.person_id is not None else None
        here = who is not None and (who.working or who.governor)
        if entry.left_on is None and not here and entry.kind not in _COMING_IN:
            yield Gap("left_in_scr", who.name if who else entry.name, entry.person_id)


def _training(who: StaffMember, found: Entry | None, today: date) -> Iterable[Gap]:
    """No safeguarding training this school year (staff, not volunteers): the latest date the
    training records or the record hold."""
    if not who.working or who.volunteer:
        return
    year_start = cycle_start(today, "09-01")
    dates = (who.safeguarding_training_on, found.safeguarding_training_on if found else None)
    trained = max(filter(None, dates), default=None)
    if trained is None or trained < year_start:
        yield Gap("no_training", who.name, who.person_id, detail=year_start)


def _panel_gaps(
    panels: Sequence[Panel], known: Mapping[int, StaffMember], by_person: Mapping[int, Entry]
) -> Iterable[Gap]:
    """Each panel without a member trained in safer recruitment (any date: how often the
    training is renewed is not stated in the guidance)."""
    for panel in panels:
        trained = any(
            (m in known and known[m].safer_recruitment_on is not None)
            or (m in by_person and by_person[m].safer_recruitment_on is not None)
            for m in panel.member_ids
        )
        if not trained:
            yield Gap("panel_untrained", panel.title, None, None, panel.title, panel.id)


def unjudged(
    pack: Sequence[ScrCheck],
    judged: Collection[str],
    entries: Sequence[Entry],
    *,
    independent: bool = False,
) -> list[ScrCheck]:
    """The checks the law asks of somebody on the record that the record has no column for:
    not judged (said once at the import, never a gap a person)."""
    return [
        check
        for check in pack
        if check.id not in judged
        and any(_applies(check, e, governor=False, independent=independent) for e in entries)
    ]


def gap_counts(kinds: Iterable[str]) -> dict[str, int]:
    """How many gaps of each kind (every kind named, 0 where none): what the dashboard, the
    digest, the governors' report and the evidence pack show — never a name."""
    counts = dict.fromkeys(GAP_KINDS, 0)
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return counts
