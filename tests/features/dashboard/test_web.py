"""The dashboard pages: who may see what, counts against the database, no report contents,
drill-downs, pagination, themes, Teams mode, the optional extras tile and trusts."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from sqlalchemy import event, func, select, text

from bot.core.models import AuditEvent, Person
from bot.features.dashboard import drilldown, web
from tests.conftest import isolated
from tests.features.dashboard.test_support import NOW, SECRET, Env, build, sign_in
from tests.support.helpers import Row, SchoolBuilder
from tests.support.paths import REPO

pytest_plugins = ("tests.features.dashboard.test_support",)  # the frozen fixture

STATIC = REPO / "bot" / "web" / "static"
TEAMS_JS_SHA256 = "1737ae2e319c8ab56d71d2218fd5a49d96a8ad70eb01ff2e9ab7e35093b93379"


def figure(html: str, name: str) -> str:
    """The text of the element marked ``data-figure="name"``."""
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
    assert found, f"no figure {name!r} on the page"
    return found.group(1).strip()


def row_cells(html: str, attr: str, value: str) -> dict[str, str]:
    """``data-col`` cells of the table row marked ``attr="value"``."""
    found = re.search(rf'<tr {attr}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row {attr}={value!r}"
    return {
        col: re.sub(r"<[^>]+>", "", text).strip()
        for col, text in re.findall(r'data-col="([^"]+)"[^>]*>(.*?)</td>', found.group(1), re.S)
    }


# The school is built once per module and backend, not once per test: the tests read it. What
# they add (sessions, sign-in and view audit rows; a page seen after a new sign-in is never a kept
# page) is counted by no figure they check.


def _built(folder: Any, database_url: str) -> Iterator[Env]:
    with isolated(folder), time_machine.travel(NOW, tick=False):
        env = build(SchoolBuilder(folder / "school"), database_url)
    yield env
    env.context.store.dispose()


@pytest.fixture(scope="module", name="built_sqlite")
def built_sqlite_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The built school (SQLite), once for the module."""
    folder = tmp_path_factory.mktemp("dashboard")
    yield from _built(folder, f"sqlite:///{folder / 'test.db'}")


@pytest.fixture(scope="module", name="built_any")
def built_any_fixture(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[Env]:
    """The built school on SQLite and, when configured, PostgreSQL, once for the module."""
    yield from _built(tmp_path_factory.mktemp("dashboard"), module_database_url)


@pytest.fixture(name="env")
def env_fixture(built_sqlite: Env, frozen: None) -> Env:
    """The built school (SQLite), the clock at Friday noon."""
    return built_sqlite


@pytest.fixture(name="any_env")
def any_env_fixture(built_any: Env, frozen: None) -> Env:
    """The built school on each backend, the clock at Friday noon."""
    return built_any


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("email", "status", "says"),
    [
        ("head@oak.example", 200, "Things needing you now"),
        ("dsl@oak.example", 200, "Things needing you now"),
        ("deputy@oak.example", 200, "Things needing you now"),
        ("admin@oak.example", 200, "Things needing you now"),
        ("gov@oak.example", 403, "governors' termly report"),
        ("amy@oak.example", 403, "your page"),
        (None, 401, "Please sign in"),
    ],
)
def test_who_may_open_the_dashboard(env: Env, email: str | None, status: int, says: str) -> None:
    response = env.client(email).get("/dashboard")
    assert response.status_code == status
    assert says in html.unescape(response.text)


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/people",
        "/dashboard/people/1",
        "/dashboard/policies/online-safety",
        "/dashboard/accounts/1",
    ],
)
def test_drill_downs_are_refused_like_the_dashboard(env: Env, path: str) -> None:
    assert env.client().get(path).status_code == 401
    assert env.client("amy@oak.example").get(path).status_code == 403
    assert env.client("gov@oak.example").get(path).status_code == 403
    assert env.client("head@oak.example").get(path).status_code == 200


def test_signing_in_inside_teams_offers_the_browser(env: Env) -> None:
    page = env.client().get("/dashboard?inTeams=1&theme=dark").text
    assert 'target="_blank"' in page and "open the dashboard in your browser" in page


# --------------------------------------------------------------------------- figures


