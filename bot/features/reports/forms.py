"""External forms (Microsoft Forms, Google Forms): their answers mapped onto submissions, and
new responses pulled into the tracked list once each (``read_form``, ``poll_forms``).

A response that cannot be read is never guessed at and never stops the rest: it is skipped,
flagged once to the DSL team and the school's admins (an email that names where it is and what
is wrong, never what it says), and kept as an open problem until a read finds it readable or
gone, or a person dismisses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import audit
from bot.core.config import OrgConfig, SchoolConfig
from bot.core.database.store import Store, dialect_insert
from bot.core.guards.emails import is_email
from bot.core.language.i18n import N_, Msg
from bot.core.models import ConnectorState, Report, utcnow
from bot.core.outbox import Urgency, enqueue_email
from bot.core.ports import ConnectorError, FormResponse, FormSource, UnreadableResponse
from bot.core.rendering.messages import notice
from bot.engine.config_sync import ensure_school
from bot.features.reports.intake import submit_report
from bot.features.reports.rules import CATEGORIES, MAX_NAMES, MAX_WHAT, is_suspected_illegal
from bot.features.reports.submission import Submission, clean_text

__all__ = [
    "DEFAULT_FORM_QUESTIONS",
    "FORMS_STATE_KEY",
    "FormPoll",
    "FormProblem",
    "FormRead",
    "answer_problems",
    "dismiss_problem",
    "form_problems",
    "poll_forms",
    "read_form",
    "submission_from_answers",
]

log = logging.getLogger(__name__)

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
PROBLEM_PREFIX = "reports.forms.unreadable:"
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
# the yes/no questions whose misreading would send a report to the wrong people
_YES_NO_KEYS = ("about_headteacher", "suspected_illegal")


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


def _yes_no(answer: str) -> bool | None:
    """A yes/no answer by its first word ("Yes, the head" is yes); blank is no; else None."""
    words = re.findall(r"[a-z0-9]+", answer.lower())
    if not words:
        return False
    if words[0] in _YES:
        return True
    return False if words[0] in _NO else None


def answer_problems(answers: Mapping[str, str]) -> list[str]:
    """Why a response's answers cannot be read safely (none: fine), naming the question only.

    A yes/no question answered with something else ("Not sure") is not guessed at: read as
    "no", a report about the headteacher would be shown to the headteacher.
    """
    return [
        f"the answer to '{DEFAULT_FORM_QUESTIONS[key]}' is neither yes nor no"
        for key in _YES_NO_KEYS
        if _yes_no(_answer(answers, key)) is None
    ]


def _answer(answers: Mapping[str, str], key: str) -> str:
    """The answer to the question ``key`` (its title, in any case), cleaned; blank when not
    answered."""
    wanted = DEFAULT_FORM_QUESTIONS[key].strip().lower()
    for question, value in answers.items():
        if question.strip().lower() == wanted:
            return clean_text(str(value))
    return ""


def submission_from_answers(
    answers: Mapping[str, str], respondent_email: str | None = None
) -> Submission:
    """Map an external form's answers onto a submission; lenient (forms cannot be re-asked)."""
    involved_text = _answer(answers, "involved")[:MAX_NAMES]
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
    name = _answer(answers, "reporter_name")[:200] or None
    email = (_answer(answers, "reporter_email") or respondent_email or "").strip()
    email_ok = email.lower() if email and is_email(email) else None
    category = _match_category(_answer(answers, "category"))

    def yes(key: str) -> bool:
        return _yes_no(_answer(answers, key)) is True

    return Submission(
        category=category,
        involved=involved,
        what_happened=_answer(answers, "what_happened")[:MAX_WHAT] or "(left blank on the form)",
        occurred=_answer(answers, "occurred")[:60] or None,
        location=_answer(answers, "location")[:200] or None,
        actions_taken=None,
        suspected_illegal=is_suspected_illegal(category, yes("suspected_illegal")),
        about_headteacher=yes("about_headteacher"),
        anonymous=not name and not email_ok,
        reporter_name=name,
        reporter_email=email_ok,
    )


