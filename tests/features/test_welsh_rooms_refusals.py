"""The school's language: the sentence after "gwall:" in the feature rooms' commands
(reports, decisions, governors, reviews, campaign, policies, training) said in the school's
language, so a Welsh school's refusal is one Welsh line, not a Welsh mark before English.

One Welsh-medium school is built for the module and its ``language:`` changed between runs of
the real command line (``cy``, ``cy+en``, ``en``). Welsh must leave no English (the word check
of ``tests/core/test_i18n.py``, with what the person or the school typed taken out); English
reads exactly as before. A scan of the rooms' ``cli.py`` files fails on any refusal that is not
a catalogue sentence said in the school's language, but for the few said before any school is
read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.language.i18n import BETWEEN
from tests.core.test_i18n import _english_left
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env
from tests.support.welsh_school import _monday as _monday
from tests.support.welsh_school import env as env
from tests.support.welsh_school import run as _run

ROOT = Path(__file__).resolve().parents[2]


# the usual terms around 23 November 2026, as the governors' report names them
YEARS = ((2025, 2026, 2026), (2026, 2027, 2027), (2027, 2028, 2028))
TERMS = ", ".join(f"Autumn {a}, Spring {s}, Summer {u}" for a, s, u in YEARS)
TERMS_CY = ", ".join(
    f"Tymor yr hydref {a}, Tymor y gwanwyn {s}, Tymor yr haf {u}" for a, s, u in YEARS
)
# a refusal from each room: the command, its exit code, the Welsh, the English as before, and
# what the person or the school typed (names, terms, codes), taken out before the word check
CASES: list[tuple[tuple[str, ...], int, str, str, tuple[str, ...]]] = [
    (
        ("reports", "list", "--show", "--as", "nobody@oak.example"),
        2,
        "nid yw nobody@oak.example yn un o'r canlynol yn oak: DSP; dirprwy DSP; pennaeth; ar eu "
        "cyfer nhw yn unig y mae adroddiadau.",
        "nobody@oak.example is not a DSP, deputy DSP or headteacher of oak; reports are only for "
        "them.",
        ("nobody@oak.example", "DSP"),
    ),
    (
        ("reports", "about", "CR-2026-ZZZZZ", "amy@oak.example", "--as", "dsl@oak.example"),
        2,
        "nid oes gan oak adroddiad CR-2026-ZZZZZ.",
        "oak has no report CR-2026-ZZZZZ.",
        ("CR-2026-ZZZZZ",),
    ),
    (
        ("decisions", "list", "--show"),
        2,
        "mae --show yn rhestru manylion personol: dywedwch pwy ydych chi gyda --as EMAIL (un o'r "
        "canlynol: DSP; dirprwy DSP; pennaeth; caiff ei gofnodi).",
        "--show lists personal details: say who you are with --as EMAIL (a DSP, deputy DSP or "
        "headteacher; it is recorded).",
        ("--show", "--as EMAIL", "DSP"),
    ),
    (
        ("governors", "report", "--term", "Gaeaf"),
        2,
        f"tymor anhysbys 'Gaeaf'; y tymhorau yw: {TERMS_CY}",
        f"unknown term 'Gaeaf'; the terms are: {TERMS}",
        ("'Gaeaf'",),
    ),
    (
        ("reviews", "outcome", "1", "--task", "x", "--by", "amy@oak.example", "--outcome", " "),
        2,
        "--outcome: ysgrifennwch ganlyniad yr adolygiad mewn brawddeg neu ddwy.",
        "--outcome: write the review's outcome in a sentence or two.",
        ("--outcome",),
    ),
    (
        ("reviews", "record", "nonsense", "--what", "Offeryn AI"),
        2,
        "nid yw 'nonsense' yn fath o newid y mae'r bot yn ei adnabod (un o: new_technology, "
        "working_practice, incident, provider, guidance, phone_guidance).",
        "'nonsense' is not a kind of change the bot knows (one of: new_technology, "
        "working_practice, incident, provider, guidance, phone_guidance).",
        (
            "'nonsense'",
            "new_technology",
            "working_practice",
            "incident",
            "provider",
            "phone_guidance",
            "guidance",
        ),
    ),
    (
        ("campaign", "add", "read-nope", "--file", "x.pdf", "--title", "T", "--audience", "all"),
        2,
        "nid oes gan Oak Test School ymgyrch ddarllen o'r enw 'read-nope' (nid oes un eto: "
        "ychwanegwch ofyniad reading_campaign)",
        "Oak Test School has no reading campaign called 'read-nope' (there are: none yet (add a "
        "reading_campaign requirement))",
        ("Oak Test School", "'read-nope'", "reading_campaign"),
    ),
    (
        ("policies", "confirm-date", "no-such-policy"),
        2,
        "dim polisi 'no-such-policy' (gweler `policies list`)",
        "no policy 'no-such-policy' (see `policies list`)",
        ("'no-such-policy'", "`policies list`"),
    ),
    (
        ("policies", "review", "no-such-policy", "--date", "1990-01-01", "--body", "FGB"),
        2,
        "--date (cyfarfod yr adolygiad): mae 1990-01-01 yn rhy bell yn ôl — y dyddiad cynharaf "
        "a dderbynnir yw 2000-01-01; gwiriwch y flwyddyn.",
        "--date (the review meeting): 1990-01-01 is too long ago — the earliest date accepted "
        "is 2000-01-01; check the year.",
        ("--date",),
    ),
    (
        ("training", "import", "dim-ffeil.csv"),
        2,
        "dim-ffeil.csv: ni chafwyd hyd i'r ffeil",
        "dim-ffeil.csv: file not found",
        ("dim-ffeil.csv",),
    ),
]
IDS = [" ".join(case[0][:3]) for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_welsh_schools_refusal_is_welsh(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    english_words: set[str],
    case: tuple[tuple[str, ...], int, str, str, tuple[str, ...]],
) -> None:
    args, exit_code, welsh, _, typed = case
    code, said = _run(env, monkeypatch, "cy", *args)
    assert code == exit_code, said
    assert f"gwall: {welsh}" in said, said
    assert "error:" not in said
    plain = welsh
    for value in typed:
        plain = plain.replace(value, " ")
    assert _english_left([plain], english_words) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_dual_language_schools_refusal_is_welsh_then_english(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[tuple[str, ...], int, str, str, tuple[str, ...]],
) -> None:
    args, exit_code, welsh, english, _ = case
    code, said = _run(env, monkeypatch, "cy+en", *args)
    assert code == exit_code, said
    assert f"gwall:{BETWEEN}error: {welsh}{BETWEEN}{english}" in said, said


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_an_english_schools_refusal_is_as_before(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[tuple[str, ...], int, str, str, tuple[str, ...]],
) -> None:
    args, exit_code, _, english, _ = case
    code, said = _run(env, monkeypatch, "en", *args)
    assert code == exit_code, said
    assert f"error: {english}" in said, said
    assert "gwall" not in said and BETWEEN not in said


# --------------------------------------------------------------------------- the scan

# refusals said before any school's settings are read, so in no school's language (each the
# command's function, and why)
NO_SCHOOL = {
    ("dashboard", "teams_package"): "the Teams package is built for an install, not a school",
    ("dashboard", "digest"): "its options are checked before the settings are read",
    ("evidence", "evidence_verify"): "an inspector checks a pack away from the school",
    ("reports", "microsoft_form"): "the install's Microsoft 365 settings, read before a school",
}
# a call that says a catalogue sentence (``tr.gettext``, ``exc.said(tr)``, ``lines_in``, …)
SAYING = {"_", "gettext", "ngettext", "said", "say", "nsay", "Msg", "nmsg", "_refused"}


def _rooms() -> list[Path]:
    features = ROOT / "bot" / "features"
    return sorted(
        path
        for pattern in ("*/cli.py", "*/*_cli.py")
        for path in features.glob(pattern)
        if path.parent.name != "setup"
    )


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _fails(path: Path) -> Iterator[tuple[str, ast.Call]]:
    """Each ``fail(...)`` call in ``path``, with the function it is in."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and _name(node.func) == "fail":
                yield function.name, node


