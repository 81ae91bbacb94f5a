"""The sentences the importer writes about a document — what it could not find (``missing``),
what a person should check (``warnings``) and why a value was taken (a value's ``note``) — as
catalogue sentences kept with their values (``Msg``): said in the reader's language where
shown, in English in the JSON.
"""

from __future__ import annotations

from bot.core.language.i18n import N_

__all__: list[str] = []

# what the register needs and the document does not say (``ImportedPolicy.missing``)
MISSING_TITLE_GUESS = N_(
    "title: not clear from the document — is it '%(guess)s'? (%(problem)s, line %(line)s) — "
    "please confirm or supply it"
)
MISSING_TITLE = N_(
    "title: not stated in the document (no line names the policy) — please supply it"
)
MISSING_NEXT_REVIEW = N_(
    "next review date: not stated in the document, and no approval or review date to work it "
    "out from — please supply it"
)
MISSING_NEXT_REVIEW_TERM = N_(
    "next review date: not stated in the document (it gives only a school term, '%(term)s'), "
    "and no approval or review date to work it out from — please supply it"
)
MISSING_BODY = N_(
    "approving body: not stated in the document (who approves or ratifies it, e.g. the Full "
    "Governing Body or a named committee) — please supply it"
)
# what a person should check (``ImportedPolicy.warnings``)
DERIVED_UNSTATED = N_(
    "next review date: not stated; derived as %(day)s from %(problem)s — please confirm"
)
NOT_MATCHING = N_(
    "next review date %(day)s (line %(line)s) does not match %(problem)s = %(derived)s"
)
NOT_USABLE = N_(
    "line %(line)s: '%(text)s' after '%(label)s' is not a usable date (%(problem)s); ignored"
)
NO_CHANNELS = N_("line %(line)s: says the school runs no official social media channels")
NO_CHANNELS_NAMED = N_(
    "line %(line)s: says the school runs no official social media channels; platforms named "
    "there (%(names)s) were not imported"
)
AMBIGUOUS = N_(
    "line %(line)s: '%(phrase)s' is ambiguous (twice a year or every two years?); not used as "
    "the review cycle"
)
CYCLE_ASSUMED = N_(
    "review cycle: not stated in the document; assumed %(months)s months (default) — please confirm"
)
# two lines giving one field different values, and a date given as a term: the field's name
# (``FIELDS``) is the value named ``problem``, so that it is read back in the reader's words
DISAGREE = N_(
    "%(problem)s: line %(line)s says %(value)s but line %(kept)s says %(other)s; kept line %(kept)s"
)
GIVEN_AS_TERM = N_(
    "line %(line)s: %(problem)s is given as a school term ('%(term)s'), not a date; not used — "
    "please supply a date"
)
# the fields a document may give twice, as those lines name them
FIELDS = {
    "next_review": N_("next review date"),
    "last_reviewed": N_("last reviewed date"),
    "ratified": N_("ratified/approved date"),
    "written": N_("date written"),
    "approving_body": N_("approving body"),
}
# why a value was taken (``Found.note``; parts joined with "; ")
ASSUMPTION = N_("assumption: not stated in the document")
AT_LEAST = N_("'%(phrase)s': taken as 12 months, the longest gap allowed")
TERMLY = N_("termly: taken as 4 months (three terms a year)")
CAPITALS = N_("converted from capitals")
FILE_TITLE = N_("the file's title")
BEFORE_TITLE = N_("written before the policy's title")
NUMBER_LEFT_OUT = N_("the number '%(number)s' before it left out")
AFTER_SCHOOL = N_("after the school's name '%(school)s'")
IN_A_TABLE = N_("in a table, under '%(header)s' (line %(line)s)")
NEXT_LINE = N_("date on the line after its label '%(label)s' (line %(line)s)")
UNLABELLED = N_("unlabelled date near the title; taken as the date written")
LINKS_SECTION = N_("listed under 'Links with other policies'")
COMMITTEE = N_("committee member with lead responsibility (the setting's governors)")
# an abbreviation the document uses for the body that approves it, and the body it stands for
# (kept in the document's words)
ABBREVIATION = N_("%(short)s = %(body)s")
TYPED = N_("typed in")
# a next review worked out: from which date (on which line), and why it may be off
DERIVED_FROM = {
    ("ratified", True): N_("ratified %(day)s (line %(line)s) + %(months)s months"),
    ("ratified", False): N_("ratified %(day)s + %(months)s months"),
    ("last reviewed", True): N_("last reviewed %(day)s (line %(line)s) + %(months)s months"),
    ("last reviewed", False): N_("last reviewed %(day)s + %(months)s months"),
    ("written", True): N_("written %(day)s (line %(line)s) + %(months)s months"),
    ("written", False): N_("written %(day)s + %(months)s months"),
}
CYCLE_NOT_STATED = N_("cycle assumed: not stated in the document")
DAY_MOVED = N_("day moved to the month's last day")
