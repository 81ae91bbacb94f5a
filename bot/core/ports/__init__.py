"""The ports: what the bot asks of a platform, and the plain types that cross to and fro.

The promise: ``bot`` speaks to platforms only through these protocols and dataclasses, and
every failure a platform meets reaches it as one of the ``ConnectorError`` subclasses below,
which tell the outbox what it may safely do next. The adapters (``connectors/``: local, m365,
google) implement them and import them from here; only the app's edge (``bot/wiring.py``)
imports the adapters, to build a deployment's ``Connectors`` (DESIGN.md §5).

One module per port: ``directory`` (and a school's own staff file), ``mis``, ``mail``, ``chat``
(the channel's notifier and the school's chat bot), ``lists`` (the tracked list's mirror),
``forms`` (external forms) and ``checks`` (``compliance-bot check``'s rows); ``errors`` the
failures they share, ``bundle`` the set one deployment builds. The platforms' limits are
``bot.core.ports.limits``' and named here too.

Example: a minimal mailer (``Mailer`` declares the optional capabilities with defaults)::

    class PrintMailer(Mailer):
        name = "print"
        def send(self, message: OutgoingEmail) -> SendResult:
            print(message.subject)
            return SendResult(provider_id=None)
"""

from __future__ import annotations

from bot.core.ports.bundle import Connectors as Connectors
from bot.core.ports.chat import GOOGLE_CHAT_SERVICE as GOOGLE_CHAT_SERVICE
from bot.core.ports.chat import TEAMS_APP_RSC as TEAMS_APP_RSC
from bot.core.ports.chat import BulkFeed as BulkFeed
from bot.core.ports.chat import CardMessage as CardMessage
from bot.core.ports.chat import ChatBot as ChatBot
from bot.core.ports.chat import Notifier as Notifier
from bot.core.ports.checks import CheckRow as CheckRow
from bot.core.ports.checks import PlatformCheck as PlatformCheck
from bot.core.ports.directory import Directory as Directory
from bot.core.ports.directory import DirectoryChanges as DirectoryChanges
from bot.core.ports.directory import DirectoryPerson as DirectoryPerson
from bot.core.ports.directory import RejectedRecord as RejectedRecord
from bot.core.ports.directory import StaffFile as StaffFile
from bot.core.ports.errors import ConnectorError as ConnectorError
from bot.core.ports.errors import DeliveryUnknownError as DeliveryUnknownError
from bot.core.ports.errors import PermanentError as PermanentError
from bot.core.ports.errors import RetryableError as RetryableError
from bot.core.ports.errors import SetupError as SetupError
from bot.core.ports.forms import FormResponse as FormResponse
from bot.core.ports.forms import FormSource as FormSource
from bot.core.ports.forms import UnreadableResponse as UnreadableResponse
from bot.core.ports.limits import Limit as Limit
from bot.core.ports.limits import MailPacing as MailPacing
from bot.core.ports.limits import Pacer as Pacer
from bot.core.ports.limits import UrgentReserve as UrgentReserve
from bot.core.ports.lists import ListMirror as ListMirror
from bot.core.ports.mail import Attachment as Attachment
from bot.core.ports.mail import BounceReader as BounceReader
from bot.core.ports.mail import LookupNotPermittedError as LookupNotPermittedError
from bot.core.ports.mail import Mailer as Mailer
from bot.core.ports.mail import OutgoingEmail as OutgoingEmail
from bot.core.ports.mail import SendResult as SendResult
from bot.core.ports.mail import SentItemsLookup as SentItemsLookup
from bot.core.ports.mis import MisChanges as MisChanges
from bot.core.ports.mis import MisPerson as MisPerson
from bot.core.ports.mis import MisSource as MisSource
