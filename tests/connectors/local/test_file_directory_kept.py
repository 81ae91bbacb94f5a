"""A staff file's read kept for the next process (#80 item 6): a new file directory handed
what another kept (``kept``, ``recall``) answers an unchanged file as the first did without
parsing it (its people are read only when asked for), and checks only the new addresses of a
changed one; what it cannot read back is ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.local import directory
from connectors.local.directory import FileDirectory

HEADER = "email,name,roles,school\n"
ROWS = [f"p{n}@oak.example,Person {n},staff,{'oak' if n % 2 else 'elm'}\n" for n in range(6)]


def _counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], list[str]]:
    """The parses and the address checks made from now on."""
    parses: list[Path] = []
    checks: list[str] = []
    parse, is_email = FileDirectory._parse, directory.is_email

    def parsed(self: FileDirectory, digest: str) -> Any:
        parses.append(self.path)
        return parse(self, digest)

    def checked(address: str, **kwargs: Any) -> bool:
        checks.append(address)
        return is_email(address, **kwargs)

    monkeypatch.setattr(FileDirectory, "_parse", parsed)
    monkeypatch.setattr(directory, "is_email", checked)
    return parses, checks


def test_an_unchanged_file_is_answered_again_without_a_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "".join(ROWS) + "not-an-address,Bad Row,staff,oak\n", "utf-8")
    first = FileDirectory(path)
    read = first.fetch()
    read.digests["oak"] = "the share's digest, as a sweep works it out"
    kept = first.kept()
    assert kept is not None and first.kept() == kept  # the same text for the same read
    parses, checks = _counted(monkeypatch)
    again = FileDirectory(path)
    again.recall(kept)
    second = again.fetch()
    assert parses == [] and checks == []
    assert second.digests == read.digests and second.cursor == read.cursor
    assert list(second.rejected) == list(read.rejected) and len(second.rejected) == 1
    assert list(second.rejected_records) == list(read.rejected_records)
    assert again.rejected_lines == first.rejected_lines == [8]
    assert set(second.by_school) == {"oak", "elm"}
    assert [p.email for p in second.by_school["oak"]] == [p.email for p in read.by_school["oak"]]
    assert len(parses) == 1  # asked for, the people are read


def test_a_changed_file_checks_only_its_new_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "".join(ROWS) + "not-an-address,Bad Row,staff,oak\n", "utf-8")
    first = FileDirectory(path)
    first.fetch()
    kept = first.kept()
    assert kept is not None
    path.write_text(
        HEADER
        + "".join(ROWS[1:])
        + "new@oak.example,New Starter,staff,oak\n"
        + "not-an-address,Bad Row,staff,oak\n"
        + "new@oak.example,Again,staff,oak\n",
        "utf-8",
    )
    parses, checks = _counted(monkeypatch)
    again = FileDirectory(path)
    again.recall(kept)
    read = again.fetch()
    assert len(parses) == 1 and checks == ["new@oak.example"]  # once, though on two rows
    assert {p.email for p in read.people} == {f"p{n}@oak.example" for n in range(1, 6)} | {
        "new@oak.example"
    }
    assert len(read.rejected) == 2  # the bad address, still; the repeated one


@pytest.mark.parametrize("kept", ["", "not json", '{"shape": 0}', '{"shape": 1}', "[1]"])
def test_what_cannot_be_read_back_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: str
) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "".join(ROWS), "utf-8")
    parses, _ = _counted(monkeypatch)
    fresh = FileDirectory(path)
    fresh.recall(kept)
    assert len(fresh.fetch().people) == 6 and len(parses) == 1
