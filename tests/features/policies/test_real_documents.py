"""Policy documents written by the tools schools use, through every route a document comes in
by: the importer (``policies import`` and ``init``'s policy folder read them), ``policies
import`` itself, ``init``'s folder read, the setup upload page and the sweep's check of a
policy's file. Each file is read with the title and dates a person sees in it, or refused with
a true sentence naming it, and every route says the same of it.

The files: ``../shared/corpus/documents`` (real policies saved by LibreOffice, re-made by
Ghostscript, printed by Chromium; skipped cleanly without ``../shared``) and a fictional policy
written here by python-docx, fpdf2, Chromium and Pillow (a scan), and by pandoc, LibreOffice
(an old .doc too) and Ghostscript where they are installed (``tests.support.documents``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.files.uploads import AttachmentError, check_policy_document
from bot.core.models import ConnectorState, Policy
from bot.engine.sweep import run_sweep
from bot.features.policies.importer import ImportedPolicy, PolicyImportError, extract_policy
from bot.features.setup.policy_folder import read_policy_folder
from bot.features.setup.rules import SetupError
from bot.features.setup.service import read_upload
from tests.conftest import _missing
from tests.support.documents import SOURCE, written
from tests.support.helpers import SchoolBuilder, at
from tests.support.keys import TEST_SECRET
from tests.support.paths import REPO

SHARED = REPO.parent / "shared" / "corpus" / "documents"
TODAY = date(2026, 3, 16)


@dataclass(frozen=True)
class Facts:
    """What a person reads in the document: its title and the dates it states (ISO; a month
    only: YYYY-MM), or why it is refused (the words every route says)."""

    title: str | None = None
    dates: tuple[tuple[str, str], ...] = ()
    refused: str | None = None


HILDENBOROUGH = Facts(
    "Mobile, Smart Technology and Social Media Policy",
    (("ratified", "2024-09-25"), ("last_reviewed", "2023-09"), ("next_review", "2025-09")),
)
RAINBOW = Facts("Mobile Technology and Social Media Policy")
ST_JAMES = Facts(
    "Online Safety: Mobile Technology and Social Media Policy",
    (("ratified", "2020-09"), ("next_review", "2021-09")),
)
OUR_POLICY = Facts(
    "Online Safety and Mobile Phones Policy",
    (("ratified", "2025-10-14"), ("last_reviewed", "2025-09"), ("next_review", "2026-10")),
)
IN_SHARED = {  # ../shared/corpus/documents (its README says which tool wrote each)
    "hildenborough.ghostscript.pdf": HILDENBOROUGH,
    "hildenborough.libreoffice.docx": HILDENBOROUGH,
    "hildenborough.libreoffice.odt": HILDENBOROUGH,
    "hildenborough.libreoffice.pdf": HILDENBOROUGH,
    "rainbow-preschool-mobile-social-media.chromium.pdf": RAINBOW,
    "rainbow-preschool-mobile-social-media.libreoffice-from-html.docx": RAINBOW,
    "st-james-online-safety-2020.chromium.pdf": ST_JAMES,
    "st-james-online-safety-2020.libreoffice-from-html.docx": ST_JAMES,
}
IN_OURS = {  # tests.support.documents
    "chromium.pdf": OUR_POLICY,
    "fpdf.pdf": OUR_POLICY,  # /OpenAction [page /FitH null]: "open at page 1"
    "ghostscript-pdfa.pdf": OUR_POLICY,
    "ghostscript-locked.pdf": OUR_POLICY,  # an owner password: opens without asking
    "ghostscript-password.pdf": Facts(refused="this PDF opens only with a password"),
    "libreoffice-pdfa.pdf": OUR_POLICY,
    "libreoffice.docx": OUR_POLICY,
    "libreoffice.odt": OUR_POLICY,
    "libreoffice.pdf": OUR_POLICY,
    "pandoc.docx": OUR_POLICY,
    "pandoc.odt": OUR_POLICY,  # an empty XML part, as pandoc's template has
    "python-docx.docx": OUR_POLICY,
    "source.md": OUR_POLICY,
    "libreoffice.doc": Facts(refused="save it as .docx"),
    "scanned.pdf": Facts(refused="the PDF has no text to read (a scanned image?)"),
}
EXPECTED = {**IN_SHARED, **IN_OURS}


def _files() -> list[Any]:
    return [pytest.param(SHARED / name, id=name) for name in IN_SHARED] + [
        pytest.param(Path(name), id=name) for name in IN_OURS
    ]


def _ours(name: str) -> Path:
    """One of the fictional policy's files, as its writer made it (``source.md``: as typed)."""
    if name == SOURCE.name:
        return SOURCE
    folder, writers = written()
    path = folder / name
    if not path.exists():
        reason = f"{writers[name]} is not installed here, so {name} was not made"
        _missing(reason)  # .ci/run installs each (Chromium, pandoc, Ghostscript, LibreOffice)
    return path


