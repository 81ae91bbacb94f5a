"""Every page of the demo school on a phone (390 × 844), for every persona and in every theme, and
in each language a school may choose (English, Welsh, both), in a real Chromium: nothing scrolls
sideways, and axe-core (tests/node) finds no WCAG 2 A/AA violation (the colour rules in each
theme in English; a page's colours are the same in every language). Every GET page in the
app's route list is visited by someone. The app's
Content-Security-Policy stays as served (see tests/support/axe.py); every page is checked for its
CSP header and for anything the CSP refused. axe runs once per distinct page of a walk: a page
whose elements, attributes and words are those of one checked already (the governor's and the
chair's /policies) shares its findings (``_SAME_PAGE``).

One demo school and one server serve every test of the module. Each persona's walk is taken in
the order of ``PERSONAS`` by the first test that needs it, and each test asserts one property of
one walk (``WALKS``), so that no test holds a worker for the whole crawl. The longest walks are
taken in parts along the app's rooms (``PARTS``): a persona's own pages first; then, from the
links those left, the dashboard and accounts, the case records, the settings (each part also
takes a page of an earlier part that only its pages link to). The pages, persona and themes
visited are the one walk's. The deputy DSL's and the school business manager's walks are
test_accessibility_office_browser.py's, so that pytest-xdist can run the two halves at once;
every page in the route list is reached by a persona of this one."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
import time_machine
import yaml
from sqlalchemy import select

from bot.core.config import store as config_store
from bot.core.deployment.context import AppContext
from bot.core.guards.links import make_token
from bot.core.language.i18n import html_lang
from bot.core.models import Duty, Person
from bot.features.privacy.access import open_request
from bot.web.app import ROUTERS, create_app
from tests.conftest import LiveServer, _missing
from tests.support.axe import add_axe, axe_in_themes
from tests.support.demo_school import IN_TERM, demo_school
from tests.support.helpers import at
from tests.support.paths import NODE_MODULES

pytestmark = pytest.mark.browser
TODAY = IN_TERM  # a Wednesday in term
PHONE = {"width": 390, "height": 844}
THEMES = ("light", "dark", "contrast")
LANGUAGES = ("en", "cy", "cy+en")  # the school's ``language:``
# a theme changes colours only: in the others, axe runs the rules that read colours
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
# files, exports and machine answers: nothing to lay out or read on a phone
NOT_PAGES = re.compile(
    r"^/(static|auth)/|^/(healthz|readyz|openapi\.json)$|/files/|/pages/|"
    r"^/documents/[^/]+$|\.(csv|pdf|png|ics|yaml)$|/zip$"
)
SKIP = re.compile(r"download=1")  # downloads: the browser saves them, shows nothing
# TeamsJS (on /teams/configure) asks Microsoft's CDN for the Teams domains; the CSP refuses and
# TeamsJS uses the list it carries (validOrigins in MicrosoftTeams.min.js)
TEAMS_DOMAINS = "https://res.cdn.office.net/teams-js/validDomains/"
STAFF = "member of staff"  # reports an immediate concern before any DSL looks
# the walks of test_accessibility_office_browser.py
OFFICE = ("deputy DSL", "school business manager (admin)")
# the parts of a walk: a persona's own pages (PAGES), then the pages of these rooms they link to
PAGES = "pages"
PARTS = {
    "dashboard and accounts": re.compile(r"^/(dashboard|accounts)(/|$)"),
    "case records": re.compile(r"^/(reports|decisions|complaints|privacy/requests)(/|$)"),
    "settings": re.compile(r"^/(setup|admin)(/|$)"),
}
# the walks taken in parts (the longest): the parts of each, in the order taken
SPLIT = {
    "headteacher and DSL": ("dashboard and accounts", "case records", "settings"),
    "deputy DSL": ("dashboard and accounts", "case records"),
    "school business manager (admin)": ("dashboard and accounts", "settings"),
}
# the page as axe and the layout read it: every element with its attributes, and every text.
# Only what a session or a row makes differ is left out: the long tokens and the numbers in
# addresses, form values and meta contents (each session's CSRF token, a signed link's token,
# an id), none of which any axe rule reads. Two pages alike here are one page to axe: the
# governor's /policies is the chair's, the visitor's /signin/code is their /signin/email
_SAME_PAGE = """() => {
    const parts = [];
    const data = ['href', 'action', 'value', 'content'];
    const walk = (node) => {
        for (const child of node.childNodes) {
            if (child.nodeType === Node.TEXT_NODE) {
                if (child.textContent.trim()) parts.push('"' + child.textContent + '"');
            } else if (child.nodeType === Node.ELEMENT_NODE) {
                const attributes = [...child.attributes].map((a) => a.name + '=' + (
                    data.includes(a.name)
                        ? a.value.replace(/[A-Za-z0-9_-]{20,}/g, 'T').replace(/[0-9]+/g, '0')
                        : a.value)).sort();
                parts.push('<' + child.tagName + ' ' + attributes.join(' '));
                walk(child);
                parts.push('>');
            }
        }
    };
    walk(document.documentElement);
    return parts.join('');
}"""


def _get_routes(routes: list[Any]) -> Iterator[Any]:
    """The GET pages of ``routes``, walking included routers (none adds a prefix)."""
    for route in routes:
        if hasattr(route, "original_router"):  # a router included in this one
            yield from _get_routes(route.original_router.routes)
        elif "GET" in getattr(route, "methods", ()) and not NOT_PAGES.search(route.path):
            yield route


ROUTES = list(_get_routes([route for router in ROUTERS for route in router.routes]))


def _kind(path: str) -> str:
    """The route serving ``path`` (one page per route: /policies/a and /policies/b are one)."""
    path = path.split("?")[0]
    return next((r.path for r in ROUTES if r.path_regex.match(path)), path)


def _personas(ctx: AppContext) -> dict[str, tuple[str | None, list[str]]]:
    """Each persona's address (None: no account) and the pages they start from: the app links
    every other page, or it is an address from a poster, an email or Teams."""
    home = ctx.settings.home
    school = yaml.safe_load((home / "school.yaml").read_text(encoding="utf-8"))["schools"][0]
    named = [
        school["headteacher"],
        *school["deputy_dsl"],
        *school["admins"],
        school["chair_of_governors"],
        school["clerk"],
    ]
    with (home / "directory.csv").open(encoding="utf-8") as handle:
        governor = next(r["email"] for r in csv.DictReader(handle) if r["roles"] == "governor")
    with ctx.store.session() as session:
        # a member of staff with something to read, who holds an account (an AUP to show)
        row = session.execute(
            select(Person, Duty)
            .join(Duty, Duty.person_id == Person.id)
            .where(Duty.kind == "sign_aup", Person.email.not_in(named))
            .where(
                Person.id.in_(
                    select(Duty.person_id).where(
                        Duty.status == "open", Duty.kind == "acknowledge_policy"
                    )
                )
            )
        ).first()
        assert row is not None
        staff, aup = row
        aup_link = "/aup/" + make_token(
            ctx.settings.signing_key(), "aup", staff.id, aup.id, aup.policy_version_id
        )
    signed_in = ["/me", "/", "/report"]
    sid = school["id"]
    return {
        "visitor (no account)": (
            None,
            [
                "/",
                "/report",
                f"/report/{sid}",
                "/complaint",
                f"/visit/{sid}",
                "/signin",
                "/signin/email",
                "/signin/code",
                "/signin/link/not-a-real-link",
                "/teams/configure",
                "/no-such-page",
                "/ack/not-a-real-link",
                "/training/not-a-real-link",  # the on-behalf training page's refusal
            ],
        ),
        "member of staff": (staff.email, [*signed_in, aup_link]),
        # /trust: the trust's safeguarding lead's page; the demo school has none, so the head
        # meets its refusal (tests/features/trust has the page itself)
        # the poster: leadership prints it too, so this half of the walk reaches every page;
        # /scr: the single central record's gaps, the head's and the SCR owner's alone
        # /admin/people/move: the plan a held directory's form shows (the demo's is not held)
        "headteacher and DSL": (
            school["headteacher"],
            [*signed_in, "/trust", f"/visit/{sid}/poster", "/scr", "/admin/people/move?domains="],
        ),
        "deputy DSL": (school["deputy_dsl"][0], signed_in),
        "school business manager (admin)": (
            school["admins"][0],
            [*signed_in, f"/visit/{sid}/poster"],
        ),
        "chair of governors": (school["chair_of_governors"], signed_in),
        "governor": (governor, signed_in),
        "clerk to governors": (school["clerk"], signed_in),
    }


@dataclass
class Visit:
    """One page, as one persona saw it in one theme."""

    persona: str
    path: str
    theme: str
    status: int
    scroll_width: int
    problems: list[str] = field(default_factory=list)
    lang: str = ""  # the page's <html lang>

    def __str__(self) -> str:
        return f"{self.persona}, {self.path} [{self.status}], {self.theme} theme"


class Phone:
    """One persona's browser at phone size; every page it shows is checked in every theme."""

    def __init__(
        self,
        chromium: Any,
        url: str,
        persona: str,
        base_url: str,
        checked: dict[str, list[tuple[list[str], int]]],
        colours: bool = True,
    ) -> None:
        """A fresh context (own cookies) with axe-core in every page; links to ``url`` and to
        ``base_url`` (the address the school's links are made with) are followed. ``checked``:
        what axe found on each page already shown (by ``_SAME_PAGE``), shared by the walk's
        phones; ``colours``: whether axe's colour rules run in the themes after the first."""
        self.checked, self.colours = checked, colours
        self.context = chromium.new_context(viewport=PHONE)
        add_axe(self.context, NODE_MODULES)
        self.page = self.context.new_page()
        self.url, self.persona = url, persona
        self.origins = {url, "{0.scheme}://{0.netloc}".format(urlsplit(base_url))}
        self.visits: list[Visit] = []
        self.queue: list[str] = []  # links to follow, in the order found
        self.seen: set[str] = set()  # the routes shown (one page each)
        self.refused: list[str] = []
        self.page.on(
            "console",
            lambda m: self.refused.append(m.text) if "Content Security" in m.text else None,
        )

    def check(self, where: str, response: Any) -> None:
        """The page as shown, in each theme: the ``data-theme`` the server renders from the
        ``cb_theme`` cookie (test_dashboard_browser checks that), switched in place."""
        assert response is not None
        problems = [f"CSP refused: {text}" for text in self.refused if TEAMS_DOMAINS not in text]
        self.refused.clear()
        if "script-src 'self'" not in (response.headers.get("content-security-policy") or ""):
            problems.append("no Content-Security-Policy header")
        # a page shown already (another route or persona, the same elements and words): axe
        # found what it found there; the CSP is checked on each response all the same
        same = self.page.evaluate(_SAME_PAGE)
        lang = self.page.evaluate("document.documentElement.lang")
        found = self.checked.get(same)
        if found is None:
            found = axe_in_themes(  # one round trip
                self.page, list(THEMES), COLOUR_RULES if self.colours else None
            )
            self.checked[same] = found
        for theme, (violations, width) in zip(THEMES, found, strict=True):
            problems += violations
            self.visits.append(
                Visit(self.persona, where, theme, response.status, width, problems, lang)
            )
            problems = []

    def crawl(self, walked: Collection[str], part_of: dict[str, re.Pattern[str]]) -> None:
        """Every page of the parts ``walked`` reachable by a link from the pages this phone has
        shown (or its seeds, ``queue``), one per route, in the order the links were found; links
        to a later part's pages (``part_of``: each part's paths) wait in ``queue`` for it."""
        queue = self.queue
        while path := next((p for p in queue if _part(p, part_of) in walked), None):
            queue.remove(path)
            if _kind(path) in self.seen:
                continue
            self.seen.add(_kind(path))
            self.check(path, self.page.goto(self.url + path))
            for href in self.page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
                parts = urlsplit(urljoin(self.url + path, href))
                query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "theme"])
                target = parts.path + (f"?{query}" if query else "")
                if (
                    f"{parts.scheme}://{parts.netloc}" in self.origins
                    and _kind(target) not in self.seen
                    and not NOT_PAGES.search(parts.path)
                    and not SKIP.search(target)
                ):
                    queue.append(target)

    def sign_in(self, email: str) -> None:
        """Sign in as ``email`` (the demo's sign-in lists its people)."""
        self.page.goto(self.url + "/signin")
        self.page.locator("#email").select_option(email)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_load_state()

    def report_an_immediate_concern(self, checked: bool) -> None:
        """Send the report form empty (its error page), then an immediate concern (received);
        both pages checked when ``checked`` (a walk that keeps what this persona saw)."""
        self.page.goto(self.url + "/report")
        with self.page.expect_navigation() as sent:
            self.page.locator("main button[type=submit]").click()
        if checked:
            self.check("/report (sent empty)", sent.value)
        self.page.locator("#category-mobile_device").check()
        self.page.locator("#involved-pupil").check()
        self.page.locator("#what_happened").fill("A pupil said an older pupil took her phone.")
        self.page.locator("#occurred").fill("This morning")
        self.page.locator("#immediate_risk").check()
        with self.page.expect_navigation() as sent:
            self.page.locator("main button[type=submit]").click()
        if checked:
            self.check("/report (received)", sent.value)


