"""What a policy document says, as ``policies import`` prints it before storing it: a table of
each field the register reads (its value, how it was found, the line and why) and the notes,
question, checks and warnings under it, in the school's language (the values and the
document's own text as written). ``bot.features.policies.import_cli`` prints it.

Loaded by ``--help`` with the import command: the importer is imported when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from bot.core.language.i18n import N_, Dated, Said, nmsg, say, spoken
from bot.engine.commands import console, table

if TYPE_CHECKING:
    from bot.core.guards.forms import Text
    from bot.features.policies.importer import Found, ImportedPolicy

__all__ = ["MISSING", "NOTE", "print_found"]

# how a value was found: the words, and their colour
HOW = {
    "text": (N_("found in text"), "green"),
    "derived": (N_("worked out"), "cyan"),
    "default": (N_("assumed"), "yellow"),
    "typed": (N_("typed in"), "cyan"),
}
# the marks before the lines under the table
NOTE, QUESTION, CHECK, WARNING, MISSING = (
    N_("note"),
    N_("question"),
    N_("check"),
    N_("warning"),
    N_("missing"),
)
LISTED = ("dsl", "deputy_dsls", "named_governors", "official_channels")  # the rest: one value


def _where(found: Found[Any]) -> str:
    """Where a value was found (its line and the text there, as written) and why."""
    note = str(found.note or "")
    if found.how == "text" and found.line is not None:
        snippet = f": {found.snippet}" if found.snippet else ""
        return say("line %(line)s", line=found.line) + snippet + (f" ({note})" if note else "")
    return note


def _shown(name: str, value: object) -> Text:
    """A value as the school writes it: '1 September 2026', 'September 2026 (month only)',
    'every 12 months'; in Welsh '1 Medi 2026' ('babel.dates'); a name or title as written."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.importer import FuzzyDate

    if isinstance(value, FuzzyDate):
        if value.day is None:
            month = value
            return Said(
                lambda: (
                    month.human()
                    if spoken() == "en"
                    else say(
                        "%(month)s (month only)", month=Dated(month.first_day(), "%B %Y", "LLLL y")
                    )
                )
            )
        return Said(
            lambda: (
                value.human()
                if spoken() == "en"
                else str(Dated(value.last_day(), "%-d %B %Y", "d MMMM y"))
            )
        )
    if name == "review_cycle_months" and isinstance(value, int):
        return nmsg("every %(num)d month", "every %(num)d months", value)
    return str(value)


def _row(name: str, imported: ImportedPolicy) -> tuple[str, ...] | None:
    """One field's row in the table of what the document says (None: a list nobody named)."""
    found = getattr(imported, name)
    if name in LISTED:
        lines = ", ".join(str(i.line) for i in found)
        return (
            (
                escape(", ".join(str(i.value) for i in found)),
                f"[green]{say(HOW['text'][0])}[/]",
                str(nmsg("lines %(lines)s", "lines %(lines)s", len(found), lines=lines)),
            )
            if found
            else None
        )
    if found is None:
        said = say("not stated")
        return f"[red]{said}[/]", "", ""
    words, colour = HOW[found.how]
    return (
        escape(str(_shown(name, found.value))),
        f"[{colour}]{say(words)}[/]",
        escape(_where(found)),
    )


def _found_lines(imported: ImportedPolicy, checks: list[Text]) -> list[str]:
    """The notes, question, checks and warnings printed under the table."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.importer import MONTH_ONLY_RULE
    from bot.features.policies.importer.values import DATE_LABELS

    note, question, check, warning = (say(m) for m in (NOTE, QUESTION, CHECK, WARNING))
    month_only = any(
        (f := getattr(imported, name)) is not None and f.value.day is None for name in DATE_LABELS
    )
    lines = [f"[cyan]{note}[/] {escape(say(MONTH_ONLY_RULE))}"] if month_only else []
    if not_stated := imported.dates_not_stated():
        dates = Said(lambda: ", ".join(say(label) for label in not_stated))
        lines.append(
            f"[cyan]{note}[/] "
            + escape(
                say(
                    "Not stated in the document: %(dates)s — left empty, never guessed.",
                    dates=dates,
                )
            )
        )
    if imported.title is None and (guess := imported.title_guess) is not None:
        asked = say("title: is it '%(guess)s'? (%(why)s)", guess=guess.value, why=guess.note or "")
        lines.append(f"[yellow]{question}[/] {escape(asked)}")
    lines += [f"[yellow]{check}[/] {escape(str(line))}" for line in checks]
    if names := ", ".join(dict.fromkeys(str(i.value) for i in imported.linked_policies)):
        lines.append(escape(say("Linked policies named: %(names)s", names=names)))
    return lines + [f"[yellow]{warning}[/] {escape(str(line))}" for line in imported.warnings]


# what each field is called (the school's words, not field names); the dates as the importer
# names them (``DATE_LABELS``) between version and approved by
_FIELD_WORDS = {
    "title": N_("title"),
    "school": N_("school named"),
    "version": N_("version"),
    "approving_body": N_("approved by"),
    "review_cycle_months": N_("review cycle"),
    "dsl": N_("safeguarding lead"),
    "deputy_dsls": N_("deputy safeguarding leads"),
    "named_governors": N_("named reviewers"),
    "official_channels": N_("official accounts"),
}


def print_found(imported: ImportedPolicy, path: Path, checks: list[Text]) -> None:
    """The table of what the document at ``path`` says, and the lines under it (``checks``:
    another school or safeguarding lead it names), in the active language."""
    from bot.features.policies.importer.values import DATE_LABELS

    words = dict(_FIELD_WORDS)
    field_words = {
        **{k: words.pop(k) for k in ("title", "school", "version")},
        **DATE_LABELS,
        **words,
    }
    console.print(
        table(
            say("%(file)s: what the document says", file=path.name),
            [say(c) for c in (N_("Field"), N_("Value"), N_("How"), N_("Where / why"))],
            (
                (say(label), *row)
                for name, label in field_words.items()
                if (row := _row(name, imported)) is not None
            ),
            fold=True,
            title_justify="left",
        )
    )
    for line in _found_lines(imported, checks):
        console.print(line, highlight=False)
