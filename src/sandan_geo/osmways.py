"""An OSM file's road ways as flat arrays: one libosmium pass, its text read in bulk.

:func:`read_osm_ways` runs :func:`sandan_geo.osmpass.write_road_opl` in a child
Python process that writes OPL to a pipe, and reads that pipe in blocks of a
few megabytes while the child is still working:

- the node references and coordinates of a block are parsed by pandas' C CSV
  reader in one call (the OPL text is turned into ``id,lon,lat`` rows with a
  byte table in NumPy), so no Python object is made per node;
- the tags are the one thing read per way, and only once per distinct tag text
  (most roads share theirs): ``access``, ``area``, ``highway``, ``maxspeed``,
  ``oneway`` and ``junction`` decide whether a way is a road, its class, speed
  and direction (the rules of :mod:`sandan_geo.roadload`).

Why a child process: libosmium's pass holds Python's lock from start to end, so
in the same process nothing could show progress, check the bound on the number
of node references, or read what it has written until it is done (writing the
whole text to a temporary file first). In a child, the parent parses a block
while the child makes the next, a terminal sees progress, and a file past
``limit`` is stopped early (the child is killed). And a file libosmium fails on
in the middle of the pass (a node at latitude 95, a tag that is not UTF-8) can
make libosmium's writer abort the process it runs in (``std::terminate``); in a
child, that is a clear :class:`~sandan_geo.errors.InputError` here. Where no
Python interpreter can be started (a frozen application), reading OSM raises
:class:`~sandan_geo.errors.MissingDependencyError` saying so.

Examples
--------
A one-way street drawn against its direction, through a node the file lacks:

>>> import pathlib, tempfile
>>> osm = pathlib.Path(tempfile.mkdtemp()) / "oneway.osm"
>>> _ = osm.write_text('''<osm version="0.6"><node id="10" lat="36.5" lon="128.1"/>
...   <node id="11" lat="36.51" lon="128.1"/>
...   <way id="7"><nd ref="11"/><nd ref="10"/><nd ref="99"/>
...     <tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way></osm>''')
>>> ways = read_osm_ways(osm, highways=None)
>>> ways.ref.tolist(), ways.x.tolist(), ways.oneway.tolist(), ways.names
([11, 10, 99], [1281000000, 1281000000, 2147483647], [-1], ['residential'])
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Collection, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import osmpass
from .errors import InputError, MissingDependencyError
from .progress import Progress

__all__ = ["NO_COORD", "OsmWays", "read_osm_ways"]

NO_COORD = 2**31 - 1
"""The coordinate (in 1e-7°) of a node reference whose node is not in the file."""

_BLOCK = 8 << 20  # bytes of OPL parsed at a time
_MEANINGS = {  # libosmium's words for what is wrong in a file, in a reader's words
    "invalid location": "a node's longitude or latitude is out of range",
    "Unicode codepoint": "a tag of a road is not valid UTF-8",
}
_ONEWAY = frozenset({"yes", "true", "1", "-1", "reverse"})
_REVERSED = frozenset({"-1", "reverse"})
_NO_ACCESS = frozenset({"no", "private"})
_SPEED_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_MPH = 1.609344
_ESCAPE = re.compile(r"%([0-9a-f]+)%")  # libosmium's OPL escape: a code point in hex
# OPL node lists to CSV rows: "n1x127.5y37,n2x..." -> "1,127.5,37\n2,..." (the "n"
# is dropped when gathering).
_ROWS = np.arange(256, dtype=np.uint8)
_ROWS[[ord(","), ord("x"), ord("y")]] = [ord("\n"), ord(","), ord(",")]
_LINES = np.arange(256, dtype=np.uint8)
_LINES[ord(" ")] = ord("\n")


@dataclass
class OsmWays:
    """The road ways of an OSM file, way after way, as flat arrays.

    ``ref``, ``x`` and ``y`` hold every way's node references (OSM node ids) and
    their coordinates in 1e-7° (:data:`NO_COORD` where the node is missing);
    way ``k`` owns ``ref[start[k]:start[k + 1]]``. Per way: ``way_id``, ``klass``
    (its ``highway`` value as a position in ``names``), ``speed`` (``maxspeed`` in
    km/h, NaN if none or unusable) and ``oneway`` (0 both ways, 1 as drawn, -1
    against). ``bad_speed`` lists the ways whose ``maxspeed`` gave no speed.
    """

    ref: np.ndarray
    x: np.ndarray
    y: np.ndarray
    start: np.ndarray
    way_id: np.ndarray
    klass: np.ndarray
    names: list[str]
    speed: np.ndarray
    oneway: np.ndarray
    bad_speed: list[int] = field(default_factory=list)


def read_osm_ways(
    path: str | os.PathLike[str],
    *,
    highways: Collection[str] | None,
    limit: int = 400_000_000,
    progress: Progress | None = None,
) -> OsmWays:
    """Read the road ways of an OSM file (see the module's notes for how).

    A way is kept if its ``highway`` is in ``highways`` (any, if ``None``), its
    ``access`` is not ``no``/``private``, it is not ``area=yes`` and it has at
    least two node references.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    highways
        ``highway`` values to keep; ``None`` keeps every way with the key.
    limit
        Most node references read; past it the file is refused while reading.
    progress
        Counts ways as they are read.

    Raises
    ------
    InputError
        libosmium cannot read the file, it has more than ``limit`` references, or
        ``highways`` is empty.
    MissingDependencyError
        pyosmium is not installed, or no Python interpreter can be started.

    Examples
    --------
    >>> read_osm_ways("nowhere.osm.pbf", highways=None)
    Traceback (most recent call last):
    ...
    sandan_geo.errors.InputError: nowhere.osm.pbf: not a readable OSM pbf file (Open failed for 'nowhere.osm.pbf': No such file or directory); give an OpenStreetMap extract (.osm, .osm.bz2 or .osm.pbf)
    """
    p = Path(path)
    keep = None if highways is None else sorted(set(highways))
    if keep is not None and not keep:
        raise InputError(
            "highways is empty, so no road would be kept",
            field="highways",
            hint="name highway classes to keep, or pass highways=None to keep all",
        )
    osmium = _import_osmium()
    bar = progress if progress is not None else Progress("", enabled=False)
    bar.set("locating the roads' nodes")
    reader = _Reader()
    blocks = _opl_blocks(p, keep, osmium)
    try:
        for block in blocks:
            reader.read(p, block)
            if reader.refs > limit:
                raise InputError(
                    f"the file holds over {limit:,} road node references; reading it "
                    "would not fit in memory",
                    path=str(p),
                    hint="clip the extract to the region first, e.g. osmium extract --bbox",
                )
            bar.advance(reader.last_ways)
            if bar.note:
                bar.set("")
    finally:
        blocks.close()  # stops the child if reading ended early
    return reader.ways()


def _import_osmium() -> Any:
    try:
        import osmium
    except ImportError as err:
        raise MissingDependencyError(
            "reading OpenStreetMap files needs the osmium package (pyosmium); install it "
            "with pip install 'sandan-geo[roads]' (or pip install osmium)"
        ) from err
    return osmium


def _unreadable(p: Path, reason: str) -> InputError:
    kind = "pbf" if p.name.lower().endswith(".pbf") else "XML"
    return InputError(
        f"not a readable OSM {kind} file ({reason})",
        path=str(p),
        hint="give an OpenStreetMap extract (.osm, .osm.bz2 or .osm.pbf)",
    )


# --------------------------------------------------------------------------- the pass


def _opl_blocks(p: Path, highways: list[str] | None, osmium: Any) -> Generator[bytes, None, None]:
    """The OPL text of the file's road ways from the child, in blocks of whole lines."""
    python = _python()
    # -P keeps osmpass.py's own folder (this package) off the child's path; osmium's
    # folder is passed so that the child finds the osmium this process imported,
    # should the interpreter's own paths lack it (appended there, after the
    # standard library).
    root = str(Path(osmium.__file__).resolve().parents[1])
    command = [python, "-P", osmpass.__file__, str(p), json.dumps(highways), root]
    with tempfile.TemporaryFile() as said:
        try:
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=said
            )
        except OSError as err:
            raise _cannot_start(python, str(err)) from err
        assert child.stdout is not None
        try:
            rest = yield from _split_lines(child.stdout)
            status = child.wait()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        if status != 0:
            said.seek(0)
            lines = said.read(8000).decode("utf-8", "replace").splitlines()
            raise _child_failed(p, python, status, [x.strip() for x in lines if x.strip()])
    if rest.strip():  # a last line without its end (libosmium always ends one)
        yield rest + b"\n"


