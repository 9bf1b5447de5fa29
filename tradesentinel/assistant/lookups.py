"""The assistant's lookup tools: screen a name, describe an HS code, find news, find evasion patterns,
and search the evidence store; each states what it found (or did not) as facts with sources."""

from __future__ import annotations

from datetime import date
from typing import Any

from tradesentinel.assistant.facts import Fact, Polarity, ToolResult, source
from tradesentinel.assistant.tools import Context, flow_fact
from tradesentinel.assistant.words import country, period_words, usd
from tradesentinel.errors import NotFoundError
from tradesentinel.investigate import evasion, hs, ranking, screening
from tradesentinel.investigate import news as news_service
from tradesentinel.investigate.query import AnomalyQuery
from tradesentinel.retrieval.hits import SearchFilters


def _lists_words(lists: list[screening.ListStatus]) -> str:
    if not lists:
        return "no list (none is loaded)"
    return ", ".join(
        f"{s.list} ({s.entries:,} entries"
        + (f", newest listing {s.newest_listing}" if s.newest_listing else "")
        + (f", loaded {s.loaded_on}" if s.loaded_on else "")
        + ")"
        for s in lists
    )


def screen_name(ctx: Context, name: str, lists: tuple[str, ...] | None = None) -> ToolResult:
    """Screen a name or identifier: a verdict with the entries behind it, or a no-match naming the lists."""
    result = screening.screen(ctx.tables, name, lists=lists)
    checked = _lists_words(result.lists)
    args = {"name": name, "lists": list(lists) if lists else None}
    answer = {
        "verdict": result.verdict,
        "entries": [f"{m.list}:{m.entry_id}" for m in result.matches if m.score >= screening.POSSIBLE_AT],
        "lists": [s.list for s in result.lists],
    }
    facts: list[Fact] = []
    if not result.lists:
        sentence = f"No sanctions list is loaded, so {name!r} could not be screened (run `tradesentinel ingest ofac`, `eu` or `un`)"
        fact = Fact(
            sentence=sentence,
            source=source("sanctions", "screening:no-lists", sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "screening", "verdict": "not_screened"},
        )
        return ToolResult(
            tool="screen", args=args, facts=(fact,), answer={**answer, "verdict": "not_screened"}
        )
    if result.verdict == "no_match":
        sentence = f"No entry matches {name!r} at {screening.POSSIBLE_AT:.0f}/100 or above on {checked}"
        facts.append(
            Fact(
                sentence=sentence,
                source=source(
                    "sanctions",
                    f"screening:{name.lower()}",
                    sentence + ".",
                    lists=[s.list for s in result.lists],
                ),
                polarity=Polarity.NOT_LISTED,
                data={"kind": "screening", "verdict": "no_match"},
            )
        )
    for m in result.matches[:3]:
        level = "matches" if m.score >= screening.MATCH_AT else "possibly matches"
        what = "the identifier" if m.by == "identifier" else ("the alias" if m.is_alias else "the name")
        programmes = ", ".join(m.programmes) or "none given"
        listed = f", listed on {m.listed_on}" if m.listed_on else ""
        sentence = (
            f"{name!r} {level} {what} {m.matched!r} of {m.list} entry {m.entry_id} {m.name!r} "
            f"({m.entity_type or 'party'}; programmes {programmes}{listed}), score {m.score:.0f}/100"
        )
        polarity = Polarity.LISTED if m.score >= screening.MATCH_AT else Polarity.POSSIBLE
        facts.append(
            Fact(
                sentence=sentence,
                source=source(
                    "sanctions", f"{m.list}:{m.entry_id}", sentence + ".", countries=m.countries, list=m.list
                ),
                polarity=polarity,
                data={
                    "kind": "screening",
                    "verdict": result.verdict,
                    "entry": f"{m.list}:{m.entry_id}",
                    "score": m.score,
                },
            )
        )
    if result.caveat:
        facts.append(
            Fact(
                sentence=result.caveat[:1].upper() + result.caveat[1:],
                source=facts[0].source,
                data={"kind": "caveat"},
            )
        )
    lead = f"Screened against {checked}; a match needs {screening.MATCH_AT:.0f}/100, a possible match {screening.POSSIBLE_AT:.0f}/100."
    return ToolResult(tool="screen", args=args, facts=tuple(facts), answer=answer, lead=lead)


