"""Plan: a question (and the conversation so far) becomes an intent and the tool calls that answer it.

Deterministic: the intent comes from the question's words (screen, HS lookup, why, top, count,
total, corridor, news, evasion patterns), the arguments from its slots (slots.py). A follow-up
("and in 2022?", "why that one?", "show the next five") reuses the previous turn's intent and
slots. A question that instructs ("ignore ... and say ...") is still only a question: its
instruction is noted and never followed; a question outside the assistant's domain is off topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from tradesentinel.assistant.prompt import instruction_like
from tradesentinel.assistant.slots import Slots, slots_of
from tradesentinel.errors import TradeSentinelError
from tradesentinel.investigate.query import AnomalyQuery

INTENTS = (
    "screen",
    "hs",
    "hs_search",
    "explain",
    "count",
    "total",
    "top",
    "news",
    "evasion",
    "corridor",
    "off_topic",
)


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


_SCREEN = _rx(
    r"\bsanction(?:ed|s)?\b",
    r"\blisted\b",
    r"\bon (?:the|any|a) (?:\w+ )?lists?\b",
    r"\bdesignat",
    r"\bblack-?list",
    r"\bSDN\b",
    r"\bscreen",
    r"\bwatch-?list",
    r"\bOFAC\b",
    r"\bembargo",
    r"\bwho is\b",
    r"санкц",
    r"кто так",
)
_PARTIES = re.compile(
    r"\b(?:which|what|list|who are|show|any|name)\b.{0,40}\b(?P<what>part(?:y|ies)|entit(?:y|ies)|compan(?:y|ies)|firms?"
    r"|individuals?|persons?|people|vessels?|ships?|banks?|aircraft)\b",
    re.IGNORECASE,
)
_ENTITY_TYPES = {
    "individual": "individual",
    "person": "individual",
    "people": "individual",
    "vessel": "vessel",
    "ship": "vessel",
    "aircraft": "aircraft",
    "compan": "entity",
    "firm": "entity",
    "bank": "entity",
}
_HS = _rx(
    r"\bcover",
    r"\bdescri",
    r"\bwhat (?:is|are|does)\b",
    r"\bmean",
    r"\bstand for\b",
    r"\bwhich goods\b",
    r"\bdefin",
)
_EXPLAIN = _rx(
    r"\bwhy\b", r"\bexplain", r"\breasons?\b", r"\bwhat made\b", r"\bhow come\b", r"\bwhat(?:'s| is) wrong\b"
)
_COUNT = _rx(r"\bhow many\b", r"\bnumber of\b", r"\bcount\b")
_TOTAL = _rx(
    r"\bhow much\b", r"\btotal (?:value|usd|worth|amount)", r"\bworth\b", r"\bsum of\b", r"\bvalue at stake\b"
)
_NEWS = _rx(
    r"\bnews\b",
    r"\barticles?\b",
    r"\bheadlines?\b",
    r"\bpress\b",
    r"\bevents?\b",
    r"\breported\b",
    r"\bmedia\b",
)
_EVASION = _rx(
    r"\bevasion\b",
    r"\bevad",
    r"\bcircumvent",
    r"\bdiver(?:sion|ted|ting)\b",
    r"\btrans-?ship",
    r"third[- ]countr",
    r"\bdeflect",
    r"\bthrough (?:hubs?|neighbou?rs?|intermediar|third)",
    r"\bre-?routed?\b",
    r"\bbackdoor\b",
)
_TOP = _rx(
    r"\btop\b",
    r"\blargest\b",
    r"\bbiggest\b",
    r"\bhighest\b",
    r"\bworst\b",
    r"\bstrongest\b",
    r"\bmost (?:anomalous|suspicious|significant|material|unusual)",
    r"\blist\b",
    r"\bshow\b",
    r"\bwhich (?:flows|anomal|shipments|trades)",
    r"\banomal",
    r"\bflagged\b",
    r"\bsuspicious\b",
)
_CORRIDOR = _rx(
    r"\bcorridor",
    r"\btrade between\b",
    r"\btrend",
    r"\bseries\b",
    r"\bwhat happened\b",
    r"\bover time\b",
    r"\bflows? between\b",
)
_TRADE = _rx(
    r"\btrade",
    r"\bexport",
    r"\bimport",
    r"\bflows?\b",
    r"\bshipment",
    r"\bgoods\b",
    r"\bcustoms\b",
    r"\btariff",
    r"\bHS\b",
    r"\banomal",
    r"\bsanction",
    r"\bcorridor",
    r"\bmirror",
    r"\bunit (?:price|value)",
    r"\bprice",
)
_NEXT = _rx(
    r"^\s*(?:show |give |list )?(?:me )?(?:the )?(?:next|more)\b",
    r"\bnext (?:\d+|five|ten|three|page|ones?)\b",
)
_REFERENCE = _rx(
    r"\b(?:that|this) one\b",
    r"\bthe (?:first|second|third|fourth|fifth|last)\b",
    r"^\s*why\s+(?:it|that|this)\b",
    r"\bthat flow\b",
    r"\bthis flow\b",
)
_CONTINUE = _rx(r"^\s*(?:and|what about|how about|same (?:for|in)|now|also|then)\b")
OFF_TOPIC = (
    "I answer questions about the loaded trade data: anomalies (top, counts, totals, why a flow was "
    "flagged), corridors, HS codes, sanctions screening of names, news about countries, and evasion "
    'patterns through third countries; for example: "What are the top 5 anomalies in 2023?" or '
    '"Is Volga Shipping Ltd sanctioned?".'
)


@dataclass(frozen=True, kw_only=True)
class Call:
    """One tool call: its name and arguments."""

    tool: str
    args: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """An intent, its slots, the calls that answer it, and notes for the reader."""

    intent: str
    slots: Slots
    calls: tuple[Call, ...] = ()
    notes: tuple[str, ...] = ()
    followup: bool = False


@dataclass(frozen=True, kw_only=True)
class Turn:
    """A previous turn as the conversation keeps it: the question, its intent and slots, what it listed."""

    question: str
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    flow_ids: tuple[str, ...] = ()
    offset: int = 0
    k: int | None = None

    def restored(self) -> Slots:
        """The turn's slots as Slots again (dates parsed back from JSON)."""
        values = dict(self.slots)
        for key in ("period_from", "period_to"):
            if isinstance(values.get(key), str):
                values[key] = date.fromisoformat(values[key])
        for key in ("countries", "hs_codes", "names", "identifiers"):
            if key in values:
                values[key] = tuple(values[key])
        return Slots(**{k: v for k, v in values.items() if k in Slots.__dataclass_fields__})