def test_headline_figures_match_the_database(any_env: Env) -> None:
    env = any_env
    html = env.client("head@oak.example").get("/dashboard").text
    with env.context.store.session() as session:
        people = session.scalar(
            select(func.count()).select_from(Person).where(Person.active.is_(True))
        )
    assert figure(html, "people") == str(people) == "9"
    assert figure(html, "ack-rate") == "50%"  # 8 of 16 current-version acknowledgements
    assert figure(html, "training-rate") == "14%"  # 1 of 7
    assert figure(html, "accounts-unsigned") == "1"
    assert figure(html, "handovers") == "0"
    assert figure(html, "reviews-overdue") == "1"
    assert figure(html, "reviews-due-soon") == "1"
    assert figure(html, "overdue-duties") == "13"
    assert figure(html, "open-duties") == "16"
    assert row_cells(html, "data-policy", "online-safety") == {
        "done": "3",
        "outstanding": "5",
        "overdue": "5",
        "rate": "37%",
    }
    assert row_cells(html, "data-training", "training") == {
        "audience": "7",
        "up-to-date": "1",
        "renewing": "0",
        "expired": "0",
        "never": "6",
        "rate": "14%",
    }
    assert row_cells(html, "data-account", "1") == {
        "holders": "2",
        "unsigned": "2",
        "handover": "—",
    }
    assert 'data-policy="aup"' not in html  # asked of holders, not acknowledged
    assert "1 report deadline has passed" in html


def test_report_panel_by_viewer_and_never_contents(any_env: Env) -> None:
    env = any_env
    head = env.client("head@oak.example").get("/dashboard").text
    dsl = env.client("dsl@oak.example").get("/dashboard").text
    admin = env.client("admin@oak.example").get("/dashboard").text
    for page in (head, dsl, admin):
        assert SECRET not in page
        assert "staff_concern" not in page and "data_breach" not in page  # no categories
    # the head sees references to the reports they may read, never the one about them
    assert "CR-2026-0001" in head and "CR-2026-0002" in head
    assert "CR-2026-0003" not in head and "CR-2026-0004" not in head
    assert (figure(head, "open-reports"), figure(head, "clocks-running")) == ("2", "2")
    assert figure(head, "clocks-overdue") == "1"
    # each row's age and its running clock's deadline, said as the English page always said them
    assert re.search(r'<td class="num opt">\d+ days?</td>', head)
    assert re.search(r'<span class="small">\(due \w{3} \d{2} \w{3} \d{2}:\d{2}\)</span>', head)
    # the DSL also sees the report about the head; admins see counts only
    assert "CR-2026-0003" in dsl and figure(dsl, "open-reports") == "3"
    assert figure(dsl, "clocks-overdue") == "2"
    assert not re.search(r"CR-\d{4}-", admin)
    assert figure(admin, "open-reports") == "2"
    assert "Counts only" in admin


def test_a_view_reads_the_viewer_once_and_the_report_panel_in_one_read(env: Env) -> None:
    """Who is looking is the signed-in record (read once, by school and email: never again by
    email alone, a scan of the school's people), in the page's own session (one of its own cost
    a connection and a transaction a view); the snapshot is read once; and the report panel
    reads the open reports with their running clocks at once, never each report's clocks apart
    (issue 91)."""
    client = env.client("head@oak.example")
    assert client.get("/dashboard").status_code == 200
    seen: list[tuple[str, Any]] = []  # each statement and the connection it ran on (kept)

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((" ".join(statement.split()), conn))

    engine = env.context.store.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/dashboard").text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "CR-2026-0001" in page and figure(page, "clocks-running") == "2"
    viewer = [conn for s, conn in seen if s.startswith("SELECT people.")]
    snapshot = [conn for s, conn in seen if "FROM duty_snapshots" in s]
    assert len(viewer) == 1 and len(snapshot) == 1 and viewer[0] is snapshot[0]
    assert not [s for s, _ in seen if "WHERE report_clocks.report_id IN" in s]


# --------------------------------------------------------------------------- drill-downs


