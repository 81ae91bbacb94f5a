"""Each school's settings checked on their own: one school's invalid entry holds that school only.

What it promises: the configuration in force is built school by school (``resolve_file``,
``resolve_saved``). A school whose entry passes the checks is in force as written, and the
sweep stores it as that school's *last good* settings (``record``); a school whose entry fails
keeps its last good settings, or is *held* (left out: nothing is swept or sent for it) when it
never had any. Every problem names the file, the line and the field. A file that cannot be read
at all (not YAML, or its ``organisation`` part invalid) keeps every school on its last good
settings. ``schools_with_bad_settings`` lists the schools with a problem now.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config.fields import Email
from bot.core.config.reading import format_loc, line_index, located_problems
from bot.core.config.said import check, counted, problem_line
from bot.core.config.schema import (
    ConfigError,
    Organisation,
    OrgConfig,
    SchoolConfig,
    read_config_file,
)
from bot.core.config.writing import plain
from bot.core.guards.forms import Text
from bot.core.language.i18n import LANGUAGES, Lazy, Msg, shown
from bot.core.language.kept_text import from_data, to_data
from bot.core.models import SchoolSettings

__all__ = [
    "LastGood",
    "SettingsProblem",
    "Standing",
    "last_good",
    "problems_text",
    "record",
    "resolve_file",
    "resolve_saved",
    "schools_with_bad_settings",
    "settings_problems",
    "standing_of",
    "stored_lines",
]

_EMAILS = TypeAdapter(list[Email])


@dataclass(frozen=True)
class LastGood:
    """A school's stored last good settings: its entry and the organisation's, as accepted."""

    school_id: str
    organisation: dict[str, Any]
    school: dict[str, Any]
    accepted_at: datetime


@dataclass(frozen=True)
class SettingsProblem:
    """A school whose entry fails the checks: what is wrong, and what is in force instead."""

    school_id: str
    name: str  # the school's name as far as it is known (its entry, else its last good one)
    # one line a problem: file, line, field and what is wrong (a sentence with its values, said
    # where shown; a line stored before, in English, as it was stored)
    lines: tuple[Text, ...]
    kept_since: datetime | None  # when the settings still in force were accepted; None: held
    admins: tuple[str, ...] = ()  # who hears about it: the school's admins as far as known
    # the language its entry asks for, where the entry reads as one (``language:``, else the
    # default ``en``); None when it cannot be told (the entry is not a mapping, or the value
    # is not a language): what a school held before any settings passed is told in
    language: str | None = None
    # the whole file cannot be read (YAML, or the organisation's part): every school keeps its
    # last good settings, and the trust's administrators are the ones who can fix it
    whole: bool = False
    entry: str | None = None  # then: the school whose entry holds the line (name, else id)

    @property
    def held(self) -> bool:
        """True when the school never had good settings: nothing is swept or sent for it."""
        return self.kept_since is None

    @property
    def message(self) -> str:
        """The problem's lines in English, one a line (logs, the fingerprint)."""
        return "\n".join(str(shown(line, "en")) for line in self.lines)

    @property
    def stored(self) -> str:
        """The lines as stored: sentences and values (JSON), never said."""
        return json.dumps([to_data(line) for line in self.lines], ensure_ascii=False)

    @property
    def sha256(self) -> str:
        """The problem's fingerprint: a new problem (or the same one fixed and back) is new."""
        return hashlib.sha256(f"{self.school_id}\n{self.message}".encode()).hexdigest()


@dataclass(frozen=True)
class Standing:
    """How the configuration in force was built: the schools whose entries passed (to store as
    their last good settings) and each school's problem."""

    accepted: Mapping[str, SchoolConfig] = field(default_factory=dict)  # by school id
    problems: tuple[SettingsProblem, ...] = ()

    def document(self, organisation: Organisation, school_id: str) -> tuple[str, str]:
        """An accepted school's settings with ``organisation``'s as stored (``_canonical``),
        and their SHA-256; made again only when they changed (``_DOCUMENTS``)."""
        school = self.accepted[school_id]
        settings = f"{organisation.model_dump_json()}\n{school.model_dump_json()}"
        made = _DOCUMENTS.get(school_id)
        if made is None or made[0] != settings:
            text = _canonical(organisation, school)
            made = _DOCUMENTS[school_id] = (
                settings,
                text,
                hashlib.sha256(text.encode()).hexdigest(),
            )
        return made[1], made[2]


