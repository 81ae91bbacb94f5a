"""A policy folder read in one pass with the policies room's intake: what each document says,
what was worked out, and the questions only a person can answer (asked once, at the end)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.features.policies.api import SUPPORTED_SUFFIXES, Intake, read_intake
from bot.features.setup.pack import is_statutory_reading

__all__ = ["FolderPolicy", "read_policy_folder"]


class FolderPolicy(Intake):
    """One document of the folder; national guidance staff read is asked nothing."""

    @property
    def questions(self) -> list[str]:
        """The fields still without a value (asked once, at the end)."""
        return [] if self.is_guidance else super().questions

    @property
    def is_guidance(self) -> bool:
        """National guidance staff read (KCSIE and its equivalents): a reading's edition, never
        a policy, so nothing a policy needs is asked of it."""
        return is_statutory_reading(str(self.values.get("title") or self.title_guess or ""))

    @property
    def title(self) -> str:
        """The policy's title (or the file's name until one is given)."""
        guess = self.title_guess if self.is_guidance else None
        return str(self.values.get("title") or guess or self.path.name)

    def entry(self, today: date, **where: Any) -> dict[str, Any]:
        """The policy's school.yaml entry (call once every question is answered)."""
        assert not self.questions
        entry = super().entry(today, **where)
        if self.stated_version is None:
            self.notes.append(f"version: not stated in the document; staff will see "
                              f"“{entry['version']}” (change it in school.yaml or on the "
                              "settings pages)")
        return entry


def read_policy_folder(folder: Path) -> list[FolderPolicy]:
    """Every policy document in ``folder`` (not its sub-folders), in name order."""
    paths = sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )
    return [read_intake(p, FolderPolicy) for p in paths]
