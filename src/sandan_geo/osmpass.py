"""The libosmium pass over an OSM file: its road ways, with node locations, as OPL text.

:func:`write_road_opl` runs one pass of libosmium (through pyosmium) over an
OpenStreetMap file (XML, ``.bz2``, ``.gz`` or PBF): node locations go into
libosmium's index, ways are kept if they have a ``highway`` tag (one of
``highways`` if given), and each kept way is written as one line of OPL
(libosmium's text format) with the location of every node it references::

    w7 Thighway=residential,oneway=-1 Nn2x127y37.02,n1x127y37.01,n0x127y37

The whole pass, filter included, runs in C++: no Python object is made per node
or per way, which is what makes it several times faster than any loop over
pyosmium objects. :mod:`sandan_geo.osmways` reads the text in bulk.

The module imports nothing of sandan_geo, so that it can run as a script in a child
process (``python -P osmpass.py FILE HIGHWAYS_JSON [OSMIUM_ROOT]``, writing to
standard output) without importing the package; it is also importable, which is
how the tests call it. Run as a script it ends with ``os._exit``: when libosmium
has failed mid-pass its writer throws again as it is destroyed, which would abort
the process at exit (``std::terminate``) and bury the reason.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.osm").write_text('''<osm version="0.6">
...   <node id="1" lat="37.0" lon="127.0"/><node id="2" lat="37.01" lon="127.0"/>
...   <way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>
...   <way id="6"><nd ref="2"/><nd ref="1"/><tag k="highway" v="footway"/></way>
... </osm>''')
>>> write_road_opl(str(d / "a.osm"), str(d / "a.opl"), ["primary"])
>>> (d / "a.opl").read_text()
'w5 Thighway=primary Nn1x127y37,n2x127y37.01\\n'
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import types
from collections.abc import Sequence
from typing import Any

__all__ = ["FAILED", "OPL_FORMAT", "READY", "main", "write_road_opl"]

OPL_FORMAT = "opl,add_metadata=false,locations_on_ways=true"
"""libosmium's output format: OPL without version, user or time, with node locations."""

FAILED = 3
"""The exit status of :func:`main` when the file cannot be read (the reason on stderr)."""

READY = "osmpass: ready"
"""Written to stderr once osmium is imported: a failure after it is the file's."""


def write_road_opl(src: str, dst: str, highways: Sequence[str] | None) -> None:
    """Write the road ways of ``src``, with node locations, as OPL to ``dst``.

    Parameters
    ----------
    src
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``).
    dst
        Where to write; ``"-"`` is standard output. An existing file is refused.
    highways
        ``highway`` values to keep; ``None`` keeps every way that has the key.

    Raises
    ------
    RuntimeError, ValueError
        libosmium could not read ``src`` (malformed or truncated). After a failure
        in the middle of the pass, libosmium's writer throws again when it is
        destroyed, which aborts the process: call this in a process of its own
        (as :func:`main` is run) unless the file is known to be sound.

    Examples
    --------
    >>> write_road_opl("missing.osm", "-", None)
    Traceback (most recent call last):
    ...
    RuntimeError: Open failed for 'missing.osm': No such file or directory
    """
    import osmium

    _write(osmium, osmium.osm.NODE, osmium.osm.WAY, src, dst, highways)


def _write(
    osm: Any, node: Any, way: Any, src: str, dst: str, highways: Sequence[str] | None
) -> None:
    """The pass, with ``osm`` the osmium package or its compiled parts (see _compiled)."""
    roads: object
    if highways is None:
        roads = osm.filter.KeyFilter("highway")
    else:
        roads = osm.filter.TagFilter(*(("highway", h) for h in sorted(highways)))
    # A node missing from the file leaves its location undefined ("n9xy" in OPL);
    # the reader drops the segments that touch it.
    locations = osm.NodeLocationsForWays(osm.index.create_map("flex_mem"))
    locations.ignore_errors()
    reader = osm.io.Reader(src, node | way)
    writer = osm.SimpleWriter(osm.io.File(dst, OPL_FORMAT))
    osm.apply(reader, locations, osm.filter.EntityFilter(way), roads, writer)
    writer.close()
    reader.close()


