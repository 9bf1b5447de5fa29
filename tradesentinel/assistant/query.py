"""Periods and HS codes as questions write them (the planner's slots build on these).

Recognised periods: "2023", "March 2022", "Mar 2022", "2022-03", "Q1 2023",
"2021-2023", "2021 to 2023", "between 2021 and 2023", "since 2022", "before 2022".
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from tradesentinel.assistant.mentions import (
    MONTH_ABBREVIATIONS,
)

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
