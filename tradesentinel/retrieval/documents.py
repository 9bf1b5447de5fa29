"""Evidence documents: tables (scores, HS codes, sanctions, news) -> one short factual text per row.

Every document has a stable id (the same row gives the same id on every run, so re-indexing is
incremental), its text, and metadata: kind, countries (ISO3), hs_code, date, source, url, plus
collection-specific keys in `extra` (JSON). Pure functions of their input tables, built by polars
expressions over whole columns, with no Python loop per row (issue #17): an anomaly's amounts are written
as `amount_words` writes them by `detectors.amount_columns`, its reasons and detector scores as long
tables joined back per flow.
"""

from __future__ import annotations

import polars as pl

from tradesentinel.detectors.amount_columns import amount_words_series, fixed_series, significant_series
from tradesentinel.detectors.signals import KINDS, Signal, classify_expr, describe
from tradesentinel.retrieval.doc_exprs import (
    country_name_expr,
    country_words,
    hs_words_expr,
    json_escapes,
    json_number,
    json_object,
    json_text,
    names_of,
    present,
)

DOCS: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "collection": pl.String(),
    "text": pl.String(),
    "kind": pl.String(),
    "countries": pl.List(pl.String()),
    "hs_code": pl.String(),
    "date": pl.Date(),
    "source": pl.String(),
    "url": pl.String(),
    "extra": pl.String(),  # JSON object of collection-specific metadata
}
"""The columns of every document frame, whatever its collection."""
FLOW_WORDS = {"X": "export to", "M": "import from", "RX": "re-export to", "RM": "re-import from"}


