"""CLI: ``policies import`` — read policy documents, show what each says and how it was found
(in the school's words), ask for what the register needs and the document does not state, store
it, and say truthfully what was stored.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.core.words import plural, school_words, version_name
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    console,
    context,
    err,
    schools_of,
    where,
)
from bot.features.policies.typed import Typed, read_document

if TYPE_CHECKING:
    from bot.core.context import AppContext
    from bot.features.policies.importer import Found, ImportedPolicy
    from bot.features.policies.intake import Intake

__all__ = ["import_summary", "policies_import", "select_policies"]


HOW_TEXT = {
    "text": "found in text",
    "derived": "worked out",
    "default": "assumed",
    "typed": "typed in",
}
# What each field is called in the import report (the school's words, not field names).
FIELD_WORDS = {
    "title": "title",
    "school": "school named",
    "version": "version",
    "written": "date written",
    "last_reviewed": "last reviewed",
    "ratified": "approved or ratified",
    "next_review": "next review",
    "approving_body": "approved by",
    "review_cycle_months": "review cycle",
    "dsl": "safeguarding lead",
    "deputy_dsls": "deputy safeguarding leads",
    "named_governors": "named governors",
    "official_channels": "official accounts",
}


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

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form."""
        return asdict(self)


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


def _print_found(
    console: Any, imported: ImportedPolicy, path: Path, checks: list[str]
) -> None:
    # lazy: not loaded by --help (module docstring)
    from bot.features.policies.importer import MONTH_ONLY_RULE, FuzzyDate

    table = Table(title=f"{path.name}: what the document says", title_justify="left")
    for col in ("Field", "Value", "How", "Where / why"):
        table.add_column(col, overflow="fold")
    style = {"text": "green", "derived": "cyan", "default": "yellow"}
    singles = (
        "title",
        "school",
        "version",
        "written",
        "last_reviewed",
        "ratified",
        "next_review",
        "approving_body",
        "review_cycle_months",
    )
    for name in singles:
        found = getattr(imported, name)
        label = FIELD_WORDS[name]
        if found is None:
            table.add_row(label, "[red]not stated[/]", "", "")
            continue
        how = f"[{style[found.how]}]{HOW_TEXT[found.how]}[/]"
        table.add_row(label, escape(_shown(name, found.value)), how, escape(_where(found)))
    for name in ("dsl", "deputy_dsls", "named_governors", "official_channels"):
        items = getattr(imported, name)
        if not items:
            continue
        table.add_row(
            FIELD_WORDS[name],
            escape(", ".join(str(i.value) for i in items)),
            "[green]found in text[/]",
            "lines " + ", ".join(str(i.line) for i in items),
        )
    console.print(table)
    dates = [getattr(imported, name) for name in ("written", "last_reviewed", "ratified")]
    dates.append(imported.next_review)
    if any(f is not None and isinstance(f.value, FuzzyDate) and f.value.day is None for f in dates):
        console.print(f"[cyan]note[/] {escape(MONTH_ONLY_RULE)}", highlight=False)
    if not_stated := imported.dates_not_stated():
        console.print(
            f"[cyan]note[/] Not stated in the document: {escape(', '.join(not_stated))} "
            "— left empty, never guessed.",
            highlight=False,
        )
    if imported.title is None and imported.title_guess is not None:
        guess = imported.title_guess
        console.print(
            f"[yellow]question[/] title: is it '{escape(str(guess.value))}'? "
            f"({escape(guess.note or '')})",
            highlight=False,
        )
    for check in checks:
        console.print(f"[yellow]check[/] {escape(check)}", highlight=False)
    if imported.linked_policies:
        names = ", ".join(dict.fromkeys(str(i.value) for i in imported.linked_policies))
        console.print(f"Linked policies named: {escape(names)}", highlight=False)
    for warning in imported.warnings:
        console.print(f"[yellow]warning[/] {escape(warning)}", highlight=False)


