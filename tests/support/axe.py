"""axe-core (tests/node) in a Playwright page. It is added to the browser context as an init
script, through Playwright's DevTools channel, which the page's Content-Security-Policy does not
govern (as with a browser's axe extension): the app's CSP stays as served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["WCAG_AA", "add_axe", "axe_violations"]

# every WCAG 2.0, 2.1 and 2.2 A and AA rule axe-core has
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def add_axe(context: Any, node_modules: Path) -> None:
    """Give every page of ``context`` axe-core (``window.axe``)."""
    context.add_init_script(path=str(node_modules / "axe-core" / "axe.min.js"))


def axe_violations(page: Any, rules: list[str] | None = None) -> list[str]:
    """axe's violations on ``page`` (the WCAG 2 A/AA rules, or only ``rules``), one line each."""
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_AA}
    result = page.evaluate("only => axe.run(document, {runOnly: only})", only)
    assert result["testEngine"]["name"] == "axe-core"  # axe really ran
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
    ]
