"""The school's language: the lines the dashboard and ``/setup`` show that other rooms
write (a failing job and its step, a settings problem, the scheduler stopped, the term-dates
question) and the statement of a record made on someone's behalf.

Each sentence is built the way the pages build it and said in ``cy`` for a Welsh-medium
school: no English word left (the check of ``tests/core/test_i18n.py``, the values filled in
taken out), except a term the catalogue holds back as unconfirmed (fuzzy: shown in English by
design). ``cy+en`` says each whole sentence in Welsh first, then in English; in English each
reads exactly as before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.datastructures import UploadFile

from bot.core.config import SchoolConfig
from bot.core.config.per_school import SettingsProblem
from bot.core.days.dates import HAPPENED, REVIEW, START, DateWindowError
from bot.core.deployment.scheduler_health import SchedulerStopped
from bot.core.language.i18n import BETWEEN, Msg, said_in
from bot.core.language.words import school_words
from bot.engine.settings_problems import describe as describe_settings
from bot.engine.step_failures import ENGINE_TITLES, HELD, FailingStep, describe
from bot.engine.web.forms import TOO_LONG, UNREADABLE, checked_files
from bot.engine.web.on_behalf import (
    ACKNOWLEDGED,
    READ_EDITION,
    TRAINED,
    TRAINED_BELOW,
    on_behalf_statement,
)
from bot.features.people.rules import parse_entry
from bot.features.reports.rules import clock_summary
from bot.wiring import TITLES
from tests.core.test_i18n import SCHOOL_NAME, _english_left, _Visible, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words
from tests.support.helpers import run_async
from tests.support.speech import in_language

SINCE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in London
RECORDER = SimpleNamespace(display_name="Eirlys Puw", job_title="Rheolwr Busnes")
PERSON = SimpleNamespace(display_name="Gethin Hughes")
FILLED = ("Eirlys Puw", "Rheolwr Busnes", "Gethin Hughes", SCHOOL_NAME, "Polisi Diogelu Plant")


def _left(text: str, english: set[str]) -> list[str]:
    for value in FILLED:
        text = text.replace(value, " ")
    return _english_left([text], english)


@pytest.fixture(scope="module")
def held_back(catalogue: Any) -> set[str]:
    """The msgids the catalogue holds back (fuzzy: an unconfirmed term shown in English)."""
    return {m.id for m in catalogue if m.id and m.fuzzy}


def _failing(step: str, title: str) -> FailingStep:
    return FailingStep("bro-derw", step, title, "RuntimeError", SINCE, SINCE, 3)


@pytest.mark.parametrize("step,title", sorted({**ENGINE_TITLES, **TITLES}.items()))
def test_a_failing_job_is_said_in_welsh(
    step: str, title: str, english_words: set[str], held_back: set[str]
) -> None:
    said = in_language("cy", lambda: describe(_failing(step, title)))
    held = step == HELD  # a held directory says what ends it, not its title
    assert said.startswith(
        ("Wedi'i ddal" if held else "Ddim yn gweithio") + " ers dydd Llun 23 Tachwedd 2026, 10:00: "
    ), said
    if title in held_back:  # e.g. 'single central record': unconfirmed, left in English
        assert title in said
        said = said.replace(title, " ")
    assert _left(said, english_words) == []


def test_a_failing_job_reads_as_before_in_english_and_both_in_a_dual_school() -> None:
    failing = _failing("directory", ENGINE_TITLES["directory"])
    english = describe(failing)
    assert english == (
        "Not working since Monday 23 November 2026, 10:00: reading the staff directory "
        "(the bot's other jobs carry on)"
    )
    assert (
        in_language("cy+en", lambda: describe(failing))
        == f"{in_language('cy', lambda: describe(failing))}{BETWEEN}{english}"
    )


def _problem(kept: datetime | None) -> SettingsProblem:
    return SettingsProblem("bro-derw", SCHOOL_NAME, "school.yaml, line 4: x", kept)


def test_a_settings_problem_reads_as_before_in_english() -> None:
    assert describe_settings(_problem(SINCE)) == (
        f"{SCHOOL_NAME}'s settings have a problem, so the bot keeps using the settings it "
        "last accepted (Monday 23 November 2026) until it is fixed."
    )


@pytest.mark.parametrize("since", [None, SINCE], ids=["never", "since"])
def test_the_scheduler_stopped_notice_is_said_in_welsh(
    since: datetime | None, english_words: set[str]
) -> None:
    stopped = SchedulerStopped(since, 1800)
    welsh = said_in("cy", stopped.said)
    assert _left(welsh, english_words) == []
    assert str(stopped.said) == said_in("en", stopped.said)
    assert said_in("cy+en", stopped.said) == f"{welsh}{BETWEEN}{stopped.said}"
    if since is not None:
        assert "ers dydd Llun 23 Tachwedd 2026 am 10:00" in welsh
        assert stopped.said.startswith(
            "The bot's regular jobs have not run since Monday 23 November 2026 at 10:00: "
        )


@pytest.mark.parametrize("today", [date(2027, 7, 1), date(2027, 9, 6)], ids=["ends", "ended"])
def test_the_term_dates_question_is_said_in_welsh(today: date, english_words: set[str]) -> None:
    school = SchoolConfig.model_validate(
        {
            "id": "bro-derw",
            "name": SCHOOL_NAME,
            "country": "wales",
            "language": "cy",
            "headteacher": "pennaeth@brodderw.example",
            "terms": [{"name": "Haf", "start": "2027-04-12", "end": "2027-07-20"}],
        }
    )
    welsh = in_language("cy", lambda: school.term_dates_question(today))
    assert welsh is not None and "20 Gorffennaf 2027" in welsh, welsh
    assert _left(welsh, english_words) == []
    english = school.term_dates_question(today)
    assert english is not None and english.startswith(
        "Add next year's term dates: the last term you gave end"
    )
    assert "20 July 2027" in english
    assert (
        in_language("cy+en", lambda: school.term_dates_question(today))
        == f"{welsh}{BETWEEN}{english}"
    )


SENTENCES = {
    "acknowledged": (ACKNOWLEDGED, {"policy": "Polisi Diogelu Plant", "version": "fersiwn 3.2"}),
    "read": (READ_EDITION, {"policy": "Polisi Diogelu Plant", "version": "2026"}),
    "trained": (TRAINED, {"course": "Polisi Diogelu Plant"}),
    "trained below": (TRAINED_BELOW, {"course": "Polisi Diogelu Plant"}),
}


@pytest.mark.parametrize("kind", sorted(SENTENCES))
def test_a_record_made_on_someones_behalf_is_shown_in_welsh(
    kind: str, english_words: set[str]
) -> None:
    sentence, values = SENTENCES[kind]
    day = date(2026, 11, 20) if sentence is TRAINED else None
    welsh = in_language(
        "cy", lambda: on_behalf_statement(RECORDER, PERSON, sentence, day=day, **values)
    )  # type: ignore[arg-type]
    assert welsh.startswith("Cofnodwyd gan Eirlys Puw, Rheolwr Busnes, ar ran Gethin Hughes")
    assert _left(welsh.replace("fersiwn 3.2", " "), english_words) == []
    if day is not None:
        assert "ar ddydd Gwener 20 Tachwedd 2026" in welsh
    both = in_language(
        "cy+en", lambda: on_behalf_statement(RECORDER, PERSON, sentence, day=day, **values)
    )  # type: ignore[arg-type]
    assert both.startswith(welsh + BETWEEN)


def test_the_stored_record_stays_english_as_before() -> None:
    stored = on_behalf_statement(  # type: ignore[arg-type]
        RECORDER, PERSON, ACKNOWLEDGED, policy="Online Safety Policy", version="version 3.2"
    )
    assert stored == (
        "Recorded by Eirlys Puw, Rheolwr Busnes, on behalf of Gethin Hughes, who has no email "
        "address: Gethin Hughes has read and understood Online Safety Policy (version 3.2)."
    )
    trained = on_behalf_statement(  # type: ignore[arg-type]
        RECORDER, PERSON, TRAINED, day=date(2026, 11, 20), course="Prevent"
    )
    assert trained.endswith("Gethin Hughes completed Prevent on Friday 20 November 2026.")


@pytest.mark.parametrize(
    "typed", ["1999-12-31", "2099-01-01", "31/31/2026"], ids=["long ago", "far ahead", "typo"]
)
def test_a_date_outside_its_window_is_refused_in_welsh(typed: str, english_words: set[str]) -> None:
    today = date(2026, 11, 23)
    with pytest.raises(DateWindowError) as refused:
        REVIEW.parse(typed, "Next review date", today)
    welsh = said_in("cy", refused.value.msg)
    assert welsh.startswith("Dyddiad yr adolygiad nesaf: "), welsh
    assert _left(welsh.replace("'31/31/2026'", " "), english_words) == []
    assert str(refused.value).startswith("Next review date: ")  # English as before


def test_the_people_forms_start_date_refusal_is_welsh(english_words: set[str]) -> None:
    form = {"name": "Gethin Hughes", "email": "gethin@brodderw.example"}
    form["start_date"] = "1900-01-01"
    _, errors = parse_entry(form, ["staff"], date(2026, 11, 23))
    welsh = {key: said_in("cy", error) for key, error in errors.items()}
    assert welsh["start_date"].startswith("Dyddiad dechrau: mae 1900-01-01 yn rhy bell yn ôl")
    assert _left(welsh["start_date"], english_words) == []
    _, english = parse_entry(form, ["staff"], date(2026, 11, 23))
    assert english["start_date"] == (  # as before: no full stop at the end
        "Start date: 1900-01-01 is too long ago — the earliest date accepted is 1950-01-01; "
        "check the year"
    )


def _uploads(*files: tuple[str, bytes]) -> list[UploadFile]:
    return [UploadFile(BytesIO(data), filename=name) for name, data in files]


def test_the_decision_forms_file_refusals_are_welsh(english_words: set[str]) -> None:
    _, many = run_async(checked_files(_uploads(*[("llun.png", b"x")] * 6), 5))
    assert said_in("cy", many) == "Atodwch 5 ffeil ar y mwyaf (dewiswyd 6)."
    chosen = _uploads(("gwag.pdf", b""), ("nodiadau.txt", b"Nodiadau'r cyfarfod"))
    _, said = run_async(checked_files(chosen, 5))
    bad = said_in("cy", said)
    assert bad is not None and bad.startswith("gwag.pdf: mae'r ffeil yn wag."), bad
    assert bad.endswith("Dewiswch y ffeiliau eto.")
    assert _left(bad.replace("gwag.pdf", " ").replace("nodiadau.txt", " "), english_words) == []
    chosen = _uploads(("gwag.pdf", b""))
    _, english = run_async(checked_files(chosen, 5))
    assert english == "gwag.pdf: the file is empty. Please choose the files again."  # as before


@pytest.mark.parametrize("sentence", [TOO_LONG, UNREADABLE, "One of the boxes has too much text."])
def test_the_form_limits_are_welsh(sentence: str, english_words: set[str]) -> None:
    welsh = said_in("cy", Msg(sentence))
    assert welsh != sentence
    assert _left(welsh, english_words) == []


def test_the_report_deadlines_on_setup_are_welsh(
    english_words: set[str], held_back: set[str]
) -> None:
    welsh_school = school("cy")
    lines = [said_in("cy", line) for line in clock_summary(welsh_school)]
    assert lines[0].startswith("Pryder am aelod o staff: ")
    # the nation pack's words the catalogue holds back (fuzzy) are English by design
    words = school_words(welsh_school)
    kept = sorted(
        {
            *(t for t in held_back if isinstance(t, str) and "%" not in t),
            words.staff_route_decision,
            f"{words.dsl} triage",
        },
        key=len,
        reverse=True,
    )
    for line in lines:
        if line.startswith("A personal data breach: "):  # held back (fuzzy): English by design
            continue
        for value in kept:
            line = line.replace(value, " ")
        assert _left(line, english_words) == [], line


# from tests/core/test_i18n_set_g.py (main)
@pytest.mark.parametrize("kept", [None, SINCE], ids=["held", "kept"])
def test_a_settings_problem_is_said_in_welsh(
    kept: datetime | None, english_words: set[str]
) -> None:
    problem = _problem(kept)
    said = describe_settings(problem)
    welsh = said.said("cy")
    assert welsh.startswith(f"Mae problem gyda gosodiadau {SCHOOL_NAME}"), welsh
    assert _left(welsh, english_words) == []
    assert in_language("cy+en", lambda: said) == f"{welsh}{BETWEEN}{said.said('en')}"


def _failing_job_email(language: str, step: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from bot.engine import step_failures

    sent: list[Any] = []
    monkeypatch.setattr(
        step_failures, "enqueue_email", lambda session, **kw: sent.append(kw["draft"]) or True
    )
    step_failures._tell_admins(None, school(language), step, SINCE)  # type: ignore[arg-type]
    return sent[0]


@pytest.mark.parametrize("step", sorted({**ENGINE_TITLES, **TITLES}))
def test_the_failing_job_email_is_welsh(
    step: str, english_words: set[str], held_back: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = _failing_job_email("cy", step, monkeypatch)
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    texts = [draft.subject, *parser.texts, *text.splitlines()]
    assert parser.lang == "cy" and "Ers dydd Llun 23 Tachwedd 2026 am 10:00" in " ".join(texts)
    title = {**ENGINE_TITLES, **TITLES}[step]
    if title in held_back:  # e.g. 'single central record': unconfirmed, left in English
        texts = [t.replace(title, " ") for t in texts]
    assert _left(" ".join(texts), english_words) == []


def test_the_failing_job_email_reads_as_before_in_english_and_whole_in_each_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft = _failing_job_email("en", "report_sweep", monkeypatch)
    assert draft.subject == f"{SCHOOL_NAME}: one of the bot's jobs is not working"
    flat = " ".join(draft.parts()[0].split())
    assert (
        "Since Monday 23 November 2026 at 10:00, the bot has not been able to finish one of "
        f"its regular jobs for {SCHOOL_NAME}: "
    ) in flat and flat.startswith("Hello,")
    assert "check the deadlines on the reports list yourself." in flat
    assert "You receive this as an administrator of the bot for the school." in flat
    welsh = _failing_job_email("cy", "report_sweep", monkeypatch)
    both = _failing_job_email("cy+en", "report_sweep", monkeypatch)
    assert both.subject == f"{welsh.subject}{BETWEEN}{draft.subject}"
    text = both.parts()[0]  # the whole in Welsh, then the whole in English
    assert text.index("Helo,") < text.index("Ers dydd Llun") < text.index("Hello,")


@pytest.mark.parametrize(
    "window,typed,years,welsh",
    [
        (HAPPENED, date(2028, 1, 1), 1, "1 flwyddyn o heddiw"),
        (START, date(2029, 1, 1), 2, "2 flynedd o heddiw"),
        (REVIEW, date(2040, 1, 1), 10, "10 mlynedd o heddiw"),
    ],
    ids=["1 year", "2 years", "10 years"],
)
def test_a_date_too_far_ahead_says_its_years_in_their_plural_form(
    window: Any, typed: date, years: int, welsh: str, english_words: set[str]
) -> None:
    with pytest.raises(DateWindowError) as refused:
        window.check(typed, "Date completed", date(2026, 11, 23))
    english = str(refused.value)
    unit = "year" if years == 1 else "years"
    assert english.startswith(f"Date completed: {typed.isoformat()} is too far ahead")
    assert f"({years} {unit} from today); check the year." in english  # "1 years" was wrong
    cy = said_in("cy", refused.value.msg)
    assert cy.startswith(f"Dyddiad ei gwblhau: mae {typed.isoformat()} yn rhy bell ymlaen")
    assert welsh in cy and _left(cy, english_words) == []
    assert said_in("cy+en", refused.value.msg) == f"{cy}{BETWEEN}{english}"
    # the plain words the command line and the imports print
    problem = window.problem(typed, date(2026, 11, 23))
    assert said_in("en", problem) == english.removeprefix("Date completed: ")[:-1]
    assert said_in("cy", problem) == cy.split(": ", 1)[1][:-1]


@pytest.mark.parametrize("most", [1, 5])
def test_at_most_n_files_is_said_with_its_plural(most: int) -> None:
    _, refused = run_async(checked_files(_uploads(*[("llun.png", b"x")] * (most + 1)), most))
    unit = "file" if most == 1 else "files"  # "at most 1 files" was wrong
    assert said_in("en", refused) == f"Attach at most {most} {unit} ({most + 1} were chosen)."
    welsh = said_in("cy", refused)
    assert welsh == f"Atodwch {most} ffeil ar y mwyaf (dewiswyd {most + 1})."
    assert said_in("cy+en", refused) == f"{welsh}{BETWEEN}{said_in('en', refused)}"
