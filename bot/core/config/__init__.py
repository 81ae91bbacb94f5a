"""The school's configuration: what it says, where it is kept, and how it is read and written.

What it promises: one validated model of an organisation's schools, roles, policies,
requirements, cadences, terms and report clocks (``schema``, with what is owed in ``owed``
and the reports' settings in ``reports``); a school.yaml that is invalid is refused with one
line naming file, key and line (``reading``), and written back commented and hand-readable
(``writing``); the configuration in force is school.yaml or the web pages' newest saved
version, every saved change a version of its own (``store``). ``from bot.core.config import
SchoolConfig`` as before.
"""

from __future__ import annotations

from bot.core.config.fields import EXTRA_ROLES as EXTRA_ROLES
from bot.core.config.fields import JOB_ROLES as JOB_ROLES
from bot.core.config.fields import ROLES as ROLES
from bot.core.config.fields import Email as Email
from bot.core.config.fields import JobRole as JobRole
from bot.core.config.fields import Role as Role
from bot.core.config.fields import Slug as Slug
from bot.core.config.owed import DEFAULT_CADENCE as DEFAULT_CADENCE
from bot.core.config.owed import AccountConfig as AccountConfig
from bot.core.config.owed import Audience as Audience
from bot.core.config.owed import Cadence as Cadence
from bot.core.config.owed import Escalation as Escalation
from bot.core.config.owed import PolicyConfig as PolicyConfig
from bot.core.config.owed import RequirementConfig as RequirementConfig
from bot.core.config.proof import ReadingProof as ReadingProof
from bot.core.config.reports import ClockRule as ClockRule
from bot.core.config.schema import ConfigError as ConfigError
from bot.core.config.schema import OrgConfig as OrgConfig
from bot.core.config.schema import SchoolConfig as SchoolConfig
from bot.core.config.schema import Term as Term
from bot.core.config.schema import load_config as load_config
