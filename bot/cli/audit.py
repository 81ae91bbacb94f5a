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

from bot.core.days.clock import to_local
from bot.core.language.i18n import N_, Dated, say
from bot.engine.commands import console, context, err, fail, friendly

if TYPE_CHECKING:
    from bot.core.audit.anchor import Anchor
    from bot.core.audit.check import Verdict
    from bot.core.deployment.settings import Settings
    from bot.core.guards.keys import Keyring

__all__ = ["audit_app"]

_CANNOT_READ = N_("%(file)s: cannot be read (%(error)s)")
_KEY_FROM_ENVIRONMENT = N_(
    "the audit key comes from COMPLIANCE_BOT_AUDIT_KEY, which this command cannot change. Put "
    "the new secret there, add the old one as a line of %(file)s, and restart the bot: the "
    "change of key is then recorded in the audit log by itself."
)

# what the commands say of the log (their problems, found by ``check``, are its English)
_INTACT = N_(
    "[green]audit log intact[/]: %(events)s entries verified and %(records)s records checked "
    "against them (%(kinds)s)."
)
_MATCHES_FILE = N_(
    "It matches the anchor file made on %(day)s at %(time)s (%(count)s entries then)."
)
_MATCHES_FINGERPRINT = N_("It matches the fingerprint given (%(count)s entries then).")
_FAILED = N_("[bold red]audit check failed[/]:")
_MORE = N_("  … and %(count)s more problem of the same kinds.")
_MORE_PLURAL = N_("  … and %(count)s more problems of the same kinds.")
_COUNTED = N_("(%(events)s audit log entries verified; %(records)s records read.)")
_SEALED_ON_UPGRADE = N_(
    "Records stored before %(day)s were sealed when the bot was upgraded that day: changes made "
    "to them before then cannot be detected."
)
_NO_ANCHOR = N_("No anchor written: an anchor now would vouch for a damaged log.")
_ANCHOR_WRITTEN = N_(
    "[green]anchor written[/] to %(file)s: the audit log had %(count)s entries (%(records)s "
    "records checked). Keep it outside this server; 'compliance-bot audit verify --anchor "
    "%(file)s' shows whether the log was cut short or rewritten since."
)
_KEY_KEPT = N_("The key was not changed: the log must verify before it moves to a new key.")
_KEY_CHANGED = N_(
    "[green]audit key changed[/]: new entries are signed with key %(new)s (before: %(old)s). The "
    "new secret is in %(file)s; the old one was added to %(kept)s. Keep copies of both outside "
    "this server and outside the database server: without them nobody can check the log."
)

_DISPOSED = N_(
    "Disposed of under the retention schedule (the last time on %(day)s): people: %(people)s, "
    "reports: %(reports)s; audit entries whose personal data was removed, still verified: "
    "%(audit_events)s."
)

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _anchor_of(anchor_file: Path | None, fingerprint: str | None, secret: str) -> Anchor | None:
    """The anchor to check against, from a file or a digest's fingerprint (exit 2 if unusable,
    said in the active language)."""
    # lazy: not loaded by --help (module docstring)
    from bot.core.audit.anchor import AnchorError, fingerprint_anchor, read_anchor

    try:
        if anchor_file is not None:
            return read_anchor(anchor_file, secret)
        if fingerprint is not None:
            return fingerprint_anchor(fingerprint)
    except AnchorError as exc:
        fail(exc.msg, highlight=False, soft_wrap=True)
    return None


def _dated(sentence: str, day: datetime, **values: object) -> str:
    """``sentence`` with ``day`` as "3 November 2026" in each language ("3 Tachwedd 2026",
    ``babel.dates``)."""
    return say(sentence, day=Dated(day, "%-d %B %Y", "d MMMM y"), **values)


def _print_verdict(verdict: Verdict, anchor: Anchor | None) -> None:
    """The outcome in plain words: counts when intact; the problems (first
    first, as ``check`` found them) when not."""
    if verdict.ok:
        console.print(
            say(
                _INTACT,
                events=verdict.events,
                records=verdict.record_count,
                kinds=verdict.records_line(),
            ),
            highlight=False,
        )
        if anchor is not None and anchor.made_at is not None:
            made = to_local(anchor.made_at)
            console.print(_dated(_MATCHES_FILE, made, time=f"{made:%H:%M}", count=anchor.count))
        elif anchor is not None:
            console.print(say(_MATCHES_FINGERPRINT, count=anchor.count))
    else:
        err.print(say(_FAILED), highlight=False)
        for line in verdict.problems:
            err.print(f"  - {line}", highlight=False, soft_wrap=True)
        if verdict.more:
            more = _MORE if verdict.more == 1 else _MORE_PLURAL
            err.print(say(more, count=verdict.more))
        err.print(say(_COUNTED, events=verdict.events, records=verdict.record_count))
    if verdict.disposed_last is not None:
        console.print(
            _dated(_DISPOSED, to_local(verdict.disposed_last), **verdict.disposed), highlight=False
        )
    if verdict.sealed_on_upgrade is not None:
        day = to_local(verdict.sealed_on_upgrade)
        console.print(_dated(_SEALED_ON_UPGRADE, day), highlight=False)


def _keyring(settings: Settings, previous_keys: Path | None) -> Keyring:
    """The settings' audit keyring, with the earlier secrets of ``previous_keys`` added (one
    that cannot be read: exit 2)."""
    from bot.core.guards.keys import Keyring

    keys = settings.audit_keyring()
    if previous_keys is None:
        return keys
    try:
        lines = previous_keys.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(say(_CANNOT_READ, file=previous_keys, error=exc.__class__.__name__), highlight=False)
    extra = Keyring.from_secrets(
        settings.audit_secret(), [x.strip() for x in lines if x.strip() and x[0] != "#"]
    )
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
        typer.Option("--fingerprint", help="The weekly digest's audit figure (ENTRIES:HASH)."),
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
    anchor = _anchor_of(anchor_file, fingerprint, ctx.settings.signing_key())
    keys = _keyring(ctx.settings, previous_keys)
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
    with ctx.store.session() as session:
        verdict = check(session, None, ctx.settings.uploads_dir)
        if not verdict.ok:
            _print_verdict(verdict, None)
            err.print(say(_NO_ANCHOR))
            raise typer.Exit(1)
        anchor, text = make_anchor(session, ctx.settings.signing_key(), now)
    target = out or Path(f"audit-anchor-{now:%Y-%m-%d-%H%M%S}.txt")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    console.print(
        say(_ANCHOR_WRITTEN, file=target, count=anchor.count, records=verdict.record_count),
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
    from bot.core.database.store import Store
    from bot.core.guards.keys import derive, key_id

    ctx = context()
    settings = ctx.settings
    if settings.audit_key is not None:
        fail(
            say(_KEY_FROM_ENVIRONMENT, file=settings.previous_audit_keys_path),
            highlight=False,
            soft_wrap=True,
        )
    with ctx.store.session() as session:
        verdict = check(session, None, settings.uploads_dir)
    if not verdict.ok:
        _print_verdict(verdict, None)
        err.print(say(_KEY_KEPT))
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
        say(
            _KEY_CHANGED,
            new=keys.current_id,
            old=key_id(derive(old, "audit")),
            file=target,
            kept=kept,
        ),
        highlight=False,
        soft_wrap=True,
    )
