"""``compliance-bot init``: a school set up in one sitting from its staff list, policy folder
and term dates — interactive, or ``--answers FILE`` for scripted installs. What it will write is
shown first (``summary``), then the school says whether to save it.

Its commands import the feature's modules when they run: most load SQLAlchemy and the models
(~1 s measured), and ``--help`` answers without them (tests/cli/test_demo.py).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from bot.core.config.reading import load_yaml
from bot.core.language.i18n import LANGUAGES, N_, Msg, nsay, say, speak
from bot.engine.commands import (
    AsOf,
    as_of_today,
    console,
    context,
    err,
    fail,
    friendly,
    print_reminder_plan,
    say_database,
    school_language,
    table,
)

if TYPE_CHECKING:
    from bot.core.config import OrgConfig
    from bot.core.database.store import Store
    from bot.core.deployment.settings import Settings
    from bot.features.setup.answers import Key, Progress
    from bot.features.setup.install import Install
    from bot.features.setup.school_setup import SetupDraft
    from bot.features.setup.summary import Section

__all__ = ["init"]

AnswersOpt = Annotated[
    Path | None,
    typer.Option("--answers", help="A YAML file of answers (scripted installs); asks nothing."),
]


_TONES = {"ok": "green", "warn": "yellow", "note": "cyan", "dim": "dim", "bad": "bold red"}


def print_summary(sections: list[Section]) -> None:
    """What ``init`` will write, section by section: its title and summary, then its rows (a
    table, or a line after its coloured mark; a loud warning to stderr)."""
    # lazy: not loaded by --help (module docstring)
    from bot.features.setup.summary import Grid

    for section in sections:
        aside = f" {escape(str(section.aside))}" if section.aside else ""
        said = f": {escape(str(section.summary))}" if section.summary else ""
        console.print(f"[bold]{escape(str(section.title))}[/]{aside}{said}", highlight=False)
        for row in section.rows:
            if isinstance(row, Grid):
                cells = ((escape(str(cell)) for cell in cells) for cells in row.rows)
                console.print(
                    table(
                        str(row.title),
                        map(str, row.columns),
                        cells,
                        fold=True,
                        title_justify="left",
                    )
                )
                continue
            mark = f"[{_TONES[row.tone]}]{escape(str(row.mark))}[/] " if row.mark else ""
            line = f"  {mark}{escape(str(row.text))}"
            (err if row.tone == "bad" else console).print(line, highlight=False)


def _fail(lines: list[Msg]) -> None:
    """Every problem, one line each, then exit 2 (nothing was written)."""
    count = nsay("%(num)d problem to fix first:", "%(num)d problems to fix first:", len(lines))
    said = escape(say("Nothing was set up:"))
    err.print(f"[bold red]{said}[/] {count}")
    for line in lines:
        err.print(f"  {escape(str(line))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


_ALREADY = N_(
    "a school is already set up here: %(why)s. Nothing was changed; run "
    "`compliance-bot init` in an empty folder."
)
_ADDED = N_(
    "%(school)s joins the install's other schools (%(num)s now), in preview, and starts on its "
    "own: compliance-bot start-sending --school %(id)s --as YOUR-EMAIL. The others are as "
    "they were."
)
_RESUME_WITH_ANSWERS = N_(
    "--resume continues an interactive init; with --answers every answer is in the file already."
)
_LANGUAGE_LINE = re.compile(r"^\s*language:\s*[\"']?cy(?:\+en)?[\"']?\s*(?:#.*)?$", re.MULTILINE)


def _language_of(path: Path) -> str:
    """The language an answers file asks for (its school's ``language:``) where the file reads
    as one; both, Welsh first, where it cannot be read but a ``language:`` line says Welsh; else
    English (as a never-configured school's settings email is told)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "en"
    try:
        school = load_yaml(text).get("school")
        asked = school.get("language", "en")
    except Exception:  # not YAML, not a mapping: its language cannot be told
        asked = None
    if asked in LANGUAGES:
        return str(asked)
    return "cy+en" if _LANGUAGE_LINE.search(text) else "en"


def _from_file(settings: Settings, path: Path, adding: Install | None) -> SetupDraft:
    """The setup an answers file gives (``adding``: to the install), or its problems in the
    file's language and exit 2."""
    # lazy: not loaded by --help (module docstring)
    from bot.core.config import ConfigError
    from bot.features.setup.answers import load_answers
    from bot.features.setup.school_setup import draft_setup

    try:
        answers = load_answers(path)
    except ConfigError as exc:
        language = _language_of(path)
        if language == "en":
            raise  # as before: "error:" and the lines
        speak(language)
        fail("\n".join(str(line) for line in exc.lines), highlight=False, soft_wrap=True)
    speak(answers.school.language)  # the answers file's language from here on
    draft = draft_setup(settings, answers, adding=adding)
    if draft.problems:
        _fail(draft.problems)
    return draft


def _org(draft: SetupDraft, settings: Settings, today: date) -> OrgConfig:
    """The school file's content, validated as ``check config`` will read it."""
    # lazy: not loaded by --help (module docstring)
    from bot.core.config import OrgConfig
    from bot.core.config.said import pydantic_problem
    from bot.features.setup.problems import field_problem
    from bot.features.setup.writing import school_config

    data = school_config(draft, today)
    try:
        return OrgConfig.model_validate({**data, "base_dir": settings.home})
    except ValidationError as exc:
        _fail(
            [
                field_problem(".".join(str(p) for p in e["loc"]), pydantic_problem(e))
                for e in exc.errors()
            ]
        )
        raise  # pragma: no cover - _fail exits


def _first_plan(
    settings: Settings, org: OrgConfig, today: date, store: Store, school_id: str
) -> None:
    """The new school's first sweep, in preview (the staff list read: people can sign in at
    once; nothing queued), then ``remind --dry-run`` on its first school day: who will be asked
    for what. The install's other schools are not swept here (the scheduler sweeps them).
    ``store``: the database ``write_setup`` migrated (not migrated again)."""
    from bot.core.deployment.context import AppContext
    from bot.engine.sweep import run_sweep

    ctx = AppContext(settings)
    ctx.store = store
    alone = ctx.config.model_copy(update={"schools": [ctx.config.school(school_id)]})
    run_sweep(ctx.store, settings, alone, ctx.connectors, as_of=today, deliver=False)
    first_day = org.school(school_id).next_school_day(today)
    results, _ = run_sweep(
        ctx.store, settings, alone, ctx.connectors, as_of=first_day, write=False, deliver=False
    )
    console.rule("[bold]The first plan[/] (compliance-bot remind --dry-run)")
    print_reminder_plan(console, results)


ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue an interactive init from the answers it saved; "
        "nothing answered is asked again.",
    ),
]
# a problem's key (before the first '.', '[' or ':') -> the answers asked again to fix it (any
# other key: that answer alone)
_POLICY_SECTIONS = ("policies", "policy_answers", "requirements", "pack")
_SECTIONS = {
    "directory": ("directory", "leave_out", "job_titles", "role_groups", "groups"),
    **dict.fromkeys(_POLICY_SECTIONS[:3], _POLICY_SECTIONS),
}


