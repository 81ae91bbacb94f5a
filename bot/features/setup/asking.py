"""How ``compliance-bot init`` asks at the terminal, whatever the question: a saved answer never
asked again, a choice typed in the school's language (a Welsh school may type the Welsh codes or
the English), a file or folder that exists, and the words of the nation chosen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

import typer

from bot.core.language.i18n import N_, Msg, Said, both, say, speaking, spoken
from bot.core.nations import DEFAULT_NATION, school_words_for
from bot.engine.commands import err
from bot.features.setup.answers import refusal

if TYPE_CHECKING:
    from pydantic import BaseModel

    from bot.core.guards.forms import Text
    from bot.core.language.words import Words
    from bot.features.setup.answers import Key, Progress

__all__ = [
    "answer",
    "ask",
    "choice",
    "choose",
    "code",
    "existing",
    "nation",
    "nation_words",
    "question_of",
    "refused",
    "typed",
]

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


def code(option: str) -> str:
    """An option's code as the active language types it ("gadael-allan" for "leave-out")."""
    return say(_CODES[option]) if option in _CODES else option


def typed(question: str) -> str:
    """What is typed at ``question``, trimmed; Enter alone gives ""."""
    return str(typer.prompt(question, default="", show_default=False)).strip()


def choice(question: str, options: tuple[str, ...], default: str | None) -> str:
    """One of ``options``, in any case (asked again until it is one); a Welsh school is shown
    the Welsh codes and may type either."""
    takes = {option: option for option in options}  # what may be typed, and its option
    shown = "/".join(options)
    if spoken() != "en":
        with speaking("cy"):
            welsh = {code(option): option for option in options}
            default = code(default) if default is not None else None
        takes |= welsh
        shown = "/".join(welsh) if spoken() == "cy" else both("/".join(welsh), shown)
    while True:
        answer = str(typer.prompt(f"{question} ({shown})", default=default))
        picked = "-".join(answer.strip().lower().split())
        if picked in takes:
            return takes[picked]
        err.print(
            "  "
            + say(
                "please answer one of: %(options)s",
                options=Said(lambda: ", ".join(code(o) for o in options)),
            )
        )


def ask(progress: Progress, key: Key, question: Callable[[], Any]) -> Any:
    """The saved answer, or the question asked now and its answer saved at once."""
    if progress.has(key):
        return progress.get(key)
    return progress.put(key, question())


def question_of(model: type[BaseModel], name: str) -> str:
    """The model's question for its field ``name`` (its title, its help in brackets), said."""
    field = model.model_fields[name]
    asked = say(field.title or name)
    return f"{asked} ({say(field.description)})" if field.description else asked


def answer(progress: Progress, key: Key, model: type[BaseModel]) -> Any:
    """The saved answer, or the model's own question for the field ``key`` ends in, asked
    until the model takes the answer (its refusal said as the answers file and the web say
    it), then saved at once."""
    if progress.has(key):
        return progress.get(key)
    while True:
        given = typer.prompt(question_of(model, key[-1]), default="", show_default=False)
        taken, problem = refused(model, key[-1], given)
        if problem is None:
            return progress.put(key, taken)


def refused(model: type[BaseModel], name: str, value: object) -> tuple[Any, Text | None]:
    """``refusal``: the answer as the model takes it, and its refusal, said at once."""
    taken, problem = refusal(model, name, value)
    if problem is not None:
        err.print(f"  {problem}", highlight=False)
    return taken, problem


def choose(progress: Progress, key: Key, model: type[BaseModel]) -> Any:
    """The saved answer, or the model's question for a field of a few choices (its
    ``Literal``'s, the model's default offered, else the first), its answer saved at once."""
    field = model.model_fields[key[-1]]
    options = get_args(field.annotation)
    if get_origin(field.annotation) is not Literal:  # Literal[...] | None
        options = tuple(o for a in options for o in get_args(a))
    asked = question_of(model, key[-1])
    return ask(progress, key, lambda: choice(asked, options, field.default or options[0]))


def existing(question: str, *, folder: bool = False, optional: bool = False) -> Path | None:
    """A file (or folder) that exists; None when optional and left empty."""
    while True:
        text = typed(question)
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


def nation(progress: Progress) -> str:
    """The nation chosen (the default until it is)."""
    return str(progress.get(("school", "country")) or DEFAULT_NATION)


def nation_words(progress: Progress) -> Words:
    """The words of the nation chosen (an independent school's: the proprietor's)."""
    return school_words_for(
        nation(progress), independent=progress.get(("school", "independent")) is True
    )