# each school's stored document and its SHA-256, with the settings they were made of (as
# pydantic writes them, many times quicker than the document): the scheduler reads the settings
# afresh every tick and stores them (``record``), and making the documents was most of its cost
_DOCUMENTS: dict[str, tuple[str, str, str]] = {}


def _canonical(organisation: Organisation, school: SchoolConfig) -> str:
    """A school's settings and the organisation's as stable JSON: what is stored and hashed."""
    return json.dumps(
        plain(
            {
                "organisation": organisation.model_dump(mode="python"),
                "school": school.model_dump(mode="python"),
            }
        ),
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )


def last_good(session: Session) -> dict[str, LastGood]:
    """Every school's stored last good settings, by school id."""
    found: dict[str, LastGood] = {}
    for row in session.scalars(select(SchoolSettings).where(SchoolSettings.document.is_not(None))):
        assert row.document is not None and row.accepted_at is not None
        data = json.loads(row.document)
        found[row.school_id] = LastGood(
            row.school_id, data["organisation"], data["school"], row.accepted_at
        )
    return found


def _restore(good: LastGood) -> SchoolConfig | None:
    """The school's last good settings as a model, or None if they no longer pass (a date
    that has since left its window, an upgrade's rule)."""
    try:
        return SchoolConfig.model_validate(good.school)
    except ValidationError:
        return None


def _admins(entry: Any, trust_admins: Sequence[str]) -> tuple[str, ...]:
    """Who hears about a school's problem: its admins (else its head) as its entry or its last
    good settings name them, and the trust's admins; addresses that are not valid are left out."""
    own: list[str] = []
    if isinstance(entry, dict):
        for raw in entry.get("admins") or [entry.get("headteacher")]:
            try:
                own += _EMAILS.validate_python([raw])
            except ValidationError:
                continue
    return tuple(dict.fromkeys([*own, *trust_admins]))


_NAME_OR_ID = re.compile(r"(name|id):\s*['\"]?(.+?)['\"]?\s*(?:#.*)?$")


def _entry_at(path: Path, message: str) -> str | None:
    """The school whose entry of ``path`` holds the line a problem names ("school.yaml line
    12: ...", or the line the unfinished part began on), read from the text alone (it is not
    YAML): the last ``schools:`` item begun by that line, by its ``name:`` else its ``id:``;
    None when it cannot be told."""
    line = re.search(r"began on line (\d+)", message) or re.search(r" line (\d+)", message)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[: int(line.group(1))] if line else []
    except (OSError, UnicodeDecodeError):
        return None
    start = next((n for n, text in enumerate(lines) if re.match(r"schools:\s*(#.*)?$", text)), None)
    if start is None:
        return None
    items = [n for n in range(start + 1, len(lines)) if re.match(r"\s*- ", lines[n])]
    indent = len(lines[items[0]]) - len(lines[items[0]].lstrip()) if items else 0
    begun = [n for n in items if len(lines[n]) - len(lines[n].lstrip()) == indent]
    found: dict[str, str] = {}
    for n, text in enumerate(lines[begun[-1] :] if begun else []):
        if n and len(text) - len(text.lstrip()) != indent + 2:
            continue  # only the entry's own keys, never a policy's id
        key = _NAME_OR_ID.match(text.strip().removeprefix("- "))
        if key:
            found.setdefault(key.group(1), key.group(2))
    return found.get("name") or found.get("id")


def _whole_file(
    lines: Sequence[Text], stored: Mapping[str, LastGood], base_dir: Path, entry: str | None = None
) -> tuple[OrgConfig, Standing]:
    """Every school on its last good settings (the file cannot be read at all; ``entry``:
    the school whose entry holds the line); ConfigError when there are none to keep."""
    kept = {sid: (good, _restore(good)) for sid, good in stored.items()}
    schools = [school for _good, school in kept.values() if school is not None]
    if not schools:
        raise ConfigError(*lines)
    newest = max(stored.values(), key=lambda good: good.accepted_at)
    organisation = Organisation.model_validate(newest.organisation)
    problems = tuple(
        SettingsProblem(
            sid,
            school.name if school else sid,
            tuple(lines),
            good.accepted_at if school else None,
            _admins(good.school, organisation.trust_admins),
            whole=True,
            entry=entry,
        )
        for sid, (good, school) in kept.items()
    )
    org = OrgConfig(organisation=organisation, schools=schools, base_dir=base_dir)
    return _attach(org, Standing(problems=problems))


