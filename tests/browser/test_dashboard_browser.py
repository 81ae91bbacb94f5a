"""In Chromium: the headteacher of the demo school opens the dashboard; every headline figure
on the page equals what plain SQL over the database says (not via ``read_figures``); the
page fits desktop and Teams-tab widths in light and dark (each saved as a screenshot when
COMPLIANCE_BOT_SCREENSHOTS is set).

The demo school is a copy of the session's one build for the accessibility walk's date
(``tests/support/demo_school.py``): nine weeks of a school simulated once, not once more here."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
import time_machine
import yaml
from sqlalchemy import text

from bot.core.deployment.context import AppContext
from bot.engine.periods import add_months
from bot.web.app import create_app
from tests.support.demo_school import IN_TERM, demo_school
from tests.support.helpers import at

pytestmark = pytest.mark.browser
SIZES = [(1280, "desktop"), (1024, "teams"), (320, "teams")]


def pct(done: int, owed: int) -> str:
    """Whole percent rounded down, as the dashboard shows it."""
    return f"{math.floor((done / owed if owed else 1.0) * 100 + 1e-9)}%"


def expected_from_database(ctx: AppContext, today: date) -> dict[str, Any]:
    """The headline figures, straight from the tables."""
    school = yaml.safe_load(ctx.settings.config_path.read_text(encoding="utf-8"))["schools"][0]
    sid = school["id"]
    now = at(today, 12, 0)
    with ctx.store.session() as session:

        def rows(sql: str, **params: Any) -> list[Any]:
            return list(
                session.execute(text(sql), {"s": sid, "today": today.isoformat(), **params}).all()
            )

        def one(sql: str, **params: Any) -> Any:
            return rows(sql, **params)[0][0]

        out: dict[str, Any] = {
            "people": one("select count(*) from people where school_id = :s and active")
        }
        # each active person's newest duty for the newest version of each policy
        ack: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for key, status, late, n in rows(
            """select p.key, d.status, d.due_on < :today, count(*)
               from duties d
               join people pe on pe.id = d.person_id and pe.active
               join policy_versions v on v.id = d.policy_version_id
               join policies p on p.id = v.policy_id
               where d.school_id = :s and d.kind = 'acknowledge_policy'
                 and v.id = (select max(id) from policy_versions where policy_id = p.id)
                 and d.id = (select max(d2.id) from duties d2
                             where d2.requirement_id = d.requirement_id
                               and d2.person_id = d.person_id
                               and d2.policy_version_id = v.id)
                 and d.status in ('open', 'done')
               group by 1, 2, 3"""
        ):
            ack[key][1] += n
            if status == "done":
                ack[key][0] += n
            elif late:
                ack[key][2] += n
        out["ack"] = dict(ack)
        done = sum(v[0] for v in ack.values())
        owed = sum(v[1] for v in ack.values())
        out["ack_rate"] = pct(done, owed)
        # training from the completions themselves: who in each audience holds a valid one
        roles: dict[int, set[str]] = defaultdict(set)
        for pid, role in rows("select person_id, role from person_roles where school_id = :s"):
            roles[pid].add(role)
        for (pid,) in rows(
            "select person_id from account_holders where school_id = :s and until is null"
        ):
            roles[pid].add("account_holder")
        groups: dict[int, set[str]] = defaultdict(set)
        for pid, name in rows("select person_id, name from person_groups where school_id = :s"):
            groups[pid].add(name)
        active = {
            pid: email
            for pid, email in rows("select id, email from people where school_id = :s and active")
        }
        latest: dict[tuple[int, str], date] = {}
        for pid, course, completed in rows(
            "select person_id, course, completed_on from training_records where school_id = :s"
        ):
            day = date.fromisoformat(str(completed))
            k = (pid, course.strip().lower())
            latest[k] = max(latest.get(k, day), day)
        training: dict[str, tuple[int, int]] = {}
        for req in school["requirements"]:
            if req["kind"] != "complete_training":
                continue
            audience = req.get("audience", {})
            members = [
                pid
                for pid, email in active.items()
                if email not in audience.get("exclude", [])
                and (
                    roles[pid] & set(audience.get("roles", []))
                    or groups[pid] & set(audience.get("groups", []))
                    or email in audience.get("people", [])
                )
            ]
            valid = sum(
                1
                for pid in members
                if (pid, req["course"].lower()) in latest
                and add_months(latest[(pid, req["course"].lower())], req.get("valid_months", 12))
                >= today
            )
            training[req["id"]] = (len(members), valid)
        out["training"] = training
        out["training_rate"] = pct(
            sum(v for _, v in training.values()), sum(n for n, _ in training.values())
        )
        unsigned = dict(
            rows(
                "select account_id, count(distinct person_id) from duties where school_id = :s "
                "and kind = 'sign_aup' and status = 'open' group by account_id"
            )
        )
        accounts = {}
        for aid, handover in rows(
            "select id, handover_needed from official_accounts where school_id = :s"
        ):
            holders = one(
                "select count(*) from account_holders where account_id = :a and until is null",
                a=aid,
            )
            accounts[aid] = (holders, unsigned.get(aid, 0), bool(handover))
        out["accounts"] = accounts
        out["accounts_unsigned"] = sum(1 for _, u, _ in accounts.values() if u)
        out["handovers"] = sum(1 for _, _, h in accounts.values() if h)
        out["reviews_overdue"] = one(
            "select count(*) from policies where school_id = :s and not under_review "
            "and next_review_due < :today"
        )
        out["reviews_due_soon"] = one(
            "select count(*) from policies where school_id = :s and not under_review "
            "and next_review_due >= :today and next_review_due <= :soon",
            soon=date.fromordinal(today.toordinal() + 30).isoformat(),
        )
        out["open_duties"] = one(
            "select count(*) from duties where school_id = :s and status = 'open'"
        )
        out["overdue_duties"] = one(
            "select count(*) from duties where school_id = :s "
            "and status = 'open' and due_on < :today"
        )
        # the headteacher reads every open report except one about the headteacher
        out["open_reports"] = one(
            "select count(*) from reports where school_id = :s "
            "and status != 'closed' and not about_headteacher"
        )
        clocks = rows(
            """select c.due_at from report_clocks c join reports r on r.id = c.report_id
               where r.school_id = :s and r.status != 'closed' and not r.about_headteacher
                 and c.stopped_at is null"""
        )
        out["clocks_running"] = len(clocks)
        naive_now = now.replace(tzinfo=None)
        out["clocks_overdue"] = sum(
            1 for (due,) in clocks if (due if not isinstance(due, str) else _parse(due)) < naive_now
        )
    return out


def _parse(value: str) -> Any:
    """A SQLite timestamp string as a naive datetime."""
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_dashboard_figures_and_screenshots(
    tmp_path_factory: pytest.TempPathFactory, live_server: Any, page: Any, screenshot: Any
) -> None:
    settings = demo_school(tmp_path_factory, IN_TERM)
    with time_machine.travel(at(IN_TERM, 12, 0), tick=True):
        ctx = AppContext(settings)
        want = expected_from_database(ctx, IN_TERM)
        print(f"\nfigures: {want}")
        head = ctx.config.schools[0].headteacher
        with live_server(create_app(settings, ctx)) as server:
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{server.url}/signin?next=/dashboard")
            page.select_option("#email", head)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server.url}/dashboard")

            def shown(name: str) -> str:
                return str(page.locator(f'[data-figure="{name}"]').first.inner_text()).strip()

            assert shown("people") == str(want["people"])
            assert shown("ack-rate") == want["ack_rate"]
            assert shown("training-rate") == want["training_rate"]
            assert shown("accounts-unsigned") == str(want["accounts_unsigned"])
            assert shown("handovers") == str(want["handovers"])
            assert shown("reviews-overdue") == str(want["reviews_overdue"])
            assert shown("reviews-due-soon") == str(want["reviews_due_soon"])
            assert shown("open-duties") == str(want["open_duties"])
            assert shown("overdue-duties") == str(want["overdue_duties"])
            assert shown("open-reports") == str(want["open_reports"])
            assert shown("clocks-running") == str(want["clocks_running"])
            if want["clocks_overdue"]:
                assert shown("clocks-overdue") == str(want["clocks_overdue"])
            for key, (done, owed, late) in want["ack"].items():
                row = page.locator(f'tr[data-policy="{key}"]')
                assert row.locator('[data-col="done"]').inner_text() == str(done)
                assert row.locator('[data-col="outstanding"]').inner_text() == str(owed - done)
                assert row.locator('[data-col="overdue"]').inner_text() == str(late)
            for key, (audience, valid) in want["training"].items():
                row = page.locator(f'tr[data-training="{key}"]')
                assert row.locator('[data-col="audience"]').inner_text() == str(audience)
                assert row.locator('[data-col="up-to-date"]').inner_text() == str(valid)
            for aid, (holders, unsigned, _handover) in want["accounts"].items():
                row = page.locator(f'tr[data-account="{aid}"]')
                assert row.locator('[data-col="holders"]').inner_text() == str(holders)
                assert row.locator('[data-col="unsigned"]').inner_text() == str(unsigned)
            assert page.locator("svg[role=img] title").count() >= 5

            for width, where in SIZES:
                for theme in ("light", "dark"):
                    query = f"theme={'default' if theme == 'light' else theme}"
                    if where == "teams":
                        query += "&inTeams=1"
                    page.set_viewport_size({"width": width, "height": 900})
                    page.goto(f"{server.url}/dashboard?{query}")
                    assert page.locator("html").get_attribute("data-theme") == theme
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth"
                    )
                    assert overflow <= 0, f"{width}px {theme}: {overflow}px too wide"
                    if where == "teams":
                        assert not page.locator("header.top").is_visible()  # Teams' chrome
                    screenshot(page, f"dashboard-{width}-{theme}")

            # drill down from the table to one policy: the same counts, and the names
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{server.url}/dashboard?theme=default")  # back to light (a cookie)
            key, (done, owed, _late) = min(want["ack"].items(), key=lambda kv: kv[1][0] / kv[1][1])
            page.locator(f'tr[data-policy="{key}"] a').click()
            page.wait_for_url(f"{server.url}/dashboard/policies/{key}?theme=default")
            assert page.locator("html").get_attribute("data-theme") == "light"
            assert shown("done") == str(done) and shown("owed") == str(owed)
            assert page.locator("#who tbody tr").count() == min(owed - done, 50)
            screenshot(page, "dashboard-policy-1280-light")
    ctx.store.dispose()
