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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from gettext import NullTranslations
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from bot.core.i18n import N_, both, translations
from bot.core.words import Words, school_words, version_name
from bot.engine.commands import (
    AsOf,
    SchoolOption,
    as_of_today,
    confirm,
    console,
    context,
    err,
    fail,
    schools_of,
)
from bot.features.policies.import_found import MISSING, NOTE, print_found, say_read
from bot.features.policies.typed import Typed, read_document

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.context import AppContext
    from bot.features.policies.importer import ImportedPolicy
    from bot.features.policies.intake import Intake

__all__ = ["import_summary", "policies_import"]


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
    notes_said: list[str] = field(default_factory=list)  # ``notes`` likewise

    def note(
        self,
        tr: NullTranslations,
        sentence: str,
        said: Callable[[NullTranslations], dict[str, str]] | None = None,
        **values: str,
    ) -> None:
        """Add a note: in English (the JSON) and in ``tr``'s language (what is printed; ``said``:
        the values a language says otherwise than English, e.g. 'fersiwn 3.2')."""

        def say(tr: NullTranslations) -> str:
            text = tr.gettext(sentence)
            return text % {**values, **(said(tr) if said else {})} if values else text

        english = sentence % values if values else sentence
        self.notes.append(english)
        cy = tr is translations("cy+en")
        self.notes_said.append(both(say(translations("cy")), english) if cy else say(tr))

    def noted(self, english: list[str], said: list[str]) -> None:
        """Add notes written elsewhere: in English, and as the school reads them."""
        self.notes += english
        self.notes_said += said

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
    from bot.features.policies.importer import PolicyImportError, not_ours
    from bot.features.policies.intake import dsl_names, intake_of

    outcome = _Outcome(file=str(path))
    try:  # read after the check of every route, before anything is shown
        imported = read_document(path, run.typed)
        data = path.read_bytes()
    except (PolicyImportError, OSError) as exc:
        outcome.error, outcome.error_said = str(exc), _error_said(exc, run.said)
        return outcome
    item = intake_of(path, imported)
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    outcome.found = imported.to_json_dict()
    with run.ctx.store.session() as session:
        names = dsl_names(session, run.school)
    dsl, language = school_words(run.school).dsl, run.school.language
    outcome.checks = item.check_ownership(run.school.name, names, dsl=dsl)
    if not run.as_json:
        console.rule(f"[bold]{escape(path.name)}[/]")
        said = not_ours(imported, run.school.name, names, dsl=dsl, language=language)
        print_found(imported, path, said, language)
    if (twin := _twin(run, path, imported, data)) is not None:
        outcome.same_as = twin
        outcome.note(
            run.said,
            N_("the same document as %(twin)s (a copy in another format): not stored again"),
            twin=twin,
        )
        return outcome
    if (found := imported.next_review) is not None and found.how == "derived":
        why = found.note or ""
        outcome.note(
            run.said,
            N_("next review %(day)s derived: %(note)s"),
            lambda tr: {"note": say_read(why, "cy" if tr is translations("cy") else "en")},
            day=found.value.isoformat(),
            note=why,
        )
    for name, text in (
        ("next_review", run.typed.next_review),
        ("approving_body", run.typed.approved_by),
    ):
        if text and not item.values.get(name):
            item.answer(name, text)
    if item.questions and run.interactive:
        _ask_missing(item, school_words(run.school), run.school.language)
    outcome.supplied, outcome.missing = item.supplied, item.missing
    outcome.linked_policy_gaps = _gaps(run, imported, str(item.values.get("title") or ""))
    if item.questions:
        outcome.refused = _refusal(item, interactive=run.interactive)
        outcome.refused_said = _refusal(item, interactive=run.interactive, tr=run.said)
    elif _may_store(item, outcome, run):
        _store(run, item, data, outcome)
    return outcome


def _error_said(exc: Exception, tr: NullTranslations) -> str:
    """Why a document cannot be read, in ``tr``'s language: the importer's sentence (with the
    refusal of the check every route makes inside it); else as written."""
    from bot.features.policies.importer import PolicyImportError

    return exc.said(tr) if isinstance(exc, PolicyImportError) else str(exc)


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


