"""The school's language: the policy import's read errors (a document that cannot be
read), its table of what a document says and the notes under it, and an SCR sheet's refusals
said in the school's language.

One Welsh-medium school is built for the module and its ``language:`` changed between runs of
the real command line (``cy``, ``cy+en``, ``en``). Welsh must leave no English (the word check
of ``tests/core/test_i18n.py``, with what the school or the document typed taken out); English
reads exactly as before, and ``--json`` stays English.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.language.i18n import BETWEEN, said_in
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env
from tests.support.welsh_school import run as _run


def _lines(said: str, mark: str) -> list[str]:
    """The parts of ``said`` after each ``mark`` (a line's red mark), up to the next one."""
    return [part.strip() for part in said.split(mark)[1:]]


# --------------------------------------------------------------------------- read errors


@pytest.fixture(scope="module")
def unreadable(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A damaged Word file, a damaged PDF, an empty file, an old Word file, a folder, a file
    with no extension and one that is not there."""
    folder = tmp_path_factory.mktemp("docs")
    (folder / "drwg.docx").write_bytes(b"PK\x03\x04garbage")
    (folder / "drwg.pdf").write_bytes(b"%PDF-1.4 garbage")
    (folder / "gwag.txt").write_text("")
    (folder / "hen.doc").write_text("hi")
    (folder / "ffolder").mkdir()
    (folder / "dim").write_text("hi")
    return [folder / n for n in ("drwg.docx", "drwg.pdf", "gwag.txt", "hen.doc", "ffolder")] + [
        folder / "dim",
        folder / "coll.txt",
    ]


ENGLISH_ERRORS = [
    "drwg.docx: this Word file is damaged or is not really a Word document, so we have not "
    "opened it. Please save it again from Word (or as a PDF) and upload that.",
    "drwg.pdf: this PDF is incomplete or damaged.",
    "gwag.txt: the file is empty",
    "hen.doc: unsupported file type '.doc' (save it as .docx); supported: .docx, .odt, .pdf, "
    ".txt, .md",
    "ffolder: is a directory, not a document",
    "dim: unsupported file type 'no extension'; supported: .docx, .odt, .pdf, .txt, .md",
    "coll.txt: file not found",
]
WELSH_ERRORS = [
    "drwg.docx: mae'r ffeil Word hon wedi'i difrodi neu nid yw'n ddogfen Word go iawn, felly "
    "nid ydym wedi'i hagor.",
    "drwg.pdf: mae'r PDF hwn yn anghyflawn neu wedi'i ddifrodi.",
    "gwag.txt: mae'r ffeil yn wag",
    "hen.doc: ni ellir darllen ffeil o'r math '.doc' (cadwch hi fel .docx); defnyddiwch ffeil "
    ".docx, .odt, .pdf, .txt neu .md",
    "ffolder: ffolder yw hwn, nid dogfen",
    "dim: ni ellir darllen ffeil heb estyniad; defnyddiwch ffeil .docx, .odt, .pdf, .txt neu .md",
    "coll.txt: ni chafwyd hyd i'r ffeil",
]


def test_a_document_that_cannot_be_read_is_said_in_welsh(
    env: Env, monkeypatch: pytest.MonkeyPatch, unreadable: list[Path], english_words: set[str]
) -> None:
    code, said = _run(env, monkeypatch, "cy", "policies", "import", *map(str, unreadable))
    assert code == 1 and "error:" not in said, said
    lines = _lines(said, "gwall:")
    assert len(lines) == len(WELSH_ERRORS), said
    for line, welsh in zip(lines, WELSH_ERRORS, strict=True):
        assert welsh in line, (welsh, line)
    folder = str(unreadable[0].parent)
    own = [line.replace(folder, " ") for line in lines]
    assert _english_left(own, english_words) == []


def test_a_document_that_cannot_be_read_in_both_languages_and_in_english(
    env: Env, monkeypatch: pytest.MonkeyPatch, unreadable: list[Path]
) -> None:
    code, said = _run(env, monkeypatch, "cy+en", "policies", "import", *map(str, unreadable))
    assert code == 1
    lines = _lines(said, f"gwall:{BETWEEN}error:")
    assert len(lines) == len(WELSH_ERRORS), said
    for line, welsh, english in zip(lines, WELSH_ERRORS, ENGLISH_ERRORS, strict=True):
        problem = english.partition(": ")[2]
        assert welsh in line and problem in line.split(BETWEEN, 1)[1], line
        assert line.index(welsh.partition(": ")[2]) < line.index(problem)  # Welsh first
    code, said = _run(env, monkeypatch, "en", "policies", "import", *map(str, unreadable))
    lines = _lines(said, "error:")
    for line, english in zip(lines, ENGLISH_ERRORS, strict=True):
        assert f"/{english}" in line, line  # the path, then the sentence as before
    assert "gwall" not in said


def test_an_unreadable_documents_json_stays_english(
    env: Env, monkeypatch: pytest.MonkeyPatch, unreadable: list[Path]
) -> None:
    code, said = _run(
        env, monkeypatch, "cy", "policies", "import", "--json", *map(str, unreadable[2:4])
    )
    assert code == 1
    assert ENGLISH_ERRORS[2] in said and ENGLISH_ERRORS[3] in said, said
    assert "ddogfen" not in said and "error_said" not in said


# --------------------------------------------------------------------------- the SCR sheet

NO_HEADER = (
    "nohead.csv: no header row in the first 20 rows: the single central record needs a name "
    "column (e.g. Surname and Forename) and at least two checks (e.g. Identity checked, Barred "
    "list check, Enhanced DBS check date)"
)
NO_HEADER_CY = (
    "nohead.csv: dim rhes pennawd yn rhesi 1 i 20: mae angen colofn enw ar y daenlen (e.e. "
    "Surname a Forename) a dau wiriad o leiaf (e.e. Identity checked, Barred list check, "
    "Enhanced DBS check date)"
)
# the headers a sheet is read by, as written (bot/features/scr/columns.toml)
_HEADERS = ("Surname", "Forename", "Identity checked", "Barred list check", "Enhanced DBS")


@pytest.mark.parametrize(
    "language,expected",
    [("cy", NO_HEADER_CY), ("cy+en", f"{NO_HEADER_CY}{BETWEEN}{NO_HEADER}"), ("en", NO_HEADER)],
)
def test_an_scr_sheet_with_no_header_row_is_refused_in_the_schools_language(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    english_words: set[str],
    language: str,
    expected: str,
) -> None:
    sheet = tmp_path / "nohead.csv"
    sheet.write_text("Staff list\nnothing here\n", encoding="utf-8")
    code, said = _run(env, monkeypatch, language, "scr", "import", str(sheet))
    assert code == 2 and expected in said, said
    if language == "cy":
        plain = expected
        for header in _HEADERS:
            plain = plain.replace(header, " ")
        assert _english_left([plain.replace("nohead.csv", " ")], english_words) == []


# --------------------------------------------------------------------------- what a document says

DOCUMENT = """# Oak Test School

# Online Safety Policy

Last reviewed: September 2026

Approved by: the Full Governing Body

This policy will be reviewed annually.
"""
# the importer's own note on a worked-out date
DERIVED = "last reviewed 2026-09 (line 5) + 12 months"
DERIVED_CY = "adolygwyd ddiwethaf 2026-09 (llinell 5) + 12 mis"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("doc") / "oak.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def _under_table(said: str) -> str:
    """What is printed under the table (its last corner) and before the closing summary."""
    return said.rsplit("┘", 1)[1]


ENGLISH_TABLE = (
    "oak.md: what the document says",
    "┃ Field ┃ Value ┃ How ┃ Where / why ┃",
    "│ title │ Online Safety │ found in text │ line 3: Online │",
    "│ version │ not stated │",
    "every 12 months",
    "│ next review │ September 2027 │ worked out │ last reviewed │",
)
ENGLISH_NOTES = (
    "note A date given only as a month (e.g. 'September 2026') is kept as that month; where a "
    "day is needed, the last day of the month is used (a review due 'September 2026' is due by "
    "30 September 2026).",
    "note Not stated in the document: date written, approved or ratified, next review — left "
    "empty, never guessed.",
    f"note next review 2027-09 derived: {DERIVED}",
    "note nothing stored: rerun with --yes to store it",
)
WELSH_TABLE = (
    "oak.md: yr hyn y mae'r ddogfen yn ei ddweud",
    "┃ Maes ┃ Gwerth ┃ Sut ┃ Ble / pam ┃",
    "│ teitl │ Online Safety │ wedi'i ganfod yn │ llinell 3: │",
    "│ fersiwn │ heb ei nodi │",
    "bob 12 mis",
    "│ adolygiad nesaf │ Medi 2027 (mis yn │ wedi'i gyfrifo │",
)
WELSH_NOTES = (
    "nodyn Caiff dyddiad a roddir fel mis yn unig (e.e. 'Medi 2026') ei gadw fel y mis hwnnw;",
    "nodyn Heb eu nodi yn y ddogfen: dyddiad ei ysgrifennu, cymeradwywyd neu gadarnhawyd yn "
    "ffurfiol, adolygiad nesaf — wedi'u gadael yn wag, byth wedi'u dyfalu.",
    f"nodyn adolygiad nesaf 2027-09 wedi'i gyfrifo: {DERIVED_CY}",
    "nodyn ni chadwyd dim: rhedwch eto gyda --yes i'w gadw",
)


def test_what_a_document_says_is_said_in_english_as_before(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path
) -> None:
    code, said = _run(env, monkeypatch, "en", "policies", "import", str(document))
    assert code == 0
    for text in (*ENGLISH_TABLE, *ENGLISH_NOTES):
        assert text in said, (text, said)


def test_what_a_document_says_is_said_in_welsh(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path, english_words: set[str]
) -> None:
    code, said = _run(env, monkeypatch, "cy", "policies", "import", str(document))
    assert code == 0
    for text in (*WELSH_TABLE, *WELSH_NOTES):
        assert text in said, (text, said)
    for english in ("what the document says", "found in text", "not stated", "Where / why"):
        assert english not in said
    assert DERIVED not in said
    notes = _under_table(said).split("Darllenwyd ")[0]
    assert _english_left([notes], english_words) == []


def test_what_a_document_says_in_both_languages(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path
) -> None:
    code, said = _run(env, monkeypatch, "cy+en", "policies", "import", str(document))
    assert code == 0
    assert "┃ Maes / Field ┃" in said and "│ fersiwn / version │ heb ei nodi / not │" in said
    # a sentence with words of its own in it: all Welsh, then all English
    assert (
        "nodyn / note Heb eu nodi yn y ddogfen: dyddiad ei ysgrifennu, cymeradwywyd neu "
        "gadarnhawyd yn ffurfiol, adolygiad nesaf — wedi'u gadael yn wag, byth wedi'u dyfalu."
        f"{BETWEEN}Not stated in the document: date written, approved or ratified, next review "
        "— left empty, never guessed."
    ) in said, said


def test_the_notes_of_a_stored_document_speak_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, document: Path, english_words: set[str]
) -> None:
    code, said = _run(env, monkeypatch, "cy", "policies", "import", "--yes", str(document))
    assert code == 0
    for welsh in (
        "nodyn adolygwyd ddiwethaf Medi 2026 (mis yn unig): fe'i cedwir fel 30 Medi 2026, "
        "diwrnod olaf y mis hwnnw",
        "nodyn fersiwn: heb ei nodi yn y ddogfen; mae'r staff yn gweld 'adolygwyd Medi 2026' "
        "(teipiwch un arall gyda --version-label)",
    ):
        assert welsh in said, (welsh, said)
    notes = _under_table(said).split("wedi'i gadw fel")[0]
    assert _english_left([notes], english_words) == []  # the label too, as staff see it
    code, said = _run(env, monkeypatch, "cy+en", "policies", "import", "--yes", str(document))
    assert (
        "nodyn / note mae'r ddogfen hon wedi'i chadw eisoes fel adolygwyd Medi 2026"
        f"{BETWEEN}this document is already stored as reviewed September 2026"
    ) in said, said
    code, said = _run(env, monkeypatch, "en", "policies", "import", "--yes", str(document))
    for english in (
        "note last reviewed September 2026 is stored as 2026-09-30 (the document gives only the "
        "month; the last day of that month is used)",
        "note this document is already stored as reviewed September 2026",
        "Linked policies" not in said and "1 file read: 1 already in the register, unchanged.",
    ):
        assert english in said if isinstance(english, str) else english, said
    code, said = _run(env, monkeypatch, "cy", "policies", "import", "--json", "-y", str(document))
    assert "this document is already stored as reviewed September 2026" in said
    assert "nodyn" not in said and "notes_said" not in said and "cedwir" not in said


# --------------------------------------------------------------------------- the importer's own

CAPITALS = """OAK TEST SCHOOL

ONLINE SAFETY POLICY

This policy will be reviewed at least annually by the governors.

The school has no official social media accounts on Facebook or Instagram.
"""
# a value's note in the table: single words (a cell wraps its own lines between the others')
ENGLISH_OWN = (
    "capitals)",
    "allowed)",
    "warning line 7: says the school runs no official social media channels; platforms named "
    "there (Facebook, Instagram) were not imported",
    "missing next review date: not stated in the document, and no approval or review date to "
    "work it out from — please supply it",
    "missing approving body: not stated in the document (who approves or ratifies it, e.g. the "
    "Full Governing Body or a named committee) — please supply it",
)
WELSH_OWN = (
    "briflythrennau)",
    "ganiateir)",
    "rhybudd llinell 7: yn dweud nad oes gan yr ysgol gyfrifon swyddogol ar y cyfryngau "
    "cymdeithasol; ni chafodd y llwyfannau a enwir yno (Facebook, Instagram) eu mewnforio",
    "ar goll dyddiad yr adolygiad nesaf: heb ei nodi yn y ddogfen, a dim dyddiad cymeradwyo nac "
    "adolygu i'w gyfrifo ohono — rhowch ef",
    "ar goll corff cymeradwyo: heb ei nodi yn y ddogfen (pwy sy'n ei gymeradwyo neu'n ei "
    "gadarnhau'n ffurfiol, e.e. y corff llywodraethu neu bwyllgor a enwir) — rhowch ef",
)


def test_the_importers_own_notes_warnings_and_missing_lines(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, english_words: set[str]
) -> None:
    """What the importer writes about a document (kept in English: --json) said as the school
    reads it: a value's note in the table, a warning, what is missing."""
    document = tmp_path / "caps.md"
    document.write_text(CAPITALS, encoding="utf-8")
    code, said = _run(env, monkeypatch, "en", "policies", "import", str(document))
    assert code == 1
    for english in ENGLISH_OWN:
        assert english in said, (english, said)
    code, said = _run(env, monkeypatch, "cy", "policies", "import", str(document))
    for welsh in WELSH_OWN:
        assert welsh in said, (welsh, said)
    assert "capitals" not in said and "longest" not in said
    under = _under_table(said).split("heb ei gadw:")[0]
    for value in ("Facebook", "Instagram"):  # what the document names, as written
        under = under.replace(value, " ")
    assert _english_left([under], english_words) == []
    code, said = _run(env, monkeypatch, "cy+en", "policies", "import", str(document))
    assert f"rhybudd / warning {WELSH_OWN[2][8:]}{BETWEEN}{ENGLISH_OWN[2][8:]}" in said, said
    code, said = _run(env, monkeypatch, "cy", "policies", "import", "--json", str(document))
    assert ENGLISH_OWN[3][8:] in said and "rhowch ef" not in said


@pytest.mark.parametrize(
    "language,mark,sentence",
    [
        (
            "en",
            "error:",
            "--title, --version-label, --adopted, --next-review and --approved-by describe one "
            "document: import it on its own",
        ),
        (
            "cy",
            "gwall:",
            "mae --title, --version-label, --adopted, --next-review a --approved-by yn disgrifio "
            "un ddogfen: mewnforiwch hi ar ei phen ei hun",
        ),
    ],
)
def test_typed_details_for_two_documents_are_refused_in_the_schools_language(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    unreadable: list[Path],
    language: str,
    mark: str,
    sentence: str,
) -> None:
    code, said = _run(
        env, monkeypatch, language, "policies", "import", "--title", "X", *map(str, unreadable[:2])
    )
    assert code == 2 and f"{mark} {sentence}" in said, said


def test_the_registers_notes_on_storing_speak_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A lead the document names who is not in the directory: noted when it is stored."""
    document = tmp_path / "amddiffyn.md"
    document.write_text(
        "# Child Protection Policy\n\nNext review: 30 September 2027\n\n"
        "Approved by: the governing body\n\nDesignated Safeguarding Lead: Zed Nobody\n",
        encoding="utf-8",
    )
    code, said = _run(env, monkeypatch, "cy", "policies", "import", "--yes", str(document))
    assert code == 0 and "nodyn 1 arweinydd a enwir heb ei ganfod yn y cyfeiriadur" in said, said
    code, said = _run(env, monkeypatch, "en", "policies", "import", "--yes", str(document))
    assert "note 1 named lead not found in the directory" in said, said


# from tests/core/test_i18n_set_q.py (main)
def test_a_worked_out_dates_note_is_said_with_its_endings(tmp_path: Path) -> None:
    """A next review worked out from a ratified date with no cycle stated: its note, and the
    warning holding it, read back whole (the note's bracketed ending after the rest)."""
    from bot.features.policies.typed import Typed, read_document

    document = tmp_path / "polisi.md"
    document.write_text("# Online Safety Policy\n\nRatified: 14 October 2026\n", encoding="utf-8")
    imported = read_document(document, Typed(None, None, None, None, None))
    assert imported.next_review is not None
    note = imported.next_review.note  # its sentences and values, said where shown
    english = "ratified 2026-10-14 (line 3) + 12 months (cycle assumed: not stated in the document)"
    welsh = (
        "cadarnhawyd yn ffurfiol 2026-10-14 (llinell 3) + 12 mis (tybiwyd y cylch: heb ei nodi yn "
        "y ddogfen)"
    )
    assert str(note) == english
    assert said_in("cy", note) == welsh
    assert said_in("cy+en", note) == f"{welsh}{BETWEEN}{english}"
    assert said_in("en", note) == english
    [warning] = [w for w in imported.warnings if str(w).startswith("next review date")]
    assert said_in("cy", warning) == (
        f"dyddiad yr adolygiad nesaf: heb ei nodi; wedi'i gyfrifo fel 2027-10-14 o {welsh} — "
        "cadarnhewch"
    )
