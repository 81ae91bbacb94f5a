"""``compliance-bot decisions ...``: the register's counts, and an audited listing.

The decisions register is leadership data: ``decisions list`` prints counts by type only, unless
``--show`` is given with ``--as`` naming a DSL, deputy DSL or headteacher (and that is audited).

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from bot.core.guards.permissions import LEADERSHIP
from bot.core.language.i18n import N_, Msg, nsay
from bot.core.language.words import said_words, school_words
from bot.engine.commands import (
    AsOf,
    EverySchool,
    as_of_today,
    console,
    context,
    fail,
    friendly,
    schools_of,
    who_asks,
)

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.core.models import Person

__all__ = ["decisions_app"]


def _leader(ctx: AppContext, school: SchoolConfig, email: str | None) -> Person:
    """The named DSL, deputy or headteacher of the school; exit 2 otherwise."""
    address, person, roles = who_asks(ctx, school, email, _refused(_WHO, school))
    if person is None or not roles & LEADERSHIP:
        fail(_refused(_NOT_A_LEADER, school, email=address))
    return person


_WHO = N_(
    "--show lists personal details: say who you are with --as EMAIL (a %(dsl)s, %(deputy)s or "
    "%(head)s; it is recorded)."
)
_NOT_A_LEADER = N_("%(email)s is not a %(dsl)s, %(deputy)s or %(head)s of %(school)s.")


def _refused(sentence: str, school: SchoolConfig, **values: str) -> Msg:
    """A refusal of ``--show``, the school's roles in its words."""
    words = said_words(school_words(school))
    return Msg(
        sentence,
        dsl=words.dsl,
        deputy=words.deputy_dsl,
        head=words.headteacher,
        school=school.name,
        **values,
    )


def decisions_list(
    school: EverySchool = None,
    show: Annotated[
        bool, typer.Option("--show", help="Also list each decision (needs --as; recorded).")
    ] = False,
    actor: Annotated[
        str | None, typer.Option("--as", help="Your email, for --show (recorded).")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Counts of open decisions by type and review state (no personal details)."""
    from sqlalchemy import select  # lazy: not loaded by --help (module docstring)

    from bot.core.models import Decision
    from bot.features.decisions import rules, service

    ctx = context()
    today = as_of_today(as_of)
    for config in schools_of(ctx, school):
        leader = _leader(ctx, config, actor) if show else None
        with ctx.store.transaction() as session:
            decisions = session.scalars(
                select(Decision)
                .where(Decision.school_id == config.id)
                .order_by(Decision.status.desc(), Decision.review_on, Decision.id)
            ).all()
            states = Counter(rules.review_state(d.review_on, d.status, today) for d in decisions)
            kinds = Counter(d.kind for d in decisions if d.status == "open")
            console.print(
                nsay(
                    "[bold]%(school)s[/] — %(num)d open decision: [red]%(overdue)s overdue for "
                    "review[/], [yellow]%(due)s due within %(days)s days[/]; %(closed)s closed.",
                    "[bold]%(school)s[/] — %(num)d open decisions: [red]%(overdue)s overdue for "
                    "review[/], [yellow]%(due)s due within %(days)s days[/]; %(closed)s closed.",
                    states["overdue"] + states["due"] + states["ok"],
                    school=config.name,
                    overdue=states["overdue"],
                    due=states["due"],
                    days=rules.DUE_SOON_DAYS,
                    closed=states["closed"],
                ),
                soft_wrap=True,
            )
            for kind, label in rules.SHORT_KINDS.items():
                if kinds[kind]:
                    console.print(f"  {label}: {kinds[kind]}")
            if leader is None:
                continue
            table = Table(
                "Reference",
                "Type",
                "About",
                "Decided by",
                "Review",
                title=f"{config.name} — decisions as of {today:%d %b %Y}",
            )
            for d in decisions:
                about = d.subject_person.display_name if d.subject_person else d.subject_name
                state = rules.review_state(d.review_on, d.status, today)
                review = "closed" if state == "closed" else f"{d.review_on:%d %b %Y} ({state})"
                table.add_row(
                    rules.decision_reference(d.id),
                    rules.SHORT_KINDS.get(d.kind, d.kind),
                    about or "—",
                    d.decided_by.display_name,
                    review,
                )
            console.print(table)
            service.audit_decision(
                session,
                f"cli:{leader.email}",
                "decisions.listed",
                config.id,
                via="cli",
                shown=len(decisions),
            )


decisions_app = typer.Typer(help="The decisions and exceptions register.", no_args_is_help=True)
decisions_app.command("list")(friendly(decisions_list))
