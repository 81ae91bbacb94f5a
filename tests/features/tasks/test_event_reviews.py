"""Reviews that events trigger: recording a change (a new AI tool) opens a dated review for the
task's owners, due within its school days (never in a holiday), each owner told once however
often the sweep runs; the review survives the sweep until its outcome is recorded; England's
pack adds the filtering review on such events and the head's phone policy review (England only)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from bot.core.config import SchoolConfig
from bot.core.models import Duty, TaskCompletion
from bot.core.nations import pack_for
from bot.engine.sweep import run_sweep
from bot.features.setup.pack import match_pack, pack_requirements
from bot.features.tasks.events import event_reviews
from bot.features.tasks.rules import event_kinds, review_due
from tests.features.decisions.test_support import TERMS, Env, csrf_of, make_env
from tests.support.helpers import SchoolBuilder, at

FILTERING = {
    "id": "filtering-monitoring-review",
    "kind": "recurring_task",
    "title": "Review filtering and monitoring",
    "every": "yearly",
    "yearly_on": "09-01",
    "due_days": 365,
    "owners": ["dsl@oak.example", "gov@oak.example"],
    "review_on": ["new_technology", "provider"],
    "review_within": 10,
}
RECORDED = date(2026, 12, 10)  # a Thursday: 10 school days later crosses the Christmas holiday


def _env(school: SchoolBuilder, **settings: str) -> Env:
    env = make_env(school, today=RECORDED, terms=TERMS, requirements=[FILTERING], **settings)
    ctx = env.context
    with time_machine.travel(at(RECORDED, 8), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    return env


def _record(env: Env, **form: str) -> str:
    client = env.client("head")
    page = client.get("/reviews")
    assert page.status_code == 200
    response = client.post("/reviews", data={"csrf_token": csrf_of(page.text), **form})
    return f"{response.status_code} {response.text}"


def test_event_opens_reviews_due_on_a_school_day_owners_told_once(school: SchoolBuilder) -> None:
    env = _env(school)
    ctx = env.context
    with time_machine.travel(at(RECORDED, 10), tick=False):
        page = _record(
            env, kind="new_technology", what="Gemini for Education", happened_on="2026-12-09"
        )
        assert (
            page.startswith("200")
            and "Recorded: 1 review opened. 2 owners have been emailed." in page
        )
    with ctx.store.session() as session:
        duties = list(session.scalars(select(Duty).where(Duty.cycle.like("event:%"))))
    # 11, 14-18 December, then the holiday, then 5-8 January: the 10th school day
    assert {d.due_on for d in duties} == {date(2027, 1, 8)} and len(duties) == 2
    told = env.outbox("review_event")
    assert sorted(r.recipients[0] for r in told) == ["dsl@oak.example", "gov@oak.example"]
    assert "Gemini" not in told[0].payload["text"]  # the event's own words stay inside
    for day in (date(2026, 12, 11), date(2026, 12, 14), date(2027, 1, 5)):
        with time_machine.travel(at(day, 8), tick=False):
            run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
    assert len(env.outbox("review_event")) == 2  # told once, however often the sweep runs
    with ctx.store.session() as session:
        assert all(
            d.status == "open"
            for d in session.scalars(select(Duty).where(Duty.cycle.like("event:%")))
        )
    assert [e.details["duties"] for e in env.audit("review.event_recorded")] == [2]
    with time_machine.travel(at(date(2027, 1, 5), 9), tick=False):
        dashboard = env.client("head").get("/dashboard").text
    panel = dashboard[dashboard.index('id="event-reviews"') :]
    assert "Review filtering and monitoring" in panel[:3000]
    assert "A new technology or AI tool introduced (9 Dec 2026)" in panel[:3000]

    [link] = re.findall(r"http://testserver(/task/\S+)", told[0].payload["text"])
    with time_machine.travel(at(date(2027, 1, 6), 11), tick=False):
        client = env.client()
        task = client.get(link)
        assert "Opened because: A new technology or AI tool introduced" in task.text
        empty = client.post(link, data={"csrf_token": csrf_of(task.text), "outcome": " "})
        assert empty.status_code == 400 and "outcome" in empty.text
        done = client.post(
            link,
            data={
                "csrf_token": csrf_of(task.text),
                "outcome": "Safe search on; monitoring covers it.",
            },
        )
        assert done.status_code == 200
    with ctx.store.session() as session:
        [completion] = session.scalars(select(TaskCompletion))
        assert completion.outcome == "Safe search on; monitoring covers it."
        assert {
            d.status for d in session.scalars(select(Duty).where(Duty.cycle.like("event:%")))
        } == {"done"}  # shared: both close
        [review] = event_reviews(session, "oak")
    assert review.done_on == date(2027, 1, 6) and review.trigger.startswith("A new technology")
    listing = env.client("head").get("/reviews").text
    assert "Safe search on; monitoring covers it." in listing


def test_due_dates_never_fall_in_a_holiday() -> None:
    school = SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak", "headteacher": "h@x.org", "terms": TERMS}
    )
    day = date(2026, 8, 1)
    while day < date(2027, 9, 1):
        for within in (1, 10, 20):
            due = review_due(school, day, within)
            assert due > day and (
                school.is_school_day(due)
                or (day >= school.last_term_end() and school.is_working_day(due))
            ), (day, within)
        day += timedelta(days=1)


def test_bad_event_is_refused_plainly_and_nothing_opens(school: SchoolBuilder) -> None:
    env = _env(school)
    with time_machine.travel(at(RECORDED, 10), tick=False):
        unknown = _record(env, kind="phone_guidance", what="x", happened_on="2026-12-09")
        future = _record(env, kind="provider", what="New filter", happened_on="2027-03-01")
        blank = _record(env, kind="provider", what="  ", happened_on="2026-12-09")
        denied = env.client("staff").get("/reviews").status_code
    assert unknown.startswith("400") and "is reviewed when this is recorded" in unknown
    assert "not taken on" in unknown and "review_on" not in unknown
    assert future.startswith("400") and "cannot be in the future" in future
    assert blank.startswith("400") and "few words" in blank
    assert denied == 403
    with env.context.store.session() as session:
        assert not list(session.scalars(select(Duty).where(Duty.cycle.like("event:%"))))


def test_cli_records_an_event_and_an_outcome(school: SchoolBuilder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.cli.main import app

    env = _env(school)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.builder.home))
    monkeypatch.setenv("COMPLIANCE_BOT_AS_OF", RECORDED.isoformat())
    runner = CliRunner()
    with time_machine.travel(at(RECORDED, 10), tick=False):
        made = runner.invoke(
            app, ["reviews", "record", "provider", "--what", "New broadband", "--on", "2026-12-10"]
        )
        assert made.exit_code == 0, made.output
        assert "Review filtering and monitoring" in made.output
        done = runner.invoke(
            app,
            [
                "reviews",
                "outcome",
                "1",
                "--task",
                "filtering-monitoring-review",
                "--by",
                "gov@oak.example",
                "--outcome",
                "Checked with the new provider.",
            ],
        )
        assert done.exit_code == 0 and "Outcome recorded" in done.output, done.output
        listed = runner.invoke(app, ["reviews", "list"])
    assert "Checked with the new provider." in listed.output
    assert len(env.outbox("review_event")) == 2


def test_phone_policy_review_is_englands_only() -> None:
    items = {
        n: {i.id: i for i in pack_for(n).statutory}
        for n in ("england", "wales", "scotland", "northern-ireland")
    }
    phone = items["england"]["phone-policy-review"]
    assert phone.source.url == "https://www.legislation.gov.uk/ukpga/2026/21/section/36/enacted"
    assert "550C" in phone.summary and phone.requirement["review_on"] == ["phone_guidance"]
    assert all("phone-policy-review" not in items[n] for n in items if n != "england")
    filtering = items["england"]["filtering-review"].requirement
    assert {"new_technology", "guidance"} <= set(filtering["review_on"])
    english = pack_requirements(
        match_pack([], "england"),
        {"phone-policy-review", "filtering-review"},
        {"headteacher": "h@x.org", "dsl": "d@x.org"},
    )
    school = SchoolConfig.model_validate(
        {"id": "oak", "name": "Oak", "headteacher": "h@x.org", "requirements": english}
    )
    assert "phone_guidance" in event_kinds(school) and "new_technology" in event_kinds(school)
    assert [r["owners"] for r in english if r["id"] == "phone-policy-review"] == [["h@x.org"]]
    welsh = SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak",
            "headteacher": "h@x.org",
            "country": "wales",
            "requirements": pack_requirements(
                match_pack([], "wales"), {i for i in items["wales"]}, {}
            ),
        }
    )
    assert "phone_guidance" not in event_kinds(welsh)


@pytest.mark.parametrize(
    ("nation", "kinds"),
    [("wales", {"new_technology"}), ("northern-ireland", {"provider"}), ("scotland", set())],
)
def test_event_triggered_reviews_in_each_pack_as_its_guidance_asks(
    nation: str, kinds: set[str]
) -> None:
    """Wales (Hwb's web filtering standard: a new AI tool opens a review) and Northern Ireland
    (DE Circular 2011/22: a change of internet provider) cite theirs; Scotland's guidance asks
    for none (the search made is written in its pack)."""
    pack = pack_for(nation)
    chosen = {i.id for i in pack.statutory}
    school = SchoolConfig.model_validate(
        {
            "id": "oak",
            "name": "Oak",
            "headteacher": "h@x.org",
            "country": nation,
            "requirements": pack_requirements(
                match_pack([], nation), chosen, {"headteacher": "h@x.org", "dsl": "d@x.org"}
            ),
        }
    )
    assert set(event_kinds(school)) == kinds
    for item in pack.statutory:
        if item.requirement.get("review_on"):
            assert item.source.url.startswith("https://") and item.frequency


@pytest.mark.parametrize("language", ["cy", "cy+en"])
def test_cli_lists_reviews_in_the_schools_language(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    """``reviews list`` says each review's trigger and state as the reviews page does: in
    Welsh, and for a dual-language school whole in Welsh, then whole in English."""
    from bot.cli.main import app

    env = _env(school, country="wales", language=language)
    monkeypatch.setenv("COMPLIANCE_BOT_HOME", str(env.builder.home))
    runner = CliRunner()
    with time_machine.travel(at(RECORDED, 10), tick=False):
        made = runner.invoke(
            app, ["reviews", "record", "provider", "--what", "New broadband", "--on", "2026-12-10"]
        )
        assert made.exit_code == 0, made.output
    with time_machine.travel(at(date(2027, 1, 20), 10), tick=False):
        listed = runner.invoke(app, ["reviews", "list"], env={"COLUMNS": "400"})
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if line.startswith("1. ")]
    welsh, *english = lines
    assert "roedd i fod erbyn dydd Gwener 8 Ionawr 2027" in welsh, lines
    assert not re.search(r"\b(due|done|change of)\b", welsh, re.IGNORECASE), lines
    if language == "cy+en":
        assert len(english) == 1 and "was due Friday 8 January 2027" in english[0], lines
        assert "roedd" not in english[0] and "Ionawr" not in english[0], lines
    else:
        assert not english, lines
