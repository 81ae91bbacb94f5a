"""A changed staff file checks only the addresses its last read did not have: a trust's
100,000 addresses outgrow ``is_email``'s own cache, which a file read in order thrashes (#60)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.guards.emails import email_problem
from connectors.local import directory as file_directory
from connectors.local.directory import FileDirectory


def _write(path: Path, emails: list[str]) -> None:
    rows = "".join(f"{e},Person {i}\n" for i, e in enumerate(emails))
    path.write_text(f"email,name\n{rows}", encoding="utf-8")


def test_a_changed_file_checks_only_its_new_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    check = file_directory.is_email

    def counted(address: str, *, remember: bool = True) -> bool:
        asked.append(address)
        return check(address, remember=remember)

    monkeypatch.setattr(file_directory, "is_email", counted)
    path = tmp_path / "staff.csv"
    emails = [f"p{i}@oak.example" for i in range(5)]
    _write(path, [*emails, "not an address"])
    reader = FileDirectory(path)
    first = reader.fetch()
    assert len(first.people) == 5 and len(first.rejected) == 1
    assert sorted(asked) == sorted([*emails, "not an address"])
    asked.clear()
    _write(path, [*emails[1:], "new@oak.example", "not an address"])  # a leaver, a starter
    second = reader.fetch()
    assert asked == ["new@oak.example"]
    assert {p.email for p in second.people} == {*emails[1:], "new@oak.example"}
    assert len(second.rejected) == 1  # the bad one is still refused, from memory
    asked.clear()
    _write(path, emails[:1])  # an address the last read did not have is checked again
    assert [p.email for p in reader.fetch().people] == emails[:1] and asked == emails[:1]


def test_a_file_keeps_its_addresses_out_of_is_email_s_cache(tmp_path: Path) -> None:
    """The file remembers its own addresses (by hash, not as strings): a trust's would
    otherwise fill ``email_problem``'s 65,536 places and keep each address alive there."""
    path = tmp_path / "staff.csv"
    _write(path, [f"cache{i}@oak.example" for i in range(50)])
    before = email_problem.cache_info().currsize
    assert len(FileDirectory(path).fetch().people) == 50
    assert email_problem.cache_info().currsize == before
