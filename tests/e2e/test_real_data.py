"""The real files of ../shared/data/real end to end, as a user runs them (issue #14).

Every real file (Comtrade Plus-era comtradr monthly smartphones of Armenia, the CEPII BACI sample,
the legacy-API annual sawnwood of every reporter, the legacy bulk India-China 2010 file, the US
Census monthly seafood imports) goes into ONE data dir with `tradesentinel ingest file`: a table
mixing annual and monthly rows. Then features, every registered detector, the evidence index (the
real embedding model), one explanation and one question (the embedded answer model).

What is checked is computed here from the raw files with plain polars, not by the code under test:
values in USD (BACI's v is thousand USD, its q tonnes; Comtrade's tradevalue and Census' GEN_VAL_MO
are USD), the sawnwood export/import mirror pairs and their gaps, ranks, reason units, annual rows
worded in years, no scientific notation in what an analyst reads, citations that exist.
The whole module takes about two minutes on two busy cores; it skips where ../shared/data is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED_DATA
from tests.models import sharing_embedder
from tradesentinel.config import Settings, get_settings
from tradesentinel.detectors.base import UNITS
from tradesentinel.detectors.registry import FACTORIES
from tradesentinel.detectors.stages import ScoreReport, score_flows
from tradesentinel.retrieval.index import IndexReport, build_index
from tradesentinel.storage import read_table

REAL = SHARED_DATA / "real"
SAWNWOOD = REAL / "comtrade_annual_hs440799_allreporters_2005_2014.csv.gz"
INDIA_CHINA = REAL / "comtrade_legacy_annual_2010_india_china_H3.csv"
BACI = REAL / "baci_hs92_2021_exporters_AFG_ZAF_sample.csv"
CENSUS = REAL / "uscensus_hs6_imports_seafood_by_country_monthly_2018_2020.csv.gz"
ARMENIA = REAL / "armenia_comtrade_851713_smartphones_monthly_2022-01_2024-02_tvyal.csv"
FILES = (ARMENIA, BACI, SAWNWOOD, INDIA_CHINA, CENSUS)
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
MONTH_WORDS = re.compile(r"same month|12-month|HS-month|\b(?:19|20)\d\d-(?:0[1-9]|1[0-2])\b")
TIERS = {"high", "medium", "review"}


@dataclass(frozen=True)
class RealWorld:
    """The data dir after the run, and what each stage reported."""

    settings: Settings
    ingest_output: str
    scored: ScoreReport
    indexed: IndexReport

    def table(self, name: str) -> pl.DataFrame:
        return read_table(self.settings.table_path(name), name).collect()


@pytest.fixture(scope="module")
def real_world(tmp_path_factory: pytest.TempPathFactory, minilm) -> Iterator[RealWorld]:
    """Ingest every real file into one data dir (the CLI), build features (the CLI), score with every
    registered detector, index the top 200 anomalies with the session's real embedding model."""
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent")
    from tradesentinel.cli import app

    data = tmp_path_factory.mktemp("real") / "data"
    with pytest.MonkeyPatch.context() as patch, sharing_embedder(minilm):
        patch.setenv("TRADESENTINEL_DATA_DIR", str(data))
        patch.setenv("TRADESENTINEL_INDEX_TOP_ANOMALIES", "200")
        get_settings.cache_clear()
        runner = CliRunner()
        ingested = runner.invoke(app, ["ingest", "file", *map(str, FILES)], catch_exceptions=False)
        assert ingested.exit_code == 0, ingested.output
        featured = runner.invoke(app, ["features"], catch_exceptions=False)
        assert featured.exit_code == 0, featured.output
        settings = get_settings()
        scored = score_flows(settings, list(FACTORIES), track=False)
        indexed = build_index(settings)
        yield RealWorld(settings, ingested.output, scored, indexed)
    get_settings.cache_clear()


def _iso3() -> dict[int, str]:
    """Comtrade's (and BACI's, M49) numeric country codes -> ISO3, from Comtrade's own reference file."""
    ref = pl.read_csv(SHARED_DATA / "comtrade" / "comtrade_ref_partner.csv", infer_schema_length=0)
    return dict(zip(ref["id"].cast(pl.Int64).to_list(), ref["iso_3"].to_list(), strict=True))


def _raw_sawnwood() -> pl.DataFrame:
    """The sawnwood file's export and import rows between two ISO3 countries, as keys and USD."""
    raw = pl.read_csv(SAWNWOOD, infer_schema_length=100_000)
    return raw.filter(
        pl.col("reporteriso").is_not_null()
        & pl.col("partneriso").is_not_null()
        & pl.col("flowcode").cast(pl.Int64).is_in([1, 2])
    ).select(
        period=pl.date(pl.col("year"), 1, 1),
        reporter="reporteriso",
        partner="partneriso",
        flow=pl.col("flowcode").cast(pl.Int64).replace_strict({1: "M", 2: "X"}),
        raw_usd=pl.col("tradevalue").cast(pl.Float64),
    )


