"""The jobs and their timetable. Each job is a module-level function with primitive arguments
that calls one function of ``bot`` and records what it did; jobs only enqueue or deliver."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.config import ConfigError
from bot.core.config.store import load_org
from bot.core.deployment.context import AppContext, own_mailboxes
from bot.core.deployment.settings import load_settings
from bot.core.models import utcnow
from bot.core.outbox import Urgency, dispatch
from bot.core.outbox.delivery import AdminAlerts, trouble
from bot.engine.maintenance import run_maintenance
from bot.engine.sweep import run_sweep
from bot.engine.sweep_worker import queue_tick, work
from bot.features.reports.forms import poll_forms
from bot.wiring import install
from schedules.dispatcher import log_pass, settings_of

__all__ = [
    "DISPATCH_SECONDS",
    "FORMS_SECONDS",
    "JOBS",
    "MAINTENANCE_HOURS",
    "SWEEP_MINUTES",
    "JobSpec",
    "dispatch_job",
    "forms_job",
    "maintenance_job",
    "sweep_job",
]

log = logging.getLogger(__name__)
install()  # hand the engine the features' sweep steps before any job runs

SWEEP_MINUTES = 15  # directory, duties, reminders (gated to school-day windows), clocks, digest
DISPATCH_SECONDS = 60  # deliver what is due from the outbox
SWEEP_GRACE_SECONDS = 10 * 60  # a late sweep still runs (the default of 1 s would skip it)
DISPATCH_GRACE_SECONDS = 60
FORMS_SECONDS = 60  # external form responses (Microsoft/Google Forms): a concern may be urgent
FORMS_GRACE_SECONDS = 60
MAINTENANCE_HOURS = 6  # retention (outbox bodies, sweep-run log, visitors, send counts)
MAINTENANCE_GRACE_SECONDS = 60 * 60


_contexts: dict[str, AppContext] = {}
_contexts_lock = threading.Lock()


def _context(home: str | None) -> AppContext:
    """The process's one application context for this home folder.

    Built once, not per job run: the store (engine, migrations checked once), and the
    connectors — the Graph client's event loop and token cache, the mailer's last
    ``Retry-After`` and the Teams bot's pacers must outlive a single run, or every minute
    would start with a fresh token and forget the platform's "not before". (The mailbox's
    own limits are counted in the database, ``bot.core.outbox.pacing``.)
    """
    key = str(Path(home).resolve()) if home else ""
    with _contexts_lock:
        if key not in _contexts:
            settings = load_settings(home=Path(home)) if home else load_settings()
            _contexts[key] = AppContext(settings)
        return _contexts[key]


def sweep_job(home: str | None = None) -> None:
    """Run one cycle; delivery is left to the dispatch job. On PostgreSQL the cycle is a tick:
    every school queued, then swept here with any sweep workers (``bot.engine.sweep_worker``)."""
    ctx = _context(home)
    config = load_org(ctx.settings, ctx.store)  # the settings are read afresh every cycle
    if not ctx.store.is_sqlite:
        queued = queue_tick(ctx.store, config, utcnow())
        # the settings just read are the tick's: read again, a trust's cost a second time
        swept = work(ctx.store, ctx.settings, lambda: config, ctx.connectors)
        log.info("sweep: %d school(s) queued, %d swept here", queued, swept)
        return
    results, _ = run_sweep(
        ctx.store, ctx.settings, config, ctx.connectors, deliver=False, keep_reminders=False
    )
    for r in results:
        if r.directory.error:
            log.error("sweep %s: directory not read: %s", r.school_id, r.directory.error)
        log.info(
            "sweep %s as of %s: opened %d, reminders %d, overdue %d",
            r.school_id,
            r.as_of,
            r.opened,
            r.told.queued,
            r.overdue,
        )


def dispatch_job(home: str | None = None) -> None:
    """Deliver due outbox rows; warn while any message waits for a person."""
    ctx = _context(home)
    # waits a moment for the mailbox's next permit rather than ending the pass: passes a
    # minute apart would otherwise find the minute still full and send every other minute
    stats = dispatch(
        ctx.store,
        ctx.connectors.mailer,
        ctx.connectors.notifier,
        wait=time.sleep,
        **settings_of(ctx, "dispatch"),
    )
    log_pass("dispatch", stats)
    with ctx.store.session() as session:
        waiting = trouble(session, utcnow())
    if waiting.needs_a_person:
        log.warning(
            "outbox: %d message(s) may not have arrived and %d could not be delivered; "
            "list them with `compliance-bot outbox --status delivery_unknown` (or failed), then "
            "`compliance-bot outbox resolve ID --sent` or `--resend`",
            waiting.unknown,
            waiting.failed,
        )


def forms_job(home: str | None = None) -> None:
    """Read the external form's new responses, then hand their alerts to the platform at once."""
    ctx = _context(home)
    forms = ctx.connectors.forms
    if forms is None:
        return
    config = load_org(ctx.settings, ctx.store)
    polled = poll_forms(
        ctx.store,
        config,
        forms,
        now=utcnow(),
        base_url=ctx.settings.base_url,
        channel_card=ctx.connectors.notifier is not None,
    )
    if polled.stored or polled.flagged:
        log.info(
            "forms: %d new report(s), %d response(s) newly unreadable",
            polled.stored,
            polled.flagged,
        )
        # only the urgent rows (alerts, receipts): routine mail waits for the dispatch job
        dispatch(
            ctx.store,
            ctx.connectors.mailer,
            ctx.connectors.notifier,
            alerts=AdminAlerts.of(config.schools),
            up_to=Urgency.WAITING,
            mailboxes=own_mailboxes(config.schools, ctx.connectors),
        )
    if polled.problems:
        log.warning(
            "forms: %d response(s) could not be read; list them with "
            "`compliance-bot reports form-problems`",
            polled.problems,
        )


