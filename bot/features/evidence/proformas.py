"""The Education and Training Inspectorate's three self-evaluation proformas (child protection,
the preventative curriculum, safeguarding), pre-filled with the school's dated facts for the
people ETI names to complete, each with a signature line for the principal and the chair of the
Board of Governors: the product fills in facts and signs nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.core.config import SchoolConfig
from bot.core.language.i18n import N_
from bot.core.language.words import school_words
from bot.core.nations.inspectorates import inspectorate
from bot.core.rendering.pdf import A4Report
from bot.features.evidence.rules import Table
from bot.features.evidence.service import Facts
from bot.features.evidence.summary_pdf import cell, made_at, pack_pdf, table_into

__all__ = [
    "Lead",
    "Signatories",
    "eti_proformas",
    "leads_into",
    "signatories_of",
    "signature_lines",
]

STATES = (N_("in date"), N_("expires soon"), N_("expired"), N_("not done"))


@dataclass(frozen=True)
class Lead:
    """A person the proformas name: their role in the school's words, name and email."""

    role: str
    name: str
    email: str


@dataclass(frozen=True)
class Signatories:
    """Who the proformas name (the designated teacher and deputies) and who signs them (the
    principal and the chair of the Board of Governors), in the school's words."""

    leads: tuple[Lead, ...]
    signers: tuple[str, ...]
    body: str  # the governing body, in the school's words: "Board of Governors"
    lead: str  # the safeguarding lead's title, in the school's words


def signatories_of(school: SchoolConfig) -> Signatories:
    """The school's designated teacher and deputies (names found when the pack is made), its
    head and chair to sign, and its governing body, in the school's words."""
    words = school_words(school)
    return Signatories(
        leads=tuple(Lead(words.dsl_full, "", e) for e in school.dsl)
        + tuple(Lead(words.deputy_dsl_full, "", e) for e in school.deputy_dsl),
        signers=(words.headteacher, words.chair),
        body=words.governing_body,
        lead=words.dsl_full,
    )


def _start(facts: Facts, title: str, who: str, language: str) -> A4Report:
    """A proforma's first lines: its title, the school, who completes it and where it is from."""
    doc = pack_pdf(facts, title, language)
    doc.text(
        doc.say(
            N_(
                "%(school)s. Pre-filled by compliance-bot on %(when)s with the school's own "
                "dated records, for %(who)s to complete: ETI's proforma (%(url)s) asks the "
                "questions; this sheet gives the facts the school holds here, and signs nothing."
            ),
            school=facts.school_name,
            when=made_at(facts.made_at),
            who=doc.say(who),
            url=inspectorate("eti").framework.url,
        )
    )
    return doc


def _sign(doc: A4Report, signers: tuple[str, ...]) -> bytes:
    signature_lines(doc, signers)
    return doc.render()


def signature_lines(doc: A4Report, signers: tuple[str, ...]) -> None:
    """A signature line and a date for each signer: the product signs nothing."""
    _ = doc.say
    doc.text(_(N_("Signatures")), "Heading2")
    for role in signers:
        doc.text(
            _(N_("Signed: ____________________________ (%(role)s)   Date: ______________"))
            % {"role": _(role)}
        )
        doc.space(6)


def leads_into(doc: A4Report, facts: Facts, who: Signatories) -> None:
    """The designated teacher and deputies, with each one's training from the matrix."""
    _ = doc.say
    rows = [
        [_(N_("Role")), _(N_("Name")), _(N_("Course")), _(N_("Completed on")), _(N_("Expires on"))]
    ]
    for lead in who.leads:
        theirs = [r for r in facts.training.rows if r[1].lower() == lead.email.lower()]
        for row in theirs or [("", "", _(N_("No training recorded")), "", "")]:
            rows.append([_(lead.role), lead.name, *(cell(c, doc.language) for c in row[2:5])])
    doc.table(rows)
    doc.space(3)


def _training_counts(facts: Facts) -> Table:
    """Everyone's training, by course: how many are in date, expire soon, expired, not done."""
    counts = Counter((row[2], row[5]) for row in facts.training.rows)
    courses = sorted({row[2] for row in facts.training.rows})
    return Table(
        "",
        "",
        (N_("Course"), *STATES),
        tuple((c, *(str(counts[(c, s)]) for s in STATES)) for c in courses),
    )


def eti_proformas(facts: Facts, who: Signatories, language: str) -> dict[str, bytes]:
    """The three proformas as A4 PDFs, by file name (the ETI list's ``form``s), in the
    school's language."""
    form = {item.id: str(item.form) for item in inspectorate("eti").items}
    doc = _start(
        facts,
        N_("ETI child protection proforma"),
        N_("the designated teacher, the designated governor and the child protection team"),
        language,
    )
    _ = doc.say
    doc.text(_(N_("The designated teacher and deputies, and their training")), "Heading2")
    leads_into(doc, facts, who)
    doc.text(_(N_("Everyone's safeguarding training, by course")), "Heading2")
    table_into(doc, _training_counts(facts), N_("No training is required in compliance-bot."))
    doc.text(_(N_("Concerns, and their deadlines (counts only)")), "Heading2")
    table_into(doc, facts.concerns, N_("No reports."))
    table_into(doc, facts.clocks)
    made = {form["child-protection"]: _sign(doc, who.signers)}

    doc = _start(
        facts, N_("ETI preventative curriculum proforma"), N_("the pastoral care team"), language
    )
    doc.text(
        doc.say(
            N_(
                "compliance-bot holds no record of the preventative curriculum: what is taught, "
                "and how, is the pastoral care team's to describe. The policies in force are "
                "below."
            )
        )
    )
    table_into(doc, facts.policies, N_("No policies are recorded."))
    made[form["preventative-curriculum"]] = _sign(doc, who.signers)

    doc = _start(facts, N_("ETI safeguarding proforma"), who.body, language)
    _ = doc.say
    doc.text(_(N_("Policies, and when each is reviewed")), "Heading2")
    table_into(doc, facts.policies, N_("No policies are recorded."))
    doc.text(_(N_("Reviews and confirmations by the %(body)s")) % {"body": _(who.body)}, "Heading2")
    table_into(doc, facts.governors)
    doc.text(_(N_("Filtering and monitoring review")), "Heading2")
    if facts.filtering_note:
        doc.text(_(facts.filtering_note))
    else:
        table_into(doc, facts.filtering)
    made[form["safeguarding"]] = _sign(doc, who.signers)
    return made
