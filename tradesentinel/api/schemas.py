"""The API's own request and response models, beside the service's results it serves as they are."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

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


class AskRequest(BaseModel):
    """A question for the assistant."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION, description="Plain-language question.")