def maintenance_job(home: str | None = None) -> None:
    """Apply the retention rules (``bot.engine.maintenance``)."""
    ctx = _context(home)
    try:
        schools = load_org(ctx.settings, ctx.store).schools
    except ConfigError as exc:  # the outbox and logs still follow their retention
        log.warning("maintenance: configuration not read (%s); visitors wait", exc)
        schools = []
    kept = run_maintenance(
        ctx.store,
        ctx.settings.retention,
        schools,
        utcnow(),
        ctx.settings.outbox_dir,
        ctx.settings.uploads_dir,
    )
    log.info(
        "maintenance: %d message bodies dropped, %d sweep runs, %d visitors, %d send counts,"
        " %d people and reports disposed of, %d outbox files; %d bytes given back to the disk",
        kept.bodies,
        kept.sweep_runs,
        kept.visitors,
        kept.pacing_rows,
        kept.disposed,
        kept.files,
        kept.space_returned,
    )
    if kept.should_compact:
        log.warning(
            "maintenance: the SQLite file holds %d free bytes it cannot give back to the "
            "disk (made by an older version): stop the bot and run "
            "`compliance-bot maintenance --compact` once",
            kept.space_stuck,
        )


@dataclass(frozen=True)
class JobSpec:
    """A job's fixed id, function and interval; ``at_start``: its first run is when the
    scheduler starts, not one interval later; ``kwargs``: what it is called with besides the
    home folder."""

    id: str
    func: Callable[..., None]
    seconds: int
    grace: int
    at_start: bool = False
    kwargs: Mapping[str, object] = field(default_factory=dict)  # the function's, beside ``home``


JOBS: tuple[JobSpec, ...] = (
    # at start: the people exist (and can sign in) the minute `run` starts, not 15 minutes later
    JobSpec(
        "compliance-bot.engine.sweep",
        sweep_job,
        SWEEP_MINUTES * 60,
        SWEEP_GRACE_SECONDS,
        at_start=True,
    ),
    JobSpec("compliance-bot.dispatch", dispatch_job, DISPATCH_SECONDS, DISPATCH_GRACE_SECONDS),
    JobSpec("compliance-bot.reports.forms", forms_job, FORMS_SECONDS, FORMS_GRACE_SECONDS),
    JobSpec(
        "compliance-bot.maintenance",
        maintenance_job,
        MAINTENANCE_HOURS * 3600,
        MAINTENANCE_GRACE_SECONDS,
    ),
)
