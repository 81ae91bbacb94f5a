"""What every command shares: the consoles, the one ``context()``, expected-error handling,
``--as-of`` and ``--school`` options, the reminder plan's table. It sits in the engine, below
the features, so feature commands import it without importing the CLI (``bot.cli.main``
imports them).

``--help`` loads this module, so the helpers import the settings, the configuration and the
store when they run: the configuration costs ~0.3 s, the store ~1 s with SQLAlchemy (measured;
tests/cli/test_demo.py).
"""

from __future__ import annotations

import functools
import getpass
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Column, Table

from bot.core.days.clock import local_today
from bot.core.days.dates import AS_OF, DateWindowError
from bot.core.language.i18n import (
    N_,
    Dated,
    Msg,
    both,
    each_language,
    nmsg,
    say,
    shared_language,
    speak,
    speaking,
    spoken,
)
from bot.core.language.words import stage_list

if TYPE_CHECKING:
    from datetime import date

    from bot.core.config import SchoolConfig
    from bot.core.deployment.context import AppContext
    from bot.core.deployment.settings import Settings
    from bot.core.guards.forms import Text
    from bot.core.models import Person
    from bot.engine.sweep import SchoolSweep

__all__ = [
    "STOPPED_EXIT",
    "WHO_ARE_YOU",
    "AsOf",
    "EverySchool",
    "SchoolOption",
    "as_of_date",
    "as_of_today",
    "confirm",
    "console",
    "context",
    "directory_errors",
    "err",
    "fail",
    "friendly",
    "language_here",
    "one_school",
    "os_user",
    "print_reminder_plan",
    "refuse_new_database",
    "say_database",
    "school_language",
    "schools_of",
    "table",
    "unused_columns",
    "where",
    "who_asks",
]


class _Console(Console):
    """Rich's console reading the width (the terminal's, or ``COLUMNS``) each time it prints.

    Rich keeps the ``COLUMNS`` it finds when a console is made, and this module is imported when
    a command first runs, so a console made at import would keep what was set then."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._width = None


console = _Console()
err = _Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Act as if today were this date (YYYY-MM-DD).")
]
SchoolOption = Annotated[
    str | None, typer.Option("--school", help="School id (default: the first).")
]
EverySchool = Annotated[
    str | None, typer.Option("--school", help="School id (default: every school).")
]


# Expected errors of modules a command may never import (the scheduler pulls in APScheduler):
# looked up only once the command has run, so that a command imports only what it uses.
_LAZY_ERRORS = (("bot.engine.config_sync", "SyncError"), ("schedules.runner", "SchedulerLockError"))


def _loaded_errors() -> tuple[type[Exception], ...]:
    """The lazily imported expected errors whose modules this command has loaded."""
    found = (getattr(sys.modules.get(module), name, None) for module, name in _LAZY_ERRORS)
    return tuple(error for error in found if isinstance(error, type))


def friendly(func: F) -> F:
    """Turn expected errors into one red line and exit code 2 (no tracebacks)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bot.core.config import ConfigError  # lazy: not loaded by --help (module docstring)
        from bot.core.deployment.settings import SettingsError
        from bot.core.ports import ConnectorError

        with speaking("en"):  # this command's language, not the last one's in this process
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                expected: tuple[type[Exception], ...] = (
                    ConfigError,
                    SettingsError,
                    ConnectorError,
                    ImportError,
                    *_loaded_errors(),
                )
                if not isinstance(exc, expected):
                    raise
                # English: the settings, a connector or an import failed before (or while) the
                # school's language could be read; the text is the error's own
                with speaking("en"):
                    fail(str(exc), highlight=False, soft_wrap=True)
            except KeyboardInterrupt:
                # in the language ``context()`` read (English before it had): nothing is opened
                # again after a Ctrl-C, which may have been pressed at a database that hangs
                err.print(say(_STOPPED))
                raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def context(
    *,
    need_school: bool = True,
    database: Literal["use", "create", "unused"] = "use",
    say_where: bool = True,
) -> AppContext:
    """The command's application context: settings are read here, once, and passed down.

    Commands about school data stop with a clear line when no school is set up here, say which
    database they use (on stderr), and refuse to create one: a command run without the
    school's settings would otherwise start an empty database of its own. ``database`` is
    ``"create"`` for ``migrate`` (which exists to create it) and ``"unused"`` for commands that
    never open it; ``need_school=False`` is for the platform checks, which run before there is
    a school. Then they say which school data they act on (``where``), unless ``say_where`` is
    False.
    """
    from bot.core.deployment.context import AppContext
    from bot.core.deployment.settings import load_settings

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    if need_school and not settings.config_path.exists():
        # English: no school here, so no school's language to say it in
        fail(
            f"no school is set up here: {settings.config_path} not found.\n"
            "Run `uv run compliance-bot demo` to try the fictional school, or set "
            "COMPLIANCE_BOT_HOME (or COMPLIANCE_BOT_CONFIG_FILE) to your school's folder.",
            highlight=False,
        )
    ctx = AppContext(settings)
    # the one school's language, where its database is there to say it (``migrate`` makes it):
    # the command says everything in it from here on
    if need_school and database == "use":
        speak(language_here(ctx))
    if need_school and database != "unused":
        say_database(settings.db_url)
        if database != "create":
            refuse_new_database(ctx)
    if need_school and say_where:
        where(ctx)
    return ctx


