"""What the Chat tests' schools share: the Online Safety Policy for staff to acknowledge, and
the channel the school asks in."""

from __future__ import annotations

from tests.support.helpers import SchoolBuilder


def ask_online_safety(school: SchoolBuilder, asks_in: str = "chat") -> None:
    """The school's Online Safety Policy (2026.1, published 12 October 2026) for every member
    of staff to acknowledge, asked in ``asks_in``."""
    school.policy(
        "online-safety",
        "2026.1",
        title="Online Safety Policy",
        published="2026-10-12",
        text="# Online Safety Policy\n\nUse school accounts.\n",
    )
    school.requirement(
        id="ack-os",
        kind="acknowledge_policy",
        policy="online-safety",
        audience={"roles": ["staff"]},
    )
    school.school["asks_in"] = asks_in
