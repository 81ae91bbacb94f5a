"""The school's configuration: what it says, where it is kept, and how it is read and written.

What it promises: one validated model of an organisation's schools, roles, policies,
requirements, cadences, terms and report clocks (``schema``, with the reports' settings in
``reports``); a school.yaml that is invalid is refused with one line naming file, key and line
(``reading``), and written back commented and hand-readable (``writing``); the configuration
in force is school.yaml or the web pages' newest saved version, every saved change a version
of its own (``store``). ``from bot.core.config import SchoolConfig`` as before.
"""

from __future__ import annotations

from bot.core.config.reports import ClockRule
from bot.core.config.schema import (
    DEFAULT_CADENCE,
    EXTRA_ROLES,
    ROLES,
    AccountConfig,
    Audience,
    Cadence,
    ConfigError,
    Email,
    Escalation,
    JobRole,
    OrgConfig,
    PolicyConfig,
    ReadingProof,
    RequirementConfig,
    Role,
    SchoolConfig,
    Slug,
    Term,
    load_config,
)

__all__ = [
    "DEFAULT_CADENCE",
    "EXTRA_ROLES",
    "ROLES",
    "AccountConfig",
    "Audience",
    "Cadence",
    "ClockRule",
    "ConfigError",
    "Email",
    "Escalation",
    "JobRole",
    "OrgConfig",
    "PolicyConfig",
    "ReadingProof",
    "RequirementConfig",
    "Role",
    "SchoolConfig",
    "Slug",
    "Term",
    "load_config",
]
