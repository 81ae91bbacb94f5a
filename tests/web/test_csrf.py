"""A bad CSRF token is a 403 page, never a 500: non-ASCII, emoji, overlong, empty, missing or
sent only as a header, on an anonymous form and on signed-in ones, with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, table

from tests.features.reports.test_support import Env, csrf_of, env_fixture, submission  # noqa: F401

NOW = datetime(2026, 10, 19, 9, 0, tzinfo=UTC)

BAD_TOKENS = {
    "non-ascii": "é" * 43,
    "emoji": "🔒" * 20,
    "mixed": "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDé",
    "overlong": "A" * 300,
    "very-long": "A" * 20_000,
    "long-non-ascii": "ß" * 10_000,
    "empty": "",
    "missing": None,
}

# (who posts, the route, the form's other boxes): anonymous public forms and signed-in ones
ROUTES: list[tuple[str | None, str, dict[str, Any]]] = [
    (
        None,
        "/report/oak",
        {
            "category": "cyberbullying",
            "involved": "pupil",
            "what_happened": "Messages",
            "reporter_name": "Pat",
            "reporter_relationship": "parent",
        },
    ),
    (None, "/signin", {"email": "amy@oak.example"}),
    (
        None,
        "/visit/oak",
        {
            "name": "Val Visitor",
            "organisation": "Council",
            "visit_date": "2026-10-20",
            "agree": "yes",
        },
    ),
    ("dsl", "/reports/{reference}/entries", {"kind": "note", "text": "Checked in"}),
    ("head", "/decisions/new", {"title": "A decision"}),
    ("head", "/admin/requirements", {"kind": "policy", "title": "Something"}),
    ("amy@oak.example", "/signout", {}),
]


def _counts(env: Env) -> dict[str, int]:
    """Rows in every table: what a refused post must leave unchanged."""
    engine = env.context.store.engine
    names = inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {
            name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
            for name in names
        }


@pytest.mark.parametrize("route", ROUTES, ids=[r[1] for r in ROUTES])
def test_any_bad_token_is_the_same_403_and_stores_nothing(
    env: Env, route: tuple[str | None, str, dict[str, Any]]
) -> None:
    who, template, fields = route
    reference = env.store_report(submission(), NOW)
    path = template.format(reference=reference)
    client = env.client(who, follow_redirects=False)
    good = csrf_of(client.get("/report/oak").text)
    before = _counts(env)
    for name, token in BAD_TOKENS.items():
        data = dict(fields)
        if token is not None:
            data["csrf_token"] = token
        response = client.post(path, data=data)
        assert response.status_code == 403, (name, response.status_code)
        assert "This form has expired" in response.text, name
        # the right token in a header is no substitute for the form's
        headed = client.post(path, data=data, headers={"X-CSRF-Token": good})
        assert headed.status_code == 403, (name, "header")
    # a token bigger than a form box may hold is refused for its size: still a 4xx
    huge = client.post(path, data={**fields, "csrf_token": "A" * 200_000})
    assert huge.status_code in (400, 403, 413), huge.status_code  # 400: over the box size
    # a file sent in the token's box is no token either
    sent_as_file = client.post(
        path, data=fields, files={"csrf_token": ("t.txt", good.encode(), "text/plain")}
    )
    assert 400 <= sent_as_file.status_code < 500, sent_as_file.status_code
    assert _counts(env) == before
    # and the session still works with its own token
    assert client.get("/report/oak").status_code == 200
