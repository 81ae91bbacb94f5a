"""``compliance-bot duties``: the open duties as a table, said in the language of the one
school the install runs (``language_here``; a trust's several schools: English). A person's
name and address, a requirement's title and a version's label are shown as they are kept."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

import typer
from babel.dates import format_date

from bot.core.i18n import N_, short_day
from bot.engine.commands import (
    AsOf,
    as_of_today,
    console,
    context,
    friendly,
    language_here,
    refusal,
    say_in,
    table,
)

__all__ = ["duties"]

_HEADINGS = (N_("Person"), N_("What"), N_("Due"), N_("State"), N_("Reminders"))


@friendly
def duties(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue duties.")] = False,
    person: Annotated[str | None, typer.Option("--person", help="Only this email.")] = None,
    as_of: AsOf = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
) -> None:
    """List open duties as a table."""
    # lazy: the models load SQLAlchemy (~1 s measured), and `--help` answers without them
    from sqlalchemy import select

    from bot.core.models import Duty, Person, PolicyVersion, Requirement

    ctx = context()
    language = language_here(ctx)
    today = as_of_today(as_of, language)
    with ctx.store.session() as session:
        query = (
            select(Duty, Person, Requirement, PolicyVersion)
            .join(Person, Person.id == Duty.person_id)
            .join(Requirement, Requirement.id == Duty.requirement_id)
            .outerjoin(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
            .where(Duty.status == "open")
            .order_by(Duty.due_on, Person.display_name)
        )
        if overdue:
            query = query.where(Duty.due_on < today)
        if person:
            query = query.where(Person.email == person.strip().lower())
        rows = session.execute(query).all()
    title = say_in(
        language,
        lambda tr: (
            tr.gettext("Overdue duties as of %(day)s")
            if overdue
            else tr.gettext("Open duties as of %(day)s")
        ),
        day=partial(_day, today),
    )
    console.print(
        table(
            title,
            [refusal(head, language) for head in _HEADINGS],
            (
                (
                    f"{p.display_name}\n[dim]{p.email}[/]",
                    req.title + (f" v{version.label}" if version else ""),
                    short_day(duty.due_on, language),
                    _state((today - duty.due_on).days, language),
                    str(duty.reminders_sent),
                )
                for duty, p, req, version in rows[:limit]
            ),
        )
    )
    console.print(
        say_in(
            language,
            lambda tr: (
                tr.ngettext(  # English: "duties" whatever the count, as it always was
                    "%(num)d duties (showing %(limit)d; --limit to see more).",
                    "%(num)d duties (showing %(limit)d; --limit to see more).",
                    len(rows),
                )
                if len(rows) > limit
                else tr.ngettext("%(num)d duties.", "%(num)d duties.", len(rows))
            ),
            num=len(rows),
            limit=limit,
        )
    )


def _day(day: date, language: str) -> str:
    """The table's day: 'Mon 23 Nov 2026'; Welsh by ``babel.dates``."""
    return (
        format_date(day, "EEE dd MMM y", locale="cy")
        if language == "cy"
        else (f"{day:%a %d %b %Y}")
    )


def _state(days: int, language: str) -> str:
    """A duty's state ``days`` after its due date: overdue, due today, or due in so many days."""
    if days > 0:
        return say_in(
            language,
            lambda tr: tr.ngettext(
                "[red]%(num)d day overdue[/]", "[red]%(num)d days overdue[/]", days
            ),
            num=days,
        )
    if days == 0:
        return say_in(language, lambda tr: "[yellow]" + tr.gettext("due today") + "[/]")
    return say_in(
        language,
        lambda tr: tr.ngettext(  # English: "days" whatever the count
            "due in %(num)d days", "due in %(num)d days", -days
        ),
        num=-days,
    )
