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


def question_of(model: type[BaseModel], name: str, **words: Text) -> Text:
    """The model's question for its field ``name`` (its title, else ``words[name]``; its
    help in brackets), with ``words`` (the nation's), said when shown."""
    field = model.model_fields[name]
    asked = Msg(field.title, **words) if field.title else words.get(name, name)
    if field.description is None:
        return asked
    return Msg(N_("%(lead)s (%(short)s)"), lead=asked, short=Msg(field.description))


def answer(
    progress: Progress,
    key: Key,
    model: type[BaseModel],
    *,
    options: tuple[str, ...] = (),
    default: str | None = None,
    check: Callable[[Any], Text | None] | None = None,
    **words: Text,
) -> Any:
    """The saved answer, or the model's own question for the field ``key`` ends in (said with
    ``words``), its answer saved at once: yes or no for a ``bool``; one of the choices its
    ``Literal`` declares (or ``options``), the model's default offered, else the first; else
    typed (Enter: ``default``, or nothing where the field may be left out) and asked again
    until the model takes it, its refusal said as the answers file and the web say it
    (``check``: what else refuses an answer the model takes, e.g. an id the install has)."""
    if progress.has(key):
        return progress.get(key)
    field = model.model_fields[key[-1]]
    asked = str(question_of(model, key[-1], **words))
    if field.annotation is bool:
        return progress.put(key, typer.confirm(asked, default=bool(field.default)))
    if options := options or _choices(field.annotation):
        return progress.put(key, choice(asked, options, default or field.default or options[0]))
    while True:
        given = str(typer.prompt(asked, default=default or "", show_default=bool(default)))
        left_out = not given.strip() and not field.is_required() and field.default is None
        taken, problem = refused(model, key[-1], None if left_out else given.strip())
        if problem is None and check is not None and (problem := check(taken)) is not None:
            err.print(f"  {problem}", highlight=False)
        if problem is None:
            return progress.put(key, taken)


def _choices(annotation: Any) -> tuple[str, ...]:
    """The choices a ``Literal[...]`` (or ``Literal[...] | None``) declares; () for another."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return tuple(o for a in get_args(annotation) if get_origin(a) is Literal for o in get_args(a))


def refused(model: type[BaseModel], name: str, value: object) -> tuple[Any, Text | None]:
    """``refusal``: the answer as the model takes it, and its refusal, said at once."""
    taken, problem = refusal(model, name, value)
    if problem is not None:
        err.print(f"  {problem}", highlight=False)
    return taken, problem


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
