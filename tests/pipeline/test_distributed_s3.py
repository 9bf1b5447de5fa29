"""The Dask engine against an S3-compatible object store: moto's server on loopback, started here."""

from __future__ import annotations

import socket

import polars as pl
import pytest
from pydantic import SecretStr

from tradesentinel.detectors.stages import score_flows
from tradesentinel.pipeline import datasets
from tradesentinel.pipeline.distributed import features_on_cluster
from tradesentinel.storage import read_table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_settings(dask_world):
    """The dask world's settings with datasets in a bucket of a local moto S3 server."""
    moto_server = pytest.importorskip("moto.server")
    import s3fs

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3fs.S3FileSystem(key="test", secret="test", client_kwargs={"endpoint_url": endpoint}).mkdir(
            "trade-lake"
        )
        settings, _ = dask_world
        yield settings.model_copy(
            update={
                "dataset_url": "s3://trade-lake/tradesentinel",
                "s3_key": "test",
                "s3_secret": SecretStr("test"),
                "s3_endpoint": endpoint,
            }
        )
    finally:
        server.stop()


def test_features_and_scores_round_trip_through_s3(s3_settings):
    report = features_on_cluster(s3_settings)
    options = s3_settings.storage_options()
    manifest = datasets.current(datasets.dataset_url(s3_settings, "features"), options)
    distributed = pl.concat([datasets.read_part(manifest, p, options) for p in manifest.parts])
    local = read_table(s3_settings.table_path("features"), "features").collect()
    assert report.url.startswith("s3://trade-lake/") and manifest.n_rows == local.height
    assert distributed.equals(local)
    flows_url = datasets.dataset_url(s3_settings, "flows")
    fs, root = datasets._fs(flows_url, options)
    assert not [e for e in fs.ls(root, detail=False, refresh=True) if "_shuffle" in e]  # buckets removed
    scored = score_flows(s3_settings, ["statistical", "sanctions"], engine="dask", track=False)
    scores = datasets.current(datasets.dataset_url(s3_settings, "scores"), options)
    assert scored.url.startswith("s3://") and scores.n_rows == local.height
    top = datasets.read_part(scores, scores.parts[0], options, ["rank", "tier"])
    assert top["rank"].min() >= 1 and top["tier"].null_count() < top.height
