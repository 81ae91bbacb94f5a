"""Pure rules of the setup (web pages and ``init``): edits of the school's configuration, typed
dates and terms, and how far setup has got. The ``.ics`` reader is ``term_calendar``; the
requirement pack is ``pack``.

Nothing here touches a database: every function takes the configuration (and ``today`` where a
date matters) and returns a new one, or raises :class:`SetupError` naming the box at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from gettext import NullTranslations
from typing import Any

from pydantic import ValidationError

from bot.core.config import OrgConfig, SchoolConfig
from bot.core.config.said import say_check
from bot.core.dates import CALENDAR
from bot.core.i18n import N_, both, translations
from bot.core.words import plural, school_words, words_in
from bot.features.policies.api import typed_date

__all__ = [
    "SetupError",
    "SetupStep",
    "cap",
    "edit_school",
    "parse_day",
    "parse_days",
    "parse_terms",
    "setup_steps",
    "slug",
    "terms_text",
]


class SetupError(ValueError):
    """A change that cannot be made; ``field`` names the box, ``str()`` says why (English).

    ``message`` is a catalogue sentence (``N_``) with ``%(name)s`` placeholders filled from
    ``values``; ``said(tr)`` gives it in the page's language, the values named in ``words``
    (a box's label) translated too, the rest (what the person typed, a file's name) as they are.
    A message the catalogue does not hold (another room's words) is shown as it is.
    """

    def __init__(
        self, field_name: str, message: str, *, words: tuple[str, ...] = (), **values: object
    ) -> None:
        super().__init__(message % values if values else message)
        self.field = field_name
        self.message = message
        self.words = words
        self.values = values

    def said(self, tr: NullTranslations) -> str:
        """The problem in the language of ``tr`` (every value filled in after translating)."""
        text = tr.gettext(self.message)
        if not self.values:
            return text
        return text % {
            k: tr.gettext(str(v)) if k in self.words else v for k, v in self.values.items()
        }


def cap(text: str) -> str:
    """``text`` with its first letter a capital ("deputy DSL" -> "Deputy DSL")."""
    return text[:1].upper() + text[1:]


def slug(text: str, fallback: str = "item") -> str:
    """A short id from a name ("School Facebook page" -> ``school-facebook-page``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or fallback


def edit_school(
    org: OrgConfig, school_id: str, change: Callable[[dict[str, Any]], None]
) -> OrgConfig:
    """A new configuration with ``change`` applied to one school's settings, validated.

    Args:
        org: the configuration as it is now (never modified).
        school_id: which school to change.
        change: edits the school's settings as plain data (lists and dicts), in place.

    Returns:
        The validated configuration; raises :class:`SetupError` naming the box otherwise.

    Example::

        new = edit_school(org, "oak", lambda s: s.update(name="Oak Primary School"))
    """
    data = org.model_dump(mode="python")
    school = next((s for s in data["schools"] if s["id"] == school_id), None)
    if school is None:
        raise SetupError("school", f"There is no school '{school_id}' in the settings.")
    change(school)
    try:
        return OrgConfig.model_validate(data)
    except ValidationError as exc:
        # the first problem, named by its box
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
        box = loc[-1] if loc else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch" and box in {"headteacher", "dsl", "clerk"}:
            message = N_("give an email address")
        raise _SettingRefused(box, message) from None


class _SettingRefused(SetupError):
    """A box the settings' checks refuse: "Box: what is wrong.", the check's own sentence said
    in the page's language (``bot.core.config.said``), its values as written."""

    def __init__(self, box: str, problem: str) -> None:
        super().__init__(
            box,
            N_("%(box)s: %(problem)s."),
            words=("box",),
            box=box.replace("_", " ").capitalize(),
            problem=problem,
        )

    def said(self, tr: NullTranslations) -> str:
        """The box and its problem in ``tr``'s language (``cy+en``: Welsh, then English)."""
        if tr is translations("cy+en"):
            return both(self.said(translations("cy")), str(self))
        language = "cy" if tr is translations("cy") else "en"
        return tr.gettext(self.message) % {
            "box": tr.gettext(str(self.values["box"])),
            "problem": say_check(str(self.values["problem"]), language),
        }


# --------------------------------------------------------------------------- dates typed


def parse_day(text: str) -> date | None:
    """A typed day (see :func:`typed_date`); None for a month only or anything else."""
    when = typed_date(text)
    return when.first_day() if when is not None and when.day is not None else None


class _CalendarDayError(SetupError):
    """A term, holiday or INSET day outside the calendar window, naming the box's label and
    the line; its years said in their plural form in the page's language."""

    def __init__(self, box: str, label: str, number: int, day: date, today: date) -> None:
        super().__init__(
            box,
            N_("%(label)s, line %(number)d: %(problem)s."),
            words=("label",),
            label=label,
            number=number,
            problem=CALENDAR.problem(day, today),
        )
        self.day, self.today = day, today

    def said(self, tr: NullTranslations) -> str:
        """The refusal in ``tr``'s language (cy+en: the Welsh sentence, then the English)."""
        if tr is translations("cy+en"):
            return both(self.said(translations("cy")), str(self))
        return tr.gettext(self.message) % {
            **self.values,
            "label": tr.gettext(str(self.values["label"])),
            "problem": CALENDAR.problem(self.day, self.today, tr),
        }


def _in_calendar(day: date, box: str, label: str, number: int, today: date) -> date:
    """A term, holiday or INSET day inside the calendar window (``bot.core.dates``); else
    SetupError naming the box's ``label`` and the line, in the catalogue's words."""
    if CALENDAR.problem(day, today) is not None:
        raise _CalendarDayError(box, label, number, day, today)
    return day


def parse_days(text: str, box: str, label: str, today: date) -> list[date]:
    """One date a line (blank lines skipped); SetupError naming the line otherwise."""
    days: list[date] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        day = parse_day(line)
        if day is None:
            raise SetupError(
                box,
                N_(
                    "%(label)s, line %(number)d: “%(text)s” is not a date; write it like "
                    "2026-10-23 or 23/10/2026."
                ),
                words=("label",),
                label=label,
                number=number,
                text=line.strip()[:40],
            )
        days.append(_in_calendar(day, box, label, number, today))
    return sorted(set(days))


def parse_terms(text: str, today: date) -> list[dict[str, Any]]:
    """Terms typed one a line as "name, first day, last day"; SetupError naming the line."""
    terms: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in re.split(r"[,;\t]", line)]
        if len(parts) != 3 or not parts[0]:
            raise SetupError(
                "terms",
                N_(
                    "Terms, line %(number)d: write the term's name, its first day and its last "
                    "day, separated by commas, e.g. “Autumn 1, 2026-09-02, 2026-10-23”."
                ),
                number=number,
            )
        start, end = parse_day(parts[1]), parse_day(parts[2])
        if start is None or end is None:
            bad = parts[1] if start is None else parts[2]
            raise SetupError(
                "terms",
                N_("Terms, line %(number)d: “%(text)s” is not a date; write it like 2026-09-02."),
                number=number,
                text=bad[:40],
            )
        for day in (start, end):
            _in_calendar(day, "terms", N_("Terms"), number, today)
        if end < start:
            raise SetupError(
                "terms",
                N_("Terms, line %(number)d: “%(name)s” ends before it starts."),
                number=number,
                name=parts[0],
            )
        terms.append({"name": parts[0][:80], "start": start, "end": end})
    return sorted(terms, key=lambda t: t["start"])


def terms_text(school: SchoolConfig) -> str:
    """The school's terms as the typed form shows them."""
    return "\n".join(f"{t.name}, {t.start.isoformat()}, {t.end.isoformat()}" for t in school.terms)


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class SetupStep:
    """One step of the first-run setup and whether it has something saved."""

    key: str
    title: str
    done: bool
    summary: str


def setup_steps(school: SchoolConfig, source: str, language: str = "en") -> list[SetupStep]:
    """The setup steps in order, each with a one-line summary of what is saved, in
    ``language`` (English as it always read)."""
    tr = translations(language)
    _, ngettext = tr.gettext, tr.ngettext
    roles = [school.headteacher, *school.dsl, *school.deputy_dsl]
    words = words_in(school_words(school), tr)
    if not school.dsl:
        people = ngettext(
            "%(num)d person named so far; no %(dsl)s yet",
            "%(num)d people named so far; no %(dsl)s yet",
            len(set(roles)),
        ) % {"num": len(set(roles)), "dsl": words.dsl}
    elif language == "en":  # the pack's words counted the English way
        people = (
            f"{words.headteacher}, {plural(len(school.dsl), words.dsl)}, "
            f"{plural(len(school.deputy_dsl), words.deputy_dsl)}"
        )
    else:
        people = _("%(head)s; %(dsl)s: %(dsls)d; %(deputy)s: %(deputies)d") % {
            "head": words.headteacher,
            "dsl": words.dsl,
            "dsls": len(school.dsl),
            "deputy": words.deputy_dsl,
            "deputies": len(school.deputy_dsl),
        }
    counted = [
        ngettext("%(num)d term", "%(num)d terms", len(school.terms)),
        ngettext("%(num)d INSET day", "%(num)d INSET days", len(school.inset_days)),
    ]
    return [
        SetupStep("school", _("School details"), bool(school.name), f"{school.name}"),
        SetupStep("people", _("People in roles"), bool(school.dsl), people),
        SetupStep(
            "policies",
            _("Policies"),
            bool(school.policies),
            ngettext("%(num)d policy", "%(num)d policies", len(school.policies))
            % {"num": len(school.policies)},
        ),
        SetupStep(
            "terms",
            _("Term dates"),
            bool(school.terms),
            f"{counted[0] % {'num': len(school.terms)}}, "
            f"{counted[1] % {'num': len(school.inset_days)}}",
        ),
        SetupStep(
            "requirements",
            _("What staff are asked to do"),
            bool(school.requirements),
            ngettext("%(num)d requirement", "%(num)d requirements", len(school.requirements))
            % {"num": len(school.requirements)},
        ),
        SetupStep(
            "source",
            _("Where the settings are managed"),
            True,
            _("on these pages") if source == "web" else _("in school.yaml, by your IT provider"),
        ),
    ]
