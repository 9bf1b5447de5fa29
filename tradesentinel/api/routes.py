"""The anomaly and assistant endpoints: /anomalies, /anomalies/{flow_id}[/explain], /ask[/stream].

Routes are thin: parse, call the investigation service or the assistant, shape the response. They
are plain `def` because the work blocks (polars, the model): FastAPI runs them in its thread pool.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from tradesentinel.api.deps import AssistantDep, OptionalAssistantDep, TablesDep, required
from tradesentinel.api.export import EXPORTS, exported
from tradesentinel.api.limits import AskLimit, ExportFormatDep
from tradesentinel.api.schemas import (
    AnomalyDetail,
    AnomalyPage,
    AskAnswer,
    AskRequest,
    Explanation,
    Problem,
)
from tradesentinel.assistant.narrate import narrated
from tradesentinel.assistant.view import answer_view
from tradesentinel.investigate import anomalies
from tradesentinel.investigate.explain import explain
from tradesentinel.investigate.query import AnomalyListQuery

FLOW_ID = r"^[0-9a-f]{1,32}$"
ERRORS = {
    401: {"model": Problem},
    429: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
    500: {"model": Problem},
    503: {"model": Problem},
}

router = APIRouter(responses=ERRORS)
FlowId = Annotated[str, Path(pattern=FLOW_ID, description="The flow's 16-hex-digit id.")]


def _json(model: BaseModel) -> Response:
    """The model as JSON, built by the model itself (FastAPI would validate it a second time)."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/anomalies", response_model=AnomalyPage, tags=["anomalies"], responses=EXPORTS)
def list_anomalies(
    tables: TablesDep, query: Annotated[AnomalyListQuery, Query()], fmt: ExportFormatDep
) -> Response:
    """Scored flows, filtered (the flagged ones unless `tier` says otherwise), sorted (rank by default)
    and paged, with the total that matched;
    `format=csv` or `parquet` streams the whole filtered set instead (reasons flattened)."""
    if fmt != "json":
        return exported(tables, query, fmt)
    return _json(anomalies.anomalies(tables, query))


@router.get("/anomalies/{flow_id}", response_model=AnomalyDetail, tags=["anomalies"])
def get_anomaly(tables: TablesDep, flow_id: FlowId) -> Response:
    """One scored flow with every detector's score and its reasons."""
    return _json(anomalies.anomaly(tables, flow_id))


@router.get("/anomalies/{flow_id}/explain", response_model=Explanation, tags=["anomalies"])
def explain_anomaly(
    tables: TablesDep,
    assistant: OptionalAssistantDep,
    flow_id: FlowId,
    narrative: Annotated[
        Literal["llm", "evidence", "none"], Query(description="How to narrate.")
    ] = "evidence",
) -> Response:
    """The flow, each detector's score, reasons, linked evidence and a narrative with verified [n]
    (`llm`: the assistant writes it, evidence-checked)."""
    result = explain(tables, flow_id, "none" if narrative == "llm" else narrative)
    if narrative == "llm":
        result = narrated(result, required(assistant))
    return _json(result)


@router.post("/ask", response_model=AskAnswer, tags=["assistant"], dependencies=[AskLimit])
def ask(assistant: AssistantDep, body: AskRequest) -> AskAnswer:
    """A verified, cited answer from the evidence (the model's text only where its citations check out)."""
    return answer_view(assistant.ask(body.question, [t.model_dump() for t in body.history]))


@router.post(
    "/ask/stream",
    tags=["assistant"],
    dependencies=[AskLimit],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "NDJSON events"}},
)
def ask_stream(assistant: AssistantDep, body: AskRequest) -> StreamingResponse:
    """NDJSON lines: {"type": "token", "text": ...} as the model writes, then {"type": "answer", ...}."""
    parts = assistant.stream(body.question, [t.model_dump() for t in body.history])
    first = next(parts, None)  # fail before the 200 when the index or the model is missing

    def lines() -> Iterator[str]:
        for part in _chain(first, parts):
            if isinstance(part, str):
                yield json.dumps({"type": "token", "text": part}) + "\n"
            else:
                yield json.dumps({"type": "answer", **answer_view(part).model_dump(mode="json")}) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _chain(first: object, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
    yield from rest
