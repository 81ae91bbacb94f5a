"""Proof of reading in school.yaml (``proof_of_reading:`` on an acknowledgement or a reading
campaign): every page shown before the button opens, and an optional check of 2 to 5 of the
school's own questions with its pass mark::

    proof_of_reading:
      questions:
        - {question: Who do you tell first?, choices: [The DSL, A friend], answer: 1}
        - {question: Can you promise to keep a secret?, choices: [Yes, No], answer: 2}
      pass_mark: 2
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.core.config.said import CheckError

__all__ = ["CheckQuestion", "ReadingProof"]


class _Strict(BaseModel):
    """As every part of school.yaml (``config._Strict``): unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckQuestion(_Strict):
    """One question of a reading check: the choices, and which one (from 1) is right."""

    question: str = Field(min_length=1, max_length=300)
    choices: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        min_length=2, max_length=6
    )
    answer: int = Field(ge=1, le=6)

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> CheckQuestion:
        if self.answer > len(self.choices):
            raise CheckError("answer", answer=str(self.answer), count=str(len(self.choices)))
        return self


class ReadingProof(_Strict):
    """Proof of reading: every page (or section) shown before the acknowledge button opens,
    and optionally a short check of the school's own questions with its pass mark."""

    every_page: bool = True
    questions: list[CheckQuestion] = Field(default=[], max_length=5)
    pass_mark: int | None = Field(default=None, ge=1, le=5)  # right answers needed (all)

    @model_validator(mode="after")
    def _check(self) -> ReadingProof:
        if len(self.questions) == 1:
            raise CheckError("questions")
        if self.pass_mark is not None and self.pass_mark > len(self.questions):
            raise CheckError("pass_mark", mark=str(self.pass_mark), count=str(len(self.questions)))
        return self

    @property
    def needed(self) -> int:
        """Right answers needed to pass (every one unless ``pass_mark`` says fewer)."""
        return self.pass_mark or len(self.questions)
