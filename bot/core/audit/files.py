"""``audit verify`` re-hashes what the records point at: report and decision files on disk,
training certificates (present), and each stored policy document against its fingerprint.

A record's seal covers the fingerprint it stores (``sha256``), not the file: someone who can
write to the uploads folder could otherwise replace or delete a report's evidence unseen.
Files are read in pieces, one at a time (``hashlib.file_digest``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.files.stored_files import stored_path
from bot.core.models import (
    Decision,
    DecisionAttachment,
    Person,
    Policy,
    PolicyVersion,
    Report,
    ReportAttachment,
    TrainingRecord,
)

__all__ = ["check_contents", "file_sha256"]


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _file_problem(path: Path, sha256: str, what: str) -> str | None:
    """What is wrong with a stored file, in plain words (None when it is as recorded)."""
    if not path.is_file():
        return f"{what} is missing from the uploads folder: it was deleted or moved."
    found = file_sha256(path)
    if found is None:
        return f"{what} cannot be read from the uploads folder."
    if found != sha256:
        return f"{what} was changed or replaced on disk (it no longer matches its fingerprint)."
    return None


def check_contents(session: Session, uploads_dir: Path | None, add: Callable[[str], None]) -> None:
    """Name every stored file or document that no longer matches what its record says."""
    for label, title, sha, document in session.execute(
        select(PolicyVersion.label, Policy.title, PolicyVersion.sha256, PolicyVersion.document)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .order_by(PolicyVersion.id)
        .execution_options(yield_per=20)
    ):
        if hashlib.sha256(document).hexdigest() != sha:
            add(
                f"The stored document of {title} version {label} does not match its "
                "fingerprint: it was changed after it was published."
            )
    if uploads_dir is None:
        return
    kept = (  # (file table, what it hangs on, its folder, how a person names it)
        (
            ReportAttachment,
            Report.reference,
            Report.id == ReportAttachment.report_id,
            "reports",
            "attached to report {}",
        ),
        (
            DecisionAttachment,
            Decision.id,
            Decision.id == DecisionAttachment.decision_id,
            "decisions",
            "kept with decision #{}",
        ),
    )
    for table, owner, join, folder, where in kept:
        for school_id, stored_as, sha, filename, held_by in session.execute(
            select(table.school_id, table.stored_as, table.sha256, table.filename, owner)
            .join(owner.class_, join)
            .order_by(table.id)
        ):
            path = stored_path(uploads_dir, folder, school_id, stored_as)
            if problem := _file_problem(path, sha, f"The file {filename} {where.format(held_by)}"):
                add(problem)
    for certificate, course, email in session.execute(
        select(TrainingRecord.certificate_path, TrainingRecord.course, Person.email)
        .join(Person, Person.id == TrainingRecord.person_id)
        .where(TrainingRecord.certificate_path.is_not(None))
        .order_by(TrainingRecord.id)
    ):
        path = uploads_dir / Path(str(certificate))
        if uploads_dir.resolve() not in path.resolve().parents or not path.is_file():
            add(
                f"The certificate of {email}'s {course} training is missing from the uploads "
                "folder: it was deleted or moved."
            )
