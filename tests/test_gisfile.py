"""gisfile: GIS files as Korean software writes them (encodings, sizes, CRS)."""

from __future__ import annotations

import json
import warnings
import zipfile

import geopandas as gpd
import pytest
from shapely import box

import sandan_geo as sg
from sandan_geo.gisfile import looks_garbled, read_gis


def cp949_shapefile(folder, *, cpg=False):
    frame = gpd.GeoDataFrame(
        {"단지명": ["서대구", "성서"], "DAN_ID": ["227140", "227010"]},
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)],
        crs="EPSG:5186",
    )
    path = folder / "layer.shp"
    frame.to_file(path, encoding="cp949")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def test_cp949_in_field_names_and_values_is_detected_and_read_again(tmp_path):
    path = cp949_shapefile(tmp_path)
    with pytest.warns(sg.SandanGeoWarning, match=r"read as CP949.*'´ÜÁö¸í'.*'단지명'"):
        table = read_gis(path)
    assert (table.encoding, table.guessed) == ("cp949", True)
    assert list(table.frame["단지명"]) == ["서대구", "성서"]


def test_a_given_encoding_is_used_and_not_second_guessed(tmp_path):
    path = cp949_shapefile(tmp_path)
    table = read_gis(path, encoding="cp949")
    assert (table.encoding, table.guessed) == ("cp949", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sg.SandanGeoWarning)  # nothing guessed, nothing said
        read_gis(path, encoding="cp949")


def test_geojson_saved_as_cp949_is_read(tmp_path):
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"DAN_NAME": "서대구"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[128.5, 35.8], [128.6, 35.8], [128.6, 35.9], [128.5, 35.8]]],
                },
            }
        ],
    }
    path = tmp_path / "layer.geojson"
    path.write_bytes(json.dumps(doc, ensure_ascii=False).encode("cp949"))
    with pytest.warns(sg.SandanGeoWarning, match="CP949"):
        table = read_gis(path)
    assert table.frame.loc[0, "DAN_NAME"] == "서대구"


def test_a_zip_that_expands_past_the_bound_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("layer.dbf", b"\0" * (8 * 2**20))
    assert path.stat().st_size < 2**20
    with pytest.raises(sg.InputError, match="8 MiB \\(expanded\\), over the 1 MiB limit"):
        read_gis(path, max_bytes=2**20)


def test_no_crs_and_unknown_encodings_are_clear_errors(tmp_path):
    path = cp949_shapefile(tmp_path, cpg=True)
    path.with_suffix(".prj").unlink()
    with pytest.raises(sg.GeometryError, match="no CRS"):
        read_gis(path)
    with pytest.raises(sg.InputError, match="unknown encoding 'euc-krr'"):
        read_gis(path, encoding="euc-krr")


def test_looks_garbled_only_flags_korean_read_as_latin1():
    assert looks_garbled("¼­´ë±¸") == "서대구"
    assert looks_garbled("Müller") is None and looks_garbled("서대구") is None
