"""A school that moves keeps its people (#77 item 2), on SQLite and PostgreSQL: a trust over three
Microsoft 365 tenants (Oakfield in the install's, Hillside in tenant B), Hillside moving to
tenant C where each of its people has a new object id and a new address. Without the move, the
sweep that reads tenant C holds Hillside's directory (nobody changed) and shows it: a held step
on its dashboard and /setup, in ``status``, on the people page, and one email to its admins and
the trust's; ``compliance-bot directory move --school hillside --to tenant-c --map ...`` carries
every person to their new record: 0 new person records, 0 duties owed again, every
acknowledgement and training record on the same person. The matching rules (same id, map, same
address, the MIS's address, name and start date proposed) are checked alone below, pure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

import bot.cli.directory as directory_cli
import bot.engine.commands as commands
import bot.wiring as wiring
from bot.cli.main import app
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Connection, Settings
from bot.core.models import Attestation, Duty, OutboxMessage, Person, PolicyVersion, TrainingRecord
from bot.core.ports import DirectoryPerson
from bot.engine.directory_move import (
    BY_MAP,
    BY_MIS,
    BY_NAME,
    SAME_ADDRESS,
    SAME_ID,
    Stored,
    plan_move,
)
from bot.engine.step_failures import HELD, describe, failing_steps
from bot.features.policies.attest import acknowledge
from tests.connectors.contract.kit_m365 import m365_settings
from tests.support.fakes.graph import FakeClock, FakeGraph, tenants
from tests.support.helpers import SchoolBuilder, at, sweep

pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")

from connectors.m365.connector import build

MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 24)
ADA = "ada.head@oakfield.example"
TRUST_IT = "it@oakfield.example"  # the trust's IT lead: a trust admin, staff of Oakfield
OLD, NEW = "hillside.example", "hillside.sch.example"
HILLSIDE = {  # id in B -> (name, local part, groups); in C the ids are new, the domain too
    "1": ("Hal Head", "hal.head", ("All Staff", "Leadership")),
    "2": ("Tia Teacher", "tia.teacher", ("All Staff",)),
    "3": ("Tom Teacher", "tom.teacher", ("All Staff",)),
    "4": ("Gus Governor", "gus.governor", ("Governors",)),
}
TENANTS = {  # connection -> (tenant id, client id, sender, id prefix, domain)
    "tenant-b": (
        "00000000-0000-4000-8000-00000000b001",
        "00000000-0000-4000-8000-00000000b002",
        f"compliance-bot@{OLD}",
        "b-",
        OLD,
    ),
    "tenant-c": (
        "00000000-0000-4000-8000-00000000c001",
        "00000000-0000-4000-8000-00000000c002",
        f"compliance-bot@{NEW}",
        "c-",
        NEW,
    ),
}


def _tenant(clock: FakeClock, connection: str) -> FakeGraph:
    """Hillside's people as tenant B or tenant C holds them (ids and addresses of its own)."""
    tenant_id, client_id, sender, prefix, domain = TENANTS[connection]
    fake = FakeGraph(clock=clock, tenant_id=tenant_id, client_id=client_id, sender=sender)
    fake.client_secret = f"secret-of-{connection}"
    fake.add_user(f"{prefix}bot", "Compliance Bot", sender, account_enabled=False, licensed=False)
    for uid, (name, local, _) in HILLSIDE.items():
        fake.add_user(f"{prefix}{uid}", name, f"{local}@{domain}")
    for number, group in enumerate(
        ("All Staff", "Leadership", "Official Account Holders", "Governors"), start=1
    ):
        fake.add_group(f"{prefix}g{number}", group)
        for uid, (_, _, groups) in HILLSIDE.items():
            if group in groups:
                fake.add_member(f"{prefix}g{number}", f"{prefix}{uid}")
    return fake


