"""The web workers' connections send at once: TCP_NODELAY is on even on a listening socket made
without IPPROTO_TCP (the one uvicorn's worker processes share), where asyncio leaves it off."""

from __future__ import annotations

import asyncio
import pickle
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from bot.web.serving import NoDelayH11Protocol, workers_options


async def _hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


async def _nodelay(protocol: type[H11Protocol]) -> int:
    """Serve one request with ``protocol`` on a shared-style socket; the server side's option."""
    config = uvicorn.Config(app=_hello, http=protocol, log_level="warning", lifespan="off")
    config.load()
    state = ServerState()
    made: list[H11Protocol] = []

    def factory() -> H11Protocol:
        made.append(protocol(config=config, server_state=state, app_state={}))
        return made[-1]

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, like uvicorn's
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = await asyncio.get_running_loop().create_server(factory, sock=listener)
    reader, writer = await asyncio.open_connection(*listener.getsockname())
    writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert made[0].transport is not None
    option = (
        made[0]
        .transport.get_extra_info("socket")
        .getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    )
    writer.close()
    server.close()
    return int(option)


@pytest.mark.parametrize(("protocol", "on"), [(H11Protocol, False), (NoDelayH11Protocol, True)])
def test_worker_connections_send_at_once(protocol: type[H11Protocol], on: bool) -> None:
    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever runs in this one
        option = thread.submit(asyncio.run, _nodelay(protocol)).result()
    assert bool(option) is on  # plain h11 shows the trap it avoids


def test_a_web_worker_answers_uvicorn_s_health_check_before_loading_the_app() -> None:
    """Each of ``run --workers N``'s processes unpickles its configuration and sets up logging
    before it answers uvicorn's health check: neither may import the application (on a busy
    machine that took longer than the check's timeout, and the workers were killed for ever)."""
    config = uvicorn.Config(**workers_options("127.0.0.1", 8000, 2))  # what `run` hands uvicorn
    child = (
        "import pickle, sys\n"
        "config = pickle.loads(sys.stdin.buffer.read())\n"
        "config.configure_logging()\n"
        "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'jinja2', 'bot.engine', 'bot.core')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child],
        input=pickle.dumps(config),
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.decode().strip() == "[]", done.stderr.decode()[-2000:]
    assert config.timeout_worker_healthcheck >= 60