def _copy_in_register(
    ctx: AppContext, school_id: str, imported: ImportedPolicy, data: bytes
) -> str | None:
    """The stored version this document is a copy of in another format (the same text), if
    the register holds one under the same title."""
    from bot.core.models import Policy
    from bot.features.policies.intake import copy_of
    from bot.features.policies.rules import policy_key

    title = imported.title.value if imported.title else None
    if title is None:
        return None
    with ctx.store.session() as session:
        policy = session.scalar(
            select_policies(school_id).where(Policy.key == policy_key(str(title)))
        )
        version = policy.current_version if policy is not None else None
        if version is None:
            return None
        held, name, label = version.document, version.document_name, version.label
    return f"{name} ({label})" if copy_of(imported, data, name, held) else None


def _twin(
    ctx: AppContext, school_id: str, path: Path, imported: ImportedPolicy, data: bytes,
    earlier: list[tuple[str, ImportedPolicy]],
) -> str | None:
    """The document read before it in this import, or the register's, this one is a copy of
    (the same text in another format); ``earlier`` then holds this one too."""
    from bot.features.policies.importer import same_document

    twin = next((name for name, other in earlier if same_document(other, imported)), None)
    earlier.append((path.name, imported))
    return twin or _copy_in_register(ctx, school_id, imported, data)


def _import_one(
    ctx: AppContext,
    school_id: str,
    path: Path,
    *,
    yes: bool,
    as_json: bool,
    interactive: bool,
    today: date,
    typed: Typed,
    earlier: list[tuple[str, ImportedPolicy]],
) -> _Outcome:
    """Import one document: read it, show what was found, ask for what is missing, store it.
    ``earlier``: the documents read before it in this import (a copy of one is not stored
    again)."""
    from bot.features.policies.importer import PolicyImportError
    from bot.features.policies.intake import dsl_names, intake_of

    outcome = _Outcome(file=str(path))
    try:
        imported = read_document(path, typed)
        data = path.read_bytes()
    except (PolicyImportError, OSError) as exc:
        outcome.error = str(exc)
        return outcome
    item = intake_of(path, imported)
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    outcome.found = imported.to_json_dict()
    with ctx.store.session() as session:
        names = dsl_names(session, ctx.config.school(school_id))
    outcome.checks = item.check_ownership(ctx.config.school(school_id).name, names)
    if not as_json:
        console.rule(f"[bold]{escape(path.name)}[/]")
        _print_found(console, imported, path, outcome.checks)
    if (twin := _twin(ctx, school_id, path, imported, data, earlier)) is not None:
        outcome.same_as = twin
        outcome.notes.append(
            f"the same document as {twin} (a copy in another format): not stored again"
        )
        return outcome
    if (found := imported.next_review) is not None and found.how == "derived":
        outcome.notes.append(f"next review {found.value.isoformat()} derived: {found.note}")
    for name, text in (("next_review", typed.next_review), ("approving_body", typed.approved_by)):
        if text and not item.values.get(name):
            item.answer(name, text)
    if item.questions and interactive:
        _ask_missing(item)
    outcome.supplied, outcome.missing = item.supplied, item.missing
    _note_gaps(ctx, school_id, path, imported, str(item.values.get("title") or ""), outcome)
    if item.questions:
        outcome.refused = _refusal(item, interactive=interactive)
        return outcome
    if _may_store(item, outcome, yes=yes, interactive=interactive):
        _store(ctx, school_id, item, data, outcome, today=today,
               version_label=typed.version_label)
    return outcome


def _refusal(item: Intake, *, interactive: bool) -> str:
    """Why a document is not stored: what the register needs that it does not say."""
    from bot.features.policies.intake import MISSING_PREFIX

    names = ", ".join(MISSING_PREFIX[n] for n in item.questions)
    unclear = "title" in item.questions and item.title_guess is not None
    return (
        f"not stored: {names} not {'clear from' if unclear else 'stated in'} the document"
        + ("" if interactive else " and this is not an interactive terminal")
        + " — run it at a terminal to type it in, give it with --title, --next-review or "
        "--approved-by, or add it to the document"
    )


