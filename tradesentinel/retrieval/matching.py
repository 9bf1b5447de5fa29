"""Sanctions name matching: fuzzy, transliteration-tolerant, explainable.

Names are compared after normalisation (Unicode transliterated to ASCII with `unidecode`, case
and punctuation folded, legal forms such as LLC, OOO, LTD, JSC, GMBH dropped) and again after a
phonetic folding of common transliteration variants (kh/h, ks/x, y/i/j, ph/f, doubled letters:
Sergey = Sergei = Serguei, Aleksandr = Alexander, Mohammed = Muhammad up to a vowel). The score
(0..100, rapidfuzz token-sort ratio) is the best of the two views; a match says which listed name
or alias matched, in which view, and how strongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from unidecode import unidecode

LEGAL_FORMS = frozenset(
    (
        "llc",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ao",
        "ojsc",
        "cjsc",
        "pjsc",
        "jsc",
        "ltd",
        "limited",
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "plc",
        "fze",
        "fzco",
        "fzc",
        "fz",
        "llp",
        "lp",
        "too",
        "tov",
        "kg",
        "ug",
        "sro",
        "sas",
        "the",
        "group",
        "holding",
        "holdings",
        "intl",
        "international",
        "trading",
    )
)
"""Words that say what kind of company it is, not which one (dropped before comparing)."""
_KEEP_IF_ALONE = frozenset({"trading", "international", "intl", "group", "holding", "holdings"})
_FOLDS = (
    ("sch", "sh"),
    ("tch", "ch"),
    ("x", "ks"),
    ("kh", "h"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("gh", "g"),
    ("ck", "k"),
    ("q", "k"),
    ("w", "v"),
    ("gue", "ge"),
    ("gui", "gi"),
    ("ou", "u"),
    ("y", "i"),
    ("j", "i"),
    ("ts", "c"),
    ("tz", "c"),
    ("dzh", "g"),
    ("ei", "i"),
    ("ie", "i"),
    ("ii", "i"),
)


def normalise_name(name: str) -> str:
    """ASCII, lower case, no punctuation, no legal-form words (kept when the name is nothing else)."""
    text = unidecode(name or "").lower().replace("&", " and ")
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    kept = [t for t in tokens if t not in LEGAL_FORMS]
    if not kept:
        kept = [t for t in tokens if t in _KEEP_IF_ALONE] or tokens
    return " ".join(kept)


def fold_name(normalised: str) -> str:
    """Phonetic folding of a normalised name so that transliteration variants coincide."""
    words = []
    for word in normalised.split():
        for old, new in _FOLDS:
            word = word.replace(old, new)
        word = re.sub(r"(.)\1+", r"\1", word)  # doubled letters
        words.append(word)
    return " ".join(words)


def _sorted(name: str) -> str:
    return " ".join(sorted(name.split()))


@dataclass(frozen=True)
class NameMatch:
    """One sanctions entry matched by a name: which listed string matched, how, and how strongly."""

    query: str
    list: str
    entry_id: str
    name: str  # the entry's primary name
    matched: str  # the listed name or alias that matched
    is_alias: bool
    score: float  # 0..100
    view: str  # "normalised" or "transliteration"
    row: int = -1  # the entry's row in the indexed sanctions table

    def explain(self) -> str:
        """One line an analyst can check: query, matched string, entry, score, view."""
        what = f"alias {self.matched!r} of" if self.is_alias else "name of"
        return (
            f"{self.query!r} matches {what} {self.list} {self.entry_id} {self.name!r} "
            f"({self.score:.0f}/100, {self.view})"
        )


class NameIndex:
    """Every primary name and alias of a sanctions table, normalised and folded once for fast matching."""

    def __init__(self, sanctions: pl.DataFrame):
        rows = sanctions.select("list", "entry_id", "name", "aliases").with_row_index("_row")
        names = rows.select("_row", pl.col("name").alias("listed"), pl.lit(False).alias("is_alias"))
        aliases = (
            rows.select("_row", pl.col("aliases").alias("listed"))
            .explode("listed")
            .drop_nulls("listed")
            .with_columns(pl.lit(True).alias("is_alias"))
        )
        table = pl.concat([names, aliases]).filter(pl.col("listed").str.strip_chars() != "")
        self._entries = rows
        self._sanctions = sanctions
        self._row = table["_row"].to_numpy()
        self._listed = table["listed"].to_list()
        self._is_alias = table["is_alias"].to_numpy()
        self._norm = [_sorted(normalise_name(n)) for n in self._listed]
        self._fold = [_sorted(fold_name(n)) for n in self._norm]

    def __len__(self) -> int:
        return len(self._listed)

    def match(self, query: str, threshold: float = 88.0, limit: int = 10) -> list[NameMatch]:
        """Entries whose name or an alias scores >= threshold against `query`, best first (one per entry)."""
        norm = normalise_name(query)
        if not norm:
            return []
        best: dict[int, tuple[float, int, str]] = {}
        views = [("normalised", _sorted(norm), self._norm)]
        if " " in norm or len(norm) >= 6:  # folding a short single word ("waad" -> "vad") invents matches
            views.append(("transliteration", _sorted(fold_name(norm)), self._fold))
        for view, needle, haystack in views:
            found = process.extract(
                needle, haystack, scorer=fuzz.ratio, score_cutoff=threshold, limit=max(limit * 5, 50)
            )  # tokens pre-sorted: token-sort ratio
            for _, score, i in found:
                entry = int(self._row[i])
                if entry not in best or score > best[entry][0] + 1e-9:
                    best[entry] = (float(score), i, view)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        out = []
        for entry, (score, i, view) in ranked:
            row = self._entries.row(entry, named=True)
            out.append(
                NameMatch(
                    query,
                    row["list"],
                    row["entry_id"],
                    row["name"],
                    self._listed[i],
                    bool(self._is_alias[i]),
                    score,
                    view,
                    entry,
                )
            )
        return out

    def any_match(self, queries: list[str], threshold: float) -> list[bool]:
        """Per query: whether some listed name or alias scores >= threshold against it (in either view);
        one matrix computation for all queries, so a text's many word windows are screened at once."""
        norms = [normalise_name(q) for q in queries]
        hit = np.zeros(len(queries), dtype=bool)
        if not queries or not self._listed:
            return hit.tolist()
        for needles, haystack in (
            ([_sorted(n) for n in norms], self._norm),
            ([_sorted(fold_name(n)) for n in norms], self._fold),
        ):
            matrix = process.cdist(
                needles, haystack, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8
            )
            hit |= matrix.max(axis=1) > 0
        return hit.tolist()

    def entry(self, match: NameMatch) -> dict:
        """The whole sanctions row a match points at (programmes, countries, identifiers...)."""
        return self._sanctions.row(match.row, named=True)

    def best_scores(self, queries: list[str], threshold: float) -> np.ndarray:
        """Per entry: the best score (0..100; 0 below threshold) of any name or alias against any query."""
        best = np.zeros(self._entries.height)
        norms = [normalise_name(q) for q in queries]
        norms = [n for n in norms if len(n) >= 4]
        if not norms or not self._listed:
            return best
        for needles, haystack in (
            ([_sorted(n) for n in norms], self._norm),
            ([_sorted(fold_name(n)) for n in norms], self._fold),
        ):
            matrix = process.cdist(
                needles, haystack, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8
            )
            np.maximum.at(best, self._row, matrix.max(axis=0))
        return best


