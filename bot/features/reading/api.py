"""The reading room's public face: all another room may use of it (tests/test_layout.py)."""

from __future__ import annotations

from bot.features.reading.service import (
    EDITION_HEADER,
    EditionError,
    audience_name,
    edition_acknowledgements,
    register_edition,
    without_edition,
)

__all__ = [
    "EDITION_HEADER",
    "EditionError",
    "audience_name",
    "edition_acknowledgements",
    "register_edition",
    "without_edition",
]
