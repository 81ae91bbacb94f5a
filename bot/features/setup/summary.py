"""One account of a school's setup for both doors: ``summary_sections`` (titles, whether done,
a line each and their rows, said where shown). ``/setup`` (``setup.html``) and ``init``'s summary
of what it will write (``cli``) are loops over it. A draft's heavier modules are imported when it
is summed up, so ``init --help`` loads none of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.core.guards.emails import has_mailbox
from bot.core.language.i18n import N_, Joined, Msg, Said, nmsg, nsay, say, spoken
from bot.core.language.words import plain_key, plural, role_name, said_words, school_words
from bot.core.nations import Words, school_words_for
from bot.engine.commands import unused_columns
from bot.features.reports.api import clock_summary
from bot.features.setup.problems import contracted

if TYPE_CHECKING:
    from bot.core.config import SchoolConfig
    from bot.core.guards.forms import Text
    from bot.features.setup.school_setup import SetupDraft

__all__ = ["Grid", "Row", "Section", "summary_sections"]


@dataclass(frozen=True)
class Row:
    """One line of a section: a ``mark`` word ('check', 'note', '✓') then ``text``; ``tone``
    ('ok', 'warn', 'note', 'dim', 'bad') is how a view colours the mark."""

    text: Text
    mark: Text = ""
    tone: str = ""


@dataclass(frozen=True)
class Grid:
    """A table of a section: its title, its columns' headings and its rows."""

    title: Text
    columns: tuple[Text, ...]
    rows: tuple[tuple[Text, ...], ...]


Rows = tuple[Row | Grid, ...]


@dataclass(frozen=True)
class Section:
    """One part of the setup: ``page`` is the settings page that changes it ('' when only
    ``init`` shows it), ``aside`` a word after its title, ``summary`` what it holds in a line."""

    key: str
    title: Text
    summary: Text = ""
    rows: Rows = ()
    done: bool = True
    page: str = ""
    aside: Text = ""


_PAGES = {"people": "roles", "source": "settings"}  # a step's settings page, by its key


def _step(key: str, title: str, summary: Text, rows: Rows, done: bool) -> Section:
    """A step of the setup, with the settings page that changes it."""
    return Section(key, Msg(title), summary, rows, done, "/admin/" + _PAGES.get(key, key))


def summary_sections(
    school: SchoolConfig, today: date, *, source: str | None = None, draft: SetupDraft | None = None
) -> list[Section]:
    """The school's setup in order. ``source``: where its settings are managed ('web' or
    'file'; None: not said); ``draft``: what ``init`` read and worked out, whose rows are given
    (the directory, the role table, the documents, the calendar, the pack, who will owe what)."""
    terms = Joined(
        (
            nmsg("%(num)d term", "%(num)d terms", len(school.terms)),
            nmsg(
                "%(num)d holiday weekday inside them",
                "%(num)d holiday weekdays inside them",
                len(school.holidays),
            ),
            nmsg("%(num)d INSET day", "%(num)d INSET days", len(school.inset_days)),
        ),
        ", ",
    )
    d = draft  # the rows of what init read, when it is ``init``
    sections = [
        _step("school", N_("School details"), school.name, (), bool(school.name)),
        *(_directory(d) + _role_table(d) if d else ()),
        _step(
            "people",
            N_("People in roles"),
            _people(school),
            _holders(d) if d else (),
            bool(school.dsl),
        ),
        _step(
            "policies",
            N_("Policies"),
            nmsg("%(num)d policy", "%(num)d policies", len(school.policies)),
            _documents(d) if d else (),
            bool(school.policies),
        ),
        _step("terms", N_("Term dates"), terms, _calendar(d) if d else (), bool(school.terms)),
        _step(
            "requirements",
            N_("What staff are asked to do"),
            nmsg("%(num)d requirement", "%(num)d requirements", len(school.requirements)),
            _pack(d) if d else (),
            bool(school.requirements),
        ),
        *((_owed(d, school, today),) if d else ()),
    ]
    if source is not None:
        where = (
            N_("on these pages") if source == "web" else N_("in school.yaml, by your IT provider")
        )
        sections.append(_step("source", N_("Where the settings are managed"), Msg(where), (), True))
    clocks = tuple(Row(line) for line in clock_summary(school))
    aside = "(school.yaml: reports: clocks:)"  # English: its keys
    return [*sections, Section("clocks", Msg(N_("Report deadlines")), "", clocks, aside=aside)]


