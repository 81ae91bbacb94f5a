"""The table of emailed sign-in links: what a school without Microsoft or Google sign-in uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Numbered, utcnow

__all__ = ["SignInLink"]


class SignInLink(Numbered):
    """One emailed sign-in: a link and a code for one person, usable once, for a short while.

    Only keyed hashes of the link's token and the code are kept, so a copy of the database
    cannot sign anyone in. A row exists only for a person in the directory: a request for an
    address nobody holds stores nothing.
    """

    __tablename__ = "signin_links"
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    # wrong codes typed against this link; at the limit the link is closed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column()
    # "used", "replaced" (a newer link was asked for), "too_many_codes"
    closed_reason: Mapped[str | None] = mapped_column(String(20))