def language_here(ctx: AppContext) -> str:
    """The language of the schools this install runs (``shared_language``); English for a
    database not made yet, or settings that do not load (the command says why)."""
    try:
        if not ctx.database_there():
            return "en"
        schools = ctx.config.schools
    except Exception:  # whatever fails here fails again in the command, and is said there
        return "en"
    return shared_language(s.language for s in schools)


def school_language(settings: Settings | None = None) -> str:
    """``language_here`` before the command has its context (of ``settings``, else this
    folder's), read without a word said (a refusal of the command's own options comes before
    the "Database: …" lines); English where the settings do not load."""
    from bot.core.deployment.context import AppContext
    from bot.core.deployment.settings import load_settings

    try:
        return language_here(AppContext(settings or load_settings()))
    except Exception:  # the command says what is wrong with them once it reads them
        return "en"


_STOPPED = N_("stopped.")
_DATABASE = N_("Database: %(url)s")
# a command that records who acted, run without --as
WHO_ARE_YOU = N_("say who you are with --as EMAIL (it is recorded).")
_USING = N_("using %(home)s · %(file)s")
_USING_DEMO = N_("using %(home)s (demo) · %(file)s")
_NO_SUCH_SCHOOL = N_("no school %(school)s in the configuration (%(known)s)")


def say_database(url: str) -> None:
    """Name the database a command uses, on one line of stderr (never its password)."""
    from bot.core.database.store import shown_url

    err.print(f"[dim]{say(_DATABASE, url=shown_url(url))}[/]", highlight=False, soft_wrap=True)


def refuse_new_database(ctx: AppContext) -> None:
    """Exit 2 with the way to the school's database when its settings' address has none yet."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core.database.store import shown_url

    url = ctx.settings.db_url
    try:
        exists = ctx.database_there()
    except SQLAlchemyError as exc:
        # English: the school's language is read from its database, which does not open
        fail(
            f"the database {shown_url(url)} could not be opened "
            f"({type(exc).__name__}); check COMPLIANCE_BOT_DATABASE_URL.",
            highlight=False,
            soft_wrap=True,
        )
    if exists:
        return
    # English: no database to read the school's language from
    fail(
        f"there is no database at {shown_url(url)}, and this command "
        "does not create one (it would start an empty school of its own). Point at the "
        "school's database with COMPLIANCE_BOT_DATABASE_URL (in the environment or in .env in "
        "this folder), or run `compliance-bot init` to set up a school here "
        "(`compliance-bot migrate` creates an empty database on purpose).",
        highlight=False,
        soft_wrap=True,
    )


def as_of_date(value: str | None) -> date | None:
    """The ``--as-of`` date, or None; a malformed one is one red line and exit 2."""
    if value is None:
        return None
    from bot.core.models import utcnow  # lazy: the models load SQLAlchemy (module docstring)

    try:
        return AS_OF.parse(value, "--as-of", local_today(utcnow()), example="2026-11-23")
    except DateWindowError as exc:
        fail(exc.msg, highlight=False)


def as_of_today(as_of: str | None) -> date:
    """The ``--as-of`` date (a malformed one refused), or today in the school's time zone."""
    from bot.core.models import utcnow

    return as_of_date(as_of) or local_today(utcnow())


