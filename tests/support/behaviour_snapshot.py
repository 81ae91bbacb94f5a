"""What a school sees, written to a folder, so that a change meant to keep behaviour (a move of
modules, a new layer) can be compared before and after, byte for byte.

    uv run python -m tests.support.behaviour_snapshot OUT_DIR

writes, under ``OUT_DIR``:

* ``help/``: every command's and sub-command's ``--help``;
* ``routes.txt``: the web app's routes (methods and path);
* ``demo/``: the demo school's first cycle (``demo --once`` on Monday 23 November 2026) and
  then 40 days of ``sweep`` (one a day, 07:00 London), each day's printed output, then
  ``status``, ``duties``, ``remind --dry-run``, ``audit verify`` and the weekly digest's
  previews (the Teams card, the Chat card, the text) at the end;
* ``emails/``: every email written to the demo's outbox, as its addresses, subject, plain
  text and HTML.

Whatever is random or made per run is replaced by a placeholder: signed-link tokens, report
references, message ids, the temporary folder. Compare two snapshots with ``diff -r``.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import time_machine
import typer
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.demo_run import DEMO_MONDAY
from tests.support.helpers import at

DAYS = 40
_NORMALISE = [
    (re.compile(r"CR-\d{4}-[A-Z0-9]{4,6}\b"), "CR-REF"),
    (re.compile(r"(?<=[=/])[A-Za-z0-9_\-~]+\.[A-Za-z0-9_\-.~]{12,}"), "TOKEN"),  # signed
    (re.compile(r"(?<=[=/])[A-Za-z0-9_\-]{32,}"), "TOKEN"),
    (re.compile(r"<[^<>@\s]+@[^<>\s]+>"), "<MESSAGE-ID>"),
    (re.compile(r"(?i)\b[0-9a-f]{40,}\b"), "HASH"),
]


def normalise(text: str, folder: Path) -> str:
    """``text`` with the temporary folder and every per-run value replaced."""
    text = text.replace(str(folder), "FOLDER")
    for pattern, placeholder in _NORMALISE:
        text = pattern.sub(placeholder, text)
    return text


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``group`` (typer's own click: groups have ``commands``)."""
    found = [prefix]
    commands = getattr(group, "commands", None)
    if isinstance(commands, Mapping):  # the top level's imports each command when looked up
        for name, command in sorted(commands.items()):
            found += _commands(command, (*prefix, name))
    return found


def _help(out: Path) -> None:
    runner = CliRunner()
    root = typer.main.get_command(app)
    for path in _commands(root):
        result = runner.invoke(app, [*path, "--help"], terminal_width=100)
        name = "-".join(path) or "compliance-bot"
        (out / "help" / f"{name}.txt").write_text(result.output, "utf-8")


def _routes(out: Path, folder: Path) -> None:
    from bot.demo.builder import demo_settings
    from bot.web.app import create_app

    web = create_app(demo_settings(folder))

    def walk(routes: list[Any], prefix: str) -> list[str]:
        lines = []
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # an included router (FastAPI keeps it whole)
                context = getattr(route, "include_context", None)
                lines += walk(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
                continue
            methods = ",".join(sorted(getattr(route, "methods", None) or ["*"]))
            lines.append(f"{methods} {prefix}{getattr(route, 'path', '?')}")
        return lines

    lines = sorted(walk(list(web.routes), ""))
    (out / "routes.txt").write_text("\n".join(lines) + "\n", "utf-8")


def _emails(out: Path, folder: Path) -> int:
    outbox = folder / ".compliance-bot-demo" / "outbox"
    written = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        shown = "\n".join(
            [
                f"To: {message['To']}",
                f"Cc: {message['Cc'] or ''}",
                f"Subject: {message['Subject']}",
                "",
                str(text.get_content()) if isinstance(text, EmailMessage) else "(no text part)",
                "----- html",
                str(html.get_content()) if isinstance(html, EmailMessage) else "(none)",
            ]
        )
        written.append(normalise(shown, folder))
    for index, shown in enumerate(sorted(written)):
        (out / "emails" / f"{index:05d}.txt").write_text(shown, "utf-8")
    return len(written)


def _demo(out: Path, folder: Path) -> None:
    runner = CliRunner()
    log: list[str] = []

    def run(args: list[str]) -> None:
        result = runner.invoke(app, args, terminal_width=100)
        log.append(
            f"$ compliance-bot {' '.join(args)}  (exit {result.exit_code})\n"
            + normalise(result.output, folder)
        )

    with time_machine.travel(at(DEMO_MONDAY, 10), tick=False):
        run(["demo", "--once"])
    for offset in range(1, DAYS + 1):
        day = DEMO_MONDAY + timedelta(days=offset)
        with time_machine.travel(at(day, 7, 0), tick=False):
            run(["sweep"])
    end = DEMO_MONDAY + timedelta(days=DAYS)
    with time_machine.travel(at(end, 12, 0), tick=False):
        for args in (
            ["status"],
            ["duties"],
            ["remind", "--dry-run"],
            ["audit", "verify"],
            ["digest", "--preview"],
            ["digest", "--preview", "--chat"],
            ["digest", "--preview", "--text"],
        ):
            run(args)
    for index, entry in enumerate(log):
        (out / "demo" / f"{index:03d}.txt").write_text(entry, "utf-8")


def snapshot(out: Path) -> None:
    """Write the snapshot of what a school sees under ``out``."""
    for part in ("help", "demo", "emails"):
        (out / part).mkdir(parents=True, exist_ok=True)
    old = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp).resolve()
        os.chdir(folder)
        try:
            _help(out)
            _demo(out, folder)
            _routes(out, folder)
            count = _emails(out, folder)
        finally:
            os.chdir(old)
    print(f"snapshot written to {out}: {count} emails, {DAYS} days")


if __name__ == "__main__":
    snapshot(Path(sys.argv[1]).resolve())
