"""Who may do what: every role set the product checks, in one place.

A page or command names one of these sets; a new rule is a new set here, so what each role can
see is reviewable in one file. Roles themselves (``staff``, ``dsl``, ...) are defined with the
school configuration (``bot.core.config.ROLES``); ``trust_admin`` is given by the organisation's
``trust_admins`` list, in every school its holder is a person of. Every admin page and export
shows the signed-in person's own school; only ``TRUST_ADMINS`` may see the whole trust's.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_EDITORS",
    "ACCOUNT_READERS",
    "ADMINS",
    "DASHBOARD_READERS",
    "DIRECTORY_EDITORS",
    "DSL_TEAM",
    "EVIDENCE_MAKERS",
    "GOVERNORS",
    "LEADERSHIP",
    "ON_BEHALF_RECORDERS",
    "POLICY_EDITORS",
    "POLICY_READERS",
    "POSTER_PRINTERS",
    "REPORT_LINK_READERS",
    "REPORT_LIST_READERS",
    "REPORT_READERS",
    "REVIEW_RECORDERS",
    "SCR_READERS",
    "SETUP_EDITORS",
    "TRUST_ADMINS",
    "TRUST_OVERSIGHT",
]

# the bot's administrators: a school's own, and the trust's (who also see the whole trust)
TRUST_ADMINS = frozenset({"trust_admin"})
ADMINS = frozenset({"admin"}) | TRUST_ADMINS

# the DSL and deputies: alerted at once about every report, and its default owners
DSL_TEAM = frozenset({"dsl", "deputy_dsl"})
# safeguarding leadership: may read reports (object-level rules still apply) and decisions
LEADERSHIP = DSL_TEAM | {"headteacher"}
REPORT_READERS = LEADERSHIP  # report references and clocks on the dashboard
# the tracked list: the chair sees reports about the headteacher, and nothing else
REPORT_LIST_READERS = LEADERSHIP | {"chair_of_governors"}
REPORT_LINK_READERS = LEADERSHIP | ADMINS  # the public report link for posters
POSTER_PRINTERS = LEADERSHIP | ADMINS  # the visitors' QR poster
DASHBOARD_READERS = LEADERSHIP | ADMINS
# an inspector's evidence pack (staff names, counts of the reports the maker may read)
EVIDENCE_MAKERS = LEADERSHIP
ACCOUNT_READERS = LEADERSHIP | ADMINS
ACCOUNT_EDITORS = frozenset({"headteacher"}) | ADMINS
# confirm that people missing from the directory have left (one, or a stopped mass removal)
DIRECTORY_EDITORS = frozenset({"headteacher"}) | ADMINS
GOVERNORS = frozenset({"governor", "clerk", "chair_of_governors", "safeguarding_governor"})
POLICY_READERS = LEADERSHIP | ADMINS | GOVERNORS
POLICY_EDITORS = frozenset({"headteacher", "clerk"}) | ADMINS
# record an event that opens reviews (a new AI tool, new guidance) and see every review
REVIEW_RECORDERS = LEADERSHIP | ADMINS
# who records an acknowledgement, a reading or a training for someone without an email address,
# besides their line manager: those the school asks on their behalf (the office, the head)
ON_BEHALF_RECORDERS = frozenset({"headteacher"}) | ADMINS
# the single central record's gaps by name (/scr): the headteacher, and the school's named SCR
# owner (``scr_owner`` in school.yaml, an office person) whatever their roles; nobody else
SCR_READERS = frozenset({"headteacher"})
# the first-run setup, the settings pages and "Start sending"
SETUP_EDITORS = frozenset({"headteacher"}) | ADMINS
# the trust's safeguarding leads (``organisation.trust_safeguarding_leads``): every school's
# headline counts on /trust and in a weekly email, never a report's content or subject
TRUST_OVERSIGHT = frozenset({"trust_safeguarding_lead"})
