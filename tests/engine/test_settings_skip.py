"""The settings step syncs only when something it reads has changed since its last sync: the
school's settings, a document's bytes, the people it names, or the rows it keeps (#60)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, select

from bot.core.deployment.context import AppContext
from bot.core.models import Person, PersonRole, PolicyVersion
from bot.engine.sweep import SchoolSweep
from tests.support.clock import FrozenClock
from tests.support.helpers import Row, SchoolBuilder
from tests.support.quiet_school import MONDAY, sweep_school


def _sweep(ctx: AppContext, clock: FrozenClock, minute: int) -> SchoolSweep:
    return sweep_school(ctx, clock, MONDAY, minute)


def _synced(
    school: SchoolBuilder, database_url: str, clock: FrozenClock, syncs: list[str]
) -> AppContext:
    """A school with a policy and a DSL nobody knows yet, swept twice: one sync."""
    school.policy("online-safety", "2026.1", published=str(MONDAY))
    school.school["dsl"] = ["head@oak.example", "dee@oak.example"]
    ctx = school.context(database_url)
    first = _sweep(ctx, clock, 0)
    second = _sweep(ctx, clock, 15)
    assert syncs == ["oak"]
    assert (
        [str(w) for w in second.warnings]
        == [str(w) for w in first.warnings]
        == ["school roles: dee@oak.example is not in the directory"]
    )
    return ctx


def _document_edited(school: SchoolBuilder, ctx: AppContext) -> None:
    (school.home / "policies" / "online-safety.md").write_text("# Edited\n", encoding="utf-8")


def _named_person_arrives(school: SchoolBuilder, ctx: AppContext) -> None:
    school.people.append(Row("dee@oak.example", "Dee Dale"))
    school.write()


def _config_role_removed_behind_its_back(school: SchoolBuilder, ctx: AppContext) -> None:
    with ctx.store.transaction() as session:
        session.execute(delete(PersonRole).where(PersonRole.source == "config"))


@pytest.mark.parametrize(
    "change", [_document_edited, _named_person_arrives, _config_role_removed_behind_its_back]
)
def test_any_change_of_what_the_sync_reads_syncs_again(
    school: SchoolBuilder,
    database_url: str,
    frozen_clock: FrozenClock,
    syncs: list[str],
    change: Callable[[SchoolBuilder, AppContext], None],
) -> None:
    ctx = _synced(school, database_url, frozen_clock, syncs)
    change(school, ctx)
    _sweep(ctx, frozen_clock, 30)
    assert syncs == ["oak", "oak"]
    _sweep(ctx, frozen_clock, 45)
    assert syncs == ["oak", "oak"]  # and after it, quiet again
    with ctx.store.session() as session:
        labels = session.scalars(select(PolicyVersion.label).order_by(PolicyVersion.id)).all()
        dsls = session.scalars(
            select(Person.email)
            .join(PersonRole)
            .where(PersonRole.role == "dsl", PersonRole.source == "config")
            .order_by(Person.email)
        ).all()
    if change is _document_edited:
        assert len(labels) == 2 and labels[1].startswith("2026.1-")
    expected = (
        ["dee@oak.example", "head@oak.example"]
        if change is _named_person_arrives
        else ["head@oak.example"]
    )
    assert dsls == expected
