"""The termly governors' report: policy reviews, acknowledgement and training rates, AUP
signatures and breach/concern report counts — figures only, never names or report details.

Terms are the school's configured ``terms`` (by name); without any, the usual English terms are
assumed: Autumn (1 September – 31 December), Spring (1 January – 31 March) and Summer
(1 April – 31 August). Register state, rates and signatures are as of the report date; reviews
and reports are those dated inside the term.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import local_instant
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Dated, Said, nsay, say, speaking
from bot.core.language.words import Words, capital, default_words, said_words, school_words
from bot.core.models import Policy, PolicyReview, Report
from bot.core.rendering.pdf import A4Report
from bot.features.dashboard.api import Figures, read_figures
from bot.features.policies.api import policies_of
from bot.features.reports.api import CATEGORIES
from bot.features.reports.api import STATUSES as REPORT_STATUSES
from bot.features.scr.api import open_counts as scr_counts

__all__ = [
    "AccountLine",
    "GovernorsReport",
    "PolicyLine",
    "ReportError",
    "ReviewLine",
    "Term",
    "build_report",
    "outcome_bucket",
    "pick_term",
    "render_pdf",
    "short_day",
    "term_name",
    "term_reports",
    "terms_for",
]

# the register's states and the outcome labels are words a governor reads: kept as they are for
# the catalogue (``N_``) and said in the reader's language where shown (``_()``, ``tr.gettext``)
STATUSES = (N_("current"), N_("due soon"), N_("overdue"), N_("under review"), N_("no review date"))
NO_OUTCOME = N_("no outcome yet")
FREE_TEXT_OUTCOME = N_("outcome recorded (details withheld)")
# the usual English terms' names, in the reader's language ('Tymor yr hydref 2026')
_SEASONS = {
    "Autumn": N_("Autumn %(year)s"),
    "Spring": N_("Spring %(year)s"),
    "Summer": N_("Summer %(year)s"),
}


class ReportError(SaidError, ValueError):
    """The report cannot be made as asked (e.g. an unknown term); ``str()`` says why (the
    usual terms' names in the reader's language where shown)."""

    def __init__(self, message: str, *, terms: Sequence[str] = (), **values: str) -> None:
        names = Said(lambda: ", ".join(term_name(name) for name in terms))
        super().__init__(message, names=names, **values)


@dataclass(frozen=True)
class Term:
    """A named span of school dates."""

    name: str
    start: date
    end: date

    @property
    def slug(self) -> str:
        """The name as used in a URL (``autumn-2026``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


def _standard_terms(year: int) -> list[Term]:
    """The usual English terms of the school year starting in September ``year``."""
    return [
        Term(f"Autumn {year}", date(year, 9, 1), date(year, 12, 31)),
        Term(f"Spring {year + 1}", date(year + 1, 1, 1), date(year + 1, 3, 31)),
        Term(f"Summer {year + 1}", date(year + 1, 4, 1), date(year + 1, 8, 31)),
    ]


def terms_for(school: SchoolConfig, today: date) -> list[Term]:
    """The terms a report may cover, oldest first (configured, else standard around today)."""
    if school.terms:
        return sorted((Term(t.name, t.start, t.end) for t in school.terms), key=lambda t: t.start)
    first = today.year - 1 if today.month < 9 else today.year
    return [t for year in (first - 1, first, first + 1) for t in _standard_terms(year)]


def pick_term(school: SchoolConfig, term: str | None, today: date) -> Term:
    """The named term (name or slug, any case), else the current or most recent one."""
    terms = terms_for(school, today)
    if term:
        wanted = term.strip().lower()
        if named := [t for t in terms if wanted in (t.name.lower(), t.slug)]:
            return named[0]
        raise ReportError(
            N_("unknown term %(term)s; the terms are: %(names)s"),
            term=repr(term),
            terms=[t.name for t in terms],
        )
    current = [t for t in terms if t.start <= today <= t.end]
    past = [t for t in terms if t.end < today]
    return (current or past[-1:] or terms)[0]  # else the most recent, else the first


@dataclass(frozen=True)
class PolicyLine:
    """One policy's review and acknowledgement state."""

    title: str
    version: str | None
    status: str
    next_review: date | None
    ack_done: int
    ack_owed: int


@dataclass(frozen=True)
class ReviewLine:
    """A review recorded in the term."""

    title: str
    reviewed_on: date
    body: str
    minute_ref: str | None


@dataclass(frozen=True)
class AccountLine:
    """An official account's AUP signature state (counts only)."""

    name: str
    platform: str
    holders: int
    unsigned: int


@dataclass
class GovernorsReport:
    """Everything the report shows."""

    school_name: str
    term: Term
    as_of: date
    policies: list[PolicyLine] = field(default_factory=list)
    reviewed: list[ReviewLine] = field(default_factory=list)
    due_in_term: list[PolicyLine] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    ack_done: int = 0
    ack_owed: int = 0
    training_done: int = 0
    training_owed: int = 0
    # each course: (its name, up to date, who should be), so one standard reads on its own
    courses: list[tuple[str, int, int]] = field(default_factory=list)
    # the shares done, as the dashboard's figures work them out (1.0 when none are owed)
    ack_rate: float = 1.0
    training_rate: float = 1.0
    accounts: list[AccountLine] = field(default_factory=list)
    reports_by_category: dict[str, int] = field(default_factory=dict)
    reports_by_status: dict[str, int] = field(default_factory=dict)
    reports_by_outcome: dict[str, int] = field(default_factory=dict)
    # "reports about the headteacher are not counted", in the school's words
    head_reports_note: str = ""
    # the single central record's open gaps, counted (None: the SCR was never checked)
    scr_gaps: int | None = None

    def scr_sentence(self) -> str:
        """The SCR's gaps in one sentence, counts only (in the active language)."""
        if self.scr_gaps is None:
            return say("Single central record: not stated (not checked by the bot yet).")
        return nsay(
            "Single central record: %(num)s gap open (counts only).",
            "Single central record: %(num)s gaps open (counts only).",
            self.scr_gaps,
        )

    @property
    def overdue(self) -> list[PolicyLine]:
        """Policies past their review date."""
        return [p for p in self.policies if p.status == "overdue"]

    @property
    def reports_total(self) -> int:
        """Reports made in the term."""
        return sum(self.reports_by_category.values())

    @property
    def unsigned_holders(self) -> int:
        """Official account holders who have not signed the current AUP."""
        return sum(a.unsigned for a in self.accounts)


# outcomes shown to governors as they are: the usual ones, in any case, spaces or underscores
KNOWN_OUTCOMES = frozenset(
    {
        N_("no further action"),
        N_("advice given"),
        N_("monitoring"),
        N_("early help"),
        N_("resolved in school"),
        N_("referred to lado"),
        N_("referred to social care"),
        N_("referred to children's social care"),
        N_("referred to police"),
        N_("referred to prevent"),
        N_("ico notified"),
        N_("not reportable to ico"),
    }
)


def outcome_bucket(outcome: str | None) -> str:
    """A safe label for a report outcome: the usual outcomes as they are, anything else withheld.

    Outcomes are typed by the DSL and may name people ("spoke with Tamsin's mum", in any case),
    so only an outcome from ``KNOWN_OUTCOMES`` is shown (``no_further_action`` reads "no further
    action"); anything else is counted as "outcome recorded (details withheld)".
    """
    text = (outcome or "").strip()
    if not text:
        return NO_OUTCOME
    words = " ".join(re.sub(r"[_-]+", " ", text.lower()).split())
    return words if words in KNOWN_OUTCOMES else FREE_TEXT_OUTCOME


def head_reports_note(words: Words) -> str:
    """Why the counts leave out reports about the head, in the school's words (in the active
    language)."""
    said = said_words(words)
    return say(
        "Reports about the %(head)s are not counted here; the %(dsl)s and the %(chair)s hold them.",
        head=said.headteacher,
        dsl=said.dsl_full,
        chair=said.chair,
    )


def term_name(name: str) -> str:
    """A term's name as the reader says it: the usual English terms ('Autumn 2026') in the
    active language ('Tymor yr hydref 2026'); a school's own name as it wrote it."""
    season, _, year = name.partition(" ")
    if season in _SEASONS and year.isdigit():
        return say(_SEASONS[season], year=year)
    return name


def short_day(day: date | None) -> str:
    """'16 Sep 2026', '16 Medi 2026' (in the active language); '—' for none."""
    return "—" if day is None else str(Dated(day, "%d %b %Y", "dd MMM y"))


def _label(code: str, labels: dict[str, str]) -> str:
    """A category or status code as its label, else as words (``data_breach``: Data breach)."""
    if code in labels:
        return labels[code]
    words = re.sub(r"[_-]+", " ", code).strip()
    return words[:1].upper() + words[1:]


def _counts(labels: Iterable[str]) -> dict[str, int]:
    """How many of each label, by label."""
    return dict(sorted(Counter(labels).items()))


def _reviewed(
    session: Session, school_id: str, term: Term, policies: Sequence[Policy]
) -> list[ReviewLine]:
    """The reviews recorded in the term, and those known only from the configuration."""
    titles = {p.id: p.title for p in policies}
    reviews = session.scalars(
        select(PolicyReview)
        .where(
            PolicyReview.school_id == school_id,
            PolicyReview.reviewed_on >= term.start,
            PolicyReview.reviewed_on <= term.end,
        )
        .order_by(PolicyReview.reviewed_on, PolicyReview.id)
    ).all()
    recorded = {review.policy_id for review in reviews}
    reviewed = [
        ReviewLine(titles.get(r.policy_id, "?"), r.reviewed_on, r.body, r.minute_ref)
        for r in reviews
    ] + [  # reviews known only from the configuration (no recorded row)
        ReviewLine(p.title, p.last_reviewed, p.approving_body, None)
        for p in policies
        if p.last_reviewed and term.start <= p.last_reviewed <= term.end and p.id not in recorded
    ]
    return sorted(reviewed, key=lambda r: (r.reviewed_on, r.title))


def term_reports(school_id: str, term: Term) -> Select[Report]:
    """The school's reports made in ``term``, those about the head left out: the report goes
    to the whole governing body, the headteacher among them (the chair holds those)."""
    return select(Report).where(
        Report.school_id == school_id,
        Report.created_at >= local_instant(term.start),
        Report.created_at < local_instant(term.end + timedelta(days=1)),
        Report.about_headteacher.is_(False),
    )


def build_report(
    session: Session, school: SchoolConfig, term: Term, today: date, figures: Figures | None = None
) -> GovernorsReport:
    """Gather the report's figures for one school and term (reuses ``read_figures``, or
    the ``figures`` the caller already has for ``today``)."""
    figures = figures or read_figures(session, school.id, today)
    report = GovernorsReport(
        school_name=school.name,
        term=term,
        as_of=today,
        head_reports_note=head_reports_note(school_words(school)),
    )
    # (the note is said again in the reader's language where the report is shown)
    report.policies = [  # the register's policies, as the dashboard figures them
        PolicyLine(p.title, p.version, p.review, p.next_review, p.done, p.owed)
        for p in figures.policies
    ]
    report.due_in_term = [
        p for p in report.policies if p.next_review and term.start <= p.next_review <= term.end
    ]
    counts = Counter(p.status for p in report.policies)
    report.status_counts = {s: counts.get(s, 0) for s in STATUSES}
    policies = session.scalars(policies_of(school.id)).all()
    report.reviewed = _reviewed(session, school.id, term, policies)
    report.ack_done, report.ack_owed = figures.ack_done, figures.ack_owed
    report.training_done, report.training_owed = figures.training_done, figures.training_owed
    report.courses = [(t.course, t.up_to_date, t.audience) for t in figures.training]
    report.ack_rate, report.training_rate = figures.ack_rate, figures.training_rate
    scr = scr_counts(session, school.id)
    report.scr_gaps = sum(scr.values()) if scr is not None else None
    report.accounts = [
        AccountLine(a.name, a.platform, a.holders, a.unsigned) for a in figures.accounts
    ]
    rows = session.execute(
        term_reports(school.id, term).with_only_columns(
            Report.category, Report.status, Report.outcome
        )
    ).all()
    report.reports_by_category = _counts(_label(cat, CATEGORIES) for cat, _, _ in rows)
    report.reports_by_status = _counts(_label(s, REPORT_STATUSES) for _, s, _ in rows)
    report.reports_by_outcome = _counts(outcome_bucket(result) for _, _, result in rows)
    return report


def _percent(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def render_pdf(report: GovernorsReport, language: str = "en", words: Words | None = None) -> bytes:
    """The report as an A4 PDF (``bot.core.rendering.pdf``), headings and tables only, in
    ``language`` (``cy+en``: the whole report in Welsh, then in English from a new page); the
    school's ``words`` for the note on reports about the head (the report's own else)."""
    with speaking(language):
        doc = A4Report(str(Said(lambda: _title(report, words))), language)
    for _half in doc.halves():
        _write_pdf(doc, report, words)
    return doc.render()


def _governors_of(words: Words | None) -> str:
    """The school's "governors'" before a noun (a proprietor body's), in the active language."""
    return str(said_words(words or default_words()).governors_of)


def _title(report: GovernorsReport, words: Words | None) -> str:
    return capital(
        say(
            "%(of)s report - %(school)s - %(term)s",
            school=report.school_name,
            term=term_name(report.term.name),
            of=_governors_of(words),
        )
    )


_ = say  # a sentence of the catalogue in the active language (placeholders left to fill)


def _write_pdf(doc: A4Report, report: GovernorsReport, words: Words | None) -> None:
    """The report's sections, in the active language (``en`` or ``cy``)."""
    term = term_name(report.term.name)
    note = head_reports_note(words) if words else report.head_reports_note

    def when(day: date | None) -> str:
        return short_day(day).replace("—", "-")

    def dash(value: str | None) -> str:
        return value or "-"

    doc.text(capital(say("%(of)s report", of=_governors_of(words))), "Title")
    doc.text(
        _(
            "%(school)s - %(term)s (%(start)s to %(end)s); figures as of %(day)s. Counts only: "
            "no names or report details."
        )
        % {
            "school": report.school_name,
            "term": term,
            "start": when(report.term.start),
            "end": when(report.term.end),
            "day": when(report.as_of),
        }
    )
    doc.space(6)
    doc.text(_("1. Policy reviews"), "Heading2")
    doc.text(
        _("Reviewed this term: %(reviewed)d. Due this term: %(due)d. Overdue now: %(overdue)d.")
        % {
            "reviewed": len(report.reviewed),
            "due": len(report.due_in_term),
            "overdue": len(report.overdue),
        }
        + " "
        + ", ".join(
            f"{(s := _(k))[:1].upper()}{s[1:]}: {v}" for k, v in report.status_counts.items()
        )
    )
    doc.space(3)
    doc.table(
        [[_("Policy"), _("Version"), _("Next review"), _("Status")]]
        + [[p.title, dash(p.version), when(p.next_review), _(p.status)] for p in report.policies]
    )
    if report.reviewed:
        doc.space(3)
        doc.table(
            [[_("Reviewed this term"), _("Date"), _("Body"), _("Minute")]]
            + [
                [r.title, when(r.reviewed_on), _(r.body), dash(r.minute_ref)]
                for r in report.reviewed
            ]
        )
    doc.text(_("2. Acknowledgements"), "Heading2")
    doc.text(
        _("Acknowledgement rate: %(rate)s (%(done)d of %(owed)d).")
        % {"rate": _percent(report.ack_rate), "done": report.ack_done, "owed": report.ack_owed}
    )
    doc.table(
        [[_("Policy"), _("Version"), _("Acknowledged"), _("Owed")]]
        + [
            [p.title, dash(p.version), str(p.ack_done), str(p.ack_owed)]
            for p in report.policies
            if p.ack_owed
        ]
    )
    doc.text(_("3. Training"), "Heading2")
    doc.text(
        _("Training rate: %(rate)s (%(done)d of %(owed)d).")
        % {
            "rate": _percent(report.training_rate),
            "done": report.training_done,
            "owed": report.training_owed,
        }
        + " "
        + report.scr_sentence()
    )
    if report.courses:
        doc.table(
            [
                [_("Course"), _("Up to date")],
                *([course, f"{done} / {owed}"] for course, done, owed in report.courses),
            ]
        )
    doc.text(_("4. AUP signatures"), "Heading2")
    doc.text(
        _("Official accounts: %(accounts)d; holders not yet signed: %(unsigned)d.")
        % {"accounts": len(report.accounts), "unsigned": report.unsigned_holders}
    )
    if report.accounts:
        doc.table(
            [[_("Account"), _("Platform"), _("Holders"), _("Not signed")]]
            + [[a.name, a.platform, str(a.holders), str(a.unsigned)] for a in report.accounts]
        )
    doc.text(_("5. Breach and concern reports"), "Heading2")
    doc.text(_("Reports made this term: %(num)d.") % {"num": report.reports_total} + " " + note)
    for heading, counts in (
        (_("Category"), report.reports_by_category),
        (_("Status"), report.reports_by_status),
        (_("Outcome"), report.reports_by_outcome),
    ):
        if counts:
            doc.space(2)
            doc.table([[heading, _("Reports")]] + [[_(k), str(v)] for k, v in counts.items()])
