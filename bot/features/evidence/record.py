"""A dated safeguarding self-evaluation record against an inspectorate's list (Estyn's, the
child protection coordinator's sheet for HM Inspectors, the islands' review frameworks): the
safeguarding lead and deputies with their training, then a section per item of the list with the
pack's files and how far they answer it and room for the school's own evaluation, then a
signature line for the head and the chair. In Welsh for a ``cy`` school; Welsh then English for
``cy+en``. The product fills in facts and signs nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.language.i18n import N_
from bot.core.nations.inspectorates import Inspectorate
from bot.features.evidence.inspection import index_table
from bot.features.evidence.proformas import Signatories, leads_into, signature_lines
from bot.features.evidence.service import Facts
from bot.features.evidence.summary_pdf import Said

if TYPE_CHECKING:  # reportlab is loaded when a PDF is made (bot.core.rendering.pdf)
    from bot.core.rendering.pdf import A4Report

__all__ = ["self_evaluation_record"]

WRITE_HERE = "_" * 70


def _body(doc: A4Report, said: Said, facts: Facts, found: Inspectorate, who: Signatories) -> None:
    """The record in one language."""
    _ = said
    doc.text(_(N_("Safeguarding self-evaluation record")), "Title")
    doc.text(
        _(
            N_(
                "%(school)s. Dated %(when)s. Pre-filled by compliance-bot for the %(lead)s and "
                "the school's leaders to complete against the list of %(inspectorate)s "
                "(%(url)s): for each item, the school's records in this pack and how far they "
                "answer it, then room for the school's own evaluation. It signs nothing."
            ),
            school=facts.school_name,
            when=said.made(facts.made_at),
            lead=_(who.lead),
            inspectorate=_(found.name),
            url=found.framework.url,
        )
    )
    doc.text(_(N_("The safeguarding lead and deputies, and their training")), "Heading2")
    leads_into(doc, said, facts, who)
    index = index_table(found.id, facts, said.language)
    for row in index.rows:
        doc.text(row[1], "Heading2")
        files = [f for f in row[3].split("; ") if f and f != found.record]
        if files:
            doc.text(_(N_("In this pack: %(files)s.")) % {"files": ", ".join(files)})
        doc.text(_(N_("How far: %(status)s.")) % {"status": row[4]})
        doc.text(_(N_("The school's evaluation:")))
        for _line in range(3):
            doc.text(WRITE_HERE)
    signature_lines(doc, said, who.signers)


def self_evaluation_record(
    facts: Facts, found: Inspectorate, who: Signatories, language: str
) -> bytes:
    """The record as an A4 PDF: Welsh in a ``cy`` school, Welsh then English in ``cy+en``."""
    from bot.core.rendering.pdf import A4Report  # lazy: reportlab (~0.2 s)

    first = Said(language)
    doc = A4Report(
        f"{first(N_('Safeguarding self-evaluation record'))} - {facts.school_name}",
        "cy+en" if language == "cy+en" else first.language,
        facts.made_at,
    )
    _body(doc, first, facts, found, who)
    if language == "cy+en":
        doc.part("en")
        _body(doc, Said("en"), facts, found, who)
    return doc.render()
