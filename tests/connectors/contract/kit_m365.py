"""The m365 connector wired to the fake Graph (tests/fakes/graph.py) for the contract tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.connectors.contract.kits import Delivered, Kit, parse_mime
from tests.connectors.contract.population import GROUPS, ROLES
from tests.support.fakes.graph import (
    CLIENT_ID,
    CLIENT_SECRET,
    FORMS_LIST,
    SENDER,
    SITE_ID,
    TENANT_ID,
    WEBHOOK_URL,
    FakeClock,
    FakeGraph,
)

LIST_NAME = "Safeguarding reports"


def m365_settings(home: Path, **m365: Any) -> Any:
    """Settings for the fake tenant (every value fictional); keyword arguments override."""
    from bot.core.deployment.platform_settings import M365Settings
    from bot.core.deployment.settings import Settings

    values: dict[str, Any] = {
        "tenant_id": TENANT_ID,
        "client_id": CLIENT_ID,
        "client_secret": SecretStr(CLIENT_SECRET),
        "sender": SENDER,
        "teams_webhook_url": SecretStr(WEBHOOK_URL),
        "site_id": SITE_ID,
        "list_name": LIST_NAME,
        "forms_list": FORMS_LIST,
        "role_groups": {group: ROLES[group] for group in GROUPS},
    }
    values.update(m365)
    return Settings(home=home, connector="m365", m365=M365Settings(**values))


def m365_kit(tmp_path: Path) -> Kit:
    """The m365 connector over msgraph-sdk's real pipeline, answered by the fake Graph."""
    pytest.importorskip("msgraph", reason="msgraph-sdk is not installed (uv sync --extra m365)")
    from connectors.m365.connector import build

    clock = FakeClock()
    fake = FakeGraph(clock=clock)
    fake.seed_population()
    connectors = build(
        m365_settings(tmp_path), transport=fake.transport, clock=clock, sleep=clock.sleep
    )
    assert connectors.notifier is not None
    assert connectors.mirror is not None
    assert connectors.forms is not None

    def delivered() -> list[Delivered]:
        return [parse_mime(mail.mime) for mail in fake.sent if mail.mime is not None]

    def posted() -> list[dict[str, Any]]:
        return list(fake.posted)

    def mirror_rows() -> dict[str, dict[str, str]]:
        return fake.rows_of(LIST_NAME)

    return Kit(
        name="m365",
        directory=connectors.directory,
        mailer=connectors.mailer,
        notifier=connectors.notifier,
        mirror=connectors.mirror,
        forms=connectors.forms,
        delivered=delivered,
        posted=posted,
        mirror_rows=mirror_rows,
        role_of_group=lambda group: ROLES[group],
        mirror_references=lambda: list_titles(fake),
        card="teams",
        second_fetch="changes",
        disabled="inactive",
    )


def list_titles(fake: FakeGraph, list_name: str = LIST_NAME) -> list[str]:
    """The Title of every item in the fake's list, duplicates included (none: no list)."""
    for data in fake.sites[SITE_ID].values():
        if data["displayName"] == list_name:
            return [fields["Title"] for fields in data["items"].values()]
    return []
