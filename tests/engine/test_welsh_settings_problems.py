"""A school's settings problems in its language: school.yaml's problem lines (file, line, field,
what is wrong) kept as the catalogue's sentences and their values, and said where shown — the
settings-problem email (a held school's in the language its entry asks, both when that cannot be
told), the setup page, a settings page's refusal and ``compliance-bot status`` — in ``cy`` with
no English left (the word check of ``tests/core/test_i18n.py``, what the school typed taken
out), ``cy+en`` Welsh first, English as it always read.

One trust for the module: a good Welsh-medium school and three schools held with the same bad
entry, in ``cy``, ``en`` and ``cy+en``; the sweep's record of their problems made once."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
import typer
from pydantic import ValidationError
from rich.console import Console

from bot.cli.status import _print_settings_problems
from bot.core.config import OrgConfig, said
from bot.core.config.per_school import SettingsProblem
from bot.core.config.reading import located_problems
from bot.core.config.said import CHECKS, PYDANTIC, check, counted, problem_line, saved_on
from bot.core.language.i18n import BETWEEN, Msg, said_in, speaking
from bot.engine import settings_problems
from bot.engine.commands import fail
from bot.engine.settings_problems import PURPOSE as SETTINGS
from bot.engine.settings_problems import record_settings
from bot.features.setup.rules import SetupError, edit_school
from tests.core.test_i18n import SCHOOL_NAME, _english_left, _Visible, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.features.decisions.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder, at, outbox_as_sent

TODAY = date(2026, 11, 23)
KEPT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00
# one entry, many problems: a mistyped key, a missing one, a literal, a time, a period, a term
BAD: dict[str, Any] = {
    "country": "wales",
    "headteacher": "pennaeth@derw.example",
    "colour": "green",
    "sending_window": {"start": 930, "reminders_per_week": 9},
    "terms": [{"name": "Hydref 1", "start": "2026-10-23", "end": "2026-09-02"}],
    "reports": {"clocks": {"warn_at": [1.5]}, "allow_anonymous": "maybe"},
    "requirements": [
        {
            "id": "kcsie",
            "kind": "complete_training",
            "title": "Hyfforddiant",
            "course": "Hyfforddiant",
            "full_every": "two years",
        }
    ],
}
HELD = {"derw": ("Ysgol Derw", "cy"), "ash": ("Ash Primary", "en"), "onn": ("Ysgol Onnen", "cy+en")}
# what a school types stays as it typed it: YAML paths, keys, quoted values, file names
_TYPED = re.compile(
    r"\S*school\.yaml|schools\[\d+\][\w.\[\]-]*|'[^']*'|\{[^}]*\}|\[[^\]]*\]|<[^>]*>"
    r"|\b\w+_\w+\b|\b\d[\d:.]*\b|\([^)]*got [^)]*\)"
)
_TYPED_WORDS = (
    "YAML", "Hyfforddiant", "maybe", "Hydref", "Ysgol Derw", "Ysgol Onnen", "Oak Test School",
    "Ash Primary", "two years", "true", "false", "BBBB-MM-DD", "COMPLIANCE_BOT_CONFIG_FILE",
    "compliance-bot demo", "cafwyd", SCHOOL_NAME, "swyddfa@brodderw.example",
    "triage",  # held back: unconfirmed in the catalogue (fuzzy), shown in English by design
)  # fmt: skip
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _left(texts: list[str], english: set[str]) -> list[str]:
    """The English left in ``texts`` once what the school typed is taken out."""
    plain = []
    for text in texts:
        text = _TYPED.sub(" ", text)
        for value in _TYPED_WORDS:
            text = text.replace(value, " ")
        plain.append(text)
    return _english_left(plain, english)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school of a trust and three schools held with the same bad entry."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("cy-held") / "school")
    builder.organisation = {"name": "Test Trust", "trust_admins": ["admin@oak.example"]}
    builder.others = [
        {"id": sid, "name": name, "language": language, "admins": [f"admin@{sid}.example"], **BAD}
        for sid, (name, language) in HELD.items()
    ]
    made = make_env(builder, country="wales", language="cy")
    assert record_settings(made.context.store, made.context.config, at(TODAY, 10)) == 3
    yield made
    made.context.store.dispose()


@pytest.fixture(scope="module")
def emails(env: Env) -> dict[str, Any]:
    """The settings-problem email of each held school, by school id."""
    return {row.school_id: row for row in outbox_as_sent(env.context.store, SETTINGS)}


def _fix_lines(text: str) -> list[str]:
    """The lines of an email's text that say what to fix (each names school.yaml)."""
    return [line.strip() for line in text.splitlines() if "school.yaml" in line]


