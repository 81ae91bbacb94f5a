"""The answers of ``compliance-bot init``: one model for the answers file and the prompts,
and the checks that need the directory (people picked by email or by name)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.core.calendar import Country
from bot.core.config import ConfigError, Email, Role, Slug, Term, _problems, load_yaml
from connectors.base import DirectoryPerson

__all__ = [
    "Answers",
    "PeopleAnswers",
    "TermAnswers",
    "load_answers",
    "pick_person",
]


def _listed(value: Any) -> Any:
    """One name or address may be written without the list brackets."""
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str], BeforeValidator(_listed)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SchoolAnswers(_Strict):
    """The school's name and nation (whose bank holidays close it)."""

    name: str = Field(min_length=1, max_length=200)
    country: Country = "england"
    id: Slug | None = None


class PeopleAnswers(_Strict):
    """People in roles, each by email or by name as the directory has them."""

    headteacher: str
    dsl: Names = []
    deputy_dsl: Names = []
    dpo: str | None = None
    clerk: str | None = None
    chair_of_governors: str | None = None
    admins: Names = []


class TermAnswers(_Strict):
    """Term dates: a published ``.ics`` file, or typed; INSET days and closures."""

    ics: Path | None = None
    dates: list[Term] = []
    inset_days: list[date] = []
    holidays: list[date] = []


class Answers(_Strict):
    """Everything ``init`` asks, as an answers file holds it (paths relative to the file)."""

    school: SchoolAnswers
    organisation: str | None = None
    platform: Literal["local", "m365", "google"] = "local"
    base_url: str = "http://127.0.0.1:8000"
    mail_from: Email | None = None
    directory: Path | None = None
    role_groups: dict[str, Role] = {}
    people: PeopleAnswers
    policies: Path | None = None
    policy_answers: dict[str, dict[Literal["title", "next_review", "approving_body"], str]] = {}
    terms: TermAnswers = TermAnswers()
    requirements: Literal["standard"] | list[str] = "standard"
    settings_source: Literal["web", "file"] = "web"
    platform_settings: dict[str, str] = {}

    def resolved(self, base: Path) -> Answers:
        """The answers with their file paths made relative to ``base`` (the file's folder)."""

        def at(path: Path | None) -> Path | None:
            return None if path is None or path.is_absolute() else base / path

        terms = self.terms.model_copy(update={"ics": at(self.terms.ics) or self.terms.ics})
        return self.model_copy(update={
            "directory": at(self.directory) or self.directory,
            "policies": at(self.policies) or self.policies,
            "terms": terms,
        })


def load_answers(path: Path) -> Answers:
    """Read an answers file; ConfigError lists every problem at once with its key and line."""
    if not path.is_file():
        raise ConfigError(f"{path}: answers file not found")
    text = path.read_text(encoding="utf-8")
    try:
        data = load_yaml(text)
    except Exception as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected keys such as school, people and policies")
    try:
        answers = Answers.model_validate(data)
    except ValidationError as exc:
        problems = [message for _line, message in _problems(path, text, exc)]
        if len(problems) > 1:
            problems.insert(0, f"{path}: {len(problems)} problems, each to fix:")
        raise ConfigError("\n".join(problems)) from None
    return answers.resolved(path.parent)


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())


def pick_person(
    people: Sequence[DirectoryPerson], wanted: str, source: str
) -> tuple[str | None, str | None, list[DirectoryPerson]]:
    """The email of the one person ``wanted`` names (an email or a name).

    Returns (email, problem, choices): choices are everyone a name fits when it fits several.
    """
    text = wanted.strip()
    active = [p for p in people if p.active]
    if "@" in text:
        email = text.lower()
        if any(p.email == email for p in active):
            return email, None, []
        return None, f"{text} is not in {source}", []
    matches = [
        p for p in active
        if _plain(p.display_name) == _plain(text)
        or _plain(f"{p.given_name or ''} {p.family_name or ''}") == _plain(text)
    ]
    if len(matches) == 1:
        return matches[0].email, None, []
    if not matches:
        return None, f"nobody called {text!r} in {source}; give the name or email it has", []
    listed = ", ".join(f"{p.display_name} <{p.email}>" for p in matches)
    problem = f"{len(matches)} people are called {text!r} in {source} ({listed}); give the email"
    return None, problem, matches