def _progress(settings: Settings, resume: bool) -> Progress:
    """The resumable answers file: continued with ``--resume`` (or when the person says so),
    otherwise begun afresh."""
    from bot.features.setup.answers import Progress

    path = Progress.beside(settings.home)
    if resume and not path.is_file():
        # English: no answers saved, so no language chosen yet
        fail(
            f"there are no saved answers to continue ({path} not found); run "
            "`compliance-bot init` to begin.",
            highlight=False,
        )
    # English below: asked before the answers say the school's language
    if path.is_file() and (
        resume
        or typer.confirm(
            f"Answers from an unfinished init are saved in {path}. Continue from them?",  # English:
            default=True,
        )
    ):
        console.print(
            f"Continuing from the answers saved in {path}.",  # English: as above
            highlight=False,
        )
        return Progress.load(path)
    progress = Progress(path)
    progress.save()
    console.print(
        f"Each answer is saved as you give it, in {path}; if you stop, "
        "`compliance-bot init --resume` continues from there.",  # English: as above
        highlight=False,
    )
    return progress


def _interactive(settings: Settings, progress: Progress, adding: Install | None) -> SetupDraft:
    """Ask (only what is not saved), check everything; a problem at the end offers to answer
    just those questions again, never to start again."""
    from bot.engine.commands import confirm
    from bot.features.setup.policy_folder import FolderReads
    from bot.features.setup.problems import field_of
    from bot.features.setup.prompts import ask_answers
    from bot.features.setup.school_setup import draft_setup

    read = FolderReads().read  # the questions and the checks read each document once
    while True:
        draft = draft_setup(settings, ask_answers(settings, progress, read, adding), read, adding)
        if not draft.problems:
            return draft
        count = nsay(
            "%(count)s problem to fix:",
            "%(count)s problems to fix:",
            len(draft.problems),
            count=len(draft.problems),
        )
        err.print(f"[bold red]{escape(count)}[/]")
        for line in draft.problems:
            err.print(f"  {escape(str(line))}", highlight=False, soft_wrap=True)
        keys = {field_of(line).split(".", 1)[0].split("[", 1)[0] for line in draft.problems}
        tops = sorted({top for key in keys for top in _SECTIONS.get(key, (key,))})
        if not confirm(
            say("Answer those questions again now (every other answer is kept)?"), default=True
        ):
            err.print(
                say(
                    "Your answers are kept in %(path)s: fix what is above, then run "
                    "`compliance-bot init --resume`.",
                    path=str(progress.path),
                ),
                highlight=False,
            )
            raise typer.Exit(2)
        progress.forget(*tops)


