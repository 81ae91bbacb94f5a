"""The second half of test_accessibility_browser.py's walk (its docstring says what is checked):
the deputy DSL's and the school business manager's pages of the demo school on a phone, in
every theme, with axe-core and the CSP checked on each. A module of its own, with its own copy
of the demo school (tests/support/demo_school.py: one build per session), its own server and
crawl, so that pytest-xdist runs it beside the first half."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_accessibility_browser import OFFICE, PHONE, THEMES, Visit, crawl_demo
from tests.conftest import _missing
from tests.support.paths import NODE_MODULES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> list[Visit]:
    """The deputy DSL's and the business manager's pages, checked at phone size in every
    theme (after the member of staff has made an immediate concern, as in the first half)."""
    if not (NODE_MODULES / "axe-core").is_dir():
        _missing("tests/node is not installed (cd tests/node && npm ci)")
    return crawl_demo(chromium, tmp_path_factory, OFFICE)


def test_each_persona_sees_every_page_in_every_theme(crawl: list[Visit]) -> None:
    assert {visit.persona for visit in crawl} == set(OFFICE)
    for persona in OFFICE:
        pages = [v for v in crawl if v.persona == persona]
        assert {v.theme for v in pages} == set(THEMES)
        assert len(pages) >= 3 * 4, persona


def test_no_page_scrolls_sideways_on_a_phone(crawl: list[Visit]) -> None:
    wide = [f"{v}: {v.scroll_width} px wide" for v in crawl if v.scroll_width > PHONE["width"]]
    assert not wide, "\n".join(wide)


def test_no_page_has_an_axe_violation_or_a_csp_problem_in_any_theme(crawl: list[Visit]) -> None:
    found = [f"{v}: {problem}" for v in crawl for problem in v.problems]
    assert not found, "\n".join(found)
