"""Make the corpus inputs that are not committed: GIS files, huge files, folders.

``tests/corpus/manifest.yaml`` names them ``generated/NAME``; :func:`build` makes
``NAME`` in a folder (a pytest tmp folder) and returns its path. GeoPackages and
shapefiles are binary, and a file over the 64 MiB input limit is too big to
commit, so they are made here at test time, each in well under a second (the
huge files are sparse: their size is real, their blocks are not written).

Run it by hand to look at the files::

    python tests/corpus/make_gis.py /tmp/corpus-generated
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

HUGE_BYTES = 65 * 1024 * 1024  # over sandan_geo._io.MAX_INPUT_BYTES (64 MiB)

_SQUARE = (128.54, 35.87, 128.56, 35.89)  # around the built-in site 'seodaegu'


def _frame(columns: dict, geometry: list, crs: str | None = "EPSG:4326"):
    import geopandas as gpd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns when writing without a CRS
        return gpd.GeoDataFrame(columns, geometry=geometry, crs=crs)


def _write(frame, path: Path, **kwargs) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(path, **kwargs)
    return path


def _box():
    from shapely import box

    return box(*_SQUARE)


def _bowtie():
    from shapely import Polygon

    x0, y0, x1, y1 = _SQUARE
    return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])


def _plan_frame(crs: str | None = "EPSG:4326", *, role: bool = True):
    from shapely import Point

    cols = {"key": ["hub1", "l1"], "name": ["거점산단", "연계산단"]}
    if role:
        cols["role"] = ["hub", "linked_complex"]
    return _frame(cols, [Point(128.50, 35.84), _box()], crs=crs)


def _huge(path: Path, head: str) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        fh.truncate(HUGE_BYTES)  # sparse: the size is real, the blocks are not written
    return path


def _truncated(path: Path) -> Path:
    whole = path.with_name("whole-" + path.name)
    _write(_plan_frame(), whole)
    path.write_bytes(whole.read_bytes()[:2048])
    whole.unlink()
    return path


def _drop(path: Path, suffix: str) -> Path:
    path.with_suffix(suffix).unlink()
    return path


def _plan_gpkg(p: Path) -> Path:
    import pandas as pd
    from shapely import LineString

    frame = _plan_frame()
    link = _frame(
        {"from": ["hub1"], "to": ["l1"]},
        [LineString([(128.50, 35.84), (128.55, 35.88)])],
    )
    return _write(pd.concat([frame, link], ignore_index=True), p)


def _plan_link_unknown(p: Path) -> Path:
    import pandas as pd
    from shapely import LineString

    link = _frame(
        {"from": ["hub1"], "to": ["hub9"]},
        [LineString([(128.50, 35.84), (128.55, 35.88)])],
    )
    return _write(pd.concat([_plan_frame(), link], ignore_index=True), p)


def _plan_5179(p: Path) -> Path:
    from shapely import Point

    frame = _frame({"key": ["hub1"], "name": ["거점"], "role": ["hub"]}, [Point(128.5, 35.84)])
    return _write(frame.to_crs("EPSG:5179"), p)


def _plan_mislabelled(p: Path) -> Path:
    from shapely import Point

    # degrees written with a .prj that says EPSG:5179 (metres)
    frame = _frame({"key": ["hub1"], "name": ["거점"], "role": ["hub"]}, [Point(128.5, 35.84)])
    return _write(frame.set_crs("EPSG:5179", allow_override=True), p)


def _boundaries(geometry, *, crs: str | None = "EPSG:4326", **columns) -> Callable[[Path], Path]:
    def make(p: Path) -> Path:
        cols = {"code": ["seodaegu"], **{k: [v] for k, v in columns.items()}}
        geom = geometry() if callable(geometry) else geometry
        return _write(_frame(cols, [geom], crs=crs), p)

    return make


def _boundaries_5179(p: Path) -> Path:
    return _write(_frame({"code": ["seodaegu"]}, [_box()]).to_crs("EPSG:5179"), p)


def _boundaries_euc_kr(p: Path, *, keep_cpg: bool = False) -> Path:
    frame = _frame({"code": ["seodaegu"], "이름": ["서대구산업단지"]}, [_box()])
    _write(frame, p, encoding="cp949")
    cpg = p.with_suffix(".cpg")
    if cpg.exists() and not keep_cpg:
        cpg.unlink()  # without .cpg GDAL reads the attributes as Latin-1
    return p


def _boundaries_mislabelled(p: Path) -> Path:
    frame = _frame({"code": ["seodaegu"]}, [_box()])
    return _write(frame.set_crs("EPSG:5179", allow_override=True), p)


def _tokyo():
    from shapely import box

    return box(139.7, 35.6, 139.8, 35.7)


def _point():
    from shapely import Point

    return Point(128.55, 35.88)


GENERATORS: dict[str, Callable[[Path], Path]] = {
    "huge.yaml": lambda p: _huge(p, "# a plan padded past the input limit\nsites:\n"),
    "huge.geojson": lambda p: _huge(p, '{"type": "FeatureCollection", "features": []}\n'),
    "huge-rules.yaml": lambda p: _huge(p, "- {type: max_distance, km: 5}\n"),
    "huge-sites.yaml": lambda p: _huge(p, "sites: []\n"),
    "folder.yaml": lambda p: (p.mkdir(), p)[1],
    "missing.yaml": lambda p: p,
    "plan.gpkg": _plan_gpkg,
    "plan-5179.shp": _plan_5179,
    "plan-no-role.gpkg": lambda p: _write(_plan_frame(role=False), p),
    "plan-no-crs.gpkg": lambda p: _write(_plan_frame(crs=None), p),
    "plan-mislabelled-crs.shp": _plan_mislabelled,
    "plan-empty-layer.gpkg": lambda p: _write(
        _frame({"key": [], "name": [], "role": []}, []), p, layer="plan"
    ),
    "plan-truncated.gpkg": _truncated,
    "plan-not-sqlite.gpkg": lambda p: (p.write_text("not a GeoPackage\n"), p)[1],
    "plan-link-unknown-site.gpkg": _plan_link_unknown,
    "boundaries-5179.gpkg": _boundaries_5179,
    "boundaries-euc-kr.shp": lambda p: _boundaries_euc_kr(p),
    "boundaries-euc-kr-no-cpg.shp": lambda p: _boundaries_euc_kr(p),
    "boundaries-no-crs.gpkg": _boundaries(_box, crs=None),
    "boundaries-no-prj.shp": lambda p: _drop(_boundaries(_box)(p), ".prj"),
    "boundaries-missing-key-field.gpkg": _boundaries(_box),
    "boundaries-self-intersecting.gpkg": _boundaries(_bowtie),
    "boundaries-outside-korea.gpkg": _boundaries(_tokyo),
    "boundaries-mislabelled-crs.gpkg": _boundaries_mislabelled,
    "boundaries-truncated.gpkg": _truncated,
    "boundaries-empty-file.gpkg": lambda p: (p.write_bytes(b""), p)[1],
    "boundaries-no-shx.shp": lambda p: _drop(_boundaries(_box)(p), ".shx"),
    "boundaries-point.gpkg": _boundaries(_point),
    "boundaries-null-geometry.gpkg": _boundaries(None),
}
"""File name → function that writes it at the given path and returns the path to load."""


def build(name: str, folder: Path) -> Path:
    """Make the generated input ``name`` in its own subfolder of ``folder``."""
    if name not in GENERATORS:
        raise KeyError(f"make_gis.py has no generator for {name!r}")
    sub = Path(folder) / name.replace(".", "_")
    sub.mkdir(parents=True, exist_ok=True)
    return GENERATORS[name](sub / name)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-generated")
    for gen_name in GENERATORS:
        made = build(gen_name, out)
        size = made.stat().st_size if made.is_file() else 0
        print(f"{os.fspath(made)}  {size} bytes")
