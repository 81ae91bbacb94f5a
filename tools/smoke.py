"""What the smoke tests of the chat apps share (``tools.teams_smoke``, ``tools.chat_smoke``):
serving the product's web app on 127.0.0.1 in a thread, the steps' record, counting
acknowledgements, and the command itself (run in a folder or a temporary one, print each step,
exit 1 on a failure)."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from sqlalchemy import func, select

from bot.core.language.i18n import N_, say, speak
from bot.core.models import Attestation
from bot.engine.commands import console, err, school_language
from bot.wiring import install

__all__ = ["SmokeResult", "attestations", "command", "free_port", "served"]

Say = Callable[[str, bool, str], None]


@dataclass
class SmokeResult:
    """Each step's name and whether it did what it should, and what the person saw."""

    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    tell: Say | None = None  # told of each step as it is recorded (its name said)

    @property
    def ok(self) -> bool:
        """Every step passed."""
        return bool(self.steps) and all(ok for _, ok, _ in self.steps)

    def check(self, sentence: str, ok: bool, detail: str = "", **values: object) -> None:
        """Record one step, ``sentence`` the catalogue's (``N_``) with its ``values``, in
        English, and tell it in the active language."""
        self.steps.append((sentence % values if values else sentence, ok, detail))
        if self.tell is not None:
            self.tell(say(sentence, **values), ok, detail)


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(app: Any, port: int) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread, for the block."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
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


_PASSED = N_("[green]passed[/]")
_FAILED = N_("[bold red]FAILED[/]")


def command(
    run_smoke: Callable[[Path, Say], SmokeResult],
    *,
    serving: str,
    prefix: str,
    failed: str,
    about: str,
) -> typer.Typer:
    """The smoke test's command line (``--folder DIR``; ``about``: its help): run it in
    ``folder`` (a temporary one when None), print each step, and exit 1 if one failed
    (``failed`` names the test; ``serving``: the first line, the catalogue's). Its lines are in
    the language of the school set up where it runs (the technician's; the demo it builds is
    the fictional English school), English where there is none."""
    tool = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @tool.command(help=about)
    def smoke(
        folder: Annotated[
            Path | None,
            typer.Option(
                "--folder",
                help="Where to build the fictional school (default: a temporary folder, "
                "deleted afterwards).",
            ),
        ] = None,
    ) -> None:
        install()  # the features' sweep steps, as ``compliance-bot`` hands them to the engine
        run_command(run_smoke, folder, serving=serving, prefix=prefix, failed=failed)

    return tool


def run_command(
    run_smoke: Callable[[Path, Say], SmokeResult],
    folder: Path | None,
    *,
    serving: str,
    prefix: str,
    failed: str,
) -> None:
    """Run a smoke test in ``folder`` (a temporary one when None), print each step, and exit 1
    if one failed (``failed`` names the test; ``serving``: the first line, the catalogue's).
    Its lines are in the language of the school set up where it runs (the technician's; the
    demo it builds is the fictional English school), English where there is none."""
    speak(school_language())

    def tell(name: str, ok: bool, detail: str) -> None:
        mark = say(_PASSED if ok else _FAILED)
        console.print(
            f"{mark}  {name}" + (f"\n        {detail}" if detail else ""),
            highlight=False,
            soft_wrap=True,
        )

    console.print(say(serving))
    if folder is not None:
        result = run_smoke(folder, tell)
    else:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            result = run_smoke(Path(tmp), tell)
    if not result.ok:
        err.print(
            say("[bold red]The %(test)s smoke test failed[/]: see the steps above.", test=failed)
        )
        raise typer.Exit(1)
    console.print(say("[green]All %(num)d steps passed.[/]", num=len(result.steps)))
