"""Saving the web setup's changes: one edit of the school's settings, validated, saved as a new
version, audited and applied at once (the store in line, duties opened), and uploaded policy
documents read with the policy importer and kept beside the settings."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import PolicyConfig, SchoolConfig
from bot.core.config import store as config_store
from bot.core.deployment.settings import Settings
from bot.core.deployment.setup_state import config_source, is_sending
from bot.core.files.uploads import AttachmentError, policy_document_name
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Dated, Msg, Said
from bot.core.models import Duty, SweepRun
from bot.engine.config_sync import SyncError
from bot.engine.settings_change import Applied, apply_settings
from bot.features.policies.api import (
    Dates,
    Found,
    ImportedPolicy,
    NoTextLayerError,
    PolicyImportError,
    copy_of,
    extract_bytes,
    intake_of,
    not_ours,
    policy_key,
    same_document,
)
from bot.features.setup.rules import SetupError, edit_school

__all__ = [
    "FILE_MANAGED",
    "NOBODY_OWES",
    "Preview",
    "UploadedPolicy",
    "apply_change",
    "editable",
    "nobody_owes",
    "policy_from_upload",
    "preview_of",
    "read_upload",
    "upload_checks",
]

FILE_MANAGED = N_(
    "These settings are kept in school.yaml, which your IT provider manages: ask them to make "
    "this change there. To change settings on these pages instead, choose “on these pages” "
    "under Where the settings are managed."
)
DOCUMENT_SUFFIXES = (".docx", ".odt", ".pdf", ".md")


NOBODY_OWES = N_(
    "Nobody owes anything: the school asks for acknowledgements or training, but no one in the "
    "directory has a role those requirements ask (staff, volunteer, supply…). Check the role "
    "table (job titles) and the roles in the staff list; `compliance-bot directory status` "
    "lists the posts still to map."
)


def nobody_owes(session: Session, school: SchoolConfig) -> bool:
    """True when a sweep has run for a school that asks people for something, and not one duty
    was opened (the loud warning on /setup and in ``status``)."""
    asks = ("acknowledge_policy", "complete_training", "reading_campaign")
    if not any(r.kind in asks for r in school.requirements):
        return False
    swept = session.scalar(select(SweepRun.id).where(SweepRun.school_id == school.id).limit(1))
    if swept is None:
        return False
    return session.scalar(select(Duty.id).where(Duty.school_id == school.id).limit(1)) is None


def editable(session: Session) -> bool:
    """Whether the web pages may change the settings (they are their home)."""
    return config_source(session) == "web"


def apply_change(
    session: Session,
    settings: Settings,
    school_id: str,
    change: Callable[[dict[str, Any]], None],
    *,
    by: str,
    now: datetime,
    today: date,
    note: str,
) -> Applied:
    """Validate one change of a school's settings, save it as a new version and apply it.

    Args:
        session: the caller's transaction (nothing is kept when it raises).
        settings: the deployment's settings (where school.yaml is rewritten as the export).
        school_id: the school changed.
        change: edits the school's settings as plain data, in place (see ``edit_school``).
        by: who made the change (their email), for the audit log.
        now: when, for the saved version.
        today: the school's date (new versions are published on it).
        note: what changed, in the school's words (the audit log and the version's note).

    Returns:
        Warnings (e.g. someone named who is not in the directory) and the duties opened.
    """
    if not editable(session):
        raise SetupError("source", FILE_MANAGED)
    org = config_store.load_org(settings, session)
    new = edit_school(org, school_id, change)
    try:
        return apply_settings(
            session, new, by=by, now=now, today=today, note=note, export_to=settings.config_path
        )
    except SyncError as exc:
        raise SetupError("document", f"{exc}.") from None


# --------------------------------------------------------------------------- policy documents


@dataclass
class UploadedPolicy:
    """One uploaded policy document: what was read, the settings entry and what needs an answer."""

    file_name: str
    entry: dict[str, Any]
    new: bool
    # each said where shown
    found: list[Text] = field(default_factory=list)
    needs_answer: list[Text] = field(default_factory=list)
    checks: list[Text] = field(default_factory=list)  # another school or DSL named, twins
    asks_review: bool = False  # the next review date is asked for (given on the register page)


class RefusedDocumentError(SetupError):
    """A document the file checks refuse (``bot.core.files.uploads``), said where shown: its
    sentence and what to do, with its full stop."""

    def __init__(self, refused: AttachmentError) -> None:
        said = refused.msg
        super().__init__("document", Said(lambda: f"{str(said).removesuffix('.')}."))
        self.refused = refused


def read_upload(name: str, data: bytes) -> tuple[str, ImportedPolicy]:
    """Check an uploaded policy document (type, size, content matching its name, PDF and zip
    safety: the check of every route, which the importer makes) and read it; returns the safe
    file name and what was found. SetupError naming the file otherwise.
    """
    try:
        base = policy_document_name(name)
    except AttachmentError as exc:
        raise RefusedDocumentError(exc) from None
    if not base.lower().endswith(DOCUMENT_SUFFIXES):
        raise SetupError(
            "document",
            N_("%(file)s: use a .docx, .odt, .pdf or .md file for the policy."),
            file=base,
        )
    try:
        return base, extract_bytes(base, data)
    except NoTextLayerError as exc:
        # exc.message, never str(exc): that names the server's temporary file
        raise SetupError(
            "scanned",
            N_(
                "%(file)s: %(problem)s: type its title, its version or the date it was adopted, "
                "and its next review date below, and upload it again."
            ),
            file=base,
            problem=exc.problem,
        ) from None
    except PolicyImportError as exc:  # the importer's own reason
        if isinstance(exc.told, AttachmentError):
            raise RefusedDocumentError(exc.told) from None
        raise SetupError(
            "document", N_("%(file)s: %(problem)s."), file=base, problem=exc.problem
        ) from None


def _store_document(settings: Settings, key: str, label: str, base: str, data: bytes) -> str:
    """Keep the document beside school.yaml (policies/<key>-<version>.<ext>); its path there."""
    folder = settings.config_path.parent / "policies"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = PurePath(base).suffix.lower()
    stem = f"{key}-{label}".replace("/", "-")
    target = folder / f"{stem}{suffix}"
    if target.exists() and target.read_bytes() != data:
        target = folder / f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"
    if not target.exists():
        temp = target.with_suffix(target.suffix + ".part")
        temp.write_bytes(data)
        temp.replace(target)
    return target.relative_to(settings.config_path.parent).as_posix()


def policy_from_upload(
    settings: Settings,
    existing: list[PolicyConfig],
    base: str,
    data: bytes,
    imported: ImportedPolicy,
    today: date,
    *,
    into: PolicyConfig | None = None,
    version_label: str | None = None,
) -> UploadedPolicy:
    """The settings entry for an uploaded document: a new policy, or a new version of the
    policy with the same title (or of ``into``); the document is kept beside school.yaml.

    A title the document does not make clear is taken from its first heading or file name
    for now and asked about (``needs_answer``); a version the document does not state is
    "not stated", and staff see the dated label (``version_label`` if the school typed one).
    What it found and asks is said where shown (the upload page)."""
    item = intake_of(Path(base), imported)
    title = into.title if into is not None else item.provisional_title
    key = into.id if into is not None else policy_key(title)
    current = into or next((p for p in existing if p.id == key), None)
    notes: list[Text] = []
    dates = item.dates(notes)
    label = item.version_label(
        dates, today, taken={current.version} if current else set(), chosen=version_label
    )
    entry: dict[str, Any] = (
        dict(current.model_dump(mode="python"))
        if current
        else {**item.entry(today, title=title), "aup": "acceptable use" in title.lower()}
    )
    entry.update(
        version=label,
        document=Path(_store_document(settings, key, label, base, data)),
        published=today,
        statement=None,
    )
    found = _found(
        title,
        bool(imported.title or into),
        label,
        item.stated_version,
        chosen=version_label,
        dates=dates,
    )
    dated = current or dates.next_review or dates.last_reviewed or dates.ratified
    needs: list[Text] = (
        [] if dated else [Msg(N_("the next review date: the document does not state one"))]
    )
    if imported.title is None and into is None:  # a title the document does not make clear
        needs.insert(0, _unclear_title(title, imported.title_guess))
    return UploadedPolicy(base, entry, current is None, found + notes, needs, asks_review=not dated)


def _unclear_title(title: str, guess: Found[str] | None) -> Msg:
    """The question of a title the document does not make clear (the guess's reason too)."""
    if guess is None:
        return Msg(
            N_(
                "the title: not clear from the document — it names none; “%(title)s” is "
                "the file's name"
            ),
            title=title,
        )
    return Msg(
        N_("the title: not clear from the document — is it “%(title)s”? (%(note)s)"),
        title=title,
        note=guess.note or "",
    )


def _found(
    title: str, confirmed: bool, label: str, stated: str | None, *, chosen: str | None, dates: Dates
) -> list[Text]:
    """What the upload page says it found: the title (for now, if not ``confirmed``), the
    version (or the label staff will see) and the dates stored."""
    if stated == label:
        version = N_("version %(label)s")
    elif chosen:
        version = N_("version: not stated in the document; staff see “%(label)s”")
    else:
        version = N_(
            "version: not stated in the document; staff see “%(label)s” (change it "
            "by typing the label to show)"
        )
    said: list[Text] = [
        Msg(
            N_("title “%(title)s”")
            if confirmed
            else N_("title “%(title)s” (for now: please confirm it)"),
            title=title,
        ),
        Msg(version, label=label),
    ]
    return said + [
        Msg(what, day=Dated(value, "%d %B %Y", "d MMMM y"))
        for what, value in (
            (N_("next review %(day)s"), dates.next_review),
            (N_("last reviewed %(day)s"), dates.last_reviewed),
            (N_("ratified %(day)s"), dates.ratified),
        )
        if value is not None
    ]


def upload_checks(
    settings: Settings,
    existing: list[PolicyConfig],
    uploads: list[tuple[str, ImportedPolicy, bytes]],
    school_name: str,
    dsl_names: list[str],
    *,
    dsl: str = "DSL",
) -> tuple[dict[str, list[Text]], set[str]]:
    """What a person should check of each uploaded document (another school or DSL named),
    and the documents left out: a copy in another format (a Word and a PDF of one policy) of
    one before it, or of the registered document of the policy of its title, as ``policies
    import`` checks the register (a copy is not a new version: staff would be asked to read
    again what they have read). Returns (checks by file name, file names to leave out)."""
    checks: dict[str, list[Text]] = {}
    left_out: set[str] = set()
    for index, (name, imported, data) in enumerate(uploads):
        checks[name] = list(not_ours(imported, school_name, dsl_names, dsl=dsl))
        first = next(
            (
                other
                for other, earlier, _ in uploads[:index]
                if other not in left_out and same_document(earlier, imported)
            ),
            None,
        )
        if first is not None:
            said = Msg(
                N_(
                    "%(name)s is the same document as %(first)s (a copy in another format): "
                    "%(first)s is used, %(name)s is not added again"
                ),
                name=name,
                first=first,
            )
        elif registered := _registered_copy(settings, existing, imported, data):
            said = Msg(
                N_(
                    "%(name)s is the same document as %(registered)s, already registered "
                    "(a copy in another format): %(name)s is not added again"
                ),
                name=name,
                registered=registered,
            )
        else:
            continue
        left_out.add(name)
        checks[name].append(said)
    return checks, left_out


def _registered_copy(
    settings: Settings, existing: list[PolicyConfig], imported: ImportedPolicy, data: bytes
) -> str | None:
    """The registered document (the policy of the same title's) an upload is a copy of in
    another format: that file's name, else None."""
    title = imported.title.value if imported.title else None
    current = next((p for p in existing if title and p.id == policy_key(str(title))), None)
    if current is None or current.document is None:
        return None
    path = settings.config_path.parent / current.document
    try:
        held = path.read_bytes()
    except OSError:
        return None
    return path.name if copy_of(imported, data, path.name, held) else None


@dataclass(frozen=True)
class Preview:
    """The dashboard's preview banner: reminders the last check planned and held."""

    planned: int | None  # None: no check has run since setup


def preview_of(session: Session, school_id: str) -> Preview | None:
    """None once sending has started; otherwise what the newest check planned and held."""
    if is_sending(session, school_id):
        return None
    stats = session.scalar(
        select(SweepRun.stats)
        .where(SweepRun.school_id == school_id)
        .order_by(SweepRun.id.desc())
        .limit(1)
    )
    planned = (stats or {}).get("preview_reminders")
    return Preview(int(planned) if isinstance(planned, int) else None)
