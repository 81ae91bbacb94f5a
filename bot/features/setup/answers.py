"""The answers of ``compliance-bot init``: one model for the answers file and the prompts,
and the checks that need the directory (people picked by email or by name)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.core.config import ConfigError, Email, JobRole, Role, Slug, Term
from bot.core.config.fields import CalendarDate
from bot.core.config.reading import load_yaml, yaml_problems
from bot.core.config.said import CheckError, check, counted, problem_line, pydantic_problem
from bot.core.days.calendar import Country
from bot.core.guards.emails import email_problem, email_reason, has_mailbox
from bot.core.guards.forms import Text
from bot.core.language.i18n import N_, Language, Msg, Said, spoken
from bot.core.language.said_forms import capital
from bot.core.language.words import Words, name_words, plain_key, role_name, said_words
from bot.core.nations import DEFAULT_NATION
from bot.core.ports import DirectoryPerson
from bot.engine.job_roles import NOT_ASKED
from bot.features.policies.api import typed_date
from bot.features.setup.problems import (
    BY_EMAIL,
    NOBODY_CALLED,
    NOT_AN_ADDRESS,
    NOT_IN_DIRECTORY,
    SEVERAL_CALLED,
)

__all__ = [
    "LIST_ROLES",
    "OUTSIDE_ROLES",
    "SINGLE_ROLES",
    "Answers",
    "Found",
    "PeopleAnswers",
    "Progress",
    "RoleBox",
    "SchoolAnswers",
    "TermAnswers",
    "TypedTerm",
    "find_person",
    "load_answers",
    "outside_person",
    "pick_person",
    "post_role",
    "refusal",
    "role_boxes",
    "typed_lines",
]


def _listed(value: Any) -> Any:
    """One name or address may be written without the list brackets."""
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str], BeforeValidator(_listed)]


def _named(name: str) -> str:
    """A name given, trimmed; nothing but spaces is no name."""
    if not name.strip():
        raise CheckError(Msg(N_("give the school's name")))
    return name.strip()


def _short_id(given: Any) -> Any:
    """A school's id: small letters, digits and hyphens, said so in the school's words."""
    if isinstance(given, str) and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", given):
        raise CheckError(Msg(N_("%(id)s: use small letters, digits and hyphens only"), id=given))
    return given


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def refusal(
    model: type[BaseModel], name: str, value: object, today: date | None = None
) -> tuple[Any, Text | None]:
    """One answer to ``model``'s field ``name`` as the model takes it (dates judged from
    ``today``, else London's), and what the model says is wrong with it (None: taken): the
    answers file, the terminal and the web pages check an answer by the model alone, so each
    refuses it in the same words."""
    try:
        taken = model.__pydantic_validator__.validate_assignment(
            model.model_construct(), name, value, context={"today": today} if today else None
        )
    except ValidationError as exc:
        return value, pydantic_problem(exc.errors()[0])
    return getattr(taken, name), None


class SchoolAnswers(_Strict):
    """The school's name and nation (whose bank holidays close it); each field's title is its
    question (the terminal's prompt, the web page's box), its description the help beside it."""

    name: Annotated[str, AfterValidator(_named)] = Field(max_length=200, title=N_("School name"))
    country: Country = Field(
        DEFAULT_NATION,
        title=N_("Nation"),
        description=N_("its bank holidays, and the safeguarding words and law it uses"),
    )
    # what its people read (bot.core.language.i18n): asked of a Welsh school only, English
    # otherwise; its language category under the Welsh Language and Education (Wales) Act 2025
    language: Language = Field("en", title=N_("Language"))
    language_category: str | None = None
    # an independent school, and who its proprietor is (a company, a trust, an individual)
    independent: bool = Field(
        False, title=N_("Is it an independent school, run by its proprietor?")
    )
    proprietor: Literal["company", "trust", "individual"] | None = Field(
        None, title=N_("Its proprietor: a company, a trust or an individual")
    )
    # who inspects it, where its nation has more than one inspectorate (England); None: the
    # nation's rule for its kind of school (bot.core.nations.inspectorates)
    inspectorate: str | None = Field(
        None,
        title=N_("Who inspects it (%(named)s); its evidence pack answers that inspectorate's list"),
    )
    id: Annotated[Slug | None, BeforeValidator(_short_id)] = Field(
        None,
        title=N_(
            "A short id for the school (letters, digits and hyphens; commands name it: --school ID)"
        ),
    )


class PeopleAnswers(_Strict):
    """People in roles, each by email or by name as the directory has them, asked in this
    order; a role's question is its title, else the nation's word for it (its values: the
    nation's words, ``role_words``), with its help in brackets."""

    headteacher: str = Field(description=N_("name or email"))
    dsl: Names = []
    deputy_dsl: Names = []
    dpo: str | None = Field(
        None, title=N_("Data protection officer (staff, or the %(la)s's or trust's DPO's email)")
    )
    clerk: str | None = Field(None, title=N_("%(clerk)s (staff, or their email)"))
    chair_of_governors: str | None = None
    admins: Names = Field(
        [],
        title=N_(
            "Who runs the bot day to day (an admin: the office or business manager; the "
            "%(head)s if nobody)"
        ),
    )


# the model's roles: each held by one person, or by several (the web page's boxes, the checks)
LIST_ROLES = tuple(k for k, f in PeopleAnswers.model_fields.items() if f.annotation == list[str])
SINGLE_ROLES = tuple(k for k in PeopleAnswers.model_fields if k not in LIST_ROLES)


_TERM_LINE = N_(
    "write the term's name, its first day and its last day, separated by commas, e.g. "
    "“Autumn 1, 2026-09-02, 2026-10-23”"
)
_NOT_A_DAY = N_("“%(text)s” is not a date; write it like 2026-10-23 or 23/10/2026")
_DAY_A_LINE = N_("one date a line, e.g. 2026-10-23 or 23/10/2026")
_LINE = N_("%(label)s, line %(number)d: %(problem)s.")


def _day(value: Any) -> Any:
    """A day as a person types it, UK day first (``typed_date``: 2026-10-23, 23/10/2026,
    23 Oct 2026); a date the file's YAML gave, as it is."""
    if not isinstance(value, str):
        return value
    when = typed_date(value)
    if when is None or when.day is None:
        raise CheckError(Msg(_NOT_A_DAY, text=value.strip()[:40]))
    return when.first_day()


def _term(value: Any) -> Any:
    """A term typed as one line, "name, first day, last day" (a tab or a semicolon between
    them too), or as the answers file's mapping."""
    if isinstance(value, str):
        parts = [part.strip() for part in re.split(r"[,;\t]", value)]
        if len(parts) != 3 or not parts[0]:
            raise CheckError(Msg(_TERM_LINE))
        value = {"name": parts[0][:80], "start": parts[1], "end": parts[2]}
    return value


Day = Annotated[CalendarDate, BeforeValidator(_day)]


class TypedTerm(Term):
    """A term as the school gives it (its days typed as a person types them)."""

    start: Day
    end: Day


def _in_order(values: list[Any]) -> list[Any]:
    """Terms by their first day; days once each, in order."""
    if values and isinstance(values[0], Term):
        return sorted(values, key=lambda term: term.start)
    return sorted(set(values))


@dataclass(frozen=True)
class RoleBox:
    """A named role as every door names it: its label in the school's words (the web page's
    box and its refusals, the terminal's question), and its help beside it in brackets."""

    key: str
    label: Text
    help: Text | None = None

    @property
    def many(self) -> bool:
        """Whether several people may hold it."""
        return self.key in LIST_ROLES

    @property
    def shown(self) -> Text:
        """The label with its help: 'Designated Safeguarding Lead (DSL)'."""
        if self.help is None:
            return self.label
        return Msg(N_("%(lead)s (%(short)s)"), lead=self.label, short=self.help)


def role_boxes(words: Words) -> list[RoleBox]:
    """Each named role the school gives a person, in the school's words (said where shown),
    in the order the web page shows them; the one list of their labels."""
    said = said_words(words)
    deputy = capital(said.deputy_dsl)
    return [
        RoleBox("headteacher", capital(said.headteacher)),
        RoleBox("dsl", capital(said.dsl_full), said.dsl if words.dsl != words.dsl_full else None),
        RoleBox(  # the pack's word counted the English way in English only
            "deputy_dsl",
            Said(
                lambda: (
                    f"{deputy}s"
                    if spoken() == "en"
                    else str(Msg(N_("%(deputy)s (one or more)"), deputy=deputy))
                )
            ),
        ),
        RoleBox("dpo", Msg(N_("Data protection officer"))),
        RoleBox("chair_of_governors", capital(said.chair)),
        RoleBox("clerk", capital(said.clerk)),
        RoleBox(
            "scr_owner",
            Msg(N_("Keeps the single central record")),
            Msg(
                N_("an office role: sees its gaps by name, with the %(head)s"),
                head=said.headteacher,
            ),
        ),
        RoleBox(
            "admins",
            Msg(N_("Administrators of the bot")),
            Msg(N_("they can change these settings")),
        ),
    ]


def post_role(role: str, words: Words) -> Msg:
    """What a post in the staff list gives, as the role table's choice says it ('not asked for
    anything', or the role in the school's words)."""
    return Msg(N_("not asked for anything") if role == NOT_ASKED else role_name(role, words))


class TermAnswers(_Strict):
    """The school's calendar: a published ``.ics`` file, or typed (a term a line: "name, first
    day, last day"; a day a line), its INSET days and other closures. Each field's title names
    its box, its description says how it is typed."""

    ics: Path | None = Field(
        None, title=N_("Term dates: the %(la)s's .ics calendar (Enter to type them)")
    )
    dates: Annotated[
        list[Annotated[TypedTerm, BeforeValidator(_term)]], AfterValidator(_in_order)
    ] = Field(
        [],
        title=N_("Terms"),
        description=N_(
            "one a line: name, first day, last day, e.g. “Autumn 1, 2026-09-02, 2026-10-23”"
        ),
    )
    inset_days: Annotated[list[Day], AfterValidator(_in_order)] = Field(
        [], title=N_("INSET days"), description=_DAY_A_LINE
    )
    holidays: Annotated[list[Day], AfterValidator(_in_order)] = Field(
        [], title=N_("Other closures"), description=_DAY_A_LINE
    )


def typed_lines(name: str, text: str, today: date | None = None) -> tuple[list[Any], Text | None]:
    """The calendar's box ``name`` typed one a line (blank lines skipped), as ``TermAnswers``
    takes it (as school.yaml holds it); or its refusal of the first line at fault, naming the
    box and the line."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for number, line in numbered:
        if (problem := refusal(TermAnswers, name, [line], today)[1]) is not None:
            label = Msg(str(TermAnswers.model_fields[name].title))
            return [], Msg(_LINE, label=label, number=number, problem=problem)
    taken = refusal(TermAnswers, name, [line for _n, line in numbered], today)[0]
    return [v.model_dump() if isinstance(v, Term) else v for v in taken], None


class Answers(_Strict):
    """Everything ``init`` asks, as an answers file holds it (paths relative to the file)."""

    school: SchoolAnswers
    organisation: str | None = None
    platform: Literal["local", "m365", "google"] = Field(
        "local", title=N_("Where do staff have their accounts")
    )
    base_url: str = Field("http://127.0.0.1:8000", title=N_("Web address staff will use"))
    mail_from: Email | None = None
    directory: Path | None = Field(
        None,
        title=N_(
            "Staff list: the export from your MIS as it comes (.xlsx or .csv), HR system, "
            "Entra or Google (email, names, job title …)"
        ),
    )
    leave_out: list[int] = []  # lines of the staff list the school chose to leave out
    role_groups: dict[str, Role] = {}
    job_titles: dict[str, JobRole] = {}  # the role table: the school's words -> a role
    people: PeopleAnswers
    policies: Path | None = Field(None, title=N_("Policy folder (.docx, .pdf, .md)"))
    policy_answers: dict[str, dict[Literal["title", "next_review", "approving_body"], str]] = {}
    terms: TermAnswers = TermAnswers()
    requirements: Literal["standard"] | list[str] = "standard"
    settings_source: Literal["web", "file"] = Field(
        "web", title=N_("Manage settings on the web pages (recommended) or in school.yaml")
    )
    platform_settings: dict[str, str] = {}
    # a reading's edition registered from the policy folder: "read-kcsie/part-1": its file name
    editions: dict[str, str] = {}
    # the trust's own people (organisation.trust_admins, .trust_safeguarding_leads): they need
    # no school post, so their job titles are not asked of the role table
    trust_admins: list[Email] = []
    trust_safeguarding_leads: list[Email] = []
    # a school added to an install on Microsoft 365 or Google: its own tenant or domain (the
    # connection's name), and its all-staff group where it shares one with other schools
    connection: Slug | None = Field(
        None,
        title=N_(
            "Its own Microsoft 365 tenant or Google domain: the connection's name in the "
            "settings (Enter: the install's)"
        ),
    )
    staff_group: str | None = Field(
        None,
        title=N_(
            "Its all-staff group, where it shares the tenant or domain with other schools "
            "(Enter: it has it alone)"
        ),
    )

    @property
    def trust_people(self) -> set[str]:
        """The trust's own people's addresses (lower case)."""
        return {e.lower() for e in (*self.trust_admins, *self.trust_safeguarding_leads)}

    def resolved(self, base: Path) -> Answers:
        """The answers with their file paths made relative to ``base`` (the file's folder)."""

        def at(path: Path | None) -> Path | None:
            return None if path is None or path.is_absolute() else base / path

        terms = self.terms.model_copy(update={"ics": at(self.terms.ics) or self.terms.ics})
        return self.model_copy(
            update={
                "directory": at(self.directory) or self.directory,
                "policies": at(self.policies) or self.policies,
                "terms": terms,
            }
        )


def load_answers(path: Path) -> Answers:
    """Read an answers file; ConfigError lists every problem at once with its key and line."""
    if not path.is_file():
        raise ConfigError(problem_line(path, check("answers_not_found")))
    text = path.read_text(encoding="utf-8")
    try:
        data = load_yaml(text)
    except Exception as exc:
        said = check("not_yaml", problem=str(exc).splitlines()[0])
        raise ConfigError(problem_line(path, said)) from None
    if not isinstance(data, dict):
        raise ConfigError(problem_line(path, check("answers_not_mapping")))
    try:
        answers = Answers.model_validate(data)
    except ValidationError as exc:
        problems = [message for _line, message in yaml_problems(path, text, exc)]
        if len(problems) > 1:
            problems.insert(0, counted(path, len(problems)))
        raise ConfigError(*problems) from None
    return answers.resolved(path.parent)


def pick_person(
    people: Sequence[DirectoryPerson], wanted: str, source: Text
) -> tuple[str | None, Msg | None, list[DirectoryPerson]]:
    """The email of the one person ``wanted`` names (an email or a name).

    Returns (email, problem, choices): choices are everyone a name fits when it fits several.
    """
    text = wanted.strip()
    active = [p for p in people if p.active and has_mailbox(p.email)]  # a named role is mailed
    if "@" in text:
        email = text.lower()
        if any(p.email == email for p in active):
            return email, None, []
        return None, Msg(NOT_IN_DIRECTORY, wanted=text, source=source), []
    wanted_key = plain_key(text)
    matches = [
        p
        for p in active
        if wanted_key
        in (plain_key(p.display_name), plain_key(f"{p.given_name or ''} {p.family_name or ''}"))
    ]
    wanted_words = set(name_words(text))
    if not matches and wanted_words:  # any part of a name ("brendan": Fr. Brendan Maguire)
        matches = [
            p
            for p in active
            if wanted_words
            <= set(name_words(f"{p.display_name} {p.given_name or ''} {p.family_name or ''}"))
        ]
    if len(matches) == 1:
        return matches[0].email, None, []
    if not matches:
        return None, Msg(NOBODY_CALLED, wanted=repr(text), source=source), []
    listed = ", ".join(f"{p.display_name} <{p.email}>" for p in matches)
    problem = Msg(
        SEVERAL_CALLED, count=len(matches), wanted=repr(text), source=source, listed=listed
    )
    return None, problem, matches


# roles often held by someone outside the staff list: the council's or trust's data protection
# officer, a clerk from a clerking service; they go on the people register and get their mail
OUTSIDE_ROLES = ("dpo", "clerk")


def outside_person(text: str) -> tuple[str, str] | None:
    """(email, name) of someone written as "Pat Jones <dpo@council.example>" or as an address
    alone (then the name is the address); None when ``text`` holds no address."""
    written = re.fullmatch(r"\s*(.*?)\s*<([^<>]*)>\s*", text)
    name, address = written.groups() if written else ("", text.strip())
    name = name.strip("\"' ")
    if "@" not in address or " " in address.strip():
        return None
    email = address.strip().lower()
    return email, " ".join(name.split()) or email


@dataclass(frozen=True)
class Found:
    """Who an answer names: their email (None: refused, ``problem`` says why), the people a
    name fits when it fits several, and the name of someone from outside the staff list."""

    email: str | None
    problem: Msg | None = None
    choices: list[DirectoryPerson] = field(default_factory=list)
    outsider: str | None = None  # their name (the address itself when none was written)


def find_person(
    people: Sequence[DirectoryPerson],
    wanted: str,
    source: Text,
    *,
    outside: bool = False,
    unread: Text | None = None,
) -> Found:
    """The one person ``wanted`` names (a name or an email) in ``people``, the one check of a
    role's answer at every door. With ``outside`` (the DPO, the clerk), an address nobody on
    the staff list has is someone from outside it. With no people (``unread``: why the
    directory is not read yet), only an address is taken."""
    found = outside_person(wanted) if outside else None
    if found is not None and not any(p.email == found[0] and p.active for p in people):
        email, name = found
        if not people and "<" not in wanted:
            return Found(email)  # the platform's directory is not read yet: as every role
        if (why := email_problem(email)) is not None:
            return Found(None, Msg(NOT_AN_ADDRESS, email=email, why=email_reason(why)))
        return Found(email, outsider=name)
    if not people:
        if "@" in wanted:
            return Found(wanted.strip().lower())
        return Found(None, Msg(BY_EMAIL, problem=unread))
    return Found(*pick_person(people, found[0] if found else wanted, source))


Key = tuple[str, ...]  # where an answer sits in the answers file: ("people", "dsl")
RESUME_HEADER = (
    "# compliance-bot init: the answers given so far, saved as they were given.\n"
    "# `compliance-bot init --resume` continues from here without asking them again;\n"
    "# delete this file to start again. It holds staff names and emails: keep it private.\n"
)


@dataclass
class Progress:
    """The answers of an interactive ``init``, saved to a resumable answers file as each is
    given (the answers file's own shape, plus which questions were answered)."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    done: set[Key] = field(default_factory=set)

    @staticmethod
    def beside(home: Path) -> Path:
        """The resumable answers file for a home: beside it (``.compliance-bot-answers.yaml``)."""
        return home.with_name(f"{home.name}-answers.yaml")

    @classmethod
    def load(cls, path: Path) -> Progress:
        """The answers saved by an earlier, unfinished ``init``."""
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except Exception as exc:
            raise ConfigError(
                f"{path}: the saved answers cannot be read ({exc}); delete the file to start again"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: not saved answers; delete the file to start again")
        done = {tuple(str(k) for k in key) for key in data.pop("answered", None) or []}
        return cls(path, data, done)

    def has(self, key: Key) -> bool:
        """Whether this question was answered already."""
        return key in self.done

    def get(self, key: Key, default: Any = None) -> Any:
        """The answer saved under ``key``."""
        node: Any = self.data
        for part in key:
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def put(self, key: Key, value: Any, *, answered: bool = True) -> Any:
        """Save one answer now (``answered=False``: a list still being given)."""
        node = self.data
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = str(value) if isinstance(value, Path) else value
        if answered:
            self.done.add(key)
        self.save()
        return value

    def mark(self, key: Key) -> None:
        """A question answered with nothing to keep (e.g. a group that gives no role)."""
        self.done.add(key)
        self.save()

    def forget(self, *tops: str) -> None:
        """Ask these parts again (a problem found at the end); every other answer is kept."""
        for top in tops:
            self.data.pop(top, None)
        self.done = {key for key in self.done if key[0] not in tops}
        self.save()

    def save(self) -> None:
        """Write the file whole (a crash leaves the previous one), readable by its owner only."""
        text = RESUME_HEADER + yaml.safe_dump(
            {**self.data, "answered": [list(k) for k in sorted(self.done)]},
            sort_keys=False,
            allow_unicode=True,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, self.path)
