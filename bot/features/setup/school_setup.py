"""Turning ``init``'s answers into a school: check them all at once, then write school.yaml,
the settings, the directory and policy copies, and the database (preview begins).

In an install that has schools (this folder's school.yaml, or a database that holds schools),
``init`` adds one: the install's platform, address and settings source stand, its other
schools stay as they are, the new school's entry joins school.yaml (and the saved settings),
its policies are copied into ``policies/<its id>/`` and, on a staff list, its people join the
trust's one list under its id (the ``school`` column); it starts in preview."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from bot.core import setup_state
from bot.core.config import OrgConfig
from bot.core.config import store as config_store
from bot.core.context import adapters, build_connectors
from bot.core.emails import email_problem, email_reason
from bot.core.forms import Text
from bot.core.i18n import Msg
from bot.core.models import ExtraPerson
from bot.core.nations import role_table, school_words_for
from bot.core.ports import ConnectorError, DirectoryPerson, StaffFile
from bot.core.settings import own_address
from bot.core.spreadsheets import read_spreadsheet
from bot.core.store import Store
from bot.core.words import plain_key
from bot.engine.config_sync import ensure_school, sync_config
from bot.engine.extra_people import sync_register
from bot.engine.job_roles import map_roles, words_of
from bot.features.policies.api import policy_key, same_document, twins
from bot.features.reading.api import audience_name, register_edition
from bot.features.setup.answers import Answers, pick_person
from bot.features.setup.install import Install, join_staff_list, staff_list_problems
from bot.features.setup.pack import PackItem, PolicyRef, match_pack, pack_requirements
from bot.features.setup.policy_folder import FolderPolicy, read_policy_folder
from bot.features.setup.problems import (
    BY_EMAIL,
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
    NOT_AN_ADDRESS,
    NOT_IN_FOLDER,
    NOT_READ_UNTIL_CHECKED,
    NOT_READ_YET,
    ROW_LEFT_OUT,
    SAME_DOCUMENT,
    SAME_TITLE,
    THE_DIRECTORY,
    THE_PLATFORM_DIRECTORY,
    UNANSWERED,
    field_problem,
)
from bot.features.setup.term_calendar import (
    MAX_ICS_BYTES,
    CalendarError,
    TermCalendar,
    read_term_calendar,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.settings import Settings

__all__ = ["SetupDraft", "draft_setup", "env_text", "write_setup"]

SINGLE_ROLES = ("headteacher", "dpo", "clerk", "chair_of_governors")
# roles often held by someone outside the staff list: the council's or trust's data protection
# officer, a clerk from a clerking service; they go on the people register and get their mail
OUTSIDE_ROLES = ("dpo", "clerk")
LIST_ROLES = ("dsl", "deputy_dsl", "admins")


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
            return Msg(THE_PLATFORM_DIRECTORY, platform=_PLATFORM[platform])
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
        draft.header = header_found(reader)
        draft.sheet = getattr(reader, "sheet_name", None)
        draft.hidden_rows = getattr(reader, "hidden_rows", 0)
        draft.posts_to_map = unmapped_words(draft)
        return
    if settings.connector != answers.platform:
        draft.directory_note = Msg(NOT_READ_UNTIL_CHECKED, platform=_PLATFORM[answers.platform],
                                   command=answers.platform)
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


def header_found(reader: StaffFile) -> str | None:
    """Where the staff list's header was found and what it says, for the school to confirm."""
    if reader.header_line is None:
        return None
    return f"line {reader.header_line}: {' | '.join(reader.header_names)}"


_PLATFORM = {"local": "local", "m365": "Microsoft 365", "google": "Google Workspace"}


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


def _one(draft: SetupDraft, key: str, wanted: str) -> str | None:
    """One person's email from a name or an email (the problem noted under ``key``)."""
    if not draft.people:
        if "@" in wanted:
            return wanted.strip().lower()
        draft.problems.append(
            field_problem(f"people.{key}", Msg(BY_EMAIL, problem=draft.directory_note))
        )
        return None
    email, problem, _choices = pick_person(draft.people, wanted, draft.source_name)
    if problem:
        draft.problems.append(field_problem(f"people.{key}", problem))
    return email


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


