"""What the case service takes and returns (the API serves these models as they are)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Status = Literal["open", "in_review", "escalated", "closed"]
Disposition = Literal["true_hit", "false_positive", "needs_data"]
STATUSES: tuple[str, ...] = ("open", "in_review", "escalated", "closed")
DISPOSITIONS: tuple[str, ...] = ("true_hit", "false_positive", "needs_data")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Timestamp = Annotated[datetime, AfterValidator(_utc)]
"""A moment in UTC (the database stores it without its zone)."""


class CaseOpen(BaseModel):
    """A new case: on a flow (flow_id) or a corridor (reporter and partner, optionally HS and flow)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    flow_id: str | None = Field(None, pattern=r"^[0-9a-f]{1,32}$", description="Open the case on this flow.")
    reporter: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    partner: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    flow: Literal["X", "M", "RX", "RM"] | None = None
    hs_code: str | None = Field(None, pattern=r"^\d{2,6}$")
    assignee: str | None = Field(None, max_length=64)
    tags: list[str] = Field([], max_length=20)
    note: str | None = Field(None, max_length=10_000, description="A first note.")


class CaseChange(BaseModel):
    """Fields to change on a case; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    status: Status | None = None
    disposition: Disposition | None = None
    assignee: str | None = Field(None, max_length=64)
    tags: list[str] | None = Field(None, max_length=20)


class NoteIn(BaseModel):
    """A note to add to a case."""

    text: str = Field(min_length=1, max_length=10_000)


class FlowIn(BaseModel):
    """A flow to attach to a case."""

    flow_id: str = Field(pattern=r"^[0-9a-f]{1,32}$")


class Note(BaseModel):
    """A note on a case."""

    id: int
    author: str
    text: str
    created_at: Timestamp


class AuditEvent(BaseModel):
    """One change to a case: who, when, what (`detail`: the field and its old and new values)."""

    actor: str
    at: Timestamp
    action: str
    detail: dict[str, Any]


class CaseFlow(BaseModel):
    """A flow attached to a case."""

    flow_id: str
    added_by: str
    added_at: Timestamp


class CaseSummary(BaseModel):
    """A case as a list shows it."""

    id: int
    title: str
    status: Status
    disposition: Disposition | None
    assignee: str | None
    tags: list[str]
    reporter: str | None
    partner: str | None
    flow: str | None
    hs_code: str | None
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp


class Case(CaseSummary):
    """A case with its pins (the scores and data versions it was opened on), flows, notes and audit log."""

    scores_version: str | None
    data_versions: dict[str, str | None]
    flows: list[CaseFlow]
    notes: list[Note]
    audit: list[AuditEvent]
