"""The audit chain's head kept outside the database: a signed anchor file, a digest's figure.

Anyone who can write to the database can rebuild the whole chain with fresh hashes; they cannot
change an anchor the school keeps elsewhere. ``audit verify --anchor FILE`` then finds the
chain shorter than, or different from, what the anchor recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from itsdangerous import BadSignature, Serializer
from sqlalchemy.orm import Session

from bot.core.audit import GENESIS
from bot.core.days.clock import to_local
from bot.core.guards.forms import SaidError
from bot.core.language.i18n import N_
from bot.core.models import AuditHead

__all__ = [
    "Anchor",
    "AnchorError",
    "chain_head",
    "fingerprint_anchor",
    "make_anchor",
    "read_anchor",
]

_SALT = "compliance-bot.audit-anchor"
_FINGERPRINT = re.compile(r"^\s*(\d+)\s*:\s*([0-9a-fA-F]{64})\s*$")


class AnchorError(SaidError):
    """An anchor file or fingerprint that cannot be used; ``str()`` says why in plain words,
    ``said(tr)`` in the school's language."""


@dataclass(frozen=True)
class Anchor:
    """The chain as it stood: ``count`` entries, the last one's ``hash``; ``source`` in words."""

    count: int
    hash: str
    source: str
    made_at: datetime | None = None


def chain_head(session: Session) -> tuple[int, str]:
    """How many entries the chain has and the last one's hash (0 and the genesis when empty)."""
    head = session.get(AuditHead, 1)
    if head is None:
        return 0, GENESIS
    return head.count, head.last_hash


def make_anchor(session: Session, secret: str, now: datetime) -> tuple[Anchor, str]:
    """The anchor for the chain's head now, and the signed text to keep in a file."""
    count, last = chain_head(session)
    payload = {
        "what": "compliance-bot audit anchor",
        "entries": count,
        "hash": last,
        "made_at": now.isoformat(),
    }
    text = Serializer(secret, salt=_SALT).dumps(payload)
    return Anchor(count, last, _described(now), now), text + "\n"


def _described(made_at: datetime) -> str:
    """'the anchor file made on 3 November 2026 at 10:00' (school time)."""
    local = to_local(made_at)
    return f"the anchor file made on {local.day} {local:%B %Y} at {local:%H:%M}"


def read_anchor(path: Path, secret: str) -> Anchor:
    """Read and check a signed anchor file; raises ``AnchorError`` naming the file."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(
            N_("%(file)s: cannot be read (%(error)s)"), file=str(path), error=exc.__class__.__name__
        ) from None
    try:
        payload = Serializer(secret, salt=_SALT).loads(text)
    except BadSignature:
        raise AnchorError(
            N_(
                "%(file)s: its signature does not match this installation's secret key — it was "
                "changed, or made by another installation"
            ),
            file=str(path),
        ) from None
    try:
        made_at = datetime.fromisoformat(payload["made_at"])
        anchor = Anchor(int(payload["entries"]), str(payload["hash"]), _described(made_at), made_at)
    except (KeyError, TypeError, ValueError):
        raise AnchorError(N_("%(file)s: is not an audit anchor file"), file=str(path)) from None
    return anchor


def fingerprint_anchor(text: str) -> Anchor:
    """An anchor from a weekly digest's fingerprint, written ``ENTRIES:HASH``."""
    found = _FINGERPRINT.match(text)
    if found is None:
        raise AnchorError(
            N_(
                "--fingerprint %(got)s: expected the digest's figure as ENTRIES:HASH, e.g. "
                "1234:3f9a… (64 hexadecimal characters)"
            ),
            got=repr(text),
        )
    return Anchor(int(found.group(1)), found.group(2).lower(), "the fingerprint given")
