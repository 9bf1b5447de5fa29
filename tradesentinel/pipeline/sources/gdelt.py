"""GDELT 2.0: the 15-minute Events export (61 tab-separated columns, no header) and the DOC 2.0 API
article list (JSON), both into the `news` table.

Events become one-line summaries ("CANADA consult VICTORIA, in Vancouver, ..."), dated by SQLDATE,
with countries from the actors' CAMEO codes (ISO3 where they are one) and the three geographies'
FIPS 10-4 codes mapped to ISO3. The export ships zipped; `read_gdelt_events` reads the .zip too.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from tradesentinel.errors import InputError
from tradesentinel.pipeline.ids import content_digest
from tradesentinel.pipeline.sources.files import read_json, read_strict_csv
from tradesentinel.pipeline.sources.geo import fips_table, iso3_from_name
from tradesentinel.reference import valid_iso3
from tradesentinel.schema import NEWS, conform

_ACTOR = (
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
)
_GEO = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")
EVENT_COLUMNS = (
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    *(f"Actor1{c}" for c in _ACTOR),
    *(f"Actor2{c}" for c in _ACTOR),
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    *(f"{who}Geo_{c}" for who in ("Actor1", "Actor2", "Action") for c in _GEO),
    "DATEADDED",
    "SOURCEURL",
)
"""The 61 columns of a GDELT 2.0 Events export, in order (GDELT Event Codebook V2.0)."""
CAMEO_ROOTS = {
    "01": "made a public statement about",
    "02": "appealed to",
    "03": "expressed intent to cooperate with",
    "04": "consulted",
    "05": "engaged in diplomatic cooperation with",
    "06": "engaged in material cooperation with",
    "07": "provided aid to",
    "08": "yielded to",
    "09": "investigated",
    "10": "made demands of",
    "11": "disapproved of",
    "12": "rejected",
    "13": "threatened",
    "14": "protested against",
    "15": "exhibited force posture toward",
    "16": "reduced relations with",
    "17": "coerced",
    "18": "assaulted",
    "19": "fought",
    "20": "used unconventional mass violence against",
}
"""CAMEO root event codes as verbs, for the one-line event summary."""
GEO_COUNTRIES = ("Actor1Geo_CountryCode", "Actor2Geo_CountryCode", "ActionGeo_CountryCode")
USED = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "EventCode",
    "EventRootCode",
    "AvgTone",
    *GEO_COUNTRIES,
    "ActionGeo_FullName",
    "SOURCEURL",
)
"""The columns the news table is built from (the others are tokenised and checked, not converted)."""


def _bytes(path: Path) -> bytes:
    """The export's bytes; a .zip holds one .CSV member as GDELT publishes it."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if not names:
                    raise InputError(path, "the zip holds no .CSV export")
                return archive.read(names[0])
        return path.read_bytes()
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(path, f"cannot read the file: {exc}") from None


