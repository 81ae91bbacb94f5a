"""The questions of an interactive ``compliance-bot init``, one step at a time: each answer
checked as it is given and saved at once to the resumable answers file, so that nothing is asked
twice. Here, the interview in its order and the questions about the school itself: its nation,
kind and language, its platform (or, joining an install, its own connection), its terms and its
policy folder with the requirement pack; the people are asked in ``people_prompts``.

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

from bot.core.language.i18n import Msg, language_name, say, speak
from bot.core.nations import NATIONS, pack_for
from bot.core.nations.inspectorates import default_inspectorate, inspectorate, inspectorates_of
from bot.engine.commands import confirm, console, err
from bot.features.policies.api import policy_key, question
from bot.features.setup.answers import Answers, Key, Progress, SchoolAnswers, TermAnswers
from bot.features.setup.asking import (
    answer,
    ask,
    choice,
    existing,
    nation,
    nation_words,
    question_of,
    refused,
    typed,
)
from bot.features.setup.pack import PackItem
from bot.features.setup.people_prompts import ask_people, staff_list
from bot.features.setup.policy_folder import (
    FolderPolicy,
    folder_checks,
    offered_pack,
    read_policy_folder,
)
from bot.features.setup.problems import THE_DIRECTORY

if TYPE_CHECKING:
    from bot.core.deployment.settings import Settings
    from bot.core.guards.forms import Text
    from bot.core.ports import DirectoryPerson
    from bot.features.setup.install import Install

__all__ = ["ask_answers", "speak_as_chosen"]


def speak_as_chosen(progress: Progress) -> None:
    """Say the rest of ``init`` in the language the school chose (English until then)."""
    speak(str(progress.get(("school", "language")) or "en"))


def _terms(local_authority: Text) -> dict[str, Any]:
    """A published calendar, or the terms, INSET days and other closures typed one a line as
    the web page's boxes take them; each line checked by the answers' model as it is typed
    (its refusal said, that line asked again)."""
    ics = existing(str(question_of(TermAnswers, "ics", la=local_authority)), optional=True)
    if ics is not None:
        return {"ics": str(ics)}
    typed_in: dict[str, Any] = {}
    for name in ("dates", "inset_days", "holidays"):
        asked = say("%(question)s (Enter when done)", question=question_of(TermAnswers, name))
        typed_in[name] = []
        while line := typed(asked):
            if refused(TermAnswers, name, [line])[1] is None:
                typed_in[name].append(line)
    return typed_in


def _read_folder(
    progress: Progress,
    folder: Path,
    people: list[DirectoryPerson],
    read: Callable[[Path], list[FolderPolicy]],
) -> list[FolderPolicy]:
    """The folder read and checked as the answers file's is: two documents that are one
    policy raised at once, to take one out before any question is asked; another school or
    DSL named pointed out."""
    names = {p.email: p.display_name for p in people}
    emails = [
        *(progress.get(("people", "dsl")) or []),
        *(progress.get(("people", "deputy_dsl")) or []),
    ]
    school = str(progress.get(("school", "name")) or "")
    dsls, dsl = [names[e] for e in emails if e in names], nation_words(progress).dsl
    while True:
        items = read(folder)
        console.print(
            "  "
            + say("read %(count)s documents from %(folder)s", count=len(items), folder=str(folder))
        )
        if not (problems := folder_checks(items, school, dsls, dsl=dsl)):
            break
        for problem in problems:
            err.print(f"  [yellow]{escape(str(problem))}[/]", highlight=False)
        typed("  " + say("Take one of each out of the folder, then press Enter"))
    mark = say("check")
    for item in items:
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
    """The folder read once; the questions it leaves (an answer saved before given to its
    document again), then the pack (each answer saved)."""
    words = nation_words(progress)
    items = _read_folder(progress, folder, people, read)
    for item in items:
        for name in item.questions:
            key: Key = ("policy_answers", item.path.name, name)
            if progress.has(key):
                item.answer(name, str(progress.get(key)))
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
    country = progress.get(("school", "country"))
    _pack(progress, offered_pack(items, str(country) if country else None, words))


def _pack(progress: Progress, pack: list[PackItem]) -> None:
    """The requirement pack offered: each template that applies asked for (the optional ones
    offered as no), each answer saved."""
    console.print(say("Requirement pack (built-in templates that follow your policies):"))
    chosen: list[str] = list(progress.get(("requirements",)) or [])
    for pack_item in pack:
        asked: Key = ("pack", pack_item.template.id)
        if not pack_item.available or progress.has(asked):
            continue
        if confirm(
            f"  {pack_item.template.summary}?", default=pack_item.template.kind != "optional"
        ):
            chosen.append(pack_item.template.id)
            progress.put(("requirements",), chosen, answered=False)
        progress.mark(asked)
    progress.put(("requirements",), chosen)


def _language(progress: Progress) -> str:
    """A Welsh school's language: its language category's (said so), else English (the
    default), Cymraeg, or both, Welsh first; a category that offers both asks which."""
    given = progress.get(("school", "language_category"))
    category = pack_for(nation(progress)).language_category(given)
    if category is not None:
        # English: asked before the school's language is chosen
        console.print(
            f"  Its language category, {category.name}, sets the language: "
            f"{category.language} ({language_name(category.language)})."
        )
        if category.offered is None:
            return category.language
        return choice(
            f"{language_name(category.language)} ({category.language}), or "
            f"{language_name(category.offered)} ({category.offered})",
            (category.language, category.offered),
            category.language,
        )
    governors = nation_words(progress).governors
    # English: asked before the school's language is chosen
    if typer.confirm(
        f"Will its staff, {governors} and reporters read the bot in English only?", default=True
    ):
        return "en"
    return choice(
        "Cymraeg only (cy), or Welsh first with English beside it (cy+en)", ("cy", "cy+en"), "cy"
    )


def _inspectorate(progress: Progress, country: str) -> None:
    """Who inspects the school, asked where its nation has more than one inspectorate (the
    nation's for its kind of school offered; an independent school in England chooses)."""
    choices = inspectorates_of(country)
    if len(choices) > 1:
        independent = progress.get(("school", "independent")) is True
        answer(
            progress,
            ("school", "inspectorate"),
            SchoolAnswers,
            options=choices,
            default=default_inspectorate(country, independent=independent),
            named="; ".join(f"{i}: {inspectorate(i).name}" for i in choices),
        )


def _joining(progress: Progress, settings: Settings, adding: Install) -> str:
    """A school joining the install: its id (whether it is independent is asked with the
    school); the install's platform, address and settings source stand (not asked); on
    Microsoft 365 or Google, its own connection and its all-staff group, where it has them.
    Returns the platform."""
    answer(
        progress,
        ("school", "id"),
        SchoolAnswers,
        default=policy_key(str(progress.get(("school", "name"))).replace("School", "")),
        check=lambda given: taken.msg if (taken := adding.taken(given)) else None,
    )
    for key, value in (
        ("platform", settings.connector),
        ("base_url", settings.base_url),
        ("settings_source", adding.source),
    ):
        progress.put((key,), value)
    if settings.connector == "local":
        return settings.connector
    answer(progress, ("connection",), Answers)
    answer(progress, ("staff_group",), Answers)
    return settings.connector


def _school(progress: Progress) -> None:
    """The school: its name, nation and kind (an independent school's proprietor), who
    inspects it, and a Welsh school's language category and language (English until then)."""
    answer(progress, ("school", "name"), SchoolAnswers)
    answer(progress, ("school", "country"), SchoolAnswers, options=NATIONS)
    if answer(progress, ("school", "independent"), SchoolAnswers):
        answer(progress, ("school", "proprietor"), SchoolAnswers)
    country = nation(progress)
    _inspectorate(progress, country)
    categories = pack_for(country).language_categories  # Wales' (the 2025 Act)
    if categories is not None and not progress.has(("school", "language_category")):
        named = "; ".join(f"{c.id}: {c.name}" for c in categories.category)
        said = choice(
            f"Its language category ({categories.source.title}: {named})",
            (*(c.id for c in categories.category), "not-yet"),
            "not-yet",
        )
        if said == "not-yet":
            progress.mark(("school", "language_category"))
        else:
            progress.put(("school", "language_category"), said)
    if country == "wales":  # every Welsh school chooses its people's language
        ask(progress, ("school", "language"), lambda: _language(progress))


def _platform(progress: Progress, settings: Settings, adding: Install | None) -> str:
    """Where staff have their accounts and the web address they use (a joining school: the
    install's, and its own connection); on Google, which accounts are staff."""
    if adding is not None:
        return _joining(progress, settings, adding)
    platform = str(answer(progress, ("platform",), Answers))
    answer(progress, ("base_url",), Answers, default=settings.base_url)
    if platform == "google":
        ask(
            progress,
            ("platform_settings", "USER_QUERY"),
            lambda: typed(
                say(
                    "Which Google accounts are staff? Only members of the role groups you name "
                    "are read; an Admin SDK user search narrows them, or, with no role group, "
                    "the whole domain, e.g. orgUnitPath='/Staff' (Enter: no search)"
                )
            ),
        )
    return platform


def ask_answers(
    settings: Settings,
    progress: Progress,
    read: Callable[[Path], list[FolderPolicy]] = read_policy_folder,
    adding: Install | None = None,
) -> Answers:
    """Every answer ``init`` needs, asked at the terminal (only those not saved already;
    ``read``: how the policy folder is read; ``adding``: the install a school joins, whose
    platform, address and settings source stand)."""
    _school(progress)
    speak_as_chosen(progress)  # the school's language from here on
    platform = _platform(progress, settings, adding)
    people: list[DirectoryPerson] = []
    if platform == "local":
        people = staff_list(progress)
    given = progress.get(("directory",))
    source: Text = Path(given).name if given else Msg(THE_DIRECTORY)
    ask_people(progress, people, source)
    local = nation_words(progress)
    ask(progress, ("terms",), lambda: _terms(Msg(local.local_authority)))
    folder = ask(
        progress,
        ("policies",),
        lambda: existing(str(question_of(Answers, "policies")), folder=True),
    )
    if not progress.has(("requirements",)):
        _policy_questions(progress, Path(folder), people, read)
    answer(progress, ("settings_source",), Answers)  # (a joining school: the install's)
    return Answers.model_validate(progress.data)
