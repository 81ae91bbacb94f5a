"""A dispatch worker process: delivers the outbox continuously; run as many as you like.

The scheduler's dispatch job is enough for one school; a trust runs dispatch workers beside
it (``compliance-bot run --dispatch-only``, one Deployment in deploy/kubernetes). Workers need
no lock: each claims rows no other holds, and the sending mailbox's limits are counted in the
database (``bot.core.outbox``), so three workers never send faster than one mailbox may.
Between passes a worker sleeps until the mailbox's limits let more go, or a short poll.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.core.config import ConfigError
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import utcnow
from bot.core.outbox import DispatchStats, dispatch
from bot.core.outbox.delivery import AdminAlerts
from bot.core.outbox.workers import heartbeat

__all__ = ["IDLE_SECONDS", "log_pass", "pause_after", "run_dispatcher", "settings_of"]

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0  # how soon an idle worker looks again for newly queued messages
PASS_LIMIT = 200  # messages per pass: a stop request waits for at most this many
MAX_PAUSE_SECONDS = 60.0  # a worker re-reads the queue at least this often


def pause_after(stats: DispatchStats, now: datetime) -> float:
    """Seconds to wait after a pass: none while it delivered and nothing held it back, until the
    mailbox's limits free a permit when they did, else a short idle poll."""
    if stats.paced_until is not None:
        wait = (stats.paced_until - now).total_seconds()
        return min(max(wait, 0.2), MAX_PAUSE_SECONDS)
    if stats.sent or stats.failed or stats.delivery_unknown:
        return 0.0
    return IDLE_SECONDS


def settings_of(ctx: AppContext, who: str) -> dict[str, Any]:
    """What a dispatch pass takes from the settings, read afresh each pass (the last good ones
    while an edited school.yaml does not load: ``AppContext.config``): the admins told of a
    refused message, the schools' own mailboxes and their connections' Teams bots. Settings
    never read must not stop delivery: refusal alerts wait, and a trust with connections keeps
    its cards waiting (whose tenant a card is, unknown)."""
    try:
        alerts = AdminAlerts.of(ctx.config.schools)
        return {
            "alerts": alerts,
            "mailboxes": ctx.mailboxes,
            "chat": ctx.connectors.chat,
            "chats": ctx.chats,
        }
    except ConfigError as exc:
        log.warning("%s: configuration not read (%s); refusal alerts wait", who, exc)
        return {"alerts": None, "chat": None if ctx.settings.connections else ctx.connectors.chat}


def log_pass(who: str, stats: DispatchStats) -> None:
    """What a pass did, when it did anything."""
    if stats.sent or stats.failed or stats.delivery_unknown or stats.retry_later:
        log.info(
            "%s: sent %d, retry %d, failed %d, unknown %d",
            who,
            stats.sent,
            stats.retry_later,
            stats.failed,
            stats.delivery_unknown,
        )


def run_dispatcher(
    settings: Settings, *, stop: threading.Event | None = None, now: Callable[[], datetime] = utcnow
) -> int:
    """Deliver until SIGTERM/SIGINT (or ``stop`` is set); returns how many messages it sent."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    ctx = AppContext(settings)
    mailer, notifier = ctx.connectors.mailer, ctx.connectors.notifier
    sent = 0
    try:
        # a heartbeat while it runs: if this process dies, the others take back its rows at
        # once (bot.core.outbox.workers), not after the outbox's timeouts
        with heartbeat(ctx.store, now):
            while not stop.is_set():
                stats = dispatch(
                    ctx.store,
                    mailer,
                    notifier,
                    now=now,
                    limit=PASS_LIMIT,
                    wait=stop.wait,
                    **settings_of(ctx, "dispatch worker"),
                )
                sent += stats.sent
                log_pass("dispatch worker", stats)
                wait = pause_after(stats, now())
                if wait:
                    stop.wait(wait)
    except KeyboardInterrupt:
        pass
    finally:
        ctx.store.dispose()
    return sent