def _offer_editions(draft: SetupDraft, progress: Progress, today: date) -> None:
    """Each reading without an edition: offer to register one of the policy folder's guidance
    documents as this year's (nobody is asked to read a reading until it has one)."""
    from bot.features.reading.api import audience_name
    from bot.features.setup.school_setup import readings

    # the policy folder's documents that are national guidance (an edition to register)
    files = [p.path.name for p in draft.policies if not p.error and p.is_guidance]
    editions = dict(draft.answers.editions)
    for reading in readings(draft, today):
        key: Key = ("editions", reading.key)
        if reading.key in editions or progress.has(key) or not files:
            continue
        words = set(str(audience_name(reading.audience)).casefold().split())
        fits = [f for f in files if words <= set(re.split(r"[\W_]+", f.casefold()))]
        alone = (
            len(files) == 1
            and sum(r.requirement == reading.requirement for r in readings(draft, today)) == 1
        )
        offered = fits[0] if fits else files[0] if alone else ""
        console.print(
            say(
                "%(reading)s: no edition is registered, so nobody will be asked to read it.",
                reading=escape(reading.shown),
            ),
            highlight=False,
        )
        while True:
            name = str(
                typer.prompt(
                    "  "
                    + say(
                        "Register a document of the policy folder as its edition (%(files)s; Enter "
                        "with nothing: not now, later with compliance-bot campaign add)",
                        files=", ".join(files),
                    ),
                    default=offered,
                    show_default=bool(offered),
                )
            ).strip()
            if not name or name in files:
                break
            err.print("  " + say("%(name)s is not one of those documents", name=escape(name)))
        if name:
            editions[reading.key] = progress.put(key, name)
        else:
            progress.mark(key)
    draft.answers = draft.answers.model_copy(update={"editions": editions})