def test_policy_drill_down_lists_who_has_and_has_not(env: Env) -> None:
    client = env.client("head@oak.example")
    outstanding = client.get("/dashboard/policies/online-safety").text
    assert (figure(outstanding, "done"), figure(outstanding, "owed")) == ("3", "8")
    assert figure(outstanding, "overdue") == "5"
    names = re.findall(r'<tr data-person="\d+"><th scope="row"><a [^>]*>([^<]+)</a>', outstanding)
    assert names == ["Adam Admin", "Ben Brook", "Cal Cole", "Dan Deputy", "Dot Dale"]
    done = client.get("/dashboard/policies/online-safety?show=acknowledged").text
    names = re.findall(r'<tr data-person="\d+"><th scope="row"><a [^>]*>([^<]+)</a>', done)
    assert names == ["Amy Able", "Dee Lead", "Hana Head"]
    assert "17 Nov 2026 10:30" in done  # when they acknowledged
    assert client.get("/dashboard/policies/no-such-policy").status_code == 404


def test_long_lists_are_paginated(any_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env = any_env
    monkeypatch.setattr(drilldown, "PAGE_SIZE", 2)
    client = env.client("head@oak.example")
    first = client.get("/dashboard/people").text
    assert "Page 1 of 5" in first and "Showing 1–2 of 9" in first
    third = client.get("/dashboard/people?page=3").text
    assert "Showing 5–6 of 9" in third and 'rel="prev"' in third and 'rel="next"' in third
    beyond = client.get("/dashboard/people?page=99").text
    assert "Page 5 of 5" in beyond
    overdue = client.get("/dashboard/people?show=overdue").text
    assert "with overdue duties" in overdue
    found = client.get("/dashboard/people?q=brook").text
    assert "Ben Brook" in found and "Amy Able" not in found
    for search in ("Mr Brook", "brook ben", "Fr.%20Ben"):  # any part of the name, titles aside
        found = client.get(f"/dashboard/people?q={search}").text
        assert "Ben Brook" in found and "Amy Able" not in found, search
    policy = client.get("/dashboard/policies/online-safety?page=2").text
    assert "Page 2 of 3" in policy and "Showing 3–4 of 5" in policy


def test_person_drill_down_shows_duties_and_evidence_and_is_audited(any_env: Env) -> None:
    env = any_env
    amy = env.person("amy@oak.example")
    page = env.client("head@oak.example").get(f"/dashboard/people/{amy.id}").text
    assert "Amy Able" in page
    assert "Online Safety Policy" in page and "Social Media AUP — School Facebook page" in page
    assert "Acknowledgement" in page and "Safeguarding" in page  # evidence and training
    assert "School Facebook page" in page  # the account she holds
    with env.context.store.session() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "dashboard.person_viewed")
        )
    assert event is not None and event.actor == "head@oak.example"
    assert event.object_id == str(amy.id)
    assert env.client("head@oak.example").get("/dashboard/people/9999").status_code == 404


def test_account_drill_down_shows_holders_and_signatures(env: Env) -> None:
    page = env.client("admin@oak.example").get("/dashboard/accounts/1").text
    assert (figure(page, "holders"), figure(page, "unsigned")) == ("2", "2")
    assert "Amy Able" in page and "Ben Brook" in page and "Overdue" in page
    assert env.client("admin@oak.example").get("/dashboard/accounts/99").status_code == 404


# --------------------------------------------------------------------------- themes, Teams


@pytest.mark.parametrize(
    ("query", "theme"),
    [
        ("", "light"),
        ("?theme=dark", "dark"),
        ("?theme=contrast", "contrast"),
        ("?theme=default", "light"),
        ("?theme=<script>", "light"),
    ],
)
def test_themes(env: Env, query: str, theme: str) -> None:
    response = env.client("head@oak.example").get(f"/dashboard{query}")
    assert f'<html lang="en-GB" data-theme="{theme}">' in response.text
    assert "<script>" not in response.text.split("</head>")[0]


def test_theme_is_remembered_and_links_keep_teams_mode(env: Env) -> None:
    client = env.client("head@oak.example")
    response = client.get("/dashboard?theme=dark&inTeams=1")
    assert response.cookies.get("cb_theme") == "dark"
    html = response.text
    assert 'data-in-teams="1"' in html
    assert '<script src="/static/vendor/teams-js/MicrosoftTeams.min.js" defer>' in html
    assert '<script src="/static/teams-tab.js" defer>' in html
    # ours, not the site header's; the theme links change the theme on purpose
    dash = html.split('<div class="dash"', 1)[1].split('<footer class="dash-foot">')[0]
    links = re.findall(r'href="(/dashboard[^"]*)"', dash)
    assert links and all("theme=dark" in u and "inTeams=1" in u for u in links), links
    assert 'data-theme="dark"' in client.get("/dashboard/people").text  # the cookie
    plain = client.get("/dashboard").text
    assert "teams-js" not in plain  # the browser never loads the Teams library


