"""The questions of an interactive ``compliance-bot init``, one step at a time: each answer
checked as it is given (a bad row of the staff list, a name that fits several people) and saved
at once to the resumable answers file, so that nothing is asked twice.

From the moment a Welsh school has chosen its language (``_language``, after the nation) every
question, its help and the problems raised are said in it (``_Say``): Welsh in ``cy``, Welsh
first then English in ``cy+en``; the answers typed (a choice's code, a role) stay as written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from bot.core.config import JOB_ROLES
from bot.core.context import adapters
from bot.core.i18n import N_, both, language_name, translations
from bot.core.nations import DEFAULT_NATION, NATIONS, pack_for, posts_for, school_words_for
from bot.core.nations.inspectorates import default_inspectorate, inspectorate, inspectorates_of
from bot.core.ports import ConnectorError
from bot.core.words import Words, plain_key, words_in
from bot.engine.commands import confirm, console, err
from bot.engine.job_roles import NOT_ASKED, suggest_role, words_of
from bot.features.policies.api import ANSWER_PROBLEMS, policy_key, question, twins
from bot.features.setup.answers import Answers, Key, Progress, pick_person
from bot.features.setup.pack import PolicyRef, match_pack
from bot.features.setup.policy_folder import FolderPolicy, read_policy_folder, say_folder
from bot.features.setup.problems import say
from bot.features.setup.rules import cap
from bot.features.setup.school_setup import OUTSIDE_ROLES, header_found, outside_person

if TYPE_CHECKING:
    from gettext import NullTranslations

    from bot.core.ports import DirectoryPerson
    from bot.core.settings import Settings
    from bot.features.setup.install import Install

__all__ = ["ask_answers", "said_in"]

# a value said in each language in turn: as given, or made from that language's translations
Value = str | int | Callable[["NullTranslations"], str]

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


def _code(tr: NullTranslations, option: str) -> str:
    """An option's code as ``tr``'s language types it ("gadael-allan" for "leave-out")."""
    return tr.gettext(_CODES[option]) if option in _CODES else option


class _Say:
    """A sentence of the catalogue in the school's language, its values filled in: ``en`` as
    written, ``cy`` Welsh, ``cy+en`` the Welsh, `` / ``, then the English (each with its own
    words: ``head=lambda tr: ...``)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def _each(self, say: Callable[[NullTranslations], str]) -> str:
        if self.language == "cy+en":
            return both(say(translations("cy")), say(translations("en")))
        return say(translations(self.language))

    def __call__(self, message: str, **values: Value) -> str:
        """``message`` (a msgid) said, with ``values``."""
        return self._each(lambda tr: _filled(tr.gettext(message), tr, values))

    @staticmethod
    def part(message: str, **values: Value) -> Value:
        """``message`` to be said inside another sentence, in that sentence's language."""
        return lambda tr: _filled(tr.gettext(message), tr, values)

    def ngettext(self, singular: str, plural: str, count: int, **values: Value) -> str:
        """The plural form for ``count`` (``%(count)s`` in it) said, with ``values``."""
        return self._each(
            lambda tr: _filled(tr.ngettext(singular, plural, count), tr, {"count": count, **values})
        )

    def confirm(self, question: str, *, default: bool) -> bool:
        """A yes/no question in the school's language (``[I/n]`` in a Welsh one)."""
        return confirm(question, default=default, language=self.language)


def _filled(text: str, tr: NullTranslations, values: Mapping[str, Value]) -> str:
    if not values:
        return text
    return text % {k: v(tr) if callable(v) else v for k, v in values.items()}


def said_in(progress: Progress) -> _Say:
    """What the rest of ``init`` says, in the language the school chose (English until then)."""
    return _Say(str(progress.get(("school", "language")) or "en"))


def _choice(question: str, options: tuple[str, ...], default: str | None,
            _: _Say = _Say("en")) -> str:
    """One of ``options``, in any case (asked again until it is one); a Welsh school is shown
    the Welsh codes and may type either."""
    typed = {option: option for option in options}  # what may be typed, and its option
    shown = "/".join(options)
    if _.language != "en":
        welsh = {_code(translations("cy"), option): option for option in options}
        typed |= welsh
        shown = "/".join(welsh) if _.language == "cy" else both("/".join(welsh), shown)
        default = _code(translations("cy"), default) if default is not None else None
    while True:
        answer = str(typer.prompt(f"{question} ({shown})", default=default))
        picked = "-".join(answer.strip().lower().split())
        if picked in typed:
            return typed[picked]
        err.print("  " + _("please answer one of: %(options)s", options=lambda tr: ", ".join(
            _code(tr, option) for option in options)))


