"""Turning ``init``'s answers into a school, checked before anything is written: the
directory read, everyone named found in it (or, for the DPO and clerk, from outside it), the
policy folder read with the answers to its questions, the term dates, the requirement pack
chosen and the readings' editions; every problem found on the way, each under its answer's key
(``SetupDraft.problems``). What is then written from the draft: ``writing``.

Joining an install that has schools, the school's id must be one the install has not
given, and the trust's staff list (which its people join) must be readable; the install's
platform, address and settings source stand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.deployment.context import adapters, build_connectors
from bot.core.guards.forms import Text
from bot.core.language.i18n import Msg
from bot.core.language.words import plain_key
from bot.core.nations import role_table, school_words_for
from bot.core.ports import ConnectorError, DirectoryPerson
from bot.engine.job_roles import map_roles, words_of
from bot.features.policies.api import policy_key
from bot.features.reading.api import audience_name
from bot.features.setup.answers import LIST_ROLES, OUTSIDE_ROLES, SINGLE_ROLES, Answers, find_person
from bot.features.setup.install import Install, staff_list_problems
from bot.features.setup.pack import PackItem, pack_requirements
from bot.features.setup.policy_folder import (
    FolderPolicy,
    folder_checks,
    offered_pack,
    read_policy_folder,
)
from bot.features.setup.problems import (
    FOLDER_NOT_FOUND,
    NO_DIRECTORY,
    NO_DOCUMENTS,
    NO_FOLDER,
    NO_READINGS,
    NO_SUCH_DOCUMENT,
    NO_TEMPLATE,
    NO_TERMS,
    NOBODY_HAS_A_ROLE,
    NOT_A_READING,
    NOT_IN_FOLDER,
    NOT_READ_UNTIL_CHECKED,
    NOT_READ_YET,
    ROW_LEFT_OUT,
    THE_DIRECTORY,
    THE_PLATFORM_DIRECTORY,
    UNANSWERED,
    field_problem,
)
from bot.features.setup.term_calendar import CalendarError, TermCalendar, read_term_calendar

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings

__all__ = ["SetupDraft", "draft_setup", "readings"]


@dataclass
class SetupDraft:
    """Everything ``init`` has read and worked out, and every problem found on the way."""

    answers: Answers
    people: list[DirectoryPerson] = field(default_factory=list)
    directory_note: Text | None = None
    roles: dict[str, Any] = field(default_factory=dict)  # headteacher: email, dsl: [emails]
    policies: list[FolderPolicy] = field(default_factory=list)
    calendar: TermCalendar | None = None
    pack: list[PackItem] = field(default_factory=list)
    chosen: set[str] = field(default_factory=set)
    problems: list[Msg] = field(default_factory=list)  # each ``field_problem``'s
    outsiders: dict[str, str] = field(default_factory=dict)  # email -> name, not on staff list
    unused_columns: list[str] = field(default_factory=list)  # of the staff list, not read
    header: str | None = None  # the staff list's header as found, e.g. "line 3: Post, …"
    sheet: str | None = None  # the workbook's sheet it was found on (None: a CSV)
    hidden_rows: int = 0  # rows the school hid in its file, read
    # posts the role table does not know, with how many hold each: set up owing nothing
    posts_to_map: dict[str, int] = field(default_factory=dict)
    adding: Install | None = None  # the install the school joins (None: the first school)

    @property
    def school_id(self) -> str:
        """The new school's id: the one given, else made from its name."""
        return self.answers.school.id or policy_key(self.answers.school.name.replace("School", ""))

    @property
    def source_name(self) -> Text:
        """The directory as a person knows it: the CSV's name, or the platform's ('the
        Microsoft 365 directory', 'cyfeiriadur Microsoft 365')."""
        directory, platform = self.answers.directory, self.answers.platform
        if platform != "local":
            return Msg(THE_PLATFORM_DIRECTORY, platform=PLATFORM_NAMES[platform])
        return directory.name if directory is not None else Msg(THE_DIRECTORY)


def read_directory(settings: Settings, draft: SetupDraft) -> None:
    """The people, from the CSV export (local) or the platform when it can already be read."""
    answers = draft.answers
    if answers.platform == "local":
        if answers.directory is None:
            draft.problems.append(field_problem("directory", Msg(NO_DIRECTORY)))
            return
        try:
            reader = adapters().staff_file(answers.directory, frozenset(answers.leave_out))
            changes = reader.fetch(None)
        except ConnectorError as exc:
            draft.problems.append(field_problem("directory", exc.msg))
            return
        draft.problems += [
            field_problem("directory", Msg(ROW_LEFT_OUT, problem=line, number=number))
            for line, number in zip(changes.rejected, reader.rejected_lines, strict=True)
        ]
        draft.people = list(changes.people)
        draft.unused_columns = list(reader.unused_columns)
        if reader.header_line is not None:  # where it was found and what it says, to confirm
            draft.header = f"line {reader.header_line}: {' | '.join(reader.header_names)}"
        draft.sheet = getattr(reader, "sheet_name", None)
        draft.hidden_rows = getattr(reader, "hidden_rows", 0)
        draft.posts_to_map = unmapped_words(draft)
        return
    if settings.connector != answers.platform:
        draft.directory_note = Msg(
            NOT_READ_UNTIL_CHECKED,
            command=answers.platform,
            platform=PLATFORM_NAMES[answers.platform],
        )
        return

    try:
        draft.people = list(build_connectors(settings).directory.fetch(None).people)
    except (ConnectorError, ImportError) as exc:
        problem = exc.msg if isinstance(exc, ConnectorError) else str(exc)
        draft.directory_note = Msg(NOT_READ_YET, problem=problem)
        return
    # the platform's job titles (Graph's jobTitle, Google's organisation title) are the
    # school's words as much as a CSV's: each is mapped in the role table, never guessed
    draft.posts_to_map = unmapped_words(draft)


