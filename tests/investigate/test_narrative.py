"""The evidence narrative dates a flow as its rows count it: a month, or a year for annual data."""

from __future__ import annotations

from datetime import date

from tradesentinel.investigate.explain import evidence_narrative
from tradesentinel.investigate.types import AnomalyDetail, Evidence


def _detail(freq: str | None) -> AnomalyDetail:
    return AnomalyDetail(
        flow_id="f1",
        period=date(2010, 1, 1),
        reporter="CAN",
        partner="USA",
        flow="X",
        hs_code="440799",
        score=0.9,
        rank=1,
        kind="mirror_gap",
        demo=False,
        detectors=[],
        reasons=[],
        freq=freq,
    )


def test_an_annual_flow_is_dated_by_its_year_and_a_monthly_one_by_its_month():
    news = [Evidence(n=1, collection="news", doc_id="n1", text="x", score=1.0)]
    annual = evidence_narrative(_detail("A"), None, news).text
    assert annual.startswith("2010: CAN ")
    assert "2010-01" not in annual and "News around that year: [1]." in annual
    monthly = evidence_narrative(_detail("M"), None, news).text
    assert monthly.startswith("2010-01: ") and "News around that month: [1]." in monthly
    assert evidence_narrative(_detail(None), None, []).text.startswith("2010-01: ")  # older tables