def test_every_file_is_read_as_its_layout_and_kept(real_world):
    out = " ".join(real_world.ingest_output.split())
    for layout in (
        "old comtradr layout",
        "CEPII BACI",
        "legacy Comtrade API",
        "legacy Comtrade bulk CSV",
        "US Census international trade API",
    ):
        assert layout in out, layout
    flows = real_world.table("flows")
    assert set(flows["freq"].unique()) == {"A", "M"}  # one table mixing annual and monthly rows
    assert (
        flows.filter(pl.col("freq") == "A").height > 100_000
        and flows.filter(pl.col("freq") == "M").height > 50_000
    )


def test_values_are_usd_as_each_source_defines_them(real_world):
    flows = real_world.table("flows")
    assert flows["value_usd"].is_finite().all() and (flows["value_usd"] >= 0).all()
    weighed = flows.filter(pl.col("net_weight_kg") > 0)
    assert (weighed["net_weight_kg"].is_finite()).all()

    # BACI: v in thousand USD, q in tonnes (padded with spaces, NA), exporter i -> importer j
    iso3 = _iso3()
    baci = pl.read_csv(BACI, infer_schema_length=0).select(
        period=pl.date(pl.col("t").cast(pl.Int32), 1, 1),
        reporter=pl.col("i").cast(pl.Int64).replace_strict(iso3, default=None),
        partner=pl.col("j").cast(pl.Int64).replace_strict(iso3, default=None),
        hs_code=pl.col("k").str.zfill(6),
        v=pl.col("v").cast(pl.Float64),
        q=pl.col("q").str.strip_chars().cast(pl.Float64, strict=False),
    )
    got = baci.join(
        flows.filter(pl.col("flow") == "X"), on=["period", "reporter", "partner", "hs_code"], how="inner"
    )
    assert got.height > 0.9 * baci.height
    np.testing.assert_allclose(got["value_usd"], got["v"] * 1000, rtol=1e-9)
    tonnes = got.filter(pl.col("q").is_not_null() & pl.col("net_weight_kg").is_not_null())
    assert tonnes.height > 0.5 * got.height
    np.testing.assert_allclose(tonnes["net_weight_kg"], tonnes["q"] * 1000, rtol=1e-9)

    # legacy Comtrade sawnwood: tradevalue in USD
    sawn = _raw_sawnwood().join(
        flows.filter(pl.col("hs_code") == "440799"), on=["period", "reporter", "partner", "flow"], how="inner"
    )
    assert sawn.height > 0.95 * _raw_sawnwood().height
    matching = (sawn["value_usd"] - sawn["raw_usd"]).abs() <= 1e-9 * sawn["raw_usd"].abs()
    assert matching.mean() > 0.999  # the odd row is also in the India-China file, read after it

    # US Census: GEN_VAL_MO in USD, country rows and the total ("-") kept, country groups left out
    census = pl.read_csv(CENSUS, infer_schema_length=0).filter(pl.col("SUMMARY_LVL") == "DET")
    raw_total = census["GEN_VAL_MO"].cast(pl.Float64).sum()
    stored = flows.filter((pl.col("reporter") == "USA") & (pl.col("flow") == "M") & (pl.col("freq") == "M"))
    assert stored["value_usd"].sum() == pytest.approx(raw_total, rel=1e-9)
    assert stored["period"].min().year == 2018 and stored["period"].max().year == 2020

    # Armenia's smartphones (comtradr layout): trade_value_us in USD
    armenia = pl.read_csv(ARMENIA, infer_schema_length=0, encoding="utf8-lossy")
    raw_arm = armenia["trade_value_us"].cast(pl.Float64, strict=False).drop_nulls()
    got_arm = flows.filter((pl.col("reporter") == "ARM") & (pl.col("hs_code") == "851713"))
    assert got_arm.height > 0.9 * armenia.height
    assert got_arm["value_usd"].sum() == pytest.approx(raw_arm.sum(), rel=0.02)
    unit_values = got_arm.filter(pl.col("net_weight_kg") > 0).select(
        pl.col("value_usd") / pl.col("net_weight_kg")
    )
    assert 20 < unit_values.to_series().median() < 5_000  # smartphones: tens to thousands of USD per kg


def test_mirror_gaps_are_found_on_the_sawnwood_pairs(real_world):
    raw = _raw_sawnwood()
    exports = raw.filter(pl.col("flow") == "X").select("period", a="reporter", b="partner", x="raw_usd")
    imports = raw.filter(pl.col("flow") == "M").select("period", a="partner", b="reporter", m="raw_usd")
    pairs = exports.join(imports, on=["period", "a", "b"])
    assert pairs.height > 13_000  # the manifest counts 14,086 with the code-only reporters

    features = real_world.table("features").filter(
        (pl.col("hs_code") == "440799") & (pl.col("freq") == "A") & pl.col("flow").is_in(["X", "M"])
    )
    got = pairs.join(
        features.filter(pl.col("flow") == "M").select("period", a="partner", b="reporter", gap="mirror_gap"),
        on=["period", "a", "b"],
    )
    found = got.filter(pl.col("gap").is_not_null())
    assert found.height > 0.95 * pairs.height
    ratio = real_world.settings.cif_fob_ratio
    positive = found.filter((pl.col("x") > 0) & (pl.col("m") > 0))
    expected = (positive["m"] / (positive["x"] * ratio)).log()
    assert ((positive["gap"] - expected).abs() < 1e-6).mean() > 0.99
    exported = features.filter(pl.col("flow") == "X")["mirror_gap"].is_not_null().sum()
    assert exported > 0.95 * pairs.height  # the exporter's side sees its mirror too


