"""External forms (Microsoft Forms, Google Forms): their answers mapped onto submissions, and
new responses pulled into the tracked list once each (``ingest_responses``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import SchoolConfig
from bot.core.models import Report
from bot.features.reports.intake import submit_report
from bot.features.reports.rules import (
    CATEGORIES,
    EMAIL_PATTERN,
    MAX_NAMES,
    MAX_WHAT,
    Submission,
    clean_text,
    is_suspected_illegal,
)
from bot.features.reports.state import ensure_school, load_state, save_state
from connectors.base import FormResponse, FormSource

__all__ = [
    "DEFAULT_FORM_QUESTIONS",
    "FORMS_STATE_KEY",
    "ingest_responses",
    "submission_from_answers",
]

DEFAULT_FORM_QUESTIONS: dict[str, str] = {
    "category": "Category",
    "what_happened": "What happened",
    "occurred": "When",
    "location": "Where",
    "involved": "Who was involved",
    "reporter_name": "Your name",
    "reporter_email": "Your email",
    "about_headteacher": "Is this about the headteacher?",
    "suspected_illegal": "Does it involve nude or semi-nude images?",
    "school": "School",
}
FORMS_STATE_KEY = "reports.forms.last_seen"
FORMS_OVERLAP = timedelta(days=1)  # responses can arrive late and out of order


def _questions(school: SchoolConfig) -> dict[str, str]:
    """Question titles (``reports.form_questions`` when the config has it, else defaults)."""
    configured = getattr(school.reports, "form_questions", None) or {}
    return {**DEFAULT_FORM_QUESTIONS, **dict(configured)}


def _match_category(answer: str) -> str:
    """A category from a form's answer (label or key, any case); unknown ones are "other"."""
    norm = re.sub(r"[^a-z]+", " ", answer.lower()).strip()
    if not norm:
        return "other"
    for key, label in CATEGORIES.items():
        if norm in (key.replace("_", " "), re.sub(r"[^a-z]+", " ", label.lower()).strip()):
            return key
    for key, words in (
        ("nude_images", ("nude", "sexting", "semi nude")),
        ("cyberbullying", ("cyberbully", "cyber bully", "online bully")),
        ("data_breach", ("data breach", "personal data", "gdpr")),
        ("filtering", ("filter", "monitoring")),
        ("staff_concern", ("member of staff", "staff conduct", "allegation")),
        ("mobile_device", ("mobile", "phone")),
        ("social_media", ("social media",)),
        ("visitor", ("visitor",)),
    ):
        if any(w in norm for w in words):
            return key
    return "other"


def _answer(answers: Mapping[str, str], title: str) -> str:
    wanted = title.strip().lower()
    for question, value in answers.items():
        if question.strip().lower() == wanted:
            return clean_text(str(value))
    return ""


def submission_from_answers(
    answers: Mapping[str, str], questions: Mapping[str, str], respondent_email: str | None = None
) -> Submission:
    """Map an external form's answers onto a submission; lenient (forms cannot be re-asked)."""
    involved_text = _answer(answers, questions["involved"])[:MAX_NAMES]
    lowered = involved_text.lower()
    roles = [
        role
        for role, words in (
            ("pupil", ("pupil", "student", "child", "year ")),
            ("staff", ("staff", "teacher", "assistant", "tutor")),
            ("parent", ("parent", "carer", "mum", "dad")),
            ("visitor", ("visitor", "contractor")),
        )
        if any(w in lowered for w in words)
    ] or ["unknown"]
    involved = tuple(
        (role, involved_text if index == 0 else "") for index, role in enumerate(roles)
    )
    name = _answer(answers, questions["reporter_name"])[:200] or None
    email = (_answer(answers, questions["reporter_email"]) or respondent_email or "").strip()
    email_ok = email.lower() if email and len(email) <= 320 and EMAIL_PATTERN.match(email) else None
    category = _match_category(_answer(answers, questions["category"]))

    def yes(key: str) -> bool:
        return _answer(answers, questions.get(key, "")).lower().startswith(("y", "true"))

    return Submission(
        category=category,
        involved=involved,
        what_happened=_answer(answers, questions["what_happened"])[:MAX_WHAT]
        or "(left blank on the form)",
        occurred=_answer(answers, questions["occurred"])[:60] or None,
        location=_answer(answers, questions["location"])[:200] or None,
        actions_taken=None,
        suspected_illegal=is_suspected_illegal(category, yes("suspected_illegal")),
        about_headteacher=yes("about_headteacher"),
        anonymous=not name and not email_ok,
        reporter_name=name,
        reporter_email=email_ok,
    )


def _belongs(
    response: FormResponse, school: SchoolConfig, questions: Mapping[str, str], default_school: bool
) -> bool:
    """Whether a response is for this school (its 'School' answer, else the first school)."""
    named = _answer(response.answers, questions["school"]).lower()
    if not named:
        return default_school
    return named in (school.id.lower(), school.name.lower())


def ingest_responses(
    session: Session,
    forms: FormSource,
    school: SchoolConfig,
    *,
    now: datetime,
    base_url: str,
    channel_card: bool = False,
    default_school: bool = True,
) -> int:
    """Pull new external-form responses into the tracked list, once each (by response id).

    The clock starts when the response was submitted. The last-seen submission time is kept
    in ConnectorState; the next pull asks from a day before it, because a response can arrive
    late and out of order (a flow run delayed or retried): the overlap is read
    again and skipped by response id, so nothing submitted is ever missed.
    """
    ensure_school(session, school)
    state = load_state(session, school.id, FORMS_STATE_KEY)
    since = datetime.fromisoformat(state.value) if state else None
    questions = _questions(school)
    created = 0
    latest = since
    for response in forms.responses(since - FORMS_OVERLAP if since else None):
        if latest is None or response.submitted_at > latest:
            latest = response.submitted_at
        if not _belongs(response, school, questions, default_school):
            continue
        ref = str(response.response_id)[:120]
        if session.scalar(select(Report.id).where(Report.source_ref == ref)) is not None:
            continue
        sub = submission_from_answers(response.answers, questions, response.respondent_email)
        submit_report(
            session,
            school,
            sub,
            now=min(response.submitted_at, now),
            base_url=base_url,
            actor="system:forms",
            source="form",
            source_ref=ref,
            channel_card=channel_card,
        )
        created += 1
    if latest is not None and latest != since:
        save_state(session, school.id, FORMS_STATE_KEY, latest.isoformat())
    return created