@pytest.fixture
def document(request: pytest.FixtureRequest) -> Path:
    """The file; the shared corpus's skipped cleanly where ``../shared`` is not beside this
    clone (CI has it), ours where its writer is not installed."""
    path: Path = request.param
    if path.name in IN_OURS and path.parent == Path("."):
        return _ours(path.name)
    if not path.exists():
        _missing(f"{path.parent} is not present beside this clone")
    return path


def _facts(imported: ImportedPolicy) -> Facts:
    """What the importer read, as ``Facts``."""
    dates = tuple(
        (name, found.value.isoformat())
        for name in ("ratified", "last_reviewed", "next_review")
        if (found := getattr(imported, name)) is not None and found.how == "text"
    )
    return Facts(imported.title.value if imported.title else None, dates)


def test_every_file_of_the_corpus_is_expected() -> None:
    folder, writers = written()
    made = {p.name for p in folder.iterdir() if p.name in writers}
    assert set(writers) | {SOURCE.name} == set(IN_OURS)
    assert {"python-docx.docx", "fpdf.pdf", "scanned.pdf"} <= made
    if SHARED.exists():
        assert {p.name for p in SHARED.iterdir()} == set(IN_SHARED)


@pytest.mark.parametrize("document", _files(), indirect=True)
def test_the_importer_reads_each_as_a_person_does(document: Path) -> None:
    expected = EXPECTED[document.name]
    if expected.refused is None:
        assert _facts(extract_policy(document)) == expected
        return
    with pytest.raises(PolicyImportError) as refused:
        extract_policy(document)
    assert str(refused.value).startswith(f"{document}: ")
    assert expected.refused in str(refused.value)


@pytest.mark.parametrize("document", _files(), indirect=True)
def test_inits_policy_folder_reads_each_the_same(document: Path, tmp_path: Path) -> None:
    shutil.copy(document, tmp_path / document.name)
    [read] = read_policy_folder(tmp_path)
    expected = EXPECTED[document.name]
    if expected.refused is None:
        assert read.error is None and read.imported is not None
        assert _facts(read.imported) == expected
    else:
        assert read.error is not None and expected.refused in read.error
        assert document.name in read.error


@pytest.mark.parametrize("document", _files(), indirect=True)
def test_the_upload_page_and_the_sweeps_check_say_the_same(document: Path) -> None:
    data, expected = document.read_bytes(), EXPECTED[document.name]
    if document.suffix == ".doc":  # neither route takes an old Word file, and says so
        with pytest.raises(AttachmentError, match=r"libreoffice\.doc: use a \.pdf, \.docx"):
            check_policy_document(document.name, data)
        with pytest.raises(SetupError, match=r"libreoffice\.doc: use a \.pdf, \.docx"):
            read_upload(document.name, data)
        return
    if "password" in (expected.refused or ""):  # neither route can open it, and says why
        said = rf"{document.name}: {expected.refused}"
        with pytest.raises(AttachmentError, match=said):
            check_policy_document(document.name, data)
        with pytest.raises(SetupError, match=said):
            read_upload(document.name, data)
        return
    assert check_policy_document(document.name, data) == document.name  # the sweep keeps it
    if document.suffix == ".md":
        return  # the upload page takes Word, OpenDocument, PDF and Markdown
    if expected.refused is None:
        name, imported = read_upload(document.name, data)
        assert name == document.name and _facts(imported) == expected
        return
    with pytest.raises(SetupError) as scanned:  # a scan: its details are typed instead
        read_upload(document.name, data)
    assert scanned.value.field == "scanned"
    assert f"{document.name}: {expected.refused}" in str(scanned.value)