def _belongs(response: FormResponse, school: SchoolConfig, default_school: bool) -> bool:
    """Whether a response is for this school (its 'School' answer, else the first school)."""
    named = _answer(response.answers, "school").lower()
    if not named:
        return default_school
    return named in (school.id.lower(), school.name.lower())


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class FormProblem:
    """A response the bot could not read: where it is, what is wrong, when it was first seen,
    and who dismissed it (None while it is open)."""

    key: str
    where: str
    problem: str
    seen: datetime
    dismissed_by: str | None = None


def _state_key(key: str) -> str:
    """The ConnectorState key for a problem (long response ids are hashed to fit 120)."""
    name = PROBLEM_PREFIX + key
    if len(name) <= 120:
        return name
    return PROBLEM_PREFIX + "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _problem_rows(
    session: Session, school_id: str
) -> dict[str, tuple[ConnectorState, FormProblem]]:
    """The school's recorded problems by response key, with their rows."""
    rows = session.scalars(
        select(ConnectorState).where(
            ConnectorState.school_id == school_id,
            ConnectorState.key.startswith(PROBLEM_PREFIX, autoescape=True),
        )
    )
    found: dict[str, tuple[ConnectorState, FormProblem]] = {}
    for row in rows:
        data = json.loads(row.value)
        problem = FormProblem(**{**data, "seen": datetime.fromisoformat(data["seen"])})
        found[problem.key] = (row, problem)
    return found


def _problem_json(problem: FormProblem) -> str:
    return json.dumps({**asdict(problem), "seen": problem.seen.isoformat()})


def _audit_problem(
    session: Session,
    school_id: str,
    action: str,
    key: str,
    actor: str = "system:forms",
    **details: str,
) -> None:
    """Audit an event on a response that could not be read (never what it says)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="form_response",
        object_id=key[:120],
        school_id=school_id,
        details=details or None,
    )


def form_problems(session: Session, school_id: str) -> list[FormProblem]:
    """The school's form responses that could not be read and are not yet resolved, oldest
    first (dismissed ones included, marked by ``dismissed_by``)."""
    return sorted(
        (p for _, p in _problem_rows(session, school_id).values()), key=lambda p: (p.seen, p.key)
    )


def dismiss_problem(session: Session, school_id: str, key: str, *, actor: str) -> bool:
    """Mark a problem as dealt with by a person (recorded another way); False if not found.

    It stops being listed as open and stops the bot re-reading the whole form for it; the
    response is still read if it becomes readable (a report is then made as usual).
    """
    match = _problem_rows(session, school_id).get(key)
    if match is None:
        return False
    row, problem = match
    row.value = _problem_json(replace(problem, dismissed_by=actor))
    _audit_problem(session, school_id, "report.form_problem_dismissed", key, actor)
    return True


def _flag_recipients(school: SchoolConfig) -> list[str]:
    """The DSL and deputies (the headteacher when there are none) and the school's admins."""
    team: list[str] = [*school.dsl, *school.deputy_dsl] or [school.headteacher]
    return list(dict.fromkeys(e.lower() for e in [*team, *school.admins]))


