"""Proof of reading, where the school asks for it (``proof_of_reading`` on the requirement):
each page of a PDF, or each section of a Word, Markdown or text document (split at its
headings), is its own page of the reading, recorded on the server when it is shown; the
acknowledgement is refused until every one has been shown and, with a check, until an attempt
has passed. "Pages seen of total" is kept with the acknowledgement; every attempt is kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import ReadingProof
from bot.core.files.documents import show_document
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_, Msg
from bot.core.models import Duty, PageSeen, Person, PolicyVersion, ReadingCheck

__all__ = [
    "Progress",
    "ProofNeededError",
    "Section",
    "check_answers",
    "progress",
    "proof_for",
    "sections",
    "show_section",
]


class ProofNeededError(SaidError, ValueError):
    """The acknowledgement waits for the reading (or the check); ``msg`` says what is left."""


@dataclass(frozen=True)
class Section:
    """One page or section of the reading: its title and its content as safe HTML."""

    title: str
    html: str
    page: int | None = None  # a PDF's page number (its title is then "Page n", translated)


@dataclass(frozen=True)
class Progress:
    """How far a person is: pages seen of the total, and whether the check (if any) passed."""

    seen: frozenset[int]
    total: int
    passed: bool
    attempts: int

    @property
    def read_all(self) -> bool:
        """Every page or section has been shown."""
        return len(self.seen) >= self.total

    def missing(self) -> Msg | None:
        """What is left before the acknowledgement, in words (None: nothing)."""
        if not self.read_all:
            return Msg(
                N_("Please read every page first: you have seen %(seen)d of %(total)d."),
                seen=len(self.seen),
                total=self.total,
            )
        if not self.passed:
            return Msg(N_("Please answer the short check about the policy first."))
        return None


def proof_for(duty: Duty) -> ReadingProof | None:
    """The proof of reading the duty's requirement asks for (None: one click is enough)."""
    spec = (duty.requirement.spec or {}).get("proof_of_reading") if duty.requirement else None
    return ReadingProof.model_validate(spec) if spec else None


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def sections(version: PolicyVersion) -> list[Section]:
    """The document's pages (a PDF) or sections (split before each heading), at least one."""
    shown = show_document(version.document_name, version.document, version.sha256)
    if shown.kind == "pdf":
        return [
            Section(
                f"Page {n}",
                f"<p>{html.escape(text)}</p>"
                if text
                else "<p>(This page has no text: see the document.)</p>",
                n,
            )
            for n, text in enumerate(shown.pages, start=1)
        ]
    if shown.kind != "html":
        return [
            Section(
                "The document",
                "<p>This document cannot be shown in the page: "
                f"{html.escape(shown.problem)}. Please download it and read it.</p>",
            )
        ]
    levels = re.findall(r"<h([2-6])[ >]", shown.html)  # sections: the top level used twice
    level = min((n for n in set(levels) if levels.count(n) > 1), default="7")
    parts = [p for p in re.split(rf"(?=<h{level}[ >])", shown.html) if _text(p)]
    out = []
    for part in parts or [shown.html]:
        heading = re.search(r"<h[2-6][^>]*>(.*?)</h[2-6]>", part, re.DOTALL)
        out.append(Section(_text(heading[1]) if heading else "Introduction", part))
    return out


def progress(session: Session, duty: Duty, version: PolicyVersion, proof: ReadingProof) -> Progress:
    """The person's progress through this duty's reading."""
    seen = frozenset(session.scalars(select(PageSeen.page).where(PageSeen.duty_id == duty.id)))
    attempts = session.scalar(select(func.count()).where(ReadingCheck.duty_id == duty.id))
    passed = session.scalar(
        select(ReadingCheck.id)
        .where(ReadingCheck.duty_id == duty.id, ReadingCheck.passed.is_(True))
        .limit(1)
    )
    total = len(sections(version)) if proof.every_page else 0
    return Progress(seen, total, not proof.questions or passed is not None, int(attempts or 0))


def show_section(session: Session, duty: Duty, number: int, now: datetime) -> None:
    """Record that page or section ``number`` (from 1) was shown for this duty (once)."""
    exists = session.scalar(
        select(PageSeen.id).where(PageSeen.duty_id == duty.id, PageSeen.page == number)
    )
    if exists is None:
        session.add(PageSeen(school_id=duty.school_id, duty_id=duty.id, page=number, at=now))
        session.flush()


def check_answers(
    session: Session,
    duty: Duty,
    version: PolicyVersion,
    person: Person,
    proof: ReadingProof,
    answers: Mapping[str, str],
    now: datetime,
) -> ReadingCheck:
    """Mark one attempt at the check (``answers``: ``q1`` -> the choice's number) and keep it."""
    right = sum(
        1
        for n, q in enumerate(proof.questions, start=1)
        if answers.get(f"q{n}", "").strip() == str(q.answer)
    )
    check = ReadingCheck(
        school_id=duty.school_id,
        duty_id=duty.id,
        policy_version_id=version.id,
        person_id=person.id,
        right=right,
        questions=len(proof.questions),
        passed=right >= proof.needed,
        at=now,
    )
    session.add(check)
    session.flush()
    audit.record(
        session,
        actor=person.email,
        action="policy.reading_check",
        object_type="policy_version",
        object_id=version.id,
        school_id=duty.school_id,
        details={
            "duty": duty.id,
            "right": right,
            "of": len(proof.questions),
            "passed": check.passed,
        },
    )
    return check