def _python() -> str:
    """The Python interpreter to run the pass in, or why there is none."""
    exe = sys.executable or ""
    if getattr(sys, "frozen", False) or not exe:
        raise _cannot_start(exe or "sys.executable", "this program has no Python interpreter")
    if not Path(exe).name.lower().startswith(("python", "pypy")):
        raise _cannot_start(exe, "sys.executable is not a Python interpreter")
    return exe


def _cannot_start(python: str, reason: str) -> MissingDependencyError:
    return MissingDependencyError(
        f"reading OpenStreetMap files runs libosmium in a Python process of its own "
        f"({python}), which could not start: {reason}; read the roads from a "
        "GeoPackage or shapefile of road lines instead, or run sandan_geo from a "
        "regular Python installation"
    )


def _child_failed(p: Path, python: str, status: int, lines: list[str]) -> Exception:
    """The error for a child that ended with ``status`` after writing ``lines`` to stderr."""
    if osmpass.READY not in lines:  # it never got to the file
        return _cannot_start(python, lines[-1] if lines else f"exit status {status}")
    reasons = [x.removeprefix("error: ") for x in lines if x.startswith("error: ")]
    # libosmium's C++ exception at an abort: "what():  <reason>"
    reasons += [x.split("what():", 1)[1].strip() for x in lines if "what():" in x]
    after = lines[lines.index(osmpass.READY) + 1 :]
    reason = (reasons or after or [f"the reading process ended with {status}"])[0]
    for words, meaning in _MEANINGS.items():
        if words in reason:
            reason = f"{meaning}; libosmium: {reason}"
            break
    return _unreadable(p, reason)