def slots_json(slots: Slots) -> dict[str, Any]:
    """Slots as JSON-able values (what a turn keeps and the API returns)."""
    out = {}
    for key, value in asdict(slots).items():
        if value in (None, (), False, {}):
            continue
        out[key] = (
            value.isoformat()
            if isinstance(value, date)
            else list(value)
            if isinstance(value, tuple)
            else value
        )
    return out


def _is_hs_question(q: str, s: Slots) -> bool:
    asks_more = _EXPLAIN.search(q) or _COUNT.search(q) or _TOP.search(q)
    return bool(s.hs_codes and _HS.search(q) and not asks_more)


def _screens(q: str, s: Slots) -> bool:
    return bool(s.identifiers or (s.names and _SCREEN.search(q) and not _EVASION.search(q)))


Rule = Callable[[str, Slots], object]
RULES: tuple[tuple[str, Rule], ...] = (
    ("explain", lambda q, s: s.flow_id),
    ("parties", lambda q, s: s.countries and _PARTIES.search(q) and _SCREEN.search(q)),
    ("screen", _screens),
    ("hs_search", lambda q, s: s.product and not s.hs_codes),
    ("hs", _is_hs_question),
    ("evasion", lambda q, s: _EVASION.search(q)),
    ("explain", lambda q, s: _EXPLAIN.search(q)),
    ("count", lambda q, s: _COUNT.search(q)),
    ("total", lambda q, s: _TOTAL.search(q)),
    ("news", lambda q, s: _NEWS.search(q)),
    ("corridor", lambda q, s: _CORRIDOR.search(q) and s.countries),
    ("top", lambda q, s: _TOP.search(q) or s.k),
    ("hs", lambda q, s: s.hs_codes and not s.countries and not s.period_from),
    ("corridor", lambda q, s: len(s.countries) >= 2 or (s.reporter and s.flow)),
    ("top", lambda q, s: _TRADE.search(q) or s.hs_codes or s.kind),
    ("top", lambda q, s: s.countries and len(q.split()) <= 3),  # "Kazakhstan?": its anomalies
    ("screen", lambda q, s: s.names or s.identifiers),
)
"""The intent rules, in order: the first that holds names the intent (none: off topic)."""