def _html(row: Any) -> _Visible:
    parser = _Visible()
    parser.feed(row.payload["html"])
    return parser


# --------------------------------------------------------------------------- the emails


def test_the_settings_problem_email_says_what_to_fix_in_welsh(
    emails: dict[str, Any], english_words: set[str]
) -> None:
    welsh = emails["derw"]
    assert welsh.subject == "Ysgol Derw: ni allai'r bot ddefnyddio gosodiadau newydd yr ysgol"
    lines = _fix_lines(welsh.payload["text"])
    assert len(lines) >= 6, lines
    assert any("llinell" in x and ", maes schools[1].colour: allwedd anhysbys" in x for x in lines)
    assert _left(lines, english_words) == []
    parser = _html(welsh)
    assert parser.lang == "cy" and _left([welsh.subject, *parser.texts], english_words) == []


def test_the_english_email_says_the_checks_lines_as_before(emails: dict[str, Any]) -> None:
    english = emails["ash"]
    assert english.subject == "Ash Primary: the bot could not use the school's new settings"
    said = "\n".join(_fix_lines(english.payload["text"]))
    assert re.search(r"school\.yaml line \d+: schools\[2\]\.colour: unknown key \(check the "
                     r"spelling\)", said), said  # fmt: skip
    assert "schools[2].sending_window.start: write the time as 16:30 (got 930)" in said
    assert "schools[2].terms[0]: term 'Hydref 1' ends before it starts" in said
    assert "Input should be less than or equal to 7" in said
    assert "allow_anonymous: Input should be a valid boolean, unable to interpret input" in said
    assert "full_every: write a period such as '2 years' or '18 months' (got 'two years')" in said
    assert "llinell" not in said and "Helo" not in english.payload["text"]


