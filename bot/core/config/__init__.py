"""The school's configuration: what it says, where it is kept, and how it is read and written.

What it promises: one validated model of an organisation's schools, roles, policies,
requirements, cadences, terms and report clocks (``schema``, with the reports' settings in
``reports``); a school.yaml that is invalid is refused with one line naming file, key and line
(``reading``), and written back commented and hand-readable (``writing``); the configuration
in force is school.yaml or the web pages' newest saved version, every saved change a version
of its own (``store``). ``from bot.core.config import SchoolConfig`` as before.
"""

from __future__ import annotations

from bot.core.config.reports import ClockRule, ReportClocks, ReportSettings, WorkingHours
from bot.core.config.schema import (
    DEFAULT_CADENCE,
    EXTRA_ROLES,
    ROLES,
    TERM_DATES_ASK_DAYS,
    AccountConfig,
    Audience,
    Cadence,
    ConfigError,
    DirectoryRules,
    Email,
    Escalation,
    EventKind,
    JobRole,
    Months,
    Organisation,
    OrgConfig,
    PartName,
    PolicyConfig,
    ReadingProof,
    RequirementConfig,
    Role,
    SchoolConfig,
    SendingWindow,
    Slug,
    Term,
    load_config,
)

__all__ = [
    "DEFAULT_CADENCE",
    "EXTRA_ROLES",
    "ROLES",
    "TERM_DATES_ASK_DAYS",
    "AccountConfig",
    "Audience",
    "Cadence",
    "ClockRule",
    "ConfigError",
    "DirectoryRules",
    "Email",
    "Escalation",
    "EventKind",
    "JobRole",
    "Months",
    "OrgConfig",
    "Organisation",
    "PartName",
    "PolicyConfig",
    "ReadingProof",
    "ReportClocks",
    "ReportSettings",
    "RequirementConfig",
    "Role",
    "SchoolConfig",
    "SendingWindow",
    "Slug",
    "Term",
    "WorkingHours",
    "load_config",
]
