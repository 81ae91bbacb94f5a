"""The school's official accounts (its Facebook page, Tapestry, the school phone) and who
holds them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.language.i18n import N_, Lazy, Msg, Said
from bot.core.models.base import SchoolRecord

if TYPE_CHECKING:
    from bot.core.models.people import Person

__all__ = ["HANDOVER_REASONS", "AccountHolder", "OfficialAccount"]

# why an account needs a handover, kept as a kind and its values and said in the reader's
# language (migration 0051 turned the sentences stored before into these)
HANDOVER_REASONS = {
    "left": N_("%(person)s has left; change the login and hand over"),
    "stopped": N_("%(person)s no longer runs this account"),
    "removed": N_("a holder was removed from the account"),
}
_UNSTATED = N_("A holder no longer runs this account")


class OfficialAccount(SchoolRecord):
    """A school-run account (Facebook page, Tapestry, the school phone...)."""

    __tablename__ = "official_accounts"
    __table_args__ = (UniqueConstraint("school_id", "key"),)
    key: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    purpose: Mapped[str | None] = mapped_column(Text)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    aup_policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    handover_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_reason: Mapped[str | None] = mapped_column(Text)  # free text (before 0051) only
    handover_kind: Mapped[str | None] = mapped_column(String(20))  # HANDOVER_REASONS' keys
    handover_values: Mapped[dict[str, Any] | None] = mapped_column()
    handover_since: Mapped[date | None] = mapped_column(Date)  # when the handover was flagged
    holders: Mapped[list[AccountHolder]] = relationship(
        back_populates="account", lazy="selectin", cascade="all, delete-orphan"
    )
    custodian: Mapped[Person | None] = relationship()
    LEFT = N_("A holder has left.")  # the dashboard's word for a handover without a reason
    HANDOVER = N_("Handover")  # a handover's note begins "Handover: " in the account's notes

    def flag_handover(self, kind: str, today: date, **values: str) -> None:
        """Mark the account as needing a handover for ``kind`` (``HANDOVER_REASONS``), dated
        from the first flag."""
        if not self.handover_needed:
            self.handover_since = today
        self.handover_needed = True
        self.handover_kind, self.handover_values = kind, values
        self.handover_reason = None

    def handover_said(
        self,
        sentence: str = "%(reason)s",
        values: Mapping[str, object] | None = None,
        unstated: str = _UNSTATED,
    ) -> str | Lazy:
        """Why the account needs a handover, inside ``sentence`` (a catalogue sentence holding
        ``%(reason)s`` and ``values``), said where shown; a reason kept as free text is shown
        as it is, none as ``unstated``."""
        reason: str | Lazy
        if self.handover_kind in HANDOVER_REASONS:
            reason = Msg(HANDOVER_REASONS[self.handover_kind], **(self.handover_values or {}))
        else:
            reason = self.handover_reason or Msg(unstated)
        if sentence == "%(reason)s":
            return reason
        return Msg(sentence, **(values or {}), reason=Said(lambda: str(reason).rstrip(".")))

    def notes_said(self) -> str:
        """The account's notes in the active language: each handover's note ("Handover: ...",
        stored in English) begins with the word in it ("Trosglwyddo / Handover" in ``cy+en``);
        the rest as written, once (a person's own words are never said twice)."""
        prefix = f"{self.HANDOVER}: "
        return "\n".join(
            f"{Msg(self.HANDOVER)}: {line[len(prefix) :]}" if line.startswith(prefix) else line
            for line in (self.notes or "").split("\n")
        )


class AccountHolder(SchoolRecord):
    """A person holding an official account from ``since`` (until ``until`` when removed)."""

    __tablename__ = "account_holders"
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    account: Mapped[OfficialAccount] = relationship(back_populates="holders")
    person: Mapped[Person] = relationship()