def _ask(progress: Progress, key: Key, question: Callable[[], Any]) -> Any:
    """The saved answer, or the question asked now and its answer saved at once."""
    if progress.has(key):
        return progress.get(key)
    return progress.put(key, question())


def _existing(question: str, _: _Say, *, folder: bool = False,
              optional: bool = False) -> Path | None:
    """A file (or folder) that exists; None when optional and left empty."""
    while True:
        text = str(typer.prompt(question, default="", show_default=False)).strip()
        if not text and optional:
            return None
        path = Path(text).expanduser()
        if (path.is_dir() if folder else path.is_file()):
            return path.resolve()
        given: Value = text or (lambda tr: tr.gettext(N_("nothing given")))
        err.print("  " + (_("%(folder)s: folder not found", folder=given) if folder
                          else _("%(file)s: file not found", file=given)))


def _read_staff(path: Path, _: _Say) -> tuple[list[DirectoryPerson], list[int]] | None:
    """The staff list read; its bad rows raised now, with the choice to fix the file and read it
    again or to leave those rows out. None: choose another file."""
    while True:
        reader = adapters().staff_file(path, frozenset())
        try:
            changes = reader.fetch(None)
        except ConnectorError as exc:
            err.print(f"  {escape(say(str(exc), _.language))}", highlight=False)
            return None
        found = header_found(reader)
        line, _sep, columns = (found or "").removeprefix("line ").partition(": ")
        header: Value = _.part(N_("line %(line)s: %(columns)s"), line=line, columns=columns)
        if found is not None and reader.header_line == 1:
            console.print("  " + _("header row: %(header)s", header=header), highlight=False)
        elif found is not None and not _.confirm(  # rows above it were taken as titles
            "  " + _("The header row found is %(header)s. Is that right?", header=header),
            default=True,
        ):
            err.print("  " + _("The header is the first row with an email column and a name "
                               "column; take out the rows above it that are not titles, then "
                               "give the file again"))
            return None
        if not changes.rejected:
            return list(changes.people), []
        err.print("  [yellow]" + _.ngettext("%(count)s row of %(file)s cannot be used:",
                                            "%(count)s rows of %(file)s cannot be used:",
                                            len(changes.rejected), file=path.name) + "[/]")
        for line in changes.rejected:
            err.print(f"    {escape(say(line, _.language))}", highlight=False)
        what = _choice("  " + _("Fix the file and read it again, or leave these rows out"),
                       ("read-again", "leave-out"), None, _)
        if what == "leave-out":
            lines = ", ".join(map(str, reader.rejected_lines))
            console.print("  " + _.ngettext("left out: %(count)s line (%(lines)s)",
                                            "left out: %(count)s lines (%(lines)s)",
                                            len(reader.rejected_lines), lines=lines),
                          highlight=False)
            return list(changes.people), list(reader.rejected_lines)
        typer.prompt("  " + _("Fix and save the file, then press Enter"), default="",
                     show_default=False)


def _directory(progress: Progress) -> list[DirectoryPerson]:
    """The staff list (bad rows raised at once), then the role table for its job titles."""
    _ = said_in(progress)
    people: list[DirectoryPerson] = []
    if progress.has(("directory",)):
        path = Path(progress.get(("directory",)))
        left_out = frozenset(progress.get(("leave_out",)) or [])
        changes = adapters().staff_file(path, left_out).fetch(None)
        people = list(changes.people)
        if changes.rejected:  # the file changed since: read it as new
            progress.forget("directory", "leave_out")
    while not progress.has(("directory",)):
        path_given = _existing(_("Staff list: the export from your MIS as it comes (.xlsx or "
                                 ".csv), HR system, Entra or Google (email, names, job title …)"),
                               _)
        assert path_given is not None
        read = _read_staff(path_given, _)
        if read is None:
            continue
        people, left = read
        progress.put(("leave_out",), left)
        progress.put(("directory",), path_given)
        console.print("  " + _.ngettext("read %(count)s person from %(file)s",
                                        "read %(count)s people from %(file)s", len(people),
                                        file=path_given.name))
    _role_table(progress, people)
    return people


