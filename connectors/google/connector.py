"""Google Workspace connector entry point: ``build()`` checks ``settings.google`` and assembles
the Connectors bundle (see deploy/google.md).

The parts, each behind a protocol of ``bot.core.ports``: ``directory.py`` (Admin SDK),
``mail.py`` (Gmail), ``chat.py`` (Chat webhook card), ``sheets.py`` (list mirror) and
``forms.py`` (Google Forms); ``errors.py`` maps Google's failures (already reduced to
:class:`~connectors.google.client.GoogleCallError` by ``client.py``, the only module that
touches the SDK) onto the outbox's errors. Importing this module does not import googleapiclient.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from bot.core.deployment.settings import SettingsError
from bot.core.ports import Connectors, UrgentReserve
from connectors.base import pacing_problem
from connectors.google.chat import ChatWebhookNotifier
from connectors.google.chat_app import GoogleChatApp
from connectors.google.client import GoogleClient, GoogleSetupError
from connectors.google.directory import GoogleDirectory
from connectors.google.forms import GoogleFormSource
from connectors.google.mail import DAILY_SEND_LIMIT as DAILY_MESSAGES
from connectors.google.mail import GmailMailer
from connectors.google.sheets import SheetsListMirror

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings

__all__ = ["build"]


def build(
    settings: Settings,
    *,
    http: Any | None = None,
    chat_transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Connectors:
    """Build the Google connectors from ``settings.google`` (see deploy/google.md); ``clock``
    and ``sleep`` are what the client's quota pacer counts and waits by (tests: a simulated
    clock's).

    Raises:
        SettingsError: a required ``COMPLIANCE_BOT_GOOGLE__...`` variable is missing or wrong.
    """
    google = settings.google
    required = {
        "SERVICE_ACCOUNT_FILE": google.service_account_file,
        "ADMIN_SUBJECT": google.admin_subject,
        "SENDER": google.sender,
    }
    for name, value in required.items():
        if not value:
            raise SettingsError(
                f"COMPLIANCE_BOT_GOOGLE__{name} is required when COMPLIANCE_BOT_CONNECTOR=google"
            )
    pacing = pacing_problem(google, "COMPLIANCE_BOT_GOOGLE__", DAILY_MESSAGES, "messages")
    if pacing:
        raise SettingsError(pacing)
    assert google.sender is not None  # checked above
    try:
        client = GoogleClient.from_settings(google, http=http, clock=clock, sleep=sleep)
    except GoogleSetupError as exc:
        raise SettingsError(f"COMPLIANCE_BOT_GOOGLE__SERVICE_ACCOUNT_FILE: {exc}") from None

    def mailer_for(sender: str) -> GmailMailer:  # a school's own account, as itself
        own = dataclasses.replace(client, sender=sender)
        return GmailMailer(
            own.gmail(),
            sender,
            per_minute=google.messages_per_minute,
            reserve=UrgentReserve(google.urgent_reserve_per_minute, google.urgent_reserve_per_day),
            lookup=own.gmail_lookup,
        )

    notifier = (
        ChatWebhookNotifier(google.chat_webhook_url, transport=chat_transport)
        if google.chat_webhook_url is not None
        else None
    )
    mirror = (
        SheetsListMirror(client.sheets(), google.spreadsheet_id, google.sheet_name)
        if google.spreadsheet_id
        else None
    )
    forms = GoogleFormSource(client.forms(), google.form_id) if google.form_id else None
    # the school's Chat app (its project number set): cards in each person's direct message
    chat = (
        GoogleChatApp(client.chat(), client.chat_as, project=google.chat_project_number)
        if google.chat_project_number
        else None
    )
    return Connectors(
        name="google",
        directory=GoogleDirectory(
            client.directory(),
            customer=google.customer,
            groups=google.role_groups,
            query=google.user_query,
            roles_by_group=google.role_groups,  # settings say which groups give which role
            all_users=google.all_users,
        ),
        mailer=mailer_for(google.sender),
        mailer_for=mailer_for,
        notifier=notifier,
        mirror=mirror,
        forms=forms,
        chat=chat,
        paced=(client.pacing,),  # Directory and Gmail quotas, per project and user
    )
