"""GDELT: the real Events export becomes dated, geo-coded news rows; DOC API article lists too."""

from __future__ import annotations

import json
import zipfile
from datetime import date

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.gdelt import read_gdelt_doc, read_gdelt_events
from tradesentinel.schema import NEWS

EXPORT = "gdelt2_events_20191024143000.export.CSV"


def test_real_export_to_news(shared_data, tmp_path):
    path = shared_data / "gdelt" / EXPORT
    news = read_gdelt_events(path)
    assert news.schema == pl.Schema(NEWS) and news.height == 2111 and news["news_id"].is_unique().all()
    first = news.row(0, named=True)
    assert (first["news_id"], first["date"], first["countries"]) == (
        "gdelt-881990832",
        date(2018, 10, 24),
        ["CAN", "AUS"],
    )
    assert first["title"] == "An unnamed actor threatened VICTORIA, in Vancouver, British Columbia, Canada"
    assert first["url"].startswith("https://www.timescolonist.com/") and first["tone"] == pytest.approx(
        2.02774813
    )
    police = news.filter(pl.col("news_id") == "gdelt-881990837").row(0, named=True)
    assert police["countries"] == ["DEU"] and police["title"].startswith(
        "POLICE investigated GERMAN, in Berlin"
    )
    everything = set(news["countries"].explode().drop_nulls())
    assert {"GBR", "RUS", "DEU", "UKR"} <= everything  # from FIPS UK, RS, GM, UP
    assert not everything & {"UK", "RS", "GM", "UP"}
    assert dict(news["date"].value_counts().iter_rows())[date(2019, 10, 24)] == 2051
    archive = tmp_path / f"{EXPORT}.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(path, EXPORT)
    assert read_gdelt_events(archive).equals(news)


def test_malformed_and_truncated_exports(shared_data, tmp_path):
    lines = (shared_data / "gdelt" / EXPORT).read_bytes().split(b"\n")
    ragged = tmp_path / "ragged.CSV"
    ragged.write_bytes(b"\n".join([*lines[:4], lines[4].replace(b"\t", b" ", 3), *lines[5:10]]))
    with pytest.raises(InputError, match=r"ragged\.CSV, row 5: malformed or truncated: the row has 58"):
        read_gdelt_events(ragged)
    cut = tmp_path / "cut.CSV"
    cut.write_bytes(b"\n".join(lines[:7]) + b"\n" + lines[7][:200])
    with pytest.raises(InputError, match=r"cut\.CSV, row 8"):
        read_gdelt_events(cut)
    baddate = tmp_path / "date.CSV"
    baddate.write_bytes(b"\n".join([lines[0], lines[1].replace(b"\t20181024\t", b"\t2018-13\t", 1), b""]))
    with pytest.raises(InputError, match=r"row 2, field 'SQLDATE'"):
        read_gdelt_events(baddate)
    inside_url = tmp_path / "url.CSV"
    inside_url.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][:-20])  # 61 fields, cut in the URL
    with pytest.raises(InputError, match=r"url\.CSV, row 4: truncated: the last line has no line end"):
        read_gdelt_events(inside_url)


def test_doc_api_article_list(tmp_path):
    path = tmp_path / "artlist.json"
    path.write_text(
        json.dumps(
            {
                "articles": [
                    {
                        "url": "https://example.org/a",
                        "url_mobile": "",
                        "title": "Port congestion grows",
                        "seendate": "20240615T170000Z",
                        "socialimage": "",
                        "domain": "example.org",
                        "language": "English",
                        "sourcecountry": "India",
                    },
                    {"url": "https://example.org/b"},
                ]
            }
        )
    )
    news = read_gdelt_doc(path)
    assert news.schema == pl.Schema(NEWS) and news.height == 2
    first, second = news.rows(named=True)
    assert (first["date"], first["countries"], first["source"]) == (date(2024, 6, 15), ["IND"], "gdelt-doc")
    assert first["news_id"] != second["news_id"] and second["title"] is None and second["countries"] == []
    path.write_text('{"articles": [{"url": "https://example.org/a", "title": "cut')
    with pytest.raises(InputError, match="artlist.json, row 1: malformed or truncated JSON"):
        read_gdelt_doc(path)
    path.write_text('{"articles": [{"title": "no url"}]}')
    with pytest.raises(InputError, match="row 1, field 'url'"):
        read_gdelt_doc(path)
