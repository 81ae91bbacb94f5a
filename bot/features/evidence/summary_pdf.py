"""The pack's dated PDF summary: every table of facts under a plain heading, the school's dates
and times in its own time zone, and how to check the pack — in the school's language.

The tables' titles, headers and the labels in their cells are kept in English in the facts
(``N_``: the catalogue), as the CSV files beside the summary have them; the summary says each in
the school's language where the catalogue has it, and writes its dates the Welsh way in Welsh
("23 Tach 2026"). Names, titles and references stay as the school wrote them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot.core.language.i18n import N_, Dated, Msg
from bot.core.nations.inspectorates import Inspectorate, inspectorate
from bot.core.rendering.signed import format_fingerprint
from bot.features.evidence.rules import Table, pack_language
from bot.features.evidence.service import Facts

if TYPE_CHECKING:  # reportlab is loaded when a PDF is made (bot.core.rendering.pdf)
    from bot.core.rendering.pdf import A4Report

__all__ = ["HEADINGS", "Said", "pack_language", "render_summary", "table_into"]

HEADINGS = (
    N_("Evidence for an inspector"),
    N_("1. Policy register"),
    N_("2. Acknowledgements"),
    N_("3. Training matrix"),
    N_("4. AUP signatures"),
    N_("5. Policy reviews and confirmations"),
    N_("6. Concerns and breaches"),
    N_("7. Filtering and monitoring review"),
    N_("8. Data protection complaints"),
    N_("9. Reviews after a change"),
    N_("10. Proof of reading"),
    N_("11. How to check this pack"),
)
NO_CONTENT = N_(
    "Counts only: nothing of what any report says, and no name of a child or of anyone who "
    "made a report."
)
# a date as the facts write it (``cells``: 23 Nov 2026), to say again in Welsh
_DAY = re.compile(r"\b(\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})\b")


class Said:
    """The pack's words in one language: sentences, labels and dates (each PDF of the pack)."""

    def __init__(self, language: str) -> None:
        self.language = pack_language(language)  # a PDF reads in one language

    def __call__(self, message: str, **values: object) -> str:
        return Msg(message, **values).said(self.language)

    def cell(self, text: str) -> str:
        """A label the catalogue knows, in the language; any date in it the language's way."""
        if not text or self.language != "cy":
            return text
        said = self(text)
        return _DAY.sub(self._day, said) if said == text else said

    @staticmethod
    def _day(found: re.Match[str]) -> str:
        day = datetime.strptime(found[0], "%d %b %Y").date()
        return format_date(day, "dd MMM y", locale="cy")

    @staticmethod
    def made(made: datetime) -> Dated:
        """'Monday 23 November 2026 at 10:00'; 'Dydd Llun 23 Tachwedd 2026 am 10:00' (a
        sentence's own "dydd" before it, where its Welsh writes one)."""
        return Dated(made, "%A %d %B %Y at %H:%M", "EEEE dd MMMM y 'am' HH:mm")


def table_into(doc: A4Report, table: Table, said: Said, empty: str = N_("None recorded.")) -> None:
    """A table of facts into a PDF of the pack (``empty`` said when it has no rows)."""
    if table.rows:
        doc.table([[said.cell(c) for c in row] for row in table.pdf_rows()])
    else:
        doc.text(said(empty))
    doc.space(3)


def _index(doc: A4Report, index: Table, found: Inspectorate, said: Said) -> None:
    """The inspectorate's list, item by item, where the pack answers it (``inspection``)."""
    _ = said
    doc.text(_(N_("Index for %(inspectorate)s")) % {"inspectorate": index.title}, "Heading2")
    doc.text(
        _(
            N_(
                "Each item of the list it publishes on safeguarding, the file of this pack "
                "that answers it, and how far: filled from the school's own dated records, "
                "partly (what is here and what is not), or not held by this product. Its "
                "list: %(framework)s (%(url)s), checked on %(day)s."
            )
        )
        % {
            "framework": _(found.framework.title),
            "url": found.framework.url,
            "day": said.cell(f"{found.checked:%d %b %Y}"),
        }
        + f" {_(found.checked_note)}"
    )
    doc.table([[_(N_("Item")), _(N_("File")), _(N_("Status"))], *index.pdf_rows()[1:]])
    doc.space(4)


