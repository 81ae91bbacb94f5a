"""The trust board's termly pack made from the record: each school's figures for its own term
(the dashboard's and the governors' report's own computation), last term's beside them (kept
when that pack was made, else the term's reports counted again from the record), the files
signed as the evidence pack is (``bot.core.rendering.signed``), and the leads told once, with
a link (#81)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import OrgConfig, SchoolConfig
from bot.core.language.i18n import N_, Day, Msg
from bot.core.models import ConnectorState, OutboxMessage
from bot.core.outbox import Urgency, enqueue_email
from bot.core.rendering.messages import notice
from bot.core.rendering.signed import signed
from bot.features.dashboard.api import read_figures
from bot.features.governors.api import (
    ReportError,
    Term,
    build_report,
    pick_term,
    term_reports,
    terms_for,
)
from bot.features.reports.api import CATEGORIES, clock_counts
from bot.features.trust.board import (
    BoardLine,
    Clocks,
    SchoolBoard,
    Share,
    board_csv,
    protect,
    total,
)
from bot.features.trust.board_pdf import render_board

__all__ = [
    "CSV_NAME",
    "PDF_NAME",
    "announce",
    "gather",
    "make_files",
    "school_board",
    "term_of",
    "trust_language",
]

PDF_NAME, CSV_NAME = "trust-board.pdf", "trust-board.csv"
PACK_MADE = "trust.board_pack_made"
_KEPT = "trust-board:"  # + the term's slug: a school's figures as the pack found them
_SEASON = re.compile(r"(\d{4})-([a-z]+)")


def term_of(school: SchoolConfig, asked: str | None, today: date) -> tuple[Term, Term | None]:
    """The school's own term the pack covers (``current``, ``previous``, ``2026-autumn`` or a
    term's name) and the one before it (None: none configured)."""
    terms = terms_for(school, today)
    wanted = (asked or "current").strip().lower()
    if wanted in ("current", "previous"):
        term = pick_term(school, None, today)
        if wanted == "previous":
            earlier = [t for t in terms if t.end < term.start]
            if not earlier:
                raise ReportError(N_("no term before %(term)s is known"), term=term.name)
            term = earlier[-1]
    elif found := _SEASON.fullmatch(wanted):
        year, season = found.groups()
        named = [t for t in terms if season in t.slug.split("-") and year in t.slug.split("-")]
        term = named[0] if named else pick_term(school, wanted, today)  # that one says why
    else:
        term = pick_term(school, asked, today)
    if term.start > today:
        raise ReportError(N_("%(term)s has not begun"), term=term.name)
    earlier = [t for t in terms if t.end < term.start]
    return term, earlier[-1] if earlier else None


def _clocks(session: Session, school_id: str, term: Term, now: datetime) -> dict[str, Clocks]:
    """The staff-route (``lado``) and regulator (``ico``) deadlines of the term's reports: met
    in time, missed (stopped late, or running past due) and running (reports about the head
    left out, as the governors' report leaves them)."""
    counts = clock_counts(session, term_reports(school_id, term), now, ("lado", "ico"))
    return {k: Clocks(n.kept, n.missed + n.running_late, n.running) for k, n in counts.items()}


# the figures of a term kept from the pack made in it (its reports are counted again)
_KEPT_FIGURES = ("staff", "training", "acknowledged", "reading", "scr_gaps", "policies_overdue")


def school_board(
    session: Session, school: SchoolConfig, term: Term, today: date, now: datetime
) -> SchoolBoard:
    """The school's figures for ``term``: as of ``today`` when it is the term under way (or,
    in a holiday, the one just ended), else kept from the pack made in it (else not stated,
    ``recomputed``); its reports always counted."""
    live = term == pick_term(school, None, today)
    figures = read_figures(session, school.id, today, now=now) if live else None
    report = build_report(session, school, term, today, figures)
    clocks = _clocks(session, school.id, term, now)
    row = SchoolBoard(
        name=school.name,
        term=term.name,
        term_start=term.start,
        term_end=term.end,
        staff=None,
        training=None,
        acknowledged=None,
        reading=None,
        scr_gaps=None,
        concerns=report.reports_total,
        allegations=report.reports_by_category.get(CATEGORIES["staff_concern"], 0),
        referrals=clocks["lado"],
        breaches=clocks["ico"],
        policies_overdue=None,
        recomputed=not live,
    )
    if figures is not None:
        return replace(
            row,
            staff=figures.people,
            training=Share(report.training_done, report.training_owed),
            acknowledged=Share(report.ack_done, report.ack_owed),
            reading=Share(figures.reading_done, figures.reading_owed),
            scr_gaps=report.scr_gaps,
            policies_overdue=len(report.overdue),
        )
    kept = ConnectorState.of(session, school.id, _KEPT + term.slug)
    if kept is None:
        return row
    earlier = SchoolBoard.from_stored(json.loads(kept.value))
    return replace(row, recomputed=False, **{k: getattr(earlier, k) for k in _KEPT_FIGURES})