def _split_lines(stream: Any) -> Generator[bytes, None, bytes]:
    """Blocks of whole lines read from ``stream``; returns what is left after the last."""
    rest = b""
    while block := stream.read(_BLOCK):
        data = rest + block if rest else block
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut]
    return rest


# --------------------------------------------------------------------------- the text


class _Reader:
    """Parses OPL blocks into per-block arrays; :meth:`ways` joins and filters them."""

    def __init__(self) -> None:
        self.tag_code: dict[bytes, int] = {}  # a way's tag text -> its code
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.refs = 0
        self.last_ways = 0

    def read(self, p: Path, block: bytes) -> None:
        b = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(b == ord("\n"))
        spaces = np.flatnonzero(b == ord(" "))
        starts = np.empty_like(ends)
        starts[0], starts[1:] = 0, ends[:-1] + 1
        # Each line is "w<id> T<tags> N<nodes>"; OPL escapes spaces inside tags,
        # but not bytes that are not UTF-8, which is how a line can come out wrong.
        if len(spaces) != 2 * len(ends):
            raise _garbled(p)
        t_at, n_at = spaces[0::2], spaces[1::2]
        if not (
            (b[starts] == ord("w")).all()
            and (b[t_at + 1] == ord("T")).all()
            and (b[n_at + 1] == ord("N")).all()
            and (t_at < n_at).all()
            and (n_at < ends).all()
        ):
            raise _garbled(p)
        code = self.tag_code
        tags = np.fromiter(
            (
                code.setdefault(block[t:n], len(code))
                for t, n in zip((t_at + 2).tolist(), n_at.tolist(), strict=True)
            ),
            dtype=np.int32,
            count=len(ends),
        )
        # A node is "n<id>x<lon>y<lat>" ("n<id>xy" if the file lacks it); after " N"
        # nothing but nodes is written, so every "n" there starts one.
        node_at = np.flatnonzero(b == ord("n"))
        counts = np.searchsorted(node_at, ends) - np.searchsorted(node_at, n_at)
        try:
            way_id = _numbers(_gather(b, starts + 1, t_at, _LINES), 1, np.int64)[0]
            rows = _gather(b, n_at + 2, ends, _ROWS, drop=ord("n"))
            ref, lon, lat = _numbers(rows, 3, np.int64, np.float64, np.float64)
        except ValueError as err:  # pandas' parser errors and UnicodeDecodeError among them
            raise _garbled(p) from err
        if len(way_id) != len(ends) or len(ref) != int(counts.sum()):
            raise _garbled(p)
        x = _fixed(lon)
        y = _fixed(lat)
        self.parts.append((way_id, tags, counts, ref, x, y))
        self.refs += len(ref)
        self.last_ways = len(ends)

    def ways(self) -> OsmWays:
        """Every block joined; ways that are not roads (or too short) left out."""
        if self.parts:
            way_id, tags, counts, ref, x, y = (
                np.concatenate(c) for c in zip(*self.parts, strict=True)
            )
        else:
            way_id = ref = counts = np.zeros(0, dtype=np.int64)
            tags = x = y = np.zeros(0, dtype=np.int32)
        self.parts.clear()
        rules = _TagRules(list(self.tag_code))
        keep = ~rules.excluded[tags] & (counts >= 2)
        if not keep.all():
            ref, x, y = (a[np.repeat(keep, counts)] for a in (ref, x, y))
            way_id, tags, counts = way_id[keep], tags[keep], counts[keep]
        start = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        speed = rules.speed[tags]
        bad = rules.bad_speed[tags]
        # Classes of the roads kept only: a class seen only on excluded ways must not
        # enter the speed imputation (its hwy_speeds entry, the mean of the means).
        used, klass = np.unique(rules.klass[tags], return_inverse=True)
        return OsmWays(
            ref=ref,
            x=x,
            y=y,
            start=start,
            way_id=way_id,
            klass=klass.astype(np.int32).ravel(),
            names=[rules.names[i] for i in used.tolist()],
            speed=speed,
            oneway=rules.oneway[tags],
            bad_speed=way_id[bad].tolist(),
        )


