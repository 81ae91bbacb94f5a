"""school.yaml's problems in the school's language: each line the checks write ("file line N:
field: what is wrong") is kept in English as written (stored, fingerprinted, emailed once) and
said in the reader's language when shown.

What it promises: every sentence a check can write is a catalogue sentence with values — our
own refusals and the file-level lines (``CHECKS``: ``CheckError("period", value=...)``),
pydantic's own messages for the error types our settings can produce (``PYDANTIC``, pydantic's
English kept byte-identical) and the date windows' (``bot.core.dates``) — and ``say_problem``
reads a stored line back against those sentences, translating the sentence and keeping its
values (a file's name, what was typed) as they are. A line no sentence matches is shown as written.

Example::

    say_problem("school.yaml line 12: schools[0].language: Input should be 'en', 'cy' or 'cy+en'",
                "cy")
    # "school.yaml llinell 12, maes schools[0].language: Dylai fod yn 'en', 'cy' neu 'cy+en'"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache

from bot.core.calendar import UNKNOWN_NATION
from bot.core.dates import TOO_FAR, TOO_LONG_AGO
from bot.core.forms import SaidError
from bot.core.i18n import N_, both, day_text, translations

__all__ = [
    "CHECKS",
    "NOT_REWRITTEN",
    "PYDANTIC",
    "CheckError",
    "say_check",
    "say_problem",
    "say_problems",
    "say_sentence",
]


class CheckError(SaidError, ValueError):
    """A check of school.yaml refusing a value with a sentence of ``CHECKS`` (named by its key):
    pydantic reports it (a ``ValueError``), ``str()`` is the English line, and ``say_problem``
    finds the sentence again when the line is shown."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(CHECKS[key], **values)


