"""school.yaml's problems in the school's language: each line the checks write ("file line N:
field: what is wrong") is kept in English as written (stored, fingerprinted, emailed once) and
said in the reader's language when shown.

What it promises: every sentence a check can write is a catalogue sentence with values — our
own refusals (``CheckError(N_(...), **values)`` in this package), pydantic's own messages for the
error types our settings can produce (``PYDANTIC``, pydantic's English kept byte-identical), and
the file-level lines (not YAML, not found) — and ``say_problem`` reads a stored line back against
those sentences, translating the sentence and keeping its values (a file's name, what was typed)
as they are. A line no sentence matches is shown as written.

Example::

    say_problem("school.yaml line 12: schools[0].language: Input should be 'en', 'cy' or 'cy+en'",
                "cy")
    # "school.yaml llinell 12, maes schools[0].language: Dylai fod yn 'en', 'cy' neu 'cy+en'"
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from bot.core.forms import SaidError
from bot.core.i18n import N_, both, day_text, translations

__all__ = ["PYDANTIC", "CheckError", "say_check", "say_problem", "say_problems", "say_sentence"]


class CheckError(SaidError, ValueError):
    """A check of school.yaml refusing a value: pydantic reports it (a ``ValueError``), ``str()``
    is the English line, and ``say_problem`` finds the sentence again when the line is shown."""


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
# read ``file line N: field: problem`` (a field is a YAML path, never ": " inside)
_SHAPE = re.compile(
    r"^(?P<file>.+?)(?: line (?P<line>\d+))?: "
    r"(?P<field>\(top level\)|[A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*): (?P<problem>.+)$",
    re.DOTALL,
)
_WHOLE = re.compile(r"^(?P<file>.+?)(?: line (?P<line>\d+))?: (?P<problem>.+)$", re.DOTALL)
_HERE = Path(__file__).parent


@cache
def _sentences() -> tuple[tuple[str, tuple[str, str], re.Pattern[str]], ...]:
    """Every sentence a check writes, as a pattern that reads its values back: the ``N_``
    sentences of this package's modules and of the date windows (``bot.core.dates``), longest
    first so the most particular sentence wins."""
    found: set[str] = set()
    plurals: list[tuple[str, str]] = []
    for path in [*_HERE.glob("*.py"), _HERE.parent / "dates.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("gettext", "ngettext")
                and all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in node.args[: 2 if node.func.attr == "ngettext" else 1]
                )
                and node.args
            ):
                if node.func.attr == "ngettext":
                    plurals.append((node.args[0].value, node.args[1].value))  # type: ignore[attr-defined]
                else:
                    found.add(node.args[0].value)  # type: ignore[attr-defined]
    found -= {_LINE, _NO_LINE, _SAVED, _COUNTED, _WHOLE_LINE, _WHOLE_NO_LINE, _OR, _AND}
    entries = [(s, (s, s), _pattern(s)) for s in found]
    for singular, plural in plurals:
        entries += [(s, (singular, plural), _pattern(s)) for s in (singular, plural)]
    return tuple(sorted(entries, key=lambda e: len(e[0]), reverse=True))


def _pattern(sentence: str) -> re.Pattern[str]:
    """``sentence`` as a pattern, each ``%(name)s`` (or ``%(name)d``) a named group."""
    parts = re.split(r"%\((\w+)\)[sd]", sentence.replace("%%", "%"))
    out = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{out}$", re.DOTALL)


def say_check(text: str, language: str) -> str:
    """One check's sentence (the part of a line after the field) in ``language`` (``en`` or
    ``cy``), its values as written; as written when no sentence matches."""
    if language == "en":
        return text
    said = _said(text, _sentences(), language, lambda inner: inner)
    return text if said is None else said


def say_sentence(text: str, sentences: tuple[str, ...], language: str) -> str:
    """``text`` — one of ``sentences`` (``N_``, a room's own: an import's row problems, tried
    in their order) with its values filled in — in ``language`` (``cy+en``: Welsh, then
    English); a value named ``problem`` is itself read back (then against the checks'
    sentences too); as written when nothing matches."""
    if language == "cy+en":
        return both(say_sentence(text, sentences, "cy"), text)
    if language != "cy":
        return text
    said = _said(
        text, _own(sentences), language, lambda inner: say_sentence(inner, sentences, language)
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
) -> str | None:
    """``text`` in ``language`` against ``entries`` (None when none matches); a ``problem``
    value said by ``inner``."""
    tr = translations(language)
    for sentence, (singular, plural), pattern in entries:
        found = pattern.match(text)
        if found is None:
            continue
        values: dict[str, object] = {
            k: inner(v) if k == "problem" else _value(k, v, language)
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