def _garbled(p: Path) -> InputError:
    return _unreadable(
        p,
        "its roads could not be read back from libosmium's text; a road's tag that is "
        "not valid UTF-8 can do this",
    )


def _gather(
    b: np.ndarray, lo: np.ndarray, hi: np.ndarray, table: np.ndarray, drop: int | None = None
) -> bytes:
    """The bytes ``b[lo[i]:hi[i] + 1]`` of every range, joined, through ``table``.

    Bytes equal to ``drop`` are left out.
    """
    mark = np.zeros(len(b) + 1, dtype=np.int8)
    mark[lo] += 1
    mark[hi + 1] -= 1
    inside = np.cumsum(mark[:-1], dtype=np.int8).view(bool)
    if drop is not None:
        inside &= b != drop
    out: bytes = table[b[inside]].tobytes()
    return out


def _numbers(text: bytes, columns: int, *dtypes: Any) -> list[np.ndarray]:
    """Rows of ``columns`` comma-separated numbers, one column per array."""
    import pandas as pd

    if not text.strip():
        return [np.zeros(0, dtype=t) for t in dtypes]
    frame = pd.read_csv(
        io.BytesIO(text),
        header=None,
        names=list(range(columns)),
        dtype=dict(enumerate(dtypes)),
        engine="c",
        na_filter=True,
        skip_blank_lines=True,
    )
    return [frame[i].to_numpy() for i in range(columns)]


def _fixed(degrees: np.ndarray) -> np.ndarray:
    """Degrees to integers of 1e-7° (OSM's precision, exact); NaN to :data:`NO_COORD`."""
    out = np.full(len(degrees), NO_COORD, dtype=np.int32)
    ok = np.isfinite(degrees)
    out[ok] = np.rint(degrees[ok] * 1e7)
    return out


# --------------------------------------------------------------------------- the tags


class _TagRules:
    """Per distinct tag text: excluded or not, class, speed and direction."""

    def __init__(self, texts: list[bytes]) -> None:
        n = len(texts)
        self.excluded = np.zeros(n, dtype=bool)
        self.klass = np.zeros(n, dtype=np.int32)
        self.speed = np.full(n, math.nan)
        self.bad_speed = np.zeros(n, dtype=bool)
        self.oneway = np.zeros(n, dtype=np.int8)
        classes: dict[str, int] = {}
        for i, text in enumerate(texts):
            tags = _tags(text)
            self.excluded[i] = tags.get("access") in _NO_ACCESS or tags.get("area") == "yes"
            self.klass[i] = classes.setdefault(tags.get("highway", ""), len(classes))
            maxspeed = tags.get("maxspeed")
            self.speed[i] = _maxspeed(maxspeed)
            self.bad_speed[i] = maxspeed is not None and math.isnan(self.speed[i])
            oneway = tags.get("oneway")
            if oneway in _ONEWAY or tags.get("junction") == "roundabout":
                self.oneway[i] = -1 if oneway in _REVERSED else 1
        self.names = list(classes)


def _tags(text: bytes) -> dict[str, str]:
    """An OPL tag list (``k=v,k=v`` with ``%hex%`` escapes) as a dict."""
    out: dict[str, str] = {}
    if not text:
        return out
    for pair in text.decode("utf-8", "replace").split(","):
        key, _, value = pair.partition("=")
        out.setdefault(_unescape(key), _unescape(value))  # a repeated key: the first
    return out


def _unescape(s: str) -> str:
    if "%" not in s:
        return s
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def _maxspeed(value: str | None) -> float:
    """A ``maxspeed`` tag in km/h; NaN if absent or unusable (0, negative, over 300, words)."""
    if value is None:
        return math.nan
    numbers = [float(m.replace(",", ".")) for m in _SPEED_NUMBER.findall(value)]
    if not numbers or min(numbers) <= 0 or max(numbers) > 300:
        return math.nan
    speed = sum(numbers) / len(numbers)
    return speed * _MPH if "mph" in value.lower() else speed