def _part(path: str, part_of: dict[str, re.Pattern[str]]) -> str:
    """The part of a walk that shows ``path``: the first of ``part_of`` whose paths it is in,
    or the persona's own pages (``PAGES``)."""
    return next((part for part, paths in part_of.items() if paths.search(path)), PAGES)


class Walks:
    """The demo school as of ``TODAY`` (a copy of the session's one build, as the walks change
    it) served to the personas in ``walks``, each walk (part) taken when first asked for, in the
    order of ``PERSONAS`` and ``PARTS`` whatever the order asked: what each saw is what the one
    crawl saw. The member of staff's immediate concern is made whichever walks are taken."""

    def __init__(
        self,
        chromium: Any,
        tmp_path_factory: pytest.TempPathFactory,
        walks: Collection[str],
        language: str = "en",
    ) -> None:
        """The school (its ``language:`` set to ``language``), its server and the walks, none
        taken yet."""
        self.ctx = AppContext(demo_school(tmp_path_factory, TODAY))
        if language != "en":  # as the settings pages save it (the demo keeps its settings there)
            org = config_store.updated(
                self.ctx.config, self.ctx.config.school().id, language=language
            )
            with self.ctx.store.transaction() as session:
                config_store.save(session, org, by="test", now=at(TODAY, 9), note=language)
            self.ctx.forget_config()
        with self.ctx.store.transaction() as session:  # one subject access request to show
            school = self.ctx.config.school()
            person = session.scalars(
                select(Person).where(Person.school_id == school.id, Person.active.is_(True))
            ).first()
            assert person is not None
            open_request(session, school, person, "access", now=at(TODAY, 9), actor="test")
        self.chromium, self.walks, self.language = chromium, walks, language
        self.seen: dict[tuple[str, str], list[Visit]] = {}
        self.checked: dict[str, list[tuple[list[str], int]]] = {}
        self._steps = self._walk()

    def __enter__(self) -> Walks:
        """Start the clock (``TODAY``, ticking) and the server."""
        with ExitStack() as stack:
            stack.enter_context(time_machine.travel(at(TODAY, 10), tick=True))
            self.server = stack.enter_context(LiveServer(create_app(self.ctx.settings, self.ctx)))
            self._running = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the walk under way, then the server, the clock and the school."""
        self._steps.close()
        self._running.close()
        self.ctx.store.dispose()
        taken = sum(len(visits) for visits in self.seen.values()) // len(THEMES)
        print(
            f"\naxe ({self.language}): {len(self.checked)} distinct pages checked for {taken} "
            "visits"
        )

    def visits(self, persona: str, part: str) -> list[Visit]:
        """What ``persona`` saw of ``part`` (in every theme); the walks before it taken first."""
        while (persona, part) not in self.seen:
            if not next(self._steps, False):
                pytest.fail(f"no walk after a failed one: {persona}, {part} was not taken")
        return self.seen[persona, part]

    def every_visit(self) -> list[Visit]:
        """What every walk saw (all taken)."""
        for _ in self._steps:
            pass
        return [visit for visits in self.seen.values() for visit in visits]

    def _walk(self) -> Iterator[bool]:
        """The walks one part at a time, each part's visits in ``seen`` before it yields."""
        for persona, (email, seeds) in _personas(self.ctx).items():
            if persona not in self.walks and persona != STAFF:
                continue
            phone = Phone(
                self.chromium,
                self.server.url,
                persona,
                self.ctx.settings.base_url,
                self.checked,
                colours=self.language == "en",
            )
            try:
                if email is not None:
                    phone.sign_in(email)
                if persona == STAFF:  # before the DSLs look: an Immediate badge (the pages
                    # checked only in the walk that keeps them)
                    phone.report_an_immediate_concern(checked=persona in self.walks)
                if persona not in self.walks:
                    continue
                phone.queue += seeds
                part_of = {part: PARTS[part] for part in SPLIT.get(persona, ())}
                order = [PAGES, *part_of]
                for taken, part in enumerate(order, start=1):  # and what an earlier part's
                    # pages are linked from this one's only (the one walk's pages, all of them)
                    phone.crawl(order[:taken], part_of)
                    self.seen[persona, part] = phone.visits
                    phone.visits = []
                    yield True
            finally:
                phone.context.close()


