"""Read GIS files as Korean GIS software writes them: encodings, sizes, CRS.

Shapefiles from Korean QGIS or ArcGIS often carry CP949 (EUC-KR) attributes
and no ``.cpg`` file; GDAL then reads them as Latin-1 and every Korean name
comes out garbled (``¼­´ë±¸`` for ``서대구``), field names included. GeoJSON
saved with the "system" encoding is CP949 too, though the format says UTF-8.
:func:`read_gis` reads any file GDAL reads (shapefile, GeoPackage, GeoJSON,
FlatGeobuf, a zipped shapefile) and, unless an encoding is given, detects
CP949 text read as Latin-1 and reads the file again as CP949, saying so with
a warning. Every text cell and field name comes back in Unicode NFC.

Examples
--------
>>> import tempfile, pathlib, geopandas as gpd
>>> from shapely import box
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> gpd.GeoDataFrame({"단지명": ["서대구"]}, geometry=[box(0, 0, 1, 1)],
...                  crs="EPSG:5186").to_file(folder / "b.shp", encoding="cp949")
>>> (folder / "b.cpg").unlink()          # as many Korean shapefiles come
>>> import warnings
>>> with warnings.catch_warnings(record=True) as seen:
...     warnings.simplefilter("always")
...     table = read_gis(folder / "b.shp")
>>> table.encoding, table.guessed, list(table.frame.columns)
('cp949', True, ['단지명', 'geometry'])
"""

from __future__ import annotations

import codecs
import io
import os
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import decode_text
from .errors import GeometryError, InputError, SandanGeoWarning

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["MAX_GIS_BYTES", "GisTable", "looks_garbled", "read_gis", "to_lonlat"]

MAX_GIS_BYTES = 1024 * 1024 * 1024
"""Largest GIS input read (1 GiB, all sidecar files together, or what a zip expands to).

The national boundary layer of all ~1,340 complexes is far smaller; more is a
wrong file or a zip bomb."""

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN1_HIGH = re.compile(r"[\u0080-\u00ff]")
_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


@dataclass(frozen=True)
class GisTable:
    """A GIS file read into a GeoDataFrame, with the encoding its text was read in.

    Parameters
    ----------
    frame
        The features; text in Unicode NFC.
    encoding
        The attribute encoding used (``"cp949"``, ``"utf-8"``) or ``None`` for
        GDAL's own choice (a ``.cpg`` file, or the format's rule).
    guessed
        True when the encoding was detected from garbled text rather than given.
    """

    frame: gpd.GeoDataFrame
    encoding: str | None
    guessed: bool


def looks_garbled(text: str) -> str | None:
    """Return the Korean text ``text`` would be if it is CP949 read as Latin-1, else ``None``.

    Examples
    --------
    >>> looks_garbled("¼­´ë±¸"), looks_garbled("서대구"), looks_garbled("Café")
    ('서대구', None, None)
    """
    if not _LATIN1_HIGH.search(text) or _HANGUL.search(text):
        return None
    try:
        fixed = text.encode("latin-1").decode("cp949")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return fixed if _HANGUL.search(fixed) else None


def _garbled_example(frame: Any) -> tuple[str, str, str] | None:
    """The first (field, as read, as CP949) that looks garbled: field names, then values."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    for column in frame.columns:
        fixed = looks_garbled(str(column))
        if fixed:
            return (str(column), str(column), fixed)
    for column in frame.columns:
        if column == "geometry" or not (
            is_string_dtype(frame[column]) or is_object_dtype(frame[column])
        ):
            continue
        for value in frame[column].dropna().astype(str).head(500):
            fixed = looks_garbled(value)
            if fixed:
                return (str(column), value, fixed)
    return None


def _nfc(frame: Any) -> Any:
    """Field names and text cells in Unicode NFC (Hangul typed on a Mac comes as NFD)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    frame = frame.rename(
        columns=lambda c: unicodedata.normalize("NFC", c) if isinstance(c, str) else c
    )
    for column in frame.columns:
        if column != "geometry" and (
            is_string_dtype(frame[column]) or is_object_dtype(frame[column])
        ):
            frame[column] = frame[column].map(
                lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v
            )
    return frame


def _size(p: Path) -> int:
    """Bytes the reader will take in: sidecars of a shapefile, a zip's expanded members."""
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as z:
                return sum(info.file_size for info in z.infolist())
        except (zipfile.BadZipFile, OSError) as err:
            raise InputError(f"cannot read the zip file ({err})", path=str(p)) from None
    if p.suffix.lower() == ".shp":
        return sum(p.with_suffix(s).stat().st_size for s in _SIDECARS if p.with_suffix(s).exists())
    return p.stat().st_size


def _json_bytes(p: Path) -> tuple[bytes, str | None]:
    """A GeoJSON file's bytes as UTF-8, converting CP949 text (with a warning)."""
    text, guessed = decode_text(p.read_bytes(), str(p))
    return text.encode("utf-8"), "cp949" if guessed else None


