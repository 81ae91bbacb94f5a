"""An independent school's cover sheet for paragraph 7 of the Independent School Standards
(safeguarding): 7(a) and 7(b), each with the pack's files and how far they answer it (the
inspection index's rows), the proprietor and its kind, who inspects the school, and the
proprietor body's review record. It points to evidence and claims no standard is met."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.language.i18n import N_
from bot.core.nations.inspectorates import inspectorate
from bot.features.evidence.rules import Table
from bot.features.evidence.service import Facts
from bot.features.evidence.summary_pdf import made_at, pack_pdf, table_into

__all__ = ["ISS_SHEET", "Proprietor", "iss_cover_sheet"]

ISS_SHEET = "iss-paragraph-7-cover-sheet.pdf"
# the paragraph's two parts, as the Standards word them (the Education (Independent School
# Standards) Regulations 2014, Schedule, paragraph 7), by the inspectorates' item ids
PARAGRAPH_7 = {
    "7a": N_(
        "7(a): arrangements are made to safeguard and promote the welfare of pupils at the school"
    ),
    "7b": N_(
        "7(b): such arrangements have regard to any guidance issued by the Secretary of State"
    ),
}
KINDS = {"company": N_("a company"), "trust": N_("a trust"), "individual": N_("an individual")}


@dataclass(frozen=True)
class Proprietor:
    """An independent school's proprietor: its body in the school's words, and its kind."""

    body: str  # "proprietor body"
    kind: str | None  # company | trust | individual; None: not stated


def answers_paragraph_7(inspected: str) -> bool:
    """Whether the inspectorate's list has paragraph 7's two parts (ISI's, the Schools
    Inspection Service's)."""
    return set(PARAGRAPH_7) <= {item.id for item in inspectorate(inspected).items}


def iss_cover_sheet(
    facts: Facts, index: Table, inspected: str, proprietor: Proprietor, language: str
) -> bytes:
    """The cover sheet as an A4 PDF in the school's language (``index``: the inspection
    index of ``inspected``, whose list has 7(a) and 7(b))."""
    found = inspectorate(inspected)
    title = N_("Independent School Standards, paragraph 7 (safeguarding): cover sheet")
    doc = pack_pdf(facts, title, language)
    _ = doc.say
    kind = _(KINDS[proprietor.kind]) if proprietor.kind in KINDS else _(N_("not stated"))
    doc.text(
        _(
            N_(
                "%(school)s, an independent school. Its proprietor: %(kind)s, whose %(body)s "
                "approves its policies. Inspected by %(inspectorate)s. Made on %(when)s."
            ),
            school=facts.school_name,
            kind=kind,
            body=_(proprietor.body),
            inspectorate=_(found.name),
            when=made_at(facts.made_at),
        )
    )
    doc.text(
        _(
            N_(
                "For each part of paragraph 7, the files of this pack that hold the school's "
                "evidence and how far they answer it. Whether the paragraph is met is the "
                "inspectorate's judgement: this sheet claims neither."
            )
        )
    )
    rows = dict(zip((item.id for item in found.items), index.rows, strict=True))
    for key, part in PARAGRAPH_7.items():
        doc.text(_(part), "Heading2")
        doc.table([[_(N_("File")), _(N_("Status"))], [rows[key][3], rows[key][4]]])
        doc.space(3)
    doc.text(_(N_("The review record of the %(body)s")) % {"body": _(proprietor.body)}, "Heading2")
    table_into(doc, facts.governors)
    return doc.render()