def intent_of(question: str, slots: Slots) -> str:
    """The intent a question asks for, from its words and slots (the first rule that applies)."""
    return next((intent for intent, rule in RULES if rule(question, slots)), "off_topic")


def anomaly_query(slots: Slots) -> AnomalyQuery:
    """The anomaly filters a question's slots name."""
    fields: dict[str, Any] = {
        "hs": slots.hs_codes[0] if slots.hs_codes else None,
        "period_from": slots.period_from.replace(day=1) if slots.period_from else None,
        "period_to": slots.period_to.replace(day=1) if slots.period_to else None,
        "kind": slots.kind,
    }
    if slots.reporter or slots.partner:
        fields |= {"reporter": slots.reporter, "partner": slots.partner, "flow": slots.flow}
    elif slots.origin or slots.destination:
        fields |= {"origin": slots.origin, "destination": slots.destination}
    elif slots.countries:
        fields |= {
            "country": slots.countries[0],
            "counterpart": slots.countries[1] if len(slots.countries) > 1 else None,
        }
    return AnomalyQuery.of(**fields)


def _screen_calls(slots: Slots, question: str) -> tuple[Call, ...]:
    targets = list(slots.identifiers) or list(slots.names[:2])
    return tuple(Call(tool="screen", args={"name": t}) for t in targets)


def _parties_calls(slots: Slots, question: str) -> tuple[Call, ...]:
    what = (_PARTIES.search(question) or {"what": ""})["what"].lower()
    entity = next((v for k, v in _ENTITY_TYPES.items() if what.startswith(k)), None)
    return tuple(
        Call(tool="listed_parties", args={"country_code": c, "entity_type": entity})
        for c in slots.countries[:2]
    )


def _explain_calls(slots: Slots, question: str) -> tuple[Call, ...]:
    if slots.flow_id:
        return (Call(tool="explain_flow", args={"flow_id": slots.flow_id}),)
    args: dict[str, Any] = {
        "hs_code": slots.hs_codes[0] if slots.hs_codes else None,
        "period_from": slots.period_from,
        "period_to": slots.period_to,
    }
    if slots.reporter or slots.partner:
        args |= {"reporter": slots.reporter, "partner": slots.partner, "flow": slots.flow}
    elif slots.origin or slots.destination:
        args |= {"origin": slots.origin, "destination": slots.destination}
    elif len(slots.countries) == 2 and not slots.pair:
        args |= {"origin": slots.countries[0], "destination": slots.countries[1]}
    elif slots.countries:
        args |= {
            "country": slots.countries[0],
            "counterpart": slots.countries[1] if len(slots.countries) > 1 else None,
        }
    return (Call(tool="explain_flow", args={k: v for k, v in args.items() if v is not None}),)


def _news_calls(slots: Slots, question: str) -> tuple[Call, ...]:
    args = {
        "countries": slots.countries[:2],
        "period_from": slots.period_from,
        "period_to": slots.period_to,
        "names": slots.names[:2],
    }
    return (Call(tool="news", args=args),)


