"""/cases: open, list, read, change, note, attach flows to and export cases; /watch: watchlists and
what is new for the caller. Every change is made as the calling user (the audit log names them)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from tradesentinel.api.deps import CasesDep, TablesDep, UserDep, WatchlistsDep
from tradesentinel.api.schemas import Problem
from tradesentinel.cases.report import case_html, case_markdown
from tradesentinel.cases.types import Case, CaseChange, CaseOpen, CaseSummary, FlowIn, NoteIn, Status
from tradesentinel.cases.watch import Watch, WatchHit, WatchIn

ERRORS = {code: {"model": Problem} for code in (401, 404, 409, 422, 503)}
router = APIRouter(responses=ERRORS)
CaseId = Annotated[int, Path(ge=1, le=2**31, description="The case number.")]
FlowId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,32}$")]


def _json(model) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/cases", response_model=Case, status_code=status.HTTP_201_CREATED, tags=["cases"])
def open_case(cases: CasesDep, user: UserDep, body: CaseOpen) -> Case:
    """Open a case on a flow (flow_id) or a corridor (reporter, partner), pinned to today's data."""
    return cases.open(body, user.name)


@router.get("/cases", response_model=list[CaseSummary], tags=["cases"])
def list_cases(
    cases: CasesDep,
    status: Status | None = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    flow_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{1,32}$")] = None,
) -> list[CaseSummary]:
    """Cases, most recently changed first."""
    return cases.list(status=status, assignee=assignee, flow_id=flow_id)


@router.get("/cases/{case_id}", response_model=Case, tags=["cases"])
def get_case(cases: CasesDep, case_id: CaseId) -> Response:
    """One case with its pins, flows, notes and audit log."""
    return _json(cases.get(case_id))


@router.patch("/cases/{case_id}", response_model=Case, tags=["cases"])
def change_case(cases: CasesDep, user: UserDep, case_id: CaseId, body: CaseChange) -> Case:
    """Change title, status, disposition, assignee or tags (one audit line per changed field)."""
    return cases.change(case_id, body, user.name)


@router.delete("/cases/{case_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["cases"])
def delete_case(cases: CasesDep, user: UserDep, case_id: CaseId) -> Response:
    """Delete a case with its notes and log."""
    cases.delete(case_id, user.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/cases/{case_id}/notes", response_model=Case, tags=["cases"])
def add_note(cases: CasesDep, user: UserDep, case_id: CaseId, body: NoteIn) -> Case:
    """Add a note."""
    return cases.note(case_id, body.text, user.name)


@router.post("/cases/{case_id}/flows", response_model=Case, tags=["cases"])
def attach_flow(cases: CasesDep, user: UserDep, case_id: CaseId, body: FlowIn) -> Case:
    """Attach a scored flow."""
    return cases.attach(case_id, body.flow_id, user.name)


@router.delete("/cases/{case_id}/flows/{flow_id}", response_model=Case, tags=["cases"])
def detach_flow(cases: CasesDep, user: UserDep, case_id: CaseId, flow_id: FlowId) -> Case:
    """Detach a flow."""
    return cases.detach(case_id, flow_id, user.name)


@router.get(
    "/cases/{case_id}/export",
    tags=["cases"],
    responses={200: {"content": {"text/markdown": {}, "text/html": {}}, "description": "The case document."}},
)
def export_case(
    cases: CasesDep,
    tables: TablesDep,
    case_id: CaseId,
    format: Literal["md", "html"] = "md",
) -> Response:
    """The case as Markdown or HTML: pins, notes, audit log, and each flow's reasons and cited evidence."""
    case = cases.get(case_id)
    if format == "html":
        return HTMLResponse(case_html(tables, case))
    return PlainTextResponse(
        case_markdown(tables, case),
        media_type="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="case-{case_id}.md"'},
    )


@router.get("/watch", response_model=list[Watch], tags=["watch"])
def my_watchlist(watch: WatchlistsDep, user: UserDep) -> list[Watch]:
    """The caller's watchlist."""
    return watch.entries(user.name)


@router.post("/watch", response_model=Watch, status_code=status.HTTP_201_CREATED, tags=["watch"])
def watch_add(watch: WatchlistsDep, user: UserDep, body: WatchIn) -> Watch:
    """Watch a party name, a corridor (KGZ>RUS, or RUS) or an HS code; what it matches now counts as seen."""
    return watch.add(user.name, body)


@router.delete("/watch/{watch_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["watch"])
def watch_remove(
    watch: WatchlistsDep, user: UserDep, watch_id: Annotated[int, Path(ge=1, le=2**31)]
) -> Response:
    """Stop watching an entry."""
    watch.remove(user.name, watch_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/watch/new", response_model=list[WatchHit], tags=["watch"])
def new_for_me(
    watch: WatchlistsDep, user: UserDep, mark_seen: bool = False, include_seen: bool = False
) -> list[WatchHit]:
    """New for you: anomalies and sanctions entries your watchlist matched since you last looked."""
    hits = watch.new(user.name, include_seen=include_seen)
    if mark_seen:
        watch.mark_seen(user.name)
    return hits