def _ask_missing(item: Intake) -> None:
    """Ask a person at a terminal for each missing value (three tries; Enter leaves it out)."""
    from bot.features.policies.intake import QUESTIONS

    console.print(
        "Some things the register needs are not in the document. Type them in, or press "
        "Enter to leave one out (the policy is then not stored)."
    )
    for name in item.questions:
        offered = (item.title_guess if name == "title" else None) or ""
        for _ in range(3):
            text = str(typer.prompt(QUESTIONS[name], default=offered,
                                    show_default=bool(offered))).strip()
            if not text or (problem := item.answer(name, text)) is None:
                break
            err.print(f"  {problem}")


def _note_gaps(
    ctx: AppContext,
    school_id: str,
    path: Path,
    imported: ImportedPolicy,
    own_title: str,
    outcome: _Outcome,
) -> None:
    """Record the policies the document links to that the register (or it) does not hold."""
    from bot.features.policies.rules import linked_policy_gaps

    with ctx.store.session() as session:
        held = session.scalars(select_policies(school_id)).all()
        register_titles = [p.title for p in held] + [p.key.replace("-", " ") for p in held]
    linked = [str(i.value) for i in imported.linked_policies]
    gaps = linked_policy_gaps([*register_titles, own_title], [(own_title or path.name, linked)])
    outcome.linked_policy_gaps = [g.title for g in gaps]


def _may_store(item: Intake, outcome: _Outcome, *, yes: bool, interactive: bool) -> bool:
    """Whether to store: ``--yes``, or a person at a terminal who says yes (noted if not)."""
    if yes:
        return True
    if not interactive:
        outcome.notes.append("nothing stored: rerun with --yes to store it")
        return False
    if not typer.confirm(f"Store '{item.title}' in the register?", default=True):
        outcome.notes.append("nothing stored (you said no)")
        return False
    return True


def _store(
    ctx: AppContext,
    school_id: str,
    item: Intake,
    data: bytes,
    outcome: _Outcome,
    *,
    today: date,
    version_label: str | None = None,
) -> None:
    """Store the policy and its document, and record the outcome (or the error)."""
    from bot.core.models import Policy
    from bot.engine.config_sync import ensure_school
    from bot.features.policies.rules import ReviewError
    from bot.features.policies.store import store_imported

    notes = outcome.notes
    # left blank: the nation's governing body ("FGB" only in England's words)
    facts = item.register_facts(
        item.dates(notes, iso=True), version_label=version_label,
        governing_body=school_words(ctx.config.school(school_id)).governing_body_short,
    )
    try:
        with ctx.store.transaction() as session:
            ensure_school(session, ctx.config.school(school_id))
            stored = store_imported(
                session,
                school_id,
                facts,
                document_name=item.path.name,
                data=data,
                actor="cli:import",
                today=today,
            )
            policy = session.scalar(select_policies(school_id).where(Policy.key == stored.key))
            assert policy is not None
            outcome.next_review_stored = (
                policy.next_review_due.isoformat() if policy.next_review_due else None
            )
    except ReviewError as exc:
        outcome.error = str(exc)
        return
    outcome.stored = True
    outcome.policy_key = stored.key
    outcome.version = stored.version or stored.existing_version
    notes.extend(stored.notes)
    if stored.version is None:
        outcome.already_stored = True
        notes.append(
            "this document is already stored as "
            f"{version_name(str(stored.existing_version))}"
        )
    elif item.stated_version is None:
        notes.append(
            f"version: not stated in the document; staff see '{stored.version}'"
            + ("" if version_label else " (type another with --version-label)")
        )


def select_policies(school_id: str) -> Any:
    """``select(Policy)`` for one school (a helper so the import reads straight)."""
    from sqlalchemy import select

    from bot.core.models import Policy

    return (
        select(Policy)
        .where(Policy.school_id == school_id, Policy.kind == "policy")
        .order_by(Policy.title)
    )


