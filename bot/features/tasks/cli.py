"""``compliance-bot reviews record|outcome|list``: record an event that opens reviews (a new
AI tool, new guidance in force), record a review's outcome, and list the reviews opened.

Its commands import the feature's modules when they run (``--help`` answers without them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.core.days.dates import CALENDAR, DateWindowError
from bot.core.language.i18n import N_, Msg, say, speak
from bot.engine.commands import (
    as_of_today,
    console,
    context,
    fail,
    friendly,
    one_school,
    schools_of,
)

if TYPE_CHECKING:
    from datetime import date

    from bot.features.tasks.events import EventReview

__all__ = ["reviews_app"]

reviews_app = typer.Typer(
    help="Reviews that events trigger (e.g. the filtering review when a new AI tool arrives).",
    no_args_is_help=True,
)
SchoolOpt = Annotated[
    str | None, typer.Option("--school", help="School id (default: the first in the file).")
]
CLI_ACTOR = "the command line"


@reviews_app.command("record")
@friendly
def reviews_record(
    kind: Annotated[
        str,
        typer.Argument(
            help="What changed: new_technology, working_practice, "
            "incident, provider, guidance or phone_guidance."
        ),
    ],
    what: Annotated[str, typer.Option("--what", help="In a few words (e.g. the tool's name).")],
    on: Annotated[
        str | None, typer.Option("--on", help="When it happened (YYYY-MM-DD; default today).")
    ] = None,
    school: SchoolOpt = None,
) -> None:
    """Record an event: the reviews it opens are owed within their school days, and each
    owner is emailed once."""
    # lazy: not loaded by --help (module docstring; SQLAlchemy and the models take ~1 s)
    from bot.core.models import utcnow
    from bot.features.tasks.events import EventError, record_event

    ctx, chosen = one_school(school)
    today = as_of_today(None)
    try:
        day = CALENDAR.parse(on, "--on", today, example="2026-11-24") if on else today
        with ctx.store.transaction() as session:
            opened = record_event(
                session,
                chosen,
                kind=kind,
                what=what,
                happened_on=day,
                actor=CLI_ACTOR,
                now=utcnow(),
                base_url=ctx.settings.base_url,
                signing_key=ctx.settings.signing_key(),
            )
    except (DateWindowError, EventError) as exc:
        fail(exc.msg, highlight=False, soft_wrap=True)
    console.print(
        say(
            "[green]Recorded.[/] Reviews opened: %(reviews)s (%(owed)s owed, %(told)s owner(s) "
            "emailed).",
            reviews=", ".join(opened.reviews) or Msg(N_("none")),
            owed=opened.duties,
            told=opened.told,
        ),
        highlight=False,
    )


@reviews_app.command("outcome")
@friendly
def reviews_outcome(
    event: Annotated[int, typer.Argument(help="The event's number (see 'reviews list').")],
    task: Annotated[str, typer.Option("--task", help="The task's requirement id.")],
    by: Annotated[str, typer.Option("--by", help="The owner's email address.")],
    outcome: Annotated[str, typer.Option("--outcome", help="The review's outcome in words.")],
    school: SchoolOpt = None,
) -> None:
    """Record a review's outcome for an owner (closes it for every owner who shares it)."""
    from sqlalchemy import func, select

    from bot.core.models import Duty, Person, Requirement, utcnow
    from bot.engine.duty_facts import EVENT_CYCLE
    from bot.features.tasks.service import complete_task

    ctx, chosen = one_school(school)
    if not outcome.strip():
        fail(
            say("--outcome: write the review's outcome in a sentence or two."),
            highlight=False,
            soft_wrap=True,
        )
    with ctx.store.transaction() as session:
        found = session.execute(
            select(Duty, Person)
            .join(Person, Person.id == Duty.person_id)
            .join(Requirement, Requirement.id == Duty.requirement_id)
            .where(
                Duty.school_id == chosen.id,
                Duty.cycle == f"{EVENT_CYCLE}{event}",
                Requirement.key == task,
                func.lower(Person.email) == by.strip().lower(),
            )
        ).first()
        if found is None:
            fail(
                say(
                    "no review of '%(task)s' after event %(event)s is owed by %(by)s.",
                    task=task,
                    event=event,
                    by=by,
                ),
                highlight=False,
                soft_wrap=True,
            )
        duty, person = found
        result = complete_task(
            session,
            chosen,
            duty,
            person,
            method="cli",
            ip=None,
            user_agent=None,
            now=utcnow(),
            outcome=outcome.strip(),
        )
    console.print(
        say("Already recorded.") if result.already else say("[green]Outcome recorded.[/]"),
        highlight=False,
    )


@reviews_app.command("list")
@friendly
def reviews_list(
    school: Annotated[
        str | None, typer.Option("--school", help="School id (default: every school).")
    ] = None,
) -> None:
    """Every review an event opened: trigger, owners, due date and outcome, in each school's
    language (a dual-language school's list whole in Welsh, then whole in English)."""
    from functools import partial

    from bot.core.language.i18n import each_language
    from bot.features.tasks.events import event_reviews

    ctx = context()
    today = as_of_today(None)

    def lines(reviews: list[EventReview]) -> list[str]:
        return [
            f"{r.event_id}. {say(r.trigger)}: {r.what} — {r.review} ({', '.join(r.owners)}): "
            + _review_state(r, today)
            for r in reviews
        ]

    with ctx.store.session() as session:
        for chosen in schools_of(ctx, school):
            speak(chosen.language)
            reviews = event_reviews(session, chosen.id)
            said = each_language(partial(lines, reviews), lambda cy, en: [*cy, "", *en])
            for line in said if reviews else ():
                console.print(line, highlight=False, soft_wrap=True)


def _review_state(r: EventReview, today: date) -> str:
    """The review's outcome, else when it is due (said as the reviews page says them)."""
    from bot.core.language.i18n import Day  # lazy: with the command

    if r.done_on is not None:
        return say(
            "Done %(day)s by %(name)s: %(outcome)s",
            day=Day(r.done_on),
            name=r.done_by,
            outcome=r.outcome or "",
        )
    if r.due_on < today:
        return say("was due %(due_text)s", due_text=Day(r.due_on))
    return say("Due by %(day)s", day=Day(r.due_on))
