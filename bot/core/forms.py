"""What every form shares: cleaning typed text, reading dates, and carrying field errors."""

from __future__ import annotations

import unicodedata
from datetime import date

__all__ = ["FormErrors", "clean_field", "parse_iso_date"]


def clean_field(text: str | None, limit: int) -> str:
    """Trimmed text without control characters (new lines and tabs kept), cut to ``limit``."""
    value = "".join(
        c for c in (text or "") if c in "\n\t" or unicodedata.category(c)[0] != "C"
    ).strip()
    return value[:limit]


def parse_iso_date(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when it is not one."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


class FormErrors(ValueError):
    """A form has problems: ``errors`` maps each field to one plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
