"""The people who have the school's Teams app: where the bot can reach each of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, utcnow

__all__ = ["TeamsChat"]


class TeamsChat(Base):
    """A person's one-to-one chat with the school's bot (the app installed for them).

    Written once the bot has installed itself for the person (or they installed it): the chat id
    and the Connector's service URL are what a card needs. A person without a row gets email.
    """

    __tablename__ = "teams_chats"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(200))  # Entra object id
    chat_id: Mapped[str] = mapped_column(String(300))
    service_url: Mapped[str] = mapped_column(String(300))
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
