"""The ensemble's calibration and rank computed on the Dask workers; the client receives summaries only.

`ensemble.combine` needs every row's raw scores; here each part's raw scores stay on the worker that
scored them and the steps of `combine` run there, with null models fitted from merged summaries
(detectors.cluster_calibration):
1. each detector's null from its scores over all parts; every part computes its tail probabilities;
2. each family's evidence (when it is calibrated again) per part, its null over all parts; every
   part computes its family p, the harmonic-mean ensemble p weighed by the prior (its mean over
   the run merged from the parts' sums) and the total surprisal;
3. the rank orders rows by (p, -total surprisal, flow id hash), as in-process. The run's k-th
   smallest p is found exactly by the distributed selection (detectors.global_scales; k = the
   review tier or `explain_top`, whichever is larger); each part's rows at or below it (at most k,
   in rank order) are merged pairwise on the workers into the run's top k, so about k rows travel
   in all, whatever the number of parts (more only where many rows tie at the k-th p): ranks 1..k are exact, so every tier and every
   explained row is the in-process one when the nulls are (they are, unless a rule-like score has
   more than `max_values` distinct values). Below the top k a row's rank is read from a merged
   histogram of surprisal (`EDGES`): the rows in higher bins, plus its share of its own bin by its
   part's order; approximate (off by at most its bin's rows), never inside the top k.
The client receives the per-part summaries, the merged count tables and histogram (a few thousand
numbers each), never a column.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradesentinel.detectors.calibration import surprisal
from tradesentinel.detectors.cluster_calibration import Given, fit_tails
from tradesentinel.detectors.ensemble import (
    MIN_STRATUM,
    REVIEW_SHARE,
    THIN,
    Member,
    PriorMean,
    calibrate,
    combined_p,
    family_evidence,
    needs_fit,
    prior_mean,
    strata,
    tests_of,
    tier_cut,
    total_surprisal,
)
from tradesentinel.detectors.global_scales import order_statistics
from tradesentinel.pipeline.distributed import tree_reduce

if TYPE_CHECKING:
    from distributed import Client, Future

EDGES = np.unique(np.concatenate([np.linspace(0.0, 4.0, 4001), np.geomspace(4.0, 301.0, 2000)]))
"""Bins of surprisal (-log10 p) for the ranks below the top k: 0.001 wide up to 4, then 0.2% wide."""
TOP = np.dtype([("p", "f8"), ("neg", "f8"), ("key", "u8"), ("part", "i8"), ("row", "i8")])


@dataclass(frozen=True)
class Ordered:
    """One part's ensemble p, total surprisal and flow id hashes: what its rows are ranked by."""

    p: np.ndarray
    total: np.ndarray
    keys: np.ndarray

    def order(self) -> np.ndarray:
        """The part's rows in rank order."""
        return np.lexsort((self.keys, -self.total, self.p))


def rows_of(scored: tuple) -> int:
    """Worker task: the rows of a `score_part` result."""
    return len(scored[3])


def thin_rows_of(scored: tuple) -> int:
    """Worker task: the part's rows beside a series' edge or gap (the models' strata)."""
    return int(scored[4].sum())


def raw_of(scored: tuple, members: Given, split: bool) -> dict[str, np.ndarray]:
    """Worker task: the score columns of a `score_part` result whose nulls are fitted
    (`ensemble.strata`: the models' split by stratum when the run splits them)."""
    return strata(scored[0], members.items, scored[4] if split else None)


def tails_of(scored: tuple, members: Given, models: Given) -> dict[str, np.ndarray]:
    """Worker task: each detector's tail probabilities on one part, from the run's nulls."""
    return calibrate(scored[0], members.items, models.items, scored[4])


def evidence_of(tails: dict[str, np.ndarray], members: Given) -> dict[str, np.ndarray]:
    """Worker task: the evidence of each family that is calibrated again, on one part."""
    tests = tests_of(members.items)
    mine = {n: tails[n] for n in tests if n in tails}
    evidence = family_evidence(mine, tests)
    return {f: v for f, v in evidence.items() if needs_fit(f, tests, mine)}


def prior_of(scored: tuple, members: Given) -> PriorMean:
    """Worker task: the part's sum and rows of the ensemble's prior (sanctions exposure)."""
    return prior_mean(scored[0], members.items)


def ordered_of(
    scored: tuple, tails: dict[str, np.ndarray], members: Given, models: Given, run_prior: PriorMean
) -> Ordered:
    """Worker task: one part's ensemble p and tie-breaks, from the run's family nulls and prior mean."""
    p = combined_p(scored[0], tails, members.items, models.items, run_prior)
    return Ordered(p, total_surprisal(tails), scored[3])


def sorted_p(ordered: Ordered) -> dict[str, np.ndarray]:
    """Worker task: the part's ensemble p, sorted (for the distributed selection of the k-th)."""
    return {"p": np.sort(ordered.p)}


def top_rows(ordered: Ordered, part: int, k: int, threshold: float) -> np.ndarray:
    """Worker task: the part's rows with p at most `threshold` (the run's k-th smallest p), at most
    its first `k` in rank order, as TOP records."""
    order = ordered.order()
    first = order[: min(k, int(np.searchsorted(ordered.p[order], threshold, "right")))]
    out = np.empty(len(first), dtype=TOP)
    out["p"], out["neg"], out["key"] = ordered.p[first], -ordered.total[first], ordered.keys[first]
    out["part"], out["row"] = part, first
    return out


