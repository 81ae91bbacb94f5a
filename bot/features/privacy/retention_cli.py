"""``compliance-bot privacy schedule|erase|hold``: the retention schedule, erasure on request
and legal holds (on the privacy room's own ``privacy`` group).

Its commands import the feature's modules when they run, so ``--help`` answers at once.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.core.language.i18n import say
from bot.engine.commands import SchoolOption, console, context, fail, friendly, schools_of
from bot.features.privacy.cli import privacy_app

__all__ = ["privacy_app"]

ReasonOption = Annotated[str, typer.Option("--reason", help="The school's reason, recorded.")]


@privacy_app.command("schedule")
@friendly
def privacy_schedule(school: SchoolOption = None) -> None:
    """How long each kind of record is kept, from which event, and the source of each default."""
    from bot.features.privacy.retention import schedule_rows  # lazy: not loaded by --help

    ctx = context()
    for chosen in schools_of(ctx, school)[:1]:
        for row in schedule_rows(chosen):
            chosen_words = say(" (the school's choice)") if row.school_choice else ""
            console.print(
                say(
                    "%(kind)s: %(period)s (counted from: %(event)s)%(chosen)s. Source: %(source)s",
                    kind=row.name,
                    period=row.period,
                    event=row.runs_from,
                    chosen=chosen_words,
                    source=row.source,
                ),
                highlight=False,
                soft_wrap=True,
            )


@privacy_app.command("erase")
@friendly
def privacy_erase(
    person: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: ReasonOption,
    school: SchoolOption = None,
) -> None:
    """Erase a person's data now where the law allows (UK GDPR Art. 17); where a record must
    be kept, say which, under what rule and until when, and erase nothing."""
    from bot.core.days.clock import local_today
    from bot.core.models import utcnow
    from bot.features.privacy.erasure import ERASED_NOW, KEPT, NOTHING_ERASED, HoldError, erase

    ctx = context()
    chosen = schools_of(ctx, school)[0]
    with ctx.store.transaction() as session:
        try:
            refused = erase(
                session,
                chosen,
                person,
                reason=reason,
                by="cli",
                outbox_dir=ctx.settings.outbox_dir,
                today=local_today(utcnow()),
            )
        except HoldError as exc:
            fail(exc.msg, highlight=False)
    if not refused:
        console.print(say(ERASED_NOW, person=person))
        return
    console.print(say(NOTHING_ERASED))
    for why in refused:
        console.print(
            "  - " + say(KEPT, record=why.record, rule=why.rule, until=why.until),
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(1)


@privacy_app.command("hold")
@friendly
def privacy_hold(
    subject: Annotated[
        str, typer.Argument(help="A person's email address or a report's reference.")
    ],
    by: Annotated[
        str, typer.Option("--by", help="Who sets or lifts it (their address): named with the hold.")
    ],
    reason: ReasonOption,
    lift: Annotated[bool, typer.Option("--lift", help="Lift the hold instead.")] = False,
    school: SchoolOption = None,
) -> None:
    """Keep a person's records or a report whatever the retention schedule says (a claim, an
    inquiry, the police), until the hold is lifted."""
    from bot.features.privacy.erasure import HoldError, set_hold

    ctx = context()
    chosen = schools_of(ctx, school)[0]
    with ctx.store.transaction() as session:
        try:
            set_hold(session, chosen, subject, by=by, reason=reason, lift=lift)
        except HoldError as exc:
            fail(exc.msg, highlight=False)
    if lift:
        console.print(say("The hold on %(subject)s is lifted.", subject=subject), highlight=False)
    else:
        console.print(say("%(subject)s is held.", subject=subject), highlight=False)
