"""The mail calls of ``GraphClient``: sending as MIME exactly once, the permission probe, and
reading the sender's own mailbox (Sent Items, the inbox's non-delivery reports) by envelope only.

Part of the client layer (with ``client.py``, which mixes :class:`MailCalls` into ``GraphClient``,
``client_sharepoint.py`` and ``client_pipeline.py``): each call runs on the client's loop thread
through ``GraphClient._call``. The SDK is imported inside the calls (the m365 extra; msgraph costs
~0.3-0.7 s to import, PLATFORM-FACTS).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from connectors.m365.client_pipeline import once_native, post_once, query
from connectors.m365.errors import raise_for_native

__all__ = ["MailCalls"]

T = TypeVar("T")


class MailCalls:
    """Mail (``/users/{sender}/sendMail`` and the sender's folders), ``Mail.Send`` and
    ``Mail.ReadBasic.All``.

    A mixin of :class:`~connectors.m365.client.GraphClient`, which provides ``_call`` (run on the
    loop thread, translate failures).
    """

    def _call(self, what: str, make: Callable[[Any], Awaitable[T]]) -> T:
        raise NotImplementedError  # GraphClient runs ``make`` on its loop thread

    # ---- mail --------------------------------------------------------------------------
    def send_mime(self, sender: str, mime: bytes) -> str | None:
        """``POST /users/{sender}/sendMail`` with a base64 MIME body, exactly once.

        Graph's JSON message has one body (text *or* HTML), so the message goes as MIME
        (Graph's documented "send mail in MIME format": ``Content-Type: text/plain``, base64).
        The SDK's RetryHandler is switched off for this request. Returns Graph's request-id.
        """

        async def call(graph: Any) -> str | None:
            # lazy: the m365 extra, ~0.3-0.7 s (module docstring)
            from kiota_abstractions.method import Method
            from kiota_abstractions.request_information import RequestInformation

            builder = graph.users.by_user_id(sender).send_mail
            info = RequestInformation(Method.POST, builder.url_template, builder.path_parameters)
            once_native(info)
            info.headers.try_add("Accept", "application/json")
            info.set_stream_content(base64.b64encode(mime), "text/plain")
            response = await graph.request_adapter.send_no_response_content_async(info, None)
            raise_for_native(response, "sendMail")
            return response.headers.get("request-id")  # type: ignore[no-any-return]

        return self._call("sendMail", call)

    def send_probe(self, sender: str) -> None:
        """A sendMail that cannot deliver (no recipients): 400 proves Mail.Send, 403 its absence.

        Exchange checks the app's right to the mailbox before it validates the message, so
        ``ErrorInvalidRecipients`` (400) means "allowed" and nothing is sent.
        """

        async def call(graph: Any) -> None:
            from msgraph.generated.models.body_type import BodyType
            from msgraph.generated.models.item_body import ItemBody
            from msgraph.generated.models.message import Message
            from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
                SendMailPostRequestBody,
            )

            body = SendMailPostRequestBody(
                message=Message(
                    subject="compliance-bot permission check (never delivered)",
                    body=ItemBody(content_type=BodyType.Text, content="permission check"),
                    to_recipients=[],
                ),
                save_to_sent_items=False,
            )
            await graph.users.by_user_id(sender).send_mail.post(body, post_once())

        self._call("sendMail (probe)", call)

    # ---- the sender's mailbox, read (Mail.ReadBasic.All: envelopes and headers only) ---------
    def sent_message_id(self, sender: str, internet_message_id: str) -> str | None:
        """``GET /users/{sender}/mailFolders/SentItems/messages?$filter=internetMessageId eq
        '...'``: the Graph id of the sent item with that Message-ID, or None. Needs
        ``Mail.ReadBasic.All`` (only the message's envelope is read: ``$select=id``)."""

        async def call(graph: Any) -> str | None:
            quoted = internet_message_id.replace("'", "''")  # OData string literal
            folder = graph.users.by_user_id(sender).mail_folders.by_mail_folder_id("SentItems")
            response = await folder.messages.get(
                query(
                    folder.messages, filter=f"internetMessageId eq '{quoted}'", select=["id"], top=1
                )
            )
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
            response = await folder.messages.get(
                query(
                    folder.messages,
                    filter=f"receivedDateTime ge {stamp}",
                    top=50,
                    select=["id", "subject", "from", "internetMessageHeaders"],
                )
            )
            reports = []
            for item in (response.value if response else None) or []:
                headers = {
                    str(h.name).lower(): str(h.value or "")
                    for h in item.internet_message_headers or []
                }
                sender_address = (
                    str(item.from_.email_address.address or "")
                    if (item.from_ and item.from_.email_address)
                    else ""
                )
                local = sender_address.partition("@")[0].casefold()
                if (
                    "x-ms-exchange-message-is-ndr" in headers
                    or local == "postmaster"
                    or (local.startswith("microsoftexchange"))
                ):
                    reports.append({"subject": item.subject or "", "headers": headers})
            return reports

        return self._call("reading the inbox", call)
