"""One ranked score from many detectors, robust by design: each detector calibrated on the flows to
a tail probability, models corroborating the tests of their family, families combined by the
harmonic mean of their probabilities (a min-p with a correction that also counts agreement), and
sanctions exposure weighing that p as a prior.

1. Calibration (detectors.calibration): each raw score becomes p = how often a normal flow would
   score at least as high, read from the score's own body on this table (above its 90th
   percentile a generalised Pareto tail whose shape its 95th and 99th percentiles tell), or the
   empirical share for rule-like scores. A model's score (`corroborates`) is read against the rows
   that stand where its row stands: those beside a series' edge or gap (fewer than two of the
   periods around them on one side, series_signals.thin_support), where a model's features
   (growth, z within the series) run wide for every row, have a null of their own, as the
   statistical detector's local signals do; otherwise the models' agreement on ordinary first and
   last years would lift them over the tests' marginal findings (see docs/detectors.md). So a detector whose
   top merely continues its body cannot claim more than its body says, and one whose top is far
   beyond it (a unit error) keeps that strength. A detector that calibrates its own score (the
   diversion patterns: S = -log10 of the pattern's chance) is read as p = 10^-S but never above
   its empirical share on the table, an upper bound of the null's tail. Surprisal S = -log10 p.
2. Within a family (`family`: the question answered: value, diversion, sanctions), the tests
   (detectors that stand alone: the statistical detector) give the family's evidence, their
   strongest S; the models (`corroborates`: boosted, transformer, PyOD) are summarised by their
   median (the typical model's view: one model's quirk does not move it), a witness (`witness`:
   the partner's own report of the same trade, detectors.partner) by its own S, as a second
   measurement rather than one more model; the corroboration C is the larger of the two and may
   add at most as much as the tests say: V = S_test + min(C, S_test). The models see a row in
   its context, and the partner's mirror value is part of it, so a change both sides report (a
   year held away from its level) is one they cannot find odd; the partner's report says it is
   in the trade, not in one side's books.
   Models corroborate, they do not raise a flow alone, so their junk (a row whose context is
   odd) cannot outrank a calibrated finding, while agreement sorts the tests' findings. V is
   calibrated again, so corroboration reorders the family without widening its share of the
   budget. A family without a test is its corroboration C, calibrated.
3. Across families, p = F / sum over families of 1 / p_family, the harmonic mean p-value (Wilson
   2019, valid under dependence): where one family is far more surprising than the rest, p is
   about F x its p (a Bonferroni min-p: a strong single signal stays strong); where several
   families are surprised at once (a diversion pattern on a sanctions-exposed corridor), their
   evidence adds up. No family gets a bigger share of the budget for having more detectors.
4. Priors weigh the result (`weighs`: the sanctions-exposure rule, when the diversion patterns
   are tested in the same run; without them it is a family like the others). Exposure says how much a flow
   would matter if it were anomalous, not that it is: a rule that flags every exposed corridor
   would otherwise claim a share of the budget of its own (a third of the top 1% on the generated
   worlds, at 1-5% precision). Its score s in 0..1 becomes a weight w = 1 + EXPOSURE_WEIGHT x s,
   normalised to mean 1 over the run, and p_final = min(1, p / w): weighted p-values (Genovese,
   Roeder and Wasserman 2006), which keep the error control of the unweighted test because the
   weights average 1. An exposed flow's findings rise (its p up to about ten times smaller), so
   exposure alone lifts only flows its tests already find somewhat unusual, and the flows that
   are not exposed lose only the little the exposed ones gain on average.
   `score` = 1 - p^0.1 in 0..1; `rank` orders by p, ties by the total surprisal, then flow id.
Labels are never used; nothing is tuned to a world (docs/detectors.md shows the held-out worlds).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from tradesentinel.detectors.base import (
    REASON_DTYPE,
    REASON_FIELDS,
    BaseDetector,
    DetectorSkipped,
    empty_reasons,
)
from tradesentinel.detectors.calibration import SparseTail, Tail, fit_tail, surprisal
from tradesentinel.detectors.series_signals import thin_support
from tradesentinel.detectors.signals import Signal
from tradesentinel.schema import KEY_COLUMNS

log = logging.getLogger(__name__)
REASON_P = 0.01  # a detector contributes reasons where its tail probability is at most this
TIERS = (("high", 0.001), ("medium", 0.01), ("review", 0.05))
"""Risk tiers cut on `rank` as a share of the run's flows: high = the top 0.1%, medium = the next
flows to the top 1%, review = the next to the top 5%; flows below have no tier. Every flow in a tier
gets reasons and a value at stake."""
REVIEW_SHARE = TIERS[-1][1]
THIN = "@thin"
"""Suffix of a model's null fitted on its rows beside a series' edge or gap (`strata`)."""
MIN_STRATUM = 200
"""Least rows beside edges or gaps for the models' scores to be calibrated apart there."""
EXPOSURE_WEIGHT = 10.0
"""A fully exposed flow's (prior score 1) weight before normalisation: its tests' p counts about ten
times smaller than an unexposed flow's. Chosen on the tuning worlds (3, 10 and 30 gave the same
per-kind results there; 10 is the middle of that plateau), docs/detectors.md."""
SANCTIONS_SIGNALS = (Signal.SANCTIONS_EXPOSURE.value, Signal.NEW_CORRIDOR.value, Signal.DIVERSION.value)