def _flag(session: Session, school: SchoolConfig, item: UnreadableResponse, now: datetime) -> None:
    """Record a new problem and queue its one content-free email (keyed by the response)."""
    problem = FormProblem(item.key, item.where, item.problem, now)
    ConnectorState.put(session, school.id, _state_key(item.key), _problem_json(problem))
    _audit_problem(
        session,
        school.id,
        "report.form_unreadable",
        item.key,
        where=item.where,
        problem=item.problem,
    )
    draft = notice(
        school=school,
        to=_flag_recipients(school),
        subject=Msg(N_("A response to the concern form could not be read")),
        paragraphs=[
            Msg(
                N_(
                    "A response to %(school)s's concern form could not be read, so it has not "
                    "become a report and nobody has been told what it says. It may be a "
                    "safeguarding concern: please have it looked at now."
                ),
                school=school.name,
            ),
            Msg(
                N_(
                    "To fix it, correct the response where it is kept: the bot reads it again "
                    "within a minute and makes the report as usual. If it cannot be corrected, "
                    "read it there and record it with the bot's report form. Whoever runs the "
                    "bot can list every response still waiting with “compliance-bot reports "
                    "form-problems”."
                )
            ),
        ],
        # where and what: the platform's own names for its fields (platform text)
        facts=[(Msg(N_("Where it is")), item.where), (Msg(N_("What is wrong")), item.problem)],
        small=Msg(
            N_(
                "You receive this as the school's safeguarding lead or deputy, or as an "
                "administrator of the bot. For privacy this email does not say what the "
                "response says."
            )
        ),
    )
    digest = hashlib.sha256(item.key.encode()).hexdigest()[:24]
    enqueue_email(
        session,
        school_id=school.id,
        key=f"form-unreadable:{school.id}:{digest}",
        purpose="report_alert",  # an alert to the safeguarding team about a new report
        urgency=Urgency.SAFEGUARDING,
        draft=draft,
    )


# --------------------------------------------------------------------------- reading


@dataclass
class FormRead:
    """What one read of the form did for one school."""

    stored: int = 0  # new reports
    flagged: int = 0  # responses newly found unreadable (each told once)
    problems: list[FormProblem] = field(default_factory=list)  # still open after the read


def _claim_position(session: Session, school_id: str) -> datetime | None:
    """Lock the school's read position for this transaction and return it (None: never read).

    Taken before anything is read, so two overlapping reads (the minute's poll and a
    ``reports ingest``) follow one another: the second waits, then sees what the first stored.
    PostgreSQL: the row lock (``FOR UPDATE``) lasts until commit; SQLite: the insert takes the
    database's write lock, which also lasts until commit.
    """
    session.execute(
        dialect_insert(session, ConnectorState)
        .values(school_id=school_id, key=FORMS_STATE_KEY, value="", updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["school_id", "key"])
    )
    value = session.scalars(
        select(ConnectorState.value)
        .where(ConnectorState.school_id == school_id, ConnectorState.key == FORMS_STATE_KEY)
        .with_for_update()
    ).one()
    return datetime.fromisoformat(value) if value else None


def _stored(session: Session, ref: str) -> bool:
    return session.scalar(select(Report.id).where(Report.source_ref == ref)) is not None


def read_form(
    session: Session,
    forms: FormSource,
    school: SchoolConfig,
    *,
    now: datetime,
    base_url: str,
    channel_card: bool = False,
    default_school: bool = True,
) -> FormRead:
    """Pull new external-form responses into the tracked list, once each (by response id).

    The clock starts when the response was submitted. The last-seen submission time is kept
    in ConnectorState; the next pull asks from a day before it, because a response can arrive
    late and out of order (a flow run delayed or retried): the overlap is read again and
    skipped by response id, so nothing submitted is ever missed.

    A response that cannot be read is skipped and flagged (once: :func:`_flag`); the read
    position still moves on with the readable ones. While any problem is open the whole form
    is read, so a corrected response is found whatever its time; a problem whose response is
    then readable, or gone, is resolved. Responses no school can be sure of (no id, no time)
    are the first school's to flag.
    """
    ensure_school(session, school)
    since = _claim_position(session, school.id)
    recorded = _problem_rows(session, school.id)
    whole = any(p.dismissed_by is None for _, p in recorded.values())
    result = FormRead()
    latest = since
    unreadable: dict[str, UnreadableResponse] = {}
    ask = None if whole or since is None else since - FORMS_OVERLAP
    for response in forms.responses(ask):
        if isinstance(response, UnreadableResponse):
            if default_school and not _stored(session, response.key[:120]):
                unreadable[response.key] = response
            continue
        if latest is None or response.submitted_at > latest:
            latest = response.submitted_at
        if not _belongs(response, school, default_school):
            continue
        ref = str(response.response_id)[:120]
        if _stored(session, ref):
            continue
        problems = answer_problems(response.answers)
        if problems:
            unreadable[ref] = UnreadableResponse(
                key=ref, where=f"the form's response {ref}", problem="; ".join(problems)
            )
            continue
        sub = submission_from_answers(response.answers, response.respondent_email)
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
        result.stored += 1
    result.flagged += _settle(session, school, unreadable, recorded, now, whole=ask is None)
    if latest is not None and latest != since:
        ConnectorState.put(session, school.id, FORMS_STATE_KEY, latest.isoformat())
    session.flush()
    result.problems = [p for p in form_problems(session, school.id) if p.dismissed_by is None]
    return result


