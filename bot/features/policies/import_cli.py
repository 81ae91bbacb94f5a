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
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from bot.core.language.i18n import N_, Joined, Msg, Said, nmsg, say, shown, speaking
from bot.core.language.words import Words, school_words, version_name
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    confirm,
    console,
    err,
    fail,
    one_school,
)
from bot.features.policies.import_found import MISSING, NOTE, print_found
from bot.features.policies.typed import Typed, read_document

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.core.guards.forms import Text
    from bot.features.policies.importer import ImportedPolicy
    from bot.features.policies.intake import Intake

__all__ = ["import_summary", "policies_import"]


def _interactive() -> bool:
    """Whether we may ask questions (a person at a terminal)."""
    return sys.stdin.isatty()


@dataclass
class _Outcome:
    """One file's import: what was found, what was decided, what was stored (each sentence
    said where shown: the school's language on the terminal, English in the JSON)."""

    file: str
    sha256: str | None = None
    found: dict[str, Any] | None = None
    missing: list[Text] = field(default_factory=list)
    supplied: dict[str, str] = field(default_factory=dict)
    notes: list[Text] = field(default_factory=list)
    linked_policy_gaps: list[str] = field(default_factory=list)
    stored: bool = False
    policy_key: str | None = None
    version: str | None = None
    next_review_stored: str | None = None
    refused: Text | None = None
    error: Text | None = None
    already_stored: bool = False  # the same document was already the policy's version
    checks: list[Text] = field(default_factory=list)  # another school or DSL named
    same_as: str | None = None  # a copy (another format) of this document, not stored again

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


def _twin(run: _Run, path: Path, imported: ImportedPolicy, data: bytes) -> str | None:
    """The document read before it in this import, or the register's version under the same
    title, this one is a copy of (the same text in another format); ``run.earlier`` then holds
    this one too."""
    # lazy: not loaded by --help (module docstring)
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

    outcome = _Outcome(file=str(path))
    try:  # read after the check of every route, before anything is shown
        imported = read_document(path, run.typed)
        data = path.read_bytes()
    except (PolicyImportError, OSError) as exc:
        outcome.error = _error(exc)
        return outcome
    item = intake_of(path, imported)
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    outcome.found = imported.to_json_dict()
    with run.ctx.store.session() as session:
        names = dsl_names(session, run.school)
    outcome.checks = item.check_ownership(run.school.name, names, dsl=school_words(run.school).dsl)
    if not run.as_json:
        console.rule(f"[bold]{escape(path.name)}[/]")
        print_found(imported, path, outcome.checks)
    if (twin := _twin(run, path, imported, data)) is not None:
        outcome.same_as = twin
        outcome.notes.append(
            Msg(
                N_("the same document as %(twin)s (a copy in another format): not stored again"),
                twin=twin,
            )
        )
        return outcome
    if (found := imported.next_review) is not None and found.how == "derived":
        outcome.notes.append(
            Msg(
                N_("next review %(day)s derived: %(note)s"),
                day=found.value.isoformat(),
                note=found.note or "",
            )
        )
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
    elif _may_store(item, outcome, run):
        _store(run, item, data, outcome)
    return outcome


def _error(exc: Exception) -> Text:
    """Why a document cannot be read: the importer's sentence, or the check every route makes
    (``accepted_document``: its refusal, the cause); else as written."""
    from bot.core.files.uploads import AttachmentError
    from bot.core.guards.forms import SaidError

    if isinstance(refused := exc.__cause__, AttachmentError):
        msg = refused.msg
        return Said(lambda: str(msg).removesuffix("."))  # as ``accepted_document`` writes it
    return exc.msg if isinstance(exc, SaidError) else str(exc)