PLATFORM_NAMES = {"local": "local", "m365": "Microsoft 365", "google": "Google Workspace"}


def draft_table(draft: SetupDraft) -> dict[str, str]:
    """The role table the staff list's posts are read through: the built-in one for the
    school's nation under the answers' own ``job_titles``."""
    answers = draft.answers
    return role_table(answers.school.country, answers.job_titles, answers.role_groups)


def unmapped_words(draft: SetupDraft) -> dict[str, int]:
    """Posts (job titles, role words) in the school's words the role table does not say
    anything about, with how many people hold each: they are set up owing nothing until the
    school maps them (never guessed, never a reason to stop). The trust's own people need no
    school post."""
    table = {plain_key(k) for k in draft_table(draft)}
    trust = draft.answers.trust_people
    words = words_of([p for p in draft.people if p.email not in trust], draft.answers.role_groups)
    return {w: n for w, n in words.items() if plain_key(w) not in table}


def _role(draft: SetupDraft, key: str, wanted: str, *, outside: bool = False) -> str | None:
    """One person's email from a name or an email (the problem noted under ``key``); the
    DPO's and clerk's may be someone outside the staff list (kept in ``outsiders``)."""
    found = find_person(
        draft.people, wanted, draft.source_name, outside=outside, unread=draft.directory_note
    )
    if found.problem is not None:
        draft.problems.append(field_problem(f"people.{key}", found.problem))
    if found.email is not None and found.outsider is not None:
        draft.outsiders[found.email] = found.outsider
    return found.email


def resolve_people(draft: SetupDraft) -> None:
    """Everyone named in ``people``, found in the directory (every problem with its key); the
    DPO and clerk may be from outside it (``outsiders``)."""
    given = draft.answers.people
    for key in SINGLE_ROLES:
        if wanted := getattr(given, key):
            draft.roles[key] = _role(draft, key, wanted, outside=key in OUTSIDE_ROLES)
    for key in LIST_ROLES:
        emails = [_role(draft, f"{key}[{i}]", w) for i, w in enumerate(getattr(given, key))]
        draft.roles[key] = [e for e in emails if e]
    if not draft.roles["admins"] and draft.roles.get("headteacher"):
        draft.roles["admins"] = [draft.roles["headteacher"]]
    if (
        draft.people
        and not unmapped_words(draft)
        and not any(person_roles(draft, p) for p in draft.people)
    ):
        draft.problems.append(
            field_problem("directory", Msg(NOBODY_HAS_A_ROLE, source=draft.source_name))
        )


def person_roles(draft: SetupDraft, person: DirectoryPerson) -> frozenset[str]:
    """The roles a person of the staff list will have, from the role table and groups."""
    return map_roles(person, draft.answers.role_groups, draft_table(draft)).roles


def read_policies(draft: SetupDraft, read: Callable[[Path], list[FolderPolicy]]) -> None:
    """Every document of the policy folder, with the answers the file gives to its questions."""
    folder = draft.answers.policies
    if folder is None or not folder.is_dir():
        draft.problems.append(
            field_problem(
                "policies", Msg(FOLDER_NOT_FOUND, folder=folder) if folder else Msg(NO_FOLDER)
            )
        )
        return
    draft.policies = read(folder)
    for item in draft.policies:
        item.named_edition = item.path.name in draft.answers.editions.values()
    if not draft.policies:
        draft.problems.append(field_problem("policies", Msg(NO_DOCUMENTS, folder=folder)))
    for item in draft.policies:
        for name, text in draft.answers.policy_answers.get(item.path.name, {}).items():
            if problem := item.answer(name, text):
                draft.problems.append(
                    field_problem(f"policy_answers.{item.path.name}.{name}", problem)
                )
    country = draft.answers.school.country
    draft.problems += folder_checks(
        draft.policies,
        draft.answers.school.name,
        dsl_names(draft),
        dsl=school_words_for(country).dsl,
    )
    unknown = set(draft.answers.policy_answers) - {p.path.name for p in draft.policies}
    draft.problems += [
        field_problem(f"policy_answers.{name}", Msg(NO_SUCH_DOCUMENT, folder=folder))
        for name in unknown
    ]


