"""The fake Graph (``tests/support/fakes/graph.py``) served over HTTP from a process of its own,
so that real ``compliance-bot`` processes — a scheduler and dispatch workers — share one tenant
and its mailboxes' limits, as a deployment's processes share Microsoft 365.

* ``python -m tests.support.graph_served serve PORT MAILBOX...``: the fake, with those mailboxes
  (Exchange's 30 a minute each, on the real clock), on ``127.0.0.1:PORT``. It prints ``ready``;
  each line read on stdin asks for what it has accepted so far (one JSON line: mailbox, outbox
  key and time of each sendMail, and how many requests it answered with a 429); end of input
  stops it.
* ``python -m tests.support.graph_served cli PORT ARGS...``: the ``compliance-bot`` command with
  its m365 connector sending through :class:`Forward` to that fake (the only change: where the
  connector's HTTP goes; the SDK, azure-identity and the product run as they do in production).

A request's own address travels in the ``x-fake-url`` header, so the fake sees Graph's and
Entra's URLs.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import httpx

__all__ = ["Forward", "connectors_over"]

URL_HEADER = "x-fake-url"


class Forward(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Sends every request to the served fake, its own URL in a header."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}/"
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()

    def _relay(self, request: httpx.Request, content: bytes) -> httpx.Request:
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        return httpx.Request(
            request.method,
            self.base,
            content=content,
            headers=[*headers, (URL_HEADER.encode(), str(request.url).encode())],
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._sync.handle_request(self._relay(request, request.read()))
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.read()
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._async.handle_async_request(
            self._relay(request, await request.aread())
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=await response.aread()
        )


def connectors_over(port: int) -> None:
    """Build this process's m365 connector over :class:`Forward` (nothing else changes)."""
    import bot.wiring as wiring
    from connectors.m365.connector import build

    wiring._build_platform = lambda settings: build(settings, transport=Forward(port))


def _serve(port: int, mailboxes: list[str]) -> None:
    import uvicorn

    from tests.support.fakes.graph import SENDER_ID, FakeGraph

    fake = FakeGraph(clock=time.time, page_size=200, empty_first_page=False)
    fake.send_scope = None  # Mail.Send granted on every mailbox (an application access policy)
    for number, address in enumerate(mailboxes):
        fake.add_user(
            SENDER_ID if number == 0 else f"mailbox-{number}",
            address,
            address,
            account_enabled=False,
            licensed=False,
        )
    lock = threading.Lock()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k != URL_HEADER.encode()]
        url = dict(scope["headers"])[URL_HEADER.encode()].decode()
        with lock:
            answer = fake.handler(
                httpx.Request(scope["method"], url, headers=headers, content=body)
            )
        content = answer.read()
        out = [
            (k, v)
            for k, v in answer.headers.raw
            if k.lower() not in (b"content-length", b"transfer-encoding")
        ]
        await send(
            {
                "type": "http.response.start",
                "status": answer.status_code,
                "headers": [*out, (b"content-length", str(len(content)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": content})

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    print("ready", flush=True)
    for _ in sys.stdin:
        with lock:
            sent = [(mail.mailbox, mail.key, mail.at) for mail in fake.sent]
            refused = fake.throttled + fake.budget_refused  # the 429s it answered
        print(json.dumps({"sent": sent, "refused": refused}), flush=True)
    server.should_exit = True


def main(argv: list[str]) -> None:
    """``serve PORT MAILBOX...`` or ``cli PORT ARGS...`` (see the module's text)."""
    mode, port = argv[0], int(argv[1])
    if mode == "serve":
        _serve(port, argv[2:])
        return
    connectors_over(port)
    from bot.cli.main import app

    app(argv[2:], prog_name="compliance-bot")


if __name__ == "__main__":
    main(sys.argv[1:])