class _Checker(HTMLParser):
    """Collects what the accessibility checks need."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.labelled_svgs: list[str] = []
        self.svgs = 0
        self.tables = 0
        self.captions = 0
        self.headings: list[str] = []
        self.scripts: list[str] = []
        self.imgs_without_alt = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "svg":
            self.svgs += 1
            assert a.get("role") == "img", attrs
            self.labelled_svgs.append(str(a.get("aria-labelledby")))
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag in ("h1", "h2", "h3"):
            self.headings.append(tag)
        if tag == "script" and a.get("src"):
            self.scripts.append(str(a["src"]))
        if tag == "img" and "alt" not in a:
            self.imgs_without_alt += 1


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard?inTeams=1",
        "/dashboard/policies/online-safety",
        "/dashboard/people",
        "/dashboard/people/1",
        "/dashboard/accounts/1",
    ],
)
def test_pages_are_accessible_and_first_party(env: Env, path: str) -> None:
    html = env.client("head@oak.example").get(path).text
    checker = _Checker()
    checker.feed(html)
    assert checker.headings.count("h1") == 1 and checker.headings[0] == "h1"
    assert checker.tables == checker.captions  # every table says what it holds
    for target in checker.labelled_svgs:  # every chart has a <title> it points at
        assert target in checker.ids
    assert all(src.startswith("/static/") for src in checker.scripts)  # CSP script-src 'self'
    assert checker.imgs_without_alt == 0
    if path.startswith("/dashboard?"):
        assert checker.svgs >= 5  # two gauges, two policy bars, one training bar
        assert "<title" in html and "95% target" in html


def test_csp_allows_teams_to_frame_the_dashboard(env: Env) -> None:
    response = env.client("head@oak.example").get("/dashboard")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors" in csp and "https://teams.microsoft.com" in csp
    assert "script-src 'self'" in csp
    assert "x-frame-options" not in response.headers


def test_teams_configure_page_works_without_sign_in(env: Env) -> None:
    response = env.client().get("/teams/configure")
    assert response.status_code == 200
    assert 'id="tab-school"' in response.text and "Oak Test School" in response.text
    assert '<script src="/static/teams-config.js" defer>' in response.text
    script = env.client().get("/static/teams-config.js").text
    assert "pages.config.setConfig" in script and "registerOnSaveHandler" in script
    assert "&theme={theme}&inTeams=1" in script


def test_vendored_teams_library_is_the_published_file() -> None:
    vendored = STATIC / "vendor" / "teams-js"
    data = (vendored / "MicrosoftTeams.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == TEAMS_JS_SHA256
    assert TEAMS_JS_SHA256 in (vendored / "README.md").read_text(encoding="utf-8")
    licence = (vendored / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Microsoft Corporation" in licence


# --------------------------------------------------------------------------- extras tile


def test_tiles_shows_the_decisions_tasks_and_visitors_counts(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    def dashboard_counts(session: Any, school_id: str, today: Any) -> dict[str, int]:
        seen.append((school_id, today))
        return {"decisions_due_for_review": 2, "overdue_tasks": 1, "visitor_assurances_today": 7}

    monkeypatch.setattr(web, "dashboard_counts", dashboard_counts)
    html = env.client("head@oak.example").get("/dashboard").text
    assert 'id="tile-extras"' in html
    assert "Decisions due for review" in html and 'data-extra="visitor_assurances_today">7<' in html
    assert seen and seen[0][0] == "oak"


def test_tiles_is_hidden_when_its_counts_fail(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def dashboard_counts(session: Any, school_id: str, today: Any) -> dict[str, int]:
        raise RuntimeError("table missing")

    monkeypatch.setattr(web, "dashboard_counts", dashboard_counts)
    response = env.client("head@oak.example").get("/dashboard")
    assert response.status_code == 200 and 'id="tile-extras"' not in response.text
    assert "dashboard_counts failed" in caplog.text


def test_tiles_failing_in_the_database_leaves_the_page_reading(
    any_env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The counts share the page's session: a statement the database refuses there is rolled
    back to its savepoint, and the page goes on reading (PostgreSQL would refuse every later
    statement of a transaction left failed)."""

    def dashboard_counts(session: Any, school_id: str, today: Any) -> dict[str, int]:
        session.execute(text("SELECT count(*) FROM no_such_table"))
        return {}

    monkeypatch.setattr(web, "dashboard_counts", dashboard_counts)
    response = any_env.client("head@oak.example").get("/dashboard")
    assert response.status_code == 200 and 'id="tile-extras"' not in response.text
    assert "dashboard_counts failed" in caplog.text
    assert 'id="now"' in response.text and "CR-2026-0001" in response.text