def query_windows(text: str, max_words: int = 3) -> list[str]:
    """Every run of 1..max_words words in a text: the candidate names it may contain."""
    words = _window_pattern().findall(text or "")
    return list(
        dict.fromkeys(
            " ".join(words[i : i + n]) for n in range(1, max_words + 1) for i in range(len(words) - n + 1)
        )
    )


@lru_cache(maxsize=8)
def _window_pattern() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z\u00C0-\u024F\u0400-\u04FF0-9][\w'\-\.&]*")


def mentioned_names(
    index: NameIndex, text: str, threshold: float = 90.0, max_words: int = 4
) -> list[NameMatch]:
    """Listed names mentioned in free text (news titles): every 1..max_words word window is matched."""
    words = _window_pattern().findall(text or "")
    windows = {" ".join(words[i : i + n]) for n in range(1, max_words + 1) for i in range(len(words) - n + 1)}
    found: dict[tuple[str, str], NameMatch] = {}
    windows = {w for w in windows if len(normalise_name(w)) >= 5}
    screened = sorted(windows)
    for window, hit in zip(screened, index.any_match(screened, threshold), strict=True):
        if not hit:  # no listed name near it: skip the ranked match
            continue
        for m in index.match(window, threshold, limit=3):
            key = (m.list, m.entry_id)
            if key not in found or m.score > found[key].score:
                found[key] = m
    return sorted(found.values(), key=lambda m: (-m.score, m.entry_id))


def entries_by_country(sanctions: pl.DataFrame) -> pl.DataFrame:
    """(country, list, entry_id, name, entity_type, listed_on): one row per entry and country it names."""
    return (
        sanctions.select(
            "list", "entry_id", "name", "entity_type", "listed_on", pl.col("countries").alias("country")
        )
        .explode("country")
        .drop_nulls("country")
        .unique(["country", "list", "entry_id"])
    )


def link_by_country(anomalies: pl.DataFrame, sanctions: pl.DataFrame, per_anomaly: int = 3) -> pl.DataFrame:
    """Per anomaly (flow_id, reporter, partner): listed parties located in either country, entities first.

    Returns flow_id, n_linked and `linked` (up to `per_anomaly` strings "LIST ENTRY_ID NAME (ISO3)").
    Each country's first `per_anomaly` entries are ranked once; a flow merges its two countries' lists
    (a real list names thousands of parties in a few countries: no join of every flow with every one).
    """
    keys = ["_not_entity", "listed_on", "list", "entry_id", "country"]
    descending = [False, True, False, False, False]
    ranked = (
        entries_by_country(sanctions)
        .with_columns(
            (pl.col("entity_type") != "entity").alias("_not_entity"),
            pl.format("{} {} {} ({})", "list", "entry_id", "name", "country").alias("label"),
        )
        .sort(keys, descending=descending, nulls_last=True)
    )
    per_country = ranked.group_by("country", maintain_order=True).agg(
        pl.len().alias("n"), pl.struct(*keys, "label").head(per_anomaly).alias("top")
    )
    sides = (
        anomalies.select(
            "flow_id", pl.concat_list("reporter", "partner").list.unique(maintain_order=True).alias("country")
        )
        .explode("country")
        .join(per_country, on="country", how="inner")
    )
    counts = sides.group_by("flow_id").agg(pl.col("n").sum().cast(pl.UInt32).alias("n_linked"))
    linked = (
        sides.select("flow_id", "top")
        .explode("top")
        .unnest("top")
        .sort(["flow_id", *keys], descending=[False, *descending], nulls_last=True)
        .group_by("flow_id", maintain_order=True)
        .agg(pl.col("label").head(per_anomaly).alias("linked"))
    )
    return (
        anomalies.select("flow_id")
        .join(counts, on="flow_id", how="left")
        .join(linked, on="flow_id", how="left")
        .with_columns(
            pl.col("n_linked").fill_null(0), pl.col("linked").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    )
