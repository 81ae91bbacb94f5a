"""The questions of an interactive ``compliance-bot init``, one step at a time: each answer
checked as it is given (a bad row of the staff list, a name that fits several people) and saved
at once to the resumable answers file, so that nothing is asked twice.

From the moment a Welsh school has chosen its language (``_language``, after the nation) every
question, its help and the problems raised are said in it (``speak_as_chosen``): Welsh in
``cy``, Welsh first then English in ``cy+en``; the answers typed (a choice's code, a role) stay
as written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from bot.core.config import JOB_ROLES
from bot.core.context import adapters
from bot.core.i18n import N_, Msg, Said, both, language_name, nsay, say, speak, speaking, spoken
from bot.core.nations import DEFAULT_NATION, NATIONS, pack_for, posts_for, school_words_for
from bot.core.nations.inspectorates import default_inspectorate, inspectorate, inspectorates_of
from bot.core.ports import ConnectorError
from bot.core.said_forms import capital
from bot.core.words import Words, plain_key, said_words
from bot.engine.commands import confirm, console, err
from bot.engine.job_roles import NOT_ASKED, suggest_role, words_of
from bot.features.policies.api import policy_key, question, twins
from bot.features.setup.answers import Answers, Key, Progress, pick_person
from bot.features.setup.pack import PolicyRef, match_pack
from bot.features.setup.policy_folder import FolderPolicy, read_policy_folder
from bot.features.setup.problems import THE_DIRECTORY
from bot.features.setup.school_setup import OUTSIDE_ROLES, header_found, outside_person

if TYPE_CHECKING:
    from bot.core.forms import Text
    from bot.core.ports import DirectoryPerson
    from bot.core.settings import Settings
    from bot.features.setup.install import Install

__all__ = ["ask_answers", "speak_as_chosen"]

# the codes typed as answers, and how a Welsh school may type them too (the English code is
# always taken, and is what the answers file keeps); a name (m365, google) is the same in both
_CODES = {
    "read-again": N_("read-again"),
    "leave-out": N_("leave-out"),
    "staff": N_("staff"),
    "volunteer": N_("volunteer"),
    "governor": N_("governor"),
    "safeguarding_governor": N_("safeguarding_governor"),
    "clerk": N_("clerk"),
    "supply": N_("supply"),
    "none": N_("none"),
    "local": N_("local"),
    "web": N_("web"),
    "file": N_("file"),
}


def _code(option: str) -> str:
    """An option's code as the active language types it ("gadael-allan" for "leave-out")."""
    return say(_CODES[option]) if option in _CODES else option


def speak_as_chosen(progress: Progress) -> None:
    """Say the rest of ``init`` in the language the school chose (English until then)."""
    speak(str(progress.get(("school", "language")) or "en"))


def _choice(question: str, options: tuple[str, ...], default: str | None) -> str:
    """One of ``options``, in any case (asked again until it is one); a Welsh school is shown
    the Welsh codes and may type either."""
    typed = {option: option for option in options}  # what may be typed, and its option
    shown = "/".join(options)
    if spoken() != "en":
        with speaking("cy"):
            welsh = {_code(option): option for option in options}
            default = _code(default) if default is not None else None
        typed |= welsh
        shown = "/".join(welsh) if spoken() == "cy" else both("/".join(welsh), shown)
    while True:
        answer = str(typer.prompt(f"{question} ({shown})", default=default))
        picked = "-".join(answer.strip().lower().split())
        if picked in typed:
            return typed[picked]
        err.print("  " + say("please answer one of: %(options)s",
                             options=Said(lambda: ", ".join(_code(o) for o in options))))


def _ask(progress: Progress, key: Key, question: Callable[[], Any]) -> Any:
    """The saved answer, or the question asked now and its answer saved at once."""
    if progress.has(key):
        return progress.get(key)
    return progress.put(key, question())


