"""``compliance-bot`` at a real terminal (pexpect), as the Welsh sets drive ``init`` and
``policies import``: 400 columns, no colour, none of the calling shell's ``COMPLIANCE_BOT_``
settings; each answer typed once its question is out to the point where it is read."""

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
    # no pause before each answer (pexpect's 50 ms default): every test types an answer once
    # ``asked`` has matched its whole question, when the command is reading it
    child.delaybeforesend = None
    child.logfile_read = shown
    return child, shown


def asked(question: str) -> str:
    """``question`` (a pattern) as the terminal shows it once the command reads the answer:
    the rest of its line, then click's ``: `` at the very end of what was shown. Click writes
    the question up to its colon, then the last space as it starts to read (``input(" ")``);
    an answer typed before that space echoes inside the question, and can be matched as the
    next one."""
    return question + r"[^\r\n]*: \Z"


def answer(child: pexpect.spawn, question: str, typed: str) -> None:
    """Wait for ``question`` to be asked (``asked``), then type ``typed`` and Enter."""
    child.expect(asked(question))
    child.sendline(typed)


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