# --------------------------------------------------------------------------- trusts


def _trust(builder: SchoolBuilder, sqlite_url: str) -> Env:
    """Oak (as usual) and Elm; the trust lists Oak's head as an admin of Elm by email."""
    import csv

    import yaml

    from bot.core.deployment.context import AppContext
    from bot.core.deployment.settings import Settings
    from bot.web.app import create_app
    from tests.features.dashboard.test_support import FIRST_SWEEP, TODAY, configure

    configure(builder).write()
    elm_people = [
        Row("head@elm.example", "Eli Elm"),
        Row("teacher@elm.example", "Tia Elm"),
        Row("dsl@elm.example", "Dev Elm"),
    ]
    with (builder.home / "directory.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "roles", "groups", "manager_email", "active", "school"])
        for school_id, rows in (("oak", builder.people), ("elm", elm_people)):
            for r in rows:
                writer.writerow(
                    [r.email, r.name, r.roles, r.groups, r.manager, r.active, school_id]
                )
    data = yaml.safe_load((builder.home / "school.yaml").read_text(encoding="utf-8"))
    data["schools"].append(
        {
            "id": "elm",
            "name": "Elm Academy",
            "headteacher": "head@elm.example",
            "dsl": ["dsl@elm.example"],
            "admins": ["head@oak.example"],  # the trust's view of Elm, through Oak's head
        }
    )
    (builder.home / "school.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
    )
    ctx = AppContext(
        Settings(
            home=builder.home,
            database_url=sqlite_url,
            demo=True,
            secret_key="test-secret-key-0123456789-abcdefghij",
        )
    )
    env = Env(ctx, create_app(ctx.settings, ctx))
    env.sweep(FIRST_SWEEP)
    env.sweep(TODAY)
    return env


def test_trust_has_a_school_switcher_and_a_roll_up(
    school: SchoolBuilder, sqlite_url: str, frozen: None
) -> None:
    env = _trust(school, sqlite_url)
    client = env.client("head@oak.example")
    oak = client.get("/dashboard").text
    assert 'id="school-choice"' in oak and "Elm Academy" in oak
    assert 'id="rollup"' in oak and 'data-school="elm"' in oak and "All schools" in oak
    assert re.search(r'id="school-name">Oak Test School<', oak)
    elm = client.get("/dashboard?school=elm").text
    assert re.search(r'id="school-name">Elm Academy<', elm)
    assert figure(elm, "people") == "3"
    assert 'href="/dashboard/people?school=elm"' in elm  # links keep the school
    assert client.get("/dashboard?school=nowhere").status_code == 404
    # Elm's head sees Elm only, and is refused Oak
    elm_head = env.client("head@elm.example")
    page = elm_head.get("/dashboard").text
    assert re.search(r'id="school-name">Elm Academy<', page) and 'id="rollup"' not in page
    assert elm_head.get("/dashboard?school=oak").status_code == 403
    single = env.client("dsl@oak.example")
    page = single.get("/dashboard").text
    assert 'id="school-choice"' not in page and 'id="rollup"' not in page
    assert single.get("/dashboard?school=elm").status_code == 403
    assert single.get(f"/dashboard/people/{_elm_teacher(env)}").status_code == 404


def _elm_teacher(env: Env) -> int:
    """The id of Elm's teacher."""
    with env.context.store.session() as session:
        pid = session.scalar(select(Person.id).where(Person.email == "teacher@elm.example"))
    assert pid is not None
    return pid


def test_sign_in_helper_rejects_strangers(env: Env) -> None:
    client = env.client()
    with pytest.raises(AssertionError):
        sign_in(client, "nobody@oak.example")