def listed_parties(ctx: Context, country_code: str, entity_type: str | None = None) -> ToolResult:
    """Listed parties tied to a country, newest listing first; none found is a fact naming the lists."""
    found = screening.listed_in(ctx.tables, country_code, entity_type=entity_type)
    checked = _lists_words(found.lists)
    kind = f"{entity_type} " if entity_type else ""
    args = {"country_code": country_code, "entity_type": entity_type}
    answer = {"entries": [f"{m.list}:{m.entry_id}" for m in found.entries], "total": found.total}
    if not found.entries:
        sentence = f"No {kind}entry on {checked} names {country(country_code)}"
        fact = Fact(
            sentence=sentence,
            source=source("sanctions", f"country:{country_code}", sentence + "."),
            polarity=Polarity.NOT_LISTED,
            data={"kind": "listed_in", "total": 0},
        )
        facts: list[Fact] = [fact]
    else:
        facts = []
        for m in found.entries:
            listed = f", listed on {m.listed_on}" if m.listed_on else ""
            sentence = f"{m.list} entry {m.entry_id}: {m.name} ({m.entity_type or 'party'}; programmes {', '.join(m.programmes) or 'none given'}{listed})"
            facts.append(
                Fact(
                    sentence=sentence,
                    source=source(
                        "sanctions",
                        f"{m.list}:{m.entry_id}",
                        sentence + ".",
                        countries=m.countries,
                        list=m.list,
                    ),
                    polarity=Polarity.LISTED,
                    data={"kind": "listed_in", "entry": f"{m.list}:{m.entry_id}"},
                )
            )
    if found.caveat:
        facts.append(
            Fact(
                sentence=found.caveat[:1].upper() + found.caveat[1:],
                source=facts[0].source,
                data={"kind": "caveat"},
            )
        )
    lead = f"{found.total:,} {kind}entries on {checked} name {country(country_code)}" + (
        "; the newest:" if found.entries else "."
    )
    return ToolResult(
        tool="listed_parties",
        args=args,
        facts=tuple(facts),
        answer=answer,
        lead=lead if found.entries else None,
    )


def _hs_fact(code: hs.HSCode) -> Fact:
    level = {2: "chapter", 4: "heading", 6: "subheading"}[code.level]
    parents = "; ".join(
        f"{'chapter' if p.level == 2 else 'heading'} {p.hs_code}: {p.description}" for p in code.parents
    )
    sentence = f"HS {code.hs_code} ({level}) covers: {code.description}" + (
        f" (under {parents})" if parents else ""
    )
    if code.controlled:
        sentence += "; it is on the controlled-goods list"
    return Fact(
        sentence=sentence,
        source=source("hs_codes", code.hs_code, sentence + ".", hs_code=code.hs_code),
        data={
            "kind": "hs_code",
            "hs_code": code.hs_code,
            "description": code.description,
            "controlled": code.controlled,
        },
    )


def hs_code(ctx: Context, code: str) -> ToolResult:
    """An HS code's description with its parents; not found when the code does not exist."""
    try:
        found = hs.hs_lookup(ctx.tables, code)
    except NotFoundError as exc:
        sentence = str(exc)
        fact = Fact(
            sentence=sentence,
            source=source("hs_codes", f"missing:{code}", sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "not_found"},
        )
        return ToolResult(tool="hs_code", args={"code": code}, facts=(fact,), answer={"hs_code": None})
    return ToolResult(
        tool="hs_code",
        args={"code": code},
        facts=(_hs_fact(found),),
        answer={"hs_code": found.hs_code, "description": found.description},
    )


def hs_for_product(ctx: Context, words: str) -> ToolResult:
    """HS codes whose descriptions name the product's words, best first."""
    found = hs.hs_search(ctx.tables, words, limit=3)
    if not found:
        sentence = f"No HS description in the nomenclature names {words!r}"
        fact = Fact(
            sentence=sentence,
            source=source("hs_codes", f"search:{words.lower()}", sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "not_found"},
        )
        return ToolResult(tool="hs_search", args={"words": words}, facts=(fact,), answer={"hs_codes": []})
    return ToolResult(
        tool="hs_search",
        args={"words": words},
        facts=tuple(_hs_fact(c) for c in found),
        answer={"hs_codes": [c.hs_code for c in found]},
        lead=f"HS descriptions that name {words!r}, best match first:",
    )


WITHHELD = "a headline that reads as an instruction to the assistant (shown as data in the evidence list)"


def _quoted(text: str) -> str:
    """Outside text as a fact may state it: its instruction-like sentences withheld (data, never orders)."""
    from tradesentinel.assistant.prompt import data_only

    clean = data_only(text).strip()
    return clean if clean else WITHHELD


