"""``compliance-bot outbox``: what the bot queued and sent, why a message waits, and
``outbox resolve`` for a message that may not have arrived or was refused (audited).

Each command imports the outbox modules when it runs: they load SQLAlchemy and the models (~1 s
measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from bot.core.language.i18n import N_, each_language, halves, say, speak, spoken
from bot.engine.commands import (
    WHO_ARE_YOU,
    console,
    context,
    fail,
    friendly,
    os_user,
    school_language,
)

if TYPE_CHECKING:
    from pathlib import Path

    from bot.core.models import OutboxMessage
    from bot.core.outbox.pause import ChannelState

__all__ = ["outbox_app"]

_SENT_OR_RESEND = N_("say either --sent (it arrived) or --resend (send it again).")
_TITLE = N_("Outbox (newest first)")
_HEADINGS = (N_("Status"), N_("Purpose"), N_("To"), N_("Subject"))
# a message's state as the table and the counts show it (``--status`` takes the English code)
_STATES = {
    "pending": N_("pending"),
    "claimed": N_("claimed"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "bounced": N_("bounced"),
    "delivery_unknown": N_("delivery_unknown"),
}
_CHANNEL = N_("channel")  # a message to a channel (a Teams card), not to people
_EMPTY = N_("empty")
_NEEDS_A_PERSON = N_(
    "Messages marked delivery_unknown may or may not have arrived: check the sending "
    "mailbox's Sent Items, then run `compliance-bot outbox resolve ID --sent --as "
    "YOU` if it is there, or `--resend` to send it once more. Failed messages were "
    "refused by the platform, and bounced ones accepted and then returned undelivered (a "
    "non-delivery report came back): fix the cause (often the address), then "
    "`--resend`."
)
# a paused channel: what it sends, until when, and the reason (the bot's, or the platform's own)
_PAUSED = N_("[yellow]%(what)s paused[/] until %(until)s: %(reason)s")
_WHY_WAITING = N_("Why these have not gone yet")
_EMAIL_FILES = N_("Email files: %(folder)s")
_RESENT = N_(
    "[green]Message %(id)s is queued to be sent again[/]: the scheduler sends it at its next "
    "run (or run `compliance-bot sweep`). Recorded as yours."
)
_MARKED_SENT = N_(
    "[green]Message %(id)s is marked as delivered[/]; it will not be sent again. Recorded as yours."
)

outbox_app = typer.Typer(
    help="What the bot has queued and sent; resolve messages that may not have arrived.",
    invoke_without_command=True,
)


@outbox_app.callback()
@friendly
def outbox(
    ctx: typer.Context,
    state: Annotated[
        str | None,
        typer.Option("--status", help="pending/sent/failed/bounced/delivery_unknown/..."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 30,
) -> None:
    """What the bot has queued and sent (subjects and recipients only)."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select  # lazy: not loaded by --help (module docstring)

    from bot.core.models import OutboxMessage, utcnow
    from bot.core.outbox.pause import channel_states

    app = context()
    now = utcnow()
    with app.store.session() as session:
        counts: dict[str, int] = dict(
            session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if state:
            query = query.where(OutboxMessage.status == state)
        rows = session.scalars(query).all()
        paused = {c: s for c, s in channel_states(session).items() if s.paused(now)}
    from bot.core.deployment.context import own_senders

    senders = own_senders(app.config.schools)
    local = app.settings.connector == "local" and app.settings.local.mail == "eml"
    # cy+en: the whole of it in Welsh, then in English; a stored "Welsh / English" subject
    # by its half in each
    dual = spoken() == "cy+en"
    each_language(
        lambda: _print_outbox(
            rows,
            counts,
            (lambda subject: halves(subject)[spoken() == "en"]) if dual else str,
            lambda: _print_waiting(rows, paused, senders),
            app.settings.outbox_dir if local else None,
        ),
        lambda _cy, _en: None,
    )


def _print_outbox(
    rows: Sequence[OutboxMessage],
    counts: Mapping[str, int],
    subject: Callable[[str], str],
    waiting: Callable[[], None],
    files: Path | None,
) -> None:
    """The outbox's table and counts, then why messages wait (``waiting``) and where the
    email files are (``files``), in the active language; ``subject``: a row's stored subject
    as this language shows it."""
    from bot.core.outbox.delivery import purpose_heading  # lazy: as the command's own imports

    table = Table("#", *map(say, _HEADINGS), title=say(_TITLE))
    for row in rows:
        table.add_row(
            str(row.id),
            say(_STATES.get(row.status, row.status)),
            str(purpose_heading(row.purpose)),
            ", ".join(row.recipients) or say(_CHANNEL),
            subject(row.subject),
        )
    console.print(table)
    console.print(
        "  ".join(f"{say(_STATES.get(k, k))}: {v}" for k, v in sorted(counts.items()))
        or say(_EMPTY)
    )
    waiting()
    if counts.get("delivery_unknown") or counts.get("failed") or counts.get("bounced"):
        console.print(say(_NEEDS_A_PERSON), highlight=False)
    if files is not None:
        console.print(say(_EMAIL_FILES, folder=files))


def _print_waiting(
    rows: Sequence[OutboxMessage], paused: Mapping[str, ChannelState], senders: Mapping[str, str]
) -> None:
    """Paused channels and mailboxes, then why each listed message has not gone (and when it
    goes), in ``language``; ``senders``: the schools' own mailboxes (``waiting.lane_of``)."""
    from bot.core.models import utcnow
    from bot.core.outbox.waiting import (
        channel_words,
        lane_of,
        moment_words,
        pause_reason,
        row_sentence,
        why_waiting,
    )

    for _, halt in sorted(paused.items()):
        assert halt.paused_until is not None
        console.print(
            say(
                _PAUSED,
                what=channel_words(halt),
                until=moment_words(halt.paused_until),
                reason=pause_reason(halt),
            ),
            highlight=False,
        )
    waiting = [r for r in rows if r.status == "pending" or (r.status != "sent" and r.last_error)]
    if not waiting:
        return
    # connector errors are safe to show: platform codes and settings, never content
    console.print(f"[bold]{say(_WHY_WAITING)}[/]")
    now = utcnow()
    for row in waiting:
        if row.status != "pending":  # its state as the table says it; the platform's answer
            state = say(_STATES.get(row.status, row.status))
            console.print(f"  #{row.id} {state}: {row.last_error}", highlight=False)
            continue
        reason, goes = why_waiting(
            lane_of(row.channel, row.school_id, senders),
            row.next_attempt_at,
            row.attempts,
            paused,
            now,
        )
        line = row_sentence(reason, goes, now, row.last_error)
        console.print(f"  #{row.id} {line}", highlight=False)


@outbox_app.command("resolve")
@friendly
def resolve(
    message: Annotated[
        int, typer.Argument(help="The message number (the # column of `compliance-bot outbox`).")
    ],
    sent: Annotated[
        bool, typer.Option("--sent", help="It did arrive (e.g. it is in the mailbox's Sent Items).")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send it once more, deliberately.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Your email: the head, an admin, or a safeguarding lead or deputy (recorded).",
        ),
    ] = None,
) -> None:
    """Resolve a message that may not have arrived or was refused: --sent or --resend."""
    from bot.core.models import utcnow
    from bot.core.outbox.delivery import ResolveError
    from bot.core.outbox.delivery import resolve as resolve_message

    if sent == resend or not actor:
        speak(school_language())
        fail(say(_SENT_OR_RESEND if sent == resend else WHO_ARE_YOU))
    app = context()
    schools = {s.id: s for s in app.config.schools}
    try:
        with app.store.transaction() as session:
            row = resolve_message(
                session,
                message,
                resend=resend,
                email=actor,
                schools=schools,
                now=utcnow(),
                os_user=os_user(),
            )
    except ResolveError as exc:
        fail(exc.msg, highlight=False, soft_wrap=True)
    console.print(say(_RESENT if resend else _MARKED_SENT, id=row.id), highlight=False)
