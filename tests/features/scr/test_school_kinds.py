"""The SCR in a maintained school, an academy and an independent school: an academy's trust
members and trustees missing from the record are a gap in its words, and s128 is asked of
management posts in an academy and an independent school only; the evidence pack's headings
say the school's words (an academy's trustees, an independent school's proprietor body)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.core.config import SchoolConfig
from bot.core.models import OutboxMessage, ScrGap
from bot.features.evidence.service import gather, school_reports
from bot.features.scr.api import gap_headings
from bot.features.scr.service import current_gaps, import_sheet, refresh_gaps
from bot.features.scr.sheet import read_sheet
from tests.features.decisions.test_support import PEOPLE, Env, configure, sync_people
from tests.support.helpers import Row, SchoolBuilder, at

TODAY = date(2026, 11, 23)

KINDS = {"maintained": {}, "academy": {"academy": True}, "independent": {"independent": True}}
BOARD = {
    "maintained": "Governor not on the record",
    "academy": "Trustee, member or governor not on the record",
    "independent": "Proprietor body member not on the record",
}
HEADER = (
    "Surname,Forename,Email,Start date,Management post,Identity checked,Barred list check,"
    "Enhanced DBS check date,Right to work,Safeguarding training,Section 128 check\n"
)
STAFF = (
    ("Head", "Hana", "head@oak.example", "Yes"),
    ("Lead", "Dee", "dsl@oak.example", "No"),
    ("Deputy", "Dan", "deputy@oak.example", "No"),
    ("Able", "Amy", "amy@oak.example", "No"),
    ("Brook", "Ben", "ben@oak.example", "No"),
    ("Admin", "Adam", "admin@oak.example", "No"),
)


@pytest.fixture(scope="module")
def schools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Env]]:
    """One small school of each kind, with a trustee (no account needed) in the directory,
    the staff's SCR imported (the governor and the trustee left off it) and checked."""
    from bot.web.app import create_app

    made: dict[str, Env] = {}
    for kind, settings in KINDS.items():
        home = tmp_path_factory.mktemp(kind)
        builder = configure(SchoolBuilder(home / "school"), scr_owner="amy@oak.example", **settings)
        builder.people = [
            *PEOPLE,
            Row("tara@oak.example", "Tara Trustee", "governor", "Governors", title="Trustee"),
        ]
        context = builder.context(None, demo=True, base_url="http://testserver")
        sync_people(context, TODAY)
        env = Env(context=context, app=create_app(context.settings, context), builder=builder)
        sheet = home / "scr.csv"
        sheet.write_text(
            HEADER
            + "".join(
                f"{s},{f},{e},01/09/2020,{m},01/08/2020,01/08/2020,01/08/2020,01/08/2020,"
                f"03/09/2026,{'' if m == 'Yes' else 'n/a'}\n"
                for s, f, e, m in STAFF
            ),
            encoding="utf-8",
        )
        with context.store.transaction() as session:
            import_sheet(
                session,
                env.school,
                read_sheet(sheet, TODAY),
                where="scr.csv",
                actor="test",
                now=at(TODAY),
            )
            refresh_gaps(session, env.school, TODAY, force=True)
        made[kind] = env
    yield made
    for env in made.values():
        env.context.store.dispose()


def _gaps(env: Env) -> set[tuple[str, str, str | None]]:
    with env.context.store.session() as session:
        return {(g.kind, g.subject, g.check) for g in current_gaps(session, env.school, TODAY)}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_board_is_a_gap_and_s128_is_asked_where_the_law_asks_it(
    schools: dict[str, Env], kind: str
) -> None:
    board = {("governor_missing", "Gail Gov", None), ("governor_missing", "Tara Trustee", None)}
    s128 = {("missing_check", "Hana Head", "s128")}
    assert _gaps(schools[kind]) == (board if kind == "maintained" else board | s128)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_page_and_the_evidence_pack_say_the_schools_words(
    schools: dict[str, Env], kind: str
) -> None:
    env = schools[kind]
    page = env.client("head").get("/scr").text
    assert f"{BOARD[kind]} (2)" in page
    assert ("members and trustees" in page) is (kind == "academy")
    with env.context.store.session() as session:
        facts = gather(
            session,
            "oak",
            "Oak Test School",
            now=at(TODAY, 12),
            tz=ZoneInfo("Europe/London"),
            reports=school_reports("oak"),
            made_by="test",
            reports_scope="all",
            scr_headings=gap_headings(env.school),
        )
    rows = {row[0]: row[1] for row in facts.scr.rows}
    assert rows[BOARD[kind]] == "2"
    assert "Tara" not in repr(facts.scr) and "Gail" not in repr(facts.scr)
    others = set(BOARD.values()) - {BOARD[kind]}
    assert not others & set(rows)


def test_an_academy_is_a_state_school_of_england() -> None:
    base = {"id": "oak", "name": "Oak", "headteacher": "head@oak.example", "academy": True}
    assert SchoolConfig.model_validate({**base, "country": "england"}).academy
    with pytest.raises(ValidationError, match="academy and independent are both true"):
        SchoolConfig.model_validate({**base, "country": "england", "independent": True})
    with pytest.raises(ValidationError, match="academy: true is for a school in England"):
        SchoolConfig.model_validate({**base, "country": "wales"})


