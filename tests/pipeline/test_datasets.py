"""Partitioned datasets on fsspec URLs: committed versions only are visible, a failed write changes nothing."""

from __future__ import annotations

import fsspec
import polars as pl
import pytest

from tradesentinel.config import Settings
from tradesentinel.pipeline import datasets
from tradesentinel.storage import TableNotFoundError


def _write(url: str, frames: dict[str, pl.DataFrame]) -> datasets.Manifest:
    version = datasets.new_version()
    parts = [(name, datasets.write_part(url, version, name, frame, {})) for name, frame in frames.items()]
    return datasets.commit(url, version, parts, {}, meta={"note": "test"})


def test_parts_round_trip_through_a_file_url(tmp_path):
    url = (tmp_path / "flows").as_uri()
    manifest = _write(
        url, {"part-00000": pl.DataFrame({"a": [1, 2]}), "part-00001": pl.DataFrame({"a": [3]})}
    )
    again = datasets.current(url, {})
    assert (
        again.parts == ("part-00000", "part-00001") and again.n_rows == 3 and again.meta == {"note": "test"}
    )
    assert datasets.read_part(again, "part-00001", {})["a"].to_list() == [3]
    assert manifest.version == again.version


def test_an_uncommitted_write_is_invisible_and_the_next_commit_cleans_it(tmp_path):
    url = (tmp_path / "features").as_uri()
    first = _write(url, {"part-00000": pl.DataFrame({"a": [1]})})
    crashed = datasets.new_version()  # a writer that died before commit
    datasets.write_part(url, crashed, "part-00000", pl.DataFrame({"a": [99]}), {})
    assert datasets.read_part(datasets.current(url, {}), "part-00000", {})["a"].to_list() == [1]
    with pytest.raises(FileNotFoundError, match="part-00001"):  # a missing part is never committed
        datasets.commit(url, crashed, [("part-00000", 1), ("part-00001", 1)], {})
    assert datasets.current(url, {}).version == first.version
    second = _write(url, {"part-00000": pl.DataFrame({"a": [2]})})
    folders = {p.name for p in (tmp_path / "features").iterdir() if p.name.startswith("v-")}
    assert folders == {second.version}  # the old and the crashed versions are gone


def test_a_missing_dataset_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(TableNotFoundError, match="features --engine dask"):
        datasets.current((tmp_path / "nothing").as_uri(), {})


def test_s3_credentials_and_endpoint_come_from_settings(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        dataset_url="s3://bucket/trade",
        s3_key="AKIDEXAMPLE",
        s3_secret="not-a-real-secret",
        s3_endpoint="http://127.0.0.1:9000",
    )
    assert datasets.dataset_url(settings, "flows") == "s3://bucket/trade/flows"
    fs, root = fsspec.core.url_to_fs(datasets.dataset_url(settings, "flows"), **settings.storage_options())
    assert root == "bucket/trade/flows"
    assert fs.key == "AKIDEXAMPLE" and fs.secret == "not-a-real-secret"
    assert fs.client_kwargs["endpoint_url"] == "http://127.0.0.1:9000"
    assert "not-a-real-secret" not in repr(settings)  # the secret never shows in logs


def test_default_location_is_under_the_data_dir(tmp_path):
    url = datasets.dataset_url(Settings(data_dir=tmp_path / "data"), "scores")
    assert url == (tmp_path / "data" / "partitioned" / "scores").as_uri()