def _print_outcome(console: Any, outcome: _Outcome) -> None:
    if outcome.error:
        console.print(f"[bold red]error:[/] {escape(outcome.error)}", highlight=False)
        return
    for line in outcome.missing:
        console.print(f"[red]missing[/] {escape(line)}", highlight=False)
    for line in outcome.notes:
        console.print(f"[cyan]note[/] {escape(line)}", highlight=False)
    if outcome.linked_policy_gaps:
        console.print(
            "[yellow]Linked policies not in the register[/]: "
            + escape("; ".join(outcome.linked_policy_gaps)),
            highlight=False,
        )
    if outcome.refused:
        console.print(f"[bold red]{escape(outcome.refused)}[/]", highlight=False)
    elif outcome.stored:
        console.print(
            f"[green]stored[/] as [bold]{outcome.policy_key}[/] "
            f"{version_name(str(outcome.version))}; "
            f"next review due {outcome.next_review_stored}; sha256 {outcome.sha256}",
            highlight=False,
        )


def import_summary(outcomes: list[_Outcome]) -> str:
    """One true sentence about what an import stored: '2 files read: 1 stored, 1 not stored.'"""
    new = sum(1 for o in outcomes if o.stored and not o.already_stored)
    same = sum(1 for o in outcomes if o.already_stored)
    copies = sum(1 for o in outcomes if o.same_as)
    waiting = sum(1 for o in outcomes if not (o.stored or o.error or o.refused or o.same_as))
    refused = sum(1 for o in outcomes if o.error or o.refused)
    parts = []
    if new:
        parts.append(f"{new} stored")
    if same:
        parts.append(f"{same} already in the register, unchanged")
    if copies:
        parts.append(f"{plural(copies, 'copy', 'copies')} of another document, not stored again")
    if refused or waiting:
        parts.append(f"{refused + waiting} not stored")
    text = f"{plural(len(outcomes), 'file')} read: {', '.join(parts) or 'nothing stored'}."
    if waiting:
        it = "it" if waiting == 1 else "them"
        text += f" Rerun with --yes to store {it}."
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
        typer.Option("--title", help="The policy's title, for a scanned PDF or a document "
                     "whose title is not clear (one document)."),
    ] = None,
    version_label: Annotated[
        str | None,
        typer.Option("--version-label", help="What staff see as the version where the document "
                     "states none, e.g. 'adopted 12 November 2026' (one document)."),
    ] = None,
    adopted: Annotated[
        str | None,
        typer.Option("--adopted", help="The date a scanned policy was adopted (approved)."),
    ] = None,
    next_review: Annotated[
        str | None,
        typer.Option("--next-review", help="Its next review date, e.g. 2027-11-30 or "
                     "November 2027."),
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

    ctx = context()
    if not as_json:
        where(ctx)
    school_id = schools_of(ctx, school)[0].id
    today = as_of_today(as_of)
    interactive = not as_json and _interactive()
    typed = Typed(title, version_label, adopted, next_review, approved_by)
    if typed.given() and len(files) != 1:
        err.print("[bold red]error:[/] --title, --version-label, --adopted, --next-review and "
                  "--approved-by describe one document: import it on its own")
        raise typer.Exit(2)
    outcomes: list[_Outcome] = []
    earlier: list[tuple[str, ImportedPolicy]] = []
    for path in files:
        outcome = _import_one(
            ctx,
            school_id,
            path,
            yes=yes,
            as_json=as_json,
            interactive=interactive,
            today=today,
            typed=typed,
            earlier=earlier,
        )
        outcomes.append(outcome)
        if not as_json:
            _print_outcome(console, outcome)
    failed = [o for o in outcomes if o.error or o.refused]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "school": school_id,
                    "files": [o.as_json() for o in outcomes],
                    "stored": sum(1 for o in outcomes if o.stored),
                    "already_stored": sum(1 for o in outcomes if o.already_stored),
                    "not_stored": sum(1 for o in outcomes if not o.stored),
                    "refused": sum(1 for o in outcomes if o.refused),
                    "errors": sum(1 for o in outcomes if o.error),
                    "month_only_rule": MONTH_ONLY_RULE,
                    "summary": import_summary(outcomes),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        console.print(import_summary(outcomes), highlight=False)
    if failed:
        raise typer.Exit(1)