def os_user() -> str | None:
    """The operating-system account running the command (kept beside ``--as`` in the audit)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return None


# yes and no at a Welsh school's terminal: glibc's cy_GB locale (LC_MESSAGES: yesstr "ie",
# nostr "na"; yesexpr "^[+1iItTyY]", noexpr "^[-0nN]"), the English y and n taken too
_YES, _NO = ("i", "ie", "y", "yes"), ("n", "na", "no")


def confirm(question: Text, *, default: bool) -> bool:
    """A yes/no question at the terminal: as click asks it (``[Y/n]``) in English; in a Welsh
    school ``[I/n]`` (ie/na), ``cy+en`` ``[I/n] / [Y/n]``, the English y/n taken too."""
    language = spoken()
    if language not in ("cy", "cy+en"):
        return typer.confirm(str(question), default=default)
    marks = ("[I/n]", "[Y/n]") if default else ("[i/N]", "[y/N]")
    shown = marks[0] if language == "cy" else both(*marks)
    while True:
        answer = str(typer.prompt(f"{question} {shown}", default="", show_default=False))
        if not (picked := answer.strip().lower()):
            return default
        if picked in _YES or picked in _NO:
            return picked in _YES
        again = N_("please answer one of: %(options)s")
        with speaking("cy"):
            said = say(again, options="ie, na")
        err.print("  " + (said if language == "cy" else both(said, again % {"options": "y, n"})))


def fail(message: Text, code: int = 2, **options: Any) -> NoReturn:
    """Say what is wrong on stderr, after a red "error:" (both in the command's language), and
    exit ``code`` (2 unless told); ``options`` go to ``Console.print`` (``soft_wrap=True``: a
    long line is not broken)."""
    said = say("error:")
    err.print(f"[bold red]{said}[/] {message}", **options)
    raise typer.Exit(code)


def where(ctx: AppContext) -> None:
    """Say which school data the command acts on (so nobody edits the demo by mistake)."""
    sentence = _USING_DEMO if ctx.settings.demo else _USING
    line = say(sentence, home=ctx.settings.home, file=ctx.settings.config_path)
    # on stderr: a command's own output (JSON, cards) stays clean on stdout
    err.print(f"[dim]{line}[/]")


def schools_of(ctx: AppContext, school: str | None) -> list[SchoolConfig]:
    """The one named school (exit 2 with the known ids if unknown: in the school's language
    where the install runs one), or every school."""
    if school is None:
        return list(ctx.config.schools)
    for config in ctx.config.schools:
        if config.id == school:
            return [config]
    known = ", ".join(s.id for s in ctx.config.schools)
    fail(Msg(_NO_SUCH_SCHOOL, school=repr(school), known=known))


def one_school(school: str | None, **options: Any) -> tuple[AppContext, SchoolConfig]:
    """The command's context (``options``: ``context``'s) and the school it acts on: the one
    named, else the first; spoken in its language from here on."""
    ctx = context(**options)
    chosen = schools_of(ctx, school)[0]
    speak(chosen.language)
    return ctx, chosen


def who_asks(
    ctx: AppContext, school: SchoolConfig, email: str | None, unnamed: Text | None = None
) -> tuple[str, Person | None, set[str]]:
    """The address ``--as`` gives, the school's active person with it (None: nobody) and their
    roles, the school's language spoken; exit 2 saying ``unnamed`` (else "say who you are")
    when it gives none."""
    from bot.core.models import active_person  # lazy: the models load SQLAlchemy

    speak(school.language)
    if not email:
        fail(Msg(WHO_ARE_YOU) if unnamed is None else unnamed)
    address = email.strip().lower()
    with ctx.store.session() as session:
        person = active_person(session, address, [school.id])
        return address, person, set(person.role_names) if person is not None else set()


STOPPED_EXIT = 3  # a directory sync stopped and asks for a confirmation


def table(
    title: str,
    columns: Iterable[str | Column],
    rows: Iterable[Iterable[str]],
    *,
    fold: bool = False,
    **options: Any,
) -> Table:
    """A titled table of ``rows`` under ``columns``, as every command prints one (``fold``:
    a long cell wraps onto more lines, never cut short; ``options``: rich's ``Table``'s)."""
    shown = Table(
        *(Column(c, overflow="fold") if fold and isinstance(c, str) else c for c in columns),
        title=title,
        **options,
    )
    for row in rows:
        shown.add_row(*row)
    return shown


def unused_columns(names: list[str]) -> Msg:
    """What a person is told of the staff list's columns the bot does not read."""
    return nmsg(
        "the staff list's column %(columns)s: it is not read. If one holds further roles, name it "
        "'Additional Role' (or 'Role 2', 'Role 3'): each of those is read through the role table.",
        "the staff list's columns %(columns)s: they are not read. If one holds further roles, "
        "name it 'Additional Role' (or 'Role 2', 'Role 3'): each of those is read through the "
        "role table.",
        len(names),
        columns=", ".join(f"'{n}'" for n in names),
    )


