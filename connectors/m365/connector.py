"""Microsoft 365 connector entry point: ``build()`` checks ``settings.m365`` and assembles the
Connectors bundle (see deploy/m365.md for the tenant setup).

The parts, each behind a protocol of ``bot.core.ports``: ``directory.py`` (Graph users and
role groups, delta), ``mail.py`` (sendMail), ``teams.py`` (Workflows webhook card),
``sharepoint.py`` (list mirror) and ``forms.py`` (Microsoft Forms responses in the list a
Power Automate flow fills). They map
Graph's data to the boundary's dataclasses and :class:`~connectors.m365.errors.GraphCallError`
facts to the outbox's errors. Nothing here imports msgraph: ``client.py`` does, lazily, so
importing this module (or building the local connector) costs nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from bot.core.ports import Connectors, SetupError, UrgentReserve
from connectors.base import pacing_problem
from connectors.m365.client import GraphClient
from connectors.m365.directory import GraphDirectory
from connectors.m365.errors import ENV, M365SetupError, missing_settings
from connectors.m365.forms import ListFormSource
from connectors.m365.mail import DAILY_RECIPIENTS, GraphMailer
from connectors.m365.sharepoint import SharePointListMirror
from connectors.m365.teams import WorkflowsNotifier
from connectors.m365.teams_bot import TeamsBot

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings

__all__ = ["build"]

log = logging.getLogger(__name__)


def _require(settings: Settings) -> None:
    m365 = settings.m365
    missing = missing_settings(m365, "TENANT_ID", "CLIENT_ID", "SENDER")
    if missing:
        raise M365SetupError(
            "the m365 connector needs " + ", ".join(missing) + " (see deploy/m365.md)"
        )
    if m365.certificate_path is not None and not m365.certificate_path.is_file():
        raise M365SetupError(f"{ENV}CERTIFICATE_PATH: no file at {m365.certificate_path}")
    if m365.forms_list and not m365.site_id:
        raise M365SetupError(
            f"{ENV}FORMS_LIST needs {ENV}SITE_ID: the site that holds the form list"
        )
    pacing = pacing_problem(m365, ENV, DAILY_RECIPIENTS, "recipients")
    if pacing:
        raise M365SetupError(pacing)
    if not m365.graph_endpoint.startswith("https://"):
        raise M365SetupError(f"{ENV}GRAPH_ENDPOINT must be an https URL")


def build(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Connectors:
    """Build the Microsoft 365 connectors from ``settings.m365``.

    Args:
        settings: the deployment settings.
        transport: an httpx transport for Graph, tokens and the webhook (tests only).
        clock: the mailer's Retry-After bookkeeping and the Teams bot's pacers (tests share a
            fake clock with the fake Graph).
        sleep: the Teams bot's pacers (its per-second limits); the mailbox's limits are
            counted by the dispatcher, in the database.

    Returns:
        ``Connectors(name="m365", ...)``; notifier, mirror and forms are None when not set up.
    """
    _require(settings)
    m365 = settings.m365
    assert m365.sender is not None  # checked by _require
    client = GraphClient.from_settings(m365, transport=transport, clock=clock, sleep=sleep)
    sync_transport = transport if isinstance(transport, httpx.BaseTransport) else None

    def mailer_for(sender: str) -> GraphMailer:  # a school's own mailbox, paced on its own
        return GraphMailer(
            client,
            sender,
            per_minute=m365.messages_per_minute,
            clock=clock,
            reserve=UrgentReserve(m365.urgent_reserve_per_minute, m365.urgent_reserve_per_day),
        )

    notifier = (
        WorkflowsNotifier(m365.teams_webhook_url, transport=sync_transport)
        if m365.teams_webhook_url is not None
        else None
    )
    mirror = SharePointListMirror(client, m365.site_id, m365.list_name) if m365.site_id else None
    forms = (
        ListFormSource(client, m365.site_id, m365.forms_list)
        if m365.site_id and m365.forms_list
        else None
    )
    chat = None
    if m365.bot_app_id:  # the connector's credential (certificate or secret) is checked above
        try:
            chat = TeamsBot.from_settings(m365, transport=sync_transport, clock=clock, sleep=sleep)
        except SetupError as exc:  # mail and the rest still work; check m365 says the same
            log.warning("the Teams bot is off: %s", exc)
    return Connectors(
        name="m365",
        chat=chat,
        directory=GraphDirectory.from_settings(client, m365),
        mailer=mailer_for(m365.sender),
        mailer_for=mailer_for,
        notifier=notifier,
        mirror=mirror,
        forms=forms,
        paced=(client,),  # its directory reads, counted per app per tenant
    )
