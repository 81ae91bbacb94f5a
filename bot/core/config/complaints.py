"""The data-protection complaint settings of school.yaml (``complaints:``): who reads
complaints, the public form, and the clocks' warnings. The rules that use them are in
``bot.features.privacy.rules``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.config.said import CheckError

__all__ = ["ComplaintSettings"]

ReaderRole = Literal["dpo", "headteacher", "chair_of_governors", "admin"]


class ComplaintSettings(BaseModel):
    """Complaints to the school about its handling of personal data (Data Protection Act 2018
    s.164A): only ``readers`` read them; the acknowledgement is due within
    ``ACKNOWLEDGE_DAYS``; the outcome by ``outcome_days`` (the school's own target: the Act
    says only "without undue delay"); warnings ``warn_days_before`` each deadline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_form: bool = True
    readers: list[ReaderRole] = Field(default=["dpo", "headteacher"], min_length=1)
    outcome_days: int = Field(default=30, ge=1, le=365)
    warn_days_before: list[int] = Field(default=[10, 3, 1], max_length=5)

    @field_validator("warn_days_before")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 29 for d in value):
            raise CheckError("warn_days")
        return sorted(set(value), reverse=True)