def _compiled() -> tuple[Any, Any, Any] | None:
    """osmium's compiled modules alone, without running the package's ``__init__``.

    ``import osmium`` also imports every pure-Python helper (file processors,
    reference writers, typing): 28 ms of a child's 60 ms here, where a small file's
    whole load is about 100 ms. The pass needs only the compiled ``_osmium``,
    ``io``, ``filter``, ``index`` and ``osm._osm``. On any surprise (another
    layout in a later pyosmium) this returns None and the package is imported whole.
    """
    if "osmium" in sys.modules:  # imported whole already (a caller in this process)
        return None
    spec = importlib.util.find_spec("osmium")
    if spec is None or not spec.submodule_search_locations:
        return None
    folders = list(spec.submodule_search_locations)
    stubs = ("osmium", "osmium.osm")
    try:
        for name, path in zip(stubs, (folders, [os.path.join(folders[0], "osm")]), strict=True):
            stub = types.ModuleType(name)
            stub.__path__ = path
            sys.modules[name] = stub
        core = importlib.import_module("osmium._osmium")
        parts = types.SimpleNamespace(
            apply=core.apply,
            SimpleWriter=core.SimpleWriter,
            NodeLocationsForWays=core.NodeLocationsForWays,
            io=importlib.import_module("osmium.io"),
            filter=importlib.import_module("osmium.filter"),
            index=importlib.import_module("osmium.index"),
        )
        bits = importlib.import_module("osmium.osm._osm").osm_entity_bits
    except Exception:
        for name in [n for n in sys.modules if n == "osmium" or n.startswith("osmium.")]:
            del sys.modules[name]
        return None
    # Forget the stubs and parts, so that a later "import osmium" in this process
    # runs the real package (the compiled modules stay loaded and are reused).
    for name in [n for n in sys.modules if n in stubs or n.startswith("osmium.")]:
        del sys.modules[name]
    return parts, bits.NODE, bits.WAY


def main(argv: Sequence[str] | None = None) -> int:
    """Run :func:`write_road_opl` to standard output; report a failure in one line.

    Parameters
    ----------
    argv
        ``[FILE, HIGHWAYS_JSON]`` or ``[FILE, HIGHWAYS_JSON, OSMIUM_ROOT]``:
        ``HIGHWAYS_JSON`` is a JSON list of ``highway`` values or ``null``;
        ``OSMIUM_ROOT`` a folder to look for osmium in when the interpreter's own
        paths lack it (it is appended to ``sys.path``, so it never shadows the
        standard library). ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0; 2 for bad arguments or no osmium; :data:`FAILED` with ``error: <reason>``
        on standard error when the file cannot be read.

    Examples
    --------
    >>> main([])
    2
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3):
        print("usage: osmpass.py FILE HIGHWAYS_JSON [OSMIUM_ROOT]", file=sys.stderr)
        return 2
    found = _compiled()
    if found is None and len(args) == 3:
        sys.path.append(args[2])
        found = _compiled()
    if found is None:
        try:
            import osmium
        except ImportError as err:
            print(f"cannot import osmium: {err}", file=sys.stderr)
            return 2
        found = (osmium, osmium.osm.NODE, osmium.osm.WAY)
    print(READY, file=sys.stderr, flush=True)
    try:
        osm, node, way = found
        _write(osm, node, way, args[0], "-", json.loads(args[1]))
    except Exception as err:  # libosmium's C++ errors arrive as several Python types
        print(f"error: {err}".replace("\n", " "), file=sys.stderr, flush=True)
        return FAILED
    return 0


if __name__ == "__main__":  # pragma: no cover - run in a child process by osmways
    status = main()
    sys.stderr.flush()
    os._exit(status)  # no destructors: see the module's notes
