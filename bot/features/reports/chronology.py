"""The lines the bot writes into a report's chronology, and how a reader sees them.

Each line is one of the catalogue sentences below with its values (a ``Msg``): its English is
written as the entry's text, exactly as it always was (a chronology entry is sealed into the
audit chain when written, ``bot.core.audit.seals``, so what is stored never changes), and the
sentence and values beside it (``ReportEntry.said``). When the report is shown, the line is
said in the reader's language from them; the stored English stays the record, and the exports
and the evidence pack keep it as it is. A line written before (no sentence kept beside it) is
shown as stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.language.i18n import N_, Lazy, Msg, nmsg
from bot.core.language.kept_text import from_data

if TYPE_CHECKING:
    from bot.core.guards.forms import Text
    from bot.core.models import ReportEntry

__all__ = [
    "BOT_KINDS",
    "CLOCK_STOPPED_IN_TIME",
    "CLOCK_STOPPED_LATE",
    "DECIDED_NOT_TO_REFER",
    "IMMEDIATE_RISK",
    "NOBODY",
    "NOBODY_ALERTED",
    "NO_LINE_MANAGER",
    "OWNER_SET",
    "REFERRED",
    "STATUS_CHANGED",
    "SUBJECT_RECORDED",
    "SUBJECT_RECORDED_OWNER",
    "said",
    "withheld",
]

# the kinds of entry whose lines the bot writes (a person's own actions, notes and corrections
# are their words, shown as they wrote them)
BOT_KINDS = frozenset({"system", "status", "owner", "referral", "decision"})

STATUS_CHANGED = N_("Status changed from %(status_from)s to %(status_to)s.")
OWNER_SET = N_("Owner set to %(owner)s.")
NOBODY = N_("nobody")
REFERRED = N_("Referred to %(referral)s.")  # + the person's own details, as they wrote them
DECIDED_NOT_TO_REFER = N_("Decision: no referral to %(referral)s needed.")  # + details
CLOCK_STOPPED_LATE = N_("Clock stopped: %(clock)s (after its deadline)")
CLOCK_STOPPED_IN_TIME = N_("Clock stopped: %(clock)s (in time)")
NO_LINE_MANAGER = N_(
    "No line manager to tell: the directory names none for the member of staff (or only the "
    "person it is about)."
)
SUBJECT_RECORDED = N_(
    "Recorded by %(who)s as being about %(person)s: they are not told and cannot see this report."
)
SUBJECT_RECORDED_OWNER = N_(
    "Recorded by %(who)s as being about %(person)s: they are not told and cannot see this "
    "report. They were its owner; it has no owner now."
)
NOBODY_ALERTED = N_(
    "Nobody could be alerted: the configuration names no %(dsl)s, deputy or %(head)s for this "
    "kind of report."
)
IMMEDIATE_RISK = N_(
    "The reporter said a child may be at risk of harm right now. A child may be at risk of "
    "harm right now: if so call 999, and tell the %(dsl)s in person now."
)


def withheld(count: int) -> Msg:
    """The line for attached files not stored (suspected illegal images)."""
    return nmsg(
        "%(num)s attached file was not stored: images that may be indecent must not be copied "
        "or kept. Secure the original device instead.",
        "%(num)s attached files were not stored: images that may be indecent must not be "
        "copied or kept. Secure the original device instead.",
        count,
    )


def said(entry: ReportEntry) -> Text:
    """A chronology line as the reader reads it: a line the bot wrote from its sentence and
    values; a person's own words, and a line written before, as stored."""
    if entry.said is None:
        return entry.text
    line = from_data(entry.said)
    return line if isinstance(line, Lazy) else entry.text
