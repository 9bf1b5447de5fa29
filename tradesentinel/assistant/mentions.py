"""What a piece of text claims: the countries, numbers, organisations and content words it mentions.

Question understanding and answer verification both need to find these the same way, so both
use this module. Everything is plain string work; country names come from pycountry (loaded on
first use) plus the short names people actually write ("Russia", "UAE", "Turkey").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    """A set of words written as one space-separated string (compact word lists)."""
    return frozenset(text.split())


COUNTRY_ALIASES: dict[str, str] = {
    "Russia": "RUS",
    "Russian": "RUS",
    "Iran": "IRN",
    "Iranian": "IRN",
    "Syria": "SYR",
    "Turkey": "TUR",
    "Türkiye": "TUR",
    "Turkiye": "TUR",
    "Turkish": "TUR",
    "UAE": "ARE",
    "Emirates": "ARE",
    "Emirati": "ARE",
    "United States": "USA",
    "United States of America": "USA",
    "US": "USA",
    "U.S.": "USA",
    "America": "USA",
    "American": "USA",
    "UK": "GBR",
    "U.K.": "GBR",
    "Britain": "GBR",
    "Great Britain": "GBR",
    "British": "GBR",
    "England": "GBR",
    "South Korea": "KOR",
    "Korea": "KOR",
    "Korean": "KOR",
    "North Korea": "PRK",
    "DPRK": "PRK",
    "Vietnam": "VNM",
    "Laos": "LAO",
    "Czechia": "CZE",
    "Czech Republic": "CZE",
    "Chinese": "CHN",
    "Indian": "IND",
    "German": "DEU",
    "French": "FRA",
    "Japanese": "JPN",
    "Italian": "ITA",
    "Dutch": "NLD",
    "Holland": "NLD",
    "Swiss": "CHE",
    "Belarusian": "BLR",
    "Kazakh": "KAZ",
    "Armenian": "ARM",
    "Georgian": "GEO",
    "Kyrgyz": "KGZ",
    "Kyrgyzstan": "KGZ",
    "Uzbek": "UZB",
    "Saudi Arabia": "SAU",
    "Saudi": "SAU",
    "Hong Kong": "HKG",
    "Taiwan": "TWN",
    "Venezuela": "VEN",
    "Bolivia": "BOL",
    "Tanzania": "TZA",
    "Moldova": "MDA",
    "Ivory Coast": "CIV",
    "Burma": "MMR",
    "Mexican": "MEX",
    "Brazilian": "BRA",
    "Canadian": "CAN",
    "Israeli": "ISR",
    "Egyptian": "EGY",
    "Singaporean": "SGP",
}
"""Short names, adjectives and abbreviations mapped to ISO3 (pycountry adds the official names)."""

NOT_COUNTRY_CODES = frozenset({"AND"})
"""ISO3 codes that are also ordinary upper-case words; only counted when written as a country name."""

LEGAL_FORMS = _words(
    "llc ltd limited inc corp corporation co gmbh ag sa sas sarl srl spa bv nv plc llp lp jsc"
    " ojsc pjsc ooo zao fze fzco fzc pte pty kft sro as oy ab group holding holdings trading"
    " company bank"
)
"""Words that mark a name as an organisation's."""

