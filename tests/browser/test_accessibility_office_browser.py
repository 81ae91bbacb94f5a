"""The second half of test_accessibility_browser.py's walk (its docstring says what is checked):
the deputy DSL's and the school business manager's pages of the demo school on a phone, in
every theme, with axe-core and the CSP checked on each. A module of its own, with its own copy
of the demo school (tests/support/demo_school.py: one build per session), its own server and
walks, so that pytest-xdist runs it beside the first half."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_accessibility_browser import LANGUAGES, OFFICE, Walks, walk_tests, walks_of
from tests.conftest import _missing
from tests.support.paths import NODE_MODULES

pytestmark = pytest.mark.browser
WALKS = walks_of(OFFICE)


@pytest.fixture(scope="module", params=LANGUAGES)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chromium: Any
) -> Iterator[Walks]:
    """The deputy DSL's and the business manager's walks in the school's language, each taken
    when first asked for (after the member of staff has made an immediate concern, as in the
    first half)."""
    if not (NODE_MODULES / "axe-core").is_dir():
        _missing("tests/node is not installed (cd tests/node && npm ci)")
    with Walks(chromium, tmp_path_factory, OFFICE, request.param) as walks:
        yield walks


(
    test_each_persona_sees_every_page_in_every_theme,
    test_no_page_scrolls_sideways_on_a_phone,
    test_no_page_has_an_axe_violation_or_a_csp_problem_in_any_theme,
) = walk_tests(WALKS)


def test_every_persona_walks(demo: Walks) -> None:
    # last: every walk is taken by then (by the tests above)
    assert {v.persona for v in demo.every_visit()} == set(OFFICE)
