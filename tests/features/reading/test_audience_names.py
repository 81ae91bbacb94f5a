"""A reading's audience as a person reads it: a numbered part in the reader's language, an
audience the school named itself as it named it, in every language."""

from __future__ import annotations

import pytest

from bot.core.language.i18n import BETWEEN, said_in
from bot.features.reading.service import audience_name


@pytest.mark.parametrize(
    "part,english,welsh",
    [
        ("part-1", "Part 1", "Rhan 1"),
        ("part-a", "Part a", "Rhan a"),
        ("all-staff", "All staff", None),
    ],
)
def test_a_readings_part_is_named_in_the_schools_language(
    part: str, english: str, welsh: str | None
) -> None:
    assert said_in("en", audience_name(part)) == english  # as before
    assert said_in("cy", audience_name(part)) == (welsh or english)
    both = said_in("cy+en", audience_name(part))
    assert both == (f"{welsh}{BETWEEN}{english}" if welsh else english)