class Trust:
    """The install: school.yaml (Oakfield, Hillside on ``connection``), three tenants served
    by one transport, and the CLI's context built over them."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.builder = SchoolBuilder(tmp_path / "home")
        self.builder.people = []
        self.builder.organisation["trust_admins"] = [TRUST_IT]
        self.builder.school.update(
            id="oakfield", name="Oakfield Primary", headteacher=ADA, dsl=[ADA], deputy_dsl=[]
        )
        self.builder.policy(
            "online-safety", "2026.1", title="Online Safety Policy", published="2026-11-02"
        )
        self.builder.staff_acknowledge()
        self.builder.staff_train()
        self.hillside: dict[str, Any] = {
            **self.builder.school,
            "id": "hillside",
            "name": "Hillside Academy",
            "headteacher": f"hal.head@{OLD}",
            "dsl": [f"hal.head@{OLD}"],
            "admins": [f"hal.head@{OLD}"],
            "connection": "tenant-b",
        }
        self.builder.others = [self.hillside]
        self.home = self.builder.write()
        self.database_url = database_url
        self.clock = FakeClock()
        self.fake_a = FakeGraph(clock=self.clock)
        self.fake_a.seed_population()
        self.fake_a.add_user("u-it", "Ida Tech", TRUST_IT)
        self.fake_a.add_member(self.fake_a.group_id("All Staff"), "u-it")
        self.fake_b, self.fake_c = _tenant(self.clock, "tenant-b"), _tenant(self.clock, "tenant-c")
        self.transport = tenants(self.fake_a, self.fake_b, self.fake_c)

    def context(self) -> AppContext:
        """A fresh context over school.yaml as it is now, its connectors over the tenants."""
        settings: Settings = m365_settings(self.home).model_copy(
            update={
                "database_url": self.database_url,
                "secret_key": SecretStr("test-secret-key-0123456789-abcdefghij"),
                "connections": {
                    name.replace("-", "_"): Connection(
                        tenant_id=t,
                        client_id=c,
                        sender=s,
                        client_secret=SecretStr(f"secret-of-{name}"),
                    )
                    for name, (t, c, s, _, _) in TENANTS.items()
                },
            }
        )
        real = wiring._build_platform
        wiring._build_platform = lambda s: build(
            s, transport=self.transport, clock=self.clock, sleep=self.clock.sleep
        )
        try:
            connectors = wiring.build_connectors(settings)
            for name in TENANTS:
                connectors.connection(name)  # built now, over the three tenants' transport
        finally:
            wiring._build_platform = real
        ctx = AppContext(settings)
        ctx.connectors = connectors  # type: ignore[misc]  # a cached property, set here
        return ctx

    def sweep(self, day: date, hour: int = 9) -> dict[str, list[str]]:
        ctx = self.context()
        results, _ = sweep(ctx, day, at(day, hour), deliver=False)
        ctx.store.dispose()
        return {r.school_id: [f.step for f in r.failed] for r in results}

    def moved_to_c(self) -> None:
        """The IT lead points Hillside at tenant C and its new addresses (school.yaml)."""
        data = yaml.safe_load((self.home / "school.yaml").read_text(encoding="utf-8"))
        entry = data["schools"][1]
        entry.update(
            connection="tenant-c",
            headteacher=f"hal.head@{NEW}",
            dsl=[f"hal.head@{NEW}"],
            admins=[f"hal.head@{NEW}"],
        )
        (self.home / "school.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
        )


@pytest.fixture
def trust(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Trust]:
    made = Trust(tmp_path, database_url)
    for module in (directory_cli, commands):  # its commands and one_school build it
        monkeypatch.setattr(module, "context", lambda **_: made.context())
    yield made


def _hillside(trust: Trust) -> dict[str, Any]:
    """What Hillside holds: people by id (address, active, missing since), duties, evidence."""
    ctx = trust.context()
    with ctx.store.session() as session:
        people = {
            pid: (email, active, since)
            for pid, email, active, since in session.execute(
                select(Person.id, Person.email, Person.active, Person.missing_since).where(
                    Person.school_id == "hillside"
                )
            )
        }
        duties = {
            (d.person_id, d.requirement_id, d.status)
            for d in session.scalars(select(Duty).where(Duty.school_id == "hillside"))
        }
        evidence = {("ack", a.person_id) for a in session.scalars(select(Attestation))} | {
            ("training", t.person_id) for t in session.scalars(select(TrainingRecord))
        }
        rows = session.scalar(select(func.count()).select_from(Person))
    ctx.store.dispose()
    return {"people": people, "duties": duties, "evidence": evidence, "rows": rows}


def _evidence(trust: Trust) -> None:
    """Tia acknowledged the policy and did the training; Tom did the training."""
    ctx = trust.context()
    with ctx.store.transaction() as session:
        for local in ("tia.teacher", "tom.teacher"):
            person = session.scalars(select(Person).where(Person.email == f"{local}@{OLD}")).one()
            session.add(
                TrainingRecord(
                    school_id="hillside",
                    person_id=person.id,
                    course="Online safety",
                    completed_on=MONDAY,
                    source="manual",
                    import_key=f"t-{local}",
                )
            )
            if local == "tia.teacher":
                duty = session.scalars(
                    select(Duty).where(
                        Duty.person_id == person.id, Duty.kind == "acknowledge_policy"
                    )
                ).one()
                version = session.get(PolicyVersion, duty.policy_version_id)
                assert version is not None
                acknowledge(
                    session,
                    person,
                    duty,
                    version,
                    method="link",
                    ip=None,
                    user_agent=None,
                    now=at(MONDAY, 10),
                )
    ctx.store.dispose()


def _cli(trust: Trust, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        list(args),
        env={
            "COMPLIANCE_BOT_HOME": str(trust.home),
            "COMPLIANCE_BOT_DATABASE_URL": trust.database_url,
            "COLUMNS": "200",
        },
    )
    return result.exit_code, " ".join(result.output.split())


def test_a_school_moving_tenant_keeps_its_people_and_is_held_until_moved(trust: Trust) -> None:
    assert trust.sweep(MONDAY) == {"oakfield": [], "hillside": []}
    _evidence(trust)
    assert trust.sweep(MONDAY, 11) == {"oakfield": [], "hillside": []}
    before = _hillside(trust)
    assert len(before["people"]) == 4 and len(before["evidence"]) == 3
    done = {d for d in before["duties"] if d[2] == "done"}
    assert len(done) == 3  # Tia's acknowledgement and training, Tom's training

    trust.moved_to_c()  # without the move: the sweep holds Hillside, and shows it
    assert trust.sweep(TUESDAY) == {"oakfield": [], "hillside": [HELD]}
    assert trust.sweep(TUESDAY, 10) == {"oakfield": [], "hillside": [HELD]}
    assert _hillside(trust) == before  # nobody changed, nobody added
    ctx = trust.context()
    with ctx.store.session() as session:
        [held] = failing_steps(session, "hillside")
        mails = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "step_failed")
        ).all()
    assert held.step == HELD and "directory move --school hillside" in describe(held)
    assert len(mails) == 1 and set(mails[0].recipients) == {f"hal.head@{NEW}", TRUST_IT}
    ctx.store.dispose()
    code, out = _cli(trust, "status")
    assert code == 0 and "Directory sync stopped since 24 Nov 2026" in out
    assert "directory_held" in out

    code, out = _cli(
        trust,
        "directory",
        "move",
        "--school",
        "hillside",
        "--to",
        "tenant-b",
        "--map",
        f"{OLD}={NEW}",
        "--as",
        TRUST_IT,
        "--yes",
    )
    assert code == 2 and "settings read tenant-c, not tenant-b" in out
    code, out = _cli(
        trust,
        "directory",
        "move",
        "--school",
        "hillside",
        "--to",
        "tenant-c",
        "--map",
        f"{OLD}={NEW}",
        "--as",
        TRUST_IT,
        "--yes",
    )
    assert code == 0, out
    assert "Carried by the address map: 4" in out
    assert "Not found in the new directory" in out and "move: 0" not in out
    assert "Carried 4 people of Hillside Academy to their new addresses" in out
    moved = _hillside(trust)
    assert moved["rows"] == before["rows"]  # 0 new person records
    assert {pid: e for pid, (e, _, _) in moved["people"].items()} == {
        pid: e.replace(OLD, NEW) for pid, (e, _, _) in before["people"].items()
    }
    assert moved["evidence"] == before["evidence"]  # on the same people

    assert trust.sweep(TUESDAY, 11) == {"oakfield": [], "hillside": []}
    after = _hillside(trust)
    assert after["rows"] == before["rows"]  # still: nobody new, nobody a second record
    assert all(active and since is None for _, active, since in after["people"].values())
    assert after["duties"] == before["duties"]  # 0 duties owed again: the same, done stays done
    assert after["evidence"] == before["evidence"]
    ctx = trust.context()
    with ctx.store.session() as session:
        assert failing_steps(session, "hillside") == []  # the hold ended
    ctx.store.dispose()


def _stored(
    pid: int, email: str, name: str, start: date | None = None, ext: str | None = None
) -> Stored:
    return Stored(pid, email, ext, name, start)


def _record(
    email: str, name: str, start: date | None = None, ext: str | None = None
) -> DirectoryPerson:
    return DirectoryPerson(
        external_id=ext or email, email=email, display_name=name, start_date=start
    )


def test_matching_is_certain_or_proposed_and_never_a_guess() -> None:
    sept = date(2019, 9, 1)
    stored = [
        _stored(1, "amy@old.example", "Amy Able", ext="x-1"),  # the same id
        _stored(2, "ben@old.example", "Ben Brook"),  # the map
        _stored(3, "cat@kept.example", "Cat Cole"),  # the same address
        _stored(4, "dan@old.example", "Dan Dee"),  # the MIS's new address
        _stored(5, "eve@old.example", "Eve Ellis", sept),  # name and start date
        _stored(6, "fay@old.example", "Fay Fox", sept),  # two Fay Foxes: not found
        _stored(7, "gil@old.example", "Gil Gray"),  # nowhere
    ]
    listed = [
        _record("amy.a@new.example", "Amy Able", ext="x-1"),
        _record("ben@new.example", "Ben Brook"),
        _record("cat@kept.example", "Cat Cole"),
        _record("daniel.dee@new.example", "Daniel Dee"),
        _record("e.ellis@new.example", "Eve  ellis", sept),
        _record("fay1@new.example", "Fay Fox", sept),
        _record("fay2@new.example", "Fay Fox", sept),
        _record("new@new.example", "Nia New"),
    ]
    plan = plan_move(stored, listed, {"old.example": "new.example"}, {4: "daniel.dee@new.example"})
    assert [(c.person.id, c.record.email, c.how) for c in plan.carried] == [
        (1, "amy.a@new.example", SAME_ID),
        (2, "ben@new.example", BY_MAP),
        (3, "cat@kept.example", SAME_ADDRESS),
        (4, "daniel.dee@new.example", BY_MIS),
        (5, "e.ellis@new.example", BY_NAME),
    ]
    assert [c.proposed for c in plan.carried] == [False] * 4 + [True]
    assert [p.id for p in plan.not_found] == [6, 7]
    assert [r.email for r in plan.new] == [
        "fay1@new.example",
        "fay2@new.example",
        "new@new.example",
    ]
