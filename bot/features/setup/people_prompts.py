"""The questions of ``compliance-bot init`` about the school's people: the staff list (its bad
rows raised at once, to fix the file or leave them out), what each job title means here, and
who holds each named role (the head, safeguarding lead and deputies, DPO, clerk, chair, admins),
each person said back and a name that fits several people offered as a choice."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from bot.core.config import JOB_ROLES
from bot.core.deployment.context import adapters
from bot.core.language.i18n import N_, Msg, Said, nsay, say
from bot.core.language.said_forms import capital
from bot.core.language.words import plain_key, said_words
from bot.core.nations import posts_for
from bot.core.ports import ConnectorError
from bot.engine.commands import confirm, console, err
from bot.engine.job_roles import NOT_ASKED, suggest_role, words_of
from bot.features.setup.answers import (
    LIST_ROLES,
    OUTSIDE_ROLES,
    Answers,
    PeopleAnswers,
    Progress,
    find_person,
    role_boxes,
)
from bot.features.setup.asking import (
    choice,
    code,
    existing,
    nation,
    nation_words,
    question_of,
    typed,
)

if TYPE_CHECKING:
    from bot.core.guards.forms import Text
    from bot.core.language.words import Words
    from bot.core.ports import DirectoryPerson

__all__ = ["ask_people", "staff_list"]


def _read_staff(path: Path) -> tuple[list[DirectoryPerson], list[int]] | None:
    """The staff list read; its bad rows raised now, with the choice to fix the file and read it
    again or to leave those rows out. None: choose another file."""
    while True:
        reader = adapters().staff_file(path, frozenset())
        try:
            changes = reader.fetch(None)
        except ConnectorError as exc:
            err.print(f"  {escape(str(exc.msg))}", highlight=False)
            return None
        header = Msg(
            N_("line %(line)s: %(columns)s"),
            line=reader.header_line,
            columns=" | ".join(reader.header_names),
        )
        if reader.header_line == 1:
            console.print("  " + say("header row: %(header)s", header=header), highlight=False)
        elif reader.header_line is not None and not confirm(  # rows above it were taken as titles
            "  " + say("The header row found is %(header)s. Is that right?", header=header),
            default=True,
        ):
            err.print(
                "  "
                + say(
                    "The header is the first row with an email column and a name column; take out "
                    "the rows above it that are not titles, then give the file again"
                )
            )
            return None
        if not changes.rejected:
            return list(changes.people), []
        err.print(
            "  [yellow]"
            + nsay(
                "%(count)s row of %(file)s cannot be used:",
                "%(count)s rows of %(file)s cannot be used:",
                len(changes.rejected),
                count=len(changes.rejected),
                file=path.name,
            )
            + "[/]"
        )
        for row in changes.rejected:
            err.print(f"    {escape(str(row))}", highlight=False)
        what = choice(
            "  " + say("Fix the file and read it again, or leave these rows out"),
            ("read-again", "leave-out"),
            None,
        )
        if what == "leave-out":
            lines = ", ".join(map(str, reader.rejected_lines))
            count = len(reader.rejected_lines)
            console.print(
                "  "
                + nsay(
                    "left out: %(count)s line (%(lines)s)",
                    "left out: %(count)s lines (%(lines)s)",
                    count,
                    count=count,
                    lines=lines,
                ),
                highlight=False,
            )
            return list(changes.people), list(reader.rejected_lines)
        typed("  " + say("Fix and save the file, then press Enter"))


def staff_list(progress: Progress) -> list[DirectoryPerson]:
    """The staff list (bad rows raised at once), then the role table for its job titles."""
    people: list[DirectoryPerson] = []
    if progress.has(("directory",)):
        path = Path(progress.get(("directory",)))
        left_out = frozenset(progress.get(("leave_out",)) or [])
        changes = adapters().staff_file(path, left_out).fetch(None)
        people = list(changes.people)
        if changes.rejected:  # the file changed since: read it as new
            progress.forget("directory", "leave_out")
    while not progress.has(("directory",)):
        path_given = existing(str(question_of(Answers, "directory")))
        assert path_given is not None
        read = _read_staff(path_given)
        if read is None:
            continue
        people, left = read
        progress.put(("leave_out",), left)
        progress.put(("directory",), path_given)
        console.print(
            "  "
            + nsay(
                "read %(count)s person from %(file)s",
                "read %(count)s people from %(file)s",
                len(people),
                count=len(people),
                file=path_given.name,
            )
        )
    _role_table(progress, people)
    return people


def _role_table(progress: Progress, people: list[DirectoryPerson]) -> None:
    """What each job title gives (a common title's role suggested, the school confirms); the
    groups' roles when nobody has a title or role."""
    groups_map = progress.get(("role_groups",)) or {}
    known = {plain_key(post): role for post, role in posts_for(nation(progress)).items()}
    words = words_of(people, groups_map)
    if words:
        console.print(
            "  "
            + say(
                "Job titles in the staff list: say what each means here "
                "('%(none)s': not asked for anything, e.g. a cleaner)",
                none=Said(lambda: code(NOT_ASKED)),
            )
        )
    for word, count in sorted(words.items()):
        if not progress.has(("job_titles", word)):
            progress.put(
                ("job_titles", word),
                choice(
                    "  "
                    + nsay(
                        "%(title)s (%(count)s person) →",
                        "%(title)s (%(count)s people) →",
                        count,
                        count=count,
                        title=word,
                    ),
                    JOB_ROLES,
                    known.get(plain_key(word)) or suggest_role(word),
                ),
            )
    if not words and not any(p.roles for p in people):
        _group_roles(progress, people)


def _group_roles(progress: Progress, people: list[DirectoryPerson]) -> None:
    """What everyone in each of the directory's groups is (staff, volunteer, governor, or
    nothing asked of them), where nobody has a job title or a role."""
    for group in sorted({g for p in people for g in p.groups}):
        if progress.has(("role_groups", group)) or progress.has(("groups", group)):
            continue
        role = choice(
            "  " + say("Everyone in the group '%(group)s' is", group=group),
            ("staff", "volunteer", "governor", "none"),
            "staff",
        )
        if role == "none":
            progress.mark(("groups", group))
        else:
            progress.put(("role_groups", group), role)


def _person(
    people: list[DirectoryPerson], source: Text, question: str, *, outside: bool = False
) -> str | None:
    """One person by name or email, checked as the answers file checks it (``find_person``);
    who was picked is said back, a name that fits several people offers the choice, and
    someone from outside the school (``outside``) has their name asked where it was not
    written with the address: "Pat Jones <dpo@council.example>"."""
    while text := typed(question):
        if not people:
            return text  # the platform's directory is not read yet: checked at the end
        found = find_person(people, text, source, outside=outside)
        email = (_which(found.choices) if found.choices else None) or found.email
        if email is not None and found.outsider is not None:
            name = found.outsider if found.outsider != email else _outsider_name(email, source)
            console.print(
                "  → "
                + say(
                    "%(who)s (from outside %(source)s: added to the people "
                    "register; they get the role's email)",
                    who=f"{name} <{email}>",
                    source=source,
                ),
                highlight=False,
            )
            return f"{name} <{email}>"
        if email is not None:
            chosen = next(p for p in people if p.email == email)
            console.print(f"  → {chosen.display_name} <{chosen.email}>", highlight=False)
            return email
        hint = outside and "@" not in text
        err.print(
            f"  {found.problem}"
            + (say("; for someone from outside the school, give their email") if hint else "")
        )
    return None


def _outsider_name(address: str, source: Text) -> str:
    """The name of someone from outside the staff list, given by their address alone."""
    asked = say(
        "%(address)s is not in %(source)s: their name (someone from outside the school)",
        address=address,
        source=source,
    )
    return str(typer.prompt("  " + asked)).strip() or address


def _which(choices: list[DirectoryPerson]) -> str | None:
    """The email of the one chosen by number among several a name fits (None: no such number)."""
    for number, person in enumerate(choices, start=1):
        console.print(
            f"  {number}. {person.display_name} <{person.email}> {person.job_title or ''}",
            highlight=False,
        )
    picked = typer.prompt("  " + say("Which one (number)"), type=int, default=1)
    return str(choices[picked - 1].email) if 1 <= picked <= len(choices) else None


def role_words(words: Words) -> dict[str, Text]:
    """The nation's words the people's questions are said with (``PeopleAnswers``): the
    roles' labels, a deputy asked one at a time."""
    said = said_words(words)
    return {b.key: b.shown for b in role_boxes(words)} | {
        "deputy_dsl": capital(said.deputy_dsl),
        "head": said.headteacher,
        "la": said.local_authority,
    }


def ask_people(progress: Progress, people: list[DirectoryPerson], source: Text) -> None:
    """Each role of ``PeopleAnswers`` asked in its order, in the words of the nation chosen
    just before (each saved as given): the head until given, a role several may hold one
    person at a time, another left out with Enter; the DPO and clerk may be from outside."""
    words = role_words(nation_words(progress))
    for key, field in PeopleAnswers.model_fields.items():
        asked = question_of(PeopleAnswers, key, **words)
        if key in LIST_ROLES:
            _listed(progress, people, source, key, asked)
        elif field.is_required():
            while not progress.get(("people", key)):
                progress.put(("people", key), _person(people, source, str(asked)))
        elif not progress.has(("people", key)):
            asked = say("%(question)s (Enter to leave out)", question=asked)
            if email := _person(people, source, str(asked), outside=key in OUTSIDE_ROLES):
                progress.put(("people", key), email)
            else:
                progress.mark(("people", key))


def _listed(
    progress: Progress, people: list[DirectoryPerson], source: Text, key: str, question: Text
) -> None:
    """A role several people may hold, one person at a time until Enter."""
    if progress.has(("people", key)):
        return
    given: list[str] = list(progress.get(("people", key)) or [])
    if given:
        console.print(
            "  " + say("%(question)s so far: %(given)s", question=question, given=", ".join(given)),
            highlight=False,
        )
    while name := _person(people, source, say("%(question)s (Enter when done)", question=question)):
        given.append(name)
        progress.put(("people", key), given, answered=False)
    progress.put(("people", key), given)
