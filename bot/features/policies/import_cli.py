"""``policies import``: read policy documents, show what each says and how it was found (in the
school's words), ask for what the register needs and the document does not state, store it, and
say truthfully what was stored (one line per file, then the summary in the school's language).
``bot.features.policies.cli`` mounts ``policies_import``.

Like the other policy commands it imports the feature's modules when it runs, so ``--help``
answers without SQLAlchemy (tests/cli/test_demo.py).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from gettext import NullTranslations
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from bot.core.i18n import both, translations
from bot.core.words import Words, plural, school_words, version_name
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    err,
    fail,
    schools_of,
    table,
)
from bot.features.policies.typed import Typed, read_document

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.context import AppContext
    from bot.features.policies.importer import Found, ImportedPolicy
    from bot.features.policies.intake import Intake

__all__ = ["import_summary", "policies_import"]


# how a value was found: the words, and their colour
HOW = {
    "text": ("found in text", "green"),
    "derived": ("worked out", "cyan"),
    "default": ("assumed", "yellow"),
    "typed": ("typed in", "cyan"),
}
LISTED = ("dsl", "deputy_dsls", "named_governors", "official_channels")  # the rest: one value


def _interactive() -> bool:
    """Whether we may ask questions (a person at a terminal)."""
    return sys.stdin.isatty()


@dataclass
class _Outcome:
    """One file's import: what was found, what was decided, what was stored."""

    file: str
    sha256: str | None = None
    found: dict[str, Any] | None = None
    missing: list[str] = field(default_factory=list)
    supplied: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    linked_policy_gaps: list[str] = field(default_factory=list)
    stored: bool = False
    policy_key: str | None = None
    version: str | None = None
    next_review_stored: str | None = None
    refused: str | None = None
    error: str | None = None
    already_stored: bool = False  # the same document was already the policy's version
    checks: list[str] = field(default_factory=list)  # another school or DSL named
    same_as: str | None = None  # a copy (another format) of this document, not stored again
    refused_said: str | None = None  # ``refused`` in the school's language (not in the JSON)
    error_said: str | None = None  # ``error`` likewise

    @property
    def state(self) -> str:
        """What became of the file: refused, copy, same, new or waiting (for --yes)."""
        if self.error or self.refused:
            return "refused"
        if self.same_as:
            return "copy"
        if self.stored:
            return "same" if self.already_stored else "new"
        return "waiting"


@dataclass
class _Run:
    """One ``policies import``: the school, what was typed, and the documents read so far
    (a copy of one is not stored again)."""

    ctx: AppContext
    school: SchoolConfig
    today: date
    typed: Typed
    yes: bool
    as_json: bool
    interactive: bool
    earlier: list[tuple[str, ImportedPolicy]] = field(default_factory=list)

    @property
    def said(self) -> NullTranslations:
        """The school's language for what the import prints (its JSON stays English)."""
        return translations(self.school.language)


def _where(found: Found[Any]) -> str:
    if found.how == "text" and found.line is not None:
        snippet = f": {found.snippet}" if found.snippet else ""
        note = f" ({found.note})" if found.note else ""
        return f"line {found.line}{snippet}{note}"
    return found.note or ""


def _shown(name: str, value: object) -> str:
    """A value as the school writes it: '1 September 2026', 'every 12 months'."""
    if hasattr(value, "human"):
        return str(value.human())
    if name == "review_cycle_months" and isinstance(value, int):
        return f"every {plural(value, 'month')}"
    return str(value)


def _row(name: str, imported: ImportedPolicy) -> tuple[str, ...] | None:
    """One field's row in the table of what the document says (None: a list nobody named)."""
    found = getattr(imported, name)
    if name in LISTED:
        return (
            (
                escape(", ".join(str(i.value) for i in found)),
                "[green]found in text[/]",
                "lines " + ", ".join(str(i.line) for i in found),
            )
            if found
            else None
        )
    if found is None:
        return "[red]not stated[/]", "", ""
    words, colour = HOW[found.how]
    return escape(_shown(name, found.value)), f"[{colour}]{words}[/]", escape(_where(found))