def _settle(
    session: Session,
    school: SchoolConfig,
    unreadable: Mapping[str, UnreadableResponse],
    recorded: Mapping[str, tuple[ConnectorState, FormProblem]],
    now: datetime,
    *,
    whole: bool,
) -> int:
    """``read_form``'s problems after a read: each unreadable response not flagged before is
    flagged (how many returned); when the ``whole`` form was read, what is no longer
    unreadable is resolved."""
    flagged = 0
    for key, item in unreadable.items():
        if key not in recorded:
            _flag(session, school, item, now)
            flagged += 1
    if whole:  # the whole form was read: what is no longer unreadable is resolved
        for key, (row, _) in recorded.items():
            if key not in unreadable:
                session.delete(row)
                _audit_problem(session, school.id, "report.form_problem_resolved", key)
    return flagged


_Responses = Sequence[FormResponse | UnreadableResponse]  # what a form source answers


class _ReadOnce:
    """A form source that answers every school of one poll from one read where it can.

    A trust's schools share one form: reading it once per school would multiply the platform
    calls by the number of schools every minute. A later ask for a later ``since`` is served
    from the earlier read, filtered (unreadable responses always pass: they have no time).
    """

    def __init__(self, forms: FormSource) -> None:
        self._forms = forms
        self._read: tuple[datetime | None, _Responses] | None = None

    def responses(self, since: datetime | None = None) -> _Responses:
        """As the wrapped source; served from the earlier read when it covers ``since``."""
        if self._read is not None:
            asked, got = self._read
            if asked is None or (since is not None and since >= asked):
                return [
                    r
                    for r in got
                    if isinstance(r, UnreadableResponse) or since is None or r.submitted_at > since
                ]
        got = self._forms.responses(since)
        self._read = (since, got)
        return got


@dataclass(frozen=True)
class FormPoll:
    """What one poll of the external form did, over every school."""

    stored: int = 0
    flagged: int = 0
    problems: int = 0  # open problems left, over every school
    errors: tuple[str, ...] = ()  # schools whose read failed, with the connector's reason


def poll_forms(
    store: Store,
    config: OrgConfig,
    forms: FormSource,
    *,
    now: datetime,
    base_url: str,
    channel_card: bool = False,
) -> FormPoll:
    """Read the external form for every school, each in its own short transaction.

    What the scheduler runs every minute, so that an urgent concern made on a Microsoft or
    Google form reaches the DSL team as fast as one made on the bot's own form. Safe to
    overlap with itself or ``reports ingest``: see :func:`_claim_position`.
    """
    once = _ReadOnce(forms)
    stored = flagged = problems = 0
    errors: list[str] = []
    first = config.schools[0].id if config.schools else None
    for school in config.schools:
        try:
            with store.transaction() as session:
                read = read_form(
                    session,
                    once,
                    school,
                    now=now,
                    base_url=base_url,
                    channel_card=channel_card,
                    default_school=school.id == first,
                )
        except ConnectorError as exc:
            log.warning("forms %s: responses not read: %s", school.id, exc)
            errors.append(f"{school.name}: {exc}")
            continue
        stored += read.stored
        flagged += read.flagged
        problems += len(read.problems)
    return FormPoll(stored, flagged, problems, tuple(errors))