def _attach(org: OrgConfig, standing: Standing) -> tuple[OrgConfig, Standing]:
    """The configuration with how it was built (``standing_of`` reads it back)."""
    org._standing = standing
    return org, standing


def standing_of(org: OrgConfig) -> Standing | None:
    """How ``org`` was built school by school (None: loaded whole, by ``load_config``)."""
    standing = org._standing
    return standing if isinstance(standing, Standing) else None


def _missing_documents(
    where: object, text: str, index: int, school: SchoolConfig, base_dir: Path
) -> list[Msg]:
    """A policy whose document is not there (each one's file, line and field; the file's
    lines are found only then: a second parse of the YAML that a good file never needs)."""
    problems = []
    lines: Mapping[tuple[Any, ...], int] = {}
    for number, policy in enumerate(school.policies):
        path = Path(str(policy.document))
        found = path if path.is_absolute() else base_dir / path
        if not found.is_file():
            lines = lines or line_index(text)
            loc = ("schools", index, "policies", number, "document")
            said = check("no_document", path=found)
            problems.append(
                problem_line(
                    where, said, line=lines.get(loc) or lines.get(loc[:-1]), field=format_loc(loc)
                )
            )
    return problems


def _split(
    where: object, text: str, data: dict[str, Any], base_dir: Path
) -> tuple[list[Msg], dict[int, list[Msg]], OrgConfig | None]:
    """The problems of the whole file (organisation, the list of schools) and of each school
    entry (by its index), each one line naming file, line and field; the whole configuration
    when it has none."""
    try:
        return [], {}, OrgConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        errors = located_problems(where, text, exc)
    per_school: dict[int, list[Msg]] = {}
    whole: list[Msg] = []
    for loc, _line, message in errors:
        if len(loc) >= 2 and loc[0] == "schools" and isinstance(loc[1], int):
            per_school.setdefault(loc[1], []).append(message)
        else:
            whole.append(message)
    return whole, per_school, None


def _failed(
    sid: str, entry: Any, said: list[Msg], good: LastGood | None, trust_admins: Sequence[str]
) -> tuple[SchoolConfig | None, SettingsProblem]:
    """A school whose entry fails: its last good settings (None: held) and its problem."""
    kept = _restore(good) if good is not None else None
    name = entry.get("name") if isinstance(entry, dict) else None
    asked = entry.get("language", "en") if isinstance(entry, dict) else None
    problem = SettingsProblem(
        sid,
        kept.name if kept else (name if isinstance(name, str) and name else sid),
        tuple(said),
        good.accepted_at if kept and good else None,
        _admins(good.school if kept and good else entry, trust_admins),
        asked if asked in LANGUAGES else None,
    )
    return kept, problem


def _resolve(
    where: object, text: str, data: dict[str, Any], base_dir: Path, stored: Mapping[str, LastGood]
) -> tuple[OrgConfig, Standing]:
    """The configuration in force from parsed settings, school by school (see the module)."""
    whole, per_school, valid = _split(where, text, data, base_dir)
    if whole:  # the organisation, or the list of schools itself
        return _whole_file(whole, stored, base_dir)
    organisation = Organisation.model_validate(data["organisation"])
    schools: list[SchoolConfig] = []
    accepted: dict[str, SchoolConfig] = {}
    problems: list[SettingsProblem] = []
    for index, entry in enumerate(data["schools"]):
        sid = entry.get("id") if isinstance(entry, dict) else None
        sid = sid if isinstance(sid, str) and sid else f"schools[{index}]"
        said = per_school.get(index, [])
        school = valid.schools[index] if valid is not None else None
        if school is None and not said:
            school = SchoolConfig.model_validate(entry)
        if school is not None:
            said = _missing_documents(where, text, index, school, base_dir)
        if school is not None and not said:
            schools.append(school)
            accepted[sid] = school
            continue
        kept, problem = _failed(sid, entry, said, stored.get(sid), organisation.trust_admins)
        schools += [kept] if kept is not None else []
        problems.append(problem)
    if not schools:
        raise ConfigError(*problems_text(where, problems))
    org = (
        valid
        if valid is not None and not problems
        else OrgConfig(organisation=organisation, schools=schools, base_dir=base_dir)
    )
    return _attach(org, Standing(accepted, tuple(problems)))


