"""Glenview's staff (tests/support/mis_export.py) as its Microsoft 365 tenant or Google Workspace
domain holds them when the MIS provisions the accounts: each person a user whose job title is
the MIS's (Graph's ``jobTitle``, Google's ``organizations[].title``); and the CLI's connectors
answered by the faithful fakes (tests/support/fakes), set up through the environment as a
newcomer exports the settings the deploy guide lists before running ``init``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.mis_export import MisPerson

__all__ = ["google_domain", "graph_tenant"]


def _split(name: str) -> tuple[str, str]:
    given, _, family = name.partition(" ")
    return given, family


def graph_tenant(monkeypatch: pytest.MonkeyPatch, people: Sequence[MisPerson]) -> Any:
    """A fake Graph holding ``people`` (no role groups: every licensed member is read), the
    settings exported for ``COMPLIANCE_BOT_CONNECTOR=m365`` and the CLI's connectors built
    over the fake. Returns the fake (add users to it for a later sync)."""
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    import bot.wiring as wiring
    from connectors.m365.connector import build
    from tests.support.fakes.graph import (
        CLIENT_ID,
        CLIENT_SECRET,
        SENDER,
        SENDER_ID,
        TENANT_ID,
        FakeClock,
        FakeGraph,
    )

    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    # the bot's mailbox: a shared mailbox, no licence (left out of the people)
    fake.add_user(SENDER_ID, "Compliance Bot", SENDER, account_enabled=False, licensed=False)
    for number, person in enumerate(people, start=1):
        given, family = _split(person.name)
        fake.add_user(
            f"u-{number}",
            person.name,
            person.email,
            given_name=given,
            surname=family,
            job_title=person.title,
        )
    for name, value in (
        ("CONNECTOR", "m365"),
        ("M365__TENANT_ID", TENANT_ID),
        ("M365__CLIENT_ID", CLIENT_ID),
        ("M365__CLIENT_SECRET", CLIENT_SECRET),
        ("M365__SENDER", SENDER),
    ):
        monkeypatch.setenv(f"COMPLIANCE_BOT_{name}", value)
    monkeypatch.setattr(
        wiring,
        "_build_platform",
        lambda settings: build(settings, transport=fake.transport, clock=clock, sleep=clock.sleep),
    )
    return fake


STAFF_OU = "/Staff"


def google_domain(
    monkeypatch: pytest.MonkeyPatch, people: Sequence[MisPerson], key_folder: Path
) -> Any:
    """A fake Google Workspace holding ``people`` in the staff organisational unit (a pupil
    and the admin elsewhere), the settings exported for ``COMPLIANCE_BOT_CONNECTOR=google``
    with the guide's staff-only user query, and the CLI's connectors built over the fake."""
    pytest.importorskip("googleapiclient", reason="google-api-python-client is not installed")
    import bot.wiring as wiring
    from connectors.google.connector import build
    from tests.support.fakes.google import FakeGoogle, service_account_info

    domain = people[0].email.rsplit("@", 1)[1]
    admin, sender = f"it.admin@{domain}", f"compliance-bot@{domain}"
    fake = FakeGoogle()
    fake.add_user(admin, "IT Admin", admin=True)
    fake.add_user(sender, "Compliance Bot")
    fake.add_user(f"p.pupil@{domain}", "Pat Pupil", title="Year 6", org_unit="/Pupils")
    for person in people:
        given, family = _split(person.name)
        fake.add_user(
            person.email,
            person.name,
            given=given,
            family=family,
            title=person.title,
            org_unit=STAFF_OU,
        )
    key_file = key_folder / "service-account.json"
    key_file.write_text(json.dumps(service_account_info()), encoding="utf-8")
    for name, value in (
        ("CONNECTOR", "google"),
        ("GOOGLE__SERVICE_ACCOUNT_FILE", str(key_file)),
        ("GOOGLE__ADMIN_SUBJECT", admin),
        ("GOOGLE__SENDER", sender),
        ("GOOGLE__USER_QUERY", f"orgUnitPath='{STAFF_OU}'"),
    ):
        monkeypatch.setenv(f"COMPLIANCE_BOT_{name}", value)
    monkeypatch.setattr(wiring, "_build_platform", lambda settings: build(settings, http=fake))
    return fake
