"""A policy document that is not what its name says, or cannot be read, is refused on every
route it comes in by (the policy folder and whatever syncs it, the upload pages, the command
line, a reading edition): no new version, nobody asked, the version in force stays, and for the
folder the school's admins are told once which file and why."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.models import Duty, PolicyVersion
from bot.demo.documents import code_of_conduct_docx
from bot.features.policies.api import ReviewError, accepted_document
from bot.features.setup.service import SetupError, read_upload
from tests.support.helpers import SchoolBuilder, at, outbox_as_sent, sweep
from tests.support.pdfs import pdf_document

MONDAY = date(2026, 11, 23)
_NOISE = random.Random(55).randbytes(8192)
# what a broken sync leaves: bytes of no kind (for text, without a NUL: it passed before)
GARBAGE = {"pdf": _NOISE, "docx": b"PK\x03\x04" + _NOISE, "md": bytes(b for b in _NOISE if b)}
GOOD = {
    "pdf": pdf_document,
    "docx": code_of_conduct_docx,
    "md": lambda: b"# Online Safety Policy\n\nVersion 2026.1\n",
}


def _counts(ctx) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with ctx.store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(PolicyVersion)) or 0,
            session.scalar(select(func.count()).select_from(Duty)) or 0,
        )


@pytest.mark.parametrize("kind", ["pdf", "docx", "md"])
def test_a_garbage_file_in_the_policy_folder_changes_nothing_and_the_admins_are_told_once(
    school: SchoolBuilder, sqlite_url: str, kind: str
) -> None:
    school.school["admins"] = ["office@oak.example"]
    school.policy(
        "online-safety", "2026.1", published=str(MONDAY), document=f"policies/online-safety.{kind}"
    )
    school.staff_acknowledge(due_days=14)
    document = school.home / "policies" / f"online-safety.{kind}"
    document.write_bytes(GOOD[kind]())
    ctx = school.context(sqlite_url)
    sweep(ctx, MONDAY, deliver=False)
    before = _counts(ctx)
    assert before[0] == 1 and before[1] == 4
    document.write_bytes(GARBAGE[kind])  # a broken sync overwrites it
    for hour in (10, 11):  # and the next sweep after that
        results, _ = sweep(ctx, MONDAY, at(MONDAY, hour), deliver=False)
        assert _counts(ctx) == before  # no version, nobody asked
        assert any(f"online-safety.{kind} was not used" in w for w in results[0].warnings)
    [told] = outbox_as_sent(ctx.store, "document_refused")
    assert told.recipients == ["office@oak.example"]
    text = told.payload["text"]
    assert f"policies/online-safety.{kind}" in text and "Online Safety" in text
    assert "version in force (2026.1)" in text and "nobody has been asked" in text
    assert (
        "a different kind of file" in text
        or "could not be read" in text
        or "cannot be read as text" in text
        or "damaged" in text
    )
    # a readable file again: a new version, as before
    document.write_bytes(GOOD[kind]() + (b"\n" if kind == "md" else b""))
    if kind == "md":
        sweep(ctx, MONDAY, at(MONDAY, 12), deliver=False)
        assert _counts(ctx)[0] == 2
    ctx.store.dispose()


def test_every_other_route_refuses_the_same_bytes_with_the_same_check(
    school: SchoolBuilder, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    garbage = GARBAGE["md"]
    # one function for the upload pages (a review's new document), a reading edition
    # (`campaign edition`) and `policies import`
    with pytest.raises(ReviewError, match="cannot be read as text"):
        accepted_document("online-safety.md", garbage)
    # the setup pages and `init`'s policy folder
    with pytest.raises(SetupError, match="cannot be read as text"):
        read_upload("online-safety.md", garbage)
    # the command line: `policies import` stores nothing
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    ctx = school.context(sqlite_url)
    sweep(ctx, MONDAY, deliver=False)
    before = _counts(ctx)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", "test-secret-key-0123456789-abcdefghij")
    broken = school.home / "incoming" / "online-safety-2027.md"
    broken.parent.mkdir()
    broken.write_bytes(garbage)
    result = CliRunner().invoke(
        app,
        [
            "policies",
            "import",
            str(broken),
            "--yes",
            "--title",
            "Online Safety",
            "--next-review",
            "2027-09-30",
            "--approved-by",
            "FGB",
        ],
    )
    assert "online-safety-2027.md: this file cannot be read as text" in result.output
    assert _counts(ctx) == before
    ctx.store.dispose()
