"""Who may do what: every role set the product checks, in one place.

A page or command names one of these sets; a new rule is a new set here, so what each role can
see is reviewable in one file. Roles themselves (``staff``, ``dsl``, ...) are defined with the
school configuration (``bot.core.config.ROLES``).
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_EDITORS",
    "ACCOUNT_READERS",
    "DASHBOARD_READERS",
    "DIRECTORY_EDITORS",
    "DSL_TEAM",
    "EVIDENCE_MAKERS",
    "GOVERNORS",
    "LEADERSHIP",
    "POLICY_EDITORS",
    "POLICY_READERS",
    "POSTER_PRINTERS",
    "REPORT_LINK_READERS",
    "REPORT_LIST_READERS",
    "REPORT_READERS",
    "SETUP_EDITORS",
]

# the DSL and deputies: alerted at once about every report, and its default owners
DSL_TEAM = frozenset({"dsl", "deputy_dsl"})
# safeguarding leadership: may read reports (object-level rules still apply) and decisions
LEADERSHIP = DSL_TEAM | {"headteacher"}
REPORT_READERS = LEADERSHIP  # report references and clocks on the dashboard
# the tracked list: the chair sees reports about the headteacher, and nothing else
REPORT_LIST_READERS = LEADERSHIP | {"chair_of_governors"}
REPORT_LINK_READERS = LEADERSHIP | {"admin"}  # the public report link for posters
POSTER_PRINTERS = LEADERSHIP | {"admin"}  # the visitors' QR poster
DASHBOARD_READERS = LEADERSHIP | {"admin"}
# an inspector's evidence pack (staff names, counts of the reports the maker may read)
EVIDENCE_MAKERS = LEADERSHIP
ACCOUNT_READERS = LEADERSHIP | {"admin"}
ACCOUNT_EDITORS = frozenset({"headteacher", "admin"})
# confirm that people missing from the directory have left (one, or a stopped mass removal)
DIRECTORY_EDITORS = frozenset({"headteacher", "admin"})
GOVERNORS = frozenset({"governor", "clerk", "chair_of_governors", "safeguarding_governor"})
POLICY_READERS = LEADERSHIP | {"admin"} | GOVERNORS
POLICY_EDITORS = frozenset({"headteacher", "admin", "clerk"})
# the first-run setup, the settings pages and "Start sending"
SETUP_EDITORS = frozenset({"headteacher", "admin"})