def _people(school: SchoolConfig) -> Text:
    """Who is named in the roles: the pack's words counted the English way in English."""
    words = said_words(school_words(school))
    head, dsl, deputy = words.headteacher, words.dsl, words.deputy_dsl
    if not school.dsl:
        return nmsg(
            "%(num)d person named so far; no %(dsl)s yet",
            "%(num)d people named so far; no %(dsl)s yet",
            len({school.headteacher, *school.deputy_dsl}),
            dsl=dsl,
        )
    dsls, deputies = len(school.dsl), len(school.deputy_dsl)
    return Said(
        lambda: (
            f"{head}, {plural(dsls, str(dsl))}, {plural(deputies, str(deputy))}"
            if spoken() == "en"
            else say(
                "%(head)s; %(dsl)s: %(dsls)d; %(deputy)s: %(deputies)d",
                head=head,
                dsl=dsl,
                dsls=dsls,
                deputy=deputy,
                deputies=deputies,
            )
        )
    )


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


def _words(draft: SetupDraft) -> Words:
    """The words of the school's nation (and sector) for its roles."""
    school = draft.answers.school
    return school_words_for(school.country, independent=school.independent)


def _naming(draft: SetupDraft, sentence: str, **values: object) -> str:
    """``sentence`` (``N_``) naming the directory (in ``cy+en`` each half its own: "…
    cyfeiriadur Microsoft 365 … / … the Microsoft 365 …")."""
    return str(contracted(Msg(sentence, source=draft.source_name, **values)))


def _directory(draft: SetupDraft) -> list[Section]:
    """The staff list as read: how many people with each role, the lines left out, people
    without an address, columns not read (or why the directory is not read yet)."""
    # lazy: school_setup loads SQLAlchemy and the models (~1 s), not loaded by --help
    from bot.features.setup.school_setup import person_roles

    words = _words(draft)
    if not draft.people:
        note = draft.directory_note
        return [Section("directory", Msg(N_("Directory")), note)] if note else []
    roles = Counter(r for p in draft.people if p.active for r in person_roles(draft, p))
    counts = ", ".join(
        plural(n, role_name(r, words), _many(role_name(r, words)))
        if spoken() == "en"  # English's own plurals ('6 governors'); else 'role: count'
        else f"{_role(r, words)}: {n}"
        for r, n in sorted(roles.items())
    )
    counts = counts or say("no roles")
    summary = f"{draft.source_name}: {_persons(len(draft.people))} ({counts})"
    rows: list[Text] = []
    if draft.header:
        line, _sep, columns = draft.header.removeprefix("line ").partition(": ")
        rows.append(
            say("header row found on line %(line)s: %(columns)s", line=line, columns=columns)
        )
    if draft.sheet:
        rows.append(say("sheet '%(sheet)s' read", sheet=draft.sheet))
    if draft.hidden_rows:
        rows.append(
            nsay(
                "%(num)d hidden row read (a row hidden in the file is read all the same)",
                "%(num)d hidden rows read (a row hidden in the file is read all the same)",
                draft.hidden_rows,
            )
        )
    left_out = N_("line %(line)s of %(source)s left out, as you chose")
    rows += [_naming(draft, left_out, line=number) for number in draft.answers.leave_out]
    if without := [p.display_name for p in draft.people if not has_mailbox(p.email)]:
        rows.append(
            say(
                "without an email address: %(count)s (%(names)s): on the register all the same; "
                "their line manager (or, with none, the school office) is asked on their behalf",
                count=_persons(len(without)),
                names=", ".join(without[:3]) + (", …" if len(without) > 3 else ""),
            )
        )
    read = [*map(Row, rows)]
    if draft.unused_columns:
        read.append(Row(unused_columns(draft.unused_columns), say("not read") + ":", "warn"))
    return [Section("directory", Msg(N_("Directory")), summary, tuple(read))]


def _role_table(draft: SetupDraft) -> list[Section]:
    """The role table for the staff list's posts (the built-in one for the nation, the
    answers' own on top), then the posts it does not know: set up owing nothing, to map."""
    from bot.engine.job_roles import suggest_role, words_of
    from bot.features.setup.answers import post_role
    from bot.features.setup.school_setup import draft_table

    words = _words(draft)
    sections: list[Section] = []
    table = {plain_key(k): v for k, v in draft_table(draft).items()}
    found = {
        w: n
        for w, n in words_of(draft.people, draft.answers.role_groups).items()
        if plain_key(w) in table
    }
    if found:
        aside = say("(post → role: the built-in table for your nation; yours in job_titles wins)")
        mapped = (
            f"{title} ({_persons(count)}) → {post_role(table[plain_key(title)], words)}"
            for title, count in sorted(found.items())
        )
        sections.append(
            Section("role-table", Msg(N_("Role table")), "", tuple(map(Row, mapped)), aside=aside)
        )
    if draft.posts_to_map:
        aside = say(
            "(the role table does not say what they give: their holders are set up owing "
            "nothing until you map each once, with `compliance-bot roles map POST ROLE` or on "
            "the People in roles page)"
        )
        posts = []  # each post, with the role its name suggests
        for title, count in sorted(draft.posts_to_map.items()):
            hint = suggest_role(title)
            perhaps = " — " + say("perhaps %(role)s", role=_role(hint, words)) if hint else ""
            posts.append(Row(f"{title} ({_persons(count)}){perhaps}"))
        sections.append(
            Section("posts-to-map", Msg(N_("Posts to map")), "", tuple(posts), aside=aside)
        )
    return sections


