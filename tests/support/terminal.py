"""``compliance-bot`` at a real terminal (pexpect), as the Welsh sets drive ``init`` and
``policies import``: 400 columns, no colour, none of the calling shell's ``COMPLIANCE_BOT_``
settings."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import pexpect

COMMAND = str(Path(sys.executable).parent / "compliance-bot")
WAIT = 600  # seconds: a pexpect read needs a bound; generous for a busy machine, never a threshold


def spawn(
    args: list[str], *, cwd: Path | None = None, home: Path | None = None
) -> tuple[pexpect.spawn, io.StringIO]:
    """The command started with ``args`` in ``cwd`` (``home``: its ``COMPLIANCE_BOT_HOME``);
    the child, and everything the terminal shows as it runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_BOT_")}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="400")
    if home is not None:
        env["COMPLIANCE_BOT_HOME"] = str(home)
    shown = io.StringIO()
    child = pexpect.spawn(
        COMMAND,
        args,
        cwd=None if cwd is None else str(cwd),
        env=env,
        encoding="utf-8",
        timeout=WAIT,
        dimensions=(50, 400),
    )
    child.logfile_read = shown
    return child, shown


def said(english: str, welsh: str, language: str) -> str:
    """What a command says in ``language``, as a pattern for ``expect``: cy+en the Welsh, then
    ' / ' and the English (each given as the start of its sentence; a line said back may wrap);
    once where they are the same."""
    if language == "cy":
        return wrapped(welsh)
    if language == "cy+en" and welsh != english:
        return wrapped(welsh) + r"[\s\S]*?\s/\s+" + wrapped(english)
    return wrapped(english)


def wrapped(text: str) -> str:
    """``text`` as a pattern that a wrapped line still matches (any space a line break)."""
    return r"\s+".join(map(re.escape, text.split(" ")))