def render_summary(
    facts: Facts,
    fingerprint: str,
    language: str = "en",
    index: Table | None = None,
    inspected: str | None = None,
) -> bytes:
    """The summary as an A4 PDF in ``language`` (the school's; Welsh in a dual-language
    school: one language a page); ``fingerprint`` is the signing key's (64 hex digits); it
    opens with the inspection ``index`` of the ``inspected`` inspectorate where there is one
    (``inspection.index_table``)."""
    from bot.core.rendering.pdf import A4Report  # lazy: reportlab (~0.2 s)

    made = facts.made_at
    said = Said(language)
    _ = said
    doc = A4Report(
        _("Evidence for an inspector - %(school)s - %(day)s")
        % {"school": facts.school_name, "day": said.cell(f"{made:%d %b %Y}")},
        said.language,
        made,
    )
    doc.text(_(HEADINGS[0]), "Title")
    doc.text(
        _(
            "%(school)s. Made on %(when)s (%(zone)s) by %(who)s. Every date and time here is "
            "the school's local time. The same facts are in the CSV files beside this summary, "
            "one file per table.",
            school=facts.school_name,
            when=said.made(made),
            zone=f"{made:%Z}",
            who=said.cell(facts.made_by),
        )
        + (f" {facts.standards}" if facts.standards else "")
    )
    doc.space(4)
    if index is not None and inspected is not None:
        _index(doc, index, inspectorate(inspected), said)
    doc.text(_(HEADINGS[1]), "Heading2")
    table_into(doc, facts.policies, said, N_("No policies are recorded."))
    doc.text(_(HEADINGS[2]), "Heading2")
    doc.text(f"{_(facts.ack_counts.title)}.")
    table_into(doc, facts.ack_counts, said)
    doc.text(
        _("%(table)s (%(num)d in all).")
        % {"table": _(facts.attestations.title), "num": len(facts.attestations.rows)}
    )
    table_into(doc, facts.attestations, said)
    doc.text(_(HEADINGS[3]), "Heading2")
    table_into(doc, facts.training, said, N_("No training is required in compliance-bot."))
    if facts.training_roles is not None and facts.training_roles.rows:
        doc.text(f"{_(facts.training_roles.title)}.")
        table_into(doc, facts.training_roles, said)
    doc.text(_(HEADINGS[4]), "Heading2")
    table_into(doc, facts.aup, said, N_("No official accounts are recorded."))
    doc.text(_(HEADINGS[5]), "Heading2")
    table_into(doc, facts.governors, said)
    doc.text(_(HEADINGS[6]), "Heading2")
    doc.text(
        _("Reports counted: %(num)d.") % {"num": facts.reports_total}
        + f" {_(facts.reports_scope)} {_(NO_CONTENT)}"
    )
    table_into(doc, facts.concerns, said, N_("No reports."))
    doc.text(f"{_(facts.clocks.title)}.")
    table_into(doc, facts.clocks, said)
    doc.text(_(HEADINGS[7]), "Heading2")
    if facts.filtering_note:
        doc.text(_(facts.filtering_note))
    else:
        table_into(doc, facts.filtering, said)
    doc.text(_(HEADINGS[8]))  # data protection complaints (DPA 2018 s.164A, "Heading2")
    doc.text(
        _(
            "%(table)s. Counts only: nothing of what any complaint says and no name of anyone "
            "who made one."
        )
        % {"table": _(facts.complaints.title)}
    )
    table_into(doc, facts.complaints, said, N_("No data protection complaints are recorded."))
    doc.text(_(HEADINGS[9]), "Heading2")
    table_into(
        doc, facts.event_reviews, said, N_("No change has been recorded that opens a review.")
    )
    doc.text(_(HEADINGS[10]), "Heading2")
    table_into(doc, facts.reading_proof, said, N_("No policy asks for proof of reading."))
    doc.text(_(HEADINGS[11]), "Heading2")
    doc.text(
        _(
            "This summary and every file beside it are listed with their SHA-256 in "
            "MANIFEST.sha256, which the school's key has signed. README.txt says how to check "
            "them with compliance-bot or with ordinary tools. The fingerprint of the school's "
            "key is %(fingerprint)s: ask the school for it separately and compare."
        )
        % {"fingerprint": format_fingerprint(fingerprint)}
    )
    return doc.render()
