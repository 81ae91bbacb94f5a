"""The school's record of processing for this system (UK GDPR Art. 30(1)(a)-(g)), pre-filled
from its settings: what the bot cannot know says "not stated" or is left "for the DPO to
complete". Rows of (what Art. 30 asks, the answer), said in the active language; written by
``compliance-bot privacy record`` and put in the evidence pack.

Retention (Art. 30(1)(f)) is passed in as rows of (kind, period, runs from, source): the
school's retention schedule, one row per record kind."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_, say
from bot.core.language.words import csv_text, said_words, school_words
from bot.core.rendering.pdf import A4Report
from bot.features.privacy.retention import schedule_rows

__all__ = ["RECORD_FILE", "record_csv", "record_pdf", "record_rows"]

RECORD_FILE = "record-of-processing.csv"
_DPO_TO_COMPLETE = N_("for the DPO to complete")
_RETENTION = N_("Retention")
# the platform the school's mail, sign-in and directory run on: the processor it names
_PROCESSORS = {
    "m365": N_(
        "Microsoft (Microsoft 365), as processor for the school: email, sign-in, the staff "
        "directory and, where used, Teams."
    ),
    "google": N_(
        "Google (Google Workspace), as processor for the school: email, sign-in, the staff "
        "directory and, where used, Google Chat."
    ),
    "local": N_(
        "No platform processor: email goes through the school's own mail server (its provider "
        "not stated)."
    ),
}
_TRANSFERS = {
    "m365": N_(
        "Microsoft may process data outside the UK under its data protection terms: the "
        "safeguard relied on is for the DPO to complete."
    ),
    "google": N_(
        "Google may process data outside the UK under its data protection terms: the "
        "safeguard relied on is for the DPO to complete."
    ),
    "local": N_("None made by this system; the server's location is for the DPO to complete."),
}


def record_rows(school: SchoolConfig, platform: str | None) -> list[tuple[str, str]]:
    """The record, row by row: Art. 30(1)'s items answered for ``school`` on ``platform``
    (``m365``, ``google``, ``local``; None: not stated), its retention from the schedule."""
    words = said_words(school_words(school))
    kept = [  # a row each kind of record: one cell of them all would not fit a page
        (
            f"{say(_RETENTION)}: {row.name}",
            " - ".join(map(str, (row.period, row.runs_from, row.source))),
        )
        for row in schedule_rows(school)
    ]
    rows = [
        (
            N_("Controller"),
            say(
                "%(school)s; its %(headteacher)s: %(head)s",
                school=school.name,
                headteacher=words.headteacher,
                head=school.headteacher,
            ),
        ),
        (N_("Data protection officer"), school.dpo or say("not stated")),
        (
            N_("Purposes"),
            say(
                "Keeping the school's safeguarding and online-safety policies known and "
                "followed: acknowledgements, training, Acceptable Use Policy signatures, policy "
                "reviews, reports of concerns and breaches with their legal clocks, and people's "
                "data protection requests."
            ),
        ),
        (
            N_("Data subjects"),
            say(
                "Staff, volunteers and %(governors)s; people who make a report, a complaint or a "
                "request; visitors who confirm the visitor rules; pupils and others named in "
                "reports.",
                governors=words.governors,
            ),
        ),
        (
            N_("Categories of personal data"),
            say(
                "Name, school email, job title, roles, groups, line manager, start and leaving "
                "dates; acknowledgements, signatures and training; official accounts held; "
                "messages sent; a record of activity; what a report says, which may include "
                "special category and criminal offence data; whether and when pre-employment "
                "checks were done."
            ),
        ),
        (
            N_("Lawful bases"),
            say(
                "Legal obligation and public task (Art. 6(1)(c) and (e)) for the school's "
                "safeguarding duties; for special category and criminal offence data, "
                "safeguarding of children and of individuals at risk (Data Protection Act 2018, "
                "Schedule 1, paragraph 18). For the DPO to confirm."
            ),
        ),
        (
            N_("Recipients"),
            " ".join(
                (
                    say(_PROCESSORS[platform]) if platform in _PROCESSORS else say("not stated"),
                    say(
                        "When a report requires it, the body the law names (such as the "
                        "%(regulator)s); nobody else.",
                        regulator=words.regulator,
                    ),
                )
            ),
        ),
        (
            N_("Transfers outside the UK"),
            say(_TRANSFERS[platform]) if platform in _TRANSFERS else say(_DPO_TO_COMPLETE),
        ),
        (
            N_("Security measures"),
            say(
                "Sign-in through the school's own accounts or a one-time link; only the roles the "
                "school names read reports and complaints, and every read is recorded; an audit "
                "record chained so that any change shows; notifications never carry what a "
                "report says."
            ),
        ),
    ]
    said = [(say(heading), answer) for heading, answer in rows]
    return said[:-1] + kept + said[-1:]  # retention before the security measures


def record_csv(rows: Sequence[tuple[str, str]]) -> bytes:
    """The record as CSV (UTF-8 with a byte-order mark, as Excel reads accents)."""
    return csv_text((say("What Article 30 asks"), say("Answer")), rows).encode("utf-8")


def record_pdf(rows: Sequence[tuple[str, str]], school_name: str, language: str) -> bytes:
    """The record as an A4 PDF, a table of its rows, in ``language`` (the active one)."""
    doc = A4Report(say("Record of processing (UK GDPR Article 30)"), language, of=school_name)
    doc.text(
        say(
            "Pre-filled from the school's settings for the data protection officer to check and "
            "complete: what this system cannot know says so."
        )
    )
    doc.table([(say("What Article 30 asks"), say("Answer")), *rows])
    return doc.render()
