"""People from the directory, their roles and groups, and the people a school adds by hand."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.core.models.base import SchoolRecord, utcnow

__all__ = ["ExtraPerson", "Person", "PersonGroup", "PersonRole", "active_person"]


class Person(SchoolRecord):
    """Staff, governor, volunteer... with or without a directory account."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("school_id", "email"),)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    start_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    # first day a directory sync no longer listed them (or listed them disabled/suspended): they
    # keep their duties until the school's grace period passes or an admin confirms they left
    missing_since: Mapped[date | None] = mapped_column(Date)
    has_account: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(20), default="directory")
    # raised by signing out: every sign-in cookie carrying an older number stops working
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the person's own language where the school is dual-language (cy+en): cy or en; None: the
    # school's (bot.core.language.i18n)
    language: Mapped[str | None] = mapped_column(String(10))
    # the school sign-in's subject they are tied to since their first sign-in (issuer, ``sub``,
    # and the Entra tenant or Google domain): bot.engine.web.identity
    signin_issuer: Mapped[str | None] = mapped_column(String(500))
    signin_subject: Mapped[str | None] = mapped_column(String(255))
    signin_org: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    groups: Mapped[list[PersonGroup]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    manager: Mapped[Person | None] = relationship(remote_side="Person.id")

    @property
    def role_names(self) -> set[str]:
        """The person's roles as plain names."""
        return {r.role for r in self.roles}

    def replace_roles(self, source: str, wanted: set[str]) -> None:
        """Make the roles from ``source`` exactly ``wanted``, touching only the differences
        (replacing every row would clash on the unique key within one flush)."""
        current = {r.role: r for r in self.roles if r.source == source}
        for role, row in current.items():
            if role not in wanted:
                self.roles.remove(row)
        for role in sorted(wanted - set(current)):
            self.roles.append(PersonRole(school_id=self.school_id, role=role, source=source))

    def replace_groups(self, wanted: set[str]) -> None:
        """Make the directory groups exactly ``wanted``, touching only the differences."""
        current = {g.name: g for g in self.groups}
        for name, row in current.items():
            if name not in wanted:
                self.groups.remove(row)
        for name in sorted(wanted - set(current)):
            self.groups.append(PersonGroup(school_id=self.school_id, name=name))


class PersonRole(SchoolRecord):
    """A role a person holds (staff, governor, dsl, headteacher...), and where it came from."""

    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role", "source"),)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20), default="directory")
    person: Mapped[Person] = relationship(back_populates="roles")


class PersonGroup(SchoolRecord):
    """A directory group a person belongs to."""

    __tablename__ = "person_groups"
    __table_args__ = (UniqueConstraint("person_id", "name"),)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    person: Mapped[Person] = relationship(back_populates="groups")


class ExtraPerson(SchoolRecord):
    """Someone outside the directory (a governor on a personal address, a volunteer, supply
    staff), entered on the people register page; the directory sync merges them in."""

    __tablename__ = "extra_people"
    __table_args__ = (UniqueConstraint("school_id", "email"),)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    manager_email: Mapped[str | None] = mapped_column(String(320))
    left_on: Mapped[date | None] = mapped_column(Date)  # marked as left on the page
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def active_person(
    session: Session, email: str, schools: Collection[str] | None = None
) -> Person | None:
    """The active person with this address (the first school's, when a trust has two), in
    one of ``schools`` when given."""
    query = select(Person).where(Person.email == email, Person.active.is_(True))
    if schools is not None:
        query = query.where(Person.school_id.in_(sorted(schools)))
    return session.scalars(query.order_by(Person.id)).first()
