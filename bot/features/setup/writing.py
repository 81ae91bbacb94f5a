"""What ``compliance-bot init`` makes of a checked draft (``school_setup``): school.yaml's data
(the new school's entry, its policies with their owners and the AUP marked, its calendar and
requirements, alone or after the install's schools), the settings file (``.env``), the copies
of the policies and the staff list, and the database with its registers filled (preview
begins).

In an install that has schools (this folder's school.yaml, or a database that holds schools),
``init`` adds one: the install's platform, address and settings source stand, its other
schools stay as they are, the new school's entry joins school.yaml (and the saved settings),
its policies are copied into ``policies/<its id>/`` and, on a staff list, its people join the
trust's one list under its id (the ``school`` column); it starts in preview."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from bot.core.config import OrgConfig
from bot.core.config import store as config_store
from bot.core.database.store import Store
from bot.core.deployment import setup_state
from bot.core.deployment.settings import own_address
from bot.core.files.spreadsheets import read_spreadsheet
from bot.core.models import ExtraPerson
from bot.engine.config_sync import ensure_school, sync_config
from bot.engine.extra_people import sync_register
from bot.features.reading.api import register_edition
from bot.features.setup.answers import Answers
from bot.features.setup.install import join_staff_list
from bot.features.setup.pack import pack_requirements
from bot.features.setup.school_setup import PLATFORM_NAMES, SetupDraft, readings
from bot.features.setup.term_calendar import TermCalendar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.core.deployment.settings import Settings

__all__ = ["Written", "env_text", "school_config", "write_setup"]


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


def _policies(draft: SetupDraft, roles: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """school.yaml's policies: each document of the folder adopted (national guidance such as
    KCSIE is read through a reading campaign, never adopted as a policy), owned by the head and
    reviewed by the chair where governors review them, the AUP marked."""
    folder = f"policies/{draft.school_id}/" if draft.adding else "policies/"  # its own copies
    aup = {r["policy"] for r in pack_requirements(draft.pack, {"sign-aup"})}
    policies = []
    for p in draft.policies:
        if p.error or p.is_guidance:
            continue
        entry = p.entry(today, document=folder + p.path.name)
        if "governors-review" in draft.chosen:
            entry["owner"] = roles.get("headteacher")
            if roles.get("chair_of_governors"):
                entry["reviewers"] = [roles["chair_of_governors"]]
        if entry["id"] in aup:
            entry["aup"] = True
        policies.append(entry)
    return policies


def _school(draft: SetupDraft, today: date) -> dict[str, Any]:
    """The new school's entry of school.yaml."""
    answers = draft.answers
    roles = {k: v for k, v in draft.roles.items() if v}
    return {
        "id": draft.school_id,
        "name": answers.school.name,
        "country": answers.school.country,
        **({"language": answers.school.language} if answers.school.language != "en" else {}),
        **{
            k: v
            for k in ("language_category", "independent", "proprietor", "inspectorate")
            if (v := getattr(answers.school, k))
        },
        **({"connection": answers.connection} if answers.connection else {}),
        **({"directory": {"staff_group": answers.staff_group}} if answers.staff_group else {}),
        **roles,  # school.yaml is written in the model's order, whatever the order here
        "role_groups": dict(answers.role_groups),
        "job_titles": dict(answers.job_titles),
        **_terms(draft),
        "policies": _policies(draft, roles, today),
        "requirements": pack_requirements(draft.pack, draft.chosen, roles, answers.school.language),
    }


def school_config(draft: SetupDraft, today: date) -> dict[str, Any]:
    """The whole school.yaml as data (validated by ``OrgConfig`` before it is written): the new
    school's entry alone, or (adding) after the install's schools, as they are."""
    answers = draft.answers
    school = _school(draft, today)
    trust = {
        k: v for k in ("trust_admins", "trust_safeguarding_leads") if (v := getattr(answers, k))
    }
    if draft.adding is None:
        return {
            "organisation": {
                "name": answers.organisation or answers.school.name,
                "timezone": "Europe/London",
                **trust,
            },
            "schools": [school],
        }
    data = config_store.document(draft.adding.org)
    for key, people in trust.items():  # the trust's people join those it has
        data["organisation"][key] = list(
            dict.fromkeys([*data["organisation"].get(key, []), *people])
        )
    return {**data, "schools": [*data["schools"], school]}