def _ask_missing(item: Intake, words: Words, language: str) -> None:
    """Ask a person at a terminal for each missing value (three tries; Enter leaves it out),
    in the school's ``language`` (the questions themselves: ``intake.question``)."""
    from bot.core.config.said import say_sentence
    from bot.features.policies.intake import ANSWER_PROBLEMS, question

    tr = translations(language)

    console.print(
        tr.gettext(
            "Some things the register needs are not in the document. Type them in, or press "
            "Enter to leave one out (the policy is then not stored)."
        )
    )
    for name in item.questions:
        offered = (item.title_guess if name == "title" else None) or ""
        for _ in range(3):
            text = str(
                typer.prompt(
                    question(name, words, language), default=offered, show_default=bool(offered)
                )
            ).strip()
            if not text or (problem := item.answer(name, text)) is None:
                break
            err.print(f"  {say_sentence(problem, ANSWER_PROBLEMS, language)}")


def _gaps(run: _Run, imported: ImportedPolicy, own_title: str) -> list[str]:
    """The policies the document links to that the register (or it) does not hold."""
    from bot.features.policies.register import register_gaps

    linked = [str(i.value) for i in imported.linked_policies]
    with run.ctx.store.session() as session:
        return [gap.title for gap in register_gaps(session, run.school.id, (own_title, linked))]


def _may_store(item: Intake, outcome: _Outcome, run: _Run) -> bool:
    """Whether to store: ``--yes``, or a person at a terminal who says yes (noted if not)."""
    asked = run.said.gettext("Store '%(title)s' in the register?") % {"title": item.title}
    if run.yes or (run.interactive and confirm(asked, default=True, language=run.school.language)):
        return True
    outcome.note(
        run.said,
        N_("nothing stored (you said no)")
        if run.interactive
        else N_("nothing stored: rerun with --yes to store it"),
    )
    return False


def _store(run: _Run, item: Intake, data: bytes, outcome: _Outcome) -> None:
    """Store the policy and its document, and record the outcome (or the error)."""
    from bot.engine.config_sync import ensure_school
    from bot.features.policies.rules import ReviewError
    from bot.features.policies.store import store_imported

    label, language = run.typed.version_label, run.school.language
    notes: list[str] = []  # a month-only date as stored: English, and as the school reads it
    dates = item.dates(notes, iso=True)
    said: list[str] = notes if language == "en" else []
    if said is not notes:
        item.dates(said, language=language)
    outcome.noted(notes, said)
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
                tr=run.said,
            )
    except ReviewError as exc:
        outcome.error = str(exc)
        return
    outcome.stored = True
    outcome.next_review_stored = stored.next_review_due.isoformat()
    outcome.policy_key = stored.key
    outcome.version = stored.version or stored.existing_version
    outcome.noted(list(stored.notes), list(stored.notes_said))
    if stored.version is None:
        outcome.already_stored = True
        held = str(stored.existing_version)
        outcome.note(
            run.said,
            N_("this document is already stored as %(version)s"),
            lambda tr: {"version": version_name(held, tr=tr)},
            version=version_name(held),
        )
    elif item.stated_version is None:
        outcome.note(
            run.said,
            N_("version: not stated in the document; staff see '%(version)s'")
            if label
            else N_(
                "version: not stated in the document; staff see '%(version)s' (type another "
                "with --version-label)"
            ),
            version=str(stored.version),
        )


def _print_outcome(outcome: _Outcome, said: NullTranslations, language: str) -> None:
    if outcome.error:
        error, mark = escape(outcome.error_said or outcome.error), said.gettext("error:")
        console.print(f"[bold red]{mark}[/] {error}", highlight=False)
        return
    missing, note = said.gettext(MISSING), said.gettext(NOTE)
    lines = [f"[red]{missing}[/] {escape(say_read(line, language))}" for line in outcome.missing]
    lines += [f"[cyan]{note}[/] {escape(line)}" for line in outcome.notes_said]
    if outcome.linked_policy_gaps:
        gaps = said.gettext("Linked policies not in the register")
        lines.append(f"[yellow]{gaps}[/]: " + escape("; ".join(outcome.linked_policy_gaps)))
    if outcome.refused:
        lines.append(f"[bold red]{escape(outcome.refused_said or outcome.refused)}[/]")
    elif outcome.stored:
        lines.append(f"[green]{escape(_stored_line(outcome, said))}[/]")
    for line in lines:
        console.print(line, highlight=False)


def _json(outcome: _Outcome) -> dict[str, Any]:
    """A file's outcome in the JSON: English, as before (the school's-language line left out)."""
    said = asdict(outcome)
    del said["refused_said"], said["error_said"], said["notes_said"]
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
            run.said.gettext(
                "--title, --version-label, --adopted, --next-review and --approved-by describe "
                "one document: import it on its own"
            ),
            language=run.school.language,
        )
    outcomes: list[_Outcome] = []
    for path in files:
        outcomes.append(outcome := _import_one(run, path))
        if not as_json:
            _print_outcome(outcome, run.said, run.school.language)
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