def _role_table(progress: Progress, people: list[DirectoryPerson]) -> None:
    """What each post gives (the built-in role table's role for its nation offered, else a
    common title's; the school confirms); the groups' roles when nobody has a title or role."""
    _ = said_in(progress)
    groups_map = progress.get(("role_groups",)) or {}
    country = str(progress.get(("school", "country")) or DEFAULT_NATION)
    known = {plain_key(post): role for post, role in posts_for(country).items()}
    words = words_of(people, groups_map)
    if words:
        console.print("  " + _("Job titles in the staff list: say what each means here "
                               "('%(none)s': not asked for anything, e.g. a cleaner)",
                               none=lambda tr: _code(tr, NOT_ASKED)))
    for word, count in sorted(words.items()):
        if not progress.has(("job_titles", word)):
            progress.put(("job_titles", word), _choice(
                "  " + _.ngettext("%(title)s (%(count)s person) →", "%(title)s (%(count)s "
                                  "people) →", count, title=word), JOB_ROLES,
                known.get(plain_key(word)) or suggest_role(word), _))
    if words or any(p.roles for p in people):
        return
    for group in sorted({g for p in people for g in p.groups}):
        if progress.has(("role_groups", group)) or progress.has(("groups", group)):
            continue
        role = _choice("  " + _("Everyone in the group '%(group)s' is", group=group),
                       ("staff", "volunteer", "governor", "none"), "staff", _)
        if role == "none":
            progress.mark(("groups", group))
        else:
            progress.put(("role_groups", group), role)


