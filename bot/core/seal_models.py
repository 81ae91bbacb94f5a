"""The note of rows written to bulk-sealed tables, read and emptied at each commit
(``seal_batches``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base

__all__ = ["SealNote"]


class SealNote(Base):
    """One row written by a tagged connection: which kind, which row, which connection."""

    __tablename__ = "seal_queue"
    __table_args__ = (Index("ix_seal_queue_tag", "tag"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(BigInteger)