def problems_text(where: object, problems: Sequence[SettingsProblem]) -> list[Text]:
    """Every problem once, one a line in file order, as ``load_config`` says them: with a first
    line counting them when there are several."""
    lines: list[Text] = list(dict.fromkeys(line for p in problems for line in p.lines))
    if len(lines) > 1:
        lines.insert(0, counted(where, len(lines)))
    return lines


def resolve_file(path: Path, stored: Mapping[str, LastGood]) -> OrgConfig:
    """school.yaml school by school: a school whose entry fails keeps ``stored`` (its last good
    settings) or is held; a file that cannot be read keeps every school on ``stored``
    (ConfigError only when nothing at all can be in force)."""
    try:
        text, data = read_config_file(path)
    except ConfigError as exc:
        return _whole_file(exc.lines, stored, path.parent, _entry_at(path, str(exc)))[0]
    return _resolve(path, text, data, path.parent, stored)[0]


def resolve_saved(
    data: dict[str, Any], where: object, base_dir: Path, stored: Mapping[str, LastGood]
) -> OrgConfig:
    """A saved version of the settings (the web pages'), school by school as ``resolve_file``;
    ``where`` says which version in the problems' words."""
    return _resolve(where, "", data, base_dir, stored)[0]


def record(session: Session, org: OrgConfig, now: datetime) -> list[SettingsProblem]:
    """Store each accepted school's settings as its last good ones and each school's problem;
    returns the problems that are new (not the one stored for the school already)."""
    standing = standing_of(org)
    if standing is None:
        return []
    rows = {row.school_id: row for row in session.scalars(select(SchoolSettings))}

    def row_of(school_id: str, name: str) -> SchoolSettings:
        row = rows.get(school_id)
        if row is None:
            row = rows[school_id] = SchoolSettings(school_id=school_id[:64], name=name[:200])
            session.add(row)
        if row.name != name[:200]:  # set only when changed: an unchanged row is not flushed
            row.name = name[:200]
        return row

    for school_id, school in standing.accepted.items():
        row = row_of(school_id, school.name)
        document, digest = standing.document(org.organisation, school_id)
        if row.sha256 != digest:
            row.document, row.sha256, row.accepted_at = document, digest, now
        if (row.problem, row.problem_sha256, row.problem_since) != (None, None, None):
            row.problem = row.problem_sha256 = row.problem_since = None
    new = []
    for problem in standing.problems:
        row = row_of(problem.school_id, problem.name)
        if row.problem_sha256 != problem.sha256:
            row.problem, row.problem_sha256, row.problem_since = (
                problem.stored,
                problem.sha256,
                now,
            )
            new.append(problem)
    session.flush()
    return new


def settings_problems(session: Session, school_id: str | None = None) -> list[SettingsProblem]:
    """The schools with a problem now (one school's, or every school's), as the last sweep
    recorded them (by name)."""
    query = select(SchoolSettings).where(SchoolSettings.problem.is_not(None))
    if school_id is not None:
        query = query.where(SchoolSettings.school_id == school_id)
    rows = session.scalars(query.order_by(SchoolSettings.name))
    return [
        SettingsProblem(
            r.school_id,
            r.name,
            stored_lines(r.problem or ""),
            r.accepted_at if r.document is not None else None,
            whole="schools[" not in (r.problem or ""),  # a school's own lines name its entry
        )
        for r in rows
    ]


def stored_lines(stored: str) -> tuple[Text, ...]:
    """A problem's lines as stored: its sentences and values (JSON); a row stored before, in
    English text, line by line as it was written."""
    if stored.startswith("["):
        try:
            lines = [from_data(item) for item in json.loads(stored)]
        except (ValueError, TypeError, KeyError):
            lines = []
        if lines:
            return tuple(line if isinstance(line, Lazy) else str(line) for line in lines)
    return tuple(stored.splitlines())


def schools_with_bad_settings(session: Session) -> dict[str, tuple[Text, ...]]:
    """The schools whose settings fail the checks now: school id -> the problem's lines (file,
    line, field, what is wrong), as the last sweep recorded it (the trust's oversight page)."""
    return {p.school_id: p.lines for p in settings_problems(session)}
