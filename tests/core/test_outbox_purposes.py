"""Every kind of message the product queues is named in words, never by its code: the outbox
command, the dashboard and the delivery alert say what a message was for (``PURPOSE_LABELS``),
in English and in Welsh."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.core.language.i18n import speaking
from bot.core.outbox.delivery import PURPOSE_LABELS, purpose_heading

ROOT = Path(__file__).resolve().parents[2]


def _queued_purposes() -> set[str]:
    """Each ``purpose="…"`` the product passes, and each ``*PURPOSE* = "…"`` it names."""
    return {
        node.value.value
        for folder in ("bot", "connectors", "schedules")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if _names_a_purpose(node)
    }


def _names_a_purpose(node: ast.AST) -> bool:
    if isinstance(node, ast.keyword):
        named = node.arg == "purpose"
    elif isinstance(node, ast.Assign):
        named = any(isinstance(t, ast.Name) and "PURPOSE" in t.id for t in node.targets)
    else:
        return False
    return named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def test_every_purpose_the_product_queues_has_words() -> None:
    queued = _queued_purposes()
    assert len(queued) >= 30  # the scan still finds them
    assert queued - PURPOSE_LABELS.keys() == set()
    assert PURPOSE_LABELS.keys() - queued == set()  # and no label for a message nobody sends


@pytest.mark.parametrize("language", ["en", "cy"])
def test_each_purpose_reads_as_a_heading_in_the_language(language: str) -> None:
    with speaking(language):
        headings = {purpose: str(purpose_heading(purpose)) for purpose in PURPOSE_LABELS}
    for purpose, heading in headings.items():
        assert heading[:1].isupper() and "_" not in heading, (purpose, heading)
    assert len(set(headings.values())) == len(headings)  # no two kinds said alike
    if language == "cy":
        english = {p: str(purpose_heading(p)) for p in PURPOSE_LABELS}
        # the catalogue holds one back (fuzzy) until a translator confirms its term
        assert [p for p in PURPOSE_LABELS if headings[p] == english[p]] == ["scr_gaps"]
        assert headings["digest"] == "Crynodeb cydymffurfio wythnosol"
    else:
        assert headings["digest"] == "Weekly compliance digest"