def test_a_dual_language_email_says_each_line_in_welsh_then_english(emails: dict[str, Any]) -> None:
    both = emails["onn"]
    assert both.subject == (
        f"Ysgol Onnen: ni allai'r bot ddefnyddio gosodiadau newydd yr ysgol{BETWEEN}"
        "Ysgol Onnen: the bot could not use the school's new settings"
    )
    text = both.payload["text"]  # the whole message in Welsh, then the whole in English
    assert text.index("Helo,") < text.index("llinell") < text.index("Hello,") < text.index(" line ")
    lines = _fix_lines(text)
    assert len(lines) % 2 == 0 and not any(BETWEEN in line for line in lines), lines
    welsh, english = lines[: len(lines) // 2], lines[len(lines) // 2 :]
    assert all("llinell" in w and " line " in e for w, e in zip(welsh, english, strict=True))


def test_a_never_configured_school_whose_language_cannot_be_told_reads_both(tmp_path: Path) -> None:
    builder = SchoolBuilder(tmp_path / "school")
    builder.others = [{"id": "onn", "name": "Ysgol Onnen", "admins": ["admin@onn.example"],
                       **BAD, "language": "Cymraeg"}]  # fmt: skip
    context = make_env(builder, country="wales", language="cy").context
    assert record_settings(context.store, context.config, at(TODAY, 10)) == 1
    (row,) = outbox_as_sent(context.store, SETTINGS)
    assert row.subject.startswith("Ysgol Onnen: ni allai'r bot ddefnyddio gosodiadau newydd")
    assert row.subject.endswith(f"{BETWEEN}Ysgol Onnen: the bot could not use the school's new "
                                "settings")  # fmt: skip
    context.store.dispose()


def _settings_email(language: str | None, kept: datetime | None, monkeypatch: Any,
                    asks: str | None = None) -> Any:  # fmt: skip
    sent: list[Any] = []
    monkeypatch.setattr(
        settings_problems, "enqueue_email", lambda session, **kw: sent.append(kw["draft"]) or True
    )
    line = problem_line("school.yaml", check("warn_days"), line=4, field="schools[0].dsl")
    problem = SettingsProblem("bro-derw", SCHOOL_NAME, (line,), kept, language=asks)
    session = SimpleNamespace(get=lambda *args: object())
    to = ["swyddfa@brodderw.example"]
    told = school(language) if language else None
    settings_problems._tell(session, problem, told, to)  # type: ignore[arg-type]
    return sent[0]


@pytest.mark.parametrize("kept", [None, KEPT], ids=["held", "kept"])
def test_the_settings_problem_email_of_one_line_is_welsh(
    kept: datetime | None, english_words: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = _settings_email("cy", kept, monkeypatch)
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    assert parser.lang == "cy" and "school.yaml llinell 4, maes schools[0].dsl: " in text
    assert _left([draft.subject, *parser.texts, *text.splitlines()], english_words) == []
    both = _settings_email("cy+en", kept, monkeypatch)
    english = _settings_email("en", kept, monkeypatch)
    assert both.subject.endswith(f"{BETWEEN}{english.subject}")
    assert both.parts()[0].count("school.yaml line 4: schools[0].dsl: ") == 1  # English once


def test_the_settings_problem_email_reads_as_before_in_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # held from the start: its entry's language (English when it names none) decides
    for language, asks in (("en", None), (None, "en")):
        draft = _settings_email(language, KEPT, monkeypatch, asks)
        assert draft.subject == f"{SCHOOL_NAME}: the bot could not use the school's new settings"
        assert (
            f"The bot checked the settings for {SCHOOL_NAME} and found a problem, so it has not "
            "applied them. Until it is fixed the bot carries on with the school's settings as "
            "they were when it last accepted them, on Monday 23 November 2026: reminders and "
            "the rest go on as before. The other schools are not affected."
        ) in " ".join(draft.parts()[0].split())


# --------------------------------------------------------------------------- the pages


def test_the_setup_page_shows_the_problems_in_welsh(env: Env, english_words: set[str]) -> None:
    response = env.client("admin").get("/setup")
    assert response.status_code == 200
    parser = _Visible()
    parser.feed(response.text)
    assert parser.lang == "cy"
    assert any("maes schools[1].colour" in t for t in parser.texts if "school.yaml" in t)
    assert _left(parser.texts, english_words) == []


def test_a_settings_page_refusal_is_said_in_welsh(env: Env) -> None:
    org = env.context.config
    with pytest.raises(SetupError) as refused:
        edit_school(org, "oak", lambda s: s["sending_window"].update(reminders_per_week=9))
    english = "Reminders per week: Input should be less than or equal to 7."
    assert str(refused.value) == english
    welsh = said_in("cy", refused.value.msg)
    assert "Dylai fod yn 7 neu lai" in welsh and "Input" not in welsh
    assert said_in("cy+en", refused.value.msg) == f"{welsh}{BETWEEN}{english}"
    with pytest.raises(SetupError) as bad_head:
        edit_school(org, "oak", lambda s: s.update(headteacher="nobody"))
    assert "Input" not in said_in("cy", bad_head.value.msg)


# --------------------------------------------------------------------------- every sentence


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    """Every call of ``name`` in the config package, with its module's name."""
    return [
        (path.name, node)
        for path in sorted(Path(said.__file__).parent.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def test_every_check_error_names_a_sentence_of_the_table() -> None:
    raised = [node.args[0] for _module, node in _calls("CheckError")]
    keys = [arg.value for arg in raised if isinstance(arg, ast.Constant)]
    assert len(keys) > 40 and set(keys) <= set(CHECKS)  # a key written out, never a sentence
    # else a catalogue sentence made elsewhere (a date window's problem), passed by name
    assert all(isinstance(arg, (ast.Constant, ast.Name)) for arg in raised)


def test_every_sentence_a_check_writes_has_its_welsh_with_the_same_values(catalogue: Any) -> None:
    """Our checks' sentences and pydantic's (the types school.yaml can produce)."""
    wrong = []
    for sentence in sorted(set(CHECKS.values()) | set(PYDANTIC.values())):
        message = catalogue.get(sentence)
        if message is None or message.fuzzy or not message.string:
            wrong.append(sentence)
        elif set(_PLACEHOLDER.findall(str(message.string))) != set(_PLACEHOLDER.findall(sentence)):
            wrong.append(f"{sentence} (values differ)")
    assert wrong == []
    assert len(CHECKS) + len(PYDANTIC) > 70


@pytest.mark.parametrize(
    "entry,english,welsh",
    [
        ({"language": "Cymraeg"}, "Input should be 'en', 'cy' or 'cy+en'",
         "Dylai fod yn 'en', 'cy' neu 'cy+en'"),
        ({"sending_window": {"start": "08:00", "end": "07:00"}},
         "the sending window ends (07:00) before it starts (08:00); write e.g. start: 08:00 and "
         "end: 17:00", "mae'r cyfnod anfon yn gorffen (07:00) cyn iddo ddechrau (08:00)"),
        ({"directory": {"max_removal_share": 2}},
         "max_removal_share must be a share above 0 and at most 1, e.g. 0.10 or '10%' (got 2)",
         "e.e. 0.10 neu '10%' (cafwyd 2)"),
        ({"terms": [{"name": "Haf", "start": "2099-01-01", "end": "2099-02-01"}]},
         "is too far ahead", "mlynedd o heddiw); gwiriwch y flwyddyn"),
    ],
    ids=["literal", "window", "percent", "plural-years"],
)  # fmt: skip
def test_a_real_problem_keeps_its_sentence_and_values_and_is_said_in_welsh(
    entry: dict[str, Any], english: str, welsh: str
) -> None:
    entry = {"id": "oak", "name": "Oak", "country": "wales", "headteacher": "h@oak.ex", **entry}
    with pytest.raises(ValidationError) as failed:
        OrgConfig.model_validate({"organisation": {"name": "T"}, "schools": [entry]})
    lines = [line for _loc, _n, line in located_problems("school.yaml", "", failed.value)]
    line = next(line for line in lines if english in line.said("en"))
    assert isinstance(line, Msg)  # stored as its sentence and values, never rendered text
    assert welsh in line.said("cy") and english not in line.said("cy")


def test_the_file_level_lines_are_said_in_welsh() -> None:
    assert said_in("cy", counted("school.yaml", 3)) == "school.yaml: 3 problem, pob un i'w gywiro:"
    unknown = Msg(PYDANTIC["extra_forbidden"])
    saved_day = saved_on(datetime(2026, 11, 26, 9, tzinfo=UTC))
    saved = problem_line(saved_day, unknown, line=None, field="schools[0].colour")
    assert said_in("en", saved) == (
        "the settings saved on 26 November 2026: schools[0].colour: unknown key (check the "
        "spelling)"
    )
    assert said_in("cy", saved) == (
        "y gosodiadau a gadwyd ar ddydd Iau 26 Tachwedd 2026, maes schools[0].colour: allwedd "
        "anhysbys (gwiriwch y sillafu)"
    )


# --------------------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def status(env: Env) -> dict[str, list[str]]:
    """What ``status`` prints of the settings problems, each school's lines by its name."""
    console = Console(record=True, width=2000)  # one line a school
    with env.context.store.session() as session:
        _print_settings_problems(console, session, env.context.config)
    lines = console.export_text().splitlines()
    starts = [i for i, line in enumerate(lines) if not line.startswith("  ")] + [len(lines)]
    return {
        name: lines[start:end]
        for start, end in itertools.pairwise(starts)
        for name, _language in HELD.values()
        if name in lines[start]
    }


def test_status_says_each_schools_settings_problems_in_its_language(
    status: dict[str, list[str]], english_words: set[str]
) -> None:
    welsh = status["Ysgol Derw"]
    assert welsh[0].startswith("Gosodiadau heb eu rhoi ar waith: Mae problem gyda gosodiadau")
    assert any("maes schools[1].colour" in line for line in welsh) and len(welsh) > 5
    assert _left(welsh, english_words) == []
    english = status["Ash Primary"]
    assert english[0].startswith("Settings not applied: Ash Primary's settings have a problem")
    assert any("schools[2].colour: unknown key (check the spelling)" in x for x in english)
    both = status["Ysgol Onnen"]
    assert both[0].startswith(f"Gosodiadau heb eu rhoi ar waith:{BETWEEN}Settings not applied: ")
    fix = [line for line in both[1:] if "colour" in line]
    assert fix and all(BETWEEN in line for line in fix)
    cy, en = fix[0].strip().split(BETWEEN)
    assert "maes schools[3].colour" in cy and "unknown key (check the spelling)" in en


@pytest.mark.parametrize(
    "language,mark", [("en", "error: "), ("cy", "gwall: "), ("cy+en", f"gwall:{BETWEEN}error: ")]
)
def test_a_commands_error_mark_is_said_in_the_commands_language(
    language: str, mark: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with speaking(language), pytest.raises(typer.Exit) as stopped:
        fail("x")
    assert stopped.value.exit_code == 2
    assert capsys.readouterr().err == f"{mark}x\n"
