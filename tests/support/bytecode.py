"""One bytecode cache for the ``compliance-bot`` processes a test process starts.

Tests run with PYTHONDONTWRITEBYTECODE (and the virtualenv holds no ``.pyc`` files), so every
``compliance-bot`` a test spawns compiled a thousand-odd modules from source: 3.4 s of a
7.6 s ``sweep`` and 7.6 s of the 17 s a ``run`` took to listen (cProfile, ``compile``). The
spawned commands share one cache under a temporary folder instead (``PYTHONPYCACHEPREFIX``):
the first compiles, the rest load. Nothing is written to the checkout or the virtualenv, and
the code that runs is the same.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Mapping

__all__ = ["with_bytecode_cache"]

_folder: str | None = None


def with_bytecode_cache(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with this test process's shared bytecode cache for the processes it starts."""
    global _folder
    if _folder is None:
        _folder = tempfile.mkdtemp(prefix="compliance-bot-pyc-")
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    shared = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    shared["PYTHONPYCACHEPREFIX"] = _folder
    return shared
