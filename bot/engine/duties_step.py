"""The sweep's duties step: whom to plan (only those who changed, those whose attention date or
reminder stage came, or everyone), their duties opened and closed, the day's reminders queued,
and what it planned from kept so a quiet sweep costs one look."""

from __future__ import annotations

from bot.core.deployment.context import StepContext
from bot.core.models import ConnectorState
from bot.engine import attention, changes
from bot.engine.facts import BATCH
from bot.engine.plan_apply import plan_and_apply
from bot.engine.remind import ChatRoute, ReminderRun, Told
from bot.engine.school_sweep import SchoolSweep
from bot.engine.steps import registered

__all__ = ["QUIET_KEY", "duties_step"]

QUIET_KEY = "duties.quiet"  # ConnectorState: what the duties step last planned from (``Last``)


def duties_step(c: StepContext, result: SchoolSweep) -> None:
    """The duties step: open and close duties, and on a reminder day queue the reminders.

    Plans only the people whose rows changed since it last planned (``bot.engine.changes``),
    and on a new day also those whose next-attention date has come and those a reminder stage
    may fall due for (``bot.engine.attention``); everyone when something of the whole school's
    did or its date came, when the settings, sending or the chat route differ from its last
    plan's, and in the day's first sweep from ``settings.full_sweep_hour`` (a safety net). A
    quiet sweep every 15 minutes costs one indexed look. What the step wrote is its own fixed
    point when it queued every reminder it found due (its plan applied twice is empty):
    otherwise the next sweep plans everyone again."""
    session, settings, school, today, sending = c.session, c.settings, c.school, c.today, c.write
    chat = _chat_route(c)
    inputs = changes.context(school, sending, chat is not None)
    state = ConnectorState.of(session, school.id, QUIET_KEY)
    last = attention.Last.load(state.value if state is not None else None)
    full, new_day = attention.decide(last, inputs, today, c.now, settings.full_sweep_hour)
    if not (full or new_day or changes.pending(session, school.id)):
        result.planned = "quiet"
        return
    marks = changes.start(session, school.id)
    reminders = (
        ReminderRun.start(
            session,
            settings,
            school,
            today,
            c.now,
            write=sending,
            chat=chat,
            notes=registered().digest_notes,
        )
        if result.school_day
        else None
    )
    only = _whom(c, reminders, marks.people, full=full, new_day=new_day)
    result.opened, result.closed = plan_and_apply(
        session, school, today, reminders, only=only, kept=marks.people == frozenset()
    )
    result.reminders = reminders.planned if reminders is not None else []
    result.told = Told.of(result.reminders, sending)
    if reminders is not None:
        reminders.finish(session)
    changes.finish(session, school.id, marks)
    result.planned = "everyone" if only is None else "attention" if new_day else "changed"
    result.planned_people = 0 if only is None else len(only)
    if not _fixed(result, sending):
        changes.everyone(session, school.id)
    ConnectorState.put(
        session, school.id, QUIET_KEY, attention.kept(last, inputs, today, only is None), state
    )


def _whom(
    c: StepContext,
    reminders: ReminderRun | None,
    marked: frozenset[int] | None,
    *,
    full: bool,
    new_day: bool,
) -> frozenset[int] | None:
    """Whom the step plans (None: everyone): the marked, and on a new day those whose date
    came and those a reminder stage may fall due for; the reminders' index narrowed to them."""
    wanted = (
        None
        if full
        else attention.whom(
            c.session,
            c.school.id,
            c.today,
            marked,
            new_day,
            reminders.due if reminders is not None else (),
        )
    )
    # many (a directory's first sync): everyone, in id ranges, costs less
    only = wanted if wanted is not None and len(wanted) <= BATCH else None
    if reminders is not None and only is not None:  # the others' digests were planned today
        reminders.due = [p for p in reminders.due if p in only]
    return only


def _fixed(result: SchoolSweep, sending: bool) -> bool:
    """Whether what the step wrote is its own fixed point: it wrote nothing, or it queued every
    reminder it found due."""
    return not (result.opened or result.closed or result.reminders) or (
        sending and all(r.queued for r in result.reminders)
    )


def _chat_route(c: StepContext) -> ChatRoute | None:
    """The school's digests go as the bot's cards where it asks in the bot's platform."""
    route, bot = registered().chat_route, c.connectors.chat
    if route and bot is not None and c.school.asks_in == bot.platform:
        return route(c.settings, bot.platform)
    return None