def init(answers: AnswersOpt = None, resume: ResumeOpt = False, as_of: AsOf = None) -> None:
    """Set up a school here: directory, people in roles, policies, term dates, requirements.
    In an install that has schools (this folder's, or its database's), add one: asks only its
    own questions, refuses an id it has, leaves the others as they are.

    Refuses (exit 2) a folder it cannot set up; never overwrites anything of another school.
    Interactive answers are saved as they are given; ``--resume`` continues an unfinished run.
    """
    from bot.core.deployment.settings import DEFAULT_HOME, DEMO_HOME, own_address
    from bot.core.guards.forms import SaidError
    from bot.core.models import utcnow
    from bot.features.setup.install import existing_school, installed
    from bot.features.setup.writing import write_setup

    settings = context(need_school=False).settings
    if settings.home == DEMO_HOME and not settings.demo:  # a new school's folder, never the demo's
        settings = settings.model_copy(update={"home": DEFAULT_HOME})
    try:
        adding = installed(settings)  # an install of schools: this one joins it
    except SaidError as exc:  # its folder is elsewhere
        fail(exc.msg, highlight=False, soft_wrap=True)
    if adding is None and (why := existing_school(settings)):
        speak(school_language(settings))  # the school already here
        fail(say(_ALREADY, why=why.msg), highlight=False, soft_wrap=True)
    # English: a malformed --as-of is refused before any answer (or its language) is read
    today = as_of_today(as_of)
    progress = None
    if answers is not None:
        if resume:
            speak(_language_of(answers))
            fail(say(_RESUME_WITH_ANSWERS))
        draft = _from_file(settings, answers, adding)
    else:
        progress = _progress(settings, resume)
        draft = _interactive(settings, progress, adding)
        _offer_editions(draft, progress, today)
    org = _org(draft, settings, today)
    # lazy: not loaded by --help (module docstring)
    from bot.features.setup.summary import summary_sections

    print_summary(summary_sections(org.school(draft.school_id), today, draft=draft))
    if progress is not None and not _saved(progress):
        raise typer.Exit(2)
    base_url, port = own_address(draft.answers.base_url.rstrip("/"), settings.port)
    settings = settings.model_copy(
        update={"base_url": base_url, "port": port, "connector": draft.answers.platform}
    )
    written = write_setup(settings, draft, org, today=today, now=utcnow())
    say_database(settings.db_url)
    console.print(
        "\n"
        + nsay(
            "[green]Written[/]: %(school_file)s (the school file), %(env)s (settings), the "
            "database and %(num)d file copied into %(home)s.",
            "[green]Written[/]: %(school_file)s (the school file), %(env)s (settings), the "
            "database and %(num)d files copied into %(home)s.",
            len(written.copied),
            school_file=written.config_path,
            env=written.env_path,
            home=settings.home,
        )
    )
    if progress is not None:
        progress.path.unlink(missing_ok=True)  # done: the answers live in school.yaml now
    _closing(settings, draft, org, today, written.store)
    if adding is not None:
        console.print(
            say(_ADDED, school=draft.answers.school.name, num=len(org.schools), id=draft.school_id),
            highlight=False,
        )


def _saved(progress: Progress) -> bool:
    """Whether the school says to save this setup; if not, where its answers are kept."""
    from bot.engine.commands import confirm

    if confirm(say("Save this setup (preview begins)?"), default=True):
        return True
    err.print(
        say(
            "Nothing was saved. Your answers are kept in %(path)s; `compliance-bot init "
            "--resume` continues from them.",
            path=str(progress.path),
        ),
        highlight=False,
    )
    return False


def _closing(
    settings: Settings, draft: SetupDraft, org: OrgConfig, today: date, store: Store
) -> None:
    """The first plan (local) or the platform check to run, then the next step."""
    platform = draft.answers.platform
    if platform == "local":
        _first_plan(settings, org, today, store, draft.school_id)
        mail = (
            Msg(
                N_("written as .eml files into %(folder)s until a mail relay is set"),
                folder=settings.outbox_dir,
            )
            if settings.local.mail == "eml"
            else Msg(N_("sent through the school's mail relay"))
        )
        console.print(
            "\n"
            + say(
                "[bold]Signing in[/]: people type their school email address at %(url)s/signin and "
                "are emailed a one-time link and code (%(mail)s). If the school has Microsoft 365 "
                "or Google, their sign-in is better: see deploy/README.md#sign-in.",
                url=settings.base_url,
                mail=mail,
            )
        )
    else:
        name = "Microsoft 365" if platform == "m365" else "Google"
        console.print(
            say(
                "Next, fill in the settings marked in .env (see deploy/%(platform)s.md) and run "
                "[bold]compliance-bot check %(platform)s[/]; then [bold]compliance-bot remind "
                "--dry-run[/] shows the first plan.",
                platform=platform,
            )
        )
        console.print(
            "\n"
            + say(
                "[bold]Signing in[/]: with %(name)s accounts (recommended): fill in the "
                "COMPLIANCE_BOT_OIDC_ lines in .env (deploy/README.md#sign-in). Until then people "
                "sign in with a one-time link and code emailed to them.",
                name=name,
            )
        )
    where_kept = (
        Msg(N_("the web pages (school.yaml is an export)"))
        if draft.answers.settings_source == "web"
        else Msg(N_("school.yaml (the web pages show it read-only)"))
    )
    console.print(
        "\n"
        + say(
            "Nothing is sent yet: the school is in preview. Settings are managed in %(where)s.",
            where=where_kept,
        )
        + "\n"
        + say(
            "Next: open [bold]%(url)s/setup[/] to review, then press Start sending (or run "
            "[bold]compliance-bot start-sending[/]).",
            url=settings.base_url,
        )
    )


init_command = friendly(init)