_STEP_FAILED = N_(
    "[bold red]step failed:[/] %(school)s: %(step)s (%(error)s); the other steps carried on"
)
_SYNC_STOPPED = N_(
    "[bold red]stopped:[/] %(school)s: the directory sync would mark %(removed)s of the "
    "%(active)s people as missing, so nobody was changed. If they really have gone: "
    "compliance-bot directory confirm-removals --school %(id)s --as YOUR-EMAIL"
)


_MIS_STOPPED = N_(
    "[bold red]stopped:[/] %(school)s: the MIS read would mark many of the people only the MIS "
    "lists as missing, so nobody was changed. If they really have gone: compliance-bot "
    "directory confirm-removals --school %(id)s --as YOUR-EMAIL"
)
_OR_MOVED = N_(
    "If the school has moved to another tenant or domain instead: compliance-bot directory move "
    '--school %(id)s --to NEW-CONNECTION --as YOUR-EMAIL (deploy/README.md, "Moving a school '
    'to another tenant")'
)


def directory_errors(results: list[SchoolSweep], languages: Mapping[str, str]) -> None:
    """The cycle ran, but a step that failed or a directory that could not be read still fails
    the command (exit 2), and one that stopped for a large removal exits 3 with the command
    that confirms it; each school's line in its language (``languages``: by school id)."""
    held = "directory_held"  # ``step_failures.HELD``: said below, as a stop (exit 3)
    for r in results:
        with speaking(languages.get(r.school_id, "en")):
            for failed in r.failed:  # the other steps ran; say which did not (the log says where)
                if failed.step != held:
                    err.print(
                        say(
                            _STEP_FAILED, school=r.school_name, step=failed.step, error=failed.error
                        ),
                        highlight=False,
                    )
    errors = [r for r in results if r.directory.error]
    if errors:
        # English: the directory's own error is its platform's words (the extra people file's
        # sentence is in the school's language already), after "error:" in the school's language
        with speaking(languages.get(errors[0].school_id, "en")):
            fail(str(errors[0].directory.error), highlight=False, soft_wrap=True)
    if any(f.step != held for r in results for f in r.failed):
        raise typer.Exit(2)
    stopped = [r for r in results if any(f.step == held for f in r.failed)]
    for r in stopped:
        stop = r.directory.stopped
        with speaking(languages.get(r.school_id, "en")):
            said = (
                say(_MIS_STOPPED, school=r.school_name, id=r.school_id)
                if stop is None
                else say(
                    _SYNC_STOPPED,
                    school=r.school_name,
                    removed=stop.would_remove,
                    active=stop.active,
                    id=r.school_id,
                )
            )
            for line in (said, say(_OR_MOVED, id=r.school_id)):
                err.print(line, highlight=False, soft_wrap=True)
    if stopped:
        raise typer.Exit(STOPPED_EXIT)


def print_reminder_plan(
    console: Console, results: list[SchoolSweep], languages: Mapping[str, str] | None = None
) -> None:
    """``remind --dry-run``'s table: who would get which reminder on that day, and who is
    copied (nothing recorded), each school in its language (``languages`` by id; English when
    not given): cy+en, the whole of it in Welsh, then in English."""
    for result in results:
        with speaking((languages or {}).get(result.school_id, "en")):
            each_language(lambda: _print_plan(console, result), lambda _cy, _en: None)  # noqa: B023


def _print_plan(console: Console, result: SchoolSweep) -> None:
    """One school's reminder plan, in the active language."""
    if not result.school_day:
        console.print(
            say(
                "%(school)s: %(day)s is not a school day — no reminders would go today.",
                school=result.school_name,
                day=Dated(result.as_of, "%A %d %B", "EEEE dd MMMM"),
            )
        )
        return
    heads = [say(head) for head in (N_("To"), N_("Items"), N_("Reminder"), N_("Copied"))]
    console.print(
        table(
            say(
                "%(school)s — reminders as of %(day)s",
                school=result.school_name,
                day=Dated(result.as_of, "%a %d %b %Y", "EEE dd MMM y"),
            ),
            heads,
            (
                (
                    f"{r.person_name}\n[dim]{r.person_email}[/]",
                    "\n".join(r.items),
                    str(stage_list(r.labels)),
                    ", ".join(r.cc) or "—",
                )
                for r in result.reminders
            ),
        )
    )
    console.print(
        str(
            nmsg(
                "%(num)d email would be sent. Nothing was recorded.",
                "%(num)d emails would be sent. Nothing was recorded.",
                len(result.reminders),
            )
        )
    )
