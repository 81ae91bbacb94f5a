"""The nation packs' words for the message catalogue: a Babel extractor (``babel.cfg``) that
gives translators each pack's words a person reads, so the catalogue can say them in the
school's language; the packs themselves are never changed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["extract_pack_words"]


def extract_pack_words(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor (``babel.cfg``): a nation pack's name, its single central record's
    checks (names, sources, note), its complaint law, the reviews a change opens (or the search
    made where none is stated), a Welsh school's requirements' titles and courses (written into
    its school.yaml in its language) and each word of its ``[words]`` table,
    so the catalogue can say them in the school's language (``words_in``, the nation choice,
    the SCR page, the complaint form); the packs themselves are never changed."""
    pack = tomllib.load(fileobj)
    if isinstance(pack.get("name"), str):  # the nation's own name, as the choice offers it
        yield 0, None, pack["name"], ["nation pack name"]
    for check in pack.get("scr_checks", []):  # the single central record's checks
        yield 0, None, check["name"], ["nation pack single central record check"]
        yield 0, None, check["source"]["title"], ["nation pack source title"]
    for source in pack.get("complaints", {}).get("law", []):  # the complaint law it cites
        yield 0, None, source["title"], ["nation pack complaint law"]
    for category in pack.get("language_categories", {}).get("category", []):
        yield 0, None, category["name"], ["nation pack school language category"]
    if isinstance(pack.get("scr_note"), str):
        yield 0, None, pack["scr_note"], ["nation pack single central record note"]
    # what each kind of change opens, or the search made, and the titles and courses init writes
    # into a school's yaml: said in Welsh only where a school reads Welsh (a pack with language
    # categories: Wales), not the other nations' own notes
    welsh = "language_categories" in pack
    reviews = pack.get("reviews", {}) if welsh else {}
    for item in pack.get("statutory", []) if welsh else []:
        for key in ("title", "course", "refresher"):
            if isinstance(item.get("requirement", {}).get(key), str):
                yield 0, None, item["requirement"][key], [f"nation pack requirement {key}"]
    for answer in reviews.values():
        if isinstance(answer.get("searched"), str):
            yield 0, None, answer["searched"], ["nation pack review not stated: the search made"]
    table = pack.get("words", {})
    for key, value in table.items():
        if isinstance(value, str) and not value.startswith("https://"):
            yield 0, None, value, [f"nation pack word: {key}"]
