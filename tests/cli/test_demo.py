"""The newcomer's path: `compliance-bot demo --once`, twice, and `--help` speed."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.support.paths import REPO

ROOT = REPO


@pytest.mark.slow
def test_demo_once_writes_real_emails_and_second_run_sends_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--once"])
    assert first.exit_code == 0, first.output
    outbox = tmp_path / ".compliance-bot-demo" / "outbox"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) >= 10
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        # text and HTML; a governors' review digest also carries .ics calendar entries
        assert message.get_content_type() in ("multipart/alternative", "multipart/mixed")
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
        assert message["To"].endswith("@oakfield.example")
    assert "messages delivered" in first.output
    second = runner.invoke(app, ["demo", "--once"])
    assert second.exit_code == 0, second.output
    assert "0 messages delivered" in second.output
    assert sorted(outbox.glob("*.eml")) == files
    # every other command now acts on the demo school
    duties = runner.invoke(app, ["duties", "--overdue"])
    assert duties.exit_code == 0 and "overdue" in duties.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "Acknowledgements" in status.output
    remind = runner.invoke(app, ["remind", "--dry-run"])
    assert remind.exit_code == 0
    assert "Nothing was recorded" in remind.output or "not a school day" in remind.output
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output


HEAVY = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "uvicorn",
    "apscheduler",
    "alembic",
    "jinja2",
    "httpx",
    "pypdf",
    "docx",
    "reportlab",
    "msgraph",
    "googleapiclient",
)
# nor, at the top level, what reading a configuration needs (the calendars, YAML, address checks)
CONFIG_LIBS = ("holidays", "yaml", "email_validator")


def test_help_answers_without_loading_the_heavy_libraries() -> None:
    """``--help`` stays instant because commands import their libraries when they run.

    Counted, not timed: the suite runs on busy machines, so a wall-clock limit would flake.
    """
    probe = (
        "import sys\n"
        "from bot.cli.main import app\n"
        f"print(','.join(m for m in {(*HEAVY, *CONFIG_LIBS)!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    assert loaded == ""
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0 and "demo" in proc.stdout


def test_every_sub_command_s_help_loads_none_of_them_either() -> None:
    """``compliance-bot <command> --help``, for every command, as light as the top level's."""
    probe = (
        "import io, sys, contextlib, typer\n"
        "from bot.cli.main import app\n"
        "def paths(cmd, path):\n"
        "    yield path\n"
        "    for name, sub in getattr(cmd, 'commands', {}).items():\n"
        "        yield from paths(sub, [*path, name])\n"
        "root = typer.main.get_command(app)\n"
        "count = 0\n"
        "for path in list(paths(root, []))[1:]:\n"
        "    sys.argv = ['compliance-bot', *path, '--help']\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        root.main(args=[*path, '--help'], prog_name='compliance-bot')\n"
        "    count += 1\n"
        f"print(count, ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split(" ")
    assert int(answer[0]) > 40  # every command and sub-command was asked
    assert answer[1].strip() == ""


def test_the_app_context_of_a_command_loads_no_web_framework() -> None:
    """A sweep, ``status``, ``init`` or ``check`` builds the app context (``bot.wiring``) but
    serves no page and shows no document: the steps, rules and public faces it pulls in
    import no FastAPI or Starlette (the pages' form helpers are ``bot.engine.web.forms``, the
    dashboard's viewer guard is in its ``chrome``), nor a document converter
    (``bot.core.files.documents`` imports them when it first shows one), nor, until it writes an
    email, the template engine (``bot.core.rendering.messages``). Counted, not timed."""
    unused = ("fastapi", "starlette", "uvicorn", "mammoth", "pypdfium2", "markdown_it", "jinja2")
    probe = (
        "import sys\n"
        "import bot.wiring\n"
        "bot.wiring.install()\n"
        f"print(','.join(m for m in {unused!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    assert loaded == ""