def _found_lines(imported: ImportedPolicy, checks: list[str]) -> list[str]:
    """The notes, question, checks and warnings printed under the table."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.importer import MONTH_ONLY_RULE
    from bot.features.policies.importer.values import DATE_LABELS

    month_only = any(
        (f := getattr(imported, name)) is not None and f.value.day is None for name in DATE_LABELS
    )
    lines = [f"[cyan]note[/] {escape(MONTH_ONLY_RULE)}"] if month_only else []
    if not_stated := imported.dates_not_stated():
        lines.append(
            f"[cyan]note[/] Not stated in the document: {escape(', '.join(not_stated))} "
            "— left empty, never guessed."
        )
    if imported.title is None and (guess := imported.title_guess) is not None:
        lines.append(
            f"[yellow]question[/] title: is it '{escape(str(guess.value))}'? "
            f"({escape(guess.note or '')})"
        )
    lines += [f"[yellow]check[/] {escape(check)}" for check in checks]
    if names := ", ".join(dict.fromkeys(str(i.value) for i in imported.linked_policies)):
        lines.append(f"Linked policies named: {escape(names)}")
    return lines + [f"[yellow]warning[/] {escape(warning)}" for warning in imported.warnings]


def _print_found(imported: ImportedPolicy, path: Path, checks: list[str]) -> None:
    from bot.features.policies.importer.values import DATE_LABELS

    # what each field is called (the school's words, not field names), the dates as the
    # importer names them
    field_words = {
        "title": "title",
        "school": "school named",
        "version": "version",
        **DATE_LABELS,
        "approving_body": "approved by",
        "review_cycle_months": "review cycle",
        "dsl": "safeguarding lead",
        "deputy_dsls": "deputy safeguarding leads",
        "named_governors": "named governors",
        "official_channels": "official accounts",
    }
    console.print(
        table(
            f"{path.name}: what the document says",
            ("Field", "Value", "How", "Where / why"),
            (
                (label, *row)
                for name, label in field_words.items()
                if (row := _row(name, imported)) is not None
            ),
            fold=True,
            title_justify="left",
        )
    )
    for line in _found_lines(imported, checks):
        console.print(line, highlight=False)


def _twin(run: _Run, path: Path, imported: ImportedPolicy, data: bytes) -> str | None:
    """The document read before it in this import, or the register's version under the same
    title, this one is a copy of (the same text in another format); ``run.earlier`` then holds
    this one too."""
    from bot.core.models import Policy
    from bot.features.policies.importer import same_document
    from bot.features.policies.intake import copy_of
    from bot.features.policies.register import policies_of
    from bot.features.policies.rules import policy_key

    twin = next((name for name, other in run.earlier if same_document(other, imported)), None)
    run.earlier.append((path.name, imported))
    if twin is not None or imported.title is None:
        return twin
    with run.ctx.store.session() as session:
        policy = session.scalar(
            policies_of(run.school.id).where(Policy.key == policy_key(str(imported.title.value)))
        )
        version = policy.current_version if policy is not None else None
        if version is None:
            return None
        held, name, label = version.document, version.document_name, version.label
    return f"{name} ({label})" if copy_of(imported, data, name, held) else None


def _import_one(run: _Run, path: Path) -> _Outcome:
    """Import one document: read it, show what was found, ask for what is missing, store it."""
    from bot.features.policies.importer import PolicyImportError
    from bot.features.policies.intake import dsl_names, intake_of
    from bot.features.policies.rules import ReviewError
    from bot.features.policies.store import accepted_document

    outcome = _Outcome(file=str(path))
    try:
        imported = read_document(path, run.typed)
        data = path.read_bytes()
        accepted_document(path.name, data)  # the check of every route, before anything is shown
    except (PolicyImportError, OSError, ReviewError) as exc:
        outcome.error, outcome.error_said = str(exc), _error_said(exc, run.said)
        return outcome
    item = intake_of(path, imported)
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    outcome.found = imported.to_json_dict()
    with run.ctx.store.session() as session:
        names = dsl_names(session, run.school)
    outcome.checks = item.check_ownership(run.school.name, names, dsl=school_words(run.school).dsl)
    if not run.as_json:
        console.rule(f"[bold]{escape(path.name)}[/]")
        _print_found(imported, path, outcome.checks)
    if (twin := _twin(run, path, imported, data)) is not None:
        outcome.same_as = twin
        outcome.notes.append(
            f"the same document as {twin} (a copy in another format): not stored again"
        )
        return outcome
    if (found := imported.next_review) is not None and found.how == "derived":
        outcome.notes.append(f"next review {found.value.isoformat()} derived: {found.note}")
    for name, text in (
        ("next_review", run.typed.next_review),
        ("approving_body", run.typed.approved_by),
    ):
        if text and not item.values.get(name):
            item.answer(name, text)
    if item.questions and run.interactive:
        _ask_missing(item, school_words(run.school))
    outcome.supplied, outcome.missing = item.supplied, item.missing
    outcome.linked_policy_gaps = _gaps(run, imported, str(item.values.get("title") or ""))
    if item.questions:
        outcome.refused = _refusal(item, interactive=run.interactive)
        outcome.refused_said = _refusal(item, interactive=run.interactive, tr=run.said)
    elif _may_store(item, outcome, yes=run.yes, interactive=run.interactive):
        _store(run, item, data, outcome)
    return outcome


def _error_said(exc: Exception, tr: NullTranslations) -> str:
    """Why a document cannot be read, in ``tr``'s language: the importer's sentence, or the
    check every route makes (``accepted_document``: its refusal, the cause); else as written."""
    from bot.core.uploads import AttachmentError
    from bot.features.policies.importer import PolicyImportError

    if isinstance(exc, PolicyImportError):
        return exc.said(tr)
    if isinstance(refused := exc.__cause__, AttachmentError):
        if tr is translations("cy+en"):
            return both(_error_said(exc, translations("cy")), str(exc))
        return refused.said(tr).removesuffix(".")  # as ``accepted_document`` writes it
    return str(exc)


def _refusal(item: Intake, *, interactive: bool, tr: NullTranslations | None = None) -> str:
    """Why a document is not stored: what the register needs that it does not say, in ``tr``'s
    language (English when not given: the JSON's ``refused``)."""
    from bot.features.policies.intake import MISSING_PREFIX

    if tr is translations("cy+en"):  # the whole sentence in Welsh, then in English
        welsh = _refusal(item, interactive=interactive, tr=translations("cy"))
        return both(welsh, _refusal(item, interactive=interactive))
    tr = tr or NullTranslations()
    names = ", ".join(tr.gettext(MISSING_PREFIX[n]) for n in item.questions)
    count = len(item.questions)  # Welsh: "wedi'i nodi" for one, "wedi'u nodi" for more
    if "title" in item.questions and item.title_guess is not None:
        reason = tr.ngettext(
            "not stored: %(names)s not clear from the document",
            "not stored: %(names)s not clear from the document",
            count,
        )
    else:
        reason = tr.ngettext(
            "not stored: %(names)s not stated in the document",
            "not stored: %(names)s not stated in the document",
            count,
        )
    reason %= {"names": names}
    if not interactive:
        reason = tr.gettext("%(reason)s and this is not an interactive terminal") % {
            "reason": reason
        }
    return tr.gettext(
        "%(reason)s — run it at a terminal to type it in, give it with --title, --next-review "
        "or --approved-by, or add it to the document"
    ) % {"reason": reason}


def _stored_line(outcome: _Outcome, tr: NullTranslations | None = None) -> str:
    """A stored file's line: its key, version, next review and sha256, in ``tr``'s language."""
    if tr is translations("cy+en"):
        return both(_stored_line(outcome, translations("cy")), _stored_line(outcome))
    tr = tr or NullTranslations()
    return tr.gettext("stored as %(key)s %(version)s; next review due %(due)s; sha256 %(sha)s") % {
        "key": outcome.policy_key,
        "version": version_name(str(outcome.version), tr=tr),
        "due": outcome.next_review_stored,
        "sha": outcome.sha256,
    }


def _ask_missing(item: Intake, words: Words) -> None:
    """Ask a person at a terminal for each missing value (three tries; Enter leaves it out)."""
    from bot.features.policies.intake import question

    console.print(
        "Some things the register needs are not in the document. Type them in, or press "
        "Enter to leave one out (the policy is then not stored)."
    )
    for name in item.questions:
        offered = (item.title_guess if name == "title" else None) or ""
        for _ in range(3):
            text = str(
                typer.prompt(question(name, words), default=offered, show_default=bool(offered))
            ).strip()
            if not text or (problem := item.answer(name, text)) is None:
                break
            err.print(f"  {problem}")


def _gaps(run: _Run, imported: ImportedPolicy, own_title: str) -> list[str]:
    """The policies the document links to that the register (or it) does not hold."""
    from bot.features.policies.register import register_gaps

    linked = [str(i.value) for i in imported.linked_policies]
    with run.ctx.store.session() as session:
        return [gap.title for gap in register_gaps(session, run.school.id, (own_title, linked))]


def _may_store(item: Intake, outcome: _Outcome, *, yes: bool, interactive: bool) -> bool:
    """Whether to store: ``--yes``, or a person at a terminal who says yes (noted if not)."""
    if yes or (
        interactive and typer.confirm(f"Store '{item.title}' in the register?", default=True)
    ):
        return True
    outcome.notes.append(
        "nothing stored (you said no)"
        if interactive
        else "nothing stored: rerun with --yes to store it"
    )
    return False


def _store(run: _Run, item: Intake, data: bytes, outcome: _Outcome) -> None:
    """Store the policy and its document, and record the outcome (or the error)."""
    from bot.engine.config_sync import ensure_school
    from bot.features.policies.rules import ReviewError
    from bot.features.policies.store import store_imported

    notes, label = outcome.notes, run.typed.version_label
    dates = item.dates(notes, iso=True)
    try:
        with run.ctx.store.transaction() as session:
            ensure_school(session, run.school)
            # left blank: the nation's governing body ("FGB" only in England's words)
            stored = store_imported(
                session,
                run.school.id,
                item,
                dates,
                version_label=label,
                data=data,
                governing_body=school_words(run.school).governing_body_short,
                actor="cli:import",
                today=run.today,
            )
    except ReviewError as exc:
        outcome.error = str(exc)
        return
    outcome.stored = True
    outcome.next_review_stored = stored.next_review_due.isoformat()
    outcome.policy_key = stored.key
    outcome.version = stored.version or stored.existing_version
    notes.extend(stored.notes)
    if stored.version is None:
        outcome.already_stored = True
        notes.append(
            f"this document is already stored as {version_name(str(stored.existing_version))}"
        )
    elif item.stated_version is None:
        notes.append(
            f"version: not stated in the document; staff see '{stored.version}'"
            + ("" if label else " (type another with --version-label)")
        )


def _print_outcome(outcome: _Outcome, said: NullTranslations) -> None:
    if outcome.error:
        error = escape(outcome.error_said or outcome.error)
        console.print(f"[bold red]{said.gettext('error:')}[/] {error}", highlight=False)
        return
    lines = [f"[red]missing[/] {escape(line)}" for line in outcome.missing]
    lines += [f"[cyan]note[/] {escape(line)}" for line in outcome.notes]
    if outcome.linked_policy_gaps:
        lines.append(
            "[yellow]Linked policies not in the register[/]: "
            + escape("; ".join(outcome.linked_policy_gaps))
        )
    if outcome.refused:
        lines.append(f"[bold red]{escape(outcome.refused_said or outcome.refused)}[/]")
    elif outcome.stored:
        lines.append(f"[green]{escape(_stored_line(outcome, said))}[/]")
    for line in lines:
        console.print(line, highlight=False)


def _json(outcome: _Outcome) -> dict[str, Any]:
    """A file's outcome in the JSON: English, as before (the school's-language line left out)."""
    said = asdict(outcome)
    del said["refused_said"], said["error_said"]
    return said


def import_summary(outcomes: list[_Outcome], tr: NullTranslations | None = None) -> str:
    """One true sentence about what an import stored: '2 files read: 1 stored, 1 not stored.',
    in ``tr``'s language (English when not given: the JSON's summary)."""
    if tr is translations("cy+en"):  # the whole sentence in Welsh, then in English
        return both(import_summary(outcomes, translations("cy")), import_summary(outcomes))
    tr = tr or NullTranslations()
    n = Counter(o.state for o in outcomes)
    not_stored = n["refused"] + n["waiting"]
    parts = [
        text % {"count": count}
        for count, text in (
            (n["new"], tr.gettext("%(count)d stored")),
            (n["same"], tr.gettext("%(count)d already in the register, unchanged")),
            (
                n["copy"],
                tr.ngettext(
                    "%(count)d copy of another document, not stored again",
                    "%(count)d copies of another document, not stored again",
                    n["copy"],
                ),
            ),
            (not_stored, tr.gettext("%(count)d not stored")),
        )
        if count
    ]
    text = tr.ngettext(
        "%(count)d file read: %(parts)s.", "%(count)d files read: %(parts)s.", len(outcomes)
    ) % {"count": len(outcomes), "parts": ", ".join(parts) or tr.gettext("nothing stored")}
    if n["waiting"]:
        text += " " + tr.ngettext(
            "Rerun with --yes to store it.", "Rerun with --yes to store them.", n["waiting"]
        )
    return text


def policies_import(
    files: Annotated[
        list[Path], typer.Argument(help="Policy documents: .docx, .pdf, .txt or .md.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (never asks questions).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Store what was found.")] = False,
    school: SchoolOption = None,
    as_of: AsOf = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            help="The policy's title, for a scanned PDF or a document "
            "whose title is not clear (one document).",
        ),
    ] = None,
    version_label: Annotated[
        str | None,
        typer.Option(
            "--version-label",
            help="What staff see as the version where the document "
            "states none, e.g. 'adopted 12 November 2026' (one document).",
        ),
    ] = None,
    adopted: Annotated[
        str | None,
        typer.Option("--adopted", help="The date a scanned policy was adopted (approved)."),
    ] = None,
    next_review: Annotated[
        str | None,
        typer.Option(
            "--next-review", help="Its next review date, e.g. 2027-11-30 or November 2027."
        ),
    ] = None,
    approved_by: Annotated[
        str | None,
        typer.Option("--approved-by", help="Who approves it, e.g. the governors."),
    ] = None,
) -> None:
    """Read policy documents, show what was found and how, and store them in the register.

    A scanned PDF (no text to read) is registered from its typed details: --title, --adopted
    or --next-review, --approved-by (and --version-label)."""
    from bot.features.policies.importer import MONTH_ONLY_RULE

    ctx = context(say_where=not as_json)
    run = _Run(
        ctx,
        schools_of(ctx, school)[0],
        as_of_today(as_of),
        Typed(title, version_label, adopted, next_review, approved_by),
        yes,
        as_json,
        interactive=not as_json and _interactive(),
    )
    if run.typed.given() and len(files) != 1:
        fail(
            "--title, --version-label, --adopted, --next-review and --approved-by describe one "
            "document: import it on its own"
        )
    outcomes: list[_Outcome] = []
    for path in files:
        outcomes.append(outcome := _import_one(run, path))
        if not as_json:
            _print_outcome(outcome, run.said)
    if not as_json:
        console.print(import_summary(outcomes, run.said), highlight=False)
    else:
        stored = [o for o in outcomes if o.stored]
        typer.echo(
            json.dumps(
                {
                    "school": run.school.id,
                    "files": [_json(o) for o in outcomes],
                    "stored": len(stored),
                    "already_stored": sum(1 for o in stored if o.already_stored),
                    "not_stored": len(outcomes) - len(stored),
                    "refused": sum(1 for o in outcomes if o.refused),
                    "errors": sum(1 for o in outcomes if o.error),
                    "month_only_rule": MONTH_ONLY_RULE,
                    "summary": import_summary(outcomes),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    if any(o.state == "refused" for o in outcomes):
        raise typer.Exit(1)