def test_policies_import_reads_every_file(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    folder, _ = written()
    files = [SOURCE, *(folder / name for name in IN_OURS if (folder / name).exists())]
    files += [SHARED / name for name in IN_SHARED if SHARED.exists()]
    ctx = school.context(sqlite_url)  # the school stored, as a sweep leaves it
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    ctx.store.dispose()
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(school.home))
    monkeypatch.setenv("COMPLIANCE_BOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COMPLIANCE_BOT_SECRET_KEY", TEST_SECRET)
    result = CliRunner().invoke(
        app, ["policies", "import", *map(str, files), "--json", "--as-of", TODAY.isoformat()]
    )
    outcomes = {Path(o["file"]).name: o for o in json.loads(result.stdout)["files"]}
    assert set(outcomes) == {f.name for f in files}
    for name, outcome in outcomes.items():
        expected = EXPECTED[name]
        if expected.refused is not None:
            assert expected.refused in outcome["error"], outcome
            continue
        assert outcome["error"] is None, outcome
        found = outcome["found"]
        assert found["title"]["value"] == expected.title, name
        for field, value in expected.dates:
            assert found[field]["value"] == value, (name, field)


def test_the_sweep_keeps_each_writers_file_as_the_policys_version(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    """A school whose settings name one policy per writer's file (as init writes them): the
    sweep stores each as a version, and refuses none ("has changed" emails are not sent)."""
    folder, _ = written()
    readable = [n for n, facts in IN_OURS.items() if facts.refused is None and n != SOURCE.name]
    readable = [name for name in readable if (folder / name).exists()]
    for number, name in enumerate(readable):
        shutil.copy(folder / name, school.home / "policies" / name)
        school.school["policies"].append(
            {
                "id": f"p{number}",
                "title": f"Policy {number}",
                "version": "2025.1",
                "document": f"policies/{name}",
            }
        )
    ctx = school.context(sqlite_url)
    run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=TODAY,
        now=at(TODAY),
        deliver=False,
    )
    with ctx.store.session() as session:
        refused = session.scalars(
            select(ConnectorState.key).where(ConnectorState.key.like("policy.refused:%"))
        ).all()
        versions = {
            p.key: len(p.versions)
            for p in session.scalars(select(Policy).where(Policy.key.like("p%")))
        }
    ctx.store.dispose()
    assert refused == []
    assert versions == {f"p{n}": 1 for n in range(len(readable))}


def test_a_writer_installed_after_the_first_run_gets_its_files_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The documents' cache is keyed on which writers are installed: a machine whose first run
    came before a writer was installed (then CI installed it) gets that writer's files made,
    instead of failing for ever with "<writer> is not installed here" from a cache marked done
    without them."""
    from tests.support import documents

    made: list[str] = []

    def write(name: str) -> Any:
        def make(folder: Path) -> None:
            (folder / name).write_text(name, encoding="utf-8")
            made.append(name)

        return make

    here = {"python": True, "office": False}
    monkeypatch.setattr(documents.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(
        documents,
        "WRITERS",
        {
            "python": (None, ("a.txt",), write("a.txt")),
            "office": ("soffice", ("b.txt",), write("b.txt")),
        },
    )
    monkeypatch.setattr(documents, "_installed", lambda writer: here[writer])
    folder, _ = documents.written()
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "done"]
    here["office"] = True  # installed since
    folder, by_file = documents.written()
    assert (folder / "b.txt").is_file() and by_file["b.txt"] == "office"
    assert documents.written()[0] == folder and made == ["a.txt", "a.txt", "b.txt"]  # once each
