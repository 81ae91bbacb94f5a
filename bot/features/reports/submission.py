"""A report form as submitted, checked (pure: the fields in, a ``Submission`` or every field
that is wrong out): its text cleaned, each box within its limit, the choices among those
offered, who reports."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.guards.emails import is_email
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Msg
from bot.core.language.said_forms import lowered
from bot.features.reports.rules import (
    CATEGORIES,
    INVOLVED_ROLES,
    MAX_ACTIONS,
    MAX_NAMES,
    MAX_WHAT,
    RELATIONSHIPS,
    ReportInputError,
    is_suspected_illegal,
)

__all__ = ["Submission", "clean_text", "validate_submission"]

# the form's text boxes: (field, label, most characters, the message when it is left empty)
_TEXTS: tuple[tuple[str, str, int, str | None], ...] = (
    ("what_happened", N_("What happened"), MAX_WHAT, N_("Describe what happened.")),
    (
        "occurred",
        N_("When it happened"),
        60,
        N_("Say when it happened (roughly is fine, e.g. 'this morning at break')."),
    ),
    ("location", N_("Where it happened"), 200, None),
    ("actions_taken", N_("Actions already taken"), MAX_ACTIONS, None),
)


def clean_text(value: str) -> str:
    """Drop control characters (NUL breaks PostgreSQL) and lone surrogates; trim."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(c for c in value if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return value.strip()


def _refuse(
    errors: dict[str, Text], name: str, value: str, allowed: Mapping[str, str], message: Text
) -> str | None:
    """``allowed[value]`` (None when empty); ``message`` for a value not among those offered."""
    if value and value not in allowed:
        errors[name] = message
    return allowed.get(value) if value else None


@dataclass(frozen=True)
class Submission:
    """A validated report, ready to be stored."""

    category: str
    involved: tuple[tuple[str, str], ...]
    what_happened: str
    occurred: str | None
    location: str | None
    actions_taken: str | None
    suspected_illegal: bool = False
    immediate_risk: bool = False
    about_headteacher: bool = False
    # the DSL or deputy DSL the report is about (kept from them; goes to the next in line)
    about_person: str | None = None
    anonymous: bool = False
    reporter_name: str | None = None
    reporter_email: str | None = None
    reporter_relationship: str | None = None


def validate_submission(
    fields: Mapping[str, Sequence[str]],
    *,
    allow_anonymous: bool,
    signed_in: bool,
    about_choices: Mapping[str, str] | None = None,
) -> Submission:
    """Check a submitted form; raise ReportInputError naming every field that is wrong.

    ``about_choices`` maps the form's "about a member of the safeguarding team" options to
    their email addresses (an empty value means nobody in the team).
    """
    form = _Form(fields)
    errors = form.errors
    category = form.one("category")
    if not category:
        errors["category"] = Msg(N_("Choose what kind of concern this is."))
    _refuse(
        errors,
        "category",
        category,
        CATEGORIES,
        Msg(N_("Choose one of the kinds of concern listed.")),
    )
    involved = _involved(form)
    what, occurred, location, actions = (form.text(*spec) for spec in _TEXTS)
    anonymous = form.ticked("anonymous")
    name = email = relationship = None
    if anonymous and not allow_anonymous:
        errors["anonymous"] = Msg(
            N_("This school does not accept anonymous reports: please give your name.")
        )
    if not anonymous and not signed_in:
        name, email, relationship = _reporter(form, allow_anonymous)
    about = _refuse(
        errors,
        "about_person",
        form.one("about_person"),
        about_choices or {},
        Msg(N_("Choose who in the safeguarding team it is about from the list.")),
    )
    if errors:
        raise ReportInputError(errors)
    assert what is not None
    return Submission(
        category=category,
        involved=tuple(involved.items()),
        what_happened=what,
        occurred=occurred,
        location=location,
        actions_taken=actions,
        suspected_illegal=is_suspected_illegal(category, form.ticked("suspected_illegal")),
        immediate_risk=form.ticked("immediate_risk"),
        about_headteacher=form.ticked("about_headteacher"),
        about_person=about.lower() if about else None,
        anonymous=anonymous,
        reporter_name=name,
        reporter_email=email,
        reporter_relationship=relationship or None,
    )


@dataclass
class _Form:
    """A submitted form's fields, read one at a time, and what is wrong with them by field."""

    fields: Mapping[str, Sequence[str]]
    errors: dict[str, Text] = field(default_factory=dict)

    def one(self, name: str) -> str:
        values = self.fields.get(name) or []
        return clean_text(values[0]) if values else ""

    def text(self, name: str, label: Text, limit: int, required: Text | None = None) -> str | None:
        value = self.one(name)
        if not value:
            if required:
                self.errors[name] = Msg(required) if isinstance(required, str) else required
            return None
        if len(value) > limit:
            self.errors[name] = Msg(
                N_("%(label)s is too long: %(count)s characters, at most %(most)s."),
                label=Msg(label) if isinstance(label, str) else label,
                count=f"{len(value):,}",
                most=f"{limit:,}",
            )
            return None
        return value

    def ticked(self, name: str) -> bool:
        return self.one(name).lower() in ("yes", "on", "true", "1")


def _involved(form: _Form) -> dict[str, str]:
    """Who is involved, by role, with the names given for each."""
    errors = form.errors
    involved: dict[str, str] = {}
    roles = [clean_text(v) for v in form.fields.get("involved") or []]
    for role in roles:
        if role not in INVOLVED_ROLES:
            errors["involved"] = Msg(N_("Choose who is involved from the list."))
            break
        if role not in involved:
            label = Msg(
                N_("Names of the %(involved)s"), involved=lowered(Msg(INVOLVED_ROLES[role]))
            )
            involved[role] = form.text(f"names_{role}", label, MAX_NAMES) or ""
    if not roles and "involved" not in errors:
        errors["involved"] = Msg(N_("Say who is involved (tick 'Not known' if you are not sure)."))
    return involved


def _reporter(form: _Form, allow_anonymous: bool) -> tuple[str | None, str | None, str]:
    """Who reports, when they are neither anonymous nor signed in: name, email, relationship."""
    errors = form.errors
    name = form.text(
        "reporter_name",
        N_("Your name"),
        200,
        N_("Give your name, or tick 'Report anonymously'.")
        if allow_anonymous
        else N_("Give your name."),
    )
    raw_email = form.one("reporter_email")
    email = raw_email.lower() if is_email(raw_email) else None
    if raw_email and email is None:
        errors["reporter_email"] = Msg(
            N_("Enter your email address like name@example.com, or leave it empty.")
        )
    relationship = form.one("reporter_relationship")
    _refuse(
        errors,
        "reporter_relationship",
        relationship,
        RELATIONSHIPS,
        Msg(N_("Choose how you know the school from the list.")),
    )
    return name, email, relationship