def _refusal(item: Intake, *, interactive: bool) -> Msg:
    """Why a document is not stored: what the register needs that it does not say."""
    from bot.features.policies.intake import MISSING_PREFIX

    names = Joined((Msg(MISSING_PREFIX[n]) for n in item.questions), ", ")
    count = len(item.questions)  # Welsh: "wedi'i nodi" for one, "wedi'u nodi" for more
    if "title" in item.questions and item.title_guess is not None:
        reason = nmsg(
            "not stored: %(names)s not clear from the document",
            "not stored: %(names)s not clear from the document",
            count,
            names=names,
        )
    else:
        reason = nmsg(
            "not stored: %(names)s not stated in the document",
            "not stored: %(names)s not stated in the document",
            count,
            names=names,
        )
    if not interactive:
        reason = Msg(N_("%(reason)s and this is not an interactive terminal"), reason=reason)
    return Msg(
        N_(
            "%(reason)s — run it at a terminal to type it in, give it with --title, --next-review "
            "or --approved-by, or add it to the document"
        ),
        reason=reason,
    )


def _stored_line(outcome: _Outcome) -> Msg:
    """A stored file's line: its key, version, next review and sha256."""
    return Msg(
        N_("stored as %(key)s %(version)s; next review due %(due)s; sha256 %(sha)s"),
        key=outcome.policy_key,
        version=version_name(str(outcome.version)),
        due=outcome.next_review_stored,
        sha=outcome.sha256,
    )


