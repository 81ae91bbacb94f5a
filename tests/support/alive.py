"""Which objects of one kind are alive, each look walking only what was made since the first.

A full ``gc.collect()`` and ``gc.get_objects()`` walk the worker's whole heap: every module
imported after collection and everything earlier tests left (0.25 s a look in a module's own
run, more in a whole run, and the trust-sweep tests look ten times each). ``alive_since``
looks once at the whole heap, then sets it aside (``gc.freeze``, as tests/conftest.py does
after collection and tests/core/test_audit.py around its own collections), so later looks walk
only what was made after. The first look must find none of the wanted objects: then nothing
set aside is one, and a later look sees every one alive, as a look at the whole heap would::

    alive = alive_since(DirectoryPerson, lambda o: o.email in emails)  # none alive yet
    run_sweep(...)
    assert alive() == []
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["alive_since"]

T = TypeVar("T")


def alive_since(kind: type[T], wanted: Callable[[T], bool]) -> Callable[[], list[T]]:
    """A look at the ``kind`` objects alive that are ``wanted``, each look after a full
    collection; asserts that none is alive now, and sets the heap aside (never given back:
    what the run froze after collection stays frozen, as in tests/core/test_audit.py)."""

    def look() -> list[T]:
        gc.collect()
        found: list[Any] = [o for o in gc.get_objects() if type(o) is kind and wanted(o)]
        return found

    before = look()
    assert before == [], f"{len(before)} alive before the test made any"
    gc.freeze()
    return look