def _existing(question: str, *, folder: bool = False, optional: bool = False) -> Path | None:
    """A file (or folder) that exists; None when optional and left empty."""
    while True:
        text = str(typer.prompt(question, default="", show_default=False)).strip()
        if not text and optional:
            return None
        path = Path(text).expanduser()
        if path.is_dir() if folder else path.is_file():
            return path.resolve()
        given: Text = text or Msg(N_("nothing given"))
        err.print(
            "  "
            + (
                say("%(folder)s: folder not found", folder=given)
                if folder
                else say("%(file)s: file not found", file=given)
            )
        )


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
        found = header_found(reader)
        line, _sep, columns = (found or "").removeprefix("line ").partition(": ")
        header = Msg(N_("line %(line)s: %(columns)s"), line=line, columns=columns)
        if found is not None and reader.header_line == 1:
            console.print("  " + say("header row: %(header)s", header=header), highlight=False)
        elif found is not None and not confirm(  # rows above it were taken as titles
            "  " + say("The header row found is %(header)s. Is that right?", header=header),
            default=True,
        ):
            err.print(
                "  "
                + say(
                    "The header is the first row with an email column and a name "
                    "column; take out the rows above it that are not titles, then "
                    "give the file again"
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
        what = _choice(
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
        typer.prompt(
            "  " + say("Fix and save the file, then press Enter"), default="", show_default=False
        )


def _directory(progress: Progress) -> list[DirectoryPerson]:
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
        path_given = _existing(
            say(
                "Staff list: the export from your MIS as it comes (.xlsx or "
                ".csv), HR system, Entra or Google (email, names, job title "
                "…)"
            )
        )
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
    country = str(progress.get(("school", "country")) or DEFAULT_NATION)
    known = {plain_key(post): role for post, role in posts_for(country).items()}
    words = words_of(people, groups_map)
    if words:
        console.print(
            "  "
            + say(
                "Job titles in the staff list: say what each means here "
                "('%(none)s': not asked for anything, e.g. a cleaner)",
                none=Said(lambda: _code(NOT_ASKED)),
            )
        )
    for word, count in sorted(words.items()):
        if not progress.has(("job_titles", word)):
            progress.put(
                ("job_titles", word),
                _choice(
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
    if words or any(p.roles for p in people):
        return
    for group in sorted({g for p in people for g in p.groups}):
        if progress.has(("role_groups", group)) or progress.has(("groups", group)):
            continue
        role = _choice(
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
    """One person by name or email, in any case and without accents; who was picked is said
    back, and a name that fits several people offers the choice. With ``outside``, an address
    not on the staff list is someone from outside the school (their name is asked):
    "Pat Jones <dpo@council.example>"."""
    while True:
        text = str(typer.prompt(question, default="", show_default=False)).strip()
        if not text:
            return None
        if not people:
            return text
        found = outside_person(text) if outside else None
        if found is not None and not any(p.email == found[0] and p.active for p in people):
            address, written = found
            name = (
                written
                if written != address
                else str(
                    typer.prompt(
                        "  "
                        + say(
                            "%(address)s is not in %(source)s: their name (someone from outside "
                            "the school)",
                            address=address,
                            source=source,
                        )
                    )
                ).strip()
                or address
            )
            console.print(
                "  → "
                + say(
                    "%(who)s (from outside %(source)s: added to the people "
                    "register; they get the role's email)",
                    who=f"{name} <{address}>",
                    source=source,
                ),
                highlight=False,
            )
            return f"{name} <{address}>"
        email, problem, choices = pick_person(people, found[0] if found else text, source)
        if choices:
            for number, person in enumerate(choices, start=1):
                console.print(
                    f"  {number}. {person.display_name} <{person.email}> {person.job_title or ''}",
                    highlight=False,
                )
            picked = typer.prompt("  " + say("Which one (number)"), type=int, default=1)
            if 1 <= picked <= len(choices):
                email = str(choices[picked - 1].email)
        if email:
            chosen = next(p for p in people if p.email == email)
            console.print(f"  → {chosen.display_name} <{chosen.email}>", highlight=False)
            return email
        err.print(
            "  "
            + str(problem or "")
            + (
                say("; for someone from outside the school, give their email")
                if outside and "@" not in text
                else ""
            )
        )


def _people(progress: Progress, people: list[DirectoryPerson], source: Text) -> None:
    """Head, safeguarding lead and deputies, DPO, clerk, chair and who runs the bot day to day
    (each saved as given; the DPO and clerk may be from outside the staff list), in the words
    of the nation chosen just before."""
    words = _words(progress)

    said = said_words(words)

    def word(key: str, *, capitals: bool = False) -> Text:  # the nation's word, said where shown
        return capital(getattr(said, key)) if capitals else getattr(said, key)

    while not progress.get(("people", "headteacher")):
        progress.put(
            ("people", "headteacher"),
            _person(
                people,
                source,
                say("%(head)s (name or email)", head=word("headteacher", capitals=True)),
            ),
        )
    lead = (
        Msg(N_("%(lead)s (%(short)s)"), lead=word("dsl_full"), short=word("dsl"))
        if words.dsl != words.dsl_full
        else word("dsl_full")
    )
    _listed(progress, people, source, "dsl", lead)
    _listed(progress, people, source, "deputy_dsl", word("deputy_dsl", capitals=True))
    for key, asked in (
        ("dpo", say("Data protection officer (staff, or the %(la)s's or trust's DPO's email) "
                    "(Enter to leave out)", la=word("local_authority"))),
        ("clerk", say("%(clerk)s (staff, or their email) (Enter to leave out)",
                      clerk=word("clerk", capitals=True))),
        ("chair_of_governors",
         say("%(chair)s (Enter to leave out)", chair=word("chair", capitals=True))),
    ):
        if progress.has(("people", key)):
            continue
        email = _person(people, source, asked, outside=key in OUTSIDE_ROLES)
        if email:
            progress.put(("people", key), email)
        else:
            progress.mark(("people", key))
    _listed(progress, people, source, "admins", Msg(N_(
        "Who runs the bot day to day (an admin: the office or business manager; the %(head)s "
        "if nobody)"), head=word("headteacher")))


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


def _terms(local_authority: Text) -> dict[str, Any]:
    """A published calendar, or terms typed one by one."""
    ics = _existing(
        say("Term dates: the %(la)s's .ics calendar (Enter to type them)", la=local_authority),
        optional=True,
    )
    if ics is not None:
        return {"ics": str(ics)}
    dates = []
    while name := str(
        typer.prompt(say("Term name (Enter when done)"), default="", show_default=False)
    ).strip():
        start = typer.prompt("  " + say("first day (YYYY-MM-DD)"))
        end = typer.prompt("  " + say("last day (YYYY-MM-DD)"))
        dates.append({"name": name, "start": start, "end": end})
    inset = str(
        typer.prompt(
            say("INSET days (YYYY-MM-DD, separated by commas)"), default="", show_default=False
        )
    )
    return {"dates": dates, "inset_days": [d.strip() for d in inset.split(",") if d.strip()]}


def _read_folder(
    progress: Progress,
    folder: Path,
    people: list[DirectoryPerson],
    read: Callable[[Path], list[FolderPolicy]],
) -> list[Any]:
    """The folder read; two copies of one document (a Word and a PDF) raised at once, to take
    one out before any question is asked; another school or DSL named pointed out."""
    words = _words(progress)
    while True:
        items = read(folder)
        console.print(
            "  "
            + say("read %(count)s documents from %(folder)s", count=len(items), folder=str(folder))
        )
        pairs = twins(items)
        if not pairs:
            break
        for first, second in pairs:
            err.print(
                "  [yellow]"
                + say(
                    "%(first)s and %(second)s are one policy (the same document or title)",
                    first=escape(first.path.name),
                    second=escape(second.path.name),
                )
                + "[/]",
                highlight=False,
            )
        typer.prompt(
            "  " + say("Take one of each out of the folder, then press Enter"),
            default="",
            show_default=False,
        )
    names = {p.email: p.display_name for p in people}
    emails = [
        *(progress.get(("people", "dsl")) or []),
        *(progress.get(("people", "deputy_dsl")) or []),
    ]
    mark = say("check")
    for item in items:
        item.check_ownership(
            str(progress.get(("school", "name")) or ""),
            [names[e] for e in emails if e in names],
            dsl=words.dsl,
        )
        for check in item.checks:
            err.print(
                f"  [yellow]{mark}[/] {escape(item.path.name)}: {escape(str(check))}",
                highlight=False,
            )
    return items


def _policy_questions(
    progress: Progress,
    folder: Path,
    people: list[DirectoryPerson],
    read: Callable[[Path], list[FolderPolicy]],
) -> None:
    """The folder read once; the questions it leaves, then the pack (each answer saved)."""
    words = _words(progress)
    items = _read_folder(progress, folder, people, read)
    for item in items:
        for name in item.questions:
            key: Key = ("policy_answers", item.path.name, name)
            if progress.has(key):
                continue
            offered = item.title_guess if name == "title" else None
            if offered:
                console.print(
                    "  "
                    + say(
                        "%(file)s: the title is not clear from the document; its "
                        "first heading is “%(heading)s”",
                        file=escape(item.path.name),
                        heading=escape(offered),
                    ),
                    highlight=False,
                )
            while True:
                text = str(
                    typer.prompt(
                        f"{item.path.name}: {question(name, words)}", default=offered or None
                    )
                )
                if (problem := item.answer(name, text)) is None:
                    progress.put(key, text)
                    break
                err.print(f"  {problem}")
    titles = [PolicyRef(policy_key(item.title), item.title) for item in items if not item.error]
    console.print(say("Requirement pack (built-in templates that follow your policies):"))
    chosen: list[str] = list(progress.get(("requirements",)) or [])
    country = progress.get(("school", "country"))
    for pack_item in match_pack(titles, str(country) if country else None, _words(progress)):
        asked: Key = ("pack", pack_item.template.id)
        if not pack_item.available or progress.has(asked):
            continue
        if confirm(f"  {pack_item.template.summary}?",
                   default=pack_item.template.kind != "optional"):
            chosen.append(pack_item.template.id)
            progress.put(("requirements",), chosen, answered=False)
        progress.mark(asked)
    progress.put(("requirements",), chosen)


def _words(progress: Progress) -> Words:
    """The words of the nation chosen (an independent school's: the proprietor's)."""
    return school_words_for(str(progress.get(("school", "country")) or DEFAULT_NATION),
                            independent=progress.get(("school", "independent")) is True)


def _language(progress: Progress) -> str:
    """A Welsh school's language: its language category's (said so), else English (the
    default), Cymraeg, or both, Welsh first; a category that offers both asks which."""
    country = str(progress.get(("school", "country")) or DEFAULT_NATION)
    category = pack_for(country).language_category(progress.get(("school", "language_category")))
    if category is not None:
        # English: asked before the school's language is chosen
        console.print(f"  Its language category, {category.name}, sets the language: "
                      f"{category.language} ({language_name(category.language)}).")
        if category.offered is None:
            return category.language
        return _choice(f"{language_name(category.language)} ({category.language}), or "
                       f"{language_name(category.offered)} ({category.offered})",
                       (category.language, category.offered), category.language)
    # English: asked before the school's language is chosen
    if typer.confirm(f"Will its staff, {_words(progress).governors} and reporters read the bot "
                     "in English only?", default=True):
        return "en"
    return _choice(
        "Cymraeg only (cy), or Welsh first with English beside it (cy+en)", ("cy", "cy+en"), "cy"
    )


def _inspectorate(progress: Progress, country: str) -> None:
    """Who inspects the school, asked where its nation has more than one inspectorate (the
    nation's for its kind of school offered; an independent school in England chooses)."""
    choices = inspectorates_of(country)
    if len(choices) < 2 or progress.has(("school", "inspectorate")):
        return
    named = "; ".join(f"{i}: {inspectorate(i).name}" for i in choices)
    default = default_inspectorate(
        country, independent=progress.get(("school", "independent")) is True)
    progress.put(("school", "inspectorate"), _choice(
        say("Who inspects it (%(named)s); its evidence pack answers that inspectorate's list",
            named=named), choices, default))


def _school_id(adding: Install, name: str) -> str:
    """A short id for a school joining the install, not one it has (asked again until so)."""
    while True:
        given = str(typer.prompt(say("A short id for the school (letters, digits and hyphens; "
                                     "commands name it: --school ID)"),
                                 default=policy_key(name.replace("School", "")))).strip()
        taken = adding.taken(given)
        if taken is None and given == policy_key(given):
            return given
        err.print("  " + (str(taken.msg) if taken else say(
            "%(id)s: use small letters, digits and hyphens only", id=given)), highlight=False)


def _joining(progress: Progress, settings: Settings, adding: Install) -> str:
    """A school joining the install: whether it is independent, its id; the install's
    platform, address and settings source stand (not asked); on Microsoft 365 or Google, its
    own connection and its all-staff group, where it has them. Returns the platform."""
    _ask(progress, ("school", "independent"), lambda: confirm(
        say("Is it an independent school (its proprietor holds the duties)?"), default=False))
    _ask(progress, ("school", "id"),
         lambda: _school_id(adding, str(progress.get(("school", "name")))))
    for key, value in (("platform", settings.connector), ("base_url", settings.base_url),
                       ("settings_source", adding.source)):
        progress.put((key,), value)
    if settings.connector != "local":
        _ask(progress, ("connection",), lambda: str(typer.prompt(say(
            "Its own Microsoft 365 tenant or Google domain: the connection's name in the "
            "settings (Enter: the install's)"), default="", show_default=False)).strip() or None)
        _ask(progress, ("staff_group",), lambda: str(typer.prompt(say(
            "Its all-staff group, where it shares the tenant or domain with other schools "
            "(Enter: it has it alone)"), default="", show_default=False)).strip() or None)
    return settings.connector


def ask_answers(
    settings: Settings,
    progress: Progress,
    read: Callable[[Path], list[FolderPolicy]] = read_policy_folder,
    adding: Install | None = None,
) -> Answers:
    """Every answer ``init`` needs, asked at the terminal (only those not saved already;
    ``read``: how the policy folder is read; ``adding``: the install a school joins, whose
    platform, address and settings source stand)."""
    _ask(progress, ("school", "name"), lambda: typer.prompt("School name"))
    _ask(progress, ("school", "country"), lambda: _choice(
        "Nation (its bank holidays, and the safeguarding words and law it uses)", NATIONS,
        DEFAULT_NATION))
    # English: asked before the school's language is chosen
    if _ask(progress, ("school", "independent"), lambda: typer.confirm(
            "Is it an independent school, run by its proprietor?", default=False)):
        _ask(progress, ("school", "proprietor"), lambda: _choice(
            "Its proprietor: a company, a trust or an individual",
            ("company", "trust", "individual"), "company"))
    country = str(progress.get(("school", "country")) or DEFAULT_NATION)
    _inspectorate(progress, country)
    categories = pack_for(country).language_categories  # Wales' (the 2025 Act)
    if categories is not None and not progress.has(("school", "language_category")):
        named = "; ".join(f"{c.id}: {c.name}" for c in categories.category)
        said = _choice(f"Its language category ({categories.source.title}: {named})",
                       (*(c.id for c in categories.category), "not-yet"), "not-yet")
        if said == "not-yet":
            progress.mark(("school", "language_category"))
        else:
            progress.put(("school", "language_category"), said)
    if country == "wales":  # every Welsh school chooses its people's language
        _ask(progress, ("school", "language"), lambda: _language(progress))
    speak_as_chosen(progress)  # the school's language from here on
    if adding is not None:
        platform = _joining(progress, settings, adding)
    else:
        platform = _ask(progress, ("platform",), lambda: _choice(
            say("Where do staff have their accounts"), ("local", "m365", "google"), "local"))
        _ask(progress, ("base_url",), lambda: typer.prompt(say("Web address staff will use"),
                                                           default=settings.base_url))
    if platform == "google" and adding is None:
        _ask(progress, ("platform_settings", "USER_QUERY"), lambda: str(typer.prompt(
            say("Which Google accounts are staff? Only members of the role groups you name "
                "are read; an Admin SDK user search narrows them, or, with no role group, "
                "the whole domain, e.g. orgUnitPath='/Staff' (Enter: no search)"),
            default="", show_default=False)).strip())
    people: list[DirectoryPerson] = []
    if platform == "local":
        people = _directory(progress)
    given = progress.get(("directory",))
    source: Text = Path(given).name if given else Msg(THE_DIRECTORY)
    _people(progress, people, source)
    local = _words(progress)
    _ask(progress, ("terms",), lambda: _terms(Msg(local.local_authority)))
    folder = _ask(progress, ("policies",),
                  lambda: _existing(say("Policy folder (.docx, .pdf, .md)"), folder=True))
    if not progress.has(("requirements",)):
        _policy_questions(progress, Path(folder), people, read)
    _ask(progress, ("settings_source",), lambda: _choice(  # (a joining school: the install's)
        say("Manage settings on the web pages (recommended) or in school.yaml"), ("web", "file"),
        "web"))
    return Answers.model_validate(progress.data)