def gather(
    session: Session, config: OrgConfig, asked: str | None, today: date, now: datetime
) -> list[BoardLine]:
    """Every school's figures for its own term and the term before (raises ``ReportError``
    when a school has no such term); this term's are kept for next term's trend."""
    lines = []
    for school in config.schools:
        term, earlier = term_of(school, asked, today)
        row = school_board(session, school, term, today, now)
        before = None if earlier is None else school_board(session, school, earlier, today, now)
        if not row.recomputed:
            ConnectorState.put(
                session, school.id, _KEPT + term.slug, json.dumps(row.stored(), sort_keys=True)
            )
        lines.append(BoardLine(school, row, before))
    return lines


def trust_total(
    lines: Sequence[BoardLine], name: str
) -> tuple[list[BoardLine], tuple[SchoolBoard, SchoolBoard | None]]:
    """The schools' lines and the trust's total this term (and last term's where every school
    has one), each term's counts about people protected (``protect``)."""
    befores = [line.before for line in lines]
    known = [b for b in befores if b is not None]
    rows, now = protect([line.row for line in lines], total([line.row for line in lines], name))
    then = total(known, name) if known and len(known) == len(befores) else None
    kept, then = protect(known, then)
    earlier = iter(kept)
    lines = [
        replace(line, row=row, before=None if line.before is None else next(earlier))
        for line, row in zip(lines, rows, strict=True)
    ]
    assert now is not None
    return lines, (now, then)


def make_files(
    session: Session,
    config: OrgConfig,
    lines: Sequence[BoardLine],
    *,
    secret: str,
    made: datetime,
    actor: str,
    threshold: int,
) -> dict[str, bytes]:
    """The pack's files: the PDF, the CSV, and the manifest of both signed with the install's
    evidence key (``public-key.pem`` beside it: ``openssl dgst -sha256 -verify``)."""
    name = config.organisation.name
    lines, whole = trust_total(lines, name)
    rows = [(line.row, line.before) for line in lines] + [whole]
    files = signed(
        {
            CSV_NAME: board_csv(rows).encode("utf-8"),
            PDF_NAME: render_board(lines, whole, name, made, threshold),
        },
        secret,
    )
    audit.record(
        session,
        actor=actor,
        action=PACK_MADE,
        object_type="trust_board_pack",
        school_id=config.schools[0].id,
        details={"schools": len(lines), "term": lines[0].row.term if lines else ""},
    )
    return files


def trust_language(config: OrgConfig) -> str:
    """The trust's own pages' language: Welsh and English where any school reads Welsh."""
    return "cy+en" if any(s.language in ("cy", "cy+en") for s in config.schools) else "en"


def announce(
    session: Session, config: OrgConfig, lines: Sequence[BoardLine], *, base_url: str, today: date
) -> bool:
    """Tell the trust's safeguarding leads once that the term's pack is ready, with a link to
    ``/trust`` (never the pack itself); False when there are none or they were told."""
    leads = tuple(config.organisation.trust_safeguarding_leads)
    terms = sorted({line.row.term for line in lines})
    key = "trust-board:" + ",".join(terms)
    if (
        not leads
        or not lines
        or session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))
    ):
        return False
    values = {"trust": config.organisation.name, "term": ", ".join(terms), "day": Day(today)}
    draft = notice(
        school=config.organisation.name,
        to=leads,
        subject=Msg(N_("The trustees' pack for %(term)s is ready - %(trust)s"), **values),
        paragraphs=[
            Msg(
                N_(
                    "The trustees' termly pack (%(term)s) was made on %(day)s: each "
                    "school's figures beside last term's, the exceptions first. Counts only: no "
                    "names, and no report's content or subject."
                ),
                **values,
            ),
            Msg(N_("Download it from the trust overview (you will be asked to sign in).")),
        ],
        button_url=f"{base_url.rstrip('/')}/trust",
        button_text=Msg(N_("Open the trust overview")),
        language=trust_language(config),
    )
    return enqueue_email(
        session,
        school_id=config.schools[0].id,
        key=key,
        purpose="trust_board",
        urgency=Urgency.ROUTINE,
        draft=draft,
    )