def _holders(draft: SetupDraft) -> Rows:
    """Who holds each named role (someone from outside the staff list said so)."""
    words = _words(draft)
    shown_as = {p.email: f"{p.display_name} <{p.email}>" for p in draft.people}
    outside = N_("%(who)s (from outside %(source)s: on the people register)")
    shown_as |= {
        e: _naming(draft, outside, who=n + " <" + e + ">" if n != e else e)
        for e, n in draft.outsiders.items()
    }
    rows = []
    for key, value in draft.roles.items():
        emails = value if isinstance(value, list) else [value] if value else []
        shown = ", ".join(shown_as.get(e) or e for e in emails)
        label = say("runs the bot day to day") if key == "admins" else _role(key, words)
        rows.append(Row(f"{label}: {shown or '—'}"))
    return tuple(rows)


def _documents(draft: SetupDraft) -> Rows:
    """What each document of the policy folder said and what was worked out, then its checks
    and notes (the documents' own words as written)."""

    def said(lines: list[Text]) -> str:
        return "\n".join(str(line) for line in lines) or "—"

    found = Grid(
        Msg(N_("Policy folder: what was found")),
        (Msg(N_("Document")), Msg(N_("Found in the document")), Msg(N_("Worked out"))),
        tuple(
            (item.path.name, Joined((Msg(N_("not read")), item.error), ": "), "")
            if item.error
            else (item.path.name, said(item.found), said(item.derived))
            for item in draft.policies
        ),
    )
    marks = ((N_("check"), "warn", "checks"), (N_("note"), "note", "notes"))
    return found, *(
        Row(f"{item.path.name}: {line}", Msg(mark), tone)
        for item in draft.policies
        for mark, tone, kind in marks
        for line in getattr(item, kind)
    )


def _calendar(draft: SetupDraft) -> Rows:
    """Each event of the calendar read and what it was read as, then its notes."""
    if draft.calendar is None:
        return ()
    events = Grid(
        Msg(N_("Term dates read from %(file)s"), file=draft.answers.terms.ics),
        (Msg(N_("Event")), Msg(N_("Dates")), Msg(N_("Read as"))),
        tuple((e.summary, str(e.dates), str(e.kind_said)) for e in draft.calendar.events),
    )
    return events, *(Row(note, Msg(N_("note")), "warn") for note in draft.calendar.notes)


def _pack(draft: SetupDraft) -> Rows:
    """Each template of the requirement pack: whether chosen and the policies it follows, or
    why it is not used."""
    rows = []
    for offer in draft.pack:
        if not offer.available:
            why = Msg(
                N_("%(summary)s: not used, %(why)s"),
                summary=offer.template.summary,
                why=offer.why_not,
            )
            rows.append(Row(why, "–", "dim"))
            continue
        follows = "; ".join(p.title for p in offer.policies)
        chosen = offer.template.id in draft.chosen
        rows.append(
            Row(
                offer.template.summary + (f" ({follows})" if follows else ""),
                "✓" if chosen else Joined(("–", Msg(N_("(not chosen)"))), " "),
                "ok" if chosen else "dim",
            )
        )
    return tuple(rows)


def _owed(draft: SetupDraft, school: SchoolConfig, today: date) -> Section:
    """Who will owe what; a loud warning when nobody will be asked for anything."""
    from bot.features.setup.owed import OwedPerson, nobody_owes, who_owes
    from bot.features.setup.school_setup import person_roles

    title = Msg(N_("Who will owe what"))
    if not draft.people and draft.directory_note:
        # a platform whose directory cannot be read yet: "nobody" would be a guess, and wrong
        not_yet = Msg(
            N_(
                "not known yet (%(note)s). Once %(check)s passes, %(remind)s names everyone "
                "asked; a post the role table does not know is listed to map, and its holders "
                "owe nothing until it is mapped."
            ),
            note=draft.directory_note,
            check=f"compliance-bot check {draft.answers.platform}",
            remind="compliance-bot remind --dry-run",
        )
        return Section("owed", title, not_yet)
    people = [
        OwedPerson(p.email, p.display_name, person_roles(draft, p), p.groups)
        for p in draft.people
        if p.active
    ]
    owed = who_owes(school, people, editions=set(draft.answers.editions), today=today)
    rows = [Row(item.line()) for item in owed]
    if draft.people and nobody_owes(owed):
        nobody = N_(
            "No one in %(source)s has a role the requirements ask (staff, volunteer, supply…): "
            "check the role table (job_titles) or the roles column, then run init again."
        )
        rows.append(
            Row(
                _naming(draft, nobody),
                Msg(N_("WARNING: nobody will be asked for anything.")),
                "bad",
            )
        )
    return Section("owed", title, "", tuple(rows))
