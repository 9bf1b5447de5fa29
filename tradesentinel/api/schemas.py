"""The API's request and response models: every endpoint answers one of these (and OpenAPI shows them)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_PAGE = 500
"""Most anomalies one page may hold."""

MAX_QUESTION = 500
"""Longest question /ask accepts, in characters."""


CITATION = re.compile(r"\[(\d+)\]")
"""A citation [n] in an answer or narrative: n numbers the evidence list it comes with."""


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


class Reason(BaseModel):
    """Why a detector flagged a flow: the observed value against what it expected."""

    detector: str
    feature: str
    observed: float | None
    expected: float | None
    magnitude: float


class Anomaly(BaseModel):
    """One scored flow as it appears in a ranked list."""

    flow_id: str
    period: date
    reporter: str
    partner: str
    flow: str
    hs_code: str
    score: float = Field(description="Ensemble score, 0..1, higher is more anomalous.")
    rank: int
    kind: str = Field(
        description="What the strongest reason points at (sanctions_exposure, mirror_gap, ...)."
    )
    label: str | None = Field(None, description="The injected anomaly's kind (DEMO data only).")
    value_usd: float | None = None


class AnomalyPage(BaseModel):
    """A page of anomalies, best first, with the total that matched the filters."""

    total: int
    offset: int
    limit: int
    demo: bool
    items: list[Anomaly]


class DetectorScore(BaseModel):
    """One detector's score of the flow (its own scale: standardised, higher is more anomalous)."""

    detector: str
    score: float | None


class AnomalyDetail(Anomaly):
    """One flow with every detector's score, its reasons and the features the reasons refer to."""

    demo: bool
    detectors: list[DetectorScore]
    reasons: list[Reason]
    unit_value: float | None = None
    net_weight_kg: float | None = None
    mirror_value_usd: float | None = None
    mirror_gap: float | None = None
    growth_yoy: float | None = None
    partner_share: float | None = None
    is_new_corridor: bool | None = None
    partner_sanctioned: bool | None = None
    hs_controlled: bool | None = None
    onward_to_sanctioned: bool | None = None


class Evidence(BaseModel):
    """A numbered piece of evidence: [n] in a narrative or answer refers to the item with this n."""

    n: int
    collection: str = Field(description="hs_codes, sanctions, news or anomalies.")
    doc_id: str
    text: str
    score: float = Field(description="Relevance, 0..1.")
    url: str | None = None
    metadata: dict[str, Any] = {}


class Narrative(BaseModel):
    """A short account of the anomaly whose every [n] was checked against the evidence list."""

    mode: Literal["llm", "evidence", "none"]
    text: str
    cited: list[int]
    notes: list[str] = []


class Explanation(BaseModel):
    """Everything an analyst needs about one flow: scores, reasons, linked evidence and a narrative."""

    anomaly: AnomalyDetail
    hs_description: str | None
    evidence: list[Evidence]
    similar: list[Anomaly]
    narrative: Narrative


class AskRequest(BaseModel):
    """A question for the assistant."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION, description="Plain-language question.")


class AskAnswer(BaseModel):
    """The assistant's verified answer: every [n] in `text` refers to evidence item n."""

    question: str
    text: str
    mode: Literal["llm", "evidence", "none"]
    backend: str
    citations: list[int]
    evidence: list[Evidence]
    notes: list[str] = []
    dropped: list[str] = []
    seconds_total: float | None = None
