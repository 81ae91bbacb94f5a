"""What a policy document says, as ``policies import`` prints it before storing it: a table of
each field the register reads (its value, how it was found, the line and why) and the notes,
question, checks and warnings under it, in the school's language (the values and the
document's own text as written). ``bot.features.policies.import_cli`` prints it.

Loaded by ``--help`` with the import command: the importer is imported when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from gettext import NullTranslations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from rich.markup import escape

from bot.core.i18n import N_, both, translations
from bot.engine.commands import console, table

if TYPE_CHECKING:
    from bot.features.policies.importer import Found, ImportedPolicy

__all__ = ["MISSING", "NOTE", "print_found", "say_read"]

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


def say_read(text: str, language: str) -> str:
    """A sentence the importer wrote (a note, a warning, a missing line: English, as kept) in
    ``language``, its values as written; a note of parts ("; ") part by part; as written when
    the catalogue holds no such sentence."""
    # lazy: not loaded by --help (module docstring)
    from bot.core.config.said import say_sentence
    from bot.features.policies.importer.header import FAR_DOWN, NAMES_NO_POLICY
    from bot.features.policies.importer.sentences import READ_ENDINGS, READ_SENTENCES

    if language == "cy+en":
        return both(say_read(text, "cy"), text)
    if language != "cy" or not text:
        return text
    for ending in READ_ENDINGS:  # "... + 12 months (cycle assumed: ...)": the rest, then it
        if text.endswith(tail := f" ({ending})") and text != tail:
            end = translations("cy").gettext(ending)
            return f"{say_read(text.removesuffix(tail), language)} ({end})"
    sentences = (*READ_SENTENCES, FAR_DOWN, NAMES_NO_POLICY)

    def said(line: str) -> str:  # a note inside a warning is read as a note (its endings)
        return say_sentence(line, sentences, "cy", inner=lambda value: say_read(value, "cy"))

    whole = said(text)
    if whole == text and "; " in text:
        return "; ".join(said(part) for part in text.split("; "))
    return whole


def _where(found: Found[Any], tr: NullTranslations, language: str) -> str:
    """Where a value was found (its line and the text there, as written) and why, in ``tr``'s
    language (``language``)."""
    note = say_read(found.note or "", "cy" if language == "cy+en" else language)
    if found.how == "text" and found.line is not None:
        snippet = f": {found.snippet}" if found.snippet else ""
        return (
            tr.gettext("line %(line)s") % {"line": found.line}
            + snippet
            + (f" ({note})" if note else "")
        )
    return note


def _shown(name: str, value: object, language: str) -> str:
    """A value as the school writes it: '1 September 2026', 'September 2026 (month only)',
    'every 12 months'; in Welsh '1 Medi 2026' ('babel.dates'); a name or title as written."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.importer import FuzzyDate

    if language == "cy+en" and isinstance(value, FuzzyDate | int):
        return both(_shown(name, value, "cy"), _shown(name, value, "en"))
    tr = translations(language)
    if isinstance(value, FuzzyDate):
        if language != "cy":
            return value.human()
        if value.day is None:
            month = format_date(value.first_day(), "LLLL y", locale="cy")
            return tr.gettext("%(month)s (month only)") % {"month": month}
        return format_date(value.last_day(), "d MMMM y", locale="cy")
    if name == "review_cycle_months" and isinstance(value, int):
        return tr.ngettext("every %(num)d month", "every %(num)d months", value) % {"num": value}
    return str(value)


def _row(name: str, imported: ImportedPolicy, language: str) -> tuple[str, ...] | None:
    """One field's row in the table of what the document says (None: a list nobody named)."""
    tr = translations(language)
    found = getattr(imported, name)
    if name in LISTED:
        lines = ", ".join(str(i.line) for i in found)
        return (
            (
                escape(", ".join(str(i.value) for i in found)),
                f"[green]{tr.gettext(HOW['text'][0])}[/]",
                tr.ngettext("lines %(lines)s", "lines %(lines)s", len(found)) % {"lines": lines},
            )
            if found
            else None
        )
    if found is None:
        not_stated = tr.gettext("not stated")
        return f"[red]{not_stated}[/]", "", ""
    words, colour = HOW[found.how]
    shown = _shown(name, found.value, language)
    return escape(shown), f"[{colour}]{tr.gettext(words)}[/]", escape(_where(found, tr, language))


def _each(language: str, say: Callable[[NullTranslations], str]) -> str:
    """A sentence whose values are said in its language too: in ``cy+en`` all Welsh, then
    all English."""
    if language == "cy+en":
        return both(say(translations("cy")), say(translations("en")))
    return say(translations(language))


def _found_lines(imported: ImportedPolicy, checks: list[str], language: str) -> list[str]:
    """The notes, question, checks and warnings printed under the table, in ``language``."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.importer import MONTH_ONLY_RULE
    from bot.features.policies.importer.values import DATE_LABELS
    from bot.features.policies.intake import guess_note

    tr = translations(language)
    note, question, check, warning = (tr.gettext(m) for m in (NOTE, QUESTION, CHECK, WARNING))
    month_only = any(
        (f := getattr(imported, name)) is not None and f.value.day is None for name in DATE_LABELS
    )
    lines = [f"[cyan]{note}[/] {escape(tr.gettext(MONTH_ONLY_RULE))}"] if month_only else []
    if not_stated := imported.dates_not_stated():

        def unstated(tr: NullTranslations) -> str:
            dates = ", ".join(tr.gettext(label) for label in not_stated)
            return tr.gettext(
                "Not stated in the document: %(dates)s — left empty, never guessed."
            ) % {"dates": dates}

        lines.append(f"[cyan]{note}[/] {escape(_each(language, unstated))}")
    if imported.title is None and (guess := imported.title_guess) is not None:

        def asked(tr: NullTranslations) -> str:
            why = guess_note(guess, "cy" if tr is translations("cy") else "en")
            text = tr.gettext("title: is it '%(guess)s'? (%(why)s)")
            return text % {"guess": guess.value, "why": why}

        lines.append(f"[yellow]{question}[/] {escape(_each(language, asked))}")
    lines += [f"[yellow]{check}[/] {escape(line)}" for line in checks]
    if names := ", ".join(dict.fromkeys(str(i.value) for i in imported.linked_policies)):
        lines.append(escape(tr.gettext("Linked policies named: %(names)s") % {"names": names}))
    said = [say_read(line, language) for line in imported.warnings]
    return lines + [f"[yellow]{warning}[/] {escape(line)}" for line in said]


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


def print_found(imported: ImportedPolicy, path: Path, checks: list[str], language: str) -> None:
    """The table of what the document at ``path`` says, and the lines under it (``checks``:
    another school or safeguarding lead it names, said already), in ``language``."""
    from bot.features.policies.importer.values import DATE_LABELS

    tr = translations(language)
    words = dict(_FIELD_WORDS)
    field_words = {
        **{k: words.pop(k) for k in ("title", "school", "version")},
        **DATE_LABELS,
        **words,
    }
    console.print(
        table(
            tr.gettext("%(file)s: what the document says") % {"file": path.name},
            [tr.gettext(c) for c in (N_("Field"), N_("Value"), N_("How"), N_("Where / why"))],
            (
                (tr.gettext(label), *row)
                for name, label in field_words.items()
                if (row := _row(name, imported, language)) is not None
            ),
            fold=True,
            title_justify="left",
        )
    )
    for line in _found_lines(imported, checks, language):
        console.print(line, highlight=False)
