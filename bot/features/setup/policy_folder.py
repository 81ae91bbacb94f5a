"""A policy folder read in one pass with the policies room's intake: what each document says,
what was worked out, and the questions only a person can answer (asked once, at the end).

``init`` shows the intake's lines (sentences with their values) in the school's language."""

from __future__ import annotations

import copy
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.language.i18n import N_, Msg
from bot.core.nations import Words
from bot.features.policies.api import (
    SUPPORTED_SUFFIXES,
    Intake,
    policy_key,
    read_intake,
    same_document,
    twins,
)
from bot.features.setup.pack import PackItem, PolicyRef, is_statutory_reading, match_pack
from bot.features.setup.problems import SAME_DOCUMENT, SAME_TITLE, field_problem

__all__ = ["FolderPolicy", "FolderReads", "folder_checks", "offered_pack", "read_policy_folder"]

VERSION_NOT_STATED = N_(
    "version: not stated in the document; staff will see “%(version)s” (change it in "
    "school.yaml or on the settings pages)"
)


class FolderPolicy(Intake):
    """One document of the folder; national guidance staff read is asked nothing."""

    named_edition = False  # the answers name it as a reading's edition (``editions:``)

    @property
    def questions(self) -> list[str]:
        """The fields still without a value (asked once, at the end)."""
        return [] if self.is_guidance else super().questions

    @property
    def is_guidance(self) -> bool:
        """National guidance staff read (KCSIE and its equivalents): a reading's edition, never
        a policy, so nothing a policy needs is asked of it: by its title, or because the
        answers name it as an edition (a PDF's first line is no title a reader can be sure of)."""
        title = str(self.values.get("title") or self.title_guess or "")
        return self.named_edition or is_statutory_reading(title)

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
            self.notes.append(Msg(VERSION_NOT_STATED, version=entry["version"]))
        return entry


def folder_checks(
    items: list[FolderPolicy], school_name: str, dsl_names: list[str], *, dsl: str
) -> list[Msg]:
    """The folder checked as every door checks it: each document for another school or DSL
    (``dsl``: the school's word) it names (its ``checks``, to point out); two documents that
    are one policy, the problem returned (one of them must leave the folder)."""
    for item in items:
        item.check_ownership(school_name, dsl_names, dsl=dsl)
    problems = []
    for first, second in twins(items):
        assert first.imported is not None and second.imported is not None
        same = same_document(first.imported, second.imported)
        names = {"first": first.path.name, "second": second.path.name, "title": second.title}
        problems.append(
            field_problem("policies", Msg(SAME_DOCUMENT if same else SAME_TITLE, **names))
        )
    return problems


def offered_pack(items: list[FolderPolicy], country: str | None, words: Words) -> list[PackItem]:
    """The requirement pack every door offers for the folder's policies (each read and with
    every question answered) in the school's ``words``."""
    refs = [
        PolicyRef(policy_key(p.title), p.title) for p in items if not p.error and not p.questions
    ]
    return match_pack(refs, country, words)


# an old Word file is listed too, so that it is refused saying how to save it, not passed over
_LISTED = (*SUPPORTED_SUFFIXES, ".doc")


def _documents(folder: Path) -> list[Path]:
    """The policy documents in ``folder`` (not its sub-folders), in name order."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in _LISTED and not p.name.startswith(".")
    )


def read_policy_folder(folder: Path) -> list[FolderPolicy]:
    """Every policy document in ``folder`` (not its sub-folders), in name order."""
    return [read_intake(p, FolderPolicy) for p in _documents(folder)]


class FolderReads:
    """``read_policy_folder`` for one ``init``: its questions and its checks read the folder
    again and again (each ``.docx`` and ``.pdf`` a contained child process), so a document is
    read once and read again only when its bytes change; a file added or taken out is seen
    at once. Each read hands out fresh copies, as a first read would (answers are given to
    each copy, never to the one kept)."""

    def __init__(self) -> None:
        self._kept: dict[Path, tuple[bytes, FolderPolicy]] = {}

    def read(self, folder: Path) -> list[FolderPolicy]:
        """Every policy document in ``folder``, as ``read_policy_folder`` reads it now."""
        return [copy.deepcopy(self._one(path)) for path in _documents(folder)]

    def _one(self, path: Path) -> FolderPolicy:
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except OSError:  # the importer says why it cannot be read
            return read_intake(path, FolderPolicy)
        kept = self._kept.get(path)
        if kept is None or kept[0] != digest:
            kept = self._kept[path] = (digest, read_intake(path, FolderPolicy))
        return kept[1]
