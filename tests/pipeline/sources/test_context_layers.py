"""Context layers: WITS tariffs (SDMX-JSON), World Bank indicators (paged JSON), port-call CSVs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.portcalls import read_port_calls
from tradesentinel.pipeline.sources.wits import download_wits, read_wits_json
from tradesentinel.pipeline.sources.worldbank import download_worldbank, read_worldbank_json
from tradesentinel.schema import INDICATORS, PORT_CALLS, TARIFFS

SDMX = {
    "header": {"id": "TRN"},
    "dataSets": [
        {
            "series": {
                "0:0:0:0:0": {"observations": {"0": [5.12], "1": [4.8]}},
                "0:0:0:1:0": {"observations": {"1": [0.0]}},
            }
        }
    ],
    "structure": {
        "dimensions": {
            "series": [
                {"id": "FREQ", "values": [{"id": "A"}]},
                {"id": "REPORTER", "values": [{"id": "840", "name": "United States"}]},
                {"id": "PARTNER", "values": [{"id": "000", "name": "World"}]},
                {"id": "PRODUCTCODE", "values": [{"id": "870323"}, {"id": "854231"}]},
                {"id": "INDICATOR", "values": [{"id": "MFN-SMPL-AVRG"}]},
            ],
            "observation": [{"id": "TIME_PERIOD", "values": [{"id": "2018"}, {"id": "2019"}]}],
        }
    },
}


def _wb_page(page: int, pages: int, rows: list[tuple[str, str, float | None]]) -> bytes:
    meta = {"page": page, "pages": pages, "per_page": 1000, "total": 3, "sourceid": "2"}
    records = [
        {
            "indicator": {"id": "NY.GDP.MKTP.CD", "value": "GDP (current US$)"},
            "country": {"id": iso[:2], "value": iso},
            "countryiso3code": iso,
            "date": year,
            "value": value,
            "unit": "",
            "obs_status": "",
            "decimal": 0,
        }
        for iso, year, value in rows
    ]
    return json.dumps([meta, records]).encode()


def test_wits_sdmx_json_to_tariffs(tmp_path, settings, loopback):
    path = tmp_path / "wits.json"
    path.write_text(json.dumps(SDMX))
    table = read_wits_json(path)
    assert table.schema == pl.Schema(TARIFFS) and table.height == 3
    assert table.sort("hs_code", "year").rows() == [
        ("USA", "WLD", "854231", 2019, "MFN-SMPL-AVRG", 0.0, "wits"),
        ("USA", "WLD", "870323", 2018, "MFN-SMPL-AVRG", 5.12, "wits"),
        ("USA", "WLD", "870323", 2019, "MFN-SMPL-AVRG", 4.8, "wits"),
    ]
    path.write_text('{"dataSets": []}')
    with pytest.raises(InputError, match="not an SDMX-JSON data message"):
        read_wits_json(path)
    loopback.serve(
        "/datasource/TRN/reporter/840/partner/000/product/all/year/2019/datatype/reported",
        json.dumps(SDMX).encode(),
    )
    local = settings.model_copy(update={"wits_url": loopback.url})
    assert read_wits_json(download_wits(local, reporter="USA", year="2019")).equals(table)
    assert loopback.requests[-1].endswith("?format=JSON")


def test_worldbank_pages_and_aggregates(settings, loopback):
    route = "/country/USA;CHN;EUU/indicator/NY.GDP.MKTP.CD"
    loopback.serve(
        route,
        _wb_page(1, 2, [("USA", "2022", 2.5462e13), ("EUU", "2022", 1.67e13)]),
        _wb_page(2, 2, [("CHN", "2022", 1.7963e13), ("CHN", "2023", None)]),
    )
    local = settings.model_copy(update={"worldbank_url": loopback.url, "http_backoff_s": 0.0})
    paths = download_worldbank(local, countries="USA;CHN;EUU", years="2022:2023")
    assert len(paths) == 2 and "page=2" in loopback.requests[-1]
    table = pl.concat([read_worldbank_json(p) for p in paths])
    assert table.schema == pl.Schema(INDICATORS)
    assert table.rows() == [
        ("USA", "NY.GDP.MKTP.CD", 2022, 2.5462e13, "worldbank"),
        ("CHN", "NY.GDP.MKTP.CD", 2022, 1.7963e13, "worldbank"),
    ]
    bad = paths[0].parent / "error.json"
    bad.write_text(
        '[{"message": [{"id": "120", "key": "Invalid value", "value": "The provided parameter value is not valid"}]}]'
    )
    with pytest.raises(InputError, match="World Bank API reported an error: The provided parameter"):
        read_worldbank_json(bad)


def test_port_calls_csv(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        "Vessel_IMO,vessel_name,flag,port,arrival,departure\n"
        "9486910,MAKRAN,IR,IRBND,2024-03-01T06:30:00Z,2024-03-03 18:00\n"
        "IMO 9313149,TASCA,Panama,NLRTM,2024-03-02,\n"
        "93131,SHORT,PAN,NLRTM,2024-03-02,\n"
        "9339301,NS LEADER,GAB,XXXXX1,yesterday,\n"
        "9263643,FRUNZE,COK,SGSIN,2024-03-05T00:00:00,2024-03-04T00:00:00\n"
    )
    result = read_port_calls(path)
    assert result.calls.schema == pl.Schema(PORT_CALLS) and result.n_rows == 5
    assert result.calls.rows() == [
        (
            "9486910",
            "MAKRAN",
            "IRN",
            "IRBND",
            "IRN",
            datetime(2024, 3, 1, 6, 30, tzinfo=UTC),
            datetime(2024, 3, 3, 18, 0, tzinfo=UTC),
            "portcalls",
        ),
        ("9313149", "TASCA", "PAN", "NLRTM", "NLD", datetime(2024, 3, 2, tzinfo=UTC), None, "portcalls"),
    ]
    reasons = {(r["row"], r["field"]): r["reason"] for r in result.quarantine.iter_rows(named=True)}
    assert reasons == {
        (3, "vessel_imo"): "IMO number '93131' is not 7 digits",
        (4, "port"): "port 'XXXXX1' is not a UN/LOCODE (e.g. NLRTM)",
        (4, "arrival"): "unparsable arrival 'yesterday' (expected ISO 8601, e.g. 2024-03-01T06:30:00Z)",
        (5, "departure"): "departure before arrival",
    }
    path.write_text("imo,port\n1,2\n")
    with pytest.raises(InputError, match="missing required column.*vessel_imo"):
        read_port_calls(path)