@dataclass(frozen=True)
class Member:
    """How the ensemble treats one detector: its family, whether it only corroborates, and whether
    its score is a surprisal it calibrated itself."""

    family: str = "value"
    corroborates: bool = False
    calibrated: bool = False
    weighs: str = ""  # a prior where a member of this family runs (BaseDetector.weighs)
    witness: bool = False  # a corroborator counted on its own, not in the models' median


def member_of(detector: BaseDetector) -> Member:
    return Member(
        detector.family, detector.corroborates, detector.calibrated, detector.weighs, detector.witness
    )


def tests_of(members: dict[str, Member]) -> dict[str, Member]:
    """The members combined as evidence (steps 2-3): all but the priors, a prior being a member that
    weighs a family one of the members belongs to (exposure beside the diversion patterns; without
    them the exposure rule is the run's only sanctions-side evidence and stays a test)."""
    families = {m.family for m in members.values()}
    return {name: m for name, m in members.items() if m.weighs not in families}


@dataclass(frozen=True)
class PriorMean:
    """The run's sum and count of the prior (`prior`), merged from its parts on a cluster."""

    total: float
    rows: int

    @property
    def mean(self) -> float:
        return self.total / self.rows if self.rows else 1.0


def prior(raw: dict[str, np.ndarray], members: dict[str, Member]) -> np.ndarray | None:
    """Per row 1 + EXPOSURE_WEIGHT x the priors' scores (each clipped to 0..1, summed); None when no
    member is a prior (`tests_of`)."""
    tests = tests_of(members)
    names = [n for n in raw if n in members and n not in tests]
    if not names:
        return None
    scores = np.sum([np.clip(np.nan_to_num(raw[n]), 0.0, 1.0) for n in names], axis=0)
    return 1.0 + EXPOSURE_WEIGHT * scores


def prior_mean(raw: dict[str, np.ndarray], members: dict[str, Member]) -> PriorMean:
    """The prior's sum and rows over `raw` (one part of a run, or all of it)."""
    weights = prior(raw, members)
    return PriorMean(0.0, 0) if weights is None else PriorMean(float(weights.sum()), len(weights))


def combined_p(
    raw: dict[str, np.ndarray],
    tails: dict[str, np.ndarray],
    members: dict[str, Member],
    family_models: dict[str, Tail] | None = None,
    run_prior: PriorMean | None = None,
) -> np.ndarray:
    """Steps 2-4: the tests' families' harmonic mean p, divided by the prior's weight normalised to
    mean 1 over the run (`run_prior`: its sum over the whole run, when `raw` is one part of it)."""
    tests = tests_of(members)
    p = ensemble_p(family_p({n: tails[n] for n in tests if n in tails}, tests, family_models))
    weights = prior(raw, members)
    if weights is None:
        return p
    mean = run_prior.mean if run_prior else float(weights.mean())
    return np.clip(p * mean / weights, 0.0, 1.0)


def self_calibrated_p(values: np.ndarray, share: Tail | None = None) -> np.ndarray:
    """Tail probabilities of a self-calibrated score s (a surprisal): p = min(10^-s, share(s)), where
    share(s) is the empirical share of the run's rows scoring at least s (SparseTail: ties count, at
    least 1 / (N + 1); `share`: that null fitted elsewhere, on the whole run when `values` is one
    partition of it). The rows scoring at least s include the anomalies, so share(s) bounds from
    above how often normal trade scores as high: a pattern model more cautious than the table itself
    (a rare pattern scored as a one-in-a-thousand chance on a million rows where only a few hundred
    show it) is read as the table says, the way every other rule is."""
    values = np.asarray(values, dtype=np.float64)
    s = np.clip(np.nan_to_num(values), 0.0, 300.0)
    return np.minimum(np.power(10.0, -s), (share or SparseTail.fit(values)).p_values(values))


