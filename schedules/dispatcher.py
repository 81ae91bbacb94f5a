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

from bot.core.config import ConfigError
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.core.models import utcnow
from bot.core.outbox import DispatchStats, Mailbox, dispatch
from bot.core.outbox.delivery import AdminAlerts
from bot.core.outbox.workers import heartbeat

__all__ = ["IDLE_SECONDS", "pause_after", "run_dispatcher"]

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


def _alerts(ctx: AppContext) -> AdminAlerts | None:
    try:  # read again whenever the settings change; a school whose entry fails is on its
        # last good settings (``per_school``), so one school's mistake keeps no one's alerts
        return AdminAlerts.of(ctx.config.schools)
    except ConfigError as exc:  # a broken school.yaml must not stop delivery
        log.warning("dispatch worker: configuration not read (%s); refusal alerts wait", exc)
        return None


def _mailboxes(ctx: AppContext) -> tuple[Mailbox, ...]:
    """The schools' own mailboxes, read afresh each pass (the last ones read while the settings
    do not load)."""
    try:
        ctx.__dict__["_boxes"] = ctx.mailboxes
        ctx.__dict__["_chats"] = ctx.chats  # each school's tenant's bot, with the mailboxes
    except ConfigError as exc:
        log.warning("dispatch worker: configuration not read (%s)", exc)
    return tuple(ctx.__dict__.get("_boxes", ()))


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
                    alerts=_alerts(ctx),
                    wait=stop.wait,
                    mailboxes=_mailboxes(ctx),
                    # whose tenant a card is, known once the settings were read: until then
                    # a trust with connections keeps its cards waiting
                    chat=ctx.connectors.chat
                    if "_chats" in ctx.__dict__ or not settings.connections
                    else None,
                    chats=ctx.__dict__.get("_chats", {}),
                )
                sent += stats.sent
                if stats.sent or stats.failed or stats.delivery_unknown:
                    log.info(
                        "dispatch worker: sent %d, retry %d, failed %d, unknown %d",
                        stats.sent,
                        stats.retry_later,
                        stats.failed,
                        stats.delivery_unknown,
                    )
                wait = pause_after(stats, now())
                if wait:
                    stop.wait(wait)
    except KeyboardInterrupt:
        pass
    finally:
        ctx.store.dispose()
    return sent