def read_events_raw(path: Path) -> pl.DataFrame:
    """The export's used columns (USED) as strings; InputError naming the first row without 61 fields."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    data = _bytes(path)
    if not data.strip():
        raise InputError(path, "the file is empty")
    table = read_strict_csv(
        data,
        path,
        read_options=pacsv.ReadOptions(use_threads=False, column_names=list(EVENT_COLUMNS), encoding="utf8"),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(USED, pa.string()), include_columns=list(USED)
        ),
        ragged_message=lambda bad: (
            f"malformed or truncated: the row has {bad.actual_columns} tab-separated "
            f"field(s), a GDELT 2.0 event has {len(EVENT_COLUMNS)}"
        ),
        what="export",
        delimiter="\t",
        quote_char=False,
    )
    if not data.endswith(b"\n"):  # GDELT ends every line, the last one included, with a newline
        raise InputError(path, "truncated: the last line has no line end", row=table.num_rows)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    empty_as_null = [pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in USED]
    return frame.with_columns(empty_as_null).with_row_index("_row", offset=1)


COUNTRY_CODES = [*GEO_COUNTRIES, "Actor1CountryCode", "Actor2CountryCode"]


def _countries(frame: pl.DataFrame) -> pl.DataFrame:
    """ISO3 list of each distinct combination of the five country codes (a few thousand at most)."""
    fips, iso = fips_table(), valid_iso3()
    combos = frame.select(COUNTRY_CODES).unique()
    lists = [
        list(
            dict.fromkeys(
                c for c in [*(fips.get(g) for g in row[:3] if g), *(a for a in row[3:] if a in iso)] if c
            )
        )
        for row in combos.iter_rows()
    ]
    series = pl.from_arrow(pa.array(lists, type=pa.list_(pa.string())))  # much faster than pl.Series(lists)
    return combos.with_columns(series.alias("_countries"))


def _check(path: Path, frame: pl.DataFrame, column: str, parsed: pl.Expr) -> None:
    bad = frame.filter(parsed.is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise InputError(path, f"unparsable {column} {row[column]!r}", row=int(row["_row"]), field=column)


def events_news(frame: pl.DataFrame, *, path: Path | str = "events") -> pl.DataFrame:
    """The `news` table from raw export rows (as `read_events_raw` returns them)."""
    path = Path(path)
    when = pl.col("SQLDATE").str.to_date("%Y%m%d", strict=False)
    tone = pl.col("AvgTone").cast(pl.Float64, strict=False)
    _check(path, frame, "SQLDATE", when)
    _check(path, frame, "GLOBALEVENTID", pl.col("GLOBALEVENTID").cast(pl.Int64, strict=False))
    actor = lambda n: pl.coalesce(pl.col(f"Actor{n}Name"), pl.col(f"Actor{n}Code"))
    verb = pl.col("EventRootCode").replace_strict(CAMEO_ROOTS, default=None, return_dtype=pl.String)
    verb = pl.coalesce(verb, pl.format("did CAMEO {}", pl.col("EventCode")))
    place = pl.when(pl.col("ActionGeo_FullName").is_not_null()).then(
        pl.format(", in {}", "ActionGeo_FullName")
    )
    title = pl.concat_str(
        pl.concat_str(
            [actor(1).fill_null("An unnamed actor"), verb, actor(2)], separator=" ", ignore_nulls=True
        ),
        place.fill_null(""),
    )
    frame = frame.join(
        _countries(frame), on=COUNTRY_CODES, how="left", nulls_equal=True, maintain_order="left"
    )
    news = frame.select(
        pl.format("gdelt-{}", "GLOBALEVENTID").alias("news_id"),
        when.alias("date"),
        title.alias("title"),
        pl.col("_countries").alias("countries"),
        pl.col("SOURCEURL").alias("url"),
        tone.alias("tone"),
        pl.lit("gdelt-events").alias("source"),
    )
    return conform(news.unique("news_id", keep="last", maintain_order=True), "news").collect()


def read_gdelt_events(path: Path) -> pl.DataFrame:
    """The `news` table from a GDELT 2.0 Events export file (.CSV or .CSV.zip)."""
    return events_news(read_events_raw(Path(path)), path=path)


def read_gdelt_doc(path: Path) -> pl.DataFrame:
    """The `news` table from a GDELT DOC 2.0 API `mode=artlist&format=json` response file."""
    return doc_news(read_json(Path(path)), path=path)


def doc_news(payload: object, *, path: Path | str = "response") -> pl.DataFrame:
    """The `news` table from a parsed DOC 2.0 artlist response ({"articles": [...]})."""
    if not isinstance(payload, dict) or not isinstance(payload.get("articles", []), list):
        raise InputError(path, 'expected a JSON object with an "articles" list (mode=artlist&format=json)')
    rows = []
    for number, article in enumerate(payload.get("articles", []), start=1):
        url = article.get("url") if isinstance(article, dict) else None
        if not url:
            raise InputError(path, "an article has no url", row=number, field="url")
        seen = str(article.get("seendate") or "")
        rows.append(
            {
                "news_id": f"gdelt-doc-{content_digest(url)}",
                "date": seen[:8] or None,
                "title": article.get("title"),
                "countries": [c for c in [iso3_from_name(article.get("sourcecountry"))] if c],
                "url": url,
                "tone": article.get("tone"),
                "source": "gdelt-doc",
            }
        )
    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "date": pl.String,
            "countries": pl.List(pl.String),
            "tone": pl.Float64,
            "title": pl.String,
        },
    )
    if frame.height == 0:
        return pl.DataFrame(schema=NEWS)
    frame = frame.with_columns(pl.col("date").str.to_date("%Y%m%d", strict=False))
    return conform(frame.unique("news_id", keep="last", maintain_order=True), "news").collect()