def env_text(answers: Answers, settings: Settings, today: date, headteacher: str | None) -> str:
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
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return template.render(
        school=answers.school.name,
        today=today,
        settings=settings,
        platform=answers.platform,
        platform_name=PLATFORM_NAMES[answers.platform],
        base_url=base_url,
        port=port,
        mail_from=answers.mail_from or f"compliance-bot@{domain}",
        given=given,
        needed=(
            ("TENANT_ID", "CLIENT_ID", "SENDER")
            if answers.platform == "m365"
            else ("SERVICE_ACCOUNT_FILE", "ADMIN_SUBJECT", "SENDER")
        ),
        # inside a double-quoted .env line (python-dotenv's escapes)
        user_query=given.get("USER_QUERY", "").replace("\\", "\\\\").replace('"', '\\"'),
        role_groups=json.dumps(dict(answers.role_groups)) if answers.role_groups else "",
    )


def _header(draft: SetupDraft, settings: Settings, today: date) -> str:
    """school.yaml's first lines: who wrote it, and where the settings are changed."""
    name = draft.answers.school.name
    first = f"# {name}: written by `compliance-bot init` on {today:%d %B %Y}.\n"
    if draft.adding is not None:
        first = (
            f"# {draft.adding.org.organisation.name}'s schools: {name} added by "
            f"`compliance-bot init` on {today:%d %B %Y}.\n"
        )
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
    settings: Settings,
    draft: SetupDraft,
    org: OrgConfig,
    *,
    today: date,
    now: datetime,
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
        copied.append(
            join_staff_list(settings, draft.people, draft.school_id, draft.adding.org.schools[0].id)
        )
    elif draft.answers.platform == "local" and draft.answers.directory is not None:
        target = settings.directory_file
        if settings.local.directory_file is None:  # the home folder's, of the file's kind
            workbook = draft.answers.directory.suffix.lower() in WORKBOOKS
            target = home / ("directory.xlsx" if workbook else "directory.csv")
            (home / ("directory.csv" if workbook else "directory.xlsx")).unlink(missing_ok=True)
        _copy_directory(draft.answers.directory, target, set(draft.answers.leave_out), draft.sheet)
        copied.append(target)
    settings.config_path.write_text(
        config_store.to_yaml(org, _header(draft, settings, today)), encoding="utf-8"
    )
    if env_path is not None and draft.adding is None:  # a joining school: the install's stand
        env_path.write_text(
            env_text(draft.answers, settings, today, draft.roles.get("headteacher")),
            encoding="utf-8",
        )
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
        session.add(
            ExtraPerson(
                school_id=school.id, email=email, display_name=name[:200], job_title=None, roles=[]
            )
        )
    session.flush()
    if draft.outsiders:
        sync_register(session, school, today)
    sync_config(session, org, school, today)


def register_editions(session: Session, draft: SetupDraft, org: OrgConfig, today: date) -> None:
    """Register each edition the answers give, from the policy folder, in force today."""
    folder = draft.answers.policies
    # the document's own title where it has one (a PDF's first line may be none: the reading's)
    titles = {p.path.name: p.title for p in draft.policies if p.title != p.path.name}
    year = today.year if today.month >= 9 else today.year - 1  # the school year's first
    for reading in readings(draft, today):
        name = draft.answers.editions.get(reading.key)
        if name is None or folder is None:
            continue
        register_edition(
            session,
            org.school(draft.school_id),
            reading.requirement,
            reading.audience,
            title=titles.get(name) or reading.title,
            edition=str(year),
            path=folder / name,
            in_force=today,
            actor="cli:init",
        )
