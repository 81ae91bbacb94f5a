"""The sending mailbox's reads of ``GraphClient``: its Sent Items and its inbox (msgraph
imported lazily), as ``client_sharepoint.py`` holds the SharePoint calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from connectors.m365.client_pipeline import query

__all__ = ["MailboxCalls"]

T = TypeVar("T")


class MailboxCalls:
    """Reads of the sender mailbox (``Mail.ReadBasic.All``: envelopes and headers only).

    A mixin of :class:`~connectors.m365.client.GraphClient`, which provides ``_call``.
    """

    def _call(self, what: str, make: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # GraphClient runs ``make`` on its loop thread

    def sent_message_id(self, sender: str, internet_message_id: str) -> str | None:
        """``GET /users/{sender}/mailFolders/SentItems/messages?$filter=internetMessageId eq
        '...'``: the Graph id of the sent item with that Message-ID, or None. Needs
        ``Mail.ReadBasic.All`` (only the message's envelope is read: ``$select=id``)."""

        async def call(graph: Any) -> str | None:
            quoted = internet_message_id.replace("'", "''")  # OData string literal
            folder = graph.users.by_user_id(sender).mail_folders.by_mail_folder_id("SentItems")
            response = await folder.messages.get(query(
                folder.messages, filter=f"internetMessageId eq '{quoted}'", select=["id"], top=1))
            found = (response.value if response else None) or []
            return str(found[0].id) if found else None

        return self._call("reading Sent Items", call)

    def inbox_reports(self, sender: str, since: datetime) -> list[dict[str, Any]]:
        """``GET /users/{sender}/mailFolders/inbox/messages?$filter=receivedDateTime ge ...``:
        the non-delivery reports Exchange put in the sender's inbox since ``since`` (sent by
        the postmaster, or marked ``X-MS-Exchange-Message-Is-Ndr``), as ``{"subject",
        "headers": {lower-cased name: value}}``. Envelope only (``Mail.ReadBasic.All``)."""

        async def call(graph: Any) -> list[dict[str, Any]]:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            folder = graph.users.by_user_id(sender).mail_folders.by_mail_folder_id("inbox")
            response = await folder.messages.get(query(
                folder.messages, filter=f"receivedDateTime ge {stamp}", top=50,
                select=["id", "subject", "from", "internetMessageHeaders"]))
            reports = []
            for item in (response.value if response else None) or []:
                headers = {str(h.name).lower(): str(h.value or "")
                           for h in item.internet_message_headers or []}
                sender_address = str(item.from_.email_address.address or "") if (
                    item.from_ and item.from_.email_address) else ""
                local = sender_address.partition("@")[0].casefold()
                if "x-ms-exchange-message-is-ndr" in headers or local == "postmaster" or (
                        local.startswith("microsoftexchange")):
                    reports.append({"subject": item.subject or "", "headers": headers})
            return reports

        return self._call("reading the inbox", call)
