"""Work that never ends or never stops asking for memory, for the contained-parsing tests (a
module of its own: the child process imports it by name, and it imports nothing heavy)."""

from __future__ import annotations

import time

__all__ = ["hoard", "spin", "stall"]


def spin(_: bytes) -> None:
    """Run for ever, as a parser caught in a loop does."""
    while True:
        pass


def hoard(_: bytes) -> None:
    """Take memory 64 MB at a time until refused, as a parser expanding a bomb does."""
    taken = []
    while True:
        taken.append(bytearray(64 * 1024 * 1024))


def stall(_: bytes) -> None:
    """Wait for ever without using the CPU, which no CPU limit stops."""
    while True:
        time.sleep(60)
