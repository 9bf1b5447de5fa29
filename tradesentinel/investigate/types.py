"""What the investigation service returns: one model per result, shared by the API, the UI and the assistant.

These are the contracts between `investigate/` and its callers; the API serves them as they are
(OpenAPI shows them), the UI renders them, the assistant cites them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

CITATION = re.compile(r"\[(\d+)\]")
"""A citation [n] in an answer or narrative: n numbers the evidence list it comes with."""


class Reason(BaseModel):
    """Why a detector flagged a flow: what it saw (`signal`, in words `label`), on which feature, the
    observed value against what it expected, in `unit`, and the comparison it made."""

    detector: str
    signal: str = Field(description="The anomaly kind this reason points at (detectors/signals.py).")
    label: str
    feature: str = Field(description="The feature column the reason rests on.")
    observed: float | None
    expected: float | None
    unit: str = Field(description="USD, USD/kg, kg, share, count, z, log, flag, month, year or code.")
    comparison: str = Field(description='What it was compared with, e.g. "vs the same month of 2022".')
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
        description="What the flow's reasons point at (sanctions_exposure, spike, mirror_gap, ...; "
        "detectors/signals.py classify)."
    )
    label: str | None = Field(None, description="The injected anomaly's kind (DEMO data only).")
    value_usd: float | None = None
    value_at_stake_usd: float | None = Field(
        None, description="USD at stake, where the scores carry it (else see value_usd)."
    )
    tier: str | None = Field(None, description="Risk tier (high, medium, review), where the scores carry it.")
    freq: str | None = Field(None, description="M (a month's trade) or A (a year's), where known.")


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

    mode: Literal["facts", "llm", "evidence", "none"]
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