def _column(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Series:
    """`frame`'s column `name`, or nulls where it has none (features stored before the column existed)."""
    return frame[name] if name in frame.columns else pl.Series(name, [None] * frame.height, dtype=dtype)


def _text(field: str) -> pl.Expr:
    """A String column as an f-string writes it: a missing value as "None"."""
    return pl.col(field).fill_null("None")


def _upper_first(text: pl.Expr) -> pl.Expr:
    """`text` with its first character in upper case (a reason's label starts its sentence)."""
    return text.str.slice(0, 1).str.to_uppercase() + text.str.slice(1)


def _per_row(height: int, long: pl.DataFrame, text: str, separator: str) -> pl.Series:
    """The `text` of `long`'s rows joined per `row` (0..height-1, in order); null for a row without any."""
    joined = long.group_by("row", maintain_order=True).agg(pl.col(text).str.join(separator))
    rows = pl.DataFrame({"row": pl.int_range(height, dtype=pl.UInt32, eager=True)})
    return rows.join(joined, on="row", how="left", maintain_order="left")[text]


def _reason_sentences(kept: pl.Series, most: int = 3) -> pl.Series:
    """Each row's first `most` reasons as sentences, joined: what was compared, observed against expected,
    the reference, who ("Value vs ...: observed USD 4.2 million against USD 300.0 thousand expected (...).").
    Null for a row without reasons. The reasons are written as one long table, one row per reason."""
    long = (
        pl.DataFrame({"reason": kept.list.head(most)})
        .with_row_index("row")
        .explode("reason")
        .filter(pl.col("reason").is_not_null())
        .unnest("reason")
    )
    words = amount_words_series(
        pl.concat([long["observed"], long["expected"]]), pl.concat([long["unit"]] * 2)
    )
    long = long.with_columns(said=words.head(long.height), expected_said=words.tail(long.height))
    label = _text("label")
    where = pl.lit(" (") + _text("comparison") + pl.lit(", ") + _text("detector") + pl.lit(")")
    sentence = (
        pl.when(pl.col("observed").is_null())
        .then(label + where)
        .when(pl.col("expected").is_null())
        .then(label + pl.lit(": ") + pl.col("said") + where)
        .otherwise(
            label
            + pl.lit(": observed ")
            + pl.col("said")
            + pl.lit(" against ")
            + pl.col("expected_said")
            + pl.lit(" expected")
            + where
        )
    )
    long = long.with_columns(sentence=_upper_first(sentence) + pl.lit("."))
    return _per_row(kept.len(), long, "sentence", " ")


def _detector_scores(ranked: pl.DataFrame, columns: list[str]) -> pl.Series:
    """ "Detector scores: statistical 12.34, sanctions 1.00.": every detector's score, highest first (equal
    scores in column order, as Python's stable sort leaves them), two decimals; one without a score is left out."""
    if not columns:
        return pl.Series(["Detector scores: ."] * ranked.height, dtype=pl.String)
    long = (
        ranked.select([pl.col(c).cast(pl.Float64).alias(c.removeprefix("score_")) for c in columns])
        .with_row_index("row")
        .unpivot(index="row", variable_name="name", value_name="value")  # column by column
        .filter(pl.col("value").is_not_null())
        .sort(["row", "value"], descending=[False, True], maintain_order=True)
    )
    long = long.with_columns(said=pl.col("name") + pl.lit(" ") + fixed_series(long["value"], 2))
    listed = _per_row(ranked.height, long, "said", ", ").fill_null("")
    return "Detector scores: " + listed + "."


def _descriptions(hs_codes: pl.DataFrame, codes: pl.Series) -> dict[str, str]:
    """The descriptions of `codes` and of their 4- and 2-digit prefixes (all a document names), as an
    f-string writes them (a missing one as "None"): a few hundred codes to look up, not the 7,000."""
    wanted = pl.concat([codes, codes.str.slice(0, 4), codes.str.slice(0, 2)]).drop_nulls().unique()
    found = hs_codes.filter(pl.col("hs_code").is_in(wanted.implode()))
    return {code: str(text) for code, text in zip(found["hs_code"], found["description"], strict=True)}


def _year_month(period: pl.Expr) -> pl.Expr:
    """ "2023-03" as Python's f"{day:%Y-%m}" writes it (a year before 1000 without leading zeros)."""
    return pl.format("{}-{}", period.dt.year(), period.dt.strftime("%m"))


def _period_words(period: pl.Expr, freq: pl.Expr) -> pl.Expr:
    """ "period 2023-03 (March 2023)" for a month's trade; "year 2010 (annual total)" for a year's."""
    annual = pl.format("year {} (annual total)", period.dt.year())
    monthly = pl.format("period {} ({} {})", _year_month(period), period.dt.strftime("%B"), period.dt.year())
    return pl.when(freq == "A").then(annual).otherwise(monthly)


def _ranked(
    scores: pl.DataFrame, features: pl.DataFrame, links: pl.DataFrame | None, top: int
) -> pl.DataFrame:
    """The `top` ranked flows in rank order, with the features (and sanctions links) their documents name."""
    ranked = scores.filter(pl.col("rank") <= top).sort("rank")
    wanted = ["flow_id", "freq", "value_usd", "mirror_value_usd", "mirror_gap", "is_new_corridor", "source"]
    ranked = ranked.join(
        features.select([c for c in wanted if c in features.columns]),
        on="flow_id",
        how="left",
        maintain_order="left",
    )
    if links is not None:
        ranked = ranked.join(links, on="flow_id", how="left", maintain_order="left")
    return ranked


def _headline(ranked: pl.DataFrame, descriptions: dict[str, str], names: dict[str, str]) -> pl.Expr:
    """ "Anomaly rank 4, score 0.850, <kind in words>: who, what (HS words), when." (DEMO data said first)."""
    who = pl.concat_str(
        country_name_expr(pl.col("reporter"), names),
        pl.format(" ({}) ", "reporter"),
        pl.col("flow").replace(FLOW_WORDS),
        pl.lit(" "),
        country_name_expr(pl.col("partner"), names),
        pl.format(" ({})", "partner"),
    )
    kinds = {kind: describe(kind) for kind in KINDS}
    return pl.concat_str(
        pl.when(pl.col("_source") == "demo").then(pl.lit("DEMO data (synthetic). ")).otherwise(pl.lit("")),
        pl.format("Anomaly rank {}, score {}, ", "rank", "_score"),
        pl.col("_kind").replace_strict(kinds, return_dtype=pl.String),
        pl.lit(": "),
        who,
        pl.lit(", "),
        hs_words_expr(pl.col("hs_code"), descriptions),
        pl.lit(", "),
        _period_words(pl.col("period"), pl.col("_freq")),
        pl.lit("."),
    )


def _mirror(ranked: pl.DataFrame, names: dict[str, str]) -> pl.Series:
    """ "Mirror: <partner> reports USD 21.0 million (this report is 110 times the mirror)." where known."""
    value = _column(ranked, "mirror_value_usd", pl.Float64)
    gap = _column(ranked, "mirror_gap", pl.Float64)
    frame = pl.DataFrame(
        {
            "known": value.is_not_null() & gap.is_not_null(),
            "partner": ranked["partner"],
            "reports": amount_words_series(value, "USD"),
            "ratio": significant_series(gap.exp()),
        }
    )
    said = pl.format(
        "Mirror: {} reports {} (this report is {} times the mirror).",
        country_name_expr(pl.col("partner"), names),
        "reports",
        "ratio",
    )
    return frame.select(pl.when("known").then(said).alias("mirror"))["mirror"]


def _sanctions_links() -> pl.Expr:
    """ "Sanctions entries located in KAZ or RUS: 12, e.g. a; b; c." where `links` found any."""
    found = pl.format(
        "Sanctions entries located in {} or {}: {}, e.g. {}.", "reporter", "partner", "_n_linked", "_linked"
    )
    return pl.when(pl.col("_n_linked").fill_null(0) != 0).then(found)


def _extra(ranked: pl.DataFrame) -> pl.Series:
    """The anomaly's metadata as json.dumps writes the dict the row loop wrote (keys in that order)."""
    strings = ["flow_id", "reporter", "partner", "flow", "_period", "_detectors", "_linked"]
    escapes = json_escapes([ranked[c] for c in strings])
    text = {c: json_text(pl.col(c), escapes) for c in strings}
    extra = json_object(
        {
            "flow_id": text["flow_id"],
            "rank": pl.col("_rank_json"),
            "score": pl.col("_score_json"),
            "reporter": text["reporter"],
            "partner": text["partner"],
            "flow": text["flow"],
            "period": text["_period"],
            "detectors": text["_detectors"],
            "sanctions_links": text["_linked"],
        }
    )
    numbered = ranked.with_columns(
        _rank_json=json_number(ranked["rank"]), _score_json=json_number(ranked["score"])
    )
    return numbered.select(extra.alias("extra"))["extra"]


def _kept_reasons(ranked: pl.DataFrame) -> pl.DataFrame:
    """`ranked` with its reasons other than context (`_kept`), its kind, detectors and period, and the
    optional feature and link columns under fixed names (nulls where the tables lack them)."""
    signal = pl.element().struct.field("signal")
    kept = pl.col("reasons").list.eval(pl.element().filter(signal.ne_missing(Signal.CONTEXT.value)))
    detectors = pl.col("_kept").list.eval(pl.element().struct.field("detector")).list.unique().list.sort()
    return ranked.with_columns(kept.alias("_kept")).with_columns(
        classify_expr("_kept").alias("_kind"),
        detectors.list.join(",").fill_null("").alias("_detectors"),
        _column(ranked, "linked", pl.List(pl.String)).list.join("; ").fill_null("").alias("_linked"),
        _column(ranked, "n_linked", pl.UInt32).alias("_n_linked"),
        _year_month(pl.col("period")).alias("_period"),
        _column(ranked, "freq", pl.String).alias("_freq"),
        _column(ranked, "source", pl.String).alias("_source"),
        _column(ranked, "is_new_corridor", pl.Boolean)
        .cast(pl.Boolean)
        .fill_null(False)
        .alias("_new_corridor"),
    )


def anomaly_documents(
    scores: pl.DataFrame,
    features: pl.DataFrame,
    hs_codes: pl.DataFrame,
    links: pl.DataFrame | None = None,
    top: int = 2000,
) -> pl.DataFrame:
    """The `top` ranked flows as documents: who, what, when, observed vs expected, mirror gap, detectors, score.

    `links` (flow_id, n_linked, linked) adds the sanctions entries located in either country.
    """
    ranked = _ranked(scores, features, links, top)
    if ranked.height == 0:
        return pl.DataFrame(schema=DOCS)
    ranked = _kept_reasons(ranked)
    descriptions = _descriptions(hs_codes, ranked["hs_code"])
    names = names_of(ranked.select(pl.concat_list("reporter", "partner").alias("codes"))["codes"])
    ranked = ranked.with_columns(
        _score=fixed_series(ranked["score"], 3),
        _reasons=_reason_sentences(ranked["_kept"]),
        _mirror=_mirror(ranked, names),
        _detector_scores=_detector_scores(ranked, [c for c in scores.columns if c.startswith("score_")]),
    )
    text = pl.concat_str(
        _headline(ranked, descriptions, names),
        pl.col("_reasons"),
        pl.col("_mirror"),
        pl.when("_new_corridor").then(pl.lit("New corridor: no trade in this HS code between them before.")),
        pl.col("_detector_scores"),
        pl.format("Flow id {}.", "flow_id"),
        _sanctions_links(),
        separator=" ",
        ignore_nulls=True,
    )
    source = pl.col("_source")
    return as_docs(
        ranked.with_columns(
            pl.format("anomaly:{}", "flow_id").alias("doc_id"),
            pl.lit("anomalies").alias("collection"),
            text.alias("text"),
            pl.col("_kind").alias("kind"),
            pl.concat_list("reporter", "partner").alias("countries"),
            pl.col("period").alias("date"),
            pl.when(source.fill_null("") == "").then(pl.lit("scores")).otherwise(source).alias("source"),
            pl.lit(None, dtype=pl.String).alias("url"),
            _extra(ranked).alias("extra"),
        )
    )


def hs_in_use(hs_codes: pl.DataFrame, traded: pl.Series) -> pl.DataFrame:
    """The HS codes that are traded codes or their ancestors (a heading of a traded subheading...)."""
    prefixes = {
        code[:n] for code in traded.drop_nulls().unique().to_list() for n in (2, 4, 6) if len(code) >= n
    }
    return hs_codes.filter(pl.col("hs_code").is_in(sorted(prefixes)))


def as_docs(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame`'s DOCS columns in order and with their types."""
    return frame.select([pl.col(c).cast(t) for c, t in DOCS.items()])


def hs_documents(hs_codes: pl.DataFrame) -> pl.DataFrame:
    """One document per HS2/HS4/HS6 code: its description and its parents' descriptions."""
    if hs_codes.height == 0:
        return pl.DataFrame(schema=DOCS)
    descriptions = dict(zip(hs_codes["hs_code"], hs_codes["description"], strict=True))
    code, level = pl.col("hs_code"), pl.col("level").cast(pl.Int64)
    word = level.replace_strict(
        {2: "chapter", 4: "heading", 6: "subheading"}, default="code", return_dtype=pl.String
    )
    parent = code.str.slice(0, level - 2)
    text = pl.concat_str(
        pl.lit("HS "),
        word,
        pl.lit(" "),
        code,
        pl.lit(": "),
        pl.col("description"),
        pl.lit("."),
        pl.when(level > 2).then(pl.lit(" Part of ") + hs_words_expr(parent, descriptions) + pl.lit(".")),
        ignore_nulls=True,
    )
    return as_docs(
        hs_codes.with_columns(
            pl.concat_str(pl.lit("hs:"), code).alias("doc_id"),
            pl.lit("hs_codes").alias("collection"),
            text.alias("text"),
            pl.concat_str(pl.lit("hs"), level.cast(pl.String)).alias("kind"),
            pl.lit([], dtype=pl.List(pl.String)).alias("countries"),
            pl.lit(None, dtype=pl.Date).alias("date"),
            pl.col("hs_version").alias("source"),
            pl.lit(None, dtype=pl.String).alias("url"),
            pl.struct(level.alias("level"), pl.col("parent")).struct.json_encode().alias("extra"),
        )
    )


def sanctions_documents(sanctions: pl.DataFrame) -> pl.DataFrame:
    """One document per listed party: names, aliases, programmes, countries, addresses, identifiers."""
    if sanctions.height == 0:
        return pl.DataFrame(schema=DOCS)
    frame = sanctions.with_columns(
        pl.col("countries").list.eval(pl.element().filter(pl.element().fill_null("") != "")).fill_null([])
    )
    names = names_of(frame["countries"])

    def listed(column: str, label: str, separator: str, most: int | None = None) -> pl.Expr:
        values = pl.col(column).list.head(most) if most else pl.col(column)
        return pl.when(present(column)).then(pl.lit(label) + values.list.join(separator) + pl.lit("."))

    demo = pl.col("list") == "DEMO"
    text = pl.concat_str(
        pl.when(demo).then(pl.lit("FICTITIOUS DEMO entry, not a real listing. ")).otherwise(pl.lit("")),
        pl.format("{} sanctions list entry {}: {} ({}).", "list", "entry_id", "name", "entity_type"),
        listed("aliases", " Also known as: ", "; ", 20),
        listed("programmes", " Programmes: ", ", "),
        pl.when(present("countries")).then(
            pl.lit(" Countries: ") + country_words(pl.col("countries"), names) + pl.lit(".")
        ),
        listed("addresses", " Addresses: ", " | ", 5),
        listed("identifiers", " Identifiers: ", "; ", 5),
        pl.when(pl.col("listed_on").is_not_null()).then(
            pl.lit(" Listed on ") + pl.col("listed_on").dt.strftime("%Y-%m-%d") + pl.lit(".")
        ),
        pl.when(pl.col("remarks").fill_null("") != "").then(
            pl.lit(" Remarks: ") + pl.col("remarks").str.slice(0, 500)
        ),
        ignore_nulls=True,
    )
    extra = pl.struct(
        "list",
        "entry_id",
        "name",
        "entity_type",
        pl.col("aliases").list.join("; ").fill_null("").alias("aliases"),
        pl.col("programmes").list.join(", ").fill_null("").alias("programmes"),
        pl.lit("listed").alias("status"),
    ).struct.json_encode()
    return as_docs(
        frame.with_columns(
            pl.format("sanctions:{}:{}", "list", "entry_id").alias("doc_id"),
            pl.lit("sanctions").alias("collection"),
            text.alias("text"),
            pl.col("list").alias("kind"),
            pl.lit(None, dtype=pl.String).alias("hs_code"),
            pl.col("listed_on").alias("date"),
            pl.lit(None, dtype=pl.String).alias("url"),
            extra.alias("extra"),
        )
    )


def news_documents(news: pl.DataFrame, mentions: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """One document per news item: date, title, countries; `mentions` adds listed names it names."""
    if news.height == 0:
        return pl.DataFrame(schema=DOCS)
    named = pl.DataFrame(
        {"news_id": list((mentions or {}).keys()), "named": list((mentions or {}).values())},
        schema={"news_id": pl.String, "named": pl.List(pl.String)},
    )
    frame = news.with_columns(
        pl.col("countries").list.eval(pl.element().filter(pl.element().fill_null("") != "")).fill_null([])
    ).join(named, on="news_id", how="left", maintain_order="left")
    names = names_of(frame["countries"])
    text = pl.concat_str(
        pl.when(pl.col("source") == "demo").then(pl.lit("FICTITIOUS DEMO news item. ")).otherwise(pl.lit("")),
        pl.lit("News "),
        pl.col("date").dt.strftime("%Y-%m-%d"),
        pl.lit(": "),
        pl.col("title").str.strip_chars_end("."),
        pl.lit("."),
        pl.when(present("countries")).then(
            pl.lit(" Countries: ") + country_words(pl.col("countries"), names) + pl.lit(".")
        ),
        pl.when(present("named")).then(
            pl.lit(" Names matching sanctions entries: ") + pl.col("named").list.join("; ") + pl.lit(".")
        ),
        ignore_nulls=True,
    )
    extra = pl.struct(
        "news_id", "title", "tone", pl.col("named").list.join("; ").fill_null("").alias("sanctions_matches")
    ).struct.json_encode()
    return as_docs(
        frame.with_columns(
            pl.concat_str(pl.lit("news:"), pl.col("news_id")).alias("doc_id"),
            pl.lit("news").alias("collection"),
            text.alias("text"),
            pl.col("source").alias("kind"),
            pl.lit(None, dtype=pl.String).alias("hs_code"),
            extra.alias("extra"),
        )
    )
