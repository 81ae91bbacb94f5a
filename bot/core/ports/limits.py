"""The platforms' published limits, and what counts them: a sending mailbox's (``MailPacing``,
with the share kept for urgent mail, ``UrgentReserve``: the outbox counts them in the
database) and a bot's calls (``Limit``, counted by a ``Pacer``: its process's own, or the
database's that every process shares, ``bot.core.guards.ratelimit.DatabasePacer``). Part of the
ports
(``bot.core.ports`` names them too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Limit", "MailPacing", "Paced", "Pacer", "UrgentReserve"]


@dataclass(frozen=True)
class UrgentReserve:
    """The share of a mailbox's limits that routine mail (reminders, digests) may never spend,
    so a safeguarding alert always finds a send free however long the routine queue is.

    Args:
        per_minute: messages in each minute window kept for urgent mail (Exchange: 1 of 30).
        per_day: of the rolling 24-hour limit (recipients where the platform counts them,
            else messages) kept for urgent mail.
    """

    per_minute: int = 1
    per_day: int = 300


@dataclass(frozen=True)
class MailPacing:
    """A sending mailbox's published limits, which the dispatcher keeps in the database so that
    every worker (and every restart) counts the same sends.

    Args:
        mailbox: the sending mailbox (one lock and one count per mailbox).
        per_minute: messages in any ``window`` seconds (Exchange Online: 30 a minute).
        window: the seconds of that window.
        daily_recipients: recipients (to + cc, distinct) in any rolling 24 hours (Exchange
            Online: 10,000), None for no such limit.
        daily_messages: messages in any rolling 24 hours (Gmail: 2,000), None for no limit.
        reserve: what routine mail may never spend (kept for safeguarding mail and people
            waiting on the bot); none unless the connector declares one.
    """

    mailbox: str
    per_minute: int
    window: float = 60.0
    daily_recipients: int | None = None
    daily_messages: int | None = None
    reserve: UrgentReserve = UrgentReserve(0, 0)


@dataclass(frozen=True)
class Limit:
    """A platform's published limit on one kind of call: at most ``calls`` in any ``window``
    seconds, counted under ``key`` (what the platform counts by: a project, an app in a
    tenant, a space). Where the platform counts units, not calls (Graph's directory resource
    units, Gmail's quota units), ``calls`` is the units and ``cost`` what this call spends."""

    key: str
    calls: int
    window: float
    cost: int = 1


@runtime_checkable
class Pacer(Protocol):
    """Counts calls against platforms' limits."""

    def take(self, limits: Sequence[Limit]) -> float:
        """Count one call under every one of ``limits`` when all have room now (0.0); else count
        nothing and return the seconds until they would."""
        ...


@runtime_checkable
class Paced(Protocol):
    """A connector that counts its calls with a ``Pacer`` (its own process's by default): handed
    the database's (``Connectors.share``), every process together keeps the platform's limits."""

    pacer: Pacer
