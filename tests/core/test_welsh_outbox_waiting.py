"""Why queued messages wait and when they go (``sweep``'s summary and ``outbox``'s
"why these have not gone yet"), the paused channels and the messages that need a person
(``sweep`` and ``status``), a failing step's line (``status``), a reminder's stage (``sweep``'s
and ``remind``'s tables), a closed duty's kind and the ``duties`` table, in the school's
language: Welsh in ``cy``, Welsh first then English in ``cy+en``, English as main printed it in
``en`` (the English lines below are main's). The sentences are made where they are built
(``bot/core/outbox/waiting.py``, ``bot/core/language/words.py``, ``bot/engine/step_failures.py``)
with the
language passed in; a scan fails on a sentence of theirs written in English outside the
catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import load_settings
from bot.core.language.i18n import BETWEEN, said_in
from bot.core.language.words import stage_list
from bot.core.models import OutboxChannel, OutboxMessage, StepFailure
from bot.core.outbox.delivery import Trouble
from bot.core.outbox.pause import DAILY_LIMIT_REASON, ChannelState
from bot.core.outbox.waiting import Waiting, row_sentence, trouble_lines, when_words, why_waiting
from tests.support.helpers import SchoolBuilder, each_half

ROOT = Path(__file__).parents[2]
ENV = {"COLUMNS": "1000", "COMPLIANCE_BOT_SECRET_KEY": "a-long-enough-secret-key-for-these-tests-0"}
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # Monday, 06:30 in London: before the window
LANGUAGES = ["cy", "cy+en", "en"]


def _said(language: str, welsh: str, english: str) -> str:
    if welsh == english:  # a word both languages write alike is said once
        return english
    return {"cy": welsh, "cy+en": f"{welsh}{BETWEEN}{english}", "en": english}[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_why_messages_wait_and_when_they_go(language: str) -> None:
    window = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    reason, goes = why_waiting("email", window, 0, {}, NOW)
    assert said_in(language, Waiting(reason, 12, goes).sentence(NOW)) == _said(
        language,
        "Mae 12 yn aros am gyfnod anfon yr ysgol: byddant yn mynd heddiw am 08:00.",
        "12 wait for the school's sending window: they go today at 08:00.",
    )
    assert said_in(language, Waiting(reason, 1, goes).sentence(NOW)) == _said(
        language,
        "Mae 1 yn aros am gyfnod anfon yr ysgol: bydd yn mynd heddiw am 08:00.",
        "1 waits for the school's sending window: it goes today at 08:00.",
    )
    saturday = NOW + timedelta(days=5)
    assert said_in(language, when_words(saturday, NOW)) == _said(
        language, "Sad 28 Tach am 06:30", "Sat 28 Nov at 06:30"
    )
    assert said_in(language, when_words(window + timedelta(days=1), NOW)) == _said(
        language, "yfory am 08:00", "tomorrow at 08:00"
    )
    tried, later = why_waiting("email", saturday, 2, {}, NOW)
    assert said_in(language, row_sentence(tried, later, NOW, "503")) == _said(
        language,
        "yn aros i'w hanfon eto (rhoddwyd cynnig 2 o weithiau; dywedodd y platfform ddim eto): "
        "bydd yn mynd Sad 28 Tach am 06:30 (yr ateb olaf: 503)",
        "waits to be tried again (tried 2 times; the platform said not yet): it goes Sat 28 Nov "
        "at 06:30 (last answer: 503)",
    )
    due, now = why_waiting("email", NOW - timedelta(minutes=1), 0, {}, NOW)
    assert said_in(language, Waiting(due, 3, now).sentence(NOW)).startswith(
        _said(language, "Mae 3 yn ddyledus: byddant yn mynd yn y rhediad danfon nesaf (", "").split(
            BETWEEN
        )[0]
        if language != "en"
        else "3 are due: they go at the next delivery run ("
    )
    paused = {
        "office@oak.example": ChannelState(
            "office@oak.example", NOW + timedelta(hours=3), 1, "Retry-After 10800"
        ),
        "card": ChannelState("card", NOW + timedelta(minutes=30), 2, "Retry-After 1800"),
    }
    own, goes = why_waiting("office@oak.example", window, 0, paused, NOW)
    assert said_in(language, Waiting(own, 10, goes).sentence(NOW)) == _said(
        language,
        "Mae 10 yn aros oherwydd bod anfon o office@oak.example wedi'i oedi ar ôl i'r platfform "
        "ofyn i'r bot arafu: byddant yn mynd heddiw am 09:30.",
        "10 wait because sending from office@oak.example is paused after the platform asked "
        "the bot to slow down: they go today at 09:30.",
    )
    cards, goes = why_waiting("card", NOW, 0, paused, NOW)
    assert said_in(language, row_sentence(cards, goes, NOW, None)) == _said(
        language,
        "yn aros oherwydd bod anfon cardiau Teams/Chat wedi'i oedi ar ôl i'r platfform ofyn i'r "
        "bot arafu: bydd yn mynd heddiw am 07:00",
        "waits because teams/chat cards sending is paused after the platform asked the bot to "
        "slow down: it goes today at 07:00",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_paused_channels_and_messages_that_need_a_person(language: str) -> None:
    paused = (
        ChannelState("email", NOW + timedelta(hours=20), 0, DAILY_LIMIT_REASON),
        ChannelState("teams", NOW + timedelta(days=1), 1, "throttled"),
    )
    trouble = Trouble(unknown=1, failed=2, paused=paused)
    lines = [said_in(language, line) for line in trouble_lines(trouble)]
    assert lines[:2] == [
        _said(
            language,
            "[yellow]Anfon wedi'i oedi: E-bost[/] tan Maw 24 Tach 02:30 ar ôl ateb olaf y "
            "platfform (cyrhaeddodd y blwch post anfon ei derfyn 24 awr). Mae'r negeseuon sydd "
            "yn y ciw yn aros; ni chollir yr un.",
            "[yellow]Email paused[/] until Tue 24 Nov 02:30 after the platform's last answer (the "
            "sending mailbox reached its 24-hour limit). Its queued messages wait; none is lost.",
        ),
        _said(  # a platform's own reason as it gave it
            language,
            "[yellow]Anfon wedi'i oedi: Cardiau yn Teams neu Google Chat y staff[/] tan Maw 24 "
            "Tach 06:30 ar ôl ateb olaf y platfform (throttled). Mae'r negeseuon sydd yn y ciw "
            "yn aros; ni chollir yr un.",
            "[yellow]Cards in staff's Teams or Google Chat paused[/] until Tue 24 Nov 06:30 after "
            "the platform's last answer (throttled). Its queued messages wait; none is lost.",
        ),
    ]
    assert lines[2].startswith(
        _said(
            language,
            "[yellow]Efallai nad yw 1 neges wedi cyrraedd[/]: ni chadarnhaodd y platfform hi,",
            "",
        ).split(BETWEEN)[0]
        if language != "en"
        else "[yellow]1 message may not have arrived[/]: the platform did not confirm it,"
    )
    assert lines[3] == _said(
        language,
        "[red]Nid oedd modd danfon 2 o negeseuon[/]: gwrthododd y platfform nhw (cyfeiriad "
        "anghywir yn aml); mae `compliance-bot outbox --status failed` yn dweud pam.",
        "[red]2 messages could not be delivered[/]: the platform refused them (often a wrong "
        "address); `compliance-bot outbox --status failed` says why.",
    )


def test_a_reminders_stage_is_said_from_the_catalogue_its_label_unchanged() -> None:
    labels = ("ask", "before:3", "due", "overdue:1", "overdue:2", "overdue:10", "overdue:11")
    assert said_in("cy", stage_list(labels)) == (
        "cais cyntaf, 3 diwrnod cyn y dyddiad dyledus, ar y dyddiad dyledus, nodyn atgoffa hwyr "
        "cyntaf, ail nodyn atgoffa hwyr, degfed nodyn atgoffa hwyr, nodyn atgoffa hwyr rhif 11"
    )
    assert stage_list(labels) == (  # English as main said it
        "first request, 3 days before the due date, on the due date, first overdue reminder, "
        "second overdue reminder, tenth overdue reminder, 11th overdue reminder"
    )
    assert stage_list(("before:1", "sometime")) == "1 day before the due date, reminder"


@pytest.fixture(scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _run(school: SchoolBuilder, language: str, *args: str) -> list[str]:
    school.school["language"] = language
    school.write()
    env = {**ENV, "COMPLIANCE_BOT_HOME": str(school.home)}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.stdout.splitlines()]


def _school(home: Path) -> SchoolBuilder:
    """A Welsh school asking its four staff to acknowledge one policy."""
    school = SchoolBuilder(home)
    school.school["country"] = "wales"
    school.school["language"] = "cy"
    school.policy("safeguarding", "1", title="Safeguarding", published="2026-11-02")
    school.requirement(
        id="ack", kind="acknowledge_policy", policy="safeguarding", audience={"roles": ["staff"]}
    )
    school.installed()
    return school


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory, _frozen: None) -> Iterator[SchoolBuilder]:
    """The school's reminders queued on 2 and 16 November, then: two wait for the window (one
    tried once), one is refused, one not confirmed, a card waits for its channel's pause, and
    the duties step has failed seven times."""
    school = _school(tmp_path_factory.mktemp("set-ab") / "school")
    for day in ("2026-11-02", "2026-11-16"):
        _run(school, "cy", "sweep", "--no-send", "--as-of", day)
    context = AppContext(load_settings(home=school.home))
    with context.store.transaction() as db:
        rows = db.query(OutboxMessage).order_by(OutboxMessage.id).all()
        rows[0].next_attempt_at = NOW + timedelta(hours=1, minutes=30)
        rows[1].next_attempt_at, rows[1].attempts = NOW + timedelta(minutes=4), 1
        rows[1].last_error = "429"
        rows[2].status, rows[2].last_error = "failed", "550 5.1.1"
        rows[3].status = "delivery_unknown"
        card = next(r for r in rows if r.channel == "card")
        card.next_attempt_at = NOW
        for row in rows[4:]:
            if row is not card:
                row.status = "sent"
        db.add(
            OutboxChannel(
                channel="card",
                paused_until=NOW + timedelta(minutes=30),
                streak=2,
                reason="Retry-After 1800",
            )
        )
        db.add(
            StepFailure(
                school_id="oak",
                step="duties",
                error="OperationalError",
                since=NOW - timedelta(days=2, hours=3),
                last_at=NOW - timedelta(minutes=15),
                failures=7,
            )
        )
    context.store.dispose()
    yield school


@pytest.mark.parametrize("language", LANGUAGES)
def test_outbox_says_why_each_message_has_not_gone(waiting: SchoolBuilder, language: str) -> None:
    printed = _run(waiting, language, "outbox")
    for half, lines in each_half(language, printed, r"Outbox \(newest first\)"):
        _outbox_says_why(half, lines)


def _outbox_says_why(language: str, lines: list[str]) -> None:
    """The outbox's account of why each message waits, in ``language`` (``cy`` or ``en``)."""
    assert not any(BETWEEN in line for line in lines), lines
    why = lines.index(
        _said(language, "Pam nad yw'r rhain wedi mynd eto", "Why these have not gone yet")
    )
    assert lines[why - 1] == _said(
        language,
        "Anfon wedi'i oedi: Cardiau Teams/Chat tan Llun 23 Tach 07:00: Retry-After 1800",
        "Teams/Chat cards paused until Mon 23 Nov 07:00: Retry-After 1800",
    )
    said = lines[why + 1 :]
    assert (
        "  #4 " + _said(language, "heb ei chadarnhau (delivery_unknown)", "delivery_unknown")
        not in said
    )  # not pending and no answer kept: not listed, as before
    assert "  #3 " + _said(language, "gwrthodwyd (failed)", "failed") + ": 550 5.1.1" in said
    assert (
        "  #2 "
        + _said(
            language,
            "yn aros i'w hanfon eto (rhoddwyd cynnig unwaith; dywedodd y platfform ddim eto): bydd "
            "yn mynd heddiw am 06:34 (yr ateb olaf: 429)",
            "waits to be tried again (tried once; the platform said not yet): it goes today at "
            "06:34 (last answer: 429)",
        )
        in said
    )
    assert (
        "  #1 "
        + _said(
            language,
            "yn aros am gyfnod anfon yr ysgol: bydd yn mynd heddiw am 08:00",
            "waits for the school's sending window: it goes today at 08:00",
        )
        in said
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_says_the_failing_step_and_the_messages_in_the_schools_language(
    waiting: SchoolBuilder, language: str
) -> None:
    lines = _run(waiting, language, "status")
    # the messages that need a person, said once for every school here, after the school's part
    # (cy+en: all three lines in Welsh, then all three in English)
    closing = 6 if language == "cy+en" else 3
    for half, said in each_half(language, lines[:-closing], r"Oak Test School — \w+day "):
        assert not any(BETWEEN in line for line in said), said
        assert (
            _said(
                half,
                "Cam yn methu: duties (cyfrifo pwy sydd angen gwneud beth ac anfon nodiadau "
                "atgoffa) — OperationalError, 7 o rediadau ers 21 Tach 2026 03:30; yr olaf 23 Tach "
                '06:15. Mae\'r log yn dweud ble ("the sweep step duties failed").',
                "Step failing: duties (working out who owes what and sending reminders) — "
                "OperationalError, 7 runs since 21 Nov 2026 03:30; last 23 Nov 06:15. The log says "
                'where ("the sweep step duties failed").',
            )
            in said
        )
    halves = [lines[-6:-3], lines[-3:]] if language == "cy+en" else [lines[-3:]]
    for half, said in zip(["cy", "en"] if language == "cy+en" else [language], halves, strict=True):
        assert not any(BETWEEN in line for line in said), said
        assert said[0] == _said(
            half,
            "Anfon wedi'i oedi: Cardiau Teams/Chat tan Llun 23 Tach 07:00 ar ôl ateb olaf y "
            "platfform (Retry-After 1800). Mae'r negeseuon sydd yn y ciw yn aros; ni chollir yr "
            "un.",
            "Teams/Chat cards paused until Mon 23 Nov 07:00 after the platform's last answer "
            "(Retry-After 1800). Its queued messages wait; none is lost.",
        )
        assert said[-1] == _said(
            half,
            "Nid oedd modd danfon 1 neges: gwrthododd y platfform hi (cyfeiriad anghywir yn "
            "aml); mae `compliance-bot outbox --status failed` yn dweud pam.",
            "1 message could not be delivered: the platform refused it (often a wrong address); "
            "`compliance-bot outbox --status failed` says why.",
        )


def _cells(lines: list[str]) -> list[list[str]]:
    return [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_remind_and_duties_say_stages_and_states_in_the_schools_language(
    waiting: SchoolBuilder, language: str
) -> None:
    plan = _run(waiting, language, "remind", "--dry-run", "--as-of", "2026-11-30")
    for half, lines in each_half(language, plan, "reminders as of"):
        stages = {row[2] for row in _cells(lines) if len(row) > 2 and row[2]}
        assert stages == {_said(half, "ail nodyn atgoffa hwyr", "second overdue reminder")}
    duties = _run(waiting, language, "duties", "--as-of", "2026-11-09")
    for half, lines in each_half(language, duties, "Open duties as of"):
        _duties_say(half, lines)
    overdue = _run(
        waiting, language, "duties", "--overdue", "--as-of", "2026-11-17", "--limit", "1"
    )
    for half, lines in each_half(language, overdue, "Overdue duties as of"):
        assert {r[3] for r in _cells(lines) if r[2]} == {
            _said(half, "1 diwrnod yn hwyr", "1 day overdue")
        }
        assert lines[-1] == _said(
            half,
            "4 o ddyletswyddau (yn dangos 1; --limit i weld mwy).",
            "4 duties (showing 1; --limit to see more).",
        )


def _duties_say(language: str, duties: list[str]) -> None:
    """``duties``' title, heads, rows' due dates and states and its count, in ``language``."""
    assert not any(BETWEEN in line for line in duties), duties
    assert duties[0].strip() == _said(
        language,
        "Dyletswyddau agored ar gyfer Llun 09 Tach 2026",
        "Open duties as of Mon 09 Nov 2026",
    )
    heads = [c.strip() for c in duties[2].split("┃")[1:-1]]
    assert heads == [
        _said(language, w, e)
        for w, e in (
            ("Person", "Person"),
            ("Beth", "What"),
            ("Erbyn", "Due"),
            ("Cyflwr", "State"),
            ("Nodiadau atgoffa", "Reminders"),
        )
    ]
    rows = [r for r in _cells(duties) if r[2]]
    assert {(r[2], r[3]) for r in rows} == {
        (
            _said(language, "16 Tach 2026", "16 Nov 2026"),
            _said(language, "yn ddyledus ymhen 7 diwrnod", "due in 7 days"),
        )
    }
    assert duties[-1] == _said(language, "4 o ddyletswyddau.", "4 duties.")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_sweep_says_what_waits_and_the_closed_kinds_in_the_schools_language(
    tmp_path: Path, language: str, _frozen: None
) -> None:
    school = _school(tmp_path / "school")
    _run(school, language, "sweep", "--no-send", "--as-of", "2026-11-16")
    school.policy("safeguarding", "2", title="Safeguarding", published="2026-11-20")
    lines = _run(school, language, "sweep", "--no-send", "--as-of", "2026-11-23")
    assert (
        _said(
            language,
            "Dyletswyddau: 4 wedi'u hagor, wedi'u cau: 4 wedi'u disodli; 4 ar agor, 0 yn hwyr",
            "Duties: 4 opened, closed: 4 superseded; 4 open, 0 overdue",
        )
        in lines
    )
    assert {row[2] for row in _cells(lines) if len(row) > 2 and row[2]} == {
        _said(language, "cais cyntaf", "first request")
    }
    at = lines.index(
        _said(
            language,
            "Nid yw 10 o negeseuon yn y ciw wedi mynd eto:",
            "10 queued messages have not gone yet:",
        )
    )
    assert lines[at + 1] == "  " + _said(
        language,
        "Mae 10 yn aros am gyfnod anfon yr ysgol: byddant yn mynd heddiw am 08:00.",
        "10 wait for the school's sending window: they go today at 08:00.",
    )
