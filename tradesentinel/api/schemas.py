"""The API's own request and response models, beside the service's results it serves as they are."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from tradesentinel.assistant.types import MAX_QUESTION
from tradesentinel.assistant.view import AskAnswer
from tradesentinel.investigate.types import (
    Anomaly,
    AnomalyDetail,
    AnomalyPage,
    DetectorScore,
    Evidence,
    Explanation,
    Narrative,
    Reason,
)

__all__ = [
    "Anomaly",
    "AnomalyDetail",
    "AnomalyPage",
    "AskAnswer",
    "AskRequest",
    "DetectorScore",
    "Evidence",
    "Explanation",
    "Health",
    "Narrative",
    "Problem",
    "Reason",
    "TableStatus",
]


class TableStatus(BaseModel):
    """One stored table: whether it exists and how many rows it holds."""

    name: str
    exists: bool
    rows: int | None


class Health(BaseModel):
    """Liveness plus what data the server can see."""

    status: str
    version: str
    data_dir: str
    demo: bool
    tables: list[TableStatus]


class Problem(BaseModel):
    """An error: what was wrong, in one line."""

    detail: str | list[dict[str, Any]]


class Turn(BaseModel):
    """A previous turn as the last answer's `turn` returned it: what a follow-up question builds on."""

    question: str = Field("", max_length=MAX_QUESTION)
    intent: str = Field(max_length=20)
    slots: dict[str, Any] = Field(default_factory=dict)
    flow_ids: list[str] = Field(default_factory=list, max_length=50)
    offset: int = Field(0, ge=0, le=10_000_000)
    k: int | None = Field(None, ge=1, le=100)


class AskRequest(BaseModel):
    """A question for the assistant, with the previous turns of the conversation (newest last)."""

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION,
        description=f"Plain-language question, 1 to {MAX_QUESTION} characters, not blank.",
        json_schema_extra={"pattern": r"\S"},
    )
    history: list[Turn] = Field(
        default_factory=list, max_length=20, description="Previous answers' `turn` objects, oldest first."
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"the question is blank: ask 1 to {MAX_QUESTION} characters of text")
        return value