def _ask_missing(item: Intake, words: Words) -> None:
    """Ask a person at a terminal for each missing value (three tries; Enter leaves it out),
    in the school's language (the questions themselves: ``intake.question``)."""
    from bot.features.policies.intake import question

    console.print(
        say(
            "Some things the register needs are not in the document. Type them in, or press "
            "Enter to leave one out (the policy is then not stored)."
        )
    )
    for name in item.questions:
        offered = (item.title_guess if name == "title" else None) or ""
        for _ in range(3):
            text = str(
                typer.prompt(
                    str(question(name, words)), default=offered, show_default=bool(offered)
                )
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


def _may_store(item: Intake, outcome: _Outcome, run: _Run) -> bool:
    """Whether to store: ``--yes``, or a person at a terminal who says yes (noted if not)."""
    asked = say("Store '%(title)s' in the register?", title=item.title)
    if run.yes or (run.interactive and confirm(asked, default=True)):
        return True
    outcome.notes.append(
        Msg(
            N_("nothing stored (you said no)")
            if run.interactive
            else N_("nothing stored: rerun with --yes to store it")
        )
    )
    return False


def _store(run: _Run, item: Intake, data: bytes, outcome: _Outcome) -> None:
    """Store the policy and its document, and record the outcome (or the error)."""
    from bot.engine.config_sync import ensure_school
    from bot.features.policies.rules import ReviewError
    from bot.features.policies.store import store_imported

    label = run.typed.version_label
    notes: list[Text] = []  # a month-only date as stored
    dates = item.dates(notes, iso=True)
    outcome.notes += notes
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
        outcome.error = exc.msg
        return
    outcome.stored = True
    outcome.next_review_stored = stored.next_review_due.isoformat()
    outcome.policy_key = stored.key
    outcome.version = stored.version or stored.existing_version
    outcome.notes += stored.notes
    if stored.version is None:
        outcome.already_stored = True
        outcome.notes.append(
            Msg(
                N_("this document is already stored as %(version)s"),
                version=version_name(str(stored.existing_version)),
            )
        )
    elif item.stated_version is None:
        outcome.notes.append(
            Msg(
                N_("version: not stated in the document; staff see '%(version)s'")
                if label
                else N_(
                    "version: not stated in the document; staff see '%(version)s' (type another "
                    "with --version-label)"
                ),
                version=version_name(str(stored.version)),
            )
        )


def _print_outcome(outcome: _Outcome) -> None:
    if outcome.error:
        said = say("error:")
        console.print(f"[bold red]{said}[/] {escape(str(outcome.error))}", highlight=False)
        return
    missing, note = say(MISSING), say(NOTE)
    lines = [f"[red]{missing}[/] {escape(str(line))}" for line in outcome.missing]
    lines += [f"[cyan]{note}[/] {escape(str(line))}" for line in outcome.notes]
    if outcome.linked_policy_gaps:
        gaps = say("Linked policies not in the register")
        lines.append(f"[yellow]{gaps}[/]: " + escape("; ".join(outcome.linked_policy_gaps)))
    if outcome.refused:
        lines.append(f"[bold red]{escape(str(outcome.refused))}[/]")
    elif outcome.stored:
        lines.append(f"[green]{escape(str(_stored_line(outcome)))}[/]")
    for line in lines:
        console.print(line, highlight=False)


def _json(outcome: _Outcome) -> dict[str, Any]:
    """A file's outcome in the JSON: English, as before."""
    return {key: _english(value) for key, value in asdict(outcome).items()}


def _english(value: Any) -> Any:
    """A value of the JSON: a sentence in English, a list of them each in English."""
    if isinstance(value, list):
        return [_english(item) for item in value]
    return shown(value, "en") if not isinstance(value, dict) else value


def import_summary(outcomes: list[_Outcome]) -> str:
    """One true sentence about what an import stored: '2 files read: 1 stored, 1 not stored.',
    in the active language."""
    n = Counter(o.state for o in outcomes)
    not_stored = n["refused"] + n["waiting"]
    parts = [
        said
        for count, said in (
            (n["new"], Msg(N_("%(count)d stored"), count=n["new"])),
            (n["same"], Msg(N_("%(count)d already in the register, unchanged"), count=n["same"])),
            (
                n["copy"],
                nmsg(
                    "%(count)d copy of another document, not stored again",
                    "%(count)d copies of another document, not stored again",
                    n["copy"],
                    count=n["copy"],
                ),
            ),
            (not_stored, Msg(N_("%(count)d not stored"), count=not_stored)),
        )
        if count
    ]
    read = nmsg(
        "%(count)d file read: %(parts)s.",
        "%(count)d files read: %(parts)s.",
        len(outcomes),
        count=len(outcomes),
        parts=Joined(parts, ", ") if parts else Msg(N_("nothing stored")),
    )
    said: list[object] = [read]
    if n["waiting"]:
        said.append(
            nmsg("Rerun with --yes to store it.", "Rerun with --yes to store them.", n["waiting"])
        )
    return str(Joined(said, " "))  # cy+en: the whole in Welsh, then the whole in English


def policies_import(
    files: Annotated[
        list[Path], typer.Argument(help="Policy documents: .docx, .odt, .pdf, .txt or .md.")
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
        str | None, typer.Option("--approved-by", help="Who approves it, e.g. the governors.")
    ] = None,
) -> None:
    """Read policy documents, show what was found and how, and store them in the register.

    A scanned PDF (no text to read) is registered from its typed details: --title, --adopted
    or --next-review, --approved-by (and --version-label)."""
    from bot.features.policies.importer import MONTH_ONLY_RULE

    ctx, chosen = one_school(school, say_where=not as_json)  # its JSON stays English
    run = _Run(
        ctx,
        chosen,
        as_of_today(as_of),
        Typed(title, version_label, adopted, next_review, approved_by),
        yes,
        as_json,
        interactive=not as_json and _interactive(),
    )
    if run.typed.given() and len(files) != 1:
        fail(
            say(
                "--title, --version-label, --adopted, --next-review and --approved-by describe "
                "one document: import it on its own"
            )
        )
    outcomes: list[_Outcome] = []
    for path in files:
        outcomes.append(outcome := _import_one(run, path))
        if not as_json:
            _print_outcome(outcome)
    if not as_json:
        console.print(import_summary(outcomes), highlight=False)
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
                    "summary": _summary_in_english(outcomes),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    if any(o.state == "refused" for o in outcomes):
        raise typer.Exit(1)


def _summary_in_english(outcomes: list[_Outcome]) -> str:
    """The summary as the JSON gives it: in English."""
    with speaking("en"):
        return import_summary(outcomes)