def test_every_detector_scores_or_says_why_not(real_world):
    report = real_world.scored
    scores = real_world.table("scores")
    features = real_world.table("features")
    world = features.filter(pl.col("partner") == "WLD").height  # reporters' totals: context, not scored
    assert world > 0 and report.context_rows == world  # the Census file's TOTAL FOR ALL COUNTRIES rows
    assert report.n_rows == features.height - world == scores.height
    assert "WLD" not in scores["partner"].to_list()
    ran = {c.removeprefix("score_") for c in scores.columns if c.startswith("score_")}
    assert ran | set(report.notes) == set(FACTORIES), (ran, report.notes)
    for name, why in report.notes.items():
        assert name not in ran and why.strip(), name
    assert scores["score"].is_finite().all()
    assert sorted(scores["rank"].to_list()) == list(range(1, scores.height + 1))
    assert scores.sort("rank")["score"].is_sorted(descending=True)
    if "value_at_stake_usd" in scores.columns:
        stake = scores["value_at_stake_usd"].drop_nulls()
        assert stake.is_finite().all() and (stake >= 0).all()
    if "tier" in scores.columns:
        assert set(scores["tier"].drop_nulls().unique()) <= TIERS


def _reasons(world: RealWorld) -> pl.DataFrame:
    """Every stored reason, one row each, with its flow's frequency."""
    scores = world.table("scores").join(world.table("features").select("flow_id", "freq"), on="flow_id")
    return (
        scores.select("flow_id", "freq", "reasons").explode("reasons").drop_nulls("reasons").unnest("reasons")
    )


def test_reasons_have_documented_units_plain_numbers_and_annual_words(real_world):
    from tradesentinel.investigate.explain import reason_sentence
    from tradesentinel.investigate.types import Reason

    reasons = _reasons(real_world)
    assert reasons.height > 1_000
    assert set(reasons["unit"].unique()) <= set(UNITS)
    sentences = [reason_sentence(Reason(**r)) for r in reasons.drop("flow_id", "freq").iter_rows(named=True)]
    assert not [s for s in sentences if SCIENTIFIC.search(s)][:3]

    annual = reasons.filter(pl.col("freq") == "A")
    assert annual.height > 500
    words = annual.select(pl.concat_str("label", pl.lit(" "), "comparison"))["label"].to_list()
    assert not [w for w in words if MONTH_WORDS.search(w)][:3]
    assert not [w for w in words if "calendar month" in w and "annual total" not in w][:3]
    statistical = annual.filter(pl.col("detector") == "statistical")["comparison"]
    assert statistical.str.contains(r"^vs (?:19|20)\d\d\b").any()  # "vs 2007..2009 without 2010"


def test_an_annual_sawnwood_flow_is_explained_in_years(real_world):
    from tradesentinel.investigate.explain import explain
    from tradesentinel.investigate.tables import TableStore

    scores = real_world.table("scores").join(
        real_world.table("features").select("flow_id", "freq"), on="flow_id"
    )
    top = scores.filter(
        (pl.col("freq") == "A") & (pl.col("hs_code") == "440799") & (pl.col("reasons").list.len() > 0)
    ).sort("rank")
    assert top.height > 0
    row = top.row(0, named=True)
    found = explain(TableStore(real_world.settings), row["flow_id"])
    assert found.anomaly.freq == "A" and found.anomaly.reasons
    text = found.narrative.text
    assert text.startswith(f"{row['period'].year}: ") and not MONTH_WORDS.search(text), text
    assert not SCIENTIFIC.search(text), text
    assert set(found.narrative.cited) <= {e.n for e in found.evidence}
    assert not [e.text for e in found.evidence if MONTH_WORDS.search(e.text)]  # HS 4407 rows are all annual


def test_the_index_holds_the_top_anomalies_worded_by_period(real_world):
    synced = {r.collection: r for r in real_world.indexed.synced}
    assert synced["anomalies"].n_docs == 200
    assert set(real_world.indexed.skipped) <= {"hs_codes", "sanctions", "news"}  # none ingested here


def test_a_question_is_answered_with_citations_that_exist(real_world, smollm2):
    from tradesentinel.assistant.service import Assistant

    answer = Assistant(real_world.settings, backend=smollm2).ask(
        "Which flows of HS 440799 look most anomalous?"
    )
    assert answer.evidence and answer.cited
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited and cited <= set(range(1, len(answer.evidence) + 1))
    assert set(answer.cited) <= set(range(1, len(answer.evidence) + 1))
    assert not SCIENTIFIC.search(answer.text), answer.text
    assert "440799" in answer.text and not MONTH_WORDS.search(answer.text), answer.text  # annual flows only
