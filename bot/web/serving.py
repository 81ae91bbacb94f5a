"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

asyncio turns ``TCP_NODELAY`` on for connections it accepts itself, but not on those accepted
from the listening socket uvicorn's worker processes share (made without ``IPPROTO_TCP``). uvicorn
writes a response's head and body separately, so there the body waited for the browser's
delayed acknowledgement of the head: about 40 ms on every page of ``run --workers 2``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["NoDelayH11Protocol"]


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, sending each write at once (``TCP_NODELAY``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Switch Nagle's algorithm off, then serve the connection as usual."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: serve it as is
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