def merge_top(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """Worker task: the first `k` of two TOP tables, in rank order (parts, then rows, break the
    last ties: the canonical order, as in-process)."""
    both = np.concatenate([a, b])
    return both[np.lexsort((both["row"], both["part"], both["key"], both["neg"], both["p"]))][:k]


def split_top(top: np.ndarray, n_parts: int) -> list[np.ndarray]:
    """Worker task: each part's (row, rank) pairs within the run's top."""
    ranks = np.arange(1, len(top) + 1)
    return [np.stack([top["row"][top["part"] == i], ranks[top["part"] == i]]) for i in range(n_parts)]


def surprisal_counts(ordered: Ordered) -> np.ndarray:
    """Worker task: the part's rows per surprisal bin (EDGES)."""
    return np.bincount(bin_of(ordered.p), minlength=len(EDGES))


def bin_of(p: np.ndarray) -> np.ndarray:
    """Each p's surprisal bin."""
    return np.clip(np.searchsorted(EDGES, surprisal(p), "right") - 1, 0, len(EDGES) - 1)


def ranks_of(ordered: Ordered, top: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Worker task: one part's ranks: exact within the run's top `k` (`top`: its rows and ranks),
    else from the run's surprisal histogram `counts` (see the module docstring)."""
    order = ordered.order()
    bins = bin_of(ordered.p)[order]  # non-increasing along the order
    first = np.searchsorted(-bins, -bins, "left")  # where each row's bin starts in the part's order
    local = np.bincount(bins, minlength=len(EDGES))
    higher = np.append(np.cumsum(counts[::-1])[::-1], 0)[bins + 1]
    share = (np.arange(len(order)) - first) / np.maximum(local[bins], 1)
    approx = np.maximum(higher + 1 + np.floor(share * counts[bins]).astype(np.int64), k + 1)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = approx
    rank[top[0]] = top[1]
    return rank


@dataclass(frozen=True)
class RunSummary:
    """The run-wide numbers every part needs: its rows, the exact top's size, the histogram."""

    n: int
    k: int
    counts: np.ndarray


def ranked_of(scored: tuple, tails: dict, ordered: Ordered, top: np.ndarray, run: RunSummary) -> object:
    """Worker task: one part's `distributed.Ranked` slice of the run's calibration and rank."""
    from tradesentinel.detectors.distributed import Ranked

    rank = ranks_of(ordered, top, run.counts, run.k)
    return Ranked(scored[0], tails, 1.0 - ordered.p**0.1, rank, run.n)


def rank_on_cluster(
    client: Client,
    scored: list[Future],
    members: dict[str, Member],
    *,
    explain_top: int,
    max_values: int,
) -> list[Future]:
    """Futures of every part's `Ranked` (in part order) from futures of `score_part` results."""
    sizes = client.gather(client.map(rows_of, scored, pure=False))
    n = int(sum(sizes))
    stratified = sum(client.gather(client.map(thin_rows_of, scored, pure=False))) >= MIN_STRATUM
    raws = client.map(raw_of, scored, members=Given(members), split=stratified, pure=False)
    shares = [name for name, m in members.items() if m.calibrated]  # their share null (self_calibrated_p)
    columns = [*members, *(name + THIN for name, m in members.items() if m.corroborates and stratified)]
    models = fit_tails(client, raws, columns, max_values=max_values, sparse=shares)
    tails = client.map(tails_of, scored, members=Given(members), models=Given(models), pure=False)
    evidence = client.map(evidence_of, tails, members=Given(members), pure=False)
    tests = tests_of(members)
    families = [f for f in dict.fromkeys(m.family for m in tests.values()) if needs_fit(f, tests, tests)]
    family_models = fit_tails(client, evidence, families, max_values=max_values)
    priors = client.gather(client.map(prior_of, scored, members=Given(members), pure=False))
    run_prior = PriorMean(sum(x.total for x in priors), sum(x.rows for x in priors))
    ordered = client.map(
        ordered_of,
        scored,
        tails,
        members=Given(members),
        models=Given(family_models),
        run_prior=run_prior,
        pure=False,
    )
    k = min(n, max(explain_top, tier_cut(REVIEW_SHARE, n)))
    sorted_parts = client.map(sorted_p, ordered, pure=False)
    threshold = order_statistics(client, sorted_parts, [("p", k - 1)])[0] if k else -np.inf
    tops = [client.submit(top_rows, o, i, k, threshold, pure=False) for i, o in enumerate(ordered)]
    split = client.submit(split_top, tree_reduce(client, tops, merge_top, k=k), len(scored), pure=False)
    counts = tree_reduce(client, client.map(surprisal_counts, ordered, pure=False), operator.add)
    run = RunSummary(n, k, counts.result())
    pieces = [client.submit(operator.getitem, split, i, pure=False) for i in range(len(scored))]
    return [
        client.submit(ranked_of, s, t, o, piece, run, pure=False)
        for s, t, o, piece in zip(scored, tails, ordered, pieces, strict=True)
    ]
