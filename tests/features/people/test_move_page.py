"""The move on the school's admin page (#77 item 2), through the real app: every address of the
school changed domain (oak.example -> oak.sch.example) in its staff list, the sweep holds the
directory and the people page says so with a form; ``/admin/people/move`` shows who would be
carried and by what, changing nothing; its button carries them (their rows, audited as the
head's act) and the next sweep adds nobody and holds nothing. Only the head or an admin."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date

import time_machine
from sqlalchemy import func, select

from bot.core.models import Person
from bot.engine.step_failures import HELD
from bot.engine.sweep import run_sweep
from tests.features.decisions.test_support import Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at

MONDAY = date(2026, 11, 23)


def _sweep(env: Env, hour: int) -> list[str]:
    ctx = env.context
    ctx.forget_config()
    [result], _ = run_sweep(
        ctx.store,
        ctx.settings,
        ctx.config,
        ctx.connectors,
        as_of=MONDAY,
        now=at(MONDAY, hour),
        deliver=False,
    )
    return [f.step for f in result.failed]


def _people(env: Env) -> dict[int, str]:
    with env.context.store.session() as session:
        return {pid: email for pid, email in session.execute(select(Person.id, Person.email))}


def test_a_held_directory_is_shown_and_the_admin_page_moves_the_people(
    school: SchoolBuilder,
) -> None:
    env = make_env(school, today=MONDAY)
    before = _people(env)
    school.people = [
        replace(
            r,
            email=r.email.replace("oak.example", "oak.sch.example"),
            manager=r.manager.replace("oak.example", "oak.sch.example"),
        )
        for r in school.people
    ]
    school.write()
    with time_machine.travel(at(MONDAY, 10), tick=False):
        assert _sweep(env, 10) == [HELD]
        head = env.client("head")
        page = head.get("/admin/people")
        text = " ".join(html.unescape(page.text).split())
        assert 'id="held"' in page.text and "The staff directory is held" in text
        assert "nobody was changed" in text
        assert env.client("amy@oak.example").get("/admin/people/move").status_code == 403
        assert head.get("/admin/people/move?domains=not a map").status_code == 400
        plan = head.get("/admin/people/move?domains=oak.example%3Doak.sch.example")
        assert plan.status_code == 200 and _people(env) == before  # looking changes nothing
        shown = " ".join(html.unescape(plan.text).split())
        assert "<td>Amy Able</td><td>amy@oak.example</td><td>amy@oak.sch.example</td>" in shown
        assert "Carry 7 people" in shown and "Not found in the new directory (0)" in shown
        moved = head.post(
            "/admin/people/move",
            data={"csrf_token": csrf_of(plan.text), "domains": "oak.example=oak.sch.example"},
            follow_redirects=False,
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith("moved=7")
    after = _people(env)
    assert after == {pid: e.replace("oak.example", "oak.sch.example") for pid, e in before.items()}
    assert [e.actor for e in env.audit("person.moved")] == ["head@oak.example"] * 7
    with time_machine.travel(at(MONDAY, 11), tick=False):
        assert _sweep(env, 11) == []
    with env.context.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == len(before)
    env.context.store.dispose()
