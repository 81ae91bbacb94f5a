"""axe-core (tests/node) in a Playwright page. It is added to the browser context as an init
script, through Playwright's DevTools channel, which the page's Content-Security-Policy does not
govern (as with a browser's axe extension): the app's CSP stays as served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["WCAG_AA", "add_axe", "axe_in_themes", "axe_violations"]

# every WCAG 2.0, 2.1 and 2.2 A and AA rule axe-core has
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# axe details only the violations (resultTypes: the violations found are the same; passes and
# inapplicable rules are not worked out node by node), and only they cross back to Python
_RUN = """async (only) => {
    const r = await axe.run(document, {runOnly: only, resultTypes: ['violations']});
    return {engine: r.testEngine.name, violations: r.violations};
}"""
_RUN_IN_THEMES = """async ([themes, first, rest]) => {
    const found = [];
    for (const [i, theme] of themes.entries()) {
        document.documentElement.dataset.theme = theme;
        const r = i && !rest ? {testEngine: {name: 'axe-core'}, violations: []}
            : await axe.run(document, {runOnly: i ? rest : first, resultTypes: ['violations']});
        found.push({engine: r.testEngine.name, violations: r.violations,
                    width: document.documentElement.scrollWidth});
    }
    return found;
}"""


def add_axe(context: Any, node_modules: Path) -> None:
    """Give every page of ``context`` axe-core (``window.axe``)."""
    context.add_init_script(path=str(node_modules / "axe-core" / "axe.min.js"))


def _loaded(page: Any) -> None:
    """Wait for the page's own load (its stylesheet too): after a click, a selector can be in
    the DOM before the CSS is applied, and axe would measure an unstyled page (target-size)."""
    page.wait_for_load_state("load")


def _only(rules: list[str] | None) -> dict[str, Any]:
    """axe's ``runOnly``: these rules, or every WCAG 2 A/AA rule."""
    return {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_AA}


def _lines(result: dict[str, Any]) -> list[str]:
    """One line per violation of an axe run."""
    assert result["engine"] == "axe-core"  # axe really ran
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
    ]


def axe_violations(page: Any, rules: list[str] | None = None) -> list[str]:
    """axe's violations on ``page`` (the WCAG 2 A/AA rules, or only ``rules``), one line each."""
    _loaded(page)
    return _lines(page.evaluate(_RUN, _only(rules)))


def axe_in_themes(
    page: Any, themes: list[str], rest: list[str] | None
) -> list[tuple[list[str], int]]:
    """``page`` in each theme (``data-theme`` switched in place), in one round trip: axe's
    WCAG 2 A/AA violations in the first theme, only the ``rest`` rules' in the others (none:
    axe runs in the first theme only), and the page's scroll width (px) in each.

    Example::

        found = axe_in_themes(page, ["light", "dark"], ["color-contrast"])
        for theme, (problems, width) in zip(["light", "dark"], found, strict=True): ...
    """
    _loaded(page)
    found = page.evaluate(_RUN_IN_THEMES, [themes, _only(None), rest and _only(rest)])
    return [(_lines(result), int(result["width"])) for result in found]
