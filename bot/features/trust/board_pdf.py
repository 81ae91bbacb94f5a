"""``trust-board.pdf``: one page of exceptions first, the trust's total, then a page per school
in its own language (``cy+en``: each sentence in Welsh, then English), through the product's
PDF writer (``bot.core.rendering.pdf``: embedded font, tagged, numbered, dated)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.language.i18n import N_, Day, Joined, Msg, Said, say, short_date, speaking
from bot.core.language.words import school_words
from bot.core.rendering.pdf import A4Report
from bot.features.governors.api import term_name
from bot.features.trust.board import (
    FEWER_THAN_5,
    NOT_SHOWN,
    BoardLine,
    SchoolBoard,
    Share,
    change,
    exceptions,
    shown_count,
)

__all__ = ["render_board"]

# the figures' names on a school's page, by the CSV column the change is said in
LABELS = {
    "staff": N_("Staff"),
    "safeguarding_training_in_date_pct": N_("Safeguarding training in date"),
    "policies_acknowledged_pct": N_("Policies acknowledged"),
    "statutory_reading_done_pct": N_("Statutory reading done"),
    "scr_gaps": N_("Single central record gaps open"),
    "concerns_opened": N_("Concerns opened this term"),
    "allegations_against_staff": N_("Allegations against staff this term"),
    "staff_route_referrals_late": N_("%(route)s referral deadlines: met, missed, running"),
    "breaches_late": N_("%(regulator)s breach deadlines (72 hours): met, missed, running"),
    "policies_overdue_review": N_("Policies overdue for review"),
}
DENOMINATORS = N_(
    "How the rates are counted: safeguarding training in date, of the courses each person "
    "must hold (a person with two courses counts twice); policies acknowledged, of the "
    "acknowledgements asked for the current versions; statutory reading done, of the people "
    "asked to read the current edition this school year. A count of concerns or allegations "
    'below 5 in a school is shown as "fewer than 5", and where a total would tell it, the '
    'next smallest count or the total is "not shown" as well.'
)


class _Say:
    """One school's (or the trust's) words in its language (``cy+en``: each sentence in Welsh,
    then in English, its values said in each)."""

    def __init__(self, language: str, route: object, regulator: object) -> None:
        self.language = language
        self.values = {"route": route, "regulator": regulator}

    def __call__(self, message: str, **values: object) -> str:
        with speaking(self.language):
            return say(message, **{**self.values, **values})

    def share(self, share: Share | None) -> str:
        if share is None:
            return self(N_("not stated"))
        if share.pct is None:
            return self(N_("none asked"))
        return self(
            N_("%(pct)s%% (%(done)s of %(owed)s)"), pct=share.pct, done=share.done, owed=share.owed
        )

    def count(self, value: int | None, row: SchoolBoard | None = None, key: str = "") -> str:
        if value is None:
            return self(N_("not stated"))
        shown = value if row is None else shown_count(value, row, key)
        return self(shown) if shown in (FEWER_THAN_5, NOT_SHOWN) else str(shown)

    def clocks(self, row: SchoolBoard, kind: str) -> str:
        clocks = row.referrals if kind == "lado" else row.breaches
        met = self.count(clocks.in_time, row, "referrals") if kind == "lado" else clocks.in_time
        return f"{met}, {clocks.late}, {clocks.running}"


def _figures(say: _Say, row: SchoolBoard | None) -> list[str]:
    if row is None:
        return [say(N_("no earlier term"))] * len(LABELS)
    return [
        say.count(row.staff),
        say.share(row.training),
        say.share(row.acknowledged),
        say.share(row.reading),
        say.count(row.scr_gaps),
        say.count(row.concerns, row, "concerns"),
        say.count(row.allegations, row, "allegations"),
        say.clocks(row, "lado"),
        say.clocks(row, "ico"),
        say.count(row.policies_overdue),
    ]


def _changes(say: _Say, row: SchoolBoard, before: SchoolBoard | None) -> list[str]:
    moved = change(row, before)
    points = {
        "safeguarding_training_in_date_pct",
        "policies_acknowledged_pct",
        "statutory_reading_done_pct",
    }
    missed = {"staff_route_referrals_late", "breaches_late"}
    return [
        "-"
        if column not in moved
        else say(N_("%(num)s points"), num=f"{moved[column]:+d}")
        if column in points
        else say(N_("%(num)s missed"), num=f"{moved[column]:+d}")
        if column in missed
        else f"{moved[column]:+d}"
        for column in LABELS
    ]


def _school_table(doc: A4Report, say: _Say, row: SchoolBoard, before: SchoolBoard | None) -> None:
    header = [say(N_("Figure")), say(N_("This term")), say(N_("Last term")), say(N_("Change"))]
    columns = zip(
        LABELS.values(),
        _figures(say, row),
        _figures(say, before),
        _changes(say, row, before),
        strict=True,
    )
    doc.table([header, *([say(label), now, then, moved] for label, now, then, moved in columns)])


def _say_for(line: BoardLine) -> _Say:
    words = school_words(line.school)
    return _Say(line.school.language, Msg(words.staff_route), Msg(words.regulator))


def _term(name: str) -> Said:
    """A term's name said in the language of the sentence around it."""
    return Said(lambda: term_name(name))


