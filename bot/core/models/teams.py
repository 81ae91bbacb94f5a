"""The people who have the school's Teams app: where the bot can reach each of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.models.base import Base, utcnow
from bot.core.models.people import Person

__all__ = ["TeamsChat", "chats_of"]


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


def chats_of(
    session: Session, school_id: str, service_url: str | None = None
) -> list[tuple[Person, TeamsChat]]:
    """The school's active people with a chat with the bot, each with the chat (only chats at
    ``service_url`` when it is named: a Google Chat app's DMs, say), in the order of their ids."""
    query = (
        select(Person, TeamsChat)
        .join(TeamsChat, TeamsChat.person_id == Person.id)
        .where(Person.school_id == school_id, Person.active.is_(True))
    )
    if service_url is not None:
        query = query.where(TeamsChat.service_url == service_url)
    return [(person, chat) for person, chat in session.execute(query.order_by(Person.id))]