def _sheet(home: Path) -> Path:
    """The staff's SCR with one gap (Adam Admin's enhanced DBS check is not recorded) and the
    governor left off it: two gaps."""
    sheet = home / "owner.csv"
    sheet.write_text(
        HEADER
        + "".join(
            f"{s},{f},{e},01/09/2020,{m},01/08/2020,01/08/2020,"
            f"{'' if s == 'Admin' else '01/08/2020'},01/08/2020,03/09/2026,n/a\n"
            for s, f, e, m in STAFF
        ),
        encoding="utf-8",
    )
    return sheet


@pytest.mark.parametrize("owed", [True, False], ids=["in-the-reminder", "alone"])
def test_the_owner_hears_of_new_gaps_once_in_their_weekly_reminder(
    tmp_path: Path, owed: bool
) -> None:
    """Two weeks of sweeps: gaps found in week 1 reach the SCR owner once — in their own
    reminder email when one is due to them (no email of its own), else in one of its own —
    and week 2, with nothing new, tells them nothing."""
    from bot.core.deployment import setup_state
    from bot.engine.sweep import run_sweep
    from bot.web.app import create_app

    builder = configure(SchoolBuilder(tmp_path / "school"), scr_owner="amy@oak.example")
    builder.people = list(PEOPLE)
    if owed:
        builder.requirement(
            id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
        )
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context, TODAY)
    env = Env(context=context, app=create_app(context.settings, context), builder=builder)
    with context.store.transaction() as session:
        setup_state.start_sending(session, "oak", by="test", now=at(TODAY))
        import_sheet(
            session,
            env.school,
            read_sheet(_sheet(tmp_path), TODAY),
            where="owner.csv",
            actor="test",
            now=at(TODAY),
        )
        refresh_gaps(session, env.school, TODAY)  # the gaps are found before the reminders
    for day in (TODAY, TODAY + timedelta(days=7)):
        with time_machine.travel(at(day, 10), tick=True):
            run_sweep(
                context.store,
                context.settings,
                context.config,
                context.connectors,
                as_of=day,
                deliver=False,
            )
    to_owner = [m for m in env.outbox() if m.recipients == ["amy@oak.example"]]
    told = [m for m in to_owner if "new gap" in repr(m.payload)]
    assert len(told) == 1, [m.subject for m in to_owner]
    news = told[0]
    assert news.purpose == ("reminder" if owed else "scr_gaps")
    text = news.payload["text"]
    assert "2 new gaps" in text and "See the gaps: http://testserver/scr" in text
    assert "Check missing or undated: 1; Governor not on the record: 1." in text
    assert "Adam" not in repr(news.payload) and "Gail" not in repr(news.payload)
    assert "gap" not in news.subject if owed else news.subject.endswith("2 new gaps")
    with context.store.session() as session:
        keys = list(
            session.scalars(
                select(OutboxMessage.idempotency_key).where(OutboxMessage.purpose == "scr_gaps")
            )
        )
        untold = session.scalar(select(func.count(ScrGap.id)).where(ScrGap.told_on.is_(None)))
    assert len(keys) == 1 and keys[0].endswith("2026-W48") and untold == 0
    context.store.dispose()


def test_an_owner_whose_reminder_went_before_the_gaps_hears_on_the_weeks_last_school_day(
    tmp_path: Path,
) -> None:
    """The owner's reminder went on Monday, before the SCR was given; the gaps found on
    Tuesday wait for a reminder that does not come this week, and go alone on Friday, once."""
    from bot.core.deployment import setup_state
    from bot.engine.sweep import run_sweep
    from bot.web.app import create_app

    builder = configure(SchoolBuilder(tmp_path / "school"), scr_owner="amy@oak.example")
    builder.requirement(
        id="os", kind="complete_training", course="Online safety", audience={"roles": ["staff"]}
    )
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context, TODAY)
    env = Env(context=context, app=create_app(context.settings, context), builder=builder)
    with context.store.transaction() as session:
        setup_state.start_sending(session, "oak", by="test", now=at(TODAY))

    def sweep(day: date) -> list[str]:
        with time_machine.travel(at(day, 10), tick=True):
            run_sweep(
                context.store,
                context.settings,
                context.config,
                context.connectors,
                as_of=day,
                deliver=False,
            )
        return [m.subject for m in env.outbox("scr_gaps")]

    assert sweep(TODAY) == []  # Monday: the reminders, no SCR yet
    assert any(m.recipients == ["amy@oak.example"] for m in env.outbox("reminder"))
    tuesday, friday = TODAY + timedelta(days=1), TODAY + timedelta(days=4)
    with context.store.transaction() as session:
        import_sheet(
            session,
            env.school,
            read_sheet(_sheet(tmp_path), tuesday),
            where="owner.csv",
            actor="test",
            now=at(tuesday),
        )
    assert sweep(tuesday) == []  # found, and waiting for a reminder this week
    assert sweep(friday) == ["Single central record: 2 new gaps"]
    assert sweep(friday + timedelta(days=3)) == ["Single central record: 2 new gaps"]
    context.store.dispose()
