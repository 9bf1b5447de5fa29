"""The assistant's tools over the anomalies: thin, typed wrappers over `investigate/` that return facts.

Each tool takes plain arguments (what a planner or a tool-calling model can give), calls the
investigation service, and states what it found as facts with their sources: the flows themselves,
or the query that was counted. Unknown flows are facts too ("no flow ... is in the scored flows").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from tradesentinel.assistant.facts import Fact, Polarity, ToolResult, source
from tradesentinel.assistant.words import country, flow_phrase, flow_sentence, period_words, query_words, usd
from tradesentinel.detectors.signals import Signal
from tradesentinel.investigate import anomalies, ranking
from tradesentinel.investigate.explain import explain, reason_sentence
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.investigate.tables import TableStore

MAX_K = 20
"""Most flows one answer lists."""


@dataclass(frozen=True)
class Context:
    """What every tool needs: the service's tables (and, for evidence search, a searcher factory)."""

    tables: TableStore
    searcher: Any = None  # a callable returning a Searcher, opened only by the search tool


def _hs_text(ctx: Context, code: str) -> str | None:
    names = ctx.tables.hs_names()
    for size in (6, 4, 2):
        if code[:size] in names:
            return names[code[:size]]
    return None


def flow_fact(ctx: Context, row: dict[str, Any], *, flagged: bool | None = None) -> Fact:
    """A scored flow as a fact whose source is its row in the scores table."""
    n_rows = ctx.tables.snapshot().anomalies.height
    sentence = flow_sentence(row, _hs_text(ctx, row["hs_code"]), n_rows)
    is_flagged = ranking.is_flagged(ctx.tables, row) if flagged is None else flagged
    if not is_flagged:
        sentence += "; it is not among the flagged flows"
    data = {
        "kind": "flow",
        "flow_id": row["flow_id"],
        "rank": row["rank"],
        "score": row["score"],
        "period": str(row["period"]),
        "reporter": row["reporter"],
        "partner": row["partner"],
        "flow": row["flow"],
        "hs_code": row["hs_code"],
        "value_usd": row.get("value_usd"),
        "anomaly_kind": row.get("kind"),
        "flagged": is_flagged,
    }
    return Fact(
        sentence=sentence,
        source=source(
            "scores",
            row["flow_id"],
            sentence,
            countries=[row["reporter"], row["partner"]],
            hs_code=row["hs_code"],
            date=str(row["period"]),
        ),
        polarity=Polarity.FLAGGED if is_flagged else Polarity.NOT_FLAGGED,
        data=data,
    )


def _query_source(query: AnomalyQuery, text: str) -> Any:
    ref = "query:" + hashlib.sha1(query.model_dump_json().encode()).hexdigest()[:12]
    return source("scores", ref, text, filters=query.model_dump(mode="json", exclude_defaults=True))


def top_anomalies(
    ctx: Context, query: AnomalyQuery, *, k: int = 5, offset: int = 0, by_value: bool = False
) -> ToolResult:
    """The first `k` flagged flows matching the query, from `offset`, in the default ranking (or by value)."""
    k = max(1, min(k, MAX_K))
    sort = "value_at_stake_usd" if by_value else "rank"
    frame = ranking.flagged(
        ctx.tables, query.model_copy(update={"sort": "value_usd" if by_value else "rank"})
    )
    if by_value and "value_at_stake_usd" in frame.columns:
        frame = frame.sort("value_at_stake_usd", "rank", descending=[True, False], nulls_last=True)
    rows = frame.slice(offset, k).to_dicts()
    order = (
        f"ranked by {'value at stake' if sort == 'value_at_stake_usd' else 'value'} among flagged flows"
        if by_value
        else ranking.describe(ctx.tables)
    )
    scope = query_words(query)
    args = {
        "query": query.model_dump(mode="json", exclude_defaults=True),
        "k": k,
        "offset": offset,
        "by_value": by_value,
    }
    if not rows:
        text = f"No flagged flow matches: {scope} ({frame.height:,} flagged flows match; {order})."
        fact = Fact(
            sentence=f"No flagged flow matches {scope}" + (f" beyond the first {offset}" if offset else ""),
            source=_query_source(query, text),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "count", "count": frame.height},
        )
        return ToolResult(
            tool="top_anomalies",
            args=args,
            facts=(fact,),
            answer={"flow_ids": [], "total": frame.height, "ranking": order},
        )
    first = offset + 1
    lead = (
        f"Flagged flows {first} to {offset + len(rows)} of {frame.height:,} ({scope}), {order}:"
        if offset
        else f"The top {len(rows)} of {frame.height:,} flagged flows ({scope}), {order}:"
    )
    facts = tuple(flow_fact(ctx, row, flagged=True) for row in rows)
    return ToolResult(
        tool="top_anomalies",
        args=args,
        facts=facts,
        answer={
            "flow_ids": [r["flow_id"] for r in rows],
            "total": frame.height,
            "ranking": order,
            "offset": offset,
        },
        lead=lead,
    )


