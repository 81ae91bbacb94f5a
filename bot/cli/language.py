"""``compliance-bot language``: the message catalogue's state (how much of it is Welsh)."""

from __future__ import annotations

import typer

from bot.core.language.i18n import coverage

__all__ = ["language_app"]

language_app = typer.Typer(
    help="The languages a school's people read (en, cy, cy+en).", no_args_is_help=True
)


@language_app.command("coverage")
def coverage_command() -> None:
    """How much of the catalogue is translated into Welsh (CI prints it)."""
    # and what reaches people outside it: English written in place (``bot.core.language.unsaid``)
    from bot.core.language.unsaid import english_in_place  # lazy: reads the sources

    cy = coverage("cy")
    found, meant = english_in_place()
    typer.echo(
        f"Cymraeg: {cy.translated} of {cy.total} sentences translated ({cy.share:.0%}); "
        f"{cy.fuzzy} held back as unconfirmed terms (shown in English); the rest are shown "
        "in English until translated."
    )
    typer.echo(
        f"Outside the catalogue: {len(found)} lines a person reads written in English in "
        f"place (none may be); {len(meant)} English on purpose (a platform's own words, or "
        "said before any school's language is known)."
    )
