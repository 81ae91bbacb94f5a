"""Import school policy documents (.docx, .pdf, .txt, .md) and extract key facts with provenance.

Pure: no database, no printing. ``extract_policy`` reads a file, ``extract_from_lines`` does the
work on lines of text, and every extracted value is a ``Found`` saying *how* it was found: in the
text (with line number and snippet), derived from other values, or a flagged default.

The package: ``values`` (what is extracted), ``reading`` (documents to lines of text), ``lines``
(cleaned lines and provenance), ``dates`` (finding dates), ``labelled_dates`` (the review,
ratification and written dates), ``header`` (title, school, version), ``approval`` (approving
body, review cycle), ``people``, ``channels``, ``linked`` (linked policies) and ``extract``
(putting it together). This module is its public face.

Decisions worth knowing:

* Dates are UK day-first. "September 2025" stays month precision (``FuzzyDate`` with no day);
  it is never turned into the 1st; where a day is needed the last day of the month is used
  (``MONTH_ONLY_RULE``, printed with every import that has such a date).
* The title is what a reader would call the policy: the document's own first heading (a number
  before it, "1. Online Safety Policy", left out), never a section heading ("1. Introduction",
  "Contents", "Procedures"), never with the school's name before it (the school is recognised
  separately: ``ImportedPolicy.school``); a .docx page header is read first; a file's
  properties title is used only when the text names none. When unsure (a first heading naming
  no policy, a title line far down the page) the title is left unset and ``title_guess`` is
  offered for a person to confirm: asked, never taken silently. A policy never lists itself as
  a linked policy.
* Every date label's wording counts (written/drafted, reviewed, approved/ratified/adopted/agreed,
  next review/review due/to be reviewed by), after the label, on the next line, or under it in a
  table's header row. A date the document does not state is "not stated" (``dates_not_stated``).
* Bare years ("2024") are not dates: too many false hits ("KCSIE 2024", "GDPR 2018").
* A school term ("Autumn term 2025") is not a date: the field is left unset and a warning says
  so, because a term spans months and picking one would be inventing it.
* Nothing is invented. A missing next review date is derived only from a date in the document
  plus the review cycle, and says so; if there is nothing to derive from it is reported missing.
* Official channels are platforms on a line that calls them official (or "our Facebook page"),
  plus the school website and school mobile phone; PTA and personal accounts are not.
* .docx list paragraphs are rendered as ``- item``, headings as ``# text`` and table rows as
  ``cell | cell``, so the same rules read Word, PDF, text and Markdown.
"""

from __future__ import annotations

from bot.features.policies.importer.checks import not_ours, same_document
from bot.features.policies.importer.extract import extract_from_lines, extract_policy, typed_policy
from bot.features.policies.importer.reading import SUPPORTED_SUFFIXES
from bot.features.policies.importer.values import (
    MONTH_ONLY_RULE,
    Found,
    FuzzyDate,
    ImportedPolicy,
    NoTextLayerError,
    PolicyImportError,
)

__all__ = [
    "MONTH_ONLY_RULE",
    "SUPPORTED_SUFFIXES",
    "Found",
    "FuzzyDate",
    "ImportedPolicy",
    "NoTextLayerError",
    "PolicyImportError",
    "extract_from_lines",
    "extract_policy",
    "not_ours",
    "same_document",
    "typed_policy",
]
