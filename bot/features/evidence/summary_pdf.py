"""The pack's dated PDF summary: every table of facts under a plain heading, the school's dates
and times in its own time zone, and how to check the pack."""

from __future__ import annotations

from bot.core.pdf_tables import A4Report
from bot.features.evidence.rules import Table, format_fingerprint
from bot.features.evidence.service import Facts

__all__ = ["HEADINGS", "render_summary"]

HEADINGS = (
    "Evidence for an inspector",
    "1. Policy register",
    "2. Acknowledgements",
    "3. Training matrix",
    "4. AUP signatures",
    "5. Governors' reviews and confirmations",
    "6. Concerns and breaches",
    "7. Filtering and monitoring review",
    "8. Data protection complaints",
    "9. Reviews after a change",
    "10. Proof of reading",
    "11. How to check this pack",
)
NO_CONTENT = (
    "Counts only: nothing of what any report says, and no name of a child or of anyone who "
    "made a report."
)


def _table(doc: A4Report, table: Table, empty: str = "None recorded.") -> None:
    if table.rows:
        doc.table(table.pdf_rows())
    else:
        doc.text(empty)
    doc.space(3)


def render_summary(facts: Facts, fingerprint: str) -> bytes:
    """The summary as an A4 PDF; ``fingerprint`` is the signing key's (64 hex digits)."""
    made = facts.made_at
    doc = A4Report(f"Evidence for an inspector - {facts.school_name} - {made:%d %b %Y}")
    doc.heading(HEADINGS[0], "Title")
    doc.text(
        f"{facts.school_name}. Made on {made:%A %d %B %Y at %H:%M} ({made:%Z}) by "
        f"{facts.made_by}. Every date and time here is the school's local time. The same facts "
        "are in the CSV files beside this summary, one file per table."
        + (f" {facts.standards}" if facts.standards else "")
    )
    doc.space(4)
    doc.heading(HEADINGS[1])
    _table(doc, facts.policies, "No policies are recorded.")
    doc.heading(HEADINGS[2])
    doc.text(f"{facts.ack_counts.title}.")
    _table(doc, facts.ack_counts)
    doc.text(f"{facts.attestations.title} ({len(facts.attestations.rows)} in all).")
    _table(doc, facts.attestations)
    doc.heading(HEADINGS[3])
    _table(doc, facts.training, "No training is required in compliance-bot.")
    doc.heading(HEADINGS[4])
    _table(doc, facts.aup, "No official accounts are recorded.")
    doc.heading(HEADINGS[5])
    _table(doc, facts.governors)
    doc.heading(HEADINGS[6])
    doc.text(f"Reports counted: {facts.reports_total}. {facts.reports_scope} {NO_CONTENT}")
    _table(doc, facts.concerns, "No reports.")
    doc.heading(HEADINGS[7])
    if facts.filtering_note:
        doc.text(facts.filtering_note)
    else:
        _table(doc, facts.filtering)
    doc.heading(HEADINGS[8])  # data protection complaints (DPA 2018 s.164A)
    doc.text(f"{facts.complaints.title}. Counts only: nothing of what any complaint says and "
             "no name of anyone who made one.")
    _table(doc, facts.complaints, "No data protection complaints are recorded.")
    doc.heading(HEADINGS[9])
    _table(doc, facts.event_reviews, "No change has been recorded that opens a review.")
    doc.heading(HEADINGS[10])
    _table(doc, facts.reading_proof, "No policy asks for proof of reading.")
    doc.heading(HEADINGS[11])
    doc.text(
        "This summary and every file beside it are listed with their SHA-256 in "
        "MANIFEST.sha256, which the school's key has signed. README.txt says how to check them "
        "with compliance-bot or with ordinary tools. The fingerprint of the school's key is "
        f"{format_fingerprint(fingerprint)}: ask the school for it separately and compare."
    )
    return doc.render()

