"""What a question names, read by plain parsing: countries and who ships to whom, HS codes and product
words, periods, how many, which one, party names and identifiers, the kind of anomaly.

The planner turns these slots into tool calls; nothing here decides what to answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from tradesentinel.assistant.mentions import country_spans, organisations_in
from tradesentinel.assistant.query import hs_codes_of, period_of
from tradesentinel.investigate.screening import identifier_tokens

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
    "dozen": 12,
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}
_COUNT = r"(\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"
_TOP_K = re.compile(
    rf"\b(?:top|first|largest|biggest|highest|worst|strongest|leading|next)\s+(?!one\b){_COUNT}\b",
    re.IGNORECASE,
)
_K_NOUN = re.compile(
    rf"\b{_COUNT}\s+(?:most\s+\w+\s+|largest\s+|biggest\s+|top\s+)?(?:anomal|flows?|cases?|corridors?)",
    re.IGNORECASE,
)
_TOP_OF = re.compile(rf"\b(?:of|among|in)\s+the\s+top\s+{_COUNT}\b", re.IGNORECASE)
_ORDINAL_WORDS = "|".join(_ORDINALS)
_ORDINAL = re.compile(
    rf"\bthe\s+({_ORDINAL_WORDS})\b(?!\s+(?:countr|time|quarter|half|month|year|week))"
    rf"|\b({_ORDINAL_WORDS})\s+(?:one|flow|anomaly|result|item|case|row)\b",
    re.IGNORECASE,
)
_FLOW_X = (
    r"(?:exports?|exported|exporting|shipments?|shipped|shipping|sales?|sold|sends?|sent|supplies|supplied)"
)
_FLOW_M = r"(?:imports?|imported|importing|purchases?|bought|buys|receives?|received)"
_RE_X = r"(?:re-?exports?|re-?exported)"
_QUOTED = re.compile(r"[\"“«'‘]([^\"”»'’]{2,80})[\"”»'’]")
_KINDS = (
    (re.compile(r"mirror|mis-?invoic|under-?report|discrepanc", re.IGNORECASE), "mirror_gap"),
    (re.compile(r"unit (?:price|value)|price manipulat|per kg|\bprices?\b", re.IGNORECASE), "unit_price"),
    (re.compile(r"unit(?:s)? (?:error|mistake)|x ?1,?000|thousandfold", re.IGNORECASE), "unit_error"),
    (re.compile(r"level shift|sustained|step change", re.IGNORECASE), "level_shift"),
    (re.compile(r"\bspikes?\b|\bsurges?\b|\bjumps?\b", re.IGNORECASE), "surge"),
    (re.compile(r"new corridor|newly opened", re.IGNORECASE), "new_corridor"),
    (
        re.compile(r"sanctions?[- ]exposure|exposed to sanctions|sanctions[- ]exposed", re.IGNORECASE),
        "sanctions",
    ),
)
_PRODUCT = re.compile(
    r"\b(?:HS\s+codes?|codes?|headings?|tariff\s+lines?|classification)\b(?:\s+\w+){0,3}?\s+(?:for|of)\s+"
    r"(?P<a>[\w\s,-]{3,60}?)(?:\?|$|\.)"
    r"|\bhow\s+(?:are|is)\s+(?P<b>[\w\s-]{3,40}?)\s+classified",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class Slots:
    """Everything a question names that a tool can filter or look up by."""

    countries: tuple[str, ...] = ()  # every country named, in order
    reporter: str | None = None  # who reports, where the direction is stated
    partner: str | None = None
    flow: str | None = None  # X, M, RX when the question says exports/imports/re-exports
    origin: str | None = None  # goods going from origin to destination, either side's report
    destination: str | None = None
    pair: bool = False  # "between A and B": both countries, either direction
    hs_codes: tuple[str, ...] = ()
    product: str | None = None  # "HS code for smartphones": words to look an HS code up by
    period_from: date | None = None
    period_to: date | None = None
    k: int | None = None  # "top 5"
    top_of: int | None = None  # "of the top 100"
    ordinal: int | None = None  # "the second one"
    names: tuple[str, ...] = ()  # party names (quoted, or capitalised runs), for screening
    identifiers: tuple[str, ...] = ()  # passport, IMO, tax and company numbers
    kind: str | None = None  # an anomaly kind or group the question names
    by_value: bool = False  # "largest by value", "most money": rank by value at stake
    flow_id: str | None = None  # a flow named by its 16-hex-digit id
    extra: dict = field(default_factory=dict)

    def with_(self, **changes: object) -> Slots:
        """A copy with some slots replaced (follow-up questions)."""
        return replace(self, **changes)


def _count(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_TO, _FROM = r"\b(?:to|into)\s*$", r"\bfrom\s*$"
ONE_COUNTRY: tuple[tuple[str, re.Pattern[str], dict[str, str]], ...] = (
    ("before", _rx(rf"{_RE_X}\s+(?:\w+\s+){{0,4}}(?:to|into)\s*$"), {"partner": "{c}", "flow": "RX"}),
    ("before", _rx(rf"{_FLOW_X}\s+(?:\w+\s+){{0,4}}(?:to|into|for)\s*$"), {"destination": "{c}"}),
    ("before", _rx(rf"{_FLOW_M}\s+(?:\w+\s+){{0,4}}from\s*$"), {"origin": "{c}"}),
    ("after", _rx(rf"^\W*(?:'s\s+)?(?:\w+\s+){{0,2}}{_RE_X}"), {"reporter": "{c}", "flow": "RX"}),
    ("after", _rx(rf"^\W*(?:'s\s+)?(?:\w+\s+){{0,2}}{_FLOW_X}"), {"reporter": "{c}", "flow": "X"}),
    ("after", _rx(rf"^\W*(?:'s\s+)?(?:\w+\s+){{0,2}}{_FLOW_M}"), {"reporter": "{c}", "flow": "M"}),
)
"""One country: where its name sits against the flow words says its role."""
TWO_COUNTRIES: tuple[tuple[re.Pattern[str] | None, re.Pattern[str], dict[str, object]], ...] = (
    (_rx(r"\bbetween\s*$"), _rx(r"^\s*(?:and|&)\s*$"), {"pair": True}),
    (None, _rx(rf"{_RE_X}.*{_TO}"), {"reporter": "{a}", "partner": "{b}", "flow": "RX"}),
    (None, _rx(rf"{_FLOW_X}.*\b(?:to|into|for)\s*$"), {"reporter": "{a}", "partner": "{b}", "flow": "X"}),
    (None, _rx(rf"{_FLOW_M}.*{_FROM}"), {"reporter": "{a}", "partner": "{b}", "flow": "M"}),
    (
        _rx(r"\bexport(?:s|ed)?\s+(?:\w+\s+){0,4}from\s*$"),
        _rx(_TO),
        {"reporter": "{a}", "partner": "{b}", "flow": "X"},
    ),
    (
        _rx(rf"{_FLOW_M}\s+(?:\w+\s+){{0,4}}(?:of|into|to|by)\s*$"),
        _rx(_FROM),
        {"reporter": "{a}", "partner": "{b}", "flow": "M"},
    ),
    (_rx(_FROM), _rx(_TO), {"origin": "{a}", "destination": "{b}"}),
    (None, _rx(r"(?:->|→|>|\bto\b)\s*$"), {"origin": "{a}", "destination": "{b}"}),
)
"""Two countries: (words before the first, words between the two) -> their roles; the first rule wins."""


def _fill(roles: dict[str, object], **codes: str) -> dict[str, object]:
    return {k: v.format(**codes) if isinstance(v, str) else v for k, v in roles.items()}


def _direction(question: str, spans: list[tuple[int, int, str]]) -> dict[str, object]:
    """Who ships to whom, from the words between and around the first two countries."""
    if len(spans) == 1:
        start, end, code = spans[0]
        text = {"before": question[:start], "after": question[end:]}
        found = next((roles for side, rule, roles in ONE_COUNTRY if rule.search(text[side])), {})
        return _fill(found, c=code)
    if len(spans) >= 2:
        (s1, e1, c1), (s2, _, c2) = spans[0], spans[1]
        before, between = question[:s1], question[e1:s2]
        for prefix, middle, roles in TWO_COUNTRIES:
            if (prefix is None or prefix.search(before)) and middle.search(between):
                return _fill(roles, a=c1, b=c2)
    return {}


def _names(question: str, spans: list[tuple[int, int, str]]) -> tuple[str, ...]:
    """Party names: quoted strings first, then capitalised runs (any script) that are not countries."""
    names = [m[1].strip() for m in _QUOTED.finditer(question)]
    names += [m[0] for m in _LISTED_STYLE.finditer(question)]  # "KHABAROV, Dmitriy": as lists write people
    names += [n for n in organisations_in(question) if n not in names]
    masked = question
    for start, end, _ in spans:
        masked = masked[:start] + " " * (end - start) + masked[end:]
    for run in re.findall(r"(?:[А-ЯЁA-Z][\w'’.-]*(?:\s+|$)){2,5}", masked):
        run = run.strip(" .,?!")
        words = run.split()
        while words and words[0].lower() in _LEAD_WORDS:
            words = words[1:]
        if len(words) >= 2 and " ".join(words) not in names and not any(" ".join(words) in n for n in names):
            names.append(" ".join(words))
    for run in re.findall(r"[А-ЯЁ][а-яё]+(?:\s+[А-ЯЁа-яё][а-яё]+){0,3}", masked):  # Cyrillic, any case after
        words = [w for w in run.split() if w.lower() not in _LEAD_WORDS]
        if words and " ".join(words) not in names:
            names.append(" ".join(words))
    kept = [n for n in names if len(n) >= 3 and not _ID_CONTEXT.fullmatch(n + " 00000")]
    return tuple(n for n in kept if not any(n != other and n in other for other in kept))  # the longest form


_LISTED_STYLE = re.compile(r"\b[A-Z][A-Z'’-]{2,},\s+[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}")
_ID_CONTEXT = re.compile(
    r"\b(?:IMO|passport|tax\s+id|TIN|INN|OGRN|registration|company|SWIFT|BIC|national\s+id|id|licen[cs]e)"
    r"(?:\s+(?:number|no\.?|code|id))?\s*[:#]?\s*([A-Z0-9/\-.]*\d[A-Z0-9/\-.]*)",
    re.IGNORECASE,
)


def _identifiers(question: str) -> tuple[str, ...]:
    """Identifier numbers a question gives: after a word that says so (IMO, passport, tax id...), or a
    token mixing letters and digits; a bare year, month or HS code is not one."""
    found = [m[1] for m in _ID_CONTEXT.finditer(question)]
    found += [
        t
        for t in re.findall(r"\b(?=[A-Z0-9/-]*[A-Z])(?=[A-Z0-9/-]*\d)[A-Z0-9/-]{5,}\b", question)
        if not re.fullmatch(r"HS\d+|H\d|Q[1-4]", t)
    ]
    return tuple(dict.fromkeys(key for token in found for key in identifier_tokens(token)))


_LEAD_WORDS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "does",
        "do",
        "did",
        "who",
        "what",
        "which",
        "whose",
        "why",
        "how",
        "when",
        "where",
        "screen",
        "check",
        "show",
        "tell",
        "find",
        "list",
        "give",
        "explain",
        "any",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "in",
        "on",
        "for",
        "to",
        "from",
        "with",
        "please",
        "can",
        "could",
        "would",
        "should",
        "кто",
        "что",
        "такой",
        "такая",
        "такое",
        "является",
        "ли",
        "есть",
        "санкции",
        "санкциях",
        "санкционный",
        "список",
    ]
)


def slots_of(question: str) -> Slots:
    """The slots of one question."""
    spans = country_spans(question)
    ordered = tuple(dict.fromkeys(code for _, _, code in spans))
    period_from, period_to = period_of(question)
    hs_codes = hs_codes_of(question)
    top_k = _TOP_K.search(question) or _K_NOUN.search(question)
    top_of = _TOP_OF.search(question)
    k = (
        _count(top_k[1])
        if top_k and not (top_of and top_of.start() <= top_k.start() <= top_of.end())
        else None
    )
    ordinal = _ORDINAL.search(question)
    kind = next((value for pattern, value in _KINDS if pattern.search(question)), None)
    product = _PRODUCT.search(question)
    identifiers = _identifiers(question)
    flow_id = re.search(r"\b[0-9a-f]{16}\b", question)
    return Slots(
        countries=ordered,
        **_direction(question, [s for s in spans if s[2] in ordered]),  # type: ignore[arg-type]
        hs_codes=hs_codes,
        product=(product["a"] or product["b"]).strip() if product else None,
        period_from=period_from,
        period_to=period_to,
        k=k,
        top_of=_count(top_of[1]) if top_of else None,
        ordinal=_ORDINALS[(ordinal[1] or ordinal[2]).lower()] if ordinal else None,
        names=_names(question, spans),
        identifiers=tuple(i for i in identifiers if not (flow_id and i == flow_id[0].upper())),
        flow_id=flow_id[0] if flow_id else None,
        kind=kind,
        by_value=bool(
            re.search(
                r"\bby value\b|\bmost money\b|\bvalue at stake\b|\blargest\b|\bbiggest\b",
                question,
                re.IGNORECASE,
            )
        ),
    )
