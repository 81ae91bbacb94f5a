"""What ``compliance-bot init`` will write, shown before it asks to save: the directory as
read and the role table, who holds each named role, what each policy document said, the term
dates read, the requirement pack, who will owe what and the report deadlines — in the school's
words and language.

The heavier modules (the job-role table, the owed list, the reports' clocks) are imported when
they are printed, so ``init --help`` loads none of them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

from rich.markup import escape

from bot.core.guards.emails import has_mailbox
from bot.core.language.i18n import N_, Msg, nmsg, nsay, say, spoken
from bot.core.language.words import plain_key, plural, role_name
from bot.core.nations import Words, school_words_for
from bot.engine.commands import console, err, table, unused_columns
from bot.features.setup.problems import contracted

if TYPE_CHECKING:
    from bot.core.config import OrgConfig
    from bot.core.guards.forms import Text
    from bot.features.setup.school_setup import SetupDraft

__all__ = ["print_summary"]

DIRECTORY = N_("Directory")


def _role(role: str, words: Words) -> str:
    """A role's name as the school says it, in the active language ('pennaeth')."""
    return say(role_name(role, words))


def _many(name: str) -> str:
    """A role's name for more than one, in English: 'supply staff' as it is, the first word
    of 'clerk to the governors' or 'chair of governors' takes the 's'."""
    if name.endswith("staff"):
        return name
    first, sep, rest = name.partition(" ")
    return f"{first}s{sep}{rest}" if " to " in name or " of " in name else name + "s"


def _persons(count: int) -> str:
    """'1 person', '60 people' ('60 o bobl')."""
    return nsay("%(count)s person", "%(count)s people", count, count=count)


def _naming(draft: SetupDraft, sentence: str, **values: object) -> str:
    """``sentence`` (``N_``) naming the directory (in ``cy+en`` each half its own: "…
    cyfeiriadur Microsoft 365 … / … the Microsoft 365 …")."""
    return str(contracted(Msg(sentence, source=draft.source_name, **values)))


def _print_people(draft: SetupDraft) -> None:
    """The directory as read, the role table, and who holds each named role."""
    school = draft.answers.school
    words = school_words_for(school.country, independent=school.independent)
    if draft.people:
        _print_directory(draft, words)
    elif draft.directory_note:
        console.print(f"[bold]{say(DIRECTORY)}[/]: {draft.directory_note}")
    shown_as = {p.email: f"{p.display_name} <{p.email}>" for p in draft.people}
    outside = N_("%(who)s (from outside %(source)s: on the people register)")
    shown_as |= {
        e: _naming(draft, outside, who=n + " <" + e + ">" if n != e else e)
        for e, n in draft.outsiders.items()
    }
    for key, value in draft.roles.items():
        emails = value if isinstance(value, list) else [value] if value else []
        shown = ", ".join(shown_as.get(e) or e for e in emails)
        label = say("runs the bot day to day") if key == "admins" else _role(key, words)
        console.print(f"  {label}: {shown or '—'}", highlight=False)


