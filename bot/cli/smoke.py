"""What the smoke tests of the chat apps share (``teams smoke``, ``chat smoke``): serving the
product's web app on 127.0.0.1 in a thread, the steps' record, counting acknowledgements, and
the command itself (run in a folder or a temporary one, print each step, exit 1 on a failure)."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
import uvicorn
from sqlalchemy import func, select

from bot.core.models import Attestation
from bot.engine.commands import console, err

__all__ = ["SmokeResult", "attestations", "free_port", "run_command", "served"]

Say = Callable[[str, bool, str], None]


@dataclass
class SmokeResult:
    """Each step's name and whether it did what it should, and what the person saw."""

    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    say: Say | None = None  # told of each step as it is recorded

    @property
    def ok(self) -> bool:
        """Every step passed."""
        return bool(self.steps) and all(ok for _, ok, _ in self.steps)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        """Record one step (and say it)."""
        self.steps.append((name, ok, detail))
        if self.say is not None:
            self.say(name, ok, detail)


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(app: Any, port: int) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread, for the block."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"could not serve on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def attestations(context: Any) -> int:
    """The acknowledgements (and signatures) recorded so far."""
    with context.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Attestation)) or 0)


def run_command(run_smoke: Callable[[Path, Say], SmokeResult], folder: Path | None, *,
                serving: str, prefix: str, failed: str) -> None:
    """Run a smoke test in ``folder`` (a temporary one when None), print each step, and exit 1
    if one failed (``failed`` names the test)."""

    def say(name: str, ok: bool, detail: str) -> None:
        mark = "[green]passed[/]" if ok else "[bold red]FAILED[/]"
        console.print(f"{mark}  {name}" + (f"\n        {detail}" if detail else ""),
                      highlight=False, soft_wrap=True)

    console.print(f"Building the demo school and serving {serving} on 127.0.0.1 …")
    if folder is not None:
        result = run_smoke(folder, say)
    else:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            result = run_smoke(Path(tmp), say)
    if not result.ok:
        err.print(f"[bold red]The {failed} smoke test failed[/]: see the steps above.")
        raise typer.Exit(1)
    console.print(f"[green]All {len(result.steps)} steps passed.[/]")
