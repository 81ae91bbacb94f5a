"""A dated safeguarding self-evaluation record against an inspectorate's list (Estyn's, the
child protection coordinator's sheet for HM Inspectors, the islands' review frameworks): the
safeguarding lead and deputies with their training, then a section per item of the list with the
pack's files and how far they answer it and room for the school's own evaluation, then a
signature line for the head and the chair. In Welsh for a ``cy`` school; Welsh then English for
``cy+en``. The product fills in facts and signs nothing."""

from __future__ import annotations

from bot.core.language.i18n import N_, Msg
from bot.core.nations.inspectorates import Inspectorate
from bot.core.rendering.pdf import A4Report
from bot.features.evidence.inspection import index_table
from bot.features.evidence.proformas import Signatories, leads_into, signature_lines
from bot.features.evidence.rules import pack_language
from bot.features.evidence.service import Facts
from bot.features.evidence.summary_pdf import made_at

__all__ = ["self_evaluation_record"]

WRITE_HERE = "_" * 70
TITLE = N_("Safeguarding self-evaluation record")


def self_evaluation_record(
    facts: Facts, found: Inspectorate, who: Signatories, language: str
) -> bytes:
    """The record as an A4 PDF: Welsh in a ``cy`` school, Welsh then English in ``cy+en``."""
    one = "cy+en" if language == "cy+en" else pack_language(language)
    title = f"{Msg(TITLE).said(pack_language(language))} - {facts.school_name}"
    doc = A4Report(title, one, facts.made_at)
    for _half in doc.halves():
        _ = doc.say
        doc.text(_(TITLE), "Title")
        doc.text(
            _(
                N_(
                    "%(school)s. Dated %(when)s. Pre-filled by compliance-bot for the %(lead)s "
                    "and the school's leaders to complete against the list of %(inspectorate)s "
                    "(%(url)s): for each item, the school's records in this pack and how far "
                    "they answer it, then room for the school's own evaluation. It signs nothing."
                ),
                school=facts.school_name,
                when=made_at(facts.made_at),
                lead=_(who.lead),
                inspectorate=_(found.name),
                url=found.framework.url,
            )
        )
        doc.text(_(N_("The safeguarding lead and deputies, and their training")), "Heading2")
        leads_into(doc, facts, who)
        for row in index_table(found.id, facts, doc.language).rows:
            doc.text(row[1], "Heading2")
            files = [f for f in row[3].split("; ") if f and f != found.record]
            if files:
                doc.text(_(N_("In this pack: %(files)s.")) % {"files": ", ".join(files)})
            doc.text(_(N_("How far: %(status)s.")) % {"status": row[4]})
            doc.text(_(N_("The school's evaluation:")))
            for _line in range(3):
                doc.text(WRITE_HERE)
        signature_lines(doc, who.signers)
    return doc.render()