def _said(node: ast.expr) -> bool:
    """Whether ``node`` is a sentence of the catalogue said (filled in or not), not English
    written in the code (a string, an f-string, ``str(exc)``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _said(node.left)
    if isinstance(node, ast.Subscript):  # lines_in(...)[0]
        return _said(node.value)
    if isinstance(node, ast.Attribute) and node.attr == "msg":  # a SaidError's sentence
        return True
    return isinstance(node, ast.Call) and _name(node.func) in SAYING


def test_the_scan_finds_an_english_refusal(tmp_path: Path) -> None:
    code = (
        "def a(x, s):\n    fail(f'no {x}', language=s.language)\n"
        "def b(exc, s):\n    fail(str(exc), language=s.language)\n"
        "def c(tr):\n    fail(tr.gettext('no %(x)s') % {'x': 1})\n"
        "def d(tr, s):\n    fail(tr.gettext('no %(x)s') % {'x': 1}, language=s.language)\n"
    )
    (tmp_path / "cli.py").write_text(code)
    found = {f: _said(c.args[0]) for f, c in _fails(tmp_path / "cli.py")}
    assert found == {"a": False, "b": False, "c": True, "d": True}


def test_each_refusal_has_its_welsh(catalogue: Any) -> None:
    sentences = [
        "%(email)s is not a %(dsl)s, %(deputy)s or %(head)s of %(school)s; reports are only "
        "for them.",
        "%(email)s is not in %(school)s's directory.",
        "%(email)s may not read %(reference)s.",
        "%(reference)s is already recorded as being about someone else; ask the %(dsl)s to "
        "correct it on the report.",
        "%(school)s has no unread form response %(response)s.",
        "%(file)s: edition '%(edition)s' is already registered for %(audience)s with a "
        "different file; give this one another edition name",
        "Say in a few words what happened (up to 300 characters).",
        "The date it happened cannot be in the future.",
        "no review of '%(task)s' after event %(event)s is owed by %(by)s.",
        "%(email)s is not a %(dsl)s, %(deputy)s or %(head)s of %(school)s.",
    ]
    assert [s for s in sentences if not (m := catalogue.get(s)) or not m.string] == []


@pytest.mark.parametrize(
    "language,expected",
    [
        ("cy", "Mae'r ddolen gyhoeddus i roi gwybod wedi'i diffodd ar gyfer Oak Test School."),
        (
            "cy+en",
            "Mae'r ddolen gyhoeddus i roi gwybod wedi'i diffodd ar gyfer Oak Test School."
            f"{BETWEEN}The public report link is switched off for Oak Test School.",
        ),
        ("en", "The public report link is switched off for Oak Test School."),
    ],
)
def test_a_switched_off_report_link_is_said_in_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, language: str, expected: str
) -> None:
    env.builder.school["reports"] = {"public_link": False}
    try:
        code, said = _run(env, monkeypatch, language, "reports", "link")
    finally:
        del env.builder.school["reports"]
    assert code == 0 and said.endswith(expected), said


CAMPAIGN = {
    "id": "read-guidance",
    "kind": "reading_campaign",
    "title": "Keeping learners safe",
    "due_days": 30,
    "yearly_on": "09-01",
    "audiences": {"part-1": {"roles": ["staff"]}},
}
# an edition's file refused by the policy documents' check: its type, and its content
REFUSED_FILES = [
    (
        "rhestr.csv",
        b"a,b\n",
        "rhestr.csv: defnyddiwch ffeil .pdf, .docx, .odt, .md neu .txt ar gyfer yr argraffiad",
        "rhestr.csv: use a .pdf, .docx, .odt, .md or .txt file for the edition",
    ),
    (
        "drwg.docx",
        b"PK\x03\x04garbage",
        "drwg.docx: mae'r ffeil Word hon wedi'i difrodi neu nid yw'n ddogfen Word go iawn, felly "
        "nid ydym wedi'i hagor. Cadwch hi eto o Word (neu fel PDF) ac uwchlwythwch honno",
        "drwg.docx: this Word file is damaged or is not really a Word document, so we have not "
        "opened it. Please save it again from Word (or as a PDF) and upload that",
    ),
]


@pytest.mark.parametrize("refused", REFUSED_FILES, ids=[f[0] for f in REFUSED_FILES])
@pytest.mark.parametrize("language", ["cy", "cy+en", "en"])
def test_an_editions_file_refused_is_said_in_the_schools_language(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    language: str,
    refused: tuple[str, bytes, str, str],
) -> None:
    name, data, welsh, english = refused
    (tmp_path / name).write_bytes(data)
    env.builder.school["requirements"] = [CAMPAIGN]
    try:
        code, said = _run(
            env,
            monkeypatch,
            language,
            "campaign",
            "add",
            "read-guidance",
            "--file",
            str(tmp_path / name),
            "--title",
            "Cadw dysgwyr yn ddiogel",
            "--audience",
            "part-1",
        )
    finally:
        env.builder.school["requirements"] = []
    expected = {
        "cy": f"gwall: {welsh}",
        "cy+en": f"gwall:{BETWEEN}error: {welsh}{BETWEEN}{english}",
        "en": f"error: {english}",
    }[language]
    assert code == 2 and said.endswith(expected), said


# from tests/core/test_i18n_set_u.py (main)
def test_every_rooms_refusal_is_a_catalogue_sentence_in_the_schools_language() -> None:
    wrong: list[str] = []
    exempt_seen: set[tuple[str, str]] = set()
    for path in _rooms():
        for function, call in _fails(path):
            where = f"{path.relative_to(ROOT)}:{call.lineno} ({function})"
            if (path.parent.name, function) in NO_SCHOOL:
                exempt_seen.add((path.parent.name, function))
                continue
            if not call.args or not _said(call.args[0]):
                wrong.append(f"{where}: not a catalogue sentence said")
    assert wrong == []
    assert exempt_seen == set(NO_SCHOOL)  # each exemption still stands for a refusal