def count_anomalies(ctx: Context, query: AnomalyQuery, *, top_of: int | None = None) -> ToolResult:
    """How many flagged flows match the query (within the first `top_of` of the default ranking, if given)."""
    args = {"query": query.model_dump(mode="json", exclude_defaults=True), "top_of": top_of}
    scope = query_words(query)
    all_rows = anomalies.count(ctx.tables, query)
    if top_of:
        ranked = ranking.flagged(ctx.tables, AnomalyQuery()).head(top_of)
        n = ranked.filter(query.predicate(ranked.columns, ctx.tables.settings.materiality_floor_usd)).height
        sentence = f"Of the top {ranked.height:,} flagged flows, {n:,} {'is' if n == 1 else 'are'} {scope}"
    else:
        n = ranking.flagged(ctx.tables, query).height
        among = f"scored flows {scope}" if query.predicate_fields() else "scored flows"
        sentence = f"{n:,} of the {all_rows:,} {among} {'is' if n == 1 else 'are'} flagged"
    fact = Fact(
        sentence=sentence,
        source=_query_source(query, f"{sentence} ({ranking.describe(ctx.tables)})."),
        polarity=Polarity.FLAGGED if n else Polarity.NOT_FOUND,
        data={"kind": "count", "count": n, "scored": all_rows},
    )
    return ToolResult(tool="count_anomalies", args=args, facts=(fact,), answer={"count": n, "top_of": top_of})


def total_value(ctx: Context, query: AnomalyQuery) -> ToolResult:
    """The value (and value at stake, where scored) of the flagged flows matching the query."""
    frame = ranking.flagged(ctx.tables, query)
    value = float(frame["value_usd"].sum() or 0.0)
    stake = float(frame["value_at_stake_usd"].sum() or 0.0) if "value_at_stake_usd" in frame.columns else None
    scope = f" {query_words(query)}" if query.predicate_fields() else ""
    sentence = f"The {frame.height:,} flagged flows{scope} are worth {usd(value)} in total"
    if stake is not None:
        sentence += f", {usd(stake)} of it at stake"
    fact = Fact(
        sentence=sentence,
        source=_query_source(query, sentence + "."),
        polarity=Polarity.FLAGGED if frame.height else Polarity.NOT_FOUND,
        data={"kind": "total", "value_usd": value, "count": frame.height},
    )
    return ToolResult(
        tool="total_value",
        args={"query": query.model_dump(mode="json", exclude_defaults=True)},
        facts=(fact,),
        answer={"value_usd": value, "value_at_stake_usd": stake, "count": frame.height},
    )


