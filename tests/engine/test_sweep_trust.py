"""A trust's sweep reads its directory once, whatever the number of schools
(``bot.engine.read_once.ReadOnce``): each school takes its share of the one listing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select

from bot.core.models import Person
from bot.core.ports import Directory, DirectoryChanges
from bot.engine.sweep import run_sweep
from tests.support.helpers import Row, SchoolBuilder

TODAY = date(2026, 11, 23)


@dataclass
class Counted:
    """The real directory, its reads counted."""

    directory: Directory
    reads: int = 0

    def fetch(self, cursor: str | None = None) -> DirectoryChanges:
        self.reads += 1
        return self.directory.fetch(cursor)


def test_a_trust_sweep_reads_the_staff_file_once_and_each_school_takes_its_share(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    others = ("elm", "ash", "yew")
    school.others = [{"id": s, "name": f"{s.title()} School", "headteacher": f"head@{s}.example"}
                     for s in others]
    school.people += [Row(f"{who}@{s}.example", f"{who.title()} {s.title()}", "staff",
                          "All Staff", school=s) for s in others for who in ("head", "amy")]
    context = school.context(sqlite_url)
    for _ in range(2):  # the first sweep (no cursor yet) and a quiet one after it
        counted = Counted(context.connectors.directory)
        connectors = replace(context.connectors, directory=counted, extra_people=None)
        run_sweep(context.store, context.settings, context.config, connectors, as_of=TODAY,
                  deliver=False)
        assert counted.reads == 1
    with context.store.session() as session:
        people = dict(session.execute(
            select(Person.school_id, func.count()).group_by(Person.school_id)).all())
    assert people == {"oak": 5, "elm": 2, "ash": 2, "yew": 2}
