"""GET /anomalies?format=csv|parquet: the whole filtered set, reasons flattened, rate-limited per user."""

from __future__ import annotations

import io

import polars as pl
import pytest
from fastapi.testclient import TestClient

from tradesentinel.app import create_app


@pytest.fixture(scope="module")
def client(scored_world, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "c.db"
    settings = scored_world.model_copy(update={"db_url": f"sqlite:///{db}", "rate_export_per_minute": 1000})
    return TestClient(create_app(settings, ui=False, assistant=None))


def test_csv_is_the_whole_filtered_set_in_the_asked_order(client):
    params = {"min_score": 0.5, "sort": "value_usd", "limit": 5}
    total = client.get("/anomalies", params=params).json()["total"]
    response = client.get("/anomalies", params={**params, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    frame = pl.read_csv(io.BytesIO(response.content), schema_overrides={"hs_code": pl.String})
    assert frame.height == total > 5 and frame["value_usd"].is_sorted(descending=True)
    assert {"reporter_name", "partner_name", "hs_description", "reasons"} <= set(frame.columns)
    top = frame.sort("rank").row(0, named=True)
    assert "observed" in top["reasons"] and "expected" in top["reasons"] and top["hs_description"]


def test_parquet_matches_the_csv(client):
    params = {"country": "deu", "period_from": "2021", "period_to": "2021"}
    parquet = pl.read_parquet(
        io.BytesIO(client.get("/anomalies", params={**params, "format": "parquet"}).content)
    )
    csv = pl.read_csv(io.BytesIO(client.get("/anomalies", params={**params, "format": "csv"}).content))
    assert parquet.height == csv.height == client.get("/anomalies", params=params).json()["total"] > 0
    assert set(parquet["period"].str.slice(0, 4)) == {"2021"}


def test_exports_are_rate_limited_per_user(scored_world, tmp_path):
    settings = scored_world.model_copy(
        update={"db_url": f"sqlite:///{tmp_path / 'c.db'}", "rate_export_per_minute": 2}
    )
    client = TestClient(create_app(settings, ui=False, assistant=None))
    params = {"format": "csv", "min_score": 0.999}
    assert [client.get("/anomalies", params=params).status_code for _ in range(2)] == [200, 200]
    limited = client.get("/anomalies", params=params)
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
    assert client.get("/anomalies", params={"limit": 1}).status_code == 200  # JSON pages are not exports


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"period_from": "2024-01", "period_to": "2023-01"}, "period_to"),
        ({"country": "XXX"}, "country"),
        ({"hs": "0000"}, "hs"),
        ({"reporter": "R" * 5000}, "reporter"),
    ],
)
def test_impossible_queries_are_a_422_naming_the_parameter(client, params, name):
    response = client.get("/anomalies", params=params)
    assert response.status_code == 422 and name in str(response.json()["detail"])
    assert len(response.text) < 1200  # the 5000-character input is not echoed back


def test_country_codes_ignore_case(client):
    lower = client.get("/anomalies", params={"country": "rus"}).json()
    upper = client.get("/anomalies", params={"country": "RUS"}).json()
    assert lower["total"] == upper["total"] > 0