def explain_flow(
    ctx: Context,
    *,
    flow_id: str | None = None,
    reporter: str | None = None,
    partner: str | None = None,
    flow: str | None = None,
    origin: str | None = None,
    destination: str | None = None,
    country: str | None = None,
    counterpart: str | None = None,
    hs_code: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> ToolResult:
    """Why one flow was flagged: the flow, its reasons and its linked evidence; or that no such flow exists.
    The flow is named by id, by its key parts, or by the goods' route (origin, destination)."""
    args = {
        k: (str(v) if isinstance(v, date) else v) for k, v in locals().items() if k != "ctx" and v is not None
    }
    rows = _candidates(
        ctx, flow_id, reporter, partner, flow, origin, destination, country, hs_code, period_from, period_to
    )
    if rows.is_empty():
        if origin or destination:
            reporter, partner, flow = origin, destination, None
        elif country:
            reporter = country
        return _no_such_flow(args, reporter, partner, flow, hs_code, period_from, period_to, flow_id)
    row = rows.row(0, named=True)
    facts = [flow_fact(ctx, row)]
    detail = explain(ctx.tables, row["flow_id"])
    for reason in [r for r in detail.anomaly.reasons if r.signal != Signal.CONTEXT][:3]:
        facts.append(
            Fact(
                sentence=reason_sentence(reason).rstrip("."),
                source=facts[0].source,
                polarity=facts[0].polarity,
                data={"kind": "reason", "signal": reason.signal},
            )
        )
    for item in detail.evidence:
        if item.collection in ("sanctions", "news"):
            facts.append(
                Fact(
                    sentence=item.text,
                    source=source(item.collection, item.doc_id, item.text, url=item.url, **item.metadata),
                    data={"kind": item.collection},
                )
            )
    lead = None
    if rows.height > 1:
        lead = f"{rows.height} scored flows match; the best ranked is explained."
    return ToolResult(
        tool="explain_flow",
        args=args,
        facts=tuple(facts),
        answer={"flow_id": row["flow_id"], "matches": rows.height},
        lead=lead,
    )


def _candidates(
    ctx: Context,
    flow_id,
    reporter,
    partner,
    flow,
    origin,
    destination,
    country,
    hs_code,
    period_from,
    period_to,
):
    """Scored flows a question names, best rank first."""
    import polars as pl

    if flow_id:
        return anomalies.find_flows(ctx.tables).filter(pl.col("flow_id") == flow_id)
    common = {"hs_code": hs_code, "period_from": period_from, "period_to": period_to}
    if origin or destination:
        exported = anomalies.find_flows(ctx.tables, reporter=origin, partner=destination, **common).filter(
            pl.col("flow").is_in(["X", "RX"])
        )
        imported = anomalies.find_flows(ctx.tables, reporter=destination, partner=origin, **common).filter(
            pl.col("flow").is_in(["M", "RM"])
        )
        return pl.concat([exported, imported]).sort("rank")
    rows = anomalies.find_flows(ctx.tables, reporter=reporter, partner=partner, flow=flow, **common)
    if country:
        rows = rows.filter((pl.col("reporter") == country) | (pl.col("partner") == country))
    return rows


def _no_such_flow(args, reporter, partner, flow, hs_code, period_from, period_to, flow_id) -> ToolResult:
    from tradesentinel.reference import FLOW_WORDS

    if flow_id:
        what = f"flow {flow_id}"
    else:
        verb = FLOW_WORDS.get(flow or "", "trading with")
        who = " ".join(
            p
            for p in (
                country(reporter) if reporter else "any reporter",
                verb,
                country(partner) if partner else "any partner",
            )
            if p
        )
        goods = f" of HS {hs_code}" if hs_code else ""
        what = f"flow {who}{goods} {period_words(period_from, period_to)}".rstrip()
    sentence = f"No {what} is in the scored flows"
    fact = Fact(
        sentence=sentence,
        source=source("scores", "query:" + hashlib.sha1(sentence.encode()).hexdigest()[:12], sentence + "."),
        polarity=Polarity.NOT_FOUND,
        data={"kind": "not_found"},
    )
    return ToolResult(tool="explain_flow", args=args, facts=(fact,), answer={"flow_id": None, "matches": 0})


def corridor_summary(ctx: Context, query: AnomalyQuery) -> ToolResult:
    """A corridor's scored flows in the query: how many, how many flagged, the value, and the strongest."""
    every = anomalies.matching(ctx.tables, query.model_copy(update={"sort": "rank"}))
    flagged = ranking.flagged(ctx.tables, query)
    scope = query_words(query)
    if every.is_empty():
        sentence = f"No scored flow matches {scope}"
        fact = Fact(
            sentence=sentence,
            source=_query_source(query, sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "not_found"},
        )
        return ToolResult(
            tool="corridor",
            args={"query": query.model_dump(mode="json", exclude_defaults=True)},
            facts=(fact,),
            answer={"flows": 0, "flagged": 0},
        )
    first, last = every["period"].min(), every["period"].max()
    sentence = (
        f"{every.height:,} scored flows match {scope} from {first:%Y-%m} to {last:%Y-%m}, worth "
        f"{usd(float(every['value_usd'].sum() or 0))}; {flagged.height:,} of them are flagged"
    )
    facts = [
        Fact(
            sentence=sentence,
            source=_query_source(query, sentence + "."),
            polarity=Polarity.FLAGGED if flagged.height else Polarity.NOT_FLAGGED,
            data={"kind": "corridor", "flows": every.height, "flagged": flagged.height},
        )
    ]
    facts += [flow_fact(ctx, row, flagged=True) for row in flagged.head(3).to_dicts()]
    return ToolResult(
        tool="corridor",
        args={"query": query.model_dump(mode="json", exclude_defaults=True)},
        facts=tuple(facts),
        answer={
            "flows": every.height,
            "flagged": flagged.height,
            "flow_ids": flagged.head(3)["flow_id"].to_list(),
        },
    )


def flow_facts_of(ctx: Context, flow_ids: list[str]) -> list[dict[str, Any]]:
    """The snapshot rows of the given flows, in that order (follow-ups: 'why the second one?')."""
    snapshot = ctx.tables.snapshot()
    return [snapshot.anomalies.row(snapshot.index[f], named=True) for f in flow_ids if f in snapshot.index]


def flow_label(row: dict[str, Any]) -> str:
    """A short label for a flow (used when asking which one)."""
    return flow_phrase(row)
