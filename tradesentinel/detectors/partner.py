"""The partner's report as a second witness: whether the partner's own report of the same trade
left its series the same way a row left its own.

A flow is reported twice, once by each side's customs. A real change in the trade (a surge, a
collapse, a year held away from its level) shows in both reports; one side's booking slip, a
misdeclared value or a units mistake shows in one. An annual row's departure from the years
around it (series_signals' `local`, in its series' noise) is judged on four neighbouring years,
so its test is weak; the partner's departure in the same year, judged in the partner's own
series and noise, is an independent second measurement of it. Score = the smaller of the two
departures where both point the same way, else 0 (no mirror row, or one side only moved).

It corroborates, like the models (`corroborates`), but as a witness (`witness`): the ensemble
counts it on its own rather than in the models' median (ensemble step 2), so it sharpens the
statistical test's findings and never raises a row the test does not find.

Annual rows only. In monthly data the months around give the tests their power, and the two
sides' months move together for reasons of timing (a shipment booked a month apart), so the
partner's month added little: on the monthly tuning world it cost 0.011 AP, while on the annual
ones it added 0.03-0.05 (docs/detectors.md). A table without annual rows that have a mirror
report skips the detector.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradesentinel.detectors.base import BaseDetector, DetectorSkipped, empty_reasons
from tradesentinel.detectors.series_signals import frequencies, from_mirror, series_signals
from tradesentinel.detectors.signals import Signal


def agreement(own: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """min(|own|, |partner|) where both departures point the same way (and both exist), else 0."""
    with np.errstate(invalid="ignore"):
        same = (np.sign(own) == np.sign(partner)) & np.isfinite(own) & np.isfinite(partner)
        return np.where(same, np.fmin(np.abs(own), np.abs(partner)), 0.0)


class PartnerDetector(BaseDetector):
    """The partner's report as a second witness of an annual row's departure (module docstring)."""

    name = "partner"
    family = "value"
    corroborates = True
    witness = True

    def __init__(self) -> None:  # nothing to set: the departures come from the table itself
        pass

    def _signals(self, features: pl.DataFrame) -> pl.DataFrame:
        """The table's series signals (their `mirror_row` matches each row to its partner's report),
        derived once per table for fitting, scoring and explaining it."""
        return self.remembered(features, series_signals)

    def _fit(self, features: pl.DataFrame) -> None:
        annual = (frequencies(features) == "A").to_numpy()
        if not annual.any():  # checked before the signals: a monthly table costs nothing
            raise DetectorSkipped(self.name, "no annual rows (the partner's month is not used)")
        mirror = self._signals(features)["mirror_row"].to_numpy()
        witnessed = int((annual & (mirror >= 0)).sum())
        if witnessed == 0:
            raise DetectorSkipped(self.name, "no annual row has its partner's report of the same trade")
        self.witnessed_ = witnessed

    def _departures(self, features: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
        """(each annual row's departure from the years around it, its mirror row's, the signals),
        NaN where the row or its mirror is not annual."""
        signals = self._signals(features)
        annual = (frequencies(features) == "A").to_numpy()
        own = np.where(annual, signals["z_local"].to_numpy(), np.nan)
        return own, from_mirror(own, signals["mirror_row"].to_numpy()), signals

    def _score(self, features: pl.DataFrame) -> np.ndarray:
        own, partner, _ = self._departures(features)
        return agreement(own, partner)

    def _reasons(self, features: pl.DataFrame, rows: np.ndarray) -> pl.DataFrame:
        own, partner, signals = self._departures(features)
        mirror = signals["mirror_row"].to_numpy()
        magnitude = agreement(own[rows], partner[rows])
        keep = magnitude > 0
        if not keep.any():
            return empty_reasons()
        rows, at, magnitude = rows[keep], mirror[rows[keep]], magnitude[keep]
        local, run = np.abs(own[rows]), np.abs(signals["z_run"].to_numpy()[rows])
        year = pl.col("period").dt.year()
        return pl.DataFrame(
            {
                "row": rows,
                "detector": self.name,
                "signal": np.where(run >= 0.5 * local, Signal.LEVEL_SHIFT.value, Signal.SPIKE.value),
                "label": "the partner's report of the same trade, vs its years around",
                "feature": "mirror_value_usd",
                "observed": features["value_usd"].to_numpy()[at],
                "expected": signals["exp_local"].to_numpy()[at],
                "unit": "USD",
                "magnitude": magnitude,
            }
        ).with_columns(
            features[at]
            .select(
                pl.format(
                    "vs {}..{} without {}, in {}'s report of the same trade (this side moved the same way)",
                    year - 2,
                    year + 2,
                    year,
                    "reporter",
                ).alias("comparison")
            )
            .to_series()
        )
