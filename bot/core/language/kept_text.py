"""A sentence kept as data until it is shown: what is stored for a person to read (a settings
problem, an import row's problem, a directory line) is its catalogue sentence and values as
JSON (``to_data``), read back unsaid (``from_data``) and said where it is shown, in the
reader's language; never text rendered in advance and parsed back.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.core.language.i18n import Dated, Day, Joined, Lazy, Msg
from bot.core.language.said_forms import Capital

__all__ = ["from_data", "text_of", "to_data"]


def to_data(value: object) -> object:
    """A value of a sentence as JSON data, to store it unsaid: a ``Msg`` as its msgid, plural,
    count and values; a ``Day``/``Dated`` as its date (and patterns); anything else as it is
    (a name, a number). ``from_data`` reads it back."""
    if isinstance(value, Msg):
        data: dict[str, object] = {"msgid": value.message}
        if value.plural is not None:
            data.update(plural=value.plural, n=value.n)
        data["values"] = {key: to_data(item) for key, item in value.values.items()}
        return data
    if isinstance(value, Day):
        return {"day": value.day.isoformat()}
    if isinstance(value, Dated):
        return {"dated": value.day.isoformat(), "en": value.english, "cy": value.welsh}
    if isinstance(value, Joined):
        return {"joined": [to_data(part) for part in value.parts], "sep": value.sep}
    if isinstance(value, Capital):
        return {"capital": to_data(value.value)}
    if isinstance(value, Lazy):  # said by a function: kept as its English
        return value.said("en")
    if isinstance(value, date) and not isinstance(value, datetime):  # said as a Day
        return {"day": value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # a path, an address: as it reads


def from_data(data: object) -> object:
    """A value ``to_data`` wrote, as it was (a ``Msg`` again, unsaid)."""
    if not isinstance(data, dict):
        return data
    if "msgid" in data:
        values = {key: from_data(item) for key, item in dict(data.get("values") or {}).items()}
        return Msg(str(data["msgid"]), data.get("plural"), data.get("n"), **values)
    if "day" in data:
        return Day(date.fromisoformat(str(data["day"])))
    if "dated" in data:
        when = str(data["dated"])
        day = datetime.fromisoformat(when) if "T" in when else date.fromisoformat(when)
        return Dated(day, str(data["en"]), str(data["cy"]))
    if "capital" in data:
        return Capital(from_data(data["capital"]))
    if "joined" in data:
        return Joined((from_data(part) for part in data["joined"]), str(data.get("sep", "")))
    return data


def text_of(data: object) -> str | Lazy:
    """What ``to_data`` wrote, as a person reads it (a line kept before, in English, as it is)."""
    said = from_data(data)
    return said if isinstance(said, Lazy) else str(said)