def dsl_names(draft: SetupDraft) -> list[str]:
    """The names of the DSL and deputies chosen, as the staff list has them."""
    emails = [*draft.roles.get("dsl", []), *draft.roles.get("deputy_dsl", [])]
    names = {p.email: p.display_name for p in draft.people}
    return [names[e] for e in emails if names.get(e)]


def policy_problems(draft: SetupDraft) -> list[Msg]:
    """Questions still unanswered."""
    return [
        field_problem(f"policy_answers.{item.path.name}.{name}", Msg(UNANSWERED))
        for item in draft.policies
        for name in item.questions
    ]


def read_terms(draft: SetupDraft) -> None:
    """Term dates from the published calendar, or as typed."""
    terms = draft.answers.terms
    if terms.ics is not None:
        try:
            with terms.ics.open("rb") as calendar:  # a huge file is never read whole
                draft.calendar = read_term_calendar(calendar, terms.ics.name)
        except CalendarError as exc:
            draft.problems.append(field_problem("terms.ics", exc.msg))
            return
        except OSError as exc:
            draft.problems.append(field_problem("terms.ics", str(exc)))
            return
        if not draft.calendar.terms and not terms.dates:
            draft.problems.append(field_problem("terms.ics", draft.calendar.notes[-1]))
    elif not terms.dates:
        draft.problems.append(field_problem("terms", Msg(NO_TERMS)))


def choose_pack(draft: SetupDraft) -> None:
    """Match the pack to the imported policies; the chosen templates (every one: 'standard')."""
    school = draft.answers.school
    words = school_words_for(school.country, independent=school.independent)
    draft.pack = offered_pack(draft.policies, school.country, words)
    wanted = draft.answers.requirements
    known = {item.template.id for item in draft.pack}
    if wanted == "standard":  # every template but the optional ones, which are asked for
        draft.chosen = {i.template.id for i in draft.pack if i.template.kind != "optional"}
        return
    draft.chosen = set(wanted) & known
    draft.problems += [
        field_problem(
            "requirements", Msg(NO_TEMPLATE, name=repr(name), known=", ".join(sorted(known)))
        )
        for name in wanted
        if name not in known
    ]


@dataclass(frozen=True)
class Reading:
    """One audience of a reading the chosen pack asks (its editions are registered apart)."""

    key: str  # the edition key: "read-kcsie/part-1"
    requirement: str
    audience: str
    title: str

    @property
    def shown(self) -> str:
        """'Keeping children safe in education (Part 1)'."""
        return f"{self.title} ({audience_name(self.audience)})"


def readings(draft: SetupDraft, today: date | None = None) -> list[Reading]:
    """Every audience of every reading the chosen pack asks (``today``: but a part the
    guidance has dropped by then, such as KCSIE's Annex A from 2026)."""
    return [
        Reading(f"{r['id']}/{part}", r["id"], part, str(r.get("title") or r["id"]))
        for r in pack_requirements(draft.pack, draft.chosen)
        if r["kind"] == "reading_campaign"
        for part, audience in r["audiences"].items()
        if today is None or "until" not in audience or today < audience["until"]
    ]


def edition_problems(draft: SetupDraft) -> list[Msg]:
    """Editions named in the answers that are not a reading's audience or a folder file."""
    keys = {r.key for r in readings(draft)}
    files = {p.path.name for p in draft.policies if not p.error}
    problems = []
    for key, name in draft.answers.editions.items():
        if key not in keys:
            problems.append(
                field_problem(
                    f"editions.{key}",
                    Msg(NOT_A_READING, readings=", ".join(sorted(keys)))
                    if keys
                    else Msg(NO_READINGS),
                )
            )
        elif name not in files:
            problems.append(field_problem(f"editions.{key}", Msg(NOT_IN_FOLDER, name=name)))
    return problems


def draft_setup(
    settings: Settings,
    answers: Answers,
    read: Callable[[Path], list[FolderPolicy]] = read_policy_folder,
    adding: Install | None = None,
) -> SetupDraft:
    """Read and check everything the answers point at; ``problems`` lists what is wrong
    (``read``: how the policy folder is read, ``FolderReads.read`` in an interactive run;
    ``adding``: the install the school joins, whose platform, address and source stand)."""
    if adding is not None:
        answers = answers.model_copy(
            update={
                "platform": settings.connector,
                "base_url": settings.base_url,
                "settings_source": adding.source,
            }
        )
    draft = SetupDraft(answers, adding=adding)
    if adding is not None and (taken := adding.taken(draft.school_id)):
        draft.problems.append(field_problem("school.id", taken.msg))
    read_directory(settings, draft)
    if adding is not None and answers.platform == "local":  # its people join the trust's list
        draft.problems += staff_list_problems(settings)
    resolve_people(draft)
    read_policies(draft, read)
    draft.problems += policy_problems(draft)
    read_terms(draft)
    choose_pack(draft)
    draft.problems += edition_problems(draft)
    return draft