PERSONAS = (
    "visitor (no account)",
    STAFF,
    "headteacher and DSL",
    *OFFICE,
    "chair of governors",
    "governor",
    "clerk to governors",
)


def walks_of(personas: Collection[str]) -> list[Any]:
    """Each walk (part) of ``personas`` as a pytest parameter, in the order they are taken."""
    return [
        pytest.param((persona, part), id=f"{persona} / {part}")
        for persona in PERSONAS
        if persona in personas
        for part in (PAGES, *SPLIT.get(persona, ()))
    ]


WALKS = walks_of(set(PERSONAS) - set(OFFICE))


@pytest.fixture(scope="module", params=LANGUAGES)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chromium: Any
) -> Iterator[Walks]:
    """The walks of this module's personas in the school's language, each taken when first
    asked for."""
    if not (NODE_MODULES / "axe-core").is_dir():
        _missing("tests/node is not installed (cd tests/node && npm ci)")
    with Walks(chromium, tmp_path_factory, set(PERSONAS) - set(OFFICE), request.param) as walks:
        yield walks


def walk_tests(walks: list[tuple[str, str]]) -> tuple[Callable[..., None], ...]:
    """The three checks of each walk, parametrized by a module's ``walks``: this module's and
    the office module's, each module's tests asking its own ``demo``."""

    @pytest.mark.parametrize("walk", walks)
    def sees_every_page_in_every_theme(demo: Walks, walk: tuple[str, str]) -> None:
        pages = demo.visits(*walk)
        assert {v.persona for v in pages} == {walk[0]}
        assert {v.theme for v in pages} == set(THEMES)
        assert len(pages) >= 3 * 4, walk
        # in the school's language: Welsh first in cy and cy+en (the walk is not English twice)
        assert {v.lang for v in pages} == {html_lang(demo.language)}, walk

    @pytest.mark.parametrize("walk", walks)
    def no_page_scrolls_sideways_on_a_phone(demo: Walks, walk: tuple[str, str]) -> None:
        wide = [
            f"{v}: {v.scroll_width} px wide"
            for v in demo.visits(*walk)
            if v.scroll_width > PHONE["width"]
        ]
        assert not wide, "\n".join(wide)

    @pytest.mark.parametrize("walk", walks)
    def no_axe_violation_or_csp_problem(demo: Walks, walk: tuple[str, str]) -> None:
        found = [f"{v}: {problem}" for v in demo.visits(*walk) for problem in v.problems]
        assert not found, "\n".join(found)

    return (
        sees_every_page_in_every_theme,
        no_page_scrolls_sideways_on_a_phone,
        no_axe_violation_or_csp_problem,
    )


(
    test_every_persona_sees_every_page_in_every_theme,
    test_no_page_scrolls_sideways_on_a_phone,
    test_no_page_has_an_axe_violation_or_a_csp_problem_in_any_theme,
) = walk_tests(WALKS)


def test_every_page_in_the_route_list_is_visited(demo: Walks) -> None:
    # last: every walk is taken by then (by the tests above)
    crawl = demo.every_visit()
    assert {v.persona for v in crawl} == set(PERSONAS) - set(OFFICE)
    visited = {visit.path.split("?")[0] for visit in crawl}
    missed = [r.path for r in ROUTES if not any(r.path_regex.match(p) for p in visited)]
    assert len(ROUTES) >= 40
    assert not missed, f"no persona of this module reached these pages: {missed}"
