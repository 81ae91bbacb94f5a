"""How ``run --workers N`` serves: every worker takes its share of the connections (each its own
listening socket on Linux, the kernel spreading new connections over them), every connection
sends at once (TCP_NODELAY), and a worker answers uvicorn's health check before loading the app."""

from __future__ import annotations

import asyncio
import http.client
import os
import pickle
import signal
import socket
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from bot.web.serving import WorkerListener, handed, workers_options
from tests.conftest import free_port
from tests.support.helpers import SchoolBuilder
from tests.support.keys import TEST_SECRET
from tests.support.served import served, wait_for

LINUX = pytest.mark.skipif(sys.platform != "linux", reason="the kernel spreads them on Linux")
CONNECTIONS = 16  # all on one of two workers by chance: 2 in 2**16
LISTEN, ESTABLISHED = "0A", "01"  # states in /proc/net/tcp


async def _hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


async def _nodelay(listener: socket.socket) -> int:
    """Serve one request on ``listener`` with uvicorn's h11 protocol; the connection's option."""
    config = uvicorn.Config(app=_hello, log_level="warning", lifespan="off")
    config.load()
    state = ServerState()
    made: list[H11Protocol] = []

    def factory() -> H11Protocol:
        made.append(H11Protocol(config=config, server_state=state, app_state={}))
        return made[-1]

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


def _bound() -> socket.socket:
    """A socket bound as uvicorn's supervisor binds the one its workers share (proto 0)."""
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.bind(("127.0.0.1", 0))
    return bound


def _worker_s(handed_on: socket.socket) -> socket.socket:
    """What a worker of ``run --workers N`` serves on, handed it as uvicorn hands it (pickled
    into a spawned process; on Linux it becomes a socket of the worker's own)."""
    if not isinstance(handed_on, WorkerListener):
        return handed_on
    return pickle.loads(pickle.dumps(handed_on))


@pytest.mark.parametrize("ours", [False, True])
def test_worker_connections_send_at_once(ours: bool) -> None:
    """uvicorn's own shared socket is made without IPPROTO_TCP, so asyncio leaves Nagle's
    algorithm on for its connections (the trap); the one ``run --workers N`` hands its workers
    says it is TCP."""
    supervisor_s = handed(_bound()) if ours else _bound()
    listener = _worker_s(supervisor_s)
    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever runs in this one
        option = thread.submit(asyncio.run, _nodelay(listener)).result()
    supervisor_s.close()
    assert bool(option) is ours


@LINUX
def test_each_worker_s_socket_is_its_own_on_the_supervisor_s_address() -> None:
    """The supervisor's socket holds the address without listening; what a worker unpickles is
    a new socket on that address, in the group the kernel spreads connections over."""
    holder = handed(_bound())
    assert isinstance(holder, WorkerListener)
    workers = [_worker_s(holder), _worker_s(holder)]
    assert len({holder.fileno(), *(w.fileno() for w in workers)}) == 3
    for worker in workers:
        assert worker.getsockname() == holder.getsockname()
        assert worker.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        worker.listen()
    with socket.socket() as another:  # a second `run` on the same port is refused, as before
        another.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with pytest.raises(OSError):
            another.bind(holder.getsockname())
    for sock in (holder, *workers):
        sock.close()


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _sockets(pid: int) -> set[int]:
    """The inodes of the sockets process ``pid`` holds."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:  # closed since listed
            continue
        if link.startswith("socket:["):
            held.add(int(link[8:-1]))
    return held


def _on_port(port: int) -> dict[int, tuple[str, int]]:
    """Each IPv4 TCP socket on local ``port``: its inode, state and remote port."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            found[int(fields[9])] = (fields[3], int(fields[2].rsplit(":", 1)[1], 16))
    return found


def _listening(supervisor: int, port: int) -> set[tuple[int, int]]:
    """Each worker holding a socket listening on ``port``, with that socket's inode."""
    sockets = _on_port(port)
    return {
        (worker, inode)
        for worker in _children(supervisor)
        for inode in _sockets(worker)
        if sockets.get(inode, ("", 0))[0] == LISTEN
    }


@LINUX
@pytest.mark.slow
def test_every_worker_takes_its_share_of_connections_opened_at_once(
    school: SchoolBuilder, sqlite_url: str, tmp_path: Path
) -> None:
    """``run --web-only --workers 2``: 16 keep-alive connections opened at once are answered
    by both workers (found from /proc: which worker holds each connection's server end). On one
    shared socket, the first worker to wake took them all and kept them. A worker started again
    after one dies has its own socket too."""
    school.context(sqlite_url, demo=True).store.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COMPLIANCE_BOT_HOME": str(school.home),
        "COMPLIANCE_BOT_DATABASE_URL": sqlite_url,
        "COMPLIANCE_BOT_BASE_URL": url,
        "COMPLIANCE_BOT_SECRET_KEY": TEST_SECRET,
        "COMPLIANCE_BOT_DEMO": "true",
    }
    cli = str(Path(sys.executable).parent / "compliance-bot")
    command = [cli, "run", "--web-only", "--workers", "2", "--port", str(port)]
    log = tmp_path / "server.log"
    with served(command, env=env, url=url, log=log, cwd=tmp_path) as proc:
        # both workers listening (uvicorn's supervisor starts them; the first answered)
        wait_for(lambda: len({w for w, _ in _listening(proc.pid, port)}) == 2, proc, log=log)
        listening = {inode for _, inode in _listening(proc.pid, port)}
        opened = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(16)]
        for connection in opened:
            connection.connect()
        for connection in opened:
            connection.request("GET", "/healthz")
        for connection in opened:
            answer = connection.getresponse()
            assert answer.status == 200 and answer.getheader("connection") != "close"
            answer.read()
        ends = {remote: inode for inode, (_, remote) in _on_port(port).items()}
        holders = {inode: worker for worker in _children(proc.pid) for inode in _sockets(worker)}
        served_by = Counter(
            holders[ends[c.sock.getsockname()[1]]] for c in opened if c.sock is not None
        )
        for connection in opened:
            connection.close()
        # a worker started again (by uvicorn's supervisor) listens on a socket of its own too
        os.kill(min(w for w, _ in _listening(proc.pid, port)), signal.SIGKILL)
        wait_for(lambda: len({i for _, i in _listening(proc.pid, port)} - listening) == 1, proc)
        again = {inode for _, inode in _listening(proc.pid, port)}
    assert sum(served_by.values()) == CONNECTIONS
    assert len(served_by) == 2, f"one worker took every connection: {served_by}"
    assert len(listening) == 2, "each worker its own listening socket"
    assert len(again) == 2 and len(again & listening) == 1


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
