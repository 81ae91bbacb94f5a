"""The domain model (DESIGN.md §2–4) as SQLAlchemy 2 tables, one module per table group;
every record belongs to a school.

Importing the package defines every table, so every user of the metadata (the store, Alembic,
the tests) sees them all: ``from bot.core.models import Person`` as before. The groups:

- ``base``: the declarative base, the clock models use (``utcnow``), the school;
- ``people``: the directory's people, their roles and groups, people added by hand;
- ``policies``: policies, versions, reviews, requirements;
- ``accounts``: official accounts and their holders;
- ``duties``: duties, attestations, training records;
- ``complaints``: data-protection complaints to the school;
- ``holds``: legal holds the DSL sets, which the retention schedule never disposes of;
- ``audit``: the audit chain's head and events, the notes of bulk-sealed rows;
- ``reports``: reports, their entries, clocks and attachments;
- ``registers``: decisions, task completions, visitors' confirmations;
- ``running``: connector state, directory reads kept, sweep runs, the sweep queue, steps
  failing, rate-limit buckets, the scheduler's last beat;
- ``outbox``: outgoing messages, channels' pauses, mail pacing, shared bodies;
- ``setup``: setup state, saved configuration versions, each school's last good settings;
- ``signin``: one-time sign-in links;
- ``scr``: the single central record's checks (whether and when only), panels, gaps;
- ``snapshot``: the dashboard's kept counts;
- ``teams``: people's chats with the school's Teams bot.
"""

from __future__ import annotations

from bot.core.models.accounts import AccountHolder as AccountHolder
from bot.core.models.accounts import OfficialAccount as OfficialAccount
from bot.core.models.audit import AuditEvent as AuditEvent
from bot.core.models.audit import AuditHead as AuditHead
from bot.core.models.audit import SealNote as SealNote
from bot.core.models.base import Base as Base
from bot.core.models.base import School as School
from bot.core.models.base import UTCDateTime as UTCDateTime
from bot.core.models.base import utcnow as utcnow
from bot.core.models.complaints import Complaint as Complaint
from bot.core.models.duties import Attestation as Attestation
from bot.core.models.duties import Duty as Duty
from bot.core.models.duties import PageSeen as PageSeen
from bot.core.models.duties import ReadingCheck as ReadingCheck
from bot.core.models.duties import TrainingRecord as TrainingRecord
from bot.core.models.holds import LegalHold as LegalHold
from bot.core.models.outbox import DispatchWorker as DispatchWorker
from bot.core.models.outbox import MailSend as MailSend
from bot.core.models.outbox import OutboxAttachment as OutboxAttachment
from bot.core.models.outbox import OutboxAttachmentUse as OutboxAttachmentUse
from bot.core.models.outbox import OutboxBody as OutboxBody
from bot.core.models.outbox import OutboxChannel as OutboxChannel
from bot.core.models.outbox import OutboxMessage as OutboxMessage
from bot.core.models.outbox import Urgency as Urgency
from bot.core.models.people import ExtraPerson as ExtraPerson
from bot.core.models.people import Person as Person
from bot.core.models.people import PersonGroup as PersonGroup
from bot.core.models.people import PersonRole as PersonRole
from bot.core.models.people import active_person as active_person
from bot.core.models.policies import Policy as Policy
from bot.core.models.policies import PolicyReview as PolicyReview
from bot.core.models.policies import PolicyVersion as PolicyVersion
from bot.core.models.policies import Requirement as Requirement
from bot.core.models.registers import Decision as Decision
from bot.core.models.registers import DecisionAttachment as DecisionAttachment
from bot.core.models.registers import DecisionReview as DecisionReview
from bot.core.models.registers import ReviewEvent as ReviewEvent
from bot.core.models.registers import TaskCompletion as TaskCompletion
from bot.core.models.registers import VisitorAssurance as VisitorAssurance
from bot.core.models.reports import REPORTS_VERSION as REPORTS_VERSION
from bot.core.models.reports import Report as Report
from bot.core.models.reports import ReportAttachment as ReportAttachment
from bot.core.models.reports import ReportClock as ReportClock
from bot.core.models.reports import ReportEntry as ReportEntry
from bot.core.models.running import ConnectorState as ConnectorState
from bot.core.models.running import KeptRead as KeptRead
from bot.core.models.running import RateLimitBucket as RateLimitBucket
from bot.core.models.running import SchedulerBeat as SchedulerBeat
from bot.core.models.running import StepFailure as StepFailure
from bot.core.models.running import SweepJob as SweepJob
from bot.core.models.running import SweepRun as SweepRun
from bot.core.models.scr import ScrCheck as ScrCheck
from bot.core.models.scr import ScrEntry as ScrEntry
from bot.core.models.scr import ScrGap as ScrGap
from bot.core.models.scr import ScrPanel as ScrPanel
from bot.core.models.scr import ScrPanelMember as ScrPanelMember
from bot.core.models.setup import ConfigVersion as ConfigVersion
from bot.core.models.setup import SchoolLifecycle as SchoolLifecycle
from bot.core.models.setup import SchoolSettings as SchoolSettings
from bot.core.models.setup import SetupState as SetupState
from bot.core.models.signin import SignInLink as SignInLink
from bot.core.models.snapshot import AudienceSize as AudienceSize
from bot.core.models.snapshot import DutySnapshot as DutySnapshot
from bot.core.models.snapshot import DutyTally as DutyTally
from bot.core.models.snapshot import KeptFigures as KeptFigures
from bot.core.models.snapshot import PersonTally as PersonTally
from bot.core.models.teams import TeamsChat as TeamsChat
from bot.core.models.teams import chats_of as chats_of