def find_news(
    ctx: Context,
    *,
    countries: tuple[str, ...] = (),
    period_from: date | None = None,
    period_to: date | None = None,
    names: tuple[str, ...] = (),
) -> ToolResult:
    """News naming all the countries (and names) in the period, newest first; none is a fact too."""
    found = news_service.news(
        ctx.tables, countries=countries, period_from=period_from, period_to=period_to, names=names
    )
    who = " and ".join(country(c) for c in countries) or "any country"
    when = period_words(period_from, period_to)
    args = {
        "countries": list(countries),
        "period_from": str(period_from) if period_from else None,
        "period_to": str(period_to) if period_to else None,
        "names": list(names),
    }
    if not found.items:
        sentence = f"No news item in the news table names {who}" + (f" {when}" if when else "")
        if found.partial:
            sentence += f" together ({found.partial:,} name only some of them)"
        fact = Fact(
            sentence=sentence,
            source=source("news", "query:" + sentence.lower()[:60], sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "not_found"},
        )
        return ToolResult(tool="news", args=args, facts=(fact,), answer={"news_ids": [], "total": 0})
    facts = tuple(
        Fact(
            sentence=f"{item.date}: {_quoted(item.title)}",
            source=source(
                "news",
                item.news_id,
                f"{item.date}: {item.title}",
                url=item.url,
                countries=item.countries,
                date=str(item.date),
            ),
            data={"kind": "news", "news_id": item.news_id},
        )
        for item in found.items
    )
    lead = f"{found.total:,} news items name {who}" + (f" {when}" if when else "") + "; the newest:"
    return ToolResult(
        tool="news",
        args=args,
        facts=facts,
        answer={"news_ids": [i.news_id for i in found.items], "total": found.total},
        lead=lead,
    )


def evasion_patterns(ctx: Context, query: AnomalyQuery, *, k: int = 5) -> ToolResult:
    """Corridors where trade looks diverted to a sanctioned destination through third countries."""
    patterns = evasion.patterns(ctx.tables, query, limit=k)
    args = {"query": query.model_dump(mode="json", exclude_defaults=True), "k": k}
    if not patterns.rows:
        sentence = f"No corridor shows a diversion or sanctions-exposure pattern ({patterns.method})"
        fact = Fact(
            sentence=sentence,
            source=source("diversion", "query:none", sentence + "."),
            polarity=Polarity.NOT_FOUND,
            data={"kind": "not_found"},
        )
        return ToolResult(tool="evasion_patterns", args=args, facts=(fact,), answer={"corridors": []})
    facts = []
    for p in patterns.rows:
        sentence = (
            f"{p.description}: {p.flows:,} flagged flows, {usd(p.value_usd)}, "
            f"{p.first:%Y-%m} to {p.last:%Y-%m}"
        )
        facts.append(
            Fact(
                sentence=sentence,
                source=source("diversion", p.key, sentence + ".", countries=p.countries, hs_code=p.hs_code),
                polarity=Polarity.FLAGGED,
                data={
                    "kind": "pattern",
                    "key": p.key,
                    "flows": p.flows,
                    "value_usd": p.value_usd,
                    "flow_ids": p.flow_ids[:20],
                },
            )
        )
    lead = f"{patterns.total:,} corridors show the pattern ({patterns.method}); the largest by value:"
    return ToolResult(
        tool="evasion_patterns",
        args=args,
        facts=tuple(facts),
        answer={"corridors": [p.key for p in patterns.rows], "total": patterns.total},
        lead=lead,
    )


def search_evidence(
    ctx: Context, text: str, filters: SearchFilters | None = None, *, k: int = 3
) -> ToolResult:
    """The evidence documents closest to `text` (hybrid search): each a fact quoting the document."""
    searcher = ctx.searcher() if callable(ctx.searcher) else ctx.searcher
    hits = [
        h
        for h in searcher.search(text, k=k, filters=filters)
        if (h.vector_score or 0) >= 0.35 or (h.keyword_score or 0) >= 0.5
    ]
    facts = tuple(
        Fact(
            sentence=_quoted(h.text).rstrip("."),
            source=h,
            data={"kind": "document", "doc_id": h.doc_id},
        )
        for h in hits
    )
    return ToolResult(
        tool="search", args={"text": text}, facts=facts, answer={"doc_ids": [h.doc_id for h in hits]}
    )


def flagged_flow_facts(ctx: Context, rows: list[dict[str, Any]]) -> tuple[Fact, ...]:
    """Facts for flows already picked (a follow-up that lists them again)."""
    return tuple(flow_fact(ctx, row) for row in rows)


__all__ = ["ranking"]
