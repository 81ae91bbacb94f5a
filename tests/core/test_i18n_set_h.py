"""The school's language, set H: what the bot stored as English text, now said at read time.

A handover reason is kept as a kind and its values (migration 0051) and said on the account
page, the dashboard and the chasing emails in the reader's language. Each is rendered in
``cy`` for a Welsh-medium school and fails on any English left (the check of
``tests/core/test_i18n.py``, the values filled in taken out); ``cy+en`` says each whole
sentence in Welsh first, then in English; in English each reads exactly as before.

Set H also covers the emails to admins about a failing job or a settings problem, the review
calendar entry's language, and the lines the bot writes into a report's chronology (sealed, so
stored as written and said at read time; the report page itself is checked in set D, whose
school is built once).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.core.config.per_school import SettingsProblem
from bot.core.i18n import BETWEEN
from bot.core.models import OfficialAccount, Person
from bot.engine import settings_problems, step_failures
from bot.engine.step_failures import ENGINE_TITLES
from bot.features.accounts.handovers import _chase_draft
from bot.features.accounts.rules import HANDOVER_CHASE_EVERY_DAYS, HANDOVER_CHASES, ChaseStage
from bot.features.accounts.web import HANDOVER_LINE
from bot.wiring import TITLES
from tests.core.test_i18n import SCHOOL_NAME, _english_left, _page, _Visible, school
from tests.core.test_i18n import catalogue as catalogue
from tests.core.test_i18n import english_words as english_words

HOLDER, CUSTODIAN, ACCOUNT = "Gwyn Prys", "Eirlys Puw", "Cyfrif Facebook yr ysgol"
FILLED = (HOLDER, CUSTODIAN, ACCOUNT, SCHOOL_NAME, "Facebook", "https://bot.example/accounts/5")
SINCE = date(2026, 11, 23)


def _left(texts: list[str], english: set[str]) -> list[str]:
    for value in FILLED:
        texts = [t.replace(value, " ") for t in texts]
    return _english_left(texts, english)


def _account(kind: str | None, reason: str | None = None, custodian: bool = True) -> Any:
    account = OfficialAccount(
        id=5, name=ACCOUNT, platform="Facebook", handover_needed=True, handover_since=SINCE
    )
    if kind is not None:
        account.flag_handover(kind, SINCE, **({"person": HOLDER} if kind != "removed" else {}))
    account.handover_reason = reason
    if custodian:
        account.custodian = Person(display_name=CUSTODIAN, email="eirlys@brodderw.example")
        account.custodian.active = True
    return account


KINDS = ("left", "stopped", "removed")
ENGLISH = {
    "left": f"{HOLDER} has left; change the login and hand over",
    "stopped": f"{HOLDER} no longer runs this account",
    "removed": "a holder was removed from the account",
}


# --------------------------------------------------------------------------- handover reasons


@pytest.mark.parametrize("kind", KINDS)
def test_a_handover_reason_is_said_in_the_readers_language(
    kind: str, english_words: set[str]
) -> None:
    account = _account(kind)
    assert account.handover_said("en") == ENGLISH[kind]
    welsh = account.handover_said("cy")
    assert welsh != ENGLISH[kind] and _left([welsh], english_words) == []
    assert account.handover_said("cy+en") == f"{welsh}{BETWEEN}{ENGLISH[kind]}"
    line = account.handover_said("en", HANDOVER_LINE)
    assert line == (
        f"{ENGLISH[kind]}. Change the login and any recovery details, then record it here."
    )
    assert _left([account.handover_said("cy", HANDOVER_LINE)], english_words) == []


def test_a_reason_kept_as_free_text_is_shown_as_it_is() -> None:
    account = _account(None, "Amy Able has left")
    assert account.handover_said("cy") == "Amy Able has left"
    assert account.handover_said("en", HANDOVER_LINE).startswith("Amy Able has left. Change")


def _account_page(account: Any, language: str) -> tuple[str | None, list[str]]:
    context = {
        "user": None,
        "csrf_token": "t",
        "theme": "light",
        "demo": False,
        "account": account,
        "handover_line": HANDOVER_LINE,
        "holders": [],
        "people": [],
        "aup": None,
        "custodian": CUSTODIAN,
        "can_edit": True,
        "config_managed": False,
        "settings_editable": True,
        "error": None,
    }
    return _page("account.html", context, language)


@pytest.mark.parametrize("kind", KINDS)
def test_the_account_pages_handover_line_is_welsh(kind: str, english_words: set[str]) -> None:
    lang, texts = _account_page(_account(kind), "cy")
    assert lang == "cy"
    assert _left(texts, english_words) == []
    _, english = _account_page(_account(kind), "en")
    line = f"{ENGLISH[kind]}. Change the login and any recovery details, then record it here."
    assert line in english
    _, both = _account_page(_account(kind), "cy+en")
    assert f"{BETWEEN}{line}" in " ".join(both)


def test_a_handover_note_on_the_account_page_begins_in_welsh(english_words: set[str]) -> None:
    account = _account("left")
    account.notes = "Cyfrinair yn y sêff.\nHandover: cyfrinair wedi'i newid"  # as stored
    _, texts = _account_page(account, "cy")
    assert "Trosglwyddo: cyfrinair wedi'i newid" in "\n".join(texts)
    assert _left([t.replace("Cyfrinair", " ") for t in texts], english_words) == []
    _, english = _account_page(account, "en")
    assert "Handover: cyfrinair wedi'i newid" in "\n".join(english)
    assert account.notes_said("cy+en").endswith("Trosglwyddo / Handover: cyfrinair wedi'i newid")


def _email(draft: Any) -> tuple[str | None, list[str]]:
    text, html = draft.parts()
    parser = _Visible()
    parser.feed(html)
    return parser.lang, [draft.subject, *parser.texts, *text.splitlines()]


STAGES = {
    "first": ChaseStage(1, False),
    "last": ChaseStage(HANDOVER_CHASES, False),
    "final": ChaseStage(HANDOVER_CHASES + 1, True),
}


@pytest.mark.parametrize("custodian", [True, False], ids=["custodian", "none"])
@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("kind", KINDS)
def test_the_handover_chases_are_welsh(
    kind: str, stage: str, custodian: bool, english_words: set[str]
) -> None:
    draft = _chase_draft(
        school("cy"),
        _account(kind, custodian=custodian),
        SINCE,
        STAGES[stage],
        "https://bot.example",
    )
    lang, texts = _email(draft)
    assert lang == "cy" and "ers dydd Llun 23 Tachwedd 2026" in " ".join(texts)
    assert _left(texts, english_words) == []


def test_a_handover_chase_reads_as_before_in_english() -> None:
    english = school("en")
    draft = _chase_draft(english, _account("left"), SINCE, STAGES["first"], "https://bot.example")
    text, _ = draft.parts()
    assert draft.subject == f"Official account handover needed: {ACCOUNT}"
    flat = " ".join(text.split())
    assert (
        f"{HOLDER} has left; change the login and hand over. Please change the password of "
        f"{ACCOUNT} (Facebook) and its recovery details (email, phone, two-step sign-in), check "
        "who else can sign in, then record the handover on the account's page "
        "(https://bot.example/accounts/5)."
    ) in flat
    assert (
        "The handover has been waiting since Monday 23 November 2026. You will be reminded "
        f"every {HANDOVER_CHASE_EVERY_DAYS} days ({HANDOVER_CHASES - 1} more "
        f"time{'s' if HANDOVER_CHASES != 2 else ''}); "
        "after that the headteacher is asked to follow it up."
    ) in flat
    assert "You receive this as the account's custodian." in flat
    final = _chase_draft(
        english, _account("removed", custodian=False), SINCE, STAGES["final"], "https://bot.example"
    )
    assert final.subject == f"Chasing has stopped: {ACCOUNT} still needs a handover"
    flat = " ".join(final.parts()[0].split())
    assert "Dear headteacher," in flat
    assert (
        "a holder was removed from the account. The login of "
        f"{ACCOUNT} (Facebook) has needed changing since Monday 23 November 2026. We asked the "
        f"headteacher {HANDOVER_CHASES} times to change it and record the handover, and nothing "
        "has been recorded."
    ) in flat


def test_a_dual_language_chase_says_each_part_in_welsh_then_english() -> None:
    account = _account("stopped")
    both = _chase_draft(school("cy+en"), account, SINCE, STAGES["first"], "https://bot.example")
    welsh = _chase_draft(school("cy"), account, SINCE, STAGES["first"], "https://bot.example")
    english = _chase_draft(school("en"), account, SINCE, STAGES["first"], "https://bot.example")
    assert both.subject == f"{welsh.subject}{BETWEEN}{english.subject}"
    assert "Nid yw Gwyn Prys yn rhedeg y cyfrif hwn mwyach." in both.parts()[0]


# --------------------------------------------------------------------------- emails to admins


@pytest.fixture(scope="module")
def held_back(catalogue: Any) -> set[str]:
    """The msgids the catalogue holds back (fuzzy: an unconfirmed term shown in English)."""
    return {m.id for m in catalogue if m.id and m.fuzzy}


FAILED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00


def _failing_job_email(language: str, step: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    sent: list[Any] = []
    monkeypatch.setattr(
        step_failures, "enqueue_email", lambda session, **kw: sent.append(kw["draft"]) or True
    )
    step_failures._tell_admins(None, school(language), step, FAILED_AT)  # type: ignore[arg-type]
    return sent[0]


@pytest.mark.parametrize("step", sorted({**ENGINE_TITLES, **TITLES}))
def test_the_failing_job_email_is_welsh(
    step: str, english_words: set[str], held_back: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lang, texts = _email(_failing_job_email("cy", step, monkeypatch))
    assert lang == "cy" and "Ers dydd Llun 23 Tachwedd 2026 am 10:00" in " ".join(texts)
    title = {**ENGINE_TITLES, **TITLES}[step]
    if title in held_back:  # e.g. 'single central record': unconfirmed, left in English
        texts = [t.replace(title, " ") for t in texts]
    assert _left(texts, english_words) == []


def test_the_failing_job_email_reads_as_before_in_english_and_both_in_a_dual_school(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft = _failing_job_email("en", "report_sweep", monkeypatch)
    assert draft.subject == f"{SCHOOL_NAME}: one of the bot's jobs is not working"
    flat = " ".join(draft.parts()[0].split())
    assert (
        "Hello," in flat
        and (
            "Since Monday 23 November 2026 at 10:00, the bot has not been able to finish one of "
            f"its regular jobs for {SCHOOL_NAME}: "
        )
        in flat
    )
    assert "check the deadlines on the reports list yourself." in flat
    assert "You receive this as an administrator of the bot for the school." in flat
    welsh = _failing_job_email("cy", "report_sweep", monkeypatch)
    both = _failing_job_email("cy+en", "report_sweep", monkeypatch)
    assert both.subject == f"{welsh.subject}{BETWEEN}{draft.subject}"
    assert f"Helo,{BETWEEN}Hello," in both.parts()[0]


def _settings_email(
    language: str | None, kept: datetime | None, monkeypatch: Any, asks: str | None = None
) -> Any:
    sent: list[Any] = []
    monkeypatch.setattr(
        settings_problems, "enqueue_email", lambda session, **kw: sent.append(kw["draft"]) or True
    )
    problem = SettingsProblem(
        "bro-derw", SCHOOL_NAME, "school.yaml, line 4: dsl", kept, language=asks
    )
    session = SimpleNamespace(get=lambda *args: object())
    settings_problems._tell(
        session,  # type: ignore[arg-type]
        problem,
        school(language) if language else None,
        ["swyddfa@brodderw.example"],
    )
    return sent[0]


@pytest.mark.parametrize("kept", [None, FAILED_AT], ids=["held", "kept"])
def test_the_settings_problem_email_is_welsh(
    kept: datetime | None, english_words: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lang, texts = _email(_settings_email("cy", kept, monkeypatch))
    assert lang == "cy"
    # the checks' own line, in Welsh (bot.core.config.said): its file and field as written
    assert any("school.yaml, llinell 4: dsl" in t for t in texts)
    texts = [t.replace("school.yaml, llinell 4: dsl", " ") for t in texts]
    assert _left(texts, english_words) == []
    both = _settings_email("cy+en", kept, monkeypatch)
    english = _settings_email("en", kept, monkeypatch)
    assert both.subject.endswith(f"{BETWEEN}{english.subject}")
    assert both.parts()[0].count("school.yaml, line 4: dsl") == 1  # English once, after Welsh


def test_the_settings_problem_email_reads_as_before_in_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a school held from the start has no accepted settings: its entry's language (English
    # when it names none) decides; one whose language cannot be told reads both (set k)
    for language, asks in (("en", None), (None, "en")):
        draft = _settings_email(language, FAILED_AT, monkeypatch, asks)
        assert draft.subject == f"{SCHOOL_NAME}: the bot could not use the school's new settings"
        flat = " ".join(draft.parts()[0].split())
        assert (
            f"The bot checked the settings for {SCHOOL_NAME} and found a problem, so it has not "
            "applied them. Until it is fixed the bot carries on with the school's settings as "
            "they were when it last accepted them, on Monday 23 November 2026: reminders and "
            "the rest go on as before. The other schools are not affected."
        ) in flat


def test_a_welsh_subject_of_set_h_travels_rfc_2047_encoded() -> None:
    from email import message_from_bytes, policy

    from bot.core.ports import OutgoingEmail
    from connectors.mime import mime_bytes, to_mime

    draft = _chase_draft(
        school("cy+en"), _account("left"), SINCE, STAGES["first"], "https://bot.example"
    )
    subject = draft.subject.replace(ACCOUNT, "Cyfrif Ŵyn a Ŷd")
    email = OutgoingEmail(
        idempotency_key="k", to=draft.to, subject=subject, text="Helo", html="<p>Helo</p>"
    )
    raw = mime_bytes(to_mime(email, "bot@x.example"))
    header = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in header.lower() and not any(b > 127 for b in header)
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


# --------------------------------------------------------------------------- calendar entries


def _review_event(language: str) -> Any:
    from icalendar import Calendar

    from bot.features.policies.rules import review_calendar

    policy = SimpleNamespace(
        key="diogelu",
        title="Polisi Diogelu Plant",
        approving_body="governing body",
        review_cycle_months=12,
    )
    data = review_calendar(
        school_id="bro-derw",
        school_name=SCHOOL_NAME,
        policy=policy,  # type: ignore[arg-type]
        review_due=date(2027, 3, 12),
        now=FAILED_AT,
        domain="bot.example",
        language=language,
    )
    return data, Calendar.from_ical(data).walk("VEVENT")[0]


@pytest.mark.parametrize("language", ["cy", "cy+en"])
def test_a_calendar_entry_says_its_language(language: str, english_words: set[str]) -> None:
    _, event = _review_event(language)
    english = _review_event("en")[1]
    said = [str(event["summary"]), str(event["description"]), *map(str, event["categories"].cats)]
    for name in ("summary", "description", "categories"):
        assert event[name].params["LANGUAGE"] == "cy"  # Welsh first, as the page's <html lang>
    if language == "cy":
        texts = [t.replace(SCHOOL_NAME, " ").replace("Polisi Diogelu Plant", " ") for t in said]
        assert _left(texts, english_words) == []
    else:
        assert str(event["summary"]).endswith(f"{BETWEEN}{english['summary']}")
        assert str(event["summary"]).startswith("Adolygiad polisi yn ddyledus: ")


def test_an_english_calendar_entry_is_as_before() -> None:
    data, event = _review_event("en")
    assert b"LANGUAGE" not in data
    assert str(event["summary"]) == "Policy review due: Polisi Diogelu Plant"


# --------------------------------------------------------------------------- chronology lines


def _chronology_lines() -> dict[str, tuple[str, str]]:
    """Each line the bot writes into a report's chronology, as stored for a school in Wales
    (English, the pack's words), with its entry's kind."""
    from bot.core.words import school_words
    from bot.features.reports import chronology as c
    from bot.features.reports.rules import (
        STATUSES,
        clock_labels,
        illegal_content_advice,
        referral_targets,
    )

    words = school_words(school("cy"))
    clocks, targets = clock_labels(words), referral_targets(words)
    lines = {
        "status": (
            "status",
            c.STATUS_CHANGED % {"status_from": STATUSES["new"], "status_to": STATUSES["triaged"]},
        ),
        "owner": ("owner", c.OWNER_SET % {"owner": HOLDER}),
        "no owner": ("owner", c.OWNER_SET % {"owner": c.NOBODY}),
        "referred": ("referral", c.REFERRED % {"referral": targets["lado"]}),
        "not referred": ("decision", c.DECIDED_NOT_TO_REFER % {"referral": targets["ico"]}),
        "late": ("system", c.CLOCK_STOPPED_LATE % {"clock": clocks["lado"]}),
        "in time": ("system", c.CLOCK_STOPPED_IN_TIME % {"clock": clocks["triage"]}),
        "no manager": ("system", c.NO_LINE_MANAGER),
        "subject": (
            "system",
            c.SUBJECT_RECORDED % {"who": "dsl@brodderw.example", "person": HOLDER},
        ),
        "subject owner": (
            "system",
            c.SUBJECT_RECORDED_OWNER % {"who": "dsl@brodderw.example", "person": HOLDER},
        ),
        "nobody alerted": (
            "system",
            c.NOBODY_ALERTED % {"dsl": words.dsl, "head": words.headteacher},
        ),
        "immediate": ("system", c.IMMEDIATE_RISK % {"dsl": words.dsl}),
        "illegal": ("system", illegal_content_advice(words)),
        "withheld 1": ("system", c.withheld(1) % {"num": 1}),
        "withheld 2": ("system", c.withheld(2) % {"num": 2}),
    }
    return lines


CHRONOLOGY = _chronology_lines()


@pytest.mark.parametrize("line", sorted(CHRONOLOGY))
def test_a_line_the_bot_wrote_in_a_chronology_is_read_in_welsh(
    line: str, english_words: set[str], held_back: set[str]
) -> None:
    from bot.core.words import school_words
    from bot.features.reports.chronology import said
    from bot.features.reports.rules import clock_labels

    kind, stored = CHRONOLOGY[line]
    words = school_words(school("cy"))
    welsh = said(stored, kind, words, "cy")
    assert welsh != stored
    shown = welsh.replace("dsl@brodderw.example", " ")
    if "%(dsl)s triage" in held_back:  # 'triage' unconfirmed: the catalogue keeps it English
        shown = shown.replace(clock_labels(words)["triage"], " ")
    for term in sorted(held_back, key=len, reverse=True):  # the pack's unconfirmed words
        if isinstance(term, str) and "%(" not in term:
            shown = shown.replace(term, " ").replace(term[:1].upper() + term[1:], " ")
    assert _left([shown], english_words) == []
    assert said(stored, kind, words, "cy+en") == f"{welsh}{BETWEEN}{stored}"
    assert said(stored, kind, words, "en") == stored  # the record, as sealed


def test_the_stored_chronology_lines_read_as_before() -> None:
    from bot.core.words import school_words

    words = school_words(school("cy"))
    assert CHRONOLOGY["status"][1] == "Status changed from New to Triaged."
    assert CHRONOLOGY["no owner"][1] == "Owner set to nobody."
    assert CHRONOLOGY["late"][1].startswith("Clock stopped: ")
    assert CHRONOLOGY["late"][1].endswith(" (after its deadline)")
    assert CHRONOLOGY["withheld 1"][1].startswith("1 attached file was not stored: ")
    assert CHRONOLOGY["withheld 2"][1].startswith("2 attached files were not stored: ")
    assert CHRONOLOGY["nobody alerted"][1] == (
        f"Nobody could be alerted: the configuration names no {words.dsl}, deputy or "
        f"{words.headteacher} for this kind of report."
    )
    assert CHRONOLOGY["subject owner"][1] == (
        f"Recorded by dsl@brodderw.example as being about {HOLDER}: they are not told and "
        "cannot see this report. They were its owner; it has no owner now."
    )


def test_a_persons_own_words_in_a_chronology_are_shown_as_written() -> None:
    from bot.core.words import school_words
    from bot.features.reports.chronology import REFERRED, said
    from bot.features.reports.rules import referral_targets

    words = school_words(school("cy"))
    police = referral_targets(words)["police"]
    stored = REFERRED % {"referral": police} + " Called 101, ref 4417."
    assert said(stored, "referral", words, "cy") == "Atgyfeiriwyd at Heddlu. Called 101, ref 4417."
    assert said("Status changed from New to Triaged.", "note", words, "cy").startswith("Status")
    assert said("Something the bot never wrote.", "system", words, "cy") == (
        "Something the bot never wrote."
    )
