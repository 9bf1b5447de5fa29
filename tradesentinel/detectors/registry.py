"""The detectors `tradesentinel score` can run, by name, built from a seed and the reference lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tradesentinel.detectors.base import BaseDetector
from tradesentinel.detectors.boosted import BoostedDetector
from tradesentinel.detectors.classical import ClassicalDetector
from tradesentinel.detectors.diversion import DiversionDetector
from tradesentinel.detectors.exposure import Exposure
from tradesentinel.detectors.partner import PartnerDetector
from tradesentinel.detectors.sanctions import SanctionsExposureDetector
from tradesentinel.detectors.statistical import StatisticalDetector
from tradesentinel.detectors.transformer import SeriesTransformerDetector
from tradesentinel.errors import InvalidArgumentError


@dataclass(frozen=True)
class Setup:
    """What detectors are built with: the seed of every random choice, and the reference lists
    (None: the shipped ones)."""

    seed: int = 0
    exposure: Exposure | None = None


FACTORIES: dict[str, Callable[[Setup], BaseDetector]] = {
    "statistical": lambda s: StatisticalDetector(s.exposure),
    "partner": lambda s: PartnerDetector(),
    "sanctions": lambda s: SanctionsExposureDetector(s.exposure),
    "diversion": lambda s: DiversionDetector(s.exposure),
    "lightgbm": lambda s: BoostedDetector("lightgbm", seed=s.seed),
    "xgboost": lambda s: BoostedDetector("xgboost", seed=s.seed),
    "iforest": lambda s: ClassicalDetector("iforest", seed=s.seed),
    "ecod": lambda s: ClassicalDetector("ecod", seed=s.seed),
    "ocsvm": lambda s: ClassicalDetector("ocsvm", seed=s.seed),
    "transformer": lambda s: SeriesTransformerDetector(seed=s.seed),
}
DEFAULT = tuple(FACTORIES)


def build_detectors(
    names: list[str] | tuple[str, ...] = DEFAULT, seed: int = 0, exposure: Exposure | None = None
) -> list[BaseDetector]:
    """Detector instances for `names`; an unknown name is an error listing the known ones."""
    unknown = [n for n in names if n not in FACTORIES]
    if unknown:
        raise InvalidArgumentError(
            "detectors", f"unknown detector(s) {', '.join(unknown)}: choose from {', '.join(FACTORIES)}"
        )
    setup = Setup(seed, exposure)
    return [FACTORIES[name](setup) for name in names]
