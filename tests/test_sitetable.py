"""sitetable: site input (Site objects or a GeoDataFrame) to arrays, with its problems named."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Point, box

import sandan_geo as sg
from sandan_geo.sitetable import duplicate_key_problems, site_table


def test_sites_and_a_frame_give_the_same_points():
    sites = [
        sg.Site(key="a", name_ko="가", lon=127.0, lat=37.0),
        sg.Site(key="b", name_ko="나", lon=127.1, lat=37.1),
    ]
    frame = gpd.GeoDataFrame(
        {"key": ["a", "b"]}, geometry=[Point(127.0, 37.0), Point(127.1, 37.1)], crs="EPSG:4326"
    ).to_crs("EPSG:5179")
    t1, t2 = site_table(sites), site_table(frame)
    assert list(t1.keys) == list(t2.keys) == ["a", "b"]
    for metric in ("centroid", "boundary"):
        (lon1, lat1), (lon2, lat2) = t1.point_lonlat(metric), t2.point_lonlat(metric)
        assert lon1.tolist() == pytest.approx(lon2.tolist(), abs=1e-9)
        assert lat1.tolist() == pytest.approx(lat2.tolist(), abs=1e-9)


def test_duplicate_keys_are_named():
    problems = duplicate_key_problems(["a", "b", "a", "c", "b"])
    assert len(problems) == 2 and "'a'" in problems[0] and "'b'" in problems[1]
    frame = gpd.GeoDataFrame({"key": ["x", "x"]}, geometry=[box(0, 0, 1, 1)] * 2, crs=4326)
    with pytest.raises(sg.SchemaError, match="'x'"):
        site_table(frame)
