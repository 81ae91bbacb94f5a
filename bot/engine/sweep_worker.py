"""The sweep shared by workers on PostgreSQL: the tick queues every school in force
(``queue_tick``), and each worker claims one school at a time and sweeps it under its lease
(``work``), with the engine's one school sweep (``bot.engine.sweep.sweep_one``). The queue, the
lease and the fencing number are ``bot.engine.sweep_jobs``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete

from bot.core.config import OrgConfig
from bot.core.database.store import Store
from bot.core.days.clock import local_today
from bot.core.deployment.settings import Settings
from bot.core.models import SweepJob, utcnow
from bot.core.ports import Connectors
from bot.engine import sweep_jobs
from bot.engine.read_once import TickConnectors
from bot.engine.settings_problems import record_settings
from bot.engine.step_failures import log_failure
from bot.engine.sweep import fewer_collections, sweep_one

__all__ = ["queue_tick", "work"]

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0  # how soon an idle worker looks again for queued schools
HELD_SECONDS = 1.0  # how soon one --until-idle looks again while another worker holds a school


def queue_tick(store: Store, config: OrgConfig, now: datetime) -> int:
    """The tick's start on PostgreSQL: each school's last good settings recorded (as the single
    loop does first), then every school in force queued; how many were queued."""
    try:
        record_settings(store, config, now)
    except Exception as exc:  # the schools in force still sweep
        log_failure("(all)", "settings problems", exc)
    return sweep_jobs.enqueue(store, {s.id: s.connection or "" for s in config.schools}, now)


@fewer_collections()
def work(
    store: Store,
    settings: Settings,
    config_of: Callable[[], OrgConfig],
    connectors: Connectors,
    *,
    worker: str | None = None,
    until_idle: bool = True,
    stop: threading.Event | None = None,
) -> int:
    """Claim and sweep queued schools until ``stop`` is set or, with ``until_idle``, until no
    school is queued (one held by another worker's lease is: a killed worker's is claimed here
    once its lease has passed; one whose tenant asked us to wait is left); how many schools
    this worker swept. Its claims hold ``settings.sweep_lease_seconds``. The settings
    (``config_of``) are read afresh for each tick, and each connection's directory once a tick
    by this worker (``TickConnectors``). A school no longer in force leaves the queue unswept."""
    worker, stop = worker or sweep_jobs.worker_name(), stop or threading.Event()
    lease_length = timedelta(seconds=settings.sweep_lease_seconds)
    swept, tick, config, shared = 0, None, None, None
    while not stop.is_set():
        lease = sweep_jobs.claim(store, worker, lease_length)
        if lease is None:
            if until_idle and not sweep_jobs.queued(store):
                break
            stop.wait(HELD_SECONDS if until_idle else IDLE_SECONDS)
            continue
        if lease.tick != tick or config is None or shared is None:
            if shared is not None:  # the last tick's file reads, for the next process
                shared.keep()
            tick, config, shared = lease.tick, config_of(), TickConnectors(connectors, store)
        school = next((s for s in config.schools if s.id == lease.school_id), None)
        if school is None:
            _drop(store, lease)
            continue
        moment = utcnow()
        with sweep_jobs.renewing(store, lease, lease_length):
            sweep_one(
                store,
                settings,
                config,
                school,
                shared.of(school),
                local_today(moment),
                moment,
                lease=lease,
            )
        swept += 1
        wait = shared.asked_to_wait(school)
        if wait is not None:  # one throttled tenant delays only its own schools
            held = sweep_jobs.pause(store, school.connection or "", wait)
            log.warning(
                "sweep worker: the tenant of school %s asked us to wait %.0f s; its %d "
                "other queued school(s) wait, the others are swept",
                school.id,
                wait,
                held,
            )
    if shared is not None:
        shared.keep()
    return swept


def _drop(store: Store, lease: sweep_jobs.Lease) -> None:
    """A claimed school no longer in force: its job goes (the next enqueue forgets it)."""
    log.info("sweep worker: school %s is no longer in force; not swept", lease.school_id)
    with store.transaction() as session:
        session.execute(delete(SweepJob).where(*sweep_jobs.held(lease)))
