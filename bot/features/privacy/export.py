"""A subject access export as the person receives it: one zip of a manifest (what each file
holds, its rows and SHA-256), a CSV per kind of record and a readable PDF in their language.
What is listed for the DSL's review is never in it; each export audited (which kinds, how many
rows, how many listed for review; never content)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.days.clock import LONDON
from bot.core.language.i18n import person_language, say, speaking
from bot.core.language.words import csv_text, zip_files
from bot.core.models import Complaint, Person
from bot.core.rendering.pdf import A4Report
from bot.features.privacy.access import Held, gather
from bot.features.privacy.service import audit_complaint

__all__ = ["export_zip", "subject_access"]


def subject_access(
    session: Session,
    school: SchoolConfig,
    request: Complaint,
    person: Person,
    actor: str,
    made: datetime,
) -> tuple[bytes, Held]:
    """The zip answering ``request`` for ``person``, in their language, and what it holds;
    audited."""
    language = person_language(school.language, person.language)
    with speaking(language):
        held = gather(session, school, person)
        data = export_zip(held, school.name, request.reference, language, made)
    kinds = {s.filename: len(s.rows) for s in held.sections}
    review = len(held.review)
    audit_complaint(
        session, school, actor, "privacy.access_exported", request, kinds=kinds, for_review=review
    )
    return data, held


def _pdf(held: Held, school_name: str, reference: str, language: str, made: datetime) -> bytes:
    title = say("Personal data held about %(name)s", name=held.person.display_name)
    doc = A4Report(title, language, made, of=school_name)
    doc.text(
        say(
            "%(school)s holds this data about you in its policy and training system, as of %(day)s "
            "(request %(reference)s). Each section is also a CSV file in this zip.",
            school=school_name,
            day=made.astimezone(LONDON).date().isoformat(),
            reference=reference,
        )
    )
    for section in held.sections:
        doc.text(section.title, "Heading2")
        doc.table([section.header, *section.rows], say("None held."))
    return doc.render()


def export_zip(
    held: Held, school_name: str, reference: str, language: str, made: datetime
) -> bytes:
    """The zip the person receives (said in ``language``, the active one)."""
    files = {s.filename: csv_text(s.header, s.rows).encode("utf-8") for s in held.sections}
    files["personal-data.pdf"] = _pdf(held, school_name, reference, language, made)
    rows = {s.filename: len(s.rows) for s in held.sections}
    manifest = {
        "school": school_name,
        "person": held.person.email,
        "request": reference,
        "made": made.isoformat(),
        "files": [
            {
                "name": name,
                "title": next((s.title for s in held.sections if s.filename == name), ""),
                "rows": rows.get(name),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for name, data in sorted(files.items())
        ],
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    return zip_files(files, made.astimezone(LONDON))
