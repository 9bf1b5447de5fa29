"""Labelled evaluation worlds that are not the demo (issue #15).

`WORLDS` fixes every world's generator, seed and difficulty: they were written down before any
detector or ensemble rule was tuned, and are not to be changed to flatter a result. The demo
(`pipeline/demo.py`), `tune` and `tune-a` (a monthly and an annual seed of the independent
generator) are the tuning worlds:
every rule and weight of the detectors and the ensemble is set looking at them only. These are
the held-out ones, on which results are reported:

- `indep-m`: the independent generator, monthly, 2019-2023, RUS sanctioned from 2022-02-24;
- `indep-a`: the same generator, annual, 2000-2019, IRN sanctioned from 2012-01-23;
- `indep-h`: a final hold-out of the generator (monthly, 2009-2014, IRN from 2012) looked at only
  to report, never while developing;
- `indep-a2`: a second annual hold-out (2001-2020, RUS sanctioned from 2014-03-17), added on
  2026-11-30 after `indep-a` had been looked at following the annual changes, and fixed before any
  later change was tried, so annual results have a world nobody tuned on;
- `indep-a3`: a third annual hold-out (2002-2021, IRN sanctioned from 2010-06-09, earlier than the
  shipped list's 2012 date, so its own programme comes with it: `World.programmes`), added on
  2026-11-30 evening after `indep-a` and `indep-a2` had been looked at, and fixed before any
  detector was run on it;
- `deflection`: a real-shaped world after published EU statistics (value-only monthly exports of
  EU member states; HS 8542 to Russia falls while exports to Armenia, Kyrgyzstan and Kazakhstan
  surge), see `deflection.py`.

`python -m benchmarks.worlds NAME DIR` writes a world as the import CSV (`flows.csv`, for
`tradesentinel ingest csv`), `labels.csv` (for `tradesentinel evaluate --labels`) and the country
programmes its analyst works with (`programmes.csv`, for TRADESENTINEL_COUNTRY_PROGRAMMES_FILE:
the world's own sanctions programme from the day it began, `World.programmes`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from benchmarks.worlds.generate import Spec, World, build_world

DIFFICULTY = 0.5
"""The difficulty of every generated evaluation world (0 obvious .. 1 near the noise)."""

EVENTS_MONTHLY = {
    "diversion": 20,
    "level_shift": 70,
    "spike": 140,
    "unit_price": 80,
    "mirror_under": 70,
    "unit_error": 90,
}
EVENTS_ANNUAL = {
    "diversion": 15,
    "level_shift": 60,
    "spike": 100,
    "unit_price": 60,
    "mirror_under": 50,
    "unit_error": 80,
}

WORLDS: dict[str, Spec] = {
    "tune-a": Spec("tune-a", 1509, DIFFICULTY, "A", 2002, 20, 16000, "IRN", date(2012, 1, 23), EVENTS_ANNUAL),
    "tune": Spec("tune", 1510, DIFFICULTY, "M", 2019, 5, 13000, "RUS", date(2022, 2, 24), EVENTS_MONTHLY),
    "indep-m": Spec(
        "indep-m", 1511, DIFFICULTY, "M", 2019, 5, 13000, "RUS", date(2022, 2, 24), EVENTS_MONTHLY
    ),
    "indep-a": Spec(
        "indep-a", 1512, DIFFICULTY, "A", 2000, 20, 16000, "IRN", date(2012, 1, 23), EVENTS_ANNUAL
    ),
    "indep-h": Spec(
        "indep-h", 1513, DIFFICULTY, "M", 2009, 6, 11000, "IRN", date(2012, 1, 23), EVENTS_MONTHLY
    ),
    "indep-a2": Spec(
        "indep-a2", 1514, DIFFICULTY, "A", 2001, 20, 16000, "RUS", date(2014, 3, 17), EVENTS_ANNUAL
    ),
    "indep-a3": Spec(
        "indep-a3", 1515, DIFFICULTY, "A", 2002, 20, 16000, "IRN", date(2010, 6, 9), EVENTS_ANNUAL
    ),
}
"""The generated worlds, fixed before tuning: `tune-a` and `tune` (seeds 1509, 1510) and the held-out seeds 1511-1515, all at difficulty 0.5."""

NAMES = ("demo", *WORLDS, "deflection")


def load_world(name: str, scale: float = 1.0) -> World:
    """A world by name: the demo (at `scale`), a generated one, or the real-shaped deflection world."""
    if name == "demo":
        from tradesentinel.pipeline.demo import build_demo_world

        demo = build_demo_world(scale=scale)
        spec = Spec("demo", 20240601, 0.0, "M", 2020, 5, 8000, "RUS", date(2022, 2, 24))
        return World(spec, demo.flows, demo.labels)
    if name == "deflection":
        from benchmarks.worlds.deflection import build_deflection_world

        return build_deflection_world(scale=scale)
    if name not in WORLDS:
        raise KeyError(f"unknown world {name!r}: choose from {', '.join(NAMES)}")
    return build_world(WORLDS[name], scale=scale)


def write_world(world: World, directory: Path) -> tuple[Path, Path, Path]:
    """The world as an import CSV (`flows.csv`), a labels CSV (`labels.csv`) and its country
    programmes (`programmes.csv`) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    annual = world.spec.freq == "A"
    period = pl.col("period").dt.strftime("%Y" if annual else "%Y-%m")
    flows = world.flows.select(
        period.alias("period"),
        "reporter",
        "partner",
        "flow",
        "hs_code",
        "value_usd",
        "net_weight_kg",
        "qty",
        "qty_unit",
    )
    labels = world.labels.select(period.alias("period"), "reporter", "partner", "flow", "hs_code", "kind")
    flows.write_csv(directory / "flows.csv")
    labels.write_csv(directory / "labels.csv")
    world.programmes.write_csv(directory / "programmes.csv")
    return directory / "flows.csv", directory / "labels.csv", directory / "programmes.csv"
