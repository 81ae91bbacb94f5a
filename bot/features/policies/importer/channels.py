"""The school's official channels a policy names: platforms on a line that calls them
official (or "our Facebook page"), the school website and the school mobile phone; PTA and
personal accounts are not."""

from __future__ import annotations

import re

from bot.core.guards.forms import Text
from bot.core.language.i18n import Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.lines import Line, from_text
from bot.features.policies.importer.values import Found

__all__ = ["find_channels"]


_PLATFORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Facebook", re.compile(r"\bfacebook\b", re.IGNORECASE)),
    ("Instagram", re.compile(r"\binstagram\b", re.IGNORECASE)),
    ("Twitter/X", re.compile(r"\btwitter\b", re.IGNORECASE)),
    ("YouTube", re.compile(r"\byou\s?tube\b", re.IGNORECASE)),
    ("TikTok", re.compile(r"\btik\s?tok\b", re.IGNORECASE)),
    ("LinkedIn", re.compile(r"\blinked\s?in\b", re.IGNORECASE)),
    ("WhatsApp", re.compile(r"\bwhats\s?app\b", re.IGNORECASE)),
    ("Tapestry", re.compile(r"\bTapestry\b")),  # capitalised: "a rich tapestry" is not the app
    ("Seesaw", re.compile(r"\bSeesaw\b")),
    ("Class Dojo", re.compile(r"\bclass\s?dojo\b", re.IGNORECASE)),
)
# A platform is the school's own only where the line says so ("official", "our Facebook").
_OFFICIAL_RE = re.compile(r"\bofficial(?:ly)?\b", re.IGNORECASE)
_OWNED_BEFORE_RE = re.compile(r"\b(?:school|school['’]s|our|setting['’]?s?)\s+$", re.IGNORECASE)
# Lines about someone else's accounts, or saying there are none.
_NOT_OURS_RE = re.compile(r"\bno\s+official\b|\bPTA\b|\bpersonal\b", re.IGNORECASE)
_NO_CHANNELS_RE = re.compile(
    r"\b(?:has|have)\s+no\s+official\s+(?:social\s+media\s+)?(?:channels|accounts|sites|pages)",
    re.IGNORECASE,
)
_WEBSITE_RE = re.compile(r"\bwebsite\b", re.IGNORECASE)  # on an "official" line
_SCHOOL_WEBSITE_RE = re.compile(r"\bschool['’]?s?\s+website\b", re.IGNORECASE)
# "school mobile phone", not "<School name> mobile technology and social media policy".
_SCHOOL_PHONE_RE = re.compile(
    r"\b(?:school|setting|pre-?school)['’]?s?\s+mobile\s+(?:tele)?phones?\b"
    r"|\bofficially\s+provided\s+mobile\s+phones?\b",
    re.IGNORECASE,
)


def find_channels(lines: list[Line], warnings: list[Text]) -> list[Found[str]]:
    """The school's official channels the document names (platforms, website, phone)."""
    channels: dict[str, Found[str]] = {}
    for line in lines:
        text = line.text
        if _NO_CHANNELS_RE.search(text):
            _warn_no_channels(line, warnings)
        if _NOT_OURS_RE.search(text):
            continue
        official = bool(_OFFICIAL_RE.search(text))
        for name, pattern in _PLATFORMS:
            for match in pattern.finditer(text):
                if official or _OWNED_BEFORE_RE.search(text[: match.start()]):
                    channels.setdefault(name, from_text(name, line, match.start()))
                    break
        website = (_WEBSITE_RE if official else _SCHOOL_WEBSITE_RE).search(text)
        for name, found in (
            ("School website", website),
            ("School mobile phone", _SCHOOL_PHONE_RE.search(text)),
        ):
            if found:
                channels.setdefault(name, from_text(name, line, found.start()))
    return sorted(channels.values(), key=lambda found: found.line or 0)


def _warn_no_channels(line: Line, warnings: list[Text]) -> None:
    named = [name for name, pattern in _PLATFORMS if pattern.search(line.text)]
    values = {"line": line.number, "names": ", ".join(named)}
    warnings.append(Msg(said.NO_CHANNELS_NAMED if named else said.NO_CHANNELS, **values))
