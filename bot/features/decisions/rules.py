"""The register's pure rules: kinds and labels, checking the forms, review state, the reference
format, and which review reminder stage is due and what its subject says."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.config import Cadence
from bot.core.guards.forms import FormErrors, Text, clean_field, parse_iso_date
from bot.core.language.i18n import N_, Day, Msg, nmsg
from bot.engine.reminders import reminder_stages

__all__ = [
    "DECISION_CADENCE",
    "DECISION_KINDS",
    "DUE_SOON_DAYS",
    "MAX_REVIEW_YEARS",
    "MAX_TEXT",
    "REVIEW_KEY_PREFIX",
    "SHORT_KINDS",
    "SUBJECT_TYPES",
    "YEAR_GROUPS",
    "DecisionInput",
    "DecisionInputError",
    "decision_reference",
    "review_key",
    "review_recipients",
    "review_state",
    "review_subject",
    "seen_stage",
    "validate_decision",
    "validate_review",
    "year_group",
]

DUE_SOON_DAYS = 14  # a decision is "due" when its review date is this close (or past)
DECISION_CADENCE = Cadence(
    before_due=(DUE_SOON_DAYS,), on_due=True, overdue_every_days=7, max_reminders=60, escalate=()
)
DECISION_KINDS: dict[str, str] = {
    "relationship": N_(
        "Pre-existing relationship (e.g. related to a pupil, or connected to a "
        "family on social media)"
    ),
    "pupil_device": N_("A pupil's exceptional use of a personal device (e.g. medical monitoring)"),
    "visitor_device": N_("A visitor's access to devices (e.g. multi-agency work)"),
    "staff_device": N_("Permission for staff to use a personal device (e.g. an emergency)"),
    "other": N_("Another decision or exception"),
}
SHORT_KINDS: dict[str, str] = {
    "relationship": N_("Pre-existing relationship"),
    "pupil_device": N_("Pupil's personal device"),
    "visitor_device": N_("Visitor device access"),
    "staff_device": N_("Staff personal device"),
    "other": N_("Other"),
}
SUBJECT_TYPES: dict[str, str] = {
    "staff": N_("Someone the school's directory lists (a member of staff, a volunteer…)"),
    "pupil": N_("A pupil (initials and year group only)"),
    "visitor": N_("A visitor or someone from another agency"),
    "other": N_("Someone else"),
}
# stored in English (the register's words); shown in the page's language (``year_group``)
YEAR_GROUPS = (N_("Nursery"), N_("Reception"), *(f"Year {n}" for n in range(1, 14)))
MAX_TEXT = 4000
MAX_REVIEW_YEARS = 3
REVIEW_KEY_PREFIX = "decision-review"


class DecisionInputError(FormErrors):
    """The decision form has problems: ``errors`` maps each field to one plain message."""


@dataclass(frozen=True)
class DecisionInput:
    """A checked decision, ready to store."""

    kind: str
    subject_type: str
    subject_person_id: int | None
    subject_name: str | None
    decision: str
    reasons: str
    decided_by_id: int
    decided_on: date
    review_on: date
    agreement_on_paper: bool


def year_group(year: str) -> Msg:
    """A year group as stored ('Year 3', 'Reception'), said where shown ('Blwyddyn 3')."""
    if year.startswith("Year "):
        return Msg(N_("Year %(num)s"), num=year.removeprefix("Year "))
    return Msg(year)


def decision_reference(decision_id: int) -> str:
    """The reference people quote: ``DEC-0007``."""
    return f"DEC-{decision_id:04d}"


def _subject(
    fields: Mapping[str, str], people: Mapping[int, str], errors: dict[str, Text]
) -> tuple[str, int | None, str | None]:
    """Who the decision is about: (subject type, person id, name)."""
    subject_type = fields.get("subject_type", "")
    if subject_type == "staff":  # a member of staff chosen from the directory
        raw = fields.get("subject_person_id", "")
        person_id = int(raw) if raw.isascii() and raw.isdigit() and int(raw) in people else None
        if person_id is None:
            errors["subject_person_id"] = Msg("Choose the person from the list.")
        return subject_type, person_id, None
    if subject_type == "pupil":  # initials and year group only
        letters = re.sub(r"[\s.\-']", "", fields.get("pupil_initials", ""))  # 'j.s.' -> 'JS'
        initials = letters.upper() if letters.isalpha() and len(letters) <= 4 else None
        year = fields.get("pupil_year", "")
        if initials is None:
            errors["pupil_initials"] = Msg(
                "Give the pupil's initials only (up to 4 letters, e.g. J.S.), not their name."
            )
        if year not in YEAR_GROUPS:
            errors["pupil_year"] = Msg("Choose the pupil's year group.")
        return subject_type, None, f"{initials}, {year}"
    if subject_type == "visitor":  # their name and organisation
        visitor = clean_field(fields.get("visitor_name"), 100).replace("\n", " ")
        organisation = clean_field(fields.get("visitor_organisation"), 100).replace("\n", " ")
        if len(visitor) < 2:
            errors["visitor_name"] = Msg("Give the visitor's name.")
        return subject_type, None, f"{visitor} ({organisation})" if organisation else visitor
    if subject_type == "other":  # someone else, said briefly
        name = clean_field(fields.get("subject_other"), 120).replace("\n", " ")
        if len(name) < 2:
            errors["subject_other"] = Msg("Say briefly who this is about (keep it minimal).")
        return subject_type, None, name
    errors["subject_type"] = Msg("Choose who the decision is about.")
    return subject_type, None, None


_TOO_LONG = {  # a whole sentence per box (never assembled from pieces)
    "decision": N_("Keep the decision to %(num)d characters."),
    "reasons": N_("Keep the reasons to %(num)d characters."),
    "notes": N_("Keep the notes to %(num)d characters."),
}


def _long_text(
    fields: Mapping[str, str], field: str, missing: Text | None, errors: dict[str, Text]
) -> str:
    """A text box of at most MAX_TEXT characters (required when ``missing`` says why)."""
    value = clean_field(fields.get(field), MAX_TEXT + 1)
    if not value and missing:
        errors[field] = missing
    elif len(value) > MAX_TEXT:
        errors[field] = Msg(_TOO_LONG[field], num=MAX_TEXT)
    return value


def validate_decision(
    fields: Mapping[str, str],
    *,
    leaders: Mapping[int, str],
    people: Mapping[int, str],
    has_files: bool,
    today: date,
) -> DecisionInput:
    """Check the decision form; raise DecisionInputError naming every problem.

    Args:
        fields: the form's text fields.
        leaders: who may decide (DSL, deputies, headteacher): id -> name.
        people: the school's active people (for "a member of staff"): id -> name.
        has_files: whether files are attached (a pupil's device needs the written agreement).
        today: the school's date.
    """
    errors: dict[str, Text] = {}
    kind = fields.get("kind", "")
    if kind not in DECISION_KINDS:
        errors["kind"] = Msg("Choose what kind of decision this is.")
    subject_type, person_id, name = _subject(fields, people, errors)
    decision = _long_text(fields, "decision", Msg("Write down what was decided."), errors)
    reasons = _long_text(fields, "reasons", Msg("Write down the reasons for the decision."), errors)
    raw_decider = fields.get("decided_by_id", "")
    decider = int(raw_decider) if raw_decider.isascii() and raw_decider.isdigit() else None
    if decider is None or decider not in leaders:  # one of the leaders
        errors["decided_by_id"] = Msg(
            "Choose who decided: one of the people listed (the school's safeguarding leads "
            "and its head)."
        )
    decided_on = parse_iso_date(fields.get("decided_on"))  # not ahead, nor ten years back
    if decided_on is None:
        errors["decided_on"] = Msg("Give the date of the decision, like 2026-11-23.")
    elif decided_on > today:
        errors["decided_on"] = Msg("The date of the decision cannot be in the future.")
    elif decided_on < today - timedelta(days=3653):
        errors["decided_on"] = Msg("The date of the decision is more than ten years ago.")
    review_on = parse_iso_date(fields.get("review_on"))  # after it, within MAX_REVIEW_YEARS
    if review_on is None:
        errors["review_on"] = Msg("Give a review date, like 2027-03-01.")
    elif decided_on is not None and review_on <= decided_on:
        errors["review_on"] = Msg("The review date must be after the date of the decision.")
    elif review_on > (decided_on or today) + timedelta(days=365 * MAX_REVIEW_YEARS):
        errors["review_on"] = nmsg(
            "Review it within %(num)d year.", "Review it within %(num)d years.", MAX_REVIEW_YEARS
        )
    on_paper = fields.get("agreement_on_paper") == "yes"
    if kind == "pupil_device" and not (has_files or on_paper):
        errors["agreement_on_paper"] = Msg(
            "A pupil's device needs the written agreement: attach it, or tick that the signed "
            "copy is kept on paper."
        )
    if errors:
        raise DecisionInputError(errors)
    assert decider is not None and decided_on is not None and review_on is not None
    return DecisionInput(
        kind=kind,
        subject_type=subject_type,
        subject_person_id=person_id,
        subject_name=name,
        decision=decision,
        reasons=reasons,
        decided_by_id=decider,
        decided_on=decided_on,
        review_on=review_on,
        agreement_on_paper=on_paper,
    )


def validate_review(fields: Mapping[str, str], today: date) -> tuple[str, date | None, str]:
    """Check a review: (outcome, next review date or None when closed, notes); the problems in
    ``tr``'s language."""
    errors: dict[str, Text] = {}
    outcome = fields.get("outcome", "")
    next_on: date | None = None
    if outcome == "continue":
        next_on = parse_iso_date(fields.get("next_review_on"))
        if next_on is None:
            errors["next_review_on"] = Msg("Give the next review date, like 2027-03-01.")
        elif next_on <= today:
            errors["next_review_on"] = Msg("The next review date must be after today.")
        elif next_on > today + timedelta(days=365 * MAX_REVIEW_YEARS):
            errors["next_review_on"] = nmsg(
                "Review it again within %(num)d year.",
                "Review it again within %(num)d years.",
                MAX_REVIEW_YEARS,
            )
    elif outcome != "closed":
        errors["outcome"] = Msg("Choose whether the decision continues or is closed.")
    notes = _long_text(fields, "notes", None, errors)
    if errors:
        raise DecisionInputError(errors)
    return outcome, next_on, notes


def review_state(review_on: date | None, status: str, today: date) -> str:
    """'closed', 'overdue', 'due' (within 14 days or today) or 'ok'."""
    if status != "open" or review_on is None:
        return "closed"
    if review_on < today:
        return "overdue"
    if review_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due"
    return "ok"


# --------------------------------------------------------------------------- review reminders


def review_key(school_id: str, decision_id: int, review_on: date, stage: int) -> str:
    """The outbox key of one review reminder (school, decision, review date, stage)."""
    return f"{REVIEW_KEY_PREFIX}:{school_id}:{decision_id}:{review_on.isoformat()}:{stage}"


def seen_stage(review_on: date, set_on: date, cadence: Cadence) -> int:
    """The stage already reached when the review date was set (not worth an email)."""
    opened = review_on - timedelta(days=max(cadence.before_due, default=0))
    reached = [s for s in reminder_stages(opened, review_on, cadence, set_on) if s[2] <= set_on]
    return reached[-1][0] if reached else -1


def review_subject(label: str, review_on: date, today: date, reference: str) -> Msg:
    """The reminder's subject line: overdue, due today, or due in N days."""
    values = {"reference": reference, "due": Day(review_on)}
    if label.startswith("overdue:"):
        return Msg("Overdue review: decision %(reference)s (was due %(due)s)", **values)
    days = (review_on - today).days
    if days <= 0:
        return Msg("Review due today: decision %(reference)s", **values)
    return nmsg(
        "Review due in %(num)s day: decision %(reference)s",
        "Review due in %(num)s days: decision %(reference)s",
        days,
        **values,
    )


def review_recipients(
    decider: str, active: bool, dsl: Sequence[str], headteacher: str
) -> list[str]:
    """Who hears: the decider (while active) and the DSL; the headteacher if nobody else."""
    recipients = [decider] if active else []
    recipients += [e for e in dsl if e not in recipients]
    if not recipients:
        recipients = [headteacher]
    return recipients
