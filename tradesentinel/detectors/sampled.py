"""Detectors fitted for a cluster run, then scoring any part of the table.

Under the Dask engine no machine holds the whole feature table: the detectors are fitted on a
seeded sample (`in_sample`: rows, or whole series for the transformer) and the fitted models score
every partition. Which results equal the in-process ones:
- statistical: exactly equal (its signals lie within one series, hence one HS partition, and its
  calibration quantiles are computed exactly over all parts, see global_scales);
- sanctions: exactly equal (no fit; a corridor's level before exposure is within one series);
- diversion: fitted on each HS partition (`fits_locally`): its patterns are exact, the chance of
  a pattern is read from the partition's corridors instead of the whole table's: close, not equal;
- iforest, ecod, ocsvm: fitted on the sample, their standardisation scales too: close, not equal
  (equal when the table is smaller than the sample, which then is the table);
- lightgbm, xgboost: regressors fitted on the sample, each row scored by the model of its fold (a
  hash of its flow id), which never saw it, as in-process; categories coded from the sample's
  vocabulary (unseen values missing): close, not equal;
- transformer: trained on the sample's series, scores every series: close, not equal;
- partner: exactly equal (nothing learnt; a row's series and its mirror's share its HS partition).
A detector the sample gives nothing to learn from (DetectorSkipped: the partner on a monthly table,
the transformer on an annual one) is left out of the run with a log line, as in-process.
"""

from __future__ import annotations

import logging
import time

import polars as pl

from tradesentinel.detectors.base import BaseDetector, DetectorSkipped
from tradesentinel.detectors.calibration import TailModel
from tradesentinel.detectors.series_signals import SERIES
from tradesentinel.detectors.statistical import StatisticalDetector

log = logging.getLogger(__name__)
EXACT = ("statistical", "sanctions")
"""Detectors whose Dask scores equal the in-process scores exactly."""


def in_sample(frame: pl.DataFrame, fraction: float, seed: int, *, whole_series: bool = False) -> pl.DataFrame:
    """A seeded hash pick of about `fraction` of the rows (by flow id), or of whole series (reporter,
    partner, flow, HS) with `whole_series`; the same pick in every partition and process."""
    if fraction >= 1.0:
        return frame
    key = (
        pl.concat_str([pl.col(c).cast(pl.String) for c in SERIES], separator="|")
        if whole_series
        else pl.col("flow_id")
    )
    return frame.filter(key.hash(seed) % 1_000_000 < int(fraction * 1_000_000))


def statistical_magnitudes(frame: pl.DataFrame, detector: StatisticalDetector) -> pl.DataFrame:
    """Worker task: the statistical detector's signal magnitudes on one part (to calibrate them)."""
    return pl.DataFrame(detector.magnitudes(frame))


def fit_on_sample(
    detectors: list[BaseDetector],
    rows: pl.DataFrame,
    series: pl.DataFrame,
    quantiles: dict[str, tuple[float, float, float]],
) -> tuple[list[BaseDetector], dict[str, float]]:
    """Worker task: the detectors fitted for partition scoring, and the seconds each fit took. The
    transformer learns from whole `series`, the others from sampled `rows`; statistical takes the
    exact table-wide calibration `quantiles`; detectors that fit locally stay unfitted here."""
    from tradesentinel.detectors.transformer import SeriesTransformerDetector

    fitted, seconds = [], {}
    for detector in detectors:
        started = time.perf_counter()
        if isinstance(detector, StatisticalDetector):
            detector._validate()
            detector.tails_ = {name: TailModel.from_quantiles(*q) for name, q in quantiles.items()}
        elif not detector.fits_locally:
            try:
                detector.fit(series if isinstance(detector, SeriesTransformerDetector) else rows)
            except DetectorSkipped as skipped:
                log.warning("detector %s skipped: %s", detector.name, skipped.reason)
                continue
        fitted.append(detector)
        seconds[detector.name] = time.perf_counter() - started
    return fitted, seconds
