"""A report's chronology in the reader's language: each line the bot writes is stored as its
English (the sealed record) with its catalogue sentence and values beside it, and said where
shown — in Welsh for a Welsh-medium school (no English left but the terms the catalogue holds
back), Welsh first then English in ``cy+en``, the record as sealed in English; a person's own
words, and a line stored before the sentences were kept, are shown as written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.language.i18n import BETWEEN, Joined, Lazy, Msg, said_in
from bot.core.language.kept_text import to_data
from bot.core.language.words import said_words, school_words
from bot.core.models import ReportEntry
from bot.features.reports import chronology as c
from bot.features.reports.rules import (
    STATUSES,
    clock_labels,
    illegal_content_advice,
    referral_targets,
)
from tests.core.test_i18n import _english_left, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words

HOLDER, WHO = "Gwyn Prys", "dsl@brodderw.example"
WORDS = school_words(school("cy"))
SAID, CLOCKS, TARGETS = said_words(WORDS), clock_labels(WORDS), referral_targets(WORDS)
LINES: dict[str, tuple[str, Lazy]] = {  # what the bot writes, with its entry's kind
    "status": ("status", Msg(c.STATUS_CHANGED, status_from=Msg(STATUSES["new"]),
                             status_to=Msg(STATUSES["triaged"]))),
    "owner": ("owner", Msg(c.OWNER_SET, owner=HOLDER)),
    "no owner": ("owner", Msg(c.OWNER_SET, owner=Msg(c.NOBODY))),
    "referred": ("referral", Msg(c.REFERRED, referral=TARGETS["lado"])),
    "not referred": ("decision", Msg(c.DECIDED_NOT_TO_REFER, referral=TARGETS["ico"])),
    "late": ("system", Msg(c.CLOCK_STOPPED_LATE, clock=CLOCKS["lado"])),
    "in time": ("system", Msg(c.CLOCK_STOPPED_IN_TIME, clock=CLOCKS["triage"])),
    "no manager": ("system", Msg(c.NO_LINE_MANAGER)),
    "subject": ("system", Msg(c.SUBJECT_RECORDED, who=WHO, person=HOLDER)),
    "subject owner": ("system", Msg(c.SUBJECT_RECORDED_OWNER, who=WHO, person=HOLDER)),
    "nobody alerted": ("system", Msg(c.NOBODY_ALERTED, dsl=SAID.dsl, head=SAID.headteacher)),
    "immediate": ("system", Msg(c.IMMEDIATE_RISK, dsl=SAID.dsl)),
    "illegal": ("system", illegal_content_advice(WORDS)),
    "withheld 1": ("system", c.withheld(1)),
    "withheld 2": ("system", c.withheld(2)),
}  # fmt: skip


def _entry(kind: str, text: str | Lazy) -> ReportEntry:
    """A chronology line as ``actions._entry`` stores it."""
    return ReportEntry(
        school_id="bro-derw", report_id=1, at=datetime(2026, 11, 23, 10, tzinfo=UTC),
        author="system", kind=kind, text=text if isinstance(text, str) else text.said("en"),
        said=None if isinstance(text, str) else to_data(text),
    )  # fmt: skip


@pytest.mark.parametrize("line", sorted(LINES))
def test_a_line_the_bot_wrote_in_a_chronology_is_read_in_welsh(
    line: str, english_words: set[str], catalogue: Any
) -> None:
    entry = _entry(*LINES[line])
    welsh = said_in("cy", c.said(entry))
    assert welsh != entry.text
    shown = welsh.replace(WHO, " ").replace(HOLDER, " ")
    held_back = sorted((m.id for m in catalogue if isinstance(m.id, str) and m.fuzzy), key=len)
    for term in reversed(held_back):  # the pack's unconfirmed words: English by design
        if "%(" not in term:
            shown = shown.replace(term, " ").replace(term[:1].upper() + term[1:], " ")
    shown = shown.replace(str(said_in("cy", CLOCKS["triage"])), " ")  # 'triage': held back
    assert _english_left([shown], english_words) == []
    assert said_in("cy+en", c.said(entry)) == f"{welsh}{BETWEEN}{entry.text}"
    assert said_in("en", c.said(entry)) == entry.text  # the record, as sealed


def test_the_stored_chronology_lines_read_as_before() -> None:
    english = {line: _entry(*LINES[line]).text for line in LINES}
    assert english["status"] == "Status changed from New to Triaged."
    assert english["no owner"] == "Owner set to nobody."
    assert english["late"].startswith("Clock stopped: ")
    assert english["late"].endswith(" (after its deadline)")
    assert english["withheld 1"].startswith("1 attached file was not stored: ")
    assert english["withheld 2"].startswith("2 attached files were not stored: ")
    assert english["nobody alerted"] == (
        f"Nobody could be alerted: the configuration names no {WORDS.dsl}, deputy or "
        f"{WORDS.headteacher} for this kind of report."
    )
    assert english["subject owner"] == (
        f"Recorded by {WHO} as being about {HOLDER}: they are not told and cannot see this "
        "report. They were its owner; it has no owner now."
    )


def test_a_persons_own_words_in_a_chronology_are_shown_as_written() -> None:
    referred = Joined((Msg(c.REFERRED, referral=TARGETS["police"]), "Called 101, ref 4417."), " ")
    said = said_in("cy", c.said(_entry("referral", referred)))
    assert said == "Atgyfeiriwyd at Heddlu. Called 101, ref 4417."
    note = _entry("note", "Status changed from New to Triaged.")  # typed by a person
    assert said_in("cy", c.said(note)) == "Status changed from New to Triaged."
    before = _entry("system", "Something the bot wrote before its sentences were kept.")
    assert said_in("cy", c.said(before)) == before.text
