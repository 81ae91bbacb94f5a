"""A newcomer's first hour, per nation, as a school lives it: an empty folder, the installed
``compliance-bot`` command, ``init`` answered in a real terminal (a pseudo-terminal driven by
pexpect) with an MIS export holding two role columns and staff without an email address, then
``run``; the emailed sign-in link, opened in Chromium; Start sending on /setup; the first sweep.
Each person then owes what their roles say, and nothing the school saw holds another nation's
words. One nation walks all of it (``WALKED``); the others answer their own ``init`` in the
terminal and then take the same web steps in this process (the app ``run`` serves, the same
pages and the same sign-in email), which is what differs by nation."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pexpect
import pytest
from icalendar import Calendar, Event
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.core.config import SchoolConfig, load_config
from bot.core.database.store import Store
from bot.core.guards.emails import has_mailbox
from bot.core.models import Duty, Person, PersonRole, Requirement
from bot.core.nations import school_words_for
from bot.engine.duty_facts import PersonFacts, in_audience
from tests.conftest import free_port
from tests.support.helpers import outbox_as_sent
from tests.support.nation_words import find_foreign_words
from tests.support.served import wait_for
from tests.support.terminal import asked, spawn

pytestmark = [pytest.mark.slow, pytest.mark.browser]

COMMAND = str(Path(sys.executable).parent / "compliance-bot")
WAIT = 300  # seconds: every wait needs a bound; generous for a busy machine, never a threshold
DOMAIN = "brookside.example"
# Name ("Surname, Forename"), Work Email, Role, Additional Role, Line Manager
STAFF = [
    ("Ashby, Ada", "ada.ashby", "Headteacher", "", ""),
    ("Brook, Ben", "ben.brook", "Class Teacher", "", "Ada Ashby"),
    ("Crane, Cleo", "cleo.crane", "Teaching Assistant", "Governor", "Ada Ashby"),
    ("Dale, Dev", "dev.dale", "Teaching Assistant", "", "Ben Brook"),
    ("Eames, Esme", "esme.eames", "Office Manager", "", "Ada Ashby"),
    ("Frost, Finn", "finn.frost", "Governor", "", ""),
    ("Grant, Gail", "", "Midday Supervisor", "", "Esme Eames"),
    ("Hale, Hal", "", "Cleaner", "", ""),
]
TITLES = {
    "Headteacher": "staff",
    "Principal": "staff",
    "Class Teacher": "staff",
    "Teaching Assistant": "staff",
    "Office Manager": "staff",
    "Governor": "governor",
    "Midday Supervisor": "staff",
    "Cleaner": "staff",
}
# the nation whose newcomer walks the whole way: the installed ``run`` (its server and its
# scheduler's first sweep) and Chromium; the others read the same pages in this process
WALKED = "england"
# the national guidance each nation's staff read, as the school keeps it in its policy folder
GUIDANCE = {
    "england": {
        "kcsie-2026-part-1.md": "Keeping children safe in education 2026: Part one",
        "kcsie-2026-annex-a.md": "Keeping children safe in education 2026: Annex A",
    },
    "wales": {"keeping-learners-safe.md": "Keeping learners safe"},
    "northern-ireland": {
        "de-guide.md": "Safeguarding and child protection in schools: a guide for schools"
    },
    "scotland": {},
}


def _inputs(folder: Path, nation: str, today: date) -> None:
    """The MIS export, the policy folder (with the nation's guidance) and the term dates."""
    folder.mkdir()
    lines = ["Name,Work Email,Role,Additional Role,Line Manager"]
    for name, user, role, extra, manager in STAFF:
        if nation == "northern-ireland" and role == "Headteacher":
            role = "Principal"  # the school's own MIS says its own word
        lines.append(f'"{name}",{user + "@" + DOMAIN if user else ""},{role},{extra},{manager}')
    (folder / "staff.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    policies = folder / "policies"
    policies.mkdir()
    approver = school_words_for(nation).governing_body  # the school's documents use its words
    for file, title in (
        ("child-protection.md", "Child Protection Policy"),
        ("code-of-conduct.md", "Staff Code of Conduct"),
    ):
        (policies / file).write_text(
            f"# {title}\n\nApproved by: {approver}\n\nRatified: 1 July {today.year}\n\n"
            f"Next review: July {today.year + 1}\n\nStaff follow this policy.\n",
            "utf-8",
        )
    for file, title in GUIDANCE[nation].items():
        (policies / file).write_text(
            f"# {title}\n\nWhat every member of staff reads.\n", encoding="utf-8"
        )
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    calendar = Calendar()
    calendar.add("prodid", "-//Fictional Council//Term dates//EN")
    calendar.add("version", "2.0")
    for number, (summary, day) in enumerate(
        (
            ("Autumn term begins", start),
            ("Autumn term ends", date(start.year, 12, 18)),
            ("Spring term begins", date(start.year + 1, 1, 4)),
            ("Spring term ends", date(start.year + 1, 3, 26)),
            ("Summer term begins", date(start.year + 1, 4, 12)),
            ("Summer term ends", date(start.year + 1, 7, 21)),
        )
    ):
        event = Event()
        event.add("uid", f"term-{number}@council.example")
        event.add("summary", summary)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        calendar.add_component(event)
    (folder / "term-dates.ics").write_bytes(calendar.to_ical())


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_BOT_")}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="200")
    return env


def _init(school: Path, inputs: Path, nation: str, url: str) -> str:
    """``init`` answered as a head would, whatever order the nation's questions come in;
    everything it printed."""
    words = school_words_for(nation)
    child, shown = spawn(["init"], cwd=school)
    answered: set[str] = set()
    questions = [
        "School name",
        r"Nation \(",
        "Where do staff have their accounts",
        "Web address staff will use",
        "Staff list:",
        r"\n\s*([^\n]+?) \(\d+ (?:person|people)\) →",
        r"\n([^\n]+?) \(name or email\)",
        r"\n([^\n]+?) \(Enter when done\)",
        r"\n([^\n]+?) \(Enter to leave out\)",
        "Term dates:",
        "Policy folder",
        r"\? \[Y/n\]",
        "Manage settings on the web pages",
        "Register a document of the policy folder as its edition",
        "Save this setup",
        "an independent school",
        "Its language category",
        r"\? \[y/N\]",
        "Who inspects it",  # England: its inspectorate, the nation's default taken (#79)
    ]
    while (found := child.expect([*map(asked, questions), pexpect.EOF])) != len(questions):
        text = child.match.group(1).strip() if child.match.groups() else ""
        answer = {
            0: "Brookside Primary School",
            1: nation,
            2: "",
            3: url,
            4: str(inputs / "staff.csv"),
            9: str(inputs / "term-dates.ics"),
            8: "",
            10: str(inputs / "policies"),
            11: "",
            12: "",
            13: "",
            14: "",
            15: "",
            16: "",
            17: "",
            18: "",
        }.get(found)
        if found == 5:
            answer = next(role for title, role in TITLES.items() if text.endswith(title))
        elif found == 6:
            answer = "Ada Ashby"
        elif found == 7:  # the lead, then who runs the bot; nobody else
            first = text not in answered
            answered.add(text)
            answer = (
                "Ada Ashby"
                if first
                and text.startswith(words.dsl_full[:1].upper())
                and words.dsl_full.casefold() in text.casefold()
                else "Esme Eames"
                if first and text.startswith("Who runs")
                else ""
            )
        assert answer is not None, text
        child.sendline(answer)
    child.close()
    output = shown.getvalue()
    assert child.exitstatus == 0, output[-3000:]
    return output


def _owes(config: SchoolConfig, roles: set[str]) -> set[str]:
    """What the school's requirements ask of someone holding ``roles`` (and in no group)."""
    facts = PersonFacts(0, "", frozenset(roles), frozenset())
    asked = [r for r in config.requirements if r.kind not in ("recurring_task", "sign_aup")]
    return {
        r.id
        for r in asked
        if any(
            in_audience(facts, a) for a in (r.audiences.values() if r.audiences else [r.audience])
        )
    }


def _emailed(outbox: Path, to: str) -> tuple[str, str] | None:
    """The sign-in link emailed to ``to`` and the email's text (None: not yet)."""
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            links = re.findall(r"https?://\S+/signin/link/\S+", text)
            if links:
                return links[0], f"{message['Subject']}\n{text}"
    return None


def _signin_link(outbox: Path, to: str, run: subprocess.Popen[bytes]) -> tuple[str, str]:
    """The sign-in link emailed to ``to`` (and the email's text), looked for while ``run``
    lives and makes progress (``wait_for``)."""
    found: list[tuple[str, str]] = []

    def emailed() -> bool:
        link = _emailed(outbox, to)
        if link is not None:
            found.append(link)
        return link is not None

    wait_for(emailed, run)
    return found[0]


def _ask_for_a_link(page: Any, url: str, admin: str) -> None:
    """Ask for a sign-in link and see the page say it is on its way. The first sweep of
    ``run`` may hold the database past SQLite's busy timeout: the page then says so and, as a
    person would, the test asks again (at most three times), never waiting for an email that
    was never queued."""
    said = ""
    for _ in range(3):
        page.goto(f"{url}/signin")
        page.fill("#email", admin)
        page.get_by_role("button", name="Email me a sign-in link").click()
        said = page.locator("body").inner_text()
        if "Check your email" in said:
            return
    raise AssertionError(f"asking for a sign-in link three times, the page said: {said}")


def _walk(school: Path, home: Path, url: str, admin: str, page: Any) -> list[str]:
    """``run`` started as a school starts it; the sign-in link asked for and opened in
    Chromium; Start sending pressed: what each step showed."""
    seen: list[str] = []
    run = subprocess.Popen(
        [COMMAND, "run"],
        cwd=school,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def listening() -> bool:
            try:
                page.goto(f"{url}/signin")
            except PlaywrightError:  # not listening yet
                return False
            return True

        wait_for(listening, run)
        _ask_for_a_link(page, url, admin)
        link, mail = _signin_link(home / "outbox", admin, run)
        seen.append(mail)
        page.goto(link)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(f"{url}/setup")
        seen.append(page.locator("main").inner_text())
        page.get_by_role("button", name="Start sending").click()
        page.wait_for_selector("#sending-started")
        seen.append(page.locator("main").inner_text())
    finally:
        with contextlib.suppress(ProcessLookupError):  # wait_for stopped it
            os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=WAIT)
    return seen


def _web_in_process(home: Path, admin: str) -> list[str]:
    """The same web steps as ``_walk``, in this process (the app ``run`` serves, built from
    the school's folder): the sign-in link asked for, emailed and used; /setup; Start
    sending. What each page and the email said."""
    from bot.core.deployment.settings import load_settings
    from bot.web.app import create_app
    from tests.features.reports.test_support import TestClient, csrf_of

    seen: list[str] = []
    with TestClient(create_app(load_settings())) as client:
        asked = client.post(
            "/signin/email",
            data={"csrf_token": csrf_of(client.get("/signin").text), "email": admin, "next": ""},
        )
        assert "Check your email" in asked.text, asked.text
        emailed = _emailed(home / "outbox", admin)  # handed over once the request is done
        assert emailed is not None, "no sign-in email"
        link, mail = emailed
        seen.append(mail)
        token = link.rsplit("/", 1)[1]
        form = client.get(f"/signin/link/{token}").text
        signed = client.post("/signin/link", data={"csrf_token": csrf_of(form), "token": token})
        assert signed.url.path == "/setup", signed.url
        seen.append(signed.text)
        started = client.post(
            "/setup/start-sending",
            data={"csrf_token": csrf_of(signed.text), "school": _school_id(signed.text)},
        )
        assert 'id="sending-started"' in started.text, started.text[-2000:]
        seen.append(started.text)
        client.app.state.ctx.store.dispose()
    return seen


def _school_id(setup_page: str) -> str:
    """The school the Start sending form names."""
    found = re.search(r'name="school" value="([^"]+)"', setup_page)
    assert found, "no Start sending form on /setup"
    return found.group(1)


@pytest.mark.parametrize("nation", ["england", "wales", "scotland", "northern-ireland"])
def test_a_newcomer_signs_in_starts_sending_and_each_person_owes_what_their_roles_say(
    nation: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today()
    inputs, school = tmp_path / "inputs", tmp_path / "brookside"
    _inputs(inputs, nation, today)
    school.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    seen = [" ".join(_init(school, inputs, nation, url).split())]  # Rich wraps long lines
    # nobody is promised a reading that will not be asked: the guidance's edition was offered
    # from the policy folder (and registered), so its readers are counted
    offered = "Register a document of the policy folder as its edition" in seen[0]
    assert offered == bool(GUIDANCE[nation])
    assert "no edition registered" not in seen[0]
    assert "without an email address: 2 people (Gail Grant, Hal Hale)" in seen[0]
    home = school / ".compliance-bot"
    admin = f"esme.eames@{DOMAIN}"

    # the whole walk (the installed ``run``: its server, its scheduler's first sweep, Chromium)
    # for one nation; the others' web steps are the same pages and emails, read in this
    # process, with the nation's words scanned all the same (their init above is their own)
    monkeypatch.chdir(school)
    for key in [k for k in os.environ if k.startswith("COMPLIANCE_BOT_")]:
        monkeypatch.delenv(key)
    if nation == WALKED:
        seen += _walk(school, home, url, admin, request.getfixturevalue("page"))
    else:
        seen += _web_in_process(home, admin)
    # the first sweep, as the school types it: the same command in this process (its own
    # process would only import the bot again; init and run above start the installed one)
    sweep = CliRunner().invoke(cli, ["sweep", "--no-send"], env=_env())
    assert sweep.exit_code == 0, sweep.output
    seen.append(sweep.output)

    store = Store(f"sqlite:///{home / 'compliance-bot.db'}")
    try:
        with store.session() as session:
            owed: dict[str, set[str]] = {}
            for name, key in session.execute(
                select(Person.display_name, Requirement.key)
                .join(Duty, Duty.person_id == Person.id)
                .join(Requirement, Requirement.id == Duty.requirement_id)
            ):
                owed.setdefault(name, set()).add(key)
            roles: dict[str, set[str]] = {}
            for name, role in session.execute(
                select(Person.display_name, PersonRole.role).join(PersonRole)
            ):
                roles.setdefault(name, set()).add(role)
        seen += [f"{m.subject}\n{m.payload['text']}" for m in outbox_as_sent(store)]
        recipients = [a for m in outbox_as_sent(store) for a in [*m.recipients, *m.cc]]
    finally:
        store.dispose()
    # the teaching assistant who is also a governor: both columns read, both roles' duties
    assert {"staff", "governor"} <= roles["Cleo Crane"]
    config = load_config(home / "school.yaml").school()
    for name in ("Ben Brook", "Cleo Crane", "Dev Dale", "Finn Frost", "Gail Grant", "Hal Hale"):
        assert owed.get(name, set()) == _owes(config, roles[name]), name
    assert owed["Cleo Crane"] == owed["Dev Dale"] | owed.get("Finn Frost", set())
    if nation == "england":  # governors' own training, asked of the governor TA too
        assert "governor-safeguarding-training" in owed["Cleo Crane"] - owed["Dev Dale"]
    # staff without an email address owe their training, and are never written to
    assert owed["Gail Grant"] == owed["Hal Hale"] == owed["Dev Dale"]
    assert any("training" in key for key in owed["Gail Grant"])
    assert all(has_mailbox(a) for a in recipients)
    for text in seen:
        assert not find_foreign_words(text, nation), find_foreign_words(text, nation)