# every sentence our checks of school.yaml write: ``CheckError``'s, and the file's own lines
# (not found, not YAML, a control character, a policy's document missing)
CHECKS: dict[str, str] = {
    "warn_days": N_("warn_days_before takes days from 0 to 29 (e.g. [10, 3, 1])"),
    "staff_group": N_(
        "staff_group must be the display name of the school's all-staff group in the directory, "
        "e.g. 'Oakfield All Staff' (got %(value)s)"
    ),
    "leaver_grace": N_(
        "leaver_grace_days must be a whole number of days from 0 to 365 (got %(value)s; 0 makes "
        "a missing person a leaver at once)"
    ),
    "removal_share": N_(
        "max_removal_share must be a share above 0 and at most 1, e.g. 0.10 or '10%%' (got "
        "%(value)s)"
    ),
    "answer": N_("'answer' is choice %(answer)s, but there are only %(count)s choices"),
    "questions": N_("a reading check has 2 to 5 questions"),
    "pass_mark": N_("'pass_mark' is %(mark)s, but there are only %(count)s questions"),
    "clock_time": N_("%(name)s must be a time like '17:00' (got %(value)s)"),
    "one_measure": N_("give exactly one of hours, working_days or school_days"),
    "end_of_day": N_("end_of_day applies to working_days or school_days, not hours"),
    "out_of_hours": N_("out_of_hours applies to hours, not working_days or school_days"),
    "hours_order": N_(
        "the working hours end (%(end)s) before they start (%(start)s); write e.g. start: "
        "'07:00' and end: '19:00'"
    ),
    "day_ends": N_(
        "working_day_ends (%(ends)s) must fall inside the working hours (%(start)s to %(end)s), "
        "or a deadline would pass while its reminders wait for the morning"
    ),
    "ico_clock": N_(
        "the ico clock (personal data breaches) counts calendar hours, at most 72 from becoming "
        "aware (the 72 hours of every nation's data-protection law), e.g. {hours: 72}"
    ),
    "lado_clock": N_(
        "the lado clock (concerns about staff) counts working_days or hours: the people it goes "
        "to (the LADO, the designated officer, the council) work through school holidays"
    ),
    "warn_at": N_("warn_at lists shares of the time gone, each above 0 and below 1"),
    "one_measure_got": N_("give exactly one of hours, working_days or school_days (got %(given)s)"),
    "period": N_("write a period such as '2 years' or '18 months' (got %(value)s)"),
    "days_before": N_("days before due must be positive whole numbers"),
    "yearly_on": N_("yearly_on must look like 09-01 (month-day)"),
    "needs_policy": N_("a %(kind)s requirement needs 'policy: <policy id>'"),
    "needs_audiences": N_(
        "a reading_campaign requirement needs 'audiences:' (e.g. part-1: {roles: [staff]}); each "
        "audience reads its own document of every edition"
    ),
    "audiences_for": N_("'audiences' is for reading_campaign requirements"),
    "needs_course": N_("a complete_training requirement needs 'course: <course name>'"),
    "training_only": N_(
        "'full_every', 'refresh_every', 'refresher' and 'record_check' are for complete_training "
        "requirements"
    ),
    "refresher": N_(
        "a refresher needs both 'refresher: <refresher course name>' and 'refresh_every: "
        "<period, e.g. 1 year>'"
    ),
    "refresh_shorter": N_("'refresh_every' must be shorter than 'full_every'"),
    "task_only": N_(
        "'every', 'every_days', 'owners' and 'review_on' are for recurring_task requirements"
    ),
    "proof_for": N_(
        "'proof_of_reading' is for acknowledge_policy and reading_campaign requirements"
    ),
    "term_order": N_("term '%(name)s' ends before it starts"),
    "time": N_("write the time as 16:30 (got %(value)s)"),
    "window_order": N_(
        "the sending window ends (%(end)s) before it starts (%(start)s); write e.g. start: 08:00 "
        "and end: 17:00"
    ),
    "teams_first": N_("teams_first and asks_in disagree: keep asks_in alone"),
    "unknown_word": N_("unknown word %(unknown)s (the words a school may change: %(known)s)"),
    "academy_independent": N_(
        "academy and independent are both true: an academy is state-funded, keep one"
    ),
    "language_category": N_(
        "language_category %(given)s is not one of this nation's school language categories "
        "(%(known)s)"
    ),
    "inspectorate": N_(
        "inspectorate %(given)s does not inspect schools in this school's nation (one of: "
        "%(known)s)"
    ),
    "proprietor_independent": N_(
        "proprietor (a company, trust or individual) is for an independent school: add "
        "independent: true, or leave proprietor out"
    ),
    "academy_england": N_(
        "academy: true is for a school in England (academies are England's; this school's "
        "country is %(country)s)"
    ),
    "policy_ids": N_("two policies share an id"),
    "requirement_ids": N_("two requirements share an id"),
    "task_every": N_(
        "a recurring_task requirement needs one of 'every: weekly|monthly|termly|yearly' or "
        "'every_days: <number>' (not both)"
    ),
    "task_owners": N_("a recurring_task requirement needs 'owners: [<email>, ...]' or an audience"),
    "unknown_policy": N_("requirement '%(id)s' names unknown policy '%(policy)s'"),
    "unknown_cadence": N_("requirement '%(id)s' names unknown cadence '%(cadence)s'"),
    "open_and_holiday": N_(
        "%(day)s is both an open day and a holiday or INSET day; keep it in one list"
    ),
    "account_policy": N_("official account '%(id)s' names unknown policy '%(policy)s'"),
    "not_found": N_(
        "configuration file not found (run `compliance-bot demo` for an example, or set "
        "COMPLIANCE_BOT_CONFIG_FILE)"
    ),
    "not_yaml": N_("not valid YAML (%(problem)s)"),
    "not_mapping": N_("expected a mapping with 'organisation' and 'schools'"),
    "control": N_("contains %(found)s, which cannot be stored; remove it from the file"),
    "no_document": N_("document not found: %(path)s"),
    # an answers file's (``init --answers``): not there, or not a mapping
    "answers_not_found": N_("answers file not found"),
    "answers_not_mapping": N_("expected keys such as school, people and policies"),
}