def _outside(draft: SetupDraft, key: str, wanted: str) -> str | None:
    """The DPO's or clerk's email: someone on the staff list (by name or email), else someone
    outside it given by address (kept in ``outsiders``, with their name)."""
    found = outside_person(wanted)
    if found is None:
        return _one(draft, key, wanted)
    email, name = found
    if any(p.email == email and p.active for p in draft.people):
        return email
    if not draft.people and "<" not in wanted:
        return email  # the platform's directory is not read yet: by address, as every role
    problem = email_problem(email)
    if problem is not None:
        draft.problems.append(field_problem(
            f"people.{key}", Msg(NOT_AN_ADDRESS, email=email, why=email_reason(problem))
        ))
        return None
    draft.outsiders[email] = name
    return email


def resolve_people(draft: SetupDraft) -> None:
    """Everyone named in ``people``, found in the directory (every problem with its key); the
    DPO and clerk may be from outside it (``outsiders``)."""
    given = draft.answers.people
    for key in SINGLE_ROLES:
        if wanted := getattr(given, key):
            pick = _outside if key in OUTSIDE_ROLES else _one
            draft.roles[key] = pick(draft, key, wanted)
    for key in LIST_ROLES:
        emails = [_one(draft, f"{key}[{i}]", w) for i, w in enumerate(getattr(given, key))]
        draft.roles[key] = [e for e in emails if e]
    if not draft.roles["admins"] and draft.roles.get("headteacher"):
        draft.roles["admins"] = [draft.roles["headteacher"]]
    if draft.people and not unmapped_words(draft) and not any(
        person_roles(draft, p) for p in draft.people
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
        draft.problems.append(field_problem(
            "policies", Msg(FOLDER_NOT_FOUND, folder=folder) if folder else Msg(NO_FOLDER)
        ))
        return
    draft.policies = read(folder)
    if not draft.policies:
        draft.problems.append(field_problem("policies", Msg(NO_DOCUMENTS, folder=folder)))
    for item in draft.policies:
        for name, text in draft.answers.policy_answers.get(item.path.name, {}).items():
            if problem := item.answer(name, text):
                draft.problems.append(
                    field_problem(f"policy_answers.{item.path.name}.{name}", problem)
                )
    for item in draft.policies:
        item.check_ownership(draft.answers.school.name, dsl_names(draft),
                             dsl=school_words_for(draft.answers.school.country).dsl)
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
    """Questions still unanswered, and two documents that are the same policy."""
    problems = [
        field_problem(f"policy_answers.{item.path.name}.{name}", Msg(UNANSWERED))
        for item in draft.policies
        for name in item.questions
    ]
    for first, second in twins(draft.policies):
        assert first.imported is not None and second.imported is not None
        same = same_document(first.imported, second.imported)
        problems.append(field_problem("policies", Msg(
            SAME_DOCUMENT if same else SAME_TITLE,
            first=first.path.name, second=second.path.name, title=second.title,
        )))
    return problems


def read_terms(draft: SetupDraft) -> None:
    """Term dates from the published calendar, or as typed."""
    terms = draft.answers.terms
    if terms.ics is not None:
        try:
            with terms.ics.open("rb") as calendar:  # a huge file is never read whole
                data = calendar.read(MAX_ICS_BYTES + 1)
            draft.calendar = read_term_calendar(data, terms.ics.name)
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
    refs = [
        PolicyRef(policy_key(p.title), p.title)
        for p in draft.policies
        if not p.error and not p.questions
    ]
    school = draft.answers.school
    draft.pack = match_pack(
        refs, school.country, school_words_for(school.country, independent=school.independent)
    )
    wanted = draft.answers.requirements
    known = {item.template.id for item in draft.pack}
    if wanted == "standard":  # every template but the optional ones, which are asked for
        draft.chosen = {i.template.id for i in draft.pack if i.template.kind != "optional"}
        return
    draft.chosen = set(wanted) & known
    draft.problems += [
        field_problem("requirements",
                      Msg(NO_TEMPLATE, name=repr(name), known=", ".join(sorted(known))))
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
    return [Reading(f"{r['id']}/{part}", r["id"], part, str(r.get("title") or r["id"]))
            for r in pack_requirements(draft.pack, draft.chosen)
            if r["kind"] == "reading_campaign" for part, audience in r["audiences"].items()
            if today is None or "until" not in audience or today < audience["until"]]


def edition_problems(draft: SetupDraft) -> list[Msg]:
    """Editions named in the answers that are not a reading's audience or a folder file."""
    keys = {r.key for r in readings(draft)}
    files = {p.path.name for p in draft.policies if not p.error}
    problems = []
    for key, name in draft.answers.editions.items():
        if key not in keys:
            problems.append(field_problem(
                f"editions.{key}",
                Msg(NOT_A_READING, readings=", ".join(sorted(keys))) if keys else Msg(NO_READINGS),
            ))
        elif name not in files:
            problems.append(field_problem(f"editions.{key}", Msg(NOT_IN_FOLDER, name=name)))
    return problems


def register_editions(session: Session, draft: SetupDraft, org: OrgConfig,
                      today: date) -> None:
    """Register each edition the answers give, from the policy folder, in force today."""
    folder = draft.answers.policies
    titles = {p.path.name: p.title for p in draft.policies if not p.error}
    year = today.year if today.month >= 9 else today.year - 1  # the school year's first
    for reading in readings(draft, today):
        name = draft.answers.editions.get(reading.key)
        if name is None or folder is None:
            continue
        register_edition(session, org.school(draft.school_id), reading.requirement,
                         reading.audience,
                         title=titles.get(name) or reading.title, edition=str(year),
                         path=folder / name, in_force=today, actor="cli:init")


def draft_setup(
    settings: Settings, answers: Answers,
    read: Callable[[Path], list[FolderPolicy]] = read_policy_folder,
    adding: Install | None = None,
) -> SetupDraft:
    """Read and check everything the answers point at; ``problems`` lists what is wrong
    (``read``: how the policy folder is read, ``FolderReads.read`` in an interactive run;
    ``adding``: the install the school joins, whose platform, address and source stand)."""
    if adding is not None:
        answers = answers.model_copy(update={
            "platform": settings.connector, "base_url": settings.base_url,
            "settings_source": adding.source})
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


def _terms(draft: SetupDraft) -> dict[str, Any]:
    """The calendar keys of school.yaml."""
    typed = draft.answers.terms
    calendar = draft.calendar or TermCalendar()
    terms = [t.model_dump() for t in typed.dates] or calendar.terms
    return {
        "terms": terms,
        "holidays": sorted(set(typed.holidays) | set(calendar.holidays)),
        "inset_days": sorted(set(typed.inset_days) | set(calendar.inset_days)),
    }


def school_config(draft: SetupDraft, today: date) -> dict[str, Any]:
    """The whole school.yaml as data (validated by ``OrgConfig`` before it is written): the new
    school's entry alone, or (adding) after the install's schools, as they are."""
    answers = draft.answers
    school_id = draft.school_id
    roles = {k: v for k, v in draft.roles.items() if v}
    folder = f"policies/{school_id}/" if draft.adding else "policies/"  # a school's own copies
    # national guidance (KCSIE) is read through a reading campaign, never adopted as a policy
    policies = [p.entry(today, document=folder + p.path.name) for p in draft.policies
                if not p.error and not PolicyRef(p.title, p.title).is_guidance]
    if "governors-review" in draft.chosen:
        for entry in policies:
            entry["owner"] = roles.get("headteacher")
            if roles.get("chair_of_governors"):
                entry["reviewers"] = [roles["chair_of_governors"]]
    aup = {r["policy"] for r in pack_requirements(draft.pack, {"sign-aup"})}
    for entry in policies:
        if entry["id"] in aup:
            entry["aup"] = True
    school: dict[str, Any] = {
        "id": school_id,
        "name": answers.school.name,
        "country": answers.school.country,
        **({"language": answers.school.language} if answers.school.language != "en" else {}),
        **{k: v for k in ("language_category", "independent", "proprietor", "inspectorate")
           if (v := getattr(answers.school, k))},
        **({"connection": answers.connection} if answers.connection else {}),
        **({"directory": {"staff_group": answers.staff_group}} if answers.staff_group else {}),
        **roles,  # school.yaml is written in the model's order, whatever the order here
        "role_groups": dict(answers.role_groups),
        "job_titles": dict(answers.job_titles),
        **_terms(draft),
        "policies": policies,
        "requirements": pack_requirements(draft.pack, draft.chosen, roles),
    }
    trust = {k: v for k in ("trust_admins", "trust_safeguarding_leads")
             if (v := getattr(answers, k))}
    if draft.adding is None:
        return {"organisation": {"name": answers.organisation or answers.school.name,
                                 "timezone": "Europe/London", **trust},
                "schools": [school]}
    data = config_store.document(draft.adding.org)
    for key, people in trust.items():  # the trust's people join those it has
        data["organisation"][key] = list(dict.fromkeys([*data["organisation"].get(key, []),
                                                        *people]))
    return {**data, "schools": [*data["schools"], school]}


def env_text(
    answers: Answers, settings: Settings, today: date, headteacher: str | None
) -> str:
    """The settings file (``.env``) for the chosen platform, as the deploy guides write it
    (local mail comes from ``mail_from``, else compliance-bot@ the headteacher's domain).

    Every setting ``init`` used is written, the database first: a later command run without
    the same environment must find the same school, never start an empty one of its own.
    """
    domain = (headteacher or "@school.example").rsplit("@", 1)[-1]
    base_url, port = own_address(answers.base_url.rstrip("/"), settings.port)
    given = {k.upper(): v for k, v in answers.platform_settings.items()}
    template: jinja2.Template = jinja2.Template(
        Path(__file__).with_name("settings.env.j2").read_text(encoding="utf-8"),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return template.render(
        school=answers.school.name, today=today, settings=settings, platform=answers.platform,
        platform_name=_PLATFORM[answers.platform], base_url=base_url, port=port,
        mail_from=answers.mail_from or f"compliance-bot@{domain}", given=given,
        needed=(("TENANT_ID", "CLIENT_ID", "SENDER") if answers.platform == "m365"
                else ("SERVICE_ACCOUNT_FILE", "ADMIN_SUBJECT", "SENDER")),
        # inside a double-quoted .env line (python-dotenv's escapes)
        user_query=given.get("USER_QUERY", "").replace("\\", "\\\\").replace('"', '\\"'),
        role_groups=json.dumps(dict(answers.role_groups)) if answers.role_groups else "",
    )


def _header(draft: SetupDraft, settings: Settings, today: date) -> str:
    """school.yaml's first lines: who wrote it, and where the settings are changed."""
    name = draft.answers.school.name
    first = f"# {name}: written by `compliance-bot init` on {today:%d %B %Y}.\n"
    if draft.adding is not None:
        first = (f"# {draft.adding.org.organisation.name}'s schools: {name} added by "
                 f"`compliance-bot init` on {today:%d %B %Y}.\n")
    if draft.answers.settings_source == "web":
        return first + (
            f"# The web pages ({settings.base_url}/setup) are where settings are changed:\n"
            "# edits to this file are not read until you run\n"
            "# `compliance-bot config import school.yaml`.\n"
        )
    return first + (
        "# This file is where settings are changed; then run `compliance-bot check config`.\n"
    )


WORKBOOKS = frozenset({".xlsx", ".xlsm"})  # staff lists copied as workbooks, not as text


def _copy_directory(source: Path, target: Path, left_out: set[int], sheet: str | None) -> None:
    """The staff list copied for the bot's syncs, without the lines the school left out: a
    CSV's lines (in its own encoding, written as UTF-8), or the workbook's ``sheet`` as the
    one reader read it, each other row at its number (a YAML list is copied whole, its rows
    still named)."""
    if not left_out or source.suffix.lower() in {".yaml", ".yml"}:
        shutil.copyfile(source, target)
        return
    book = read_spreadsheet(source)
    found = next((s for s in book.sheets if s.name == sheet), book.sheets[0])
    if found.name is None:
        with source.open(encoding=found.encoding, newline="") as text:
            kept = [line for n, line in enumerate(text, start=1) if n not in left_out]
        target.write_text("".join(kept), encoding="utf-8", newline="")
        return
    from openpyxl import Workbook  # lazy: ~0.4 s to import, for a workbook only

    copy = Workbook(write_only=True)
    rows = copy.create_sheet(found.name)
    last = 0
    for number, cells in found.rows():
        for _blank in range(last + 1, number):
            rows.append([])
        rows.append([] if number in left_out else cells)
        last = number
    copy.save(target)


@dataclass(frozen=True)
class Written:
    """What ``write_setup`` wrote, for the closing summary (``store``: the database, migrated,
    for the first plan)."""

    config_path: Path
    env_path: Path | None
    copied: list[Path]
    store: Store


def write_setup(
    settings: Settings, draft: SetupDraft, org: OrgConfig, *, today: date, now: datetime,
    env_path: Path | None = Path(".env"),
) -> Written:
    """Write the folder (school.yaml, policy and directory copies), ``env_path`` and the
    database; preview begins, in the settings source chosen. The demo writes no ``.env``
    (``compliance-bot demo`` gives its own settings)."""
    home = settings.home
    folder = home / "policies" / (draft.school_id if draft.adding else "")
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in draft.policies:
        if item.error is None:
            target = folder / item.path.name
            shutil.copyfile(item.path, target)
            copied.append(target)
    if draft.adding is not None and draft.answers.platform == "local":
        copied.append(join_staff_list(settings, draft.people, draft.school_id,
                                      draft.adding.org.schools[0].id))
    elif draft.answers.platform == "local" and draft.answers.directory is not None:
        target = settings.directory_file
        if settings.local.directory_file is None:  # the home folder's, of the file's kind
            workbook = draft.answers.directory.suffix.lower() in WORKBOOKS
            target = home / ("directory.xlsx" if workbook else "directory.csv")
            (home / ("directory.csv" if workbook else "directory.xlsx")).unlink(missing_ok=True)
        _copy_directory(draft.answers.directory, target, set(draft.answers.leave_out),
                        draft.sheet)
        copied.append(target)
    settings.config_path.write_text(
        config_store.to_yaml(org, _header(draft, settings, today)), encoding="utf-8"
    )
    if env_path is not None and draft.adding is None:  # a joining school: the install's stand
        env_path.write_text(env_text(draft.answers, settings, today,
                                     draft.roles.get("headteacher")), encoding="utf-8")
        env_path.chmod(0o600)
    store = Store(settings.db_url, keys=settings.audit_keyring())
    store.upgrade()
    source = draft.answers.settings_source
    with store.transaction() as session:
        config_store.save(session, org, by="cli:init", now=now, note="compliance-bot init")
        setup_state.begin_setup(session, source=source, by="cli:init", now=now)
        fill_registers(session, draft, org, today)
        register_editions(session, draft, org, today)
    return Written(settings.config_path, env_path, copied, store)


def fill_registers(session: Session, draft: SetupDraft, org: OrgConfig, today: date) -> None:
    """The registers filled now, not at the first sweep: the people from outside the staff
    list (a council DPO, a clerk) on the people register, and the policies, their versions
    and the requirements in the store, so ``policies list`` and the pages show them at once."""
    school = org.school(draft.school_id)
    ensure_school(session, school)
    for email, name in sorted(draft.outsiders.items()):
        session.add(ExtraPerson(school_id=school.id, email=email, display_name=name[:200],
                                job_title=None, roles=[]))
    session.flush()
    if draft.outsiders:
        sync_register(session, school, today)
    sync_config(session, org, school, today)