def _print_directory(draft: SetupDraft, words: Words) -> None:
    """The staff list as read: how many people with each role, the lines left out, columns
    not read, people without an address; then the role table."""
    # lazy: school_setup loads SQLAlchemy and the models (~1 s), not loaded by --help
    from bot.features.setup.school_setup import person_roles

    roles = Counter(r for p in draft.people if p.active for r in person_roles(draft, p))
    counts = ", ".join(
        plural(n, role_name(r, words), _many(role_name(r, words)))
        if spoken() == "en"  # English's own plurals ('6 governors'); else 'role: count'
        else f"{_role(r, words)}: {n}"
        for r, n in sorted(roles.items())
    )
    counts = counts or say("no roles")
    console.print(
        f"[bold]{say(DIRECTORY)}[/]: {draft.source_name}: {_persons(len(draft.people))} ({counts})"
    )
    if draft.header:
        line, _sep, columns = draft.header.removeprefix("line ").partition(": ")
        console.print(
            "  "
            + say("header row found on line %(line)s: %(columns)s", line=line, columns=columns),
            highlight=False,
        )
    if draft.sheet:
        console.print("  " + say("sheet '%(sheet)s' read", sheet=draft.sheet), highlight=False)
    if draft.hidden_rows:
        console.print(
            "  "
            + nsay(
                "%(num)d hidden row read (a row hidden in the file is read all the same)",
                "%(num)d hidden rows read (a row hidden in the file is read all the same)",
                draft.hidden_rows,
            ),
            highlight=False,
        )
    for number in draft.answers.leave_out:
        console.print(
            "  "
            + _naming(draft, N_("line %(line)s of %(source)s left out, as you chose"), line=number),
            highlight=False,
        )
    if draft.unused_columns:
        said = say("not read")
        console.print(
            f"  [yellow]{said}[/]: {unused_columns(draft.unused_columns)}", highlight=False
        )
    if without := [p.display_name for p in draft.people if not has_mailbox(p.email)]:
        console.print(
            "  "
            + say(
                "without an email address: %(count)s (%(names)s): on the register all the same; "
                "their line manager (or, with none, the school office) is asked on their behalf",
                count=_persons(len(without)),
                names=", ".join(without[:3]) + (", …" if len(without) > 3 else ""),
            ),
            highlight=False,
        )
    _print_role_table(draft, words)


def _print_role_table(draft: SetupDraft, school: Words) -> None:
    """The role table for the staff list's posts (the built-in one for the nation, the
    answers' own on top), then the posts it does not know: set up owing nothing, to map."""
    from bot.engine.job_roles import suggest_role, words_of
    from bot.features.setup.answers import post_role
    from bot.features.setup.school_setup import draft_table

    table = {plain_key(k): v for k, v in draft_table(draft).items()}
    found = {
        w: n
        for w, n in words_of(draft.people, draft.answers.role_groups).items()
        if plain_key(w) in table
    }
    if found:
        console.print(
            f"[bold]{say('Role table')}[/] "
            + say("(post → role: the built-in table for your nation; yours in job_titles wins)")
        )
    for title, count in sorted(found.items()):
        given = post_role(table[plain_key(title)], school)
        console.print(f"  {escape(title)} ({_persons(count)}) → {given}", highlight=False)
    if draft.posts_to_map:
        console.print(
            f"[bold]{say('Posts to map')}[/] "
            + say(
                "(the role table does not say what they give: their holders are set up owing "
                "nothing until you map each once, with `compliance-bot roles map POST ROLE` or on "
                "the People in roles page)"
            )
        )
    for title, count in sorted(draft.posts_to_map.items()):
        hint = suggest_role(title)
        line = f"  {escape(title)} ({_persons(count)})"
        if hint:
            line += " — " + say("perhaps %(role)s", role=_role(hint, school))
        console.print(line, highlight=False)


def _print_owed(draft: SetupDraft, org: OrgConfig, today: date) -> None:
    """Who will owe what; a loud warning when nobody will be asked for anything."""
    from bot.features.setup.owed import OwedPerson, nobody_owes, who_owes
    from bot.features.setup.school_setup import person_roles

    people = [
        OwedPerson(p.email, p.display_name, person_roles(draft, p), p.groups)
        for p in draft.people
        if p.active
    ]
    owed = who_owes(
        org.school(draft.school_id), people, editions=set(draft.answers.editions), today=today
    )
    heading = say("Who will owe what")
    if not draft.people and draft.directory_note:
        # a platform whose directory cannot be read yet: "nobody" would be a guess, and wrong
        note = escape(str(draft.directory_note))
        console.print(
            f"[bold]{heading}[/]: "
            + escape(
                say(
                    "not known yet (%(note)s). Once %(check)s passes, %(remind)s names everyone "
                    "asked; a post the role table does not know is listed to map, and its holders "
                    "owe nothing until it is mapped.",
                    note="\x00note\x00",
                    check="\x00check\x00",
                    remind="\x00remind\x00",
                )
            )
            .replace("\x00note\x00", note)
            .replace("\x00check\x00", f"[bold]compliance-bot check {draft.answers.platform}[/]")
            .replace("\x00remind\x00", "[bold]compliance-bot remind --dry-run[/]"),
            highlight=False,
        )
        return
    console.print(f"[bold]{heading}[/]")
    for item in owed:
        console.print(f"  {escape(str(item.line()))}", highlight=False)
    if draft.people and nobody_owes(owed):
        warning = escape(say("WARNING: nobody will be asked for anything."))
        err.print(
            f"[bold red]{warning}[/] "
            + escape(
                _naming(
                    draft,
                    N_(
                        "No one in %(source)s has a role the requirements ask (staff, volunteer, "
                        "supply…): check the role table (job_titles) or the roles column, then run "
                        "init again."
                    ),
                )
            ),
            highlight=False,
        )


