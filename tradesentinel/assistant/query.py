"""Question understanding: the countries, HS codes, products, periods and names a question is about.

The result narrows retrieval (SearchFilters) while the question text itself still drives the
ranking. Recognised periods: "2023", "March 2022", "Mar 2022", "2022-03", "Q1 2023",
"2021-2023", "2021 to 2023", "between 2021 and 2023", "since 2022", "before 2022".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from tradesentinel.assistant.mentions import (
    MONTH_ABBREVIATIONS,
    content_words,
    countries_in,
    organisations_in,
)
from tradesentinel.retrieval.hits import SearchFilters

_YEAR = r"(?:19[5-9]\d|20\d\d)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_RANGE = re.compile(
    rf"(?:between\s+|from\s+)?({_YEAR})\s*(?:-|–|to|and|until|through)\s*({_YEAR})", re.IGNORECASE
)
_SINCE = re.compile(rf"\b(since|after|from|before|until)\s+({_YEAR})\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\s+({_YEAR})\b", re.IGNORECASE)
_ISO_MONTH = re.compile(rf"\b({_YEAR})-(0[1-9]|1[0-2])\b")
_QUARTER = re.compile(rf"\bQ([1-4])\s*({_YEAR})\b|\b({_YEAR})\s*Q([1-4])\b", re.IGNORECASE)
_BARE_YEAR = re.compile(rf"\b({_YEAR})\b")
_HS = re.compile(
    r"\b(?:HS|H\.S\.|heading|chapter|subheading|code)\s*(?:code\s*)?(\d{2}(?:\d{2}){0,2})\b", re.IGNORECASE
)
_LONE_HS = re.compile(r"(?<![\d,.])\b(\d{4}|\d{6})\b(?![\d,.%])")
TRADE_WORDS = content_words(
    "trade trading traded trader export exports exported import imports imported re-export re-exports flow"
    " flows shipment shipments shipped sanction sanctions sanctioned listed listing anomaly anomalies"
    " anomalous flagged customs tariff goods product products commodity commodities heading chapter"
    " subheading price prices value values mirror corridor corridors supplier suppliers buyer company"
    " companies entity entities evasion diversion diverted misinvoicing invoice surge surged spike jump"
    " jumped partner partners reporter volume tonnes dollars news reported programme"
)
"""Stems that put a question in the assistant's domain (trade, sanctions, anomalies, their news)."""
_QUOTED = re.compile(r"[\"“']([^\"”']{3,80})[\"”']")


@dataclass(frozen=True)
class Intent:
    """What the question is about, as far as plain parsing can tell."""

    countries: tuple[str, ...] = ()  # ISO3
    hs_codes: tuple[str, ...] = ()  # as written: 2, 4 or 6 digits
    period_from: date | None = None
    period_to: date | None = None
    entities: tuple[str, ...] = ()  # organisation or person names, quoted strings
    words: tuple[str, ...] = ()  # content words (product words among them), stemmed
    on_topic: bool = False  # names trade words, an HS code or a named party

    def filters(self) -> SearchFilters:
        """The retrieval filters this intent implies (the first HS code only: filters take one prefix)."""
        return SearchFilters(
            countries=self.countries,
            hs_prefix=self.hs_codes[0] if self.hs_codes else None,
            period_from=self.period_from,
            period_to=self.period_to,
        )

    def is_constrained(self) -> bool:
        """Whether the filters would restrict anything."""
        return bool(self.countries or self.hs_codes or self.period_from or self.period_to)


def period_of(question: str) -> tuple[date | None, date | None]:
    """The inclusive date range a question names, or (None, None)."""
    if m := _RANGE.search(question):
        first, last = sorted((int(m[1]), int(m[2])))
        return date(first, 1, 1), date(last, 12, 31)
    if m := _QUARTER.search(question):
        quarter, year = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
        return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    if m := _MONTH_YEAR.search(question):
        month = MONTH_ABBREVIATIONS[m[1].lower()[:3]]
        year = int(m[2])
        return date(year, month, 1), _month_end(year, month)
    if m := _ISO_MONTH.search(question):
        year, month = int(m[1]), int(m[2])
        return date(year, month, 1), _month_end(year, month)
    if m := _SINCE.search(question):
        word, year = m[1].lower(), int(m[2])
        if word in ("since", "after", "from"):
            return date(year + (word == "after"), 1, 1), None
        return None, date(year - 1, 12, 31) if word == "before" else date(year, 12, 31)
    if m := _BARE_YEAR.search(question):
        year = int(m[1])
        return date(year, 1, 1), date(year, 12, 31)
    return None, None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def hs_codes_of(question: str) -> tuple[str, ...]:
    """HS codes a question names: after "HS"/"heading"/"chapter", or a lone 4/6-digit code not a year."""
    codes = [m[1] for m in _HS.finditer(question)]
    codes += [m[1] for m in _LONE_HS.finditer(question) if not re.fullmatch(r"(?:19|20)\d\d", m[1])]
    return tuple(dict.fromkeys(codes))


def understand(question: str) -> Intent:
    """Parse a question into countries, HS codes, period, named entities and content words."""
    period_from, period_to = period_of(question)
    entities = [m[1].strip() for m in _QUOTED.finditer(question)]
    entities += [name for name in organisations_in(question) if name not in entities]
    words = content_words(question)
    hs_codes = hs_codes_of(question)
    return Intent(
        countries=tuple(sorted(countries_in(question))),
        hs_codes=hs_codes,
        period_from=period_from,
        period_to=period_to,
        entities=tuple(entities),
        words=tuple(sorted(words)),
        on_topic=bool(words & TRADE_WORDS or hs_codes or entities),
    )
