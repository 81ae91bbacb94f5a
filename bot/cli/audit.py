"""``compliance-bot audit ...``: verify the hash-chained audit log and every sealed record, and
write a signed anchor file to keep outside the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import console, context, err, friendly, where

if TYPE_CHECKING:
    from bot.core.anchor import Anchor
    from bot.core.audit_check import Verdict

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _anchor_of(anchor_file: Path | None, fingerprint: str | None, secret: str) -> Anchor | None:
    """The anchor to check against, from a file or a digest's fingerprint (exit 2 if unusable)."""
    from bot.core.anchor import AnchorError, fingerprint_anchor, read_anchor

    try:
        if anchor_file is not None:
            return read_anchor(anchor_file, secret)
        if fingerprint is not None:
            return fingerprint_anchor(fingerprint)
    except AnchorError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    return None


def _print_verdict(verdict: Verdict, anchor: Anchor | None) -> None:
    """The outcome in plain words: counts when intact; the problems (first first) when not."""
    if verdict.ok:
        console.print(
            f"[green]audit log intact[/]: {verdict.events} entries verified and "
            f"{verdict.record_count} records checked against them ({verdict.records_line()}).",
            highlight=False,
        )
        if anchor is not None:
            console.print(f"It matches {anchor.source} ({anchor.count} entries then).")
    else:
        err.print("[bold red]audit check failed[/]:", highlight=False)
        for line in verdict.problems:
            err.print(f"  - {line}", highlight=False, soft_wrap=True)
        if verdict.more:
            more = "problem" if verdict.more == 1 else "problems"
            err.print(f"  … and {verdict.more} more {more} of the same kinds.")
        err.print(
            f"({verdict.events} audit log entries verified; {verdict.record_count} records read.)"
        )
    if verdict.sealed_on_upgrade is not None:
        from bot.core.clock import to_local

        day = to_local(verdict.sealed_on_upgrade)
        console.print(
            f"Records stored before {day.day} {day:%B %Y} were sealed when the bot was upgraded "
            "that day: changes made to them before then cannot be detected.",
            highlight=False,
        )


@audit_app.command("verify")
@friendly
def audit_verify(
    anchor_file: Annotated[
        Path | None,
        typer.Option("--anchor", help="A file written by 'audit anchor' to check against."),
    ] = None,
    fingerprint: Annotated[
        str | None,
        typer.Option(
            "--fingerprint", help="The weekly digest's audit figure (ENTRIES:HASH)."
        ),
    ] = None,
) -> None:
    """Check the audit chain and every record sealed in it; exits 1 naming the first problem."""
    from bot.core.audit_check import check

    ctx = context()
    where(ctx)
    anchor = _anchor_of(anchor_file, fingerprint, ctx.settings.signing_key())
    with ctx.store.session() as session:
        verdict = check(session, anchor)
    _print_verdict(verdict, anchor)
    if not verdict.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
@friendly
def audit_anchor(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write it (default: audit-anchor-DATE.txt here)."),
    ] = None,
) -> None:
    """Write a signed anchor of the audit log to keep outside the database (after verifying)."""
    from bot.core.anchor import make_anchor
    from bot.core.audit_check import check

    ctx = context()
    where(ctx)
    now = datetime.now(UTC)
    with ctx.store.session() as session:
        verdict = check(session)
        if not verdict.ok:
            _print_verdict(verdict, None)
            err.print("No anchor written: an anchor now would vouch for a damaged log.")
            raise typer.Exit(1)
        anchor, text = make_anchor(session, ctx.settings.signing_key(), now)
    target = out or Path(f"audit-anchor-{now:%Y-%m-%d-%H%M%S}.txt")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    console.print(
        f"[green]anchor written[/] to {target}: the audit log had {anchor.count} entries "
        f"({verdict.record_count} records checked). Keep it outside this server; "
        f"'compliance-bot audit verify --anchor {target}' shows whether the log was cut short "
        "or rewritten since.",
        highlight=False,
        soft_wrap=True,
    )
