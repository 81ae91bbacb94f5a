"""Official accounts' pure rules: when a handover still waiting is chased, and who hears.

A handover (a holder left or was removed: change the login and hand the account over) is
chased on the first school day after it is flagged and then every ``HANDOVER_CHASE_EVERY_DAYS``
days, at most ``HANDOVER_CHASES`` times, to the account's custodian (the headteacher when there
is none, or the custodian has left). After that one final "please talk to them" note goes to the
headteacher, and the dashboard keeps showing the handover until it is recorded. After a holiday
only the latest stage reached is sent, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "HANDOVER_CHASES",
    "HANDOVER_CHASE_EVERY_DAYS",
    "HANDOVER_KEY_PREFIX",
    "ChaseStage",
    "handover_key",
    "handover_stage",
    "stage_number",
]

HANDOVER_CHASE_EVERY_DAYS = 7
HANDOVER_CHASES = 4
HANDOVER_KEY_PREFIX = "handover"


@dataclass(frozen=True)
class ChaseStage:
    """One step of chasing a handover: its number (1...) and whether it is the last."""

    number: int
    final: bool  # the "chasing has stopped, please talk to them" note to the headteacher

    @property
    def label(self) -> str:
        """How the stage is named in its idempotency key."""
        return "final" if self.final else f"chase:{self.number}"


def handover_stage(since: date, today: date) -> ChaseStage | None:
    """The latest chasing stage reached by ``today`` for a handover flagged on ``since``."""
    if today < since:
        return None
    number = min((today - since).days // HANDOVER_CHASE_EVERY_DAYS + 1, HANDOVER_CHASES + 1)
    return ChaseStage(number, final=number > HANDOVER_CHASES)


def handover_key(school_id: str, account_id: int, since: date, stage: ChaseStage) -> str:
    """The outbox idempotency key of one chasing stage of one handover."""
    return f"{HANDOVER_KEY_PREFIX}:{school_id}:{account_id}:{since.isoformat()}:{stage.label}"


def stage_number(label: str) -> int:
    """The stage number in a key's label (``chase:2`` -> 2, ``final`` -> the last)."""
    return HANDOVER_CHASES + 1 if label == "final" else int(label.removeprefix("chase:"))
