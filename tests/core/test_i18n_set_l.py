"""The school's language, set L: school.yaml's own problem lines (file, line, field and what is
wrong) under a settings problem — the setup page, the dashboard, the settings-problem email and
the settings pages' refusals — said in the school's language.

Each line is stored as the checks write it in English; ``bot.core.config.said`` says it in the
reader's language against the catalogue's sentences (our own checks' and pydantic's), the
values (the file, the YAML path, what was typed) as written. One trust is built for the module:
a good Welsh-medium school and three schools held with the same bad entry, in ``cy``, ``en``
and ``cy+en``. Welsh must leave no English (the word check of ``tests/core/test_i18n.py``, with
the keys and values a school types taken out); English reads exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from pydantic import ValidationError

from bot.core.config import OrgConfig
from bot.core.config.reading import located_problems
from bot.core.config.said import PYDANTIC, _sentences, say_check, say_problem, say_problems
from bot.core.i18n import BETWEEN, translations
from bot.engine.settings_problems import PURPOSE as SETTINGS
from bot.engine.settings_problems import record_settings
from bot.features.setup.rules import SetupError, edit_school
from tests.core.test_i18n import _english_left, _Visible
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.core.test_i18n_set_k import HELD_BACK
from tests.features.decisions.test_support import Env, make_env
from tests.support.helpers import SchoolBuilder, at, outbox_as_sent

TODAY = date(2026, 11, 23)
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
    "YAML",
    "Hyfforddiant",
    "maybe",
    "Hydref",
    "Ysgol Derw",
    "Ysgol Onnen",
    "Oak Test School",
    "Ash Primary",
    "two years",
    "true",
    "false",
    "BBBB-MM-DD",
    "COMPLIANCE_BOT_CONFIG_FILE",
    "compliance-bot demo",
    "cafwyd",
)


def _left(texts: list[str], english: set[str]) -> list[str]:
    """The English left in ``texts`` once what the school typed is taken out."""
    plain = []
    for text in texts:
        text = _TYPED.sub(" ", text)
        for value in (*_TYPED_WORDS, *HELD_BACK):  # held-back terms: English by design
            text = text.replace(value, " ")
        plain.append(text)
    return _english_left(plain, english)


@pytest.fixture(scope="module", autouse=True)
def _monday() -> Iterator[None]:
    """The whole module on Monday 23 November 2026 from 10:00 (sign-ins stay fresh)."""
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, _monday: None) -> Iterator[Env]:
    """A Welsh-medium school of a trust (its admin the trust's) and three schools held with the
    same bad entry, one in each language; the sweep's record of their problems made once."""
    builder = SchoolBuilder(tmp_path_factory.mktemp("cy-l") / "school")
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


# --------------------------------------------------------------------------- the email


def test_the_settings_problem_email_says_what_to_fix_in_welsh(
    emails: dict[str, Any], english_words: set[str]
) -> None:
    welsh = emails["derw"]
    lines = _fix_lines(welsh.payload["text"])
    assert len(lines) >= 6, lines
    assert any(
        "llinell" in line and ", maes schools[1].colour: allwedd anhysbys" in line for line in lines
    ), lines
    assert _left(lines, english_words) == []
    parser = _Visible()
    parser.feed(welsh.payload["html"])
    assert parser.lang == "cy"
    assert _left([welsh.subject, *parser.texts], english_words) == []


def test_the_english_email_says_the_checks_lines_as_before(emails: dict[str, Any]) -> None:
    lines = _fix_lines(emails["ash"].payload["text"])
    said = "\n".join(lines)
    assert re.search(
        r"school\.yaml line \d+: schools\[2\]\.colour: unknown key \(check the "
        r"spelling\)",
        said,
    ), said
    assert "schools[2].sending_window.start: write the time as 16:30 (got 930)" in said
    assert "schools[2].terms[0]: term 'Hydref 1' ends before it starts" in said
    assert "Input should be less than or equal to 7" in said
    assert "allow_anonymous: Input should be a valid boolean, unable to interpret input" in said
    assert "full_every: write a period such as '2 years' or '18 months' (got 'two years')" in said
    assert "llinell" not in said


def test_a_dual_language_email_says_each_line_in_welsh_then_english(
    emails: dict[str, Any],
) -> None:
    lines = _fix_lines(emails["onn"].payload["text"])
    assert lines and all(BETWEEN in line for line in lines), lines
    welsh, english = lines[1].split(BETWEEN, 1)
    assert "llinell" in welsh and " line " in english and say_problem(english, "cy") == welsh


# --------------------------------------------------------------------------- the pages


def test_the_setup_page_shows_the_problems_in_welsh(env: Env, english_words: set[str]) -> None:
    response = env.client("admin").get("/setup")
    assert response.status_code == 200
    parser = _Visible()
    parser.feed(response.text)
    assert parser.lang == "cy"
    fix = [t for t in parser.texts if "school.yaml" in t]
    assert any("maes schools[1].colour" in t for t in fix), fix
    assert _left(parser.texts, english_words) == []


def test_a_settings_page_refusal_is_said_in_welsh(env: Env) -> None:
    org = env.context.config
    with pytest.raises(SetupError) as refused:
        edit_school(org, "oak", lambda s: s["sending_window"].update(reminders_per_week=9))
    english = "Reminders per week: Input should be less than or equal to 7."
    assert str(refused.value) == english
    welsh = refused.value.said(translations("cy"))
    assert "Dylai fod yn 7 neu lai" in welsh and "Input" not in welsh
    assert refused.value.said(translations("cy+en")) == f"{welsh}{BETWEEN}{english}"
    with pytest.raises(SetupError) as bad_head:
        edit_school(org, "oak", lambda s: s.update(headteacher="nobody"))
    assert "Input" not in bad_head.value.said(translations("cy"))


# --------------------------------------------------------------------------- every sentence


def test_every_sentence_a_check_writes_has_its_welsh(catalogue: Any) -> None:
    """Our checks' sentences and pydantic's (the types school.yaml can produce): each in the
    catalogue, translated and not fuzzy, with the same values."""
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    sentences = {s for s, _pair, _pattern in _sentences()} | set(PYDANTIC.values())
    missing = []
    for sentence in sorted(sentences):
        message = catalogue.get(sentence)
        if message is None:
            plural = next(
                (m for m in catalogue if isinstance(m.id, tuple) and sentence in m.id), None
            )
            if plural is None or plural.fuzzy or not all(plural.string):
                missing.append(sentence)
            continue
        if message.fuzzy or not message.string:
            missing.append(sentence)
        elif not set(placeholder.findall(str(message.string))) <= set(
            placeholder.findall(sentence)
        ):
            missing.append(f"{sentence} (values differ)")
    assert missing == []
    assert len(sentences) > 70


@pytest.mark.parametrize(
    "entry,english,welsh",
    [
        (
            {"language": "Cymraeg"},
            "Input should be 'en', 'cy' or 'cy+en'",
            "Dylai fod yn 'en', 'cy' neu 'cy+en'",
        ),
        (
            {"sending_window": {"start": "08:00", "end": "07:00"}},
            "the sending window ends (07:00) before it starts (08:00); write e.g. start: 08:00 and "
            "end: 17:00",
            "mae'r cyfnod anfon yn gorffen (07:00) cyn iddo ddechrau (08:00)",
        ),
        (
            {"directory": {"max_removal_share": 2}},
            "max_removal_share must be a share above 0 and at most 1, e.g. 0.10 or '10%' (got 2)",
            "e.e. 0.10 neu '10%' (cafwyd 2)",
        ),
        (
            {"terms": [{"name": "Haf", "start": "2099-01-01", "end": "2099-02-01"}]},
            "is too far ahead",
            "mlynedd o heddiw); gwiriwch y flwyddyn",
        ),
    ],
    ids=["literal", "window", "percent", "plural-years"],
)
def test_a_real_problem_line_reads_back_in_welsh(
    entry: dict[str, Any], english: str, welsh: str
) -> None:
    school = {
        "id": "oak",
        "name": "Oak",
        "country": "wales",
        "headteacher": "h@oak.example",
        **entry,
    }
    with pytest.raises(ValidationError) as failed:
        OrgConfig.model_validate({"organisation": {"name": "T"}, "schools": [school]})
    lines = [said for _loc, _line, said in located_problems("school.yaml", "", failed.value)]
    line = next(line for line in lines if english in line)
    cy = say_problem(line, "cy")
    assert welsh in cy and english not in cy, cy
    assert say_problem(line, "en") == line


def test_lines_no_sentence_matches_are_shown_as_written() -> None:
    assert say_check("something only a newer check says", "cy") == (
        "something only a newer check says"
    )
    header = "school.yaml: 3 problems, each to fix:"
    assert say_problems(header, "cy") == ["school.yaml: 3 problem, pob un i'w gywiro:"]
    saved = (
        "the settings saved on 26 November 2026: schools[0].colour: unknown key (check the "
        "spelling)"
    )
    assert say_problem(saved, "cy") == (
        "y gosodiadau a gadwyd ar ddydd Iau 26 Tachwedd 2026, maes schools[0].colour: allwedd "
        "anhysbys (gwiriwch y sillafu)"
    )


# --------------------------------------------------------------------------- the command line


def _run(env: Env, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """A command of the Welsh school's install, its output on one line (Rich wraps)."""
    from typer.testing import CliRunner

    from bot.cli.main import app

    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.builder.home))
    result = CliRunner().invoke(app, list(args))
    return " ".join(result.output.split())


