"""BM25 keyword scoring over one collection, as a sparse matrix: a query is a sum of a few columns.

Embeddings alone serve HS codes, names and numbers poorly; BM25 finds "854231" or "Khabarov"
exactly. Documents also get their HS heading and chapter (8542, 85) as tokens, so a query for a
heading finds its subheadings.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
from scipy import sparse

K1, B = 1.2, 0.75
COMMON_IDF = float(np.log1p(1.0))
"""A word in more than about half the documents (idf below this) barely ranks: it is not worth a column sum."""
TOKEN = re.compile(r"\w+")
STOPWORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "any",
        "are",
        "about",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "me",
        "of",
        "on",
        "or",
        "show",
        "that",
        "the",
        "their",
        "there",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "find",
        "list",
        "tell",
        "give",
        "all",
        "our",
        "we",
        "i",
        "you",
    )
)
"""Query words that carry no evidence (dropped from queries only)."""


def query_tokens(query: str) -> list[str]:
    """Lower-case word tokens of a query, stopwords dropped, each once, in order."""
    seen: dict[str, None] = {}
    for token in TOKEN.findall(query.lower()):
        if token not in STOPWORDS:
            seen.setdefault(token, None)
    return list(seen)


def _term_counts(texts: pl.Series) -> tuple[sparse.csr_matrix, list[str]]:
    """Word counts [docs x terms] (lower-case `\\w+` tokens, as scikit-learn's CountVectorizer with that
    pattern makes them) and the sorted vocabulary, counted by polars: no scikit-learn import on open."""
    tokens = (
        pl.DataFrame({"text": texts.fill_null("")})
        .with_row_index("doc")
        .select("doc", pl.col("text").str.to_lowercase().str.extract_all(r"\w+").alias("token"))
        .explode("token")
        .drop_nulls("token")
    )
    vocabulary = tokens["token"].unique().sort().to_list()
    if not vocabulary:
        return sparse.csr_matrix((texts.len(), 0)), []
    counted = (
        tokens.with_columns(pl.col("token").cast(pl.Enum(vocabulary)).to_physical().alias("term"))
        .group_by("doc", "term")
        .len()
    )
    matrix = sparse.csr_matrix(
        (
            counted["len"].to_numpy().astype(np.float64),
            (counted["doc"].to_numpy(), counted["term"].to_numpy()),
        ),
        shape=(texts.len(), len(vocabulary)),
    )
    return matrix, vocabulary


class KeywordIndex:
    """BM25 weights [docs x terms] of one collection (CSC: fast column sums)."""

    def __init__(self, texts: pl.Series, hs_codes: pl.Series | None = None):
        if hs_codes is not None:
            hs = hs_codes.fill_null("")
            texts = pl.DataFrame({"t": texts, "h": hs}).select(
                pl.concat_str(
                    [pl.col("t"), pl.col("h").str.slice(0, 4), pl.col("h").str.slice(0, 2)], separator=" "
                )
            )["t"]
        self.n_docs = texts.len()
        counts, vocabulary = _term_counts(texts)
        self.vocab = {t: i for i, t in enumerate(vocabulary)}
        counts.sum_duplicates()
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        df = np.bincount(counts.indices, minlength=len(self.vocab)).astype(np.float64)
        self.idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5))
        self.absent_idf = float(np.log1p((self.n_docs + 0.5) / 0.5))
        avg = lengths.mean() if self.n_docs else 1.0
        rows = np.repeat(np.arange(self.n_docs), np.diff(counts.indptr))
        tf = counts.data
        norm = K1 * (1 - B + B * lengths[rows] / max(avg, 1e-9))
        counts.data = self.idf[counts.indices] * tf * (K1 + 1) / (tf + norm)
        self.matrix = counts.tocsc()

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Raw BM25 of every document for the query tokens (words in over half the documents are skipped)."""
        cols = [self.vocab[t] for t in tokens if t in self.vocab and self.idf[self.vocab[t]] > COMMON_IDF]
        if not cols:
            return np.zeros(self.n_docs)
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()

    def ideal(self, tokens: list[str]) -> float:
        """BM25 of a document of average length holding each token once: 1.0 on the normalised scale."""
        return float(sum(self.idf[self.vocab[t]] if t in self.vocab else self.absent_idf for t in tokens))
