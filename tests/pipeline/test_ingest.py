"""Ingest stages: sanctions replace their own list, news upserts, Comtrade rows are cleaned into flows;
a malformed or truncated file leaves every stored table byte-identical."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date

import polars as pl
import pytest
from pydantic import SecretStr

from tests.pipeline.conftest import Answer
from tradesentinel.errors import InputError
from tradesentinel.pipeline.ingest_sources import (
    ComtradeQuery,
    ingest_comtrade,
    ingest_gdelt,
    ingest_hs,
    ingest_ofac,
    ingest_un,
)
from tradesentinel.pipeline.sources.http import FetchError, raw_dir
from tradesentinel.storage import read_table

PREVIEW = "preview_v1_IND_X_USA_2022_TOTAL.json"


def _table(settings, name: str) -> pl.DataFrame:
    return read_table(settings.table_path(name), name).collect()


def _with_cmd(payload: dict, codes: list[str]) -> dict:
    """The real records, one copy per HS code (the fixtures are all-commodity totals)."""
    records = [{**r, "cmdCode": c, "aggrLevel": len(c)} for r in payload["data"] for c in codes]
    return {**payload, "count": len(records), "data": records}


def test_sanctions_replace_their_list_and_keep_others(settings, shared_data, tmp_path):
    ingest_un(settings, shared_data / "un" / "un_consolidated_2026-02-27.xml")
    small = ingest_ofac(settings, shared_data / "ofac" / "ofac_watchman_small")
    assert small.n_total == 1003 + 17 and "OFAC-SDN: 17 entries replace 0" in small.notes[0]
    assert "9 row(s) linking to no entry quarantined" in small.notes[1]  # the extract's add/alt rows
    orphans = _table(settings, "quarantine").filter(pl.col("file").str.ends_with("add.csv"))
    assert orphans.height == 4 and orphans["reason"][0].startswith("ent_num 12562 is not in sdn.csv")
    full = ingest_ofac(settings, shared_data / "ofac" / "ofac_2021-04_triple")
    table = _table(settings, "sanctions")
    assert dict(table["list"].value_counts().iter_rows()) == {"UN-SC": 1003, "OFAC-SDN": 8890}
    assert full.notes == ["list(s) OFAC-SDN: 8,890 entries replace 17"]
    before = settings.table_path("sanctions").read_bytes()
    folder = tmp_path / "bad"
    shutil.copytree(shared_data / "ofac" / "ofac_watchman_small", folder)
    data = (folder / "alt.csv").read_bytes()
    (folder / "alt.csv").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"alt\.csv"):
        ingest_ofac(settings, folder)
    cut = tmp_path / "un.xml"
    cut.write_bytes((shared_data / "un" / "un_consolidated_2026-02-27.xml").read_bytes()[:100_000])
    with pytest.raises(InputError, match="truncated XML"):
        ingest_un(settings, cut)
    assert settings.table_path("sanctions").read_bytes() == before


def test_news_upsert_and_hs(settings, shared_data, tmp_path):
    export = shared_data / "gdelt" / "gdelt2_events_20191024143000.export.CSV"
    assert ingest_gdelt(settings, export).n_total == 2111
    lines = export.read_bytes().split(b"\n")
    again = tmp_path / "again.export.CSV"
    again.write_bytes(b"\n".join(lines[:10]) + b"\n")
    assert ingest_gdelt(settings, again).n_total == 2111  # same GLOBALEVENTIDs: replaced, not added
    before = settings.table_path("news").read_bytes()
    again.write_bytes(b"\n".join(lines[:10]) + b"\n" + lines[10][:300])
    with pytest.raises(InputError, match="row 11"):
        ingest_gdelt(settings, again)
    assert settings.table_path("news").read_bytes() == before
    assert ingest_hs(settings).n_total == 6939


def test_comtrade_records_become_flows(settings, shared_data, tmp_path):
    payload = json.loads((shared_data / "comtrade" / PREVIEW).read_text())
    path = tmp_path / "ind_usa.json"
    path.write_text(json.dumps(_with_cmd(payload, ["85", "8517", "851713"])))
    report = ingest_comtrade(settings, [path])
    flows = _table(settings, "flows")
    assert report.n_total == 3 and set(flows["hs_code"]) == {"85", "8517", "851713"}
    row = flows.filter(pl.col("hs_code") == "85").row(0, named=True)
    assert (row["reporter"], row["partner"], row["flow"], row["freq"], row["period"]) == (
        "IND",
        "USA",
        "X",
        "A",
        date(2022, 1, 1),
    )
    assert (
        row["value_usd"] == pytest.approx(80230193279.727)
        and row["net_weight_kg"] is None
        and row["qty"] is None
    )
    assert (row["hs_version"], row["source"]) == ("H6", "comtrade")
    before = settings.table_path("flows").read_bytes()
    with pytest.raises(InputError, match="all-commodity total"):
        ingest_comtrade(settings, [shared_data / "comtrade" / PREVIEW])
    reasons = _table(settings, "quarantine").filter(pl.col("field") == "hs_code")["reason"].to_list()
    assert reasons == [
        "all-commodity total 'TOTAL', not an HS code: query HS codes (AG2, AG4, AG6 or a list)"
    ]
    path.write_text(json.dumps(_with_cmd(payload, ["85"]))[:900])
    with pytest.raises(InputError, match="truncated JSON"):
        ingest_comtrade(settings, [path])
    assert settings.table_path("flows").read_bytes() == before


def test_comtrade_csv_versions_case_and_bulk_codes(settings, shared_data, tmp_path):
    frame = pl.read_csv(
        shared_data / "comtrade" / "comtrade_usa_imports_2018_2023_sample.csv", infer_schema=False
    )
    frame = frame.with_columns(pl.lit("8703").alias("cmdCode")).rename({"primaryValue": "PRIMARYVALUE"})
    frame.write_csv(tmp_path / "usa.csv")
    bulk = frame.drop(
        [c for c in frame.columns if c.endswith(("ISO", "Desc"))]
    )  # bulk files carry codes only
    (tmp_path / "C_A_842_2018_H5.txt.gz").write_bytes(gzip.compress(bulk.write_csv(separator="\t").encode()))
    ingest_comtrade(settings, [tmp_path / "usa.csv"])
    from_csv = _table(settings, "flows")
    ingest_comtrade(settings, [tmp_path / "C_A_842_2018_H5.txt.gz"])
    from_bulk = _table(settings, "flows")
    assert from_bulk.drop("source").equals(from_csv.drop("source")) and from_csv.height == 20
    assert set(from_csv["reporter"]) == {"USA"} and set(from_csv["partner"]) == {"FRA", "DEU", "JPN", "MEX"}
    assert set(from_csv["hs_version"]) == set(frame["classificationCode"])
    first = from_csv.filter((pl.col("partner") == "FRA") & (pl.col("period") == date(2018, 1, 1))).row(
        0, named=True
    )
    assert first["value_usd"] == 53621601767.0 and first["net_weight_kg"] is None  # netWgt 0 = not reported


def test_comtrade_preview_download_retries_and_caps(settings, shared_data, loopback):
    payload = json.loads((shared_data / "comtrade" / PREVIEW).read_text())
    route = "/public/v1/preview/C/A/HS"
    loopback.serve(
        route,
        Answer(429, headers={"Retry-After": "0"}),
        json.dumps(_with_cmd(payload, ["85", "87"])).encode(),
    )
    local = settings.model_copy(update={"comtrade_url": loopback.url, "http_backoff_s": 0.0})
    query = ComtradeQuery(("IND",), ("2022",), ("USA",), ("X",), "AG2")
    report = ingest_comtrade(local, query=query)
    assert report.n_total == 2 and len(loopback.requests) == 2
    sent = loopback.requests[-1]
    assert "reporterCode=699" in sent and "partnerCode=842" in sent and "maxRecords=500" in sent
    assert list(raw_dir(local, "comtrade").glob("*.json"))
    many = [{**payload["data"][0], "cmdCode": f"{n:04d}"} for n in range(100, 600)]
    loopback.serve(route, json.dumps({"count": 500, "data": many, "error": ""}).encode())
    capped = ingest_comtrade(local, query=query)
    assert capped.notes[-1] == "call(s) IND 2022 X hit the endpoint's record limit: narrow the query"
    full, small = (
        json.dumps({"count": 500, "data": many, "error": ""}).encode(),
        json.dumps(_with_cmd(payload, ["85"])).encode(),
    )
    loopback.serve(route, full, full, small, small, small)  # both reporters, then IND, are split
    seen = len(loopback.requests)
    split = ingest_comtrade(local, query=ComtradeQuery(("IND", "USA"), ("2022",), (), ("M", "X"), "AG2"))
    calls = [
        (q.split("reporterCode=")[1].split("&")[0], q.split("flowCode=")[1].split("&")[0])
        for q in loopback.requests[seen:]
    ]
    assert calls == [("699%2C842", "M%2CX"), ("699", "M%2CX"), ("699", "M"), ("699", "X"), ("842", "M%2CX")]
    assert (
        not any("record limit" in n for n in split.notes)
        and len(list(raw_dir(local, "comtrade").glob("*IND-USA*"))) == 0
    )
    keyed = local.model_copy(update={"comtrade_key": SecretStr("secret-key")})
    loopback.serve("/data/v1/get/C/A/HS", json.dumps(_with_cmd(payload, ["85"])).encode())
    ingest_comtrade(keyed, query=query)
    assert (
        loopback.requests[-1].startswith("/data/v1/get/C/A/HS") and "secret-key" not in loopback.requests[-1]
    )
    assert loopback.headers[-1]["Ocp-Apim-Subscription-Key"] == "secret-key"
    loopback.serve(route, b'{"elapsedTime":"0.2 secs","count":1,"data":[{"typeCode":"C"')
    before = settings.table_path("flows").read_bytes()
    with pytest.raises(InputError, match="malformed or truncated JSON"):
        ingest_comtrade(local, query=query)
    assert settings.table_path("flows").read_bytes() == before


def test_sources_download_from_loopback(settings, shared_data, loopback, tmp_path):
    for name in ("SDN", "ADD", "ALT"):
        loopback.serve(
            f"/{name}.CSV",
            (shared_data / "ofac" / "ofac_2021-04_triple" / f"{name.lower()}.csv").read_bytes(),
        )
    loopback.serve("/SDN_COMMENTS.CSV", b"")
    local = settings.model_copy(update={"ofac_url": loopback.url, "http_backoff_s": 0.0})
    with pytest.raises(InputError, match="sdn_comments.csv: the file is empty"):
        ingest_ofac(local)
    loopback.serve("/SDN_COMMENTS.CSV", b'36,"more remarks"\r\n\x1a')
    assert ingest_ofac(local).n_total == 8890
    assert sorted(p.name for p in raw_dir(local, "ofac").iterdir()) == [
        "add.csv",
        "alt.csv",
        "sdn.csv",
        "sdn_comments.csv",
    ]
    export = shared_data / "gdelt" / "gdelt2_events_20191024143000.export.CSV"
    import zipfile

    archive = tmp_path / "20191024143000.export.CSV.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(export, export.name)
    loopback.serve("/gdeltv2/20191024143000.export.CSV.zip", archive.read_bytes())
    index = f"150383 297a16b493de7cf6ca809a7cc31d0b93 {loopback.url}/gdeltv2/20191024143000.export.CSV.zip\n"
    loopback.serve("/gdeltv2/lastupdate.txt", index.encode())
    local = local.model_copy(update={"gdelt_events_url": f"{loopback.url}/gdeltv2/lastupdate.txt"})
    assert ingest_gdelt(local).n_total == 2111


def test_comtrade_bulk_download_needs_a_key(settings, shared_data, loopback, tmp_path):
    frame = pl.read_csv(
        shared_data / "comtrade" / "comtrade_usa_imports_2018_2023_sample.csv", infer_schema=False
    )
    frame = frame.with_columns(pl.lit("8703").alias("cmdCode"))
    bulk = frame.drop([c for c in frame.columns if c.endswith(("ISO", "Desc"))])
    loopback.serve("/files/C_A_842_2018_H5.txt.gz", gzip.compress(bulk.write_csv(separator="\t").encode()))
    listing = {"data": [{"fileUrl": f"{loopback.url}/files/C_A_842_2018_H5.txt.gz", "reporterCode": 842}]}
    loopback.serve("/bulk/v1/get/C/A/HS", json.dumps(listing).encode())
    local = settings.model_copy(update={"comtrade_url": loopback.url, "http_backoff_s": 0.0})
    query = ComtradeQuery(("USA",), ("2018",))
    with pytest.raises(FetchError, match="bulk files need a subscription key"):
        ingest_comtrade(local, query=query, bulk=True)
    keyed = local.model_copy(update={"comtrade_key": SecretStr("k")})
    report = ingest_comtrade(keyed, query=query, bulk=True)
    assert report.n_total == 20 and "reporterCode=842" in loopback.requests[0]
    assert all(h["Ocp-Apim-Subscription-Key"] == "k" for h in loopback.headers)
    assert (raw_dir(keyed, "comtrade") / "C_A_842_2018_H5.txt.gz").exists()


def test_gdelt_doc_query_download(settings, loopback):
    articles = {
        "articles": [
            {
                "url": "https://example.org/sanctions-evasion",
                "title": "Transshipment via third countries",
                "seendate": "20240615T170000Z",
                "sourcecountry": "Kazakhstan",
            }
        ]
    }
    loopback.serve("/api/v2/doc/doc", json.dumps(articles).encode())
    local = settings.model_copy(update={"gdelt_doc_url": f"{loopback.url}/api/v2/doc/doc"})
    report = ingest_gdelt(local, query="sanctions evasion")
    assert "query=sanctions+evasion" in loopback.requests[0] and "mode=artlist" in loopback.requests[0]
    news = _table(settings, "news").row(0, named=True)
    assert report.n_total == 1 and (news["countries"], news["source"]) == (["KAZ"], "gdelt-doc")