def read_gis(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    layer: str | int | None = None,
    what: str = "GIS file",
    max_bytes: int = MAX_GIS_BYTES,
) -> GisTable:
    """Read a GIS file, detecting CP949 text; refuse files with no CRS or over the size bound.

    Parameters
    ----------
    path
        A shapefile, GeoPackage, GeoJSON, zipped shapefile or any file GDAL reads.
    encoding
        Attribute encoding (``"cp949"``, ``"utf-8"``). Without it, CP949 read
        as Latin-1 is detected from field names and values and the file is
        read again as CP949, with a warning naming the field that showed it.
    layer
        Layer name or index for multi-layer files.
    what
        What the file is, for messages (``"boundary file"``, ``"plan"``).
    max_bytes
        Refuse inputs larger than this (sidecars together; a zip's expanded size).

    Returns
    -------
    GisTable

    Raises
    ------
    InputError
        Missing, unreadable, too large or garbled in an encoding that is not
        CP949; :class:`~sandan_geo.errors.GeometryError` when it has no CRS.

    Examples
    --------
    >>> read_gis("missing.shp")
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: missing.shp: file not found; check the path
    """
    p = Path(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r}", path=str(p), hint="e.g. cp949 or utf-8"
            ) from None
    if not p.exists():
        raise InputError("file not found", path=str(p), hint="check the path")
    if p.is_dir():
        raise InputError(f"is a folder, not a {what}", path=str(p), hint=f"name the {what}")
    size = _size(p)
    if size > max_bytes:
        raise InputError(
            f"{what} is {size / 2**20:,.0f} MiB (expanded), over the "
            f"{max_bytes // 2**20:,} MiB limit",
            path=str(p),
            hint="check that this is the right file; clip it to the region in a GIS",
        )
    source: Any = p
    guessed = False
    if encoding is None and p.suffix.lower() in (".geojson", ".json"):
        data, found = _json_bytes(p)
        if found:
            source, encoding, guessed = io.BytesIO(data), None, True
            warnings.warn(
                f"{p}: read as CP949 (EUC-KR) because it is not valid UTF-8; "
                "pass encoding='utf-8' or 'cp949' to say which",
                SandanGeoWarning,
                stacklevel=3,
            )
    frame = _read(source, p, encoding, layer)
    used = "cp949" if guessed else encoding
    if encoding is None and not guessed:
        example = _garbled_example(frame)
        if example is not None:
            field, seen, fixed = example
            frame = _read(p, p, "cp949", layer)
            used, guessed = "cp949", True
            warnings.warn(
                f"{p}: read as CP949 (EUC-KR): field {field!r} held {seen!r}, which is "
                f"{fixed!r} in CP949; pass encoding='cp949' (or another) to say which",
                SandanGeoWarning,
                stacklevel=3,
            )
    _refuse_non_finite(frame, p)
    if frame.crs is None:
        raise GeometryError(
            "file has no CRS (.prj missing)",
            path=str(p),
            hint="define its CRS in a GIS, e.g. EPSG:5186 for the national boundary layer",
        )
    return GisTable(frame=_nfc(frame), encoding=used, guessed=guessed)


def to_lonlat(frame: Any, path: str | os.PathLike[str]) -> Any:
    """The features in WGS84 lon/lat (EPSG:4326), refused if that leaves a non-finite coordinate.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> f = gpd.GeoDataFrame(geometry=[Point(200000, 600000)], crs="EPSG:5186")
    >>> [round(v, 9) for v in to_lonlat(f, "f.gpkg").geometry[0].coords[0]]
    [127.0, 38.0]
    """
    p = Path(path)
    try:
        out = frame.to_crs("EPSG:4326")
    except Exception as err:  # PROJ errors on odd CRS definitions
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GeometryError(
            f"cannot reproject to WGS84 ({first})",
            path=str(p),
            hint="give the file an EPSG CRS, e.g. EPSG:5186 or EPSG:4326",
        ) from None
    _refuse_non_finite(out, p)
    return out


def _refuse_non_finite(frame: Any, p: Path) -> None:
    """NaN or infinite coordinates (a damaged file) as one clear error naming the features."""
    import numpy as np
    import shapely

    coords, index = shapely.get_coordinates(frame.geometry.values, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if len(bad):
        shown = ", ".join(str(int(i) + 1) for i in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise GeometryError(
            f"{len(bad):,} feature(s) have NaN or infinite coordinates (feature {shown})",
            path=str(p),
            hint="the file is damaged: export it again from the GIS",
        )


def _read(source: Any, p: Path, encoding: str | None, layer: str | int | None) -> Any:
    import geopandas as gpd

    kwargs: dict[str, Any] = {"engine": "pyogrio"}
    if encoding:
        kwargs["encoding"] = encoding
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return gpd.read_file(source, **kwargs)
    except LookupError:
        raise InputError(
            f"unknown encoding {encoding!r}", path=str(p), hint="e.g. cp949 or utf-8"
        ) from None
    except MemoryError:
        raise InputError(
            "not enough memory to read the file", path=str(p), hint="clip it in a GIS"
        ) from None
    except Exception as err:  # pyogrio raises DataSourceError and friends
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"cannot read as a GIS file ({first})", path=str(p)) from None
