"""``compliance-bot scr ...``: importing the school's single central record spreadsheet and
listing its gaps.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.language.words import plural
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    err,
    fail,
    friendly,
    one_school,
    schools_of,
    table,
)

if TYPE_CHECKING:
    from bot.core.nations import ScrCheck
    from bot.features.scr.service import ImportResult
    from bot.features.scr.sheet import ScrSheet

__all__ = ["scr_app"]

scr_app = typer.Typer(
    help="The single central record's gaps (safer recruitment).", no_args_is_help=True
)


@scr_app.command("import")
@friendly
def scr_import(
    file: Annotated[Path, typer.Argument(help="The school's SCR spreadsheet (.xlsx or .csv).")],
    school: SchoolOption = None,
    as_of: AsOf = None,
    record_column: Annotated[
        str | None,
        typer.Option(
            "--criminal-record-column",
            help="A column to read as your nation's criminal record check (Scotland: PVG "
            "scheme membership; Northern Ireland: AccessNI), whatever its header says.",
        ),
    ] = None,
) -> None:
    """Read the SCR for whether and when each check was done (vetting data is never kept);
    replaces the school's earlier import, then finds the gaps again."""
    # lazy: not loaded by --help (module docstring)
    from bot.core.language.i18n import Msg, nsay, say
    from bot.core.models import utcnow
    from bot.core.nations import pack_for
    from bot.features.scr.service import import_sheet, refresh_gaps
    from bot.features.scr.sheet import ScrSheetError, read_sheet

    ctx, chosen = one_school(school)  # the school's language from here on
    today = as_of_today(as_of)
    checks = pack_for(chosen.country).scr_checks
    try:
        sheet = read_sheet(file, today, checks=checks, record_column=record_column)
        with ctx.store.transaction() as session:
            result = import_sheet(
                session, chosen, sheet, where=file.name, actor="cli", now=utcnow()
            )
            opened, closed = refresh_gaps(session, chosen, today, actor="cli", force=True)
    except ScrSheetError as exc:
        mark = say("error:")
        for problem in exc.problems:
            err.print(f"[red]{mark}[/] {problem}", highlight=False, soft_wrap=True)
        fail(Msg("nothing was imported: the school's single central record is as it was"))
    for name in result.skipped:
        console.print(
            say("column '%(name)s' skipped: vetting data is not kept", name=name),
            highlight=False,
            soft_wrap=True,
        )
    for name in result.not_read:
        console.print(say("column '%(name)s' not read", name=name), highlight=False)
    _say_read(sheet, result, checks)
    console.print(
        nsay(
            "%(school)s: %(rows)d row read (%(matched)d matched to people of the school, "
            "%(unmatched)d not); %(added)d added, %(changed)d changed, %(removed)d removed. "
            "Gaps: %(opened)d new, %(closed)d closed.",
            "%(school)s: %(rows)d rows read (%(matched)d matched to people of the school, "
            "%(unmatched)d not); %(added)d added, %(changed)d changed, %(removed)d removed. "
            "Gaps: %(opened)d new, %(closed)d closed.",
            result.rows,
            school=chosen.name,
            rows=result.rows,
            matched=result.matched,
            unmatched=result.unmatched,
            added=result.added,
            changed=result.changed,
            removed=result.removed,
            opened=opened,
            closed=closed,
        ),
        highlight=False,
        soft_wrap=True,
    )


@scr_app.command("gaps")
@friendly
def scr_gaps(
    school: SchoolOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON list, for scripts.")] = False,
    as_of: AsOf = None,
) -> None:
    """List the gaps: kind, person, check, in the school's words (a table, or ``--json``)."""
    from bot.core import audit
    from bot.core.language.words import school_words
    from bot.features.scr.rules import describe, kind_headings
    from bot.features.scr.service import check_names, current_gaps

    ctx = context(say_where=not as_json)
    chosen = schools_of(ctx, school)[0]
    today = as_of_today(as_of)
    with ctx.store.transaction() as session:  # a read of names: audited, as on /scr
        gaps = current_gaps(session, chosen, today)
        audit.record(
            session,
            actor="cli",
            action="scr.read",
            object_type="scr",
            school_id=chosen.id,
            details={"gaps": len(gaps), "via": "cli"},
        )
    names, words = check_names(chosen), school_words(chosen)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "kind": g.kind,
                        "person": g.subject,
                        "check": g.check,
                        "gap": describe(g, names, words, academy=chosen.academy).said("en"),
                    }
                    for g in gaps
                ],
                indent=1,
            )
        )
        return
    headings = kind_headings(words, academy=chosen.academy)
    console.print(
        table(
            f"{chosen.name}: {plural(len(gaps), 'gap')} in the single central record",
            ("Kind", "Person", "Gap"),
            (
                (
                    str(headings[gap.kind]),
                    gap.subject,
                    str(describe(gap, names, words, academy=chosen.academy)),
                )
                for gap in gaps
            ),
        )
    )


# each nation's criminal record check, as its column's words name it
_RECORD_WORD = {"dbs": "DBS", "pvg": "PVG", "accessni": "AccessNI"}


def _say_read(sheet: ScrSheet, result: ImportResult, checks: Sequence[ScrCheck]) -> None:
    """Where the record was read, what it hides, and what it cannot say: another nation's
    check (named, not read), each check with no column (not judged), and rows that match
    nobody but are close to someone (proposed, never taken)."""
    from bot.core.language.i18n import nsay, say

    if sheet.sheet is not None:
        console.print(
            say("sheet '%(sheet)s' read (header on row %(line)s)")
            % {"sheet": sheet.sheet, "line": sheet.header_line},
            highlight=False,
        )
    if sheet.hidden_rows:
        console.print(
            nsay(
                "%(num)d hidden row read (hidden rows are on the record too)",
                "%(num)d hidden rows read (hidden rows are on the record too)",
                sheet.hidden_rows,
            )
            % {"num": sheet.hidden_rows},
            highlight=False,
        )
    record = next((c.name for c in checks if c.id == "criminal_record"), "")
    for column, word in sheet.foreign:
        console.print(
            say(
                "column '%(column)s' is for the %(word)s check, not %(check)s, so it is not read "
                "as one (if it is, import again with --criminal-record-column '%(column)s')"
            )
            % {"column": column, "word": _RECORD_WORD[word], "check": say(record)},
            highlight=False,
            soft_wrap=True,
        )
    for name in result.unjudged:
        console.print(
            say("this sheet has no %(check)s column we can read: the %(check)s is not judged")
            % {"check": say(name)},
            highlight=False,
            soft_wrap=True,
        )
    from bot.features.scr.service import NEAR

    for values in result.near:
        console.print(say(NEAR) % values, highlight=False, soft_wrap=True)
