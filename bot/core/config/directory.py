"""How directory changes are trusted (``directory:`` in a school's entry of school.yaml): the
grace period before a missing person becomes a leaver, the share of people one sync may remove
before it stops and asks, and the all-staff group of a tenant several schools share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from bot.core.config.said import CheckError

__all__ = ["DirectoryRules"]


class _Strict(BaseModel):
    """As every part of school.yaml (``config._Strict``): unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DirectoryRules(_Strict):
    """How directory changes are trusted: a grace period before a missing person becomes a
    leaver, and the share of people one sync may remove before it stops and asks."""

    leaver_grace_days: int = 7
    max_removal_share: float = 0.10
    # In a tenant or domain shared by several schools, the directory group whose members are
    # this school's people (its all-staff group); None: the school has the directory alone
    staff_group: str | None = None

    @field_validator("staff_group", mode="before")
    @classmethod
    def _staff_group(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise CheckError("staff_group", value=repr(value))
        return value.strip() if isinstance(value, str) else value

    @field_validator("leaver_grace_days", mode="before")
    @classmethod
    def _grace(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
            raise CheckError("leaver_grace", value=repr(value))
        return value

    @field_validator("max_removal_share", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Any:
        text = str(value).strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            share = -1.0
        if isinstance(value, bool) or not 0 < share <= 1:
            raise CheckError("removal_share", value=repr(value))
        return share
