"""Map geometry: country centroids from the bundled world map, great-circle paths between them, and
paths broken at the antimeridian so no line wraps across the map."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
ARC_POINTS = 24
"""Points along each drawn arc."""


@lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    """ISO3 -> (lon, lat) of each country's centroid, read once from the bundled world map."""
    topology = json.loads((ASSETS / "world_110m.json").read_text())
    return {
        g["id"]: tuple(g["properties"]["ct"])
        for g in topology["objects"]["countries"]["geometries"]
        if g.get("id") and g.get("properties", {}).get("ct")
    }


def great_circle(
    a: tuple[float, float], b: tuple[float, float], n: int = ARC_POINTS
) -> list[tuple[float, float]]:
    """n points (lon, lat) along the shorter great circle from a to b."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    p1 = (math.cos(lat1) * math.cos(lon1), math.cos(lat1) * math.sin(lon1), math.sin(lat1))
    p2 = (math.cos(lat2) * math.cos(lon2), math.cos(lat2) * math.sin(lon2), math.sin(lat2))
    omega = math.acos(max(-1.0, min(1.0, sum(x * y for x, y in zip(p1, p2, strict=True)))))
    if omega < 1e-9:
        return [a] * n
    points = []
    for i in range(n):
        t = i / (n - 1)
        s1, s2 = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
        x, y, z = (s1 * u + s2 * v for u, v in zip(p1, p2, strict=True))
        points.append((math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))))
    return points


def split_at_antimeridian(points: list[tuple[float, float]]) -> tuple[list[float | None], list[float | None]]:
    """lon and lat lists with a gap (None) where the path crosses 180 degrees, so no line wraps the map."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for i, (lon, lat) in enumerate(points):
        if i and abs(lon - points[i - 1][0]) > 180:
            lons.append(None)
            lats.append(None)
        lons.append(lon)
        lats.append(lat)
    return lons, lats
