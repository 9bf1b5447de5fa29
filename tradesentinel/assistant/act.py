"""Act: run a plan's tool calls against the investigation service and collect their facts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tradesentinel.assistant import lookups, tools
from tradesentinel.assistant.facts import Fact, Polarity, ToolResult, source
from tradesentinel.assistant.planner import Call
from tradesentinel.assistant.tools import Context
from tradesentinel.errors import TradeSentinelError

log = logging.getLogger(__name__)


def invalid(ctx: Context, problem: str) -> ToolResult:
    """What a question named that no flow can have (an unknown HS code or country), as a fact."""
    sentence = f"No flow can match: {problem}"
    fact = Fact(
        sentence=sentence,
        source=source("service", "invalid:" + problem[:60], sentence + "."),
        polarity=Polarity.NOT_FOUND,
        data={"kind": "not_found"},
    )
    return ToolResult(tool="invalid", args={"problem": problem}, facts=(fact,), answer={"problem": problem})


TOOLS: dict[str, Callable[..., ToolResult]] = {
    "invalid": invalid,
    "top_anomalies": tools.top_anomalies,
    "count_anomalies": tools.count_anomalies,
    "total_value": tools.total_value,
    "explain_flow": tools.explain_flow,
    "corridor": tools.corridor_summary,
    "screen": lookups.screen_name,
    "listed_parties": lookups.listed_parties,
    "hs_code": lookups.hs_code,
    "hs_search": lookups.hs_for_product,
    "news": lookups.find_news,
    "evasion_patterns": lookups.evasion_patterns,
    "search": lookups.search_evidence,
}
"""Every tool by name: what a plan (or a tool-calling model) may call."""


def run_call(ctx: Context, call: Call) -> ToolResult:
    """One call's result; a domain error (a table not built yet) becomes a fact saying so."""
    tool = TOOLS[call.tool]
    args: dict[str, Any] = {k: v for k, v in call.args.items() if v is not None}
    query = args.pop("query", None)
    try:
        return tool(ctx, query, **args) if query is not None else tool(ctx, **args)
    except TradeSentinelError as exc:
        log.info("tool %s could not answer: %s", call.tool, exc)
        sentence = f"The {call.tool.replace('_', ' ')} tool could not answer: {exc}"
        fact = Fact(
            sentence=sentence,
            source=source("service", f"error:{call.tool}", sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "error"},
        )
        return ToolResult(tool=call.tool, args=call.args, facts=(fact,), answer={"error": str(exc)})


def act(ctx: Context, calls: tuple[Call, ...]) -> list[ToolResult]:
    """Every call's result, in order."""
    return [run_call(ctx, call) for call in calls]