def _print_policies(draft: SetupDraft) -> None:
    """What each document said, what was worked out, what was answered, and notes (the
    documents' own words as written)."""

    def said(lines: list[Text]) -> str:
        return escape("\n".join(str(line) for line in lines)) or "—"

    not_read = say("not read")
    console.print(
        table(
            say("Policy folder: what was found"),
            (say("Document"), say("Found in the document"), say("Worked out")),
            (
                (escape(item.path.name), f"[red]{not_read}[/]: {escape(str(item.error))}", "")
                if item.error
                else (escape(item.path.name), said(item.found), said(item.derived))
                for item in draft.policies
            ),
            fold=True,
            title_justify="left",
        )
    )
    check, note = "[yellow]" + say("check") + "[/]", "[cyan]" + say("note") + "[/]"
    for item in draft.policies:
        for mark, lines in ((check, item.checks), (note, item.notes)):
            for line in lines:
                console.print(
                    f"  {mark} {escape(item.path.name)}: {escape(str(line))}", highlight=False
                )


def print_summary(draft: SetupDraft, org: OrgConfig, today: date) -> None:
    """Everything that will be written, in the school's words and language: the people, the
    policy folder, the calendar's events and what each was read as, the requirement pack (each
    template, whether chosen, and the policies it follows), who will owe what and the report
    deadlines."""
    from bot.features.reports.api import clock_summary

    school = org.school(draft.school_id)
    _print_people(draft)
    _print_policies(draft)
    if draft.calendar is not None:
        console.print(
            table(
                say("Term dates read from %(file)s", file=draft.answers.terms.ics),
                (say("Event"), say("Dates"), say("Read as")),
                (
                    (escape(e.summary), str(e.dates), str(e.kind_said))
                    for e in draft.calendar.events
                ),
                fold=True,
                title_justify="left",
            )
        )
        for note in draft.calendar.notes:
            said = say("note")
            console.print(f"  [yellow]{said}[/] {escape(str(note))}", highlight=False)
    counted = (
        nmsg("%(num)d term", "%(num)d terms", len(school.terms)),
        nmsg(
            "%(num)d holiday weekday inside them",
            "%(num)d holiday weekdays inside them",
            len(school.holidays),
        ),
        nmsg("%(num)d INSET day", "%(num)d INSET days", len(school.inset_days)),
    )
    said = say("Calendar")
    console.print(f"[bold]{said}[/]: " + ", ".join(map(str, counted)))
    said = say("Requirement pack")
    console.print(f"[bold]{said}[/]")
    not_chosen = say("(not chosen)")
    for item in draft.pack:
        if not item.available:
            unused = say(
                "%(summary)s: not used, %(why)s", summary=item.template.summary, why=item.why_not
            )
            console.print(f"  [dim]– {unused}[/]")
            continue
        mark = "[green]✓[/]" if item.template.id in draft.chosen else f"[dim]– {not_chosen}[/]"
        follows = "; ".join(p.title for p in item.policies)
        console.print(
            f"  {mark} {item.template.summary}"
            + (f" [dim]({escape(follows)})[/]" if follows else ""),
            highlight=False,
        )
    _print_owed(draft, org, today)
    said = say("Report deadlines")
    console.print(f"[bold]{said}[/] (school.yaml: reports: clocks:)")  # English: its keys
    for line in clock_summary(school):
        console.print(f"  {escape(str(line))}", highlight=False)