def _term_sentence(say: _Say, row: SchoolBoard, before: SchoolBoard | None) -> str:
    said = say(
        N_("%(term)s, %(start)s to %(end)s."),
        term=_term(row.term),
        start=short_date(row.term_start),
        end=short_date(row.term_end),
    )
    if before is None:
        return said + " " + say(N_("No earlier term is known."))
    if before.recomputed:
        return (
            said
            + " "
            + say(
                N_(
                    "Last term (%(term)s): no pack was made then, so its reports were counted "
                    "again "
                    "from the record and its other figures are not stated."
                ),
                term=_term(before.term),
            )
        )
    return (
        said
        + " "
        + say(N_("Last term (%(term)s): as its pack found them."), term=_term(before.term))
    )


def render_board(
    lines: Sequence[BoardLine],
    whole: tuple[SchoolBoard, SchoolBoard | None],
    trust: str,
    made: datetime,
    threshold: int,
) -> bytes:
    """The pack's PDF: exceptions, the trust's total, a page per school."""
    language = "cy+en" if any(ln.school.language != "en" for ln in lines) else "en"
    schools = [_say_for(line) for line in lines]
    say = _Say(
        language,
        *(
            Joined(dict.fromkeys(s.values[key] for s in schools), " / ")
            for key in ("route", "regulator")
        ),
    )
    title = say(N_("Trustees' termly pack - %(trust)s"), trust=trust)
    doc = A4Report(title, language, made)
    doc.text(title, "Title")
    doc.text(
        say(
            N_(
                "Made on %(day)s. Each school's figures for its own term, beside last term's. "
                "Counts and rates only: no names, addresses, references or report subjects."
            ),
            day=Day(made.date()),
        )
    )
    doc.text(say(N_("Exceptions: what needs the trustees' eye")), "Heading2")
    found = False
    for line, school_say in zip(lines, schools, strict=True):
        items = [
            school_say(message, **{k: _said(school_say, v) for k, v in values.items()})
            for message, values in exceptions(line.row, line.before, threshold)
        ]
        if items:
            found = True
            doc.text(line.school.name)
            doc.bullets(items)
    if not found:
        doc.text(
            say(
                N_(
                    "No school is below the trust's threshold of %(threshold)s%%, worse "
                    "than last term or past a deadline."
                ),
                threshold=threshold,
            )
        )
    doc.text(say(N_("The trust as a whole")), "Heading2")
    _school_table(doc, say, *whole)
    doc.text(say(DENOMINATORS))
    for line, school_say in zip(lines, schools, strict=True):
        doc.part(line.school.language)
        doc.text(line.school.name, "Heading2")
        doc.text(_term_sentence(school_say, line.row, line.before))
        _school_table(doc, school_say, line.row, line.before)
    return doc.render()


# a figure worse than last term, named where the table's label says more than the figure
WORSE = {
    **LABELS,
    "staff_route_referrals_late": N_("%(route)s referral deadlines missed"),
    "breaches_late": N_("%(regulator)s breach deadlines missed"),
}


def _said(say: _Say, value: object) -> object:
    """A value of an exception as said: the worse figures' names in the sentence's language."""
    if isinstance(value, list):
        names = [Msg(WORSE[column], **say.values) for column in value]
        return Said(lambda: ", ".join(str(name) for name in names))
    return value
