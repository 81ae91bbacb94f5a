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

from babel.dates import format_date

from bot.core.language.i18n import N_, Dated, Msg
from bot.core.nations.inspectorates import Inspectorate, inspectorate
from bot.core.rendering.pdf import A4Report
from bot.core.rendering.signed import format_fingerprint
from bot.features.evidence.rules import Table, pack_language
from bot.features.evidence.service import Facts

__all__ = ["HEADINGS", "cell", "made_at", "pack_pdf", "render_summary", "table_into"]

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


def cell(text: str, language: str) -> str:
    """A label the catalogue knows, in ``language``; any date in it that language's way
    (names, titles and references as the school wrote them)."""
    if not text or language != "cy":
        return text
    said = Msg(text).said(language)
    return _DAY.sub(_welsh_day, said) if said == text else said


def _welsh_day(found: re.Match[str]) -> str:
    day = datetime.strptime(found[0], "%d %b %Y").date()
    return format_date(day, "dd MMM y", locale="cy")


def made_at(made: datetime) -> Dated:
    """'Monday 23 November 2026 at 10:00'; 'Dydd Llun 23 Tachwedd 2026 am 10:00' (a
    sentence's own "dydd" before it, where its Welsh writes one)."""
    return Dated(made, "%A %d %B %Y at %H:%M", "EEEE dd MMMM y 'am' HH:mm")


def pack_pdf(facts: Facts, title: str, language: str, of: str | None = None) -> A4Report:
    """A PDF of the pack in its one language (the school's ``language``), headed ``title`` (a
    catalogue sentence), of the school (``of``: of something else)."""
    one = pack_language(language)
    return A4Report(Msg(title).said(one), one, facts.made_at, of=of or facts.school_name)


def table_into(doc: A4Report, table: Table, empty: str = N_("None recorded.")) -> None:
    """A table of facts into a PDF of the pack (``empty`` said when it has no rows)."""
    doc.table([[cell(c, doc.language) for c in row] for row in table.pdf_rows()], doc.say(empty))
    doc.space(3)


def _index(doc: A4Report, index: Table, found: Inspectorate) -> None:
    """The inspectorate's list, item by item, where the pack answers it (``inspection``)."""
    _ = doc.say
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
            "day": cell(f"{found.checked:%d %b %Y}", doc.language),
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
    made, one = facts.made_at, pack_language(language)
    day = cell(f"{made:%d %b %Y}", one)
    doc = pack_pdf(facts, HEADINGS[0], one, f"{facts.school_name} - {day}")
    _ = doc.say
    doc.text(
        _(
            "%(school)s. Made on %(when)s (%(zone)s) by %(who)s. Every date and time here is "
            "the school's local time. The same facts are in the CSV files beside this summary, "
            "one file per table.",
            school=facts.school_name,
            when=made_at(made),
            zone=f"{made:%Z}",
            who=cell(facts.made_by, one),
        )
        + (f" {facts.standards}" if facts.standards else "")
    )
    doc.space(4)
    if index is not None and inspected is not None:
        _index(doc, index, inspectorate(inspected))
    doc.text(_(HEADINGS[1]), "Heading2")
    table_into(doc, facts.policies, N_("No policies are recorded."))
    doc.text(_(HEADINGS[2]), "Heading2")
    doc.text(f"{_(facts.ack_counts.title)}.")
    table_into(doc, facts.ack_counts)
    doc.text(
        _("%(table)s (%(num)d in all).")
        % {"table": _(facts.attestations.title), "num": len(facts.attestations.rows)}
    )
    table_into(doc, facts.attestations)
    doc.text(_(HEADINGS[3]), "Heading2")
    table_into(doc, facts.training, N_("No training is required in compliance-bot."))
    if facts.training_roles is not None and facts.training_roles.rows:
        doc.text(f"{_(facts.training_roles.title)}.")
        table_into(doc, facts.training_roles)
    doc.text(_(HEADINGS[4]), "Heading2")
    table_into(doc, facts.aup, N_("No official accounts are recorded."))
    doc.text(_(HEADINGS[5]), "Heading2")
    table_into(doc, facts.governors)
    doc.text(_(HEADINGS[6]), "Heading2")
    doc.text(
        _("Reports counted: %(num)d.") % {"num": facts.reports_total}
        + f" {_(facts.reports_scope)} {_(NO_CONTENT)}"
    )
    table_into(doc, facts.concerns, N_("No reports."))
    doc.text(f"{_(facts.clocks.title)}.")
    table_into(doc, facts.clocks)
    doc.text(_(HEADINGS[7]), "Heading2")
    if facts.filtering_note:
        doc.text(_(facts.filtering_note))
    else:
        table_into(doc, facts.filtering)
    doc.text(_(HEADINGS[8]))  # data protection complaints (DPA 2018 s.164A, "Heading2")
    doc.text(
        _(
            "%(table)s. Counts only: nothing of what any complaint says and no name of anyone "
            "who made one."
        )
        % {"table": _(facts.complaints.title)}
    )
    table_into(doc, facts.complaints, N_("No data protection complaints are recorded."))
    doc.text(_(HEADINGS[9]), "Heading2")
    table_into(doc, facts.event_reviews, N_("No change has been recorded that opens a review."))
    doc.text(_(HEADINGS[10]), "Heading2")
    table_into(doc, facts.reading_proof, N_("No policy asks for proof of reading."))
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