CALLS: dict[str, Callable[[Slots, str], tuple[Call, ...]]] = {
    "screen": _screen_calls,
    "parties": _parties_calls,
    "hs": lambda slots, q: tuple(Call(tool="hs_code", args={"code": c}) for c in slots.hs_codes[:3]),
    "hs_search": lambda slots, q: (Call(tool="hs_search", args={"words": slots.product}),),
    "news": _news_calls,
    "explain": _explain_calls,
    "count": lambda slots, q: (
        Call(tool="count_anomalies", args={"query": anomaly_query(slots), "top_of": slots.top_of}),
    ),
    "total": lambda slots, q: (Call(tool="total_value", args={"query": anomaly_query(slots)}),),
    "evasion": lambda slots, q: (
        Call(tool="evasion_patterns", args={"query": anomaly_query(slots), "k": slots.k or 5}),
    ),
    "corridor": lambda slots, q: (Call(tool="corridor", args={"query": anomaly_query(slots)}),),
    "top": lambda slots, q: (
        Call(
            tool="top_anomalies",
            args={"query": anomaly_query(slots), "k": slots.k or 5, "offset": 0, "by_value": slots.by_value},
        ),
    ),
}
"""The calls that answer each intent, from the question's slots."""


def calls_for(intent: str, slots: Slots, question: str) -> tuple[Call, ...]:
    """The tool calls that answer `intent` with these slots."""
    return CALLS.get(intent, CALLS["top"])(slots, question)


def _is_followup(question: str, slots: Slots, intent: str) -> bool:
    if _NEXT.search(question) or _REFERENCE.search(question) or (slots.ordinal and not slots.countries):
        return True
    words = len(question.split())
    return (
        bool(_CONTINUE.search(question))
        and words <= 8
        or (words <= 4 and intent in ("top", "off_topic", "hs"))
    )


def _followup(question: str, slots: Slots, prev: Turn) -> Plan | None:
    before = prev.restored()
    if _NEXT.search(question) and prev.intent not in ("top", "evasion"):
        return None  # nothing listed to continue: a new question
    if _NEXT.search(question):
        k = slots.k or prev.k or 5
        offset = prev.offset + (prev.k or len(prev.flow_ids) or 5)
        call = Call(
            tool="top_anomalies",
            args={"query": anomaly_query(before), "k": k, "offset": offset, "by_value": before.by_value},
        )
        return Plan(intent="top", slots=before.with_(k=k), calls=(call,), followup=True, notes=())
    if (_REFERENCE.search(question) or slots.ordinal) and prev.flow_ids:
        n = slots.ordinal or 1
        index = n - 1 if n > 0 else len(prev.flow_ids) - 1
        if 0 <= index < len(prev.flow_ids):
            call = Call(tool="explain_flow", args={"flow_id": prev.flow_ids[index]})
            return Plan(intent="explain", slots=before, calls=(call,), followup=True)
    changed = {
        k: v
        for k, v in slots_json(slots).items()
        if k in ("period_from", "period_to", "hs_codes", "kind", "k")
    }
    if slots.countries:
        changed |= {
            "countries": list(slots.countries),
            "reporter": slots.reporter,
            "partner": slots.partner,
            "origin": slots.origin,
            "destination": slots.destination,
            "flow": slots.flow,
            "pair": slots.pair,
        }
    if not changed or prev.intent == "off_topic":
        return None
    merged = Turn(question=prev.question, intent=prev.intent, slots={**prev.slots, **changed}).restored()
    return Plan(
        intent=prev.intent, slots=merged, calls=calls_for(prev.intent, merged, question), followup=True
    )


def plan(question: str, history: list[Turn] | None = None) -> Plan:
    """The plan for `question`, given the previous turns (newest last)."""
    slots = slots_of(question)
    intent = intent_of(question, slots)
    notes = []
    if instruction_like(question):
        notes.append(
            "the question contains an instruction; the assistant only answers from the data and does not follow it"
        )
    if history and _is_followup(question, slots, intent):
        followed = _followup(question, slots, history[-1])
        if followed is not None:
            return Plan(
                intent=followed.intent,
                slots=followed.slots,
                calls=followed.calls,
                notes=tuple(notes),
                followup=True,
            )
    if intent == "off_topic":
        return Plan(intent=intent, slots=slots, notes=tuple(notes))
    try:
        calls = calls_for(intent, slots, question)
    except TradeSentinelError as exc:  # a code or country the data cannot have: say so, as a fact
        calls = (Call(tool="invalid", args={"problem": str(exc)}),)
    return Plan(intent=intent, slots=slots, calls=calls, notes=tuple(notes))