NOT_ORGANISATIONS = _words(
    "hs hs2 hs4 hs6 usd eur cif fob demo id ok yes no i a an the this that these those it its in"
    " on at of for from to by with and or but as is was were be between since during after before"
    " according while however also there here what which who when where why how total imports"
    " exports import export trade flows flow value values evidence answer question note mirror"
    " anomaly anomalies score reporter partner world sanctions news did does do are has have had"
    " can could would should will show list find tell give explain describe summarise summarize"
    " compare please any all some"
)
"""Capitalised words that do not name an organisation on their own."""

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTH_ABBREVIATIONS = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
STOPWORDS = _words(
    "a an the and or but of in on at to for from by with as is are was were be been being it its"
    " this that these those than then there their they them which who whom what when where why how"
    " not no yes do does did has have had will would can could should may might must shall also"
    " very more most less least much many some any each other such into over under about above"
    " below between during before after since until while per via up down out off only just so if"
    " because both either neither all answer evidence according shows show shown says said"
    " reported report reports"
)
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "mln": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_NUMBER = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|mln|mn|bn|tn|[kmb])\b)?(?P<pct>\s?%| percent)?",
    re.IGNORECASE,
)
_CAP_WORD = r"(?:[A-Z][\w'&.-]*[\w&]|[A-Z])"
_ORG = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:of|and|&|de|for|the)\s+)?{_CAP_WORD})*")
_WORD = re.compile(r"[a-z][a-z0-9'-]*[a-z0-9]|[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """A number as written: its value, how precisely it was written, and whether it is a percentage."""

    value: float
    tolerance: float  # half a unit of the last written digit: 1.2 million -> 50,000
    percent: bool
    digits: str  # the digits as written, separators removed ("854231")

    def matches(self, other: Number) -> bool:
        """Whether `other` (a passage's number) rounds to this one at the precision this one was written."""
        return abs(self.value - other.value) <= self.tolerance + 1e-9 * max(1.0, abs(other.value))


def numbers_in(text: str) -> list[Number]:
    """Every number in `text`: 1,234,567 / 1.2 million / $3.4bn / 12% / 2023 (dates give their parts)."""
    found = []
    for match in _NUMBER.finditer(text):
        raw = match["num"].replace(",", "")
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        scale = _SCALES[match["scale"].lower()] if match["scale"] else 1.0
        value = float(raw) * scale
        found.append(Number(value, 0.5 * 10**-decimals * scale, bool(match["pct"]), raw.replace(".", "")))
    return found


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Name -> ISO3 for every country name, common name and alias (longest names matched first)."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name and "," not in name:
                names[name] = country.alpha_3
    names.update(COUNTRY_ALIASES)
    return names


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern[str]:
    names = sorted(_country_names(), key=len, reverse=True)
    return re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")


def country_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ISO3) of each country written in `text` by name, alias or upper-case ISO3 code."""
    from tradesentinel.reference import valid_iso3

    spans = [(m.start(), m.end(), _country_names()[m[1]]) for m in _country_pattern().finditer(text)]
    taken = [(s, e) for s, e, _ in spans]
    for m in re.finditer(r"\b[A-Z]{3}\b", text):
        code = m[0]
        inside = any(s <= m.start() < e for s, e in taken)
        if not inside and code in valid_iso3() and code not in NOT_COUNTRY_CODES:
            spans.append((m.start(), m.end(), code))
    return sorted(spans)


def countries_in(text: str) -> set[str]:
    """ISO3 codes of the countries `text` mentions."""
    return {code for _, _, code in country_spans(text)}


def normalise(text: str) -> str:
    """Lower case, punctuation folded to single spaces: for matching names loosely ("Ltd." = "ltd")."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def organisations_in(text: str) -> list[str]:
    """Names that look like organisations: capitalised multiword names, names with a legal form, acronyms."""
    from tradesentinel.reference import valid_iso3

    iso3 = valid_iso3()
    masked = text
    for start, end, _ in country_spans(text):
        masked = masked[:start] + "\0" * (end - start) + masked[end:]  # countries are not organisations
    found = []
    for match in _ORG.finditer(masked):
        words = match[0].split()
        while words and (words[0].lower().strip(".") in NOT_ORGANISATIONS or _is_month(words[0])):
            words = words[1:]
        while words and (
            words[-1].lower().strip(".") in NOT_ORGANISATIONS - LEGAL_FORMS or _is_month(words[-1])
        ):
            words = words[:-1]
        if not words:
            continue
        name = " ".join(words)
        capitals = [w for w in words if w[0].isupper()]
        has_form = any(w.lower().strip(".") in LEGAL_FORMS for w in words)
        acronym = (
            len(words) == 1
            and words[0].isalpha()
            and words[0].isupper()
            and len(words[0]) >= 2
            and words[0] not in iso3
        )
        if len(capitals) >= 2 or (has_form and len(words) >= 2) or acronym:
            found.append(name)
    return found


def _is_month(word: str) -> bool:
    w = word.lower().strip(".")
    return w in MONTHS or w in MONTH_ABBREVIATIONS


def content_words(text: str) -> set[str]:
    """Meaningful words (no stopwords, no numbers), reduced to a 5-letter stem for loose matching."""
    return {w.lower()[:5] for w in _WORD.findall(text) if len(w) >= 3 and w.lower() not in STOPWORDS}
