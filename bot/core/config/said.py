"""school.yaml's problems as sentences with their values: what the checks write ("file line N:
field: what is wrong") is kept as the catalogue's sentences and their values (``Msg``) — stored
so (``per_school``: as JSON, never rendered), and said in the reader's language where shown.

What it promises: every sentence a check can write is a catalogue sentence with values — our
own refusals and the file-level lines (``CHECKS``: ``CheckError("period", value=...)``),
pydantic's own messages for the error types our settings can produce (``PYDANTIC``, pydantic's
English kept byte-identical) and the date windows' (``bot.core.days.dates``). A message pydantic
writes that none of these is (an error type not listed) is kept as it wrote it.

Example::

    line = problem_line("school.yaml", pydantic_problem(error), line=12, field="schools[0].x")
    str(line)  # "school.yaml line 12: schools[0].x: Input should be 'en', 'cy' or 'cy+en'"
    line.said("cy")  # "school.yaml llinell 12, maes schools[0].x: Dylai fod yn 'en', …"
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.guards.forms import SaidError, Text
from bot.core.language.i18n import N_, Dated, Lazy, Msg

__all__ = [
    "CHECKS",
    "NOT_REWRITTEN",
    "PYDANTIC",
    "CheckError",
    "check",
    "counted",
    "problem_line",
    "pydantic_problem",
    "saved_on",
]


class CheckError(SaidError, ValueError):
    """A check of school.yaml refusing a value with a sentence of ``CHECKS`` (named by its key)
    or another catalogue sentence (a ``Msg``): pydantic reports it (a ``ValueError``), and the
    problem line keeps its sentence and values (``pydantic_problem``)."""

    def __init__(self, key: str | Lazy, **values: object) -> None:
        super().__init__(key if isinstance(key, Lazy) else CHECKS[key], **values)


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
# school.yaml not rewritten after the settings were saved (``store.export``; ``config import``'s
# warning, ``settings_change.WARNINGS``)
# what pydantic's date and time parser says is wrong inside a value (its ``ctx["error"]``)
PYDANTIC_DETAILS = (
    N_("input is too short"),
    N_("input is too long"),
    N_("invalid character in year"),
    N_("invalid character in month"),
    N_("invalid character in day"),
    N_("invalid character in hour"),
    N_("invalid date separator, expected `-`"),
    N_("invalid datetime separator, expected `T`, `t`, `_` or space"),
    N_("invalid time separator, expected `:`"),
    N_("year 0 is out of range"),
    N_("month value is outside expected range of 1-12"),
    N_("day value is outside expected range"),
    N_("hour value is outside expected range of 0-23"),
    N_("minute value is outside expected range of 0-59"),
    N_("second value is outside expected range of 0-59"),
    N_("invalid timezone sign"),
    N_("invalid timezone hour"),
    N_("timezone offset must be less than 24 hours"),
)
NOT_REWRITTEN = N_("%(path)s could not be rewritten (%(error)s); the settings were saved")


def check(key: str, /, **values: object) -> Msg:
    """One of ``CHECKS``' sentences with its values."""
    return Msg(CHECKS[key], **values)


def problem_line(
    where: object, problem: Text, *, line: int | None = None, field: str | None = None
) -> Msg:
    """One problem as its line: where (a file, or ``saved_on``'s words), its line if known, the
    field (a YAML path) unless it is the whole file's, and what is wrong."""
    if field is None:
        sentence = _WHOLE_LINE if line else _WHOLE_NO_LINE
        return Msg(sentence, file=where, line=line, problem=problem)
    return Msg(_LINE if line else _NO_LINE, file=where, line=line, field=field, problem=problem)


def counted(where: object, count: int) -> Msg:
    """The line before several problems: 'school.yaml: 3 problems, each to fix:'."""
    return Msg(_COUNTED, file=where, count=count)


def saved_on(day: datetime) -> Msg:
    """Where saved settings are: 'the settings saved on 04 December 2026'."""
    return Msg(_SAVED, day=Dated(day, "%d %B %Y", "EEEE d MMMM y"))


class _Choices(Lazy):
    """A literal's choices as pydantic joins them ("'en', 'cy' or 'cy+en'"), joined with
    "or" in the reader's words."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def said(self, language: str) -> str:
        """The choices with the language's "or"."""
        return self.text.replace(" or ", f" {Msg(_OR).said(language)} ")


def pydantic_problem(error: Any) -> Text:
    """What pydantic found wrong with a value (one of its ``errors()``), as a sentence with its
    values: our own check's (``CheckError``, a date window's), ``PYDANTIC``'s where it is
    pydantic's own message for the type, else pydantic's words as they are."""
    kind, context = error["type"], error.get("ctx") or {}
    refusal = context.get("error")
    if isinstance(refusal, SaidError):
        return refusal.msg
    if kind in ("missing", "extra_forbidden"):
        return Msg(PYDANTIC[kind])
    message = str(error["msg"]).removeprefix("Value error, ")
    sentence = PYDANTIC.get(kind)
    values = {key: str(value) for key, value in context.items()}
    try:
        if sentence is None or sentence % values != message:
            return message
    except (KeyError, TypeError, ValueError):
        return message
    if "expected" in values:
        return Msg(sentence, **{**values, "expected": _Choices(values["expected"])})
    if "error" in values:  # the parser's detail, said in the sentence's language where known
        detail = values["error"]
        return Msg(sentence, **{**values, "error": Msg(detail)})
    return Msg(sentence, **values)
