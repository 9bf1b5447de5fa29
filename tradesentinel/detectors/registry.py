"""The detectors `tradesentinel score` can run, by name, built from settings."""

from __future__ import annotations

from collections.abc import Callable

from tradesentinel.detectors.base import Detector
from tradesentinel.detectors.boosted import BoostedDetector
from tradesentinel.detectors.classical import ClassicalDetector
from tradesentinel.detectors.statistical import SanctionsExposureDetector, StatisticalDetector
from tradesentinel.detectors.transformer import SeriesTransformerDetector
from tradesentinel.errors import InvalidArgumentError

FACTORIES: dict[str, Callable[[int], Detector]] = {
    "statistical": lambda seed: StatisticalDetector(),
    "sanctions": lambda seed: SanctionsExposureDetector(),
    "lightgbm": lambda seed: BoostedDetector("lightgbm", seed=seed),
    "xgboost": lambda seed: BoostedDetector("xgboost", seed=seed),
    "iforest": lambda seed: ClassicalDetector("iforest", seed=seed),
    "ecod": lambda seed: ClassicalDetector("ecod", seed=seed),
    "ocsvm": lambda seed: ClassicalDetector("ocsvm", seed=seed),
    "transformer": lambda seed: SeriesTransformerDetector(seed=seed),
}
DEFAULT = tuple(FACTORIES)


def build_detectors(names: list[str] | tuple[str, ...] = DEFAULT, seed: int = 0) -> list[Detector]:
    """Detector instances for `names`; an unknown name is an error listing the known ones."""
    unknown = [n for n in names if n not in FACTORIES]
    if unknown:
        raise InvalidArgumentError(
            "detectors", f"unknown detector(s) {', '.join(unknown)}: choose from {', '.join(FACTORIES)}"
        )
    return [FACTORIES[name](seed) for name in names]