def strata(
    raw: dict[str, np.ndarray], members: dict[str, Member], thin: np.ndarray | None
) -> dict[str, np.ndarray]:
    """The score columns whose nulls are fitted: each model's (`corroborates`) split into its rows of
    full support and, under name + THIN, its rows beside a series' edge or gap (`thin`:
    series_signals.thin_support; None: no split); every other column as is."""
    if thin is None:
        return dict(raw)
    out = {}
    for name, values in raw.items():
        if members.get(name, Member()).corroborates:
            out |= {column: values[rows] for rows, column in _halves(name, thin)}
        else:
            out[name] = values
    return out


def _halves(name: str, thin: np.ndarray) -> tuple[tuple[np.ndarray, str], ...]:
    """A model's two strata: (rows, the column of `strata` whose null reads them)."""
    return (~thin, name), (thin, name + THIN)


def calibrate(
    raw: dict[str, np.ndarray],
    members: dict[str, Member] | None = None,
    models: dict[str, Tail] | None = None,
    thin: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Each detector's tail probabilities on the table (detectors.calibration); a self-calibrated
    detector's score s is read as p = 10^-s, at most its empirical share (`self_calibrated_p`).
    A model's score is read against the rows that stand where its row stands (`strata`, step 1).
    `models`: null models fitted elsewhere (on the whole run, when `raw` is one partition of it), by
    column of `strata` (a self-calibrated detector's is its SparseTail); otherwise fitted on `raw`.
    `thin`: the rows beside a series' edge or gap (None: no strata); on a partition, the run's
    decision whether to split (`models` holds name + THIN) is what counts."""
    members = members or {}
    split = thin is not None and (
        any(name.endswith(THIN) for name in models) if models else int(thin.sum()) >= MIN_STRATUM
    )
    out = {}
    for name, values in raw.items():
        member = members.get(name, Member())
        if member.calibrated:
            out[name] = self_calibrated_p(values, models[name] if models else None)
        elif split and member.corroborates:
            p = np.empty(len(values))
            for rows, column in _halves(name, thin):
                part = values[rows]
                p[rows] = (models[column] if models else fit_tail(part)).p_values(part)
            out[name] = p
        else:
            out[name] = (models[name] if models else fit_tail(values)).p_values(values)
    return out


def family_evidence(tails: dict[str, np.ndarray], members: dict[str, Member]) -> dict[str, np.ndarray]:
    """Per family: its p when it is one test alone (final), else its evidence V to calibrate
    (see the module docstring, step 2); `needs_fit` tells them apart."""
    out: dict[str, np.ndarray] = {}
    for family in dict.fromkeys(m.family for m in members.values()):
        names = [n for n in tails if members[n].family == family]
        tests = [surprisal(tails[n]) for n in names if not members[n].corroborates]
        models = [surprisal(tails[n]) for n in names if members[n].corroborates and not members[n].witness]
        witnesses = [surprisal(tails[n]) for n in names if members[n].witness]
        if not needs_fit(family, members, tails):
            out[family] = tails[names[0]]
            continue
        strongest = np.max(tests, axis=0) if tests else None
        views = ([np.median(models, axis=0)] if models else []) + witnesses
        corroboration = np.max(views, axis=0) if views else None  # C: models' median or a witness
        if strongest is None:
            out[family] = corroboration
        elif corroboration is None:
            out[family] = strongest
        else:
            out[family] = strongest + np.minimum(corroboration, strongest)
    return out


def needs_fit(family: str, members: dict[str, Member], present: Iterable[str]) -> bool:
    """Whether a family's evidence is calibrated again (anything but one test alone)."""
    names = [n for n in present if members[n].family == family]
    return not (len(names) == 1 and not members[names[0]].corroborates)


def family_p(
    tails: dict[str, np.ndarray], members: dict[str, Member], models: dict[str, Tail] | None = None
) -> dict[str, np.ndarray]:
    """Per family: its calibrated p (see the module docstring, step 2); `models`: the null models
    of the families' evidence fitted elsewhere (the whole run), by family."""
    evidence = family_evidence(tails, members)
    return {
        family: (
            (models[family] if models else fit_tail(values)).p_values(values)
            if needs_fit(family, members, tails)
            else values
        )
        for family, values in evidence.items()
    }


def ensemble_p(families: dict[str, np.ndarray]) -> np.ndarray:
    """The harmonic mean p over families (step 3)."""
    stacked = np.column_stack(list(families.values()))
    return np.clip(len(families) / (1.0 / stacked).sum(axis=1), 0.0, 1.0)


def total_surprisal(tails: dict[str, np.ndarray]) -> np.ndarray:
    """Every detector's surprisal summed: the first tie-break of the rank."""
    return np.sum([surprisal(t) for t in tails.values()], axis=0)


def combine(
    raw: dict[str, np.ndarray],
    members: dict[str, Member],
    keys: np.ndarray | None = None,
    thin: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(score in 0..1, rank from 1, tail probabilities per detector) of the named raw scores.
    `keys` (e.g. flow ids' hashes) break the last ties, so a flow's rank does not depend on row order;
    `thin`: the rows beside a series' edge or gap (series_signals.thin_support), for step 1."""
    tails = calibrate(raw, members, thin=thin)
    p = combined_p(raw, tails, members)
    total = total_surprisal(tails)
    keys = np.zeros(len(p), dtype=np.uint64) if keys is None else keys
    order = np.lexsort((keys, -total, p))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return 1.0 - p**0.1, rank, tails


@dataclass
class Scored:
    """A scoring run: the scores table, seconds per detector ("reasons": collecting them), and one
    note per detector left out (the reason it could not run on this table)."""

    table: pl.DataFrame
    seconds: dict[str, float]
    notes: dict[str, str] = field(default_factory=dict)

    def __iter__(self):  # (table, seconds) = score_table(...) keeps working
        return iter((self.table, self.seconds))


def fit_and_score(
    features: pl.DataFrame,
    detectors: Sequence[BaseDetector],
    progress: Callable[[str, float], None] | None = None,
) -> tuple[list[BaseDetector], dict[str, np.ndarray], dict[str, float], dict[str, str]]:
    """Fit and score each detector; one that has nothing to learn from this table is left out with a
    log line and a note (its reason), the run goes on."""
    kept, raw, seconds, notes = [], {}, {}, {}
    for detector in detectors:
        if progress:
            progress(detector.name, 0.0)
        started = time.perf_counter()
        try:
            raw[detector.name] = np.asarray(detector.fit(features).score(features), dtype=np.float64)
            kept.append(detector)
        except DetectorSkipped as skipped:
            notes[detector.name] = skipped.reason
            log.warning("detector %s skipped: %s", detector.name, skipped.reason)
        seconds[detector.name] = time.perf_counter() - started
        log.info("detector %s: %d rows in %.1f s", detector.name, features.height, seconds[detector.name])
        if progress:
            progress(detector.name, 1.0)
    return kept, raw, seconds, notes


def score_table(
    features: pl.DataFrame,
    detectors: Sequence[BaseDetector],
    *,
    explain_top: int = 5000,
    progress: Callable[[str, float], None] | None = None,
) -> Scored:
    """Fit every detector on `features`, score every row, combine, and explain the review tier (and at
    least the `explain_top` top rows).

    The table: key columns, flow_id, score, rank, tier, value_at_stake_usd, score_<detector>
    (detectors that ran), reasons."""
    kept, raw, seconds, notes = fit_and_score(features, detectors, progress)
    if not kept:
        raise DetectorSkipped(
            "every detector", "; ".join(f"{k}: {v}" for k, v in notes.items()) or "none given"
        )
    keys = features["flow_id"].hash(0).to_numpy()
    members = {d.name: member_of(d) for d in kept}
    thin = thin_support(features) if any(m.corroborates for m in members.values()) else None
    ensemble, rank, tails = combine(raw, members, keys, thin)
    started = time.perf_counter()
    table = scores_frame(features, kept, raw, tails, ensemble, rank, explain_top).sort("rank")
    seconds["reasons"] = time.perf_counter() - started
    return Scored(table, seconds, notes)


def reasons_for(
    features: pl.DataFrame, detectors: Sequence[BaseDetector], tails: dict[str, np.ndarray], rows: np.ndarray
) -> pl.DataFrame:
    """The reason frames of `rows` from every detector whose tail probability there is at most
    REASON_P, or that is the row's most surprised detector (so a row ranked by mild agreement
    still says what its strongest detector saw), each reason with its detector's surprisal for
    ordering."""
    parts = []
    if not len(rows) or not detectors:
        return empty_reasons().with_columns(pl.lit(0.0).alias("_s"))
    least = np.min([tails[d.name][rows] for d in detectors], axis=0)
    for detector in detectors:
        p = tails[detector.name][rows]
        mine = rows[(p <= REASON_P) | (p <= least)]
        if len(mine):
            frame = detector.reason_frame(features, mine)
            strength = pl.Series("_s", surprisal(tails[detector.name]))
            parts.append(frame.with_columns(strength.gather(frame["row"])))
    if not parts:
        return empty_reasons().with_columns(pl.lit(0.0).alias("_s"))
    return pl.concat(parts)


def scores_frame(
    features: pl.DataFrame,
    detectors: Sequence[BaseDetector],
    raw: dict[str, np.ndarray],
    tails: dict[str, np.ndarray],
    ensemble: np.ndarray,
    rank: np.ndarray,
    explain_top: int,
    n_ranked: int | None = None,
) -> pl.DataFrame:
    """The scores table of `features` rows (in their order) from their raw scores, tail probabilities,
    ensemble score and rank (over `n_ranked` flows: the whole run, when `features` is one partition
    of it); rows in a tier or ranked within `explain_top` get reasons and a value at stake."""
    n_ranked = len(rank) if n_ranked is None else n_ranked
    top = np.flatnonzero(rank <= max(explain_top, tier_cut(REVIEW_SHARE, n_ranked)))
    found = reasons_for(features, detectors, tails, top)
    return features.select(*KEY_COLUMNS, "flow_id").with_columns(
        pl.Series("score", ensemble),
        pl.Series("rank", rank),
        tier_column(rank, n_ranked),
        value_at_stake(features, found),
        *[pl.Series(f"score_{name}", values) for name, values in raw.items()],
        reasons_column(found, features.height),
    )


def tier_cut(share: float, n_ranked: int) -> int:
    """The last rank inside the top `share` of `n_ranked` flows (at least 1)."""
    return max(1, math.ceil(share * n_ranked))


def tier_column(rank: np.ndarray, n_ranked: int) -> pl.Series:
    """Each row's risk tier (TIERS) from its rank over the run; null below the review tier."""
    cuts = [rank <= tier_cut(share, n_ranked) for _, share in TIERS]
    names = np.select(cuts, [name for name, _ in TIERS], default="")
    return pl.Series("tier", names, dtype=pl.String).replace("", None)


def value_at_stake(features: pl.DataFrame, found: pl.DataFrame) -> pl.Series:
    """Per row, the USD its strongest-money reason puts at stake, the largest over its reasons:
    a value reason |observed - expected|; a unit-price reason |observed - expected| x net weight
    (without a weight: value x |1 - expected / observed|); a mirror gap the gap in USD (it is a
    value reason); a sanctions-side reason (exposure, a corridor opened for it, diversion) the flow's
    value. Null for rows without reasons (below the tiers) or whose reasons carry no money (a
    model's context, a z-score). Built from the reason frame, no loop per row."""
    rows = features.select("value_usd", "net_weight_kg").with_row_index("row").cast({"row": pl.Int64})
    obs, exp = pl.col("observed"), pl.col("expected")
    gap = (obs - exp).abs()
    stake = (
        pl.when(pl.col("signal").is_in(SANCTIONS_SIGNALS))
        .then(pl.col("value_usd"))
        .when(pl.col("signal") == Signal.CONTEXT.value)
        .then(None)
        .when(pl.col("unit") == "USD")
        .then(gap)
        .when((pl.col("unit") == "USD/kg") & (pl.col("net_weight_kg") > 0))
        .then(gap * pl.col("net_weight_kg"))
        .when((pl.col("unit") == "USD/kg") & (obs > 0))
        .then(pl.col("value_usd") * (1.0 - exp / obs).abs())
        .otherwise(None)
    )
    per_row = (
        found.select("row", "signal", "unit", "observed", "expected")
        .join(rows, on="row", how="left")
        .group_by("row")
        .agg(stake.filter(stake.is_finite()).max().alias("value_at_stake_usd"))
    )
    return (
        rows.select("row")
        .join(per_row, on="row", how="left", maintain_order="left")["value_at_stake_usd"]
        .cast(pl.Float64)
    )


def reasons_column(found: pl.DataFrame, height: int) -> pl.Series:
    """The reasons column: each row's reasons, the most surprising detector's first (then by
    magnitude), empty lists elsewhere; built from the explained rows only, no loop per row."""
    grouped = (
        found.sort(["row", "_s", "magnitude"], descending=[False, True, True], nulls_last=True)
        .group_by("row", maintain_order=True)
        .agg(pl.struct(list(REASON_FIELDS)).alias("reasons"))
    )
    explained = pl.concat(
        [grouped["reasons"].cast(REASON_DTYPE), pl.Series([[]], dtype=REASON_DTYPE)]
    ).rename("reasons")
    where = np.full(height, grouped.height, dtype=np.int64)  # the empty list appended last
    where[grouped["row"].to_numpy()] = np.arange(grouped.height)
    return explained.gather(where)