def test_the_training_import_speaks_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    export = env.builder.home.parent / "hyfforddiant.csv"
    export.write_text("email,course,completed_on\namy@oak.example,Tân,20/11/2026\n")
    said = _run(env, monkeypatch, "training", "import", str(export))
    assert "0 wedi'u mewnforio, 0 yno eisoes, 1 wedi'u gwrthod." in said, said
    assert "hyfforddiant.csv llinell 2, colofn 'course': nid yw 'Tân' yn un o gyrsiau" in said
    said_by_import = said[said.index("wedi'i hepgor") :].replace("'course'", " ")  # its column
    assert _left([said_by_import], english_words) == []
    missing = _run(env, monkeypatch, "training", "import", str(export.with_name("dim.csv")))
    assert "dim.csv: ni chafwyd hyd i'r ffeil" in missing


def test_the_scr_import_speaks_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    sheet = env.builder.home.parent / "scr.csv"
    sheet.write_text(
        "Surname,Forename,Identity checked,Barred list check,DBS certificate number\n"
        "Sur001,Fore001,01/08/2020,01/08/2020,001234567890\n"
    )
    said = _run(env, monkeypatch, "scr", "import", str(sheet), "--as-of", TODAY.isoformat())
    assert "hepgorwyd y golofn 'DBS certificate number': nid yw data fetio'n cael ei gadw" in said
    assert "rhesi a ddarllenwyd: 1 (0 wedi'u paru â phobl yr ysgol, 1 heb eu paru)" in said, said
    # what the import says (the install's "Database: … using …" line before it is not its own)
    assert _left([said[said.index("hepgorwyd") :]], english_words) == []
    assert "001234567890" not in said


