"""``compliance-bot duties``: the open duties as a table, said in the language of the one
school the install runs (``language_here``; a trust's several schools: English). A person's
name and address, a requirement's title and a version's label are shown as they are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import typer

from bot.core.language.i18n import N_, Dated, each_language, nsay, say, short_date
from bot.engine.commands import AsOf, as_of_today, console, context, friendly, table

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
    today = as_of_today(as_of)
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
    # cy+en: the whole list in Welsh, then the whole of it in English
    each_language(lambda: _print_duties(rows, today, overdue, limit), lambda _cy, _en: None)


def _print_duties(rows: Sequence[Any], today: date, overdue: bool, limit: int) -> None:
    """The duties' table and their count, in the active language."""
    day = Dated(today, "%a %d %b %Y", "EEE dd MMM y")  # 'Mon 23 Nov 2026'
    if overdue:
        title = say("Overdue duties as of %(day)s", day=day)
    else:
        title = say("Open duties as of %(day)s", day=day)
    console.print(
        table(
            title,
            [say(head) for head in _HEADINGS],
            (
                (
                    f"{p.display_name}\n[dim]{p.email}[/]",
                    req.title + (f" v{version.label}" if version else ""),
                    str(short_date(duty.due_on)),
                    _state((today - duty.due_on).days),
                    str(duty.reminders_sent),
                )
                for duty, p, req, version in rows[:limit]
            ),
        )
    )
    if len(rows) > limit:
        said = nsay(
            "%(num)d duties (showing %(limit)d; --limit to see more).",
            "%(num)d duties (showing %(limit)d; --limit to see more).",
            len(rows),
            limit=limit,
        )
    else:
        said = nsay("%(num)d duties.", "%(num)d duties.", len(rows))
    console.print(said)


def _state(days: int) -> str:
    """A duty's state ``days`` after its due date: overdue, due today, or due in so many days."""
    if days > 0:
        return nsay("[red]%(num)d day overdue[/]", "[red]%(num)d days overdue[/]", days, num=days)
    if days == 0:
        return "[yellow]" + say("due today") + "[/]"
    return nsay("due in %(num)d days", "due in %(num)d days", -days, num=-days)
