"""``compliance-bot check m365`` and ``check google``: a platform's checks as a table, then each
fix below it. The rows are said by the platform's check in the language of the schools on each
tenant or domain (``bot.wiring.platform_checks``); the table's own words (its title, headings,
verdicts and closing line) in the language every school here shares, else English, and a
tenant whose schools read different languages is said to be checked in English.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer
from rich.table import Column, Table
from rich.text import Text

from bot.core.config import ConfigError
from bot.core.language.i18n import N_, nsay, say, shared_language, speak
from bot.engine.commands import console, context, err, fail, friendly, unused_columns, where

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.ports import CheckRow, DirectoryPerson

__all__ = ["check_app", "print_checks"]

check_app = typer.Typer(help="Check configuration and platform access.", no_args_is_help=True)

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


def _table(rows: Sequence[CheckRow]) -> tuple[Table, list[tuple[str, str]]]:
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


_COUNTS = N_(
    "%(school)s: %(policies)s policies, %(requirements)s requirements, "
    "%(accounts)s official accounts"
)
_READABLE = N_("[green]directory: %(num)s people readable[/]")
_NOT_READ = N_("[yellow]not read[/] %(columns)s")
_REJECTED = N_("[yellow]rejected[/] %(row)s")
_TO_MAP = N_(
    "[yellow]post to map[/] %(person)s: the role table does not say what %(titles)s "
    "gives, so they owe nothing until it does (compliance-bot roles map)"
)


@check_app.command("config")
@friendly
def check_config() -> None:
    """Validate the school configuration file and the directory file."""
    from bot.core.config.per_school import problems_text, standing_of

    ctx = context(database="unused", say_where=False)
    try:
        config = ctx.config
    except ConfigError:
        speak("en")  # English: the settings that would say a language do not load
        where(ctx)
        raise
    speak(shared_language(s.language for s in config.schools))
    where(ctx)
    standing = standing_of(config)
    if standing is not None and standing.problems:  # every school's entry must pass here
        text = problems_text(ctx.settings.config_path, standing.problems)
        fail("\n".join(map(str, text)), highlight=False, soft_wrap=True)
    n = len(config.schools)
    console.print(
        nsay(
            "[green]%(file)s: valid[/] — %(num)d school",
            "[green]%(file)s: valid[/] — %(num)d schools",
            n,
            file=ctx.settings.config_path,
            num=n,
        )
    )
    for school in config.schools:
        console.print(
            "  "
            + say(
                _COUNTS,
                school=school.id,
                policies=len(school.policies),
                requirements=len(school.requirements),
                accounts=len(school.official_accounts),
            )
        )
    changes = ctx.connectors.directory.fetch(None)
    console.print(say(_READABLE, num=len(changes.people)))
    unused = getattr(ctx.connectors.directory, "unused_columns", [])
    if unused:
        err.print(say(_NOT_READ, columns=unused_columns(unused)), highlight=False)
    for line in changes.rejected:  # a staff list's row
        err.print(say(_REJECTED, row=line), highlight=False)
    for person, titles in _unknown_titles(config.schools, changes.people):
        err.print(say(_TO_MAP, person=person, titles=titles), highlight=False)
    if changes.rejected:
        raise typer.Exit(1)


def _unknown_titles(
    schools: Sequence[SchoolConfig], people: Sequence[DirectoryPerson]
) -> list[tuple[str, str]]:
    """People a sync sets up owing nothing for a post their school's role table does not know,
    and those posts: ``("Name <email>", "'Title'")``."""
    from bot.engine.job_roles import map_roles

    lines = []
    for school in schools:
        for person in people:
            if person.school not in (None, school.id):
                continue
            unknown = map_roles(person, school.role_groups, school.role_table).unknown
            if unknown:
                lines.append(
                    (f"{person.display_name} <{person.email}>", ", ".join(map(repr, unknown)))
                )
    return lines


@check_app.command("m365")
@friendly
def check_m365() -> None:
    """Acquire a token and make the real read calls the bot needs on Microsoft 365."""
    print_checks("m365")


@check_app.command("google")
@friendly
def check_google() -> None:
    """Make the real read calls the bot needs on Google Workspace."""
    print_checks("google")