# pydantic's own messages for the error types school.yaml can produce, in pydantic's English
# (byte-identical: what `located_problems` writes); ``missing`` and ``extra_forbidden`` are
# said in our words there. A type not listed is shown as pydantic wrote it.
PYDANTIC: dict[str, str] = {
    "missing": N_("required key is missing"),
    "extra_forbidden": N_("unknown key (check the spelling)"),
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "list_type": N_("Input should be a valid list"),
    "tuple_type": N_("Input should be a valid tuple"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of %(class_name)s"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, %(error)s"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, %(error)s"),
    "date_from_datetime_inexact": N_(
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "time_parsing": N_("Input should be in a valid time format, %(error)s"),
    "literal_error": N_("Input should be %(expected)s"),
    "enum": N_("Input should be %(expected)s"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    "greater_than": N_("Input should be greater than %(gt)s"),
    "string_pattern_mismatch": N_("String should match pattern '%(pattern)s'"),
    "string_too_short": N_("String should have at least %(min_length)s character(s)"),
    "string_too_long": N_("String should have at most %(max_length)s character(s)"),
}

# a whole line: where (a file, or the words naming a saved version), its line, the field
_LINE = N_("%(file)s line %(line)s: %(field)s: %(problem)s")
_NO_LINE = N_("%(file)s: %(field)s: %(problem)s")
_SAVED = N_("the settings saved on %(day)s")
_COUNTED = N_("%(file)s: %(count)s problems, each to fix:")
_WHOLE_LINE = N_("%(file)s line %(line)s: %(problem)s")  # the file itself: not YAML, ...
_WHOLE_NO_LINE = N_("%(file)s: %(problem)s")
_OR = N_("or")  # a literal's choices: "'en', 'cy' or 'cy+en'"
_AND = N_("and")  # a list of columns: "email and name"
# school.yaml not rewritten after the settings were saved (``store.export``; ``config import``'s
# warning, read back by ``settings_change.WARNINGS``)
NOT_REWRITTEN = N_("%(path)s could not be rewritten (%(error)s); the settings were saved")
# read ``file line N: field: problem`` (a field is a YAML path, never ": " inside)
_SHAPE = re.compile(
    r"^(?P<file>.+?)(?: line (?P<line>\d+))?: "
    r"(?P<field>\(top level\)|[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*): (?P<problem>.+)$",
    re.DOTALL,
)
_WHOLE = re.compile(r"^(?P<file>.+?)(?: line (?P<line>\d+))?: (?P<problem>.+)$", re.DOTALL)


@cache
def _sentences() -> tuple[tuple[str, tuple[str, str], re.Pattern[str]], ...]:
    """Every sentence a check writes (``CHECKS``, ``PYDANTIC``, the date windows'), as a
    pattern that reads its values back, the most words of its own first so the most particular
    sentence wins ("Input should be a valid list" before "Input should be %(expected)s")."""
    found = {*CHECKS.values(), *PYDANTIC.values(), TOO_LONG_AGO, UNKNOWN_NATION}
    entries = [(s, (s, s), _pattern(s)) for s in found]
    entries += [(s, TOO_FAR, _pattern(s)) for s in TOO_FAR]
    return tuple(sorted(entries, key=lambda e: len(_PLACEHOLDER.sub("", e[0])), reverse=True))


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


_NUMBER = r"\d+"


def _pattern(sentence: str) -> re.Pattern[str]:
    """``sentence`` as a pattern, each ``%(name)s`` (or ``%(name)d``) a named group, and the
    same value again where a name comes twice ("kept line %(kept)s"); a ``line`` (a file's
    line or a sheet's row) is its number, so "scr.csv: no header row in the first 20 rows" is
    not read as row "in the first 20 rows" of "scr.csv: no header"."""
    parts = _PLACEHOLDER.split(sentence.replace("%%", "%"))
    seen: set[str] = set()

    def group(name: str) -> str:
        if name in seen:
            return f"(?P={name})"
        seen.add(name)
        return f"(?P<{name}>{_NUMBER if name == 'line' else '.+?'})"

    out = "".join(re.escape(part) if i % 2 == 0 else group(part) for i, part in enumerate(parts))
    return re.compile(f"^{out}$", re.DOTALL)


def say_check(text: str, language: str) -> str:
    """One check's sentence (the part of a line after the field) in ``language`` (``en`` or
    ``cy``), its values as written; as written when no sentence matches."""
    if language == "en":
        return text
    said = _said(text, _sentences(), language, lambda inner: inner)
    return text if said is None else said


def say_sentence(
    text: str,
    sentences: tuple[str, ...],
    language: str,
    *,
    inner: Callable[[str], str] | None = None,
    readers: Mapping[str, Callable[[str], str]] | None = None,
) -> str:
    """``text`` — one of ``sentences`` (``N_``, a room's own: an import's row problems, tried
    in their order) with its values filled in — in ``language`` (``cy+en``: Welsh, then
    English); a value named ``problem`` is itself read back (by ``inner``, a room's own
    reader, else against these sentences, then the checks' too), a value named in
    ``readers`` by its reader (Welsh: a library's reason, a directory's name); as written
    when nothing matches."""
    if language == "cy+en":
        return both(say_sentence(text, sentences, "cy", inner=inner, readers=readers), text)
    if language != "cy":
        return text
    said = _said(
        text,
        _own(sentences),
        language,
        inner or (lambda value: say_sentence(value, sentences, language, readers=readers)),
        readers or {},
    )
    return say_check(text, language) if said is None else said


@cache
def _own(sentences: tuple[str, ...]) -> tuple[tuple[str, tuple[str, str], re.Pattern[str]], ...]:
    """A room's sentences as patterns, in its order (the first that matches is the one)."""
    return tuple((s, (s, s), _pattern(s)) for s in sentences)


def _said(
    text: str,
    entries: tuple[tuple[str, tuple[str, str], re.Pattern[str]], ...],
    language: str,
    inner: Callable[[str], str],
    readers: Mapping[str, Callable[[str], str]] | None = None,
) -> str | None:
    """``text`` in ``language`` against ``entries`` (None when none matches); a ``problem``
    value said by ``inner``, a value ``readers`` names by its reader."""
    readers = readers or {}
    tr = translations(language)
    for sentence, (singular, plural), pattern in entries:
        found = pattern.match(text)
        if found is None:
            continue
        values: dict[str, object] = {
            k: inner(v)
            if k == "problem"
            else readers[k](v)
            if k in readers
            else _value(k, v, language)
            for k, v in found.groupdict().items()
        }
        said = tr.gettext(sentence)
        if singular != plural:  # "(%(years)d years from today)": the count's own form
            count = int(str(values.get("years", "0")))
            values["years"] = count
            said = tr.ngettext(singular, plural, count)
        try:
            return said % values
        except (KeyError, TypeError, ValueError):  # a translation's placeholders not ours
            return text
    return None


def _value(key: str, value: str, language: str) -> str:
    """A value read back from an English line, as the reader's language says it: the choices
    of a literal joined with "or" in their words; what was typed, names and numbers as they are."""
    if key == "expected":
        return value.replace(" or ", " " + translations(language).gettext(_OR) + " ")
    if key == "columns":  # "email and name": the names as written, joined in their words
        return value.replace(" and ", " " + translations(language).gettext(_AND) + " ")
    return value


def _where(text: str, language: str) -> str:
    """Where the problem is: a file's path as it is; a saved version's words and date."""
    saved = _pattern(_SAVED).match(text)
    if saved is None or language == "en":
        return text
    try:
        day = datetime.strptime(saved["day"], "%d %B %Y").date()
    except ValueError:
        return text
    return translations(language).gettext(_SAVED) % {"day": day_text(day, language)}


def _one(text: str, language: str) -> str:
    """One line in ``language`` (``en`` or ``cy``)."""
    if language == "en":
        return text
    gettext = translations(language).gettext
    counted = _pattern(_COUNTED).match(text)
    if counted is not None:
        return gettext(_COUNTED) % {
            "file": _where(counted["file"], language),
            "count": counted["count"],
        }
    shaped = _SHAPE.match(text) or _WHOLE.match(text)
    if shaped is None:
        return say_check(text, language)
    parts = shaped.groupdict()
    values = {
        "file": _where(parts["file"], language),
        "line": parts["line"],
        "field": parts.get("field"),
        "problem": say_check(parts["problem"], language),
    }
    numbered = values["line"] is not None
    if values["field"] is None:  # a line of the whole file: not YAML, not found
        sentence = _WHOLE_LINE if numbered else _WHOLE_NO_LINE
    else:
        sentence = _LINE if numbered else _NO_LINE
    return gettext(sentence) % values  # (a variable: pybabel would take a key for a msgid)


def say_problem(text: str, language: str) -> str:
    """A stored problem line (``file line N: field: problem``) in ``language``: ``en`` as
    written, ``cy`` in Welsh (values as written), ``cy+en`` both, Welsh first."""
    if language == "cy+en":
        return both(_one(text, "cy"), text)
    return _one(text, language if language == "cy" else "en")


def say_problems(message: str, language: str) -> list[str]:
    """Each line of a stored problem (``SettingsProblem.message``) in ``language``."""
    return [say_problem(line, language) for line in message.splitlines()]
