"""One full cycle for each school: directory, configuration, duties, reminders, dispatch."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from functools import partial

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.database.store import Store, others_waiting
from bot.core.days.clock import local_today
from bot.core.deployment.context import StepContext, own_mailboxes, school_chats
from bot.core.deployment.settings import Settings
from bot.core.deployment.setup_state import is_sending
from bot.core.guards.forms import Text
from bot.core.language.i18n import Lazy, speaking
from bot.core.language.kept_text import from_data, to_data
from bot.core.models import (
    AccountHolder,
    ConnectorState,
    Duty,
    OfficialAccount,
    Person,
    School,
    StepFailure,
    SweepRun,
    utcnow,
)
from bot.core.outbox import DispatchStats, dispatch
from bot.core.outbox.delivery import AdminAlerts
from bot.core.ports import Connectors
from bot.engine import sweep_jobs
from bot.engine.config_sync import account_event, config_inputs, ensure_school, sync_config
from bot.engine.duties_step import duties_step
from bot.engine.idle_steps import idle
from bot.engine.leavers import missing_people
from bot.engine.read_once import TickConnectors
from bot.engine.school_sweep import SchoolSweep
from bot.engine.settings_problems import record_settings
from bot.engine.step_failures import StepFailed, log_failure, record_steps
from bot.engine.steps import FeatureSteps, Step, registered
from bot.engine.sweep_jobs import Lease
from bot.engine.sweep_people import extra_people, read_directory, read_mis

__all__ = ["SchoolSweep", "run_sweep", "sweep_one"]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the cycle


def _flag_handovers(session: Session, school_id: str, today: date) -> list[str]:
    """Holders who have left: end their holding and flag the account for its custodian."""
    flagged: list[str] = []
    rows = session.execute(_LEFT_HOLDERS, {"school_id": school_id}).all()
    for holding, person, account in rows:
        holding.until = person.left_on or today
        account.flag_handover("left", today, person=person.display_name)
        flagged.append(account.name)
        account_event(
            session,
            school_id,
            account,
            "account.handover.flagged",
            person.id,
            actor="system:sweep",
            reason="holder left",
        )
    return flagged


# built once, as the open-duty count below: a sweep asks them for each school, and building
# the statements (their joins, coercions and cache keys) cost more than running them
_LEFT_HOLDERS = (
    select(AccountHolder, Person, OfficialAccount)
    .join(Person, Person.id == AccountHolder.person_id)
    .join(OfficialAccount, OfficialAccount.id == AccountHolder.account_id)
    .where(
        AccountHolder.school_id == bindparam("school_id"),
        AccountHolder.until.is_(None),
        Person.active.is_(False),
    )
)
_OPEN_DUTIES = select(func.count(), func.count().filter(Duty.due_on < bindparam("today"))).where(
    Duty.school_id == bindparam("school_id"), Duty.status == "open"
)
# ``_record``'s look after every school's sweep: does any step of the school stand failed?
_ANY_FAILING = (
    select(StepFailure.step).where(StepFailure.school_id == bindparam("school_id")).limit(1)
)


_SCHOOL_ROW = "sweep.school"  # session.info: the swept school's row (``sweep_school``)


def _steps_of(step: Step) -> str:
    """A feature step's name: its function's (the key its failures are recorded under)."""
    return str(getattr(step, "__name__", type(step).__name__))


def sweep_school(full: StepContext, steps: FeatureSteps) -> SchoolSweep:
    """Run every step for one school inside the transaction of ``full``'s session, each in
    isolation: ``steps.first`` (the report deadlines) before anything else, then the directory,
    the settings, duties and reminders, then ``steps.sweep``. A step that fails is rolled back
    alone and listed in ``failed``; the work of the others stays."""
    session, school, today = full.session, full.school, full.today
    result = SchoolSweep(
        school_id=school.id,
        school_name=school.name,
        as_of=today,
        school_day=school.is_sending_day(today),
    )
    result.preview = not is_sending(session, school.id)
    # the school's row, held for the sweep (the session's own map holds rows weakly): the
    # directory's ensure_school and the mirror find it there instead of each reading it again
    session.info[_SCHOOL_ROW] = session.get(School, school.id)
    # in preview: plan who would be asked, queue nothing
    run = replace(full, write=full.write and not result.preview)
    # SQLite has one writer: a school's sweep held the write lock from its first write to its
    # end, and a sign-in asked for meanwhile waited past the busy timeout and failed (#60).
    # Between steps, when another writer of this process waits for the lock, the steps so far
    # are committed and it goes first: it waits at most a step (each step is idempotent, so a
    # sweep stopped after such a commit is finished by the next)
    give_way = full.write

    def isolated(name: str, work: Callable[[], object]) -> None:
        """Run one step in a savepoint of the school's transaction: a step that raises is
        rolled back alone, recorded, and the next step runs (#40)."""
        try:
            with session.begin_nested():
                work()
        except Exception as exc:  # any error of one step: the others carry on
            log_failure(school.id, name, exc)
            result.failed.append(StepFailed(name, type(exc).__name__))
        else:
            result.succeeded.append(name)
        if give_way and others_waiting(session):
            session.commit()

    def context_of(step: Step) -> StepContext:
        return full if step in steps.run_in_preview else run

    def feature(step: Step) -> None:
        given = context_of(step)
        for k, v in step(given).items():
            result.extra[k] = result.extra.get(k, 0) + v
            if not given.write:  # in preview (or a dry run): what would be queued
                result.not_queued.add(k)

    with speaking(school.language):  # what the steps say, in the school's language
        for step in steps.first:  # a concern's deadlines reach the DSL whatever fails after
            isolated(_steps_of(step), partial(feature, step))
        for name, own_step in (
            ("directory", read_directory),
            ("extra_people", extra_people),
            ("mis", read_mis),
            ("settings", _settings),
            ("handovers", _handovers),
            ("duties", duties_step),
        ):
            isolated(name, partial(own_step, run, result))
        skip = idle(run, [(step, context_of(step)) for step in steps.sweep])  # one look for all
        for step in steps.sweep:
            if step in skip:  # nothing to do: no savepoint, no reads
                result.succeeded.append(_steps_of(step))
            else:
                isolated(_steps_of(step), partial(feature, step))
    open_count, overdue = session.execute(
        _OPEN_DUTIES, {"school_id": school.id, "today": today}
    ).one()
    result.open_duties, result.overdue = int(open_count), int(overdue)
    return result


SETTINGS_KEY = "settings.synced"  # ConnectorState: what the last sync read, and its warnings


def _settings(c: StepContext, result: SchoolSweep) -> None:
    """The settings step: policies, requirements and roles from the configuration.

    Skipped when nothing the sync reads (the school's settings, its documents' bytes, its
    people and the rows the sync keeps) has changed since the last sync left it so: the
    warnings are that sync's. Any change syncs in full."""
    session = c.session
    session.flush()
    state = ConnectorState.of(session, c.school.id, SETTINGS_KEY)
    if state is not None:
        inputs, _, said = state.value.partition(" ")
        if inputs == config_inputs(session, c.config, c.school):
            result.warnings = [_text(from_data(line)) for line in json.loads(said)]
            return
    result.warnings = sync_config(session, c.config, c.school, c.today)
    session.flush()
    ConnectorState.put(
        session,
        c.school.id,
        SETTINGS_KEY,
        " ".join(
            (
                config_inputs(session, c.config, c.school),
                json.dumps([to_data(line) for line in result.warnings], ensure_ascii=False),
            )
        ),
    )


def _text(line: object) -> Text:
    """A stored warning: its sentence and values; one stored before, in English, as written."""
    return line if isinstance(line, Lazy) else str(line)


def _handovers(c: StepContext, result: SchoolSweep) -> None:
    """Official accounts whose holder left, and people missing from the directory."""
    result.handovers = _flag_handovers(c.session, c.school.id, c.today)
    result.missing = missing_people(c.session, c.school.id, c.school.directory.leaver_grace_days)


# A sweep allocates millions of short-lived rows, dicts and strings and keeps few: with Python's
# default thresholds the cycle collector ran ~3,400 times in a 10,000-person digest day and took
# a quarter of it. Collecting every 50,000 allocations instead cost 0.3 s of the same day.
_SWEEP_GC_THRESHOLD = (50_000, 20, 20)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the sweep's garbage-collection thresholds, then restore them."""
    old = gc.get_threshold()
    gc.set_threshold(*_SWEEP_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _sweep_one(full: StepContext, steps: FeatureSteps, lease: Lease | None) -> SchoolSweep:
    """One school's sweep in its own transaction (``full``'s session, new and closed here),
    committed with its run's record and its last sweep's (with ``lease``, while it holds)."""
    session, started = full.session, utcnow()
    try:
        session.begin()
        run = (
            SweepRun(school_id=full.school.id, as_of=full.today, started_at=full.now)
            if full.write
            else None
        )
        result = sweep_school(full, steps)
        if run is not None:
            run.finished_at = utcnow()
            run.stats = {
                "opened": result.opened,
                "closed": result.closed,
                "reminders": sum(1 for r in result.reminders if r.queued),
                **({"preview_reminders": len(result.reminders)} if result.preview else {}),
                "overdue": result.overdue,
                **({"held_back": result.directory.unmapped} if result.directory.unmapped else {}),
                **({"failed_steps": [f.step for f in result.failed]} if result.failed else {}),
                **({"planned": result.planned} if result.planned else {}),
                **(
                    {"planned_people": result.planned_people}
                    if result.planned in ("changed", "attention")
                    else {}
                ),
                **result.extra,
                **(
                    {"waited_s": (lease.started_at - lease.due_at).total_seconds()}  # to a claim
                    if lease
                    else {}
                ),
            }
            session.add(run)
            sweep_jobs.finish(
                session,
                full.school.id,
                lease=lease,
                started=started,
                failed=[f.step for f in result.failed],
            )
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return result


def _record(
    store: Store, config: OrgConfig, school: SchoolConfig, result: SchoolSweep, now: datetime
) -> None:
    """Record which steps failed and which succeeded, in a transaction of its own (a school
    whose sweep could not be saved is still recorded)."""
    try:
        with store.transaction() as session:
            if not result.failed and session.scalar(_ANY_FAILING, {"school_id": school.id}) is None:
                return  # nothing failing, nothing to clear: one look
            ensure_school(session, school)
            record_steps(
                session,
                school,
                result.failed,
                result.succeeded,
                now,
                config.organisation.trust_admins,
            )
    except Exception as exc:  # the next school still runs
        log_failure(school.id, "recording the steps", exc)


def sweep_one(
    store: Store,
    settings: Settings,
    config: OrgConfig,
    school: SchoolConfig,
    connectors: Connectors,
    today: date,
    moment: datetime,
    *,
    write: bool = True,
    lease: Lease | None = None,
) -> SchoolSweep:
    """Sweep one school (the single loop's and a sweep worker's) in its own transaction, saved
    with ``lease`` only while it holds, then its steps' outcome recorded; a failure of that
    transaction is the school's alone, a lost lease records nothing (another worker has it)."""
    steps = registered()  # before the school's try: an install that registered none is loud
    try:
        result = _sweep_one(
            StepContext(
                store.session(), settings, config, school, connectors, today, moment, write
            ),
            steps,
            lease,
        )
        result.succeeded.append("school")  # its work is saved: a failure to save is over
    except sweep_jobs.LeaseLostError:  # logged where the lease was found lost
        return SchoolSweep.failed_whole(school, today, "LeaseLostError")
    except Exception as exc:  # the school's own transaction failed: the next school runs
        log_failure(school.id, "school", exc)
        result = SchoolSweep.failed_whole(school, today, type(exc).__name__)
        if write:  # its last sweep: failed whole
            sweep_jobs.failed_whole(store, school.id, lease, moment)
    if write:
        _record(store, config, school, result, moment)
    return result


@fewer_collections()
def run_sweep(
    store: Store,
    settings: Settings,
    config: OrgConfig,
    connectors: Connectors,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    write: bool = True,
    deliver: bool = True,
    on_sent: Callable[[str], None] | None = None,
    keep_reminders: bool = True,
) -> tuple[list[SchoolSweep], DispatchStats | None]:
    """Sweep every school (each in its own transaction), then dispatch the outbox once.

    ``config`` holds the schools in force: a school whose settings fail the checks is on its
    last good ones or left out (``bot.core.config.per_school``); the sweep records them first.

    The directory is read once per tenant or domain (the install's, and each school's own
    connection's) and the extra people file once, whatever the number of schools
    (``TickConnectors``): each school takes its share of its connection's listing. A school
    whose connection is not set up fails alone; the others sweep."""
    shared = TickConnectors(connectors, store)
    moment = now or utcnow()
    today = as_of or local_today(moment)
    if write:  # each school's last good settings and problem; a new problem mailed once
        try:
            record_settings(store, config, moment)
        except Exception as exc:  # the schools in force still sweep
            log_failure("(all)", "settings problems", exc)
    results: list[SchoolSweep] = []
    for school in config.schools:
        result = sweep_one(
            store, settings, config, school, shared.of(school), today, moment, write=write
        )
        if not keep_reminders:  # ``told`` says what a log or a terminal shows of them
            result.reminders = []
        results.append(result)
        # the school's garbage in reference cycles (its session's, its steps') goes now, not
        # when the sweep's rare full collection comes: a trust's first sweep kept ~65 KB more a
        # school of 100 without it, 28 with it (#60); the young generations only: cheap
        gc.collect(1)
    if write:
        shared.keep()
    stats = None
    if write and deliver:
        stats = dispatch(
            store,
            connectors.mailer,
            connectors.notifier,
            now=lambda: max(utcnow(), moment),
            on_sent=on_sent,
            alerts=AdminAlerts.of(config.schools),
            chat=connectors.chat,
            mailboxes=own_mailboxes(config.schools, connectors),
            chats=school_chats(config.schools, connectors),
        )
    return results, stats
