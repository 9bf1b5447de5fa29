"""The anomaly and assistant endpoints: /anomalies, /anomalies/{flow_id}[/explain], /ask[/stream]."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from tradesentinel.api import anomalies
from tradesentinel.api.assistant_link import AssistantLink, renumber
from tradesentinel.api.explain import explain, verified_citations
from tradesentinel.api.schemas import (
    MAX_PAGE,
    AnomalyDetail,
    AnomalyPage,
    AskAnswer,
    AskRequest,
    Explanation,
    Narrative,
    Problem,
)
from tradesentinel.api.store import SIGNALS, TableStore

ISO3 = r"^[A-Z]{3}$"
PERIOD = r"^[12]\d{3}-(0[1-9]|1[0-2])$"
FLOW_ID = r"^[0-9a-f]{1,32}$"
ERRORS = {401: {"model": Problem}, 404: {"model": Problem}, 422: {"model": Problem}, 503: {"model": Problem}}

router = APIRouter(responses=ERRORS)


def _store(request: Request) -> TableStore:
    return request.app.state.store


def _link(request: Request) -> AssistantLink:
    return request.app.state.assistant


def _json(model: BaseModel) -> Response:
    """The model as JSON, built by the model itself (FastAPI would validate it a second time)."""
    return Response(model.model_dump_json(), media_type="application/json")


def _period(text: str | None) -> date | None:
    return anomalies.month_start(text) if text else None


@router.get("/anomalies", response_model=AnomalyPage, tags=["anomalies"])
async def list_anomalies(
    request: Request,
    country: Annotated[str | None, Query(pattern=ISO3, description="Reporter or partner (ISO3).")] = None,
    reporter: Annotated[str | None, Query(pattern=ISO3)] = None,
    partner: Annotated[str | None, Query(pattern=ISO3)] = None,
    hs: Annotated[str | None, Query(pattern=r"^\d{1,6}$", description="HS code prefix, e.g. 8542.")] = None,
    period_from: Annotated[str | None, Query(pattern=PERIOD, description="YYYY-MM, inclusive.")] = None,
    period_to: Annotated[str | None, Query(pattern=PERIOD, description="YYYY-MM, inclusive.")] = None,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    kind: Annotated[
        Literal[SIGNALS] | None, Query(description="What the strongest reason points at.")
    ] = None,  # type: ignore[valid-type]
    label: Annotated[str | None, Query(max_length=40, description="Injected kind (DEMO data).")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Response:
    """Scored flows, best first, filtered and paged."""
    filters = anomalies.AnomalyFilters(
        country, reporter, partner, hs, _period(period_from), _period(period_to), min_score, kind, label
    )
    return _json(anomalies.page(_store(request).snapshot(), filters, offset, limit))


def _row(request: Request, flow_id: str) -> tuple[TableStore, object, dict]:
    store = _store(request)
    snapshot = store.snapshot()
    row = anomalies.record(snapshot, flow_id)
    if row is None:
        raise HTTPException(404, f"no scored flow with flow_id {flow_id!r}")
    return store, snapshot, row


FlowId = Annotated[str, Path(pattern=FLOW_ID, description="The flow's 16-hex-digit id.")]


@router.get("/anomalies/{flow_id}", response_model=AnomalyDetail, tags=["anomalies"])
async def get_anomaly(request: Request, flow_id: FlowId) -> Response:
    """One scored flow with every detector's score and its reasons."""
    _, snapshot, row = _row(request, flow_id)
    return _json(anomalies.detail(snapshot, row))


@router.get("/anomalies/{flow_id}/explain", response_model=Explanation, tags=["anomalies"])
async def explain_anomaly(
    request: Request,
    flow_id: FlowId,
    narrative: Annotated[
        Literal["llm", "evidence", "none"], Query(description="How to narrate.")
    ] = "evidence",
) -> Response:
    """The flow, each detector's score, reasons, linked evidence and a narrative with verified [n]."""
    store, snapshot, row = _row(request, flow_id)
    result = explain(store, snapshot, row, "none" if narrative == "llm" else narrative)
    if narrative == "llm":
        result = await run_in_threadpool(_with_llm_narrative, _link(request), result)
    return _json(result)


def _with_llm_narrative(link: AssistantLink, result: Explanation) -> Explanation:
    a = result.anomaly
    question = (
        f"Why is the {a.period:%Y-%m} trade of HS {a.hs_code} between {a.reporter} and {a.partner} "
        f"anomalous? Consider sanctions and news about {a.reporter} and {a.partner}."
    )
    answer = link.ask(question)
    offset = len(result.evidence)
    extra = [e.model_copy(update={"n": e.n + offset}) for e in answer.evidence]
    evidence = result.evidence + extra
    text = renumber(answer.text, offset)
    story = Narrative(
        mode=answer.mode, text=text, cited=verified_citations(text, evidence), notes=answer.notes
    )
    return result.model_copy(update={"evidence": evidence, "narrative": story})


@router.post("/ask", response_model=AskAnswer, tags=["assistant"])
def ask(request: Request, body: AskRequest) -> AskAnswer:
    """A verified, cited answer from the evidence (the model's text only where its citations check out)."""
    return _link(request).ask(body.question)


@router.post(
    "/ask/stream",
    tags=["assistant"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "NDJSON events"}},
)
def ask_stream(request: Request, body: AskRequest) -> StreamingResponse:
    """NDJSON lines: {"type": "token", "text": ...} as the model writes, then {"type": "answer", ...}."""
    link = _link(request)
    parts = link.stream(body.question)
    first = next(parts, None)  # fail before the 200 when the assistant is missing

    def lines() -> Iterator[str]:
        for part in _chain(first, parts):
            if isinstance(part, str):
                yield json.dumps({"type": "token", "text": part}) + "\n"
            else:
                yield json.dumps({"type": "answer", **part.model_dump(mode="json")}) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _chain(first: object, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
    yield from rest
