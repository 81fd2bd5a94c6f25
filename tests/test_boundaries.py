"""Official boundary files: EUC-KR shapefiles without .cpg, other CRSs, bad geometries."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Polygon, box

from sandan_geo import (
    GeometryError,
    InputError,
    SandanGeoWarning,
    SchemaError,
    attach_boundaries,
    check_plan,
    load_plan,
)


def write_shapefile(folder, *, crs="EPSG:4326", cpg=True, geoms=None, codes=("seodaegu",)):
    geoms = geoms or [box(128.54, 35.87, 128.56, 35.89)]
    frame = gpd.GeoDataFrame(
        {"code": list(codes), "name": ["서대구산단"] * len(codes)}, geometry=geoms, crs="EPSG:4326"
    ).to_crs(crs)
    path = folder / "boundary.shp"
    frame.to_file(path, encoding="cp949")
    if not cpg:
        (folder / "boundary.cpg").unlink()
    return path


def test_cp949_shapefile_without_cpg_is_detected_and_read_as_cp949(tmp_path):
    path = write_shapefile(tmp_path, cpg=False)
    with pytest.warns(SandanGeoWarning, match=r"read as CP949.*'서대구산단'.*encoding='cp949'"):
        plan = attach_boundaries(load_plan("daegu-2020"), path, key_field="code")
    assert plan.meta["boundaries"]["encoding"] == "cp949"
    assert plan.meta["boundaries"]["encoding_guessed"] is True
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        attach_boundaries(load_plan("daegu-2020"), path, key_field="code", encoding="klingon")


def test_cp949_shapefile_loads_with_encoding_or_cpg(tmp_path):
    plan = load_plan("daegu-2020")
    path = write_shapefile(tmp_path, cpg=False)
    new = attach_boundaries(plan, path, key_field="code", encoding="cp949")
    site = new.member("seodaegu").site
    assert not site.extent_approximate
    assert site.extent.equals(box(128.54, 35.87, 128.56, 35.89))
    assert site.provenance["extent"]["source"] == "boundary.shp"
    assert new.member("seongseo").site == plan.member("seongseo").site
    path2 = write_shapefile(tmp_path)
    assert (
        not attach_boundaries(plan, path2, key_field="code")
        .member("seodaegu")
        .site.extent_approximate
    )


def test_boundary_in_korean_tm_is_reprojected(tmp_path):
    path = write_shapefile(tmp_path, crs="EPSG:5186")
    site = (
        attach_boundaries(load_plan("daegu-2020"), path, key_field="code").member("seodaegu").site
    )
    minx, miny, maxx, maxy = site.extent.bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((128.54, 35.87, 128.56, 35.89), abs=1e-6)


def test_attached_boundary_is_used_by_checks(tmp_path):
    plan = load_plan("daegu-2020")
    before = check_plan(plan, [{"type": "max_distance", "km": 50, "metric": "boundary"}])
    path = write_shapefile(tmp_path, geoms=[box(128.60, 35.95, 128.61, 35.96)])
    after = check_plan(
        attach_boundaries(plan, path, key_field="code"),
        [{"type": "max_distance", "km": 50, "metric": "boundary"}],
    )
    b = {c.to: c for c in before.checks}["seodaegu"]
    a = {c.to: c for c in after.checks}["seodaegu"]
    assert a.value_km != b.value_km
    assert b.approximate  # built-in extents are approximate discs


def test_missing_field_bad_geometry_and_missing_file(tmp_path):
    plan = load_plan("daegu-2020")
    path = write_shapefile(tmp_path)
    with pytest.raises(SchemaError, match="no field 'site_key'.*fields are: code, name"):
        attach_boundaries(plan, path, key_field="site_key")
    bowtie = Polygon([(128.54, 35.87), (128.56, 35.89), (128.56, 35.87), (128.54, 35.89)])
    bad = write_shapefile(tmp_path, geoms=[bowtie])
    with pytest.raises(GeometryError, match="not a valid polygon"):
        attach_boundaries(plan, bad, key_field="code")
    with pytest.raises(InputError, match="file not found"):
        attach_boundaries(plan, tmp_path / "none.shp", key_field="code")