def _person(
    people: list[DirectoryPerson], source: str, question: str, _: _Say, *, outside: bool = False
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
            name = written if written != address else str(typer.prompt(
                "  " + _("%(address)s is not in %(source)s: their name (someone from outside "
                         "the school)", address=address, source=source))).strip() or address
            console.print("  → " + _("%(who)s (from outside %(source)s: added to the people "
                                     "register; they get the role's email)",
                                     who=f"{name} <{address}>", source=source), highlight=False)
            return f"{name} <{address}>"
        email, problem, choices = pick_person(people, found[0] if found else text, source)
        if choices:
            for number, person in enumerate(choices, start=1):
                console.print(f"  {number}. {person.display_name} <{person.email}>"
                              f" {person.job_title or ''}", highlight=False)
            picked = typer.prompt("  " + _("Which one (number)"), type=int, default=1)
            if 1 <= picked <= len(choices):
                email = str(choices[picked - 1].email)
        if email:
            chosen = next(p for p in people if p.email == email)
            console.print(f"  → {chosen.display_name} <{chosen.email}>", highlight=False)
            return email
        err.print("  " + say(problem or "", _.language) + (
            _("; for someone from outside the school, give their email")
            if outside and "@" not in text else ""))


def _people(progress: Progress, people: list[DirectoryPerson], source: str) -> None:
    """Head, safeguarding lead and deputies, DPO, clerk, chair and who runs the bot day to day
    (each saved as given; the DPO and clerk may be from outside the staff list), in the words
    of the nation chosen just before."""
    _ = said_in(progress)
    words = _words(progress)

    def word(key: str, *, capital: bool = False) -> Value:  # the nation's word, in each language
        return lambda tr: (cap if capital else str)(getattr(words_in(words, tr), key))

    while not progress.get(("people", "headteacher")):
        progress.put(("people", "headteacher"), _person(
            people, source, _("%(head)s (name or email)", head=word("headteacher", capital=True)),
            _))
    lead = _.part(N_("%(lead)s (%(short)s)"), lead=word("dsl_full"), short=word("dsl")) \
        if words.dsl != words.dsl_full else word("dsl_full")
    _listed(progress, people, source, "dsl", lead)
    _listed(progress, people, source, "deputy_dsl", word("deputy_dsl", capital=True))
    for key, asked in (("dpo", _("Data protection officer (staff, or the %(la)s's or trust's "
                                 "DPO's email) (Enter to leave out)", la=word("local_authority"))),
                       ("clerk", _("%(clerk)s (staff, or their email) (Enter to leave out)",
                                   clerk=word("clerk", capital=True))),
                       ("chair_of_governors", _("%(chair)s (Enter to leave out)",
                                                chair=word("chair", capital=True)))):
        if progress.has(("people", key)):
            continue
        email = _person(people, source, asked, _, outside=key in OUTSIDE_ROLES)
        if email:
            progress.put(("people", key), email)
        else:
            progress.mark(("people", key))
    _listed(progress, people, source, "admins",
            _.part(N_("Who runs the bot day to day (an admin: the office or business manager; "
                      "the %(head)s if nobody)"), head=word("headteacher")))


def _listed(progress: Progress, people: list[DirectoryPerson], source: str, key: str,
            question: Value) -> None:
    """A role several people may hold, one person at a time until Enter."""
    if progress.has(("people", key)):
        return
    _ = said_in(progress)
    given: list[str] = list(progress.get(("people", key)) or [])
    if given:
        console.print("  " + _("%(question)s so far: %(given)s", question=question,
                               given=", ".join(given)), highlight=False)
    while name := _person(people, source, _("%(question)s (Enter when done)", question=question),
                          _):
        given.append(name)
        progress.put(("people", key), given, answered=False)
    progress.put(("people", key), given)


def _terms(local_authority: Value, _: _Say) -> dict[str, Any]:
    """A published calendar, or terms typed one by one."""
    ics = _existing(_("Term dates: the %(la)s's .ics calendar (Enter to type them)",
                      la=local_authority), _, optional=True)
    if ics is not None:
        return {"ics": str(ics)}
    dates = []
    while name := str(typer.prompt(_("Term name (Enter when done)"), default="",
                                   show_default=False)).strip():
        start = typer.prompt("  " + _("first day (YYYY-MM-DD)"))
        end = typer.prompt("  " + _("last day (YYYY-MM-DD)"))
        dates.append({"name": name, "start": start, "end": end})
    inset = str(typer.prompt(_("INSET days (YYYY-MM-DD, separated by commas)"), default="",
                             show_default=False))
    return {"dates": dates, "inset_days": [d.strip() for d in inset.split(",") if d.strip()]}


def _read_folder(progress: Progress, folder: Path, people: list[DirectoryPerson],
                 read: Callable[[Path], list[FolderPolicy]]) -> list[Any]:
    """The folder read; two copies of one document (a Word and a PDF) raised at once, to take
    one out before any question is asked; another school or DSL named pointed out."""
    _ = said_in(progress)
    words = _words(progress)
    while True:
        items = read(folder)
        console.print("  " + _("read %(count)s documents from %(folder)s", count=len(items),
                               folder=str(folder)))
        pairs = twins(items)
        if not pairs:
            break
        for first, second in pairs:
            err.print("  [yellow]" + _("%(first)s and %(second)s are one policy (the same "
                                       "document or title)", first=escape(first.path.name),
                                       second=escape(second.path.name)) + "[/]",
                      highlight=False)
        typer.prompt("  " + _("Take one of each out of the folder, then press Enter"),
                     default="", show_default=False)
    names = {p.email: p.display_name for p in people}
    emails = [*(progress.get(("people", "dsl")) or []),
              *(progress.get(("people", "deputy_dsl")) or [])]
    mark = _("check")
    for item in items:
        item.check_ownership(str(progress.get(("school", "name")) or ""),
                             [names[e] for e in emails if e in names], dsl=words.dsl,
                             language=_.language)
        for check in item.checks:
            err.print(f"  [yellow]{mark}[/] {escape(item.path.name)}: "
                      f"{escape(say_folder(check, _.language))}", highlight=False)
    return items


def _policy_questions(progress: Progress, folder: Path, people: list[DirectoryPerson],
                      read: Callable[[Path], list[FolderPolicy]]) -> None:
    """The folder read once; the questions it leaves, then the pack (each answer saved)."""
    _ = said_in(progress)
    words = _words(progress)
    items = _read_folder(progress, folder, people, read)
    for item in items:
        for name in item.questions:
            key: Key = ("policy_answers", item.path.name, name)
            if progress.has(key):
                continue
            offered = item.title_guess if name == "title" else None
            if offered:
                console.print("  " + _("%(file)s: the title is not clear from the document; its "
                                       "first heading is “%(heading)s”",
                                       file=escape(item.path.name), heading=escape(offered)),
                              highlight=False)
            while True:
                text = str(typer.prompt(f"{item.path.name}: "
                                        f"{question(name, words, _.language)}",
                                        default=offered or None))
                if (problem := item.answer(name, text)) is None:
                    progress.put(key, text)
                    break
                err.print("  " + say(problem, _.language, ANSWER_PROBLEMS))
    titles = [PolicyRef(policy_key(item.title), item.title) for item in items if not item.error]
    console.print(_("Requirement pack (built-in templates that follow your policies):"))
    chosen: list[str] = list(progress.get(("requirements",)) or [])
    country = progress.get(("school", "country"))
    for pack_item in match_pack(titles, str(country) if country else None, _words(progress)):
        asked: Key = ("pack", pack_item.template.id)
        if not pack_item.available or progress.has(asked):
            continue
        if _.confirm(f"  {pack_item.template.summary}?",
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
        console.print(f"  Its language category, {category.name}, sets the language: "
                      f"{category.language} ({language_name(category.language)}).")
        if category.offered is None:
            return category.language
        return _choice(f"{language_name(category.language)} ({category.language}), or "
                       f"{language_name(category.offered)} ({category.offered})",
                       (category.language, category.offered), category.language)
    if typer.confirm(f"Will its staff, {_words(progress).governors} and reporters read the bot "
                     "in English only?", default=True):
        return "en"
    return _choice("Cymraeg only (cy), or Welsh first with English beside it (cy+en)",
                   ("cy", "cy+en"), "cy")


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
        f"Who inspects it ({named}); its evidence pack answers that inspectorate's list",
        choices, default))


