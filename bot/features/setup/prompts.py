"""The questions of an interactive ``compliance-bot init``, one step at a time, each answer
checked as it is given (a name that fits several people offers the choice)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from bot.cli.common import console, err
from bot.core.calendar import COUNTRIES
from bot.features.policies.rules import policy_key
from bot.features.setup.answers import Answers, pick_person
from bot.features.setup.pack import PolicyRef, match_pack
from bot.features.setup.policy_folder import QUESTIONS, read_policy_folder

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from connectors.base import DirectoryPerson

__all__ = ["ask_answers"]


def _choice(question: str, options: tuple[str, ...], default: str) -> str:
    """One of ``options`` (asked again until it is one)."""
    while True:
        answer = str(typer.prompt(f"{question} ({'/'.join(options)})", default=default)).strip()
        if answer in options:
            return answer
        err.print(f"  please answer one of: {', '.join(options)}")


def _existing(question: str, *, folder: bool = False, optional: bool = False) -> Path | None:
    """A file (or folder) that exists; None when optional and left empty."""
    while True:
        text = str(typer.prompt(question, default="", show_default=False)).strip()
        if not text and optional:
            return None
        path = Path(text).expanduser()
        if (path.is_dir() if folder else path.is_file()):
            return path.resolve()
        err.print(f"  {text or 'nothing given'}: {'folder' if folder else 'file'} not found")


def _directory(answers: dict[str, Any]) -> list[DirectoryPerson]:
    """The staff CSV, read until it has no bad rows; role groups asked when nobody has one."""
    from connectors.base import ConnectorError
    from connectors.local.connector import FileDirectory

    while True:
        path = _existing("Staff list: the CSV export (email, name, roles or groups …)")
        assert path is not None
        try:
            changes = FileDirectory(path).fetch(None)
        except ConnectorError as exc:
            err.print(f"  {exc}")
            continue
        for line in changes.rejected:
            err.print(f"  [yellow]rejected[/] {escape(line)}", highlight=False)
        if changes.rejected and not typer.confirm("Use the file without those rows?"):
            continue
        answers["directory"] = path
        people = list(changes.people)
        console.print(f"  read {len(people)} people from {path.name}")
        if not any(p.roles for p in people):
            groups = sorted({g for p in people for g in p.groups})
            for group in groups:
                role = _choice(f"  Everyone in the group '{group}' is",
                               ("staff", "volunteer", "governor", "none"), "staff")
                if role != "none":
                    answers.setdefault("role_groups", {})[group] = role
        return people


def _person(people: list[DirectoryPerson], source: str, question: str) -> str | None:
    """One person by name or email; a choice list when a name fits several."""
    while True:
        text = str(typer.prompt(question, default="", show_default=False)).strip()
        if not text:
            return None
        if not people:
            return text
        email, problem, choices = pick_person(people, text, source)
        if email:
            return email
        if choices:
            for number, person in enumerate(choices, start=1):
                console.print(f"  {number}. {person.display_name} <{person.email}>"
                              f" {person.job_title or ''}", highlight=False)
            picked = typer.prompt("  Which one (number)", type=int, default=1)
            if 1 <= picked <= len(choices):
                return str(choices[picked - 1].email)
        err.print(f"  {problem}")


def _people(people: list[DirectoryPerson], source: str) -> dict[str, Any]:
    """Headteacher, DSL and deputies, DPO, clerk and chair of governors."""
    found: dict[str, Any] = {}
    while not found.get("headteacher"):
        found["headteacher"] = _person(people, source, "Headteacher (name or email)")
    for key, question in (("dsl", "Designated safeguarding lead (DSL)"),
                          ("deputy_dsl", "Deputy DSL")):
        found[key] = []
        while name := _person(people, source, f"{question} (Enter when done)"):
            found[key].append(name)
    for key, question in (("dpo", "Data protection officer"), ("clerk", "Clerk to governors"),
                          ("chair_of_governors", "Chair of governors")):
        if email := _person(people, source, f"{question} (Enter to leave out)"):
            found[key] = email
    return found


def _terms() -> dict[str, Any]:
    """A published calendar, or terms typed one by one."""
    ics = _existing("Term dates: the local authority's .ics calendar (Enter to type them)",
                    optional=True)
    if ics is not None:
        return {"ics": ics}
    dates = []
    while name := str(typer.prompt("Term name (Enter when done)", default="",
                                   show_default=False)).strip():
        start = typer.prompt("  first day (YYYY-MM-DD)")
        end = typer.prompt("  last day (YYYY-MM-DD)")
        dates.append({"name": name, "start": start, "end": end})
    inset = str(typer.prompt("INSET days (YYYY-MM-DD, separated by commas)", default="",
                             show_default=False))
    return {"dates": dates, "inset_days": [d.strip() for d in inset.split(",") if d.strip()]}


def _policy_questions(folder: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The folder read once; the questions it leaves, asked together at the end."""
    items = read_policy_folder(folder)
    console.print(f"  read {len(items)} documents from {folder}")
    answers: dict[str, dict[str, str]] = {}
    for item in items:
        for name in item.questions:
            while True:
                text = str(typer.prompt(f"{item.path.name}: {QUESTIONS[name]}"))
                if item.answer(name, text) is None:
                    answers.setdefault(item.path.name, {})[name] = text
                    break
                err.print("  not a date I can read; write 2027-09-30 or September 2027")
    titles = [PolicyRef(policy_key(item.title), item.title) for item in items if not item.error]
    chosen = []
    console.print("Requirement pack (built-in templates that follow your policies):")
    for pack_item in match_pack(titles):
        if pack_item.available and typer.confirm(f"  {pack_item.template.summary}?",
                                                 default=True):
            chosen.append(pack_item.template.id)
    return answers, chosen


def ask_answers(settings: Settings) -> Answers:
    """Every answer ``init`` needs, asked at the terminal."""
    answers: dict[str, Any] = {
        "school": {
            "name": typer.prompt("School name"),
            "country": _choice("Nation", COUNTRIES, "england"),
        },
        "platform": _choice("Where do staff have their accounts", ("local", "m365", "google"),
                            "local"),
        "base_url": typer.prompt("Web address staff will use", default=settings.base_url),
    }
    people: list[DirectoryPerson] = []
    if answers["platform"] == "local":
        people = _directory(answers)
    source = Path(answers.get("directory") or "the directory").name
    answers["people"] = _people(people, source)
    answers["terms"] = _terms()
    folder = _existing("Policy folder (.docx, .pdf, .md)", folder=True)
    assert folder is not None
    answers["policies"] = folder
    answers["policy_answers"], answers["requirements"] = _policy_questions(folder)
    answers["settings_source"] = _choice(
        "Manage settings on the web pages (recommended) or in school.yaml", ("web", "file"),
        "web")
    return Answers.model_validate(answers)
