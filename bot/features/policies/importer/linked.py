"""Other policies a policy names ("in line with our behaviour and anti-bullying policies",
a "Links with other policies" list), by their canonical names; never the policy itself."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.core.language.i18n import Msg
from bot.features.policies.importer import sentences as said
from bot.features.policies.importer.lines import Line, from_text
from bot.features.policies.importer.values import Found
from bot.features.policies.rules import normalise_title, title_keys

__all__ = ["find_linked_policies"]


# Policy-name patterns are written with plain spaces (any whitespace run in the text) and
# "~" for " policy"/" policies", so the table below stays readable.
def _words(pattern: str) -> str:
    return pattern.replace("~", r" polic(?:y|ies)").replace(" ", r"\s+")


# Named policies, most specific first: at the same position "remote learning AUP" must beat
# plain "AUP", and the leftmost match wins, which does that.
_STRONG_POLICIES: tuple[tuple[str, str], ...] = tuple(
    (name, _words(pattern))
    for name, pattern in (
        ("Remote Learning AUP", r"remote learning (?:acceptable use~|AUPs?\b)"),
        ("Social Media Acceptable Use Policy", r"social media (?:acceptable use~|AUPs?\b)"),
        ("Acceptable Use Policy", r"acceptable use(?: of technology)?~|\bAUP(?:['’]?s)?\b"),
        ("Child Protection Policy", r"(?:safeguarding and )?child protection~"),
        ("Anti-bullying Policy", r"anti[\s-]?bullying~"),
        ("Behaviour Policy", r"behaviour(?: for learning| and discipline| management)?~"),
        (
            "Allegations Policy",
            r"allegations(?: against staff)?~|managing allegations against staff",
        ),
        ("Image Use Policy", r"(?:cameras? and )?image(?:\s*/\s*camera)? use~"),
        ("Code of Conduct", r"(?:staff )?code of conduct(?: policy)?"),
        ("Staff Discipline Policy", r"(?:staff )?(?:discipline and conduct|disciplinary)~"),
        ("Confidentiality Policy", r"confidentiality~"),
        ("Data Protection Policy", r"(?:data protection|GDPR)~"),
        ("Data Security Policy", r"data security~"),
        ("Online Safety Policy", r"(?:on[\s-]?line|e-?)\s*safety~"),
        (
            "Searching, Screening and Confiscation Policy",
            r"searching,? screening and confiscation~",
        ),
        ("RSE Policy", r"\b(?:RSE|RSHE|relationships and sex education)~"),
        ("Remote Learning Policy", r"remote learning~"),
        ("Whistleblowing Procedure", r"whistle[\s-]?blowing(?:~| procedures?)"),
        ("Complaints Procedure", r"complaints(?:~| procedures?)"),
    )
)
# Bare topics ("in line with our anti-bullying, behaviour and child protection policies")
# count only in a sentence that says "policies", or in a "Links with other policies" list.
_TOPIC_POLICIES: tuple[tuple[str, str], ...] = (
    ("Acceptable Use Policy", r"acceptable\s+use(?:\s+of\s+technology)?"),
    ("Child Protection Policy", r"child\s+protection"),
    ("Anti-bullying Policy", r"anti[\s-]?bullying"),
    ("Behaviour Policy", r"behaviour"),
    ("Allegations Policy", r"allegations\s+against\s+staff"),
    ("Image Use Policy", r"image(?:\s*/\s*camera)?\s+use"),
    ("Confidentiality Policy", r"confidentiality"),
    ("Data Protection Policy", r"data\s+protection"),
    ("Data Security Policy", r"data\s+security"),
    ("Online Safety Policy", r"on[\s-]?line\s+safety|e-?safety"),
)


def _alternation(entries: Sequence[tuple[str, str]]) -> re.Pattern[str]:
    return re.compile(
        "|".join(rf"(?P<p{i}>\b(?:{pattern}))" for i, (_, pattern) in enumerate(entries)),
        re.IGNORECASE,
    )


_STRONG_RE = _alternation(_STRONG_POLICIES)
_TOPIC_RE = _alternation(_TOPIC_POLICIES)
_LINKS_HEADING_RE = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s*)?(?:links?\s+(?:with|to)\s+other\s+policies"
    r"|(?:related|associated|linked)\s+(?:policies|documents))\b",
    re.IGNORECASE,
)
_PLURAL_POLICIES_RE = re.compile(r"\bpolicies\b", re.IGNORECASE)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")
# "(part A of this policy)", "Equality Policy (this document)": the policy itself.
_THIS_POLICY_RE = re.compile(r"\bthis\s+(?:policy|document)\b", re.IGNORECASE)
_ITEM_TAIL_RE = re.compile(r"\s*(?:\(.*|,?\s+such\s+as\b.*|:.*)$", re.IGNORECASE)


# "this anti-bullying policy": the policy speaking of itself.
_THIS_BEFORE_RE = re.compile(r"\bthis\s+$", re.IGNORECASE)


def _named_policies(
    pattern: re.Pattern[str], entries: Sequence[tuple[str, str]], text: str
) -> Iterator[tuple[str, int, int]]:
    for match in pattern.finditer(text):
        if _THIS_BEFORE_RE.search(text[: match.start()]):
            continue
        index = int((match.lastgroup or "p0")[1:])
        yield entries[index][0], match.start(), match.end()


def _policies_in(text: str, topics: bool) -> list[tuple[str, int]]:
    """(canonical name, position) of each policy named in ``text``."""
    found = []
    masked = text
    for name, start, end in _named_policies(_STRONG_RE, _STRONG_POLICIES, text):
        found.append((name, start))
        masked = masked[:start] + " " * (end - start) + masked[end:]
    if topics:
        found += [
            (name, start) for name, start, _ in _named_policies(_TOPIC_RE, _TOPIC_POLICIES, masked)
        ]
    return found


def _links_section_items(lines: list[Line]) -> dict[int, Line]:
    """Bullet items under a "Links with other policies" heading, by line number."""
    items: dict[int, Line] = {}
    for index, line in enumerate(lines):
        if not _LINKS_HEADING_RE.match(line.text):
            continue
        for item in lines[index + 1 : index + 40]:
            if not item.text or item.text.endswith(":"):
                continue  # blank lines and the "including but not limited to:" intro
            if not item.is_bullet:
                break
            items[item.number] = item
    return items


def _own_keys(title: str | None) -> set[str]:
    if not title:
        return set()
    parts = [title, *title.split(":")]
    return {" ".join(key) for part in parts for key in title_keys(part)} - {""}


def find_linked_policies(lines: list[Line], title: str | None = None) -> list[Found[str]]:
    """Other policies the document names, in order of first mention; never ``title`` itself."""
    linked: dict[str, Found[str]] = {}
    own = _own_keys(title)
    section = _links_section_items(lines)
    for line in lines:
        if title and line.text.lower().endswith(title.lower()):
            continue  # the title line names the policy itself
        if line.number in section and _THIS_POLICY_RE.search(line.text):
            continue  # "Mobile technology (part A of this policy)"
        if line.number in section:
            names = _policies_in(line.text, topics=True)
            note = Msg(said.LINKS_SECTION)
            for name, start in names:
                linked.setdefault(name.lower(), from_text(name, line, start, note))
            if not names and (item := _ITEM_TAIL_RE.sub("", line.text).strip()):
                value = item[:1].upper() + item[1:]
                linked.setdefault(value.lower(), from_text(value, line, 0, note))
            continue
        offset = 0
        for sentence in _SENTENCE_SPLIT_RE.split(line.text):
            offset = line.text.find(sentence, offset)
            topics = bool(_PLURAL_POLICIES_RE.search(sentence))
            for name, start in _policies_in(sentence, topics):
                linked.setdefault(name.lower(), from_text(name, line, offset + start))
    # never the policy's own title, nor a part of it ("Online Safety" of "Online Safety: Mobile
    # Technology and Social Media Policy")
    kept = [found for found in linked.values() if normalise_title(found.value) not in own]
    return sorted(kept, key=lambda found: found.line or 0)
