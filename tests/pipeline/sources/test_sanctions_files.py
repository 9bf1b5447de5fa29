"""A sanctions --file as users have it: OFAC's sdn.csv alone, the folder of legacy files, the XML, or a
zip or gz of any of them; the EU and UN lists as a file, a folder, a gz or a zip. Told by content."""

from __future__ import annotations

import gzip
import shutil
import zipfile

import polars as pl
import pytest

from tests.pipeline.sources.test_eu import XML as EU_XML
from tradesentinel.errors import InputError
from tradesentinel.pipeline.ingest_sources import ingest_eu, ingest_ofac, ingest_un
from tradesentinel.storage import read_table

TRIPLE = ("ofac", "ofac_2021-04_triple")


def _sanctions(settings) -> pl.DataFrame:
    return read_table(settings.table_path("sanctions"), "sanctions").collect()


def _zip(path, files: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_ofac_sdn_csv_alone_the_folder_and_its_zip(settings, shared_data, tmp_path):
    folder = shared_data.joinpath(*TRIPLE)
    alone = ingest_ofac(settings, folder / "sdn.csv")
    assert alone.n_read == 8890 and "add.csv, alt.csv beside it were not read" in alone.notes[-1]
    bare = _sanctions(settings)
    assert bare["addresses"].list.len().sum() == 0  # sdn.csv alone has no address file
    ingest_ofac(settings, folder)
    from_folder = _sanctions(settings).drop("source")
    archive = _zip(tmp_path / "sdn.zip", {f"csv/{p.name}": p.read_bytes() for p in folder.iterdir()})
    report = ingest_ofac(settings, archive)
    from_zip = _sanctions(settings)
    assert report.n_read == 8890 and from_zip.drop("source").equals(from_folder)
    assert set(from_zip["source"]) == {str(archive)}
    assert from_folder["addresses"].list.len().sum() > 8000


def test_ofac_xml_plain_gz_and_zip_and_the_wrong_file_alone(settings, shared_data, tmp_path):
    xml = shared_data / "ofac" / "ofac_consolidated_nonSDN_2024-05-06.xml"
    gz = tmp_path / "consolidated.xml.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    assert ingest_ofac(settings, gz).n_read == 443
    archive = _zip(tmp_path / "cons.zip", {"consolidated.xml": xml.read_bytes()})
    assert ingest_ofac(settings, archive).n_read == 443
    with pytest.raises(InputError, match="this is OFAC's add.csv"):
        ingest_ofac(settings, shared_data.joinpath(*TRIPLE) / "add.csv")


def test_an_error_inside_an_archive_names_the_archive_and_member(settings, shared_data, tmp_path):
    folder = shared_data / "ofac" / "ofac_watchman_small"
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    files["alt.csv"] = files["alt.csv"][: len(files["alt.csv"]) // 2]
    archive = _zip(tmp_path / "small.zip", files)
    with pytest.raises(InputError) as err:
        ingest_ofac(settings, archive)
    assert str(err.value).startswith(f"{archive}:alt.csv, row ")
    data = _zip(tmp_path / "whole.zip", {"sdn.csv": files["sdn.csv"]}).read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.zip: cannot read the zip file"):
        ingest_ofac(settings, tmp_path / "cut.zip")
    assert not settings.table_path("sanctions").exists()


def test_eu_after_the_xsd_as_file_folder_gz_and_zip(settings, tmp_path):
    folder = tmp_path / "eu"
    folder.mkdir()
    (folder / "export.xml").write_text(EU_XML)
    gz = tmp_path / "eu.xml.gz"
    gz.write_bytes(gzip.compress(EU_XML.encode()))
    archive = _zip(tmp_path / "eu.zip", {"xmlFullSanctionsList_1_1.xml": EU_XML.encode()})
    for given in (folder / "export.xml", folder, gz, archive):
        report = ingest_eu(settings, given)
        assert report.n_read == 2 and report.notes == [
            "list(s) EU-FSF: 2 entries replace " + ("0" if given == folder / "export.xml" else "2")
        ]
    assert set(_sanctions(settings)["entry_id"]) == {"139133", "13"}
    (folder / "other.xml").write_text(EU_XML)
    with pytest.raises(InputError, match="expected one EU FSF"):
        ingest_eu(settings, folder)


def test_un_gz_and_folder(settings, shared_data, tmp_path):
    xml = shared_data / "un" / "un_consolidated_2026-02-27.xml"
    gz = tmp_path / "consolidated.xml.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    assert ingest_un(settings, gz).n_read == 1003
    folder = tmp_path / "un"
    folder.mkdir()
    shutil.copy(xml, folder / "list.xml")
    assert ingest_un(settings, folder).n_read == 1003
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(gzip.compress(xml.read_bytes()[:50_000]))
    before = settings.table_path("sanctions").read_bytes()
    with pytest.raises(InputError, match=r"cut.xml.gz:cut.xml, row \d+: malformed or truncated XML"):
        ingest_un(settings, cut)
    assert settings.table_path("sanctions").read_bytes() == before