def _school_id(adding: Install, name: str, _: _Say) -> str:
    """A short id for a school joining the install, not one it has (asked again until so)."""
    while True:
        given = str(typer.prompt(_("A short id for the school (letters, digits and hyphens; "
                                   "commands name it: --school ID)"),
                                 default=policy_key(name.replace("School", "")))).strip()
        taken = adding.taken(given)
        if taken is None and given == policy_key(given):
            return given
        err.print("  " + (taken.said(translations(_.language)) if taken else _(
            "%(id)s: use small letters, digits and hyphens only", id=given)), highlight=False)


def _joining(progress: Progress, settings: Settings, adding: Install) -> str:
    """A school joining the install: whether it is independent, its id; the install's
    platform, address and settings source stand (not asked); on Microsoft 365 or Google, its
    own connection and its all-staff group, where it has them. Returns the platform."""
    _ = said_in(progress)
    _ask(progress, ("school", "independent"), lambda: _.confirm(
        _("Is it an independent school (its proprietor holds the duties)?"), default=False))
    _ask(progress, ("school", "id"),
         lambda: _school_id(adding, str(progress.get(("school", "name"))), _))
    for key, value in (("platform", settings.connector), ("base_url", settings.base_url),
                       ("settings_source", adding.source)):
        progress.put((key,), value)
    if settings.connector != "local":
        _ask(progress, ("connection",), lambda: str(typer.prompt(_(
            "Its own Microsoft 365 tenant or Google domain: the connection's name in the "
            "settings (Enter: the install's)"), default="", show_default=False)).strip() or None)
        _ask(progress, ("staff_group",), lambda: str(typer.prompt(_(
            "Its all-staff group, where it shares the tenant or domain with other schools "
            "(Enter: it has it alone)"), default="", show_default=False)).strip() or None)
    return settings.connector


def ask_answers(settings: Settings, progress: Progress,
                read: Callable[[Path], list[FolderPolicy]] = read_policy_folder,
                adding: Install | None = None) -> Answers:
    """Every answer ``init`` needs, asked at the terminal (only those not saved already;
    ``read``: how the policy folder is read; ``adding``: the install a school joins, whose
    platform, address and settings source stand)."""
    _ask(progress, ("school", "name"), lambda: typer.prompt("School name"))
    _ask(progress, ("school", "country"), lambda: _choice(
        "Nation (its bank holidays, and the safeguarding words and law it uses)", NATIONS,
        DEFAULT_NATION))
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
    _ = said_in(progress)  # the school's language from here on
    if adding is not None:
        platform = _joining(progress, settings, adding)
    else:
        platform = _ask(progress, ("platform",), lambda: _choice(
            _("Where do staff have their accounts"), ("local", "m365", "google"), "local", _))
        _ask(progress, ("base_url",), lambda: typer.prompt(_("Web address staff will use"),
                                                           default=settings.base_url))
    if platform == "google" and adding is None:
        _ask(progress, ("platform_settings", "USER_QUERY"), lambda: str(typer.prompt(
            _("Which Google accounts are staff? Only members of the role groups you name are "
              "read; an Admin SDK user search narrows them, or, with no role group, the whole "
              "domain, e.g. orgUnitPath='/Staff' (Enter: no search)"),
            default="", show_default=False)).strip())
    people: list[DirectoryPerson] = []
    if platform == "local":
        people = _directory(progress)
    source = Path(progress.get(("directory",)) or "the directory").name
    _people(progress, people, source)
    local = _words(progress)
    _ask(progress, ("terms",),
         lambda: _terms(lambda tr: words_in(local, tr).local_authority, _))
    folder = _ask(progress, ("policies",),
                  lambda: _existing(_("Policy folder (.docx, .pdf, .md)"), _, folder=True))
    if not progress.has(("requirements",)):
        _policy_questions(progress, Path(folder), people, read)
    _ask(progress, ("settings_source",), lambda: _choice(  # (a joining school: the install's)
        _("Manage settings on the web pages (recommended) or in school.yaml"), ("web", "file"),
        "web", _))
    return Answers.model_validate(progress.data)