@pytest.mark.parametrize(
    "states,english",
    [
        (["new"], "1 file read: 1 stored."),
        (
            ["new", "same", "copy", "copy", "waiting"],
            "5 files read: 1 stored, 1 already in the register, unchanged, 2 copies of another "
            "document, not stored again, 1 not stored. Rerun with --yes to store it.",
        ),
        ([], "0 files read: nothing stored."),
    ],
    ids=["one", "each", "none"],
)
def test_the_policy_import_summary_speaks_the_schools_language(
    states: list[str], english: str, english_words: set[str]
) -> None:
    from bot.features.policies.import_cli import _Outcome, import_summary

    made = {
        "new": {"stored": True},
        "same": {"stored": True, "already_stored": True},
        "copy": {"same_as": "cp"},
        "waiting": {},
    }
    outcomes = [_Outcome(f"{n}.docx", **made[state]) for n, state in enumerate(states)]
    assert import_summary(outcomes) == english
    assert import_summary(outcomes, translations("en")) == english
    welsh = import_summary(outcomes, translations("cy"))
    assert welsh.startswith("Darllenwyd ") and _left([welsh], english_words) == []
    assert import_summary(outcomes, translations("cy+en")) == f"{welsh}{BETWEEN}{english}"


@pytest.mark.parametrize(
    "line,welsh",
    [
        (
            "x.csv line 3: email nobody@oak.example is not in the directory",
            "x.csv llinell 3: nid yw email nobody@oak.example yn y cyfeiriadur",
        ),
        ("x.csv line 2: email and name empty", "x.csv llinell 2: email a name yn wag"),
        (
            "x.csv line 4: completed_on not a date: '31/13/2026' (use 2026-09-14 or 14/09/2026)",
            "x.csv llinell 4: completed_on: nid yw'n ddyddiad: '31/13/2026' (defnyddiwch "
            "2026-09-14 neu 14/09/2026)",
        ),
        (
            "x.csv line 7, column 'Course Name': unknown course 'Online Safety Training' — did you "
            "mean 'Online safety'?",
            "x.csv llinell 7, colofn 'Course Name': cwrs anhysbys 'Online "
            "Safety Training' — ai 'Online safety' oedd dan sylw?",
        ),
        (
            "x.csv line 6: completed_on 2027-01-01 is in the future",
            "x.csv llinell 6: completed_on: mae 2027-01-01 yn y dyfodol",
        ),
        (
            "x.csv line 10: completed_on 1900-01-01 is too long ago — the earliest date "
            "accepted is 2000-01-01; check the year",
            "x.csv llinell 10: completed_on: mae 1900-01-01 yn rhy "
            "bell yn ôl — y dyddiad cynharaf a dderbynnir yw 2000-01-01; gwiriwch y flwyddyn",
        ),
    ],
    ids=["directory", "nobody", "not-a-date", "did-you-mean", "future", "window"],
)
def test_a_training_rows_problem_reads_back_in_welsh(line: str, welsh: str) -> None:
    from bot.features.training.service import row_problem

    assert row_problem(line, "cy") == welsh
    assert row_problem(line, "en") == line
    assert row_problem(line, "cy+en") == f"{welsh}{BETWEEN}{line}"


def test_an_scr_sheets_refusal_speaks_the_schools_language(
    env: Env, monkeypatch: pytest.MonkeyPatch, english_words: set[str]
) -> None:
    bad = env.builder.home.parent / "scr-drwg.csv"
    bad.write_text(
        "Surname,Forename,Identity checked,Barred list check\n"
        "Sur001,Fore001,maybe 0012345678901,01/08/2020\n"
        ",,01/08/2020,01/08/2020\n"
    )
    said = _run(env, monkeypatch, "scr", "import", str(bad), "--as-of", TODAY.isoformat())
    assert (
        "scr-drwg.csv rhes 2 (Sur001): nid yw 'Identity checked' yn ddyddiad fel 01/09/2026" in said
    ), said
    assert "scr-drwg.csv rhes 3: mae 'Surname' ar goll" in said
    assert "0012345678901" not in said
    rows = said[said.index("scr-drwg.csv rhes 2") : said.index("ar goll") + 7]
    assert _left([rows.replace("'Identity checked'", " ")], english_words) == []
