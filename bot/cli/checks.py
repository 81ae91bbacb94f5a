"""``compliance-bot check m365`` and ``check google``: a platform's checks as a table, then each
fix below it. The rows are said by the platform's check in the language of the schools on each
tenant or domain (``bot.wiring.platform_checks``); the table's own words (its title, headings,
verdicts and closing line) in the language every school here shares, else English, and a
tenant whose schools read different languages is said to be checked in English.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Protocol

import typer
from rich.table import Column, Table
from rich.text import Text

from bot.core.i18n import N_, nsay, say, shared_language, speak
from bot.engine.commands import console, context

__all__ = ["print_checks"]

_TITLE = N_("Platform checks")
_CHECK, _RESULT, _DETAIL = N_("Check"), N_("Result"), N_("Detail")
_OK, _MISSING = N_("OK"), N_("missing")
_FAILED = N_("%(failed)s of %(count)s checks failed.")
_HOW_TO_FIX = N_("How to fix")
_MIXED = N_(
    "The schools on this install's tenant or domain read different languages (%(schools)s): "
    "its checks are said in English."
)
_MIXED_ON = N_(
    "The schools on %(connection)s read different languages (%(schools)s): its checks are said "
    "in English."
)


class _Row(Protocol):
    """A check's row as a platform's checks give it (``connectors.base.CheckRow``)."""

    @property
    def name(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def detail(self) -> str: ...
    @property
    def fix(self) -> str | None: ...


def _table(rows: Sequence[_Row]) -> tuple[Table, list[tuple[str, str]]]:
    """The checks' table, and each failed check's fix numbered as its row says."""
    table = Table(
        Column(say(_CHECK), overflow="fold"),
        Column(say(_RESULT), no_wrap=True),
        Column(say(_DETAIL), overflow="fold", ratio=1),
        title=say(_TITLE),
        title_justify="left",
    )
    fixes: list[tuple[str, str]] = []
    for row in rows:
        if row.ok:
            result = Text(say(_OK), style="green")
        else:
            result = Text(say(_MISSING), style="red")
            if row.fix:
                fixes.append((row.name, row.fix))
                result.append(f" ({len(fixes)})")
        table.add_row(Text(row.name), result, Text(row.detail))
    return table, fixes


def _print_fixes(fixes: Sequence[tuple[str, str]]) -> None:
    """Each fix under its number at full width: commands stay on one line and long tokens
    (ids, URLs, scope lists) are never broken, so whatever is copied pastes as meant."""
    width = max(console.width - 4, 40)
    for number, (name, fix) in enumerate(fixes, start=1):
        console.print(Text(f"({number}) {name}", style="bold"))
        for line in fix.splitlines():
            wrapped = (
                [line]
                if line.startswith(" ")
                else textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
            )
            for part in wrapped:
                console.print(Text(f"    {part}"), soft_wrap=True)


def print_checks(platform: str) -> None:
    """Run a platform's checks, print their rows as a table, then each fix below it at full
    width; exit 1 if any failed. The install's sender is checked, and the mailbox of each
    school that sends from its own (none while the school's settings cannot be read); then
    each connection (a school's own tenant or domain) the same way, its rows named for it.

    Fixes are not a table column: at 80 columns a fourth column leaves a dozen characters for
    PowerShell. Indented fix lines (commands) and long tokens are never broken, so they copy
    and paste whole.
    """
    from bot.core.config import ConfigError
    from bot.wiring import platform_checks, tenant_schools  # lazy: the steps

    ctx = context(need_school=False)
    try:
        schools = ctx.config.schools
    except ConfigError:
        schools = []
    speak(shared_language(s.language for s in schools))
    for name, on in tenant_schools(ctx.settings, schools).items():
        if len({s.language for s in on}) > 1:
            said = say(
                _MIXED_ON if name else _MIXED,
                connection=name.replace("_", "-"),
                schools=", ".join(f"{s.name} ({s.language})" for s in on),
            )
            console.print(Text(said))
    senders = {s.name: s.sender for s in schools if s.sender and not s.connection}
    rows = platform_checks(platform)(ctx.settings, schools=senders, trust=schools)
    table, fixes = _table(rows)
    console.print(table)
    failed = sum(not r.ok for r in rows)
    if not failed:
        passed = nsay(
            "All %(count)s checks passed.",
            "All %(count)s checks passed.",
            len(rows),
            count=len(rows),
        )
        console.print(f"[green]{passed}[/]")
        return
    console.print(f"[red]{say(_FAILED, failed=failed, count=len(rows))}[/]")
    if fixes:
        console.print(f"\n[bold]{say(_HOW_TO_FIX)}[/]")
    _print_fixes(fixes)
    raise typer.Exit(1)
