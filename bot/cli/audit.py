"""``compliance-bot audit ...``: verify the hash-chained audit log and every sealed record, and
write a signed anchor file to keep outside the database.

Each command imports the audit modules when it runs: they load SQLAlchemy and the models (~1 s
measured; the keyring's cryptography ~13 ms), and ``--help`` answers without them
(tests/cli/test_demo.py).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.clock import to_local
from bot.core.i18n import N_
from bot.engine.commands import (
    console,
    context,
    err,
    error_said,
    fail,
    friendly,
    language_here,
    refusal,
)

if TYPE_CHECKING:
    from bot.core.audit.anchor import Anchor
    from bot.core.audit.check import Verdict
    from bot.core.keys import Keyring
    from bot.core.settings import Settings
    from bot.core.store import Store

__all__ = ["audit_app"]

_CANNOT_READ = N_("%(file)s: cannot be read (%(error)s)")
_KEY_FROM_ENVIRONMENT = N_(
    "the audit key comes from COMPLIANCE_BOT_AUDIT_KEY, which this command cannot change. Put "
    "the new secret there, add the old one as a line of %(file)s, and restart the bot: the "
    "change of key is then recorded in the audit log by itself."
)

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _anchor_of(
    anchor_file: Path | None, fingerprint: str | None, secret: str, language: str
) -> Anchor | None:
    """The anchor to check against, from a file or a digest's fingerprint (exit 2 if unusable,
    said in ``language``)."""
    # lazy: not loaded by --help (module docstring)
    from bot.core.audit.anchor import AnchorError, fingerprint_anchor, read_anchor

    try:
        if anchor_file is not None:
            return read_anchor(anchor_file, secret)
        if fingerprint is not None:
            return fingerprint_anchor(fingerprint)
    except AnchorError as exc:
        fail(error_said(exc, language), highlight=False, soft_wrap=True, language=language)
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
        day = to_local(verdict.sealed_on_upgrade)
        console.print(
            f"Records stored before {day.day} {day:%B %Y} were sealed when the bot was upgraded "
            "that day: changes made to them before then cannot be detected.",
            highlight=False,
        )


def _seal_stopped(store: Store) -> None:
    """Seal first what a dispatcher killed mid-pass recorded as sent and never sealed (as the
    dispatchers' recovery does): no false alarm while no dispatcher has run since."""
    from bot.core.audit.autocommit import seal_stopped  # lazy: see the module docstring

    sealed = seal_stopped(store)
    if sealed:
        noun = "message" if sealed == 1 else "messages"
        console.print(
            f"Sealed first: {sealed} sent {noun} recorded by a dispatcher that was stopped "
            "before it could seal them.",
            highlight=False,
        )


def _keyring(settings: Settings, previous_keys: Path | None, language: str) -> Keyring:
    """The settings' audit keyring, with the earlier secrets of ``previous_keys`` added (one
    that cannot be read: exit 2, said in ``language``)."""
    from bot.core.keys import Keyring

    keys = settings.audit_keyring()
    if previous_keys is None:
        return keys
    try:
        lines = previous_keys.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(refusal(_CANNOT_READ, language, file=previous_keys, error=exc.__class__.__name__),
             highlight=False, language=language)
    extra = Keyring.from_secrets(settings.audit_secret(),
                                 [x.strip() for x in lines if x.strip() and x[0] != "#"])
    return Keyring(keys.current, {**keys.previous, **extra.previous})


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
    previous_keys: Annotated[
        Path | None,
        typer.Option(
            "--previous-keys",
            help="A file of earlier audit secrets, one a line, to check older entries with "
            "(besides COMPLIANCE_BOT_PREVIOUS_AUDIT_KEYS_FILE).",
        ),
    ] = None,
) -> None:
    """Check the audit chain and every record sealed in it, and re-hash the files they name;
    exits 1 naming the first problem."""
    from bot.core.audit import KEYS
    from bot.core.audit.check import check

    ctx = context()
    language = language_here(ctx)  # the log is the install's: the one school's language
    anchor = _anchor_of(anchor_file, fingerprint, ctx.settings.signing_key(), language)
    keys = _keyring(ctx.settings, previous_keys, language)
    _seal_stopped(ctx.store)
    with ctx.store.session() as session:
        session.info[KEYS] = keys
        verdict = check(session, anchor, ctx.settings.uploads_dir)
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
    from bot.core.audit.anchor import make_anchor
    from bot.core.audit.check import check

    ctx = context()
    now = datetime.now(UTC)
    _seal_stopped(ctx.store)
    with ctx.store.session() as session:
        verdict = check(session, None, ctx.settings.uploads_dir)
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


@audit_app.command("rotate-key")
@friendly
def audit_rotate_key() -> None:
    """Sign the audit log with a new key from now on; the log records the change (key ids only).

    The log is verified first. A new secret is written to <home>/audit.key and the one it
    replaces is added to the previous-audit-keys file, which 'audit verify' needs to check the
    entries made before: keep copies of both outside the database server.
    """
    from bot.core.audit.check import check
    from bot.core.keys import derive, key_id
    from bot.core.store import Store

    ctx = context()
    settings = ctx.settings
    if settings.audit_key is not None:
        language = language_here(ctx)
        fail(
            refusal(_KEY_FROM_ENVIRONMENT, language, file=settings.previous_audit_keys_path),
            highlight=False, soft_wrap=True, language=language,
        )
    _seal_stopped(ctx.store)
    with ctx.store.session() as session:
        verdict = check(session, None, settings.uploads_dir)
    if not verdict.ok:
        _print_verdict(verdict, None)
        err.print("The key was not changed: the log must verify before it moves to a new key.")
        raise typer.Exit(1)
    old = settings.audit_secret()
    ctx.store.dispose()
    kept = settings.previous_audit_keys_path
    kept.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(old + "\n")
    new = secrets.token_urlsafe(48)
    target = settings.audit_key_file
    tmp = target.with_name(f".audit.key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(new)
    tmp.replace(target)
    keys = settings.audit_keyring()
    store = Store(settings.db_url, keys=keys)
    store.upgrade()  # records the change of key in the log (audit.adopt_key)
    store.dispose()
    console.print(
        f"[green]audit key changed[/]: new entries are signed with key {keys.current_id} "
        f"(before: {key_id(derive(old, 'audit'))}). The new secret is in "
        f"{target}; the old one was added to {kept}. Keep copies of both outside this server "
        "and outside the database server: without them nobody can check the log.",
        highlight=False, soft_wrap=True,
    )
