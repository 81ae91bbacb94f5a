"""A school with a Teams bot, a policy to acknowledge and an AUP to sign, and the fake Bot
Framework that signs the activities Teams would send."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.core.deployment.context import AppContext
from bot.core.deployment.platform_settings import M365Settings
from bot.core.models import Attestation, AuditEvent, Duty, Person, PolicyVersion
from bot.engine.sweep import run_sweep
from bot.web.app import create_app
from tests.support.fakes.botframework import FakeBotFramework, invoke_activity
from tests.support.helpers import Row, SchoolBuilder, at

MONDAY = date(2026, 10, 19)
TENANT = "8d3c1a52-3f0e-4b6a-9c1e-2b7d5e4f6a10"  # fictional
BOT_APP_ID = "2f4e6a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"  # fictional
AMY_ID = "0c2b9a1e-0000-4000-8000-00000000a0a1"
BEN_ID = "0c2b9a1e-0000-4000-8000-00000000b0b1"


@dataclass
class BotEnv:
    """The school, its app, and the fake Connector."""

    context: AppContext
    app: Any
    bf: FakeBotFramework
    now: int

    def client(self) -> TestClient:
        """A client for the app."""
        return TestClient(self.app)

    def post(self, activity: dict[str, Any], token: str | None = None, **token_changes: Any) -> Any:
        """POST ``activity`` to /api/messages with a Connector token (``token`` overrides)."""
        if token is None:
            token = self.bf.token(activity, app_id=BOT_APP_ID, now=self.now, **token_changes)
        return self.client().post(
            "/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"}
        )

    def press(self, user_id: str, verb: str, data: dict[str, Any], **kw: Any) -> Any:
        """Amy (or ``user_id``) presses a card button."""
        return self.post(
            invoke_activity(
                user_id=user_id, tenant_id=TENANT, bot_app_id=BOT_APP_ID, verb=verb, data=data
            ),
            **kw,
        )

    def count(self, model: Any) -> int:
        """Rows of ``model``."""
        with self.context.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def duty(self, email: str, kind: str) -> tuple[int, str, int]:
        """(duty id, version SHA-256, version id) of the person's open duty of ``kind``."""
        with self.context.store.session() as session:
            duty, version = session.execute(
                select(Duty, PolicyVersion)
                .join(PolicyVersion, PolicyVersion.id == Duty.policy_version_id)
                .join(Person, Person.id == Duty.person_id)
                .where(Person.email == email, Duty.kind == kind)
            ).one()
            return duty.id, version.sha256, version.id

    def audit(self, action: str) -> list[AuditEvent]:
        """The audit events of ``action``."""
        with self.context.store.session() as session:
            rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
            session.expunge_all()
            return rows


def bot_school(
    school: SchoolBuilder, sqlite_url: str, bf: FakeBotFramework, **m365: Any
) -> AppContext:
    """Oak school with Amy and Ben in the directory by their Entra ids, an Online Safety
    Policy for staff to acknowledge and a Social Media AUP Amy signs for the Facebook page."""
    school.people = [
        Row(
            "head@oak.example",
            "Hana Head",
            "staff",
            "All Staff;Leadership",
            title="Headteacher",
            id="0c2b9a1e-0000-4000-8000-00000000e0e1",
        ),
        Row(
            "line@oak.example",
            "Lena Line",
            "staff",
            "All Staff",
            "head@oak.example",
            id="0c2b9a1e-0000-4000-8000-00000000f0f1",
        ),
        Row("amy@oak.example", "Amy Able", "staff", "All Staff", "line@oak.example", id=AMY_ID),
        Row("ben@oak.example", "Ben Brook", "staff", "All Staff", "line@oak.example", id=BEN_ID),
    ]
    school.policy(
        "online-safety",
        "2026.1",
        title="Online Safety Policy",
        published="2026-10-12",
        text="# Online Safety Policy\n\nUse school accounts only.\n",
    )
    school.policy(
        "social-media-aup",
        "2026.1",
        title="Social Media AUP",
        published="2026-10-12",
        aup=True,
        text="# Social media AUP\n\nI will post only approved content.\n",
    )
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    school.requirement(id="aup", kind="sign_aup", policy="social-media-aup")
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "School Facebook page",
            "custodian": "head@oak.example",
            "holders": ["amy@oak.example"],
            "aup_policy": "social-media-aup",
        }
    ]
    settings = {
        "tenant_id": TENANT,
        "bot_app_id": BOT_APP_ID,
        "bot_openid_metadata": bf.metadata_url,
        **m365,
    }
    ctx = school.context(sqlite_url, base_url="https://oak.example", m365=M365Settings(**settings))
    with time_machine.travel(at(MONDAY), tick=False):
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, deliver=False)
    return ctx


@pytest.fixture(name="bf")
def bf_fixture(live_server: Any) -> Iterator[FakeBotFramework]:
    """The Connector's OpenID metadata and keys, on a local port."""
    fake = FakeBotFramework()
    with live_server(fake.app) as server:
        fake.base = server.url
        yield fake


@pytest.fixture(name="env")
def env_fixture(
    school: SchoolBuilder, sqlite_url: str, bf: FakeBotFramework, frozen_clock: Any
) -> BotEnv:
    """The school with its bot, at 10:00 on a Monday."""
    ctx = bot_school(school, sqlite_url, bf)
    frozen_clock.at(MONDAY, 10, 0)
    return BotEnv(ctx, create_app(ctx.settings, ctx), bf, int(time.time()))


__all__ = [
    "AMY_ID",
    "BEN_ID",
    "BOT_APP_ID",
    "MONDAY",
    "TENANT",
    "Attestation",
    "BotEnv",
    "bot_school",
]
