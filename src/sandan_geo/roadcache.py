"""The disk cache of loaded road networks, keyed by the road file's content.

An entry is a NumPy ``.npz`` archive of a :class:`~sandan_geo.roadnet.RoadNetwork`'s
arrays, read with ``allow_pickle=False``: reading one parses numbers and text and
cannot run code, so a planted or corrupt entry is at worst ignored (and rebuilt,
with a warning). Entries are read only from a folder that is the user's own and
writable by no one else, and only when the file itself is the user's own, is a
regular file (not a link), is writable by no one else, and names the key it is
stored under (so an entry copied or linked to another name is refused).

Examples
--------
>>> road_cache_dir("/tmp/x").as_posix()
'/tmp/x'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SandanGeoWarning
from .roadnet import RoadNetwork

__all__ = ["CACHE_ENV", "cached_network", "file_digest", "road_cache_dir"]

CACHE_ENV: str = "SANDAN_GEO_CACHE"
"""Environment variable naming sandan_geo's cache folder; roads go to its ``roads/``."""

_FORMAT = 3  # bump when the entry's layout changes (1 was a pickle, 2 JSON of a graph)
_SUFFIX = ".roads.npz"
_MAGIC = "sandan-geo road cache"
_ARRAYS = (
    "node_id",
    "lon",
    "lat",
    "indptr",
    "indices",
    "length_m",
    "time_s",
    "geom_ptr",
    "geom_xy",
    "way",
)


def road_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder where loaded road networks are cached.

    ``cache_dir`` if given; else ``$SANDAN_GEO_CACHE/roads``; else
    ``$XDG_CACHE_HOME/sandan_geo/roads``; else ``~/.cache/sandan_geo/roads``.
    Read at call time, so setting the variable takes effect at once.

    Examples
    --------
    >>> road_cache_dir("/tmp/x").as_posix()
    '/tmp/x'
    >>> road_cache_dir().name
    'roads'
    """
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env) / "roads"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sandan_geo" / "roads"


def file_digest(paths: Sequence[Path]) -> str:
    """SHA-256 of the files' suffixes and contents, in order.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.osm"
    >>> _ = p.write_bytes(b"x")
    >>> len(file_digest([p]))
    64
    """
    h = hashlib.sha256()
    for p in paths:
        h.update(p.suffix.lower().encode() + b"\0")
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sandan-geo")
    except PackageNotFoundError:  # pragma: no cover - source tree
        return "0+unknown"


def cached_network(
    path: Path,
    files: Sequence[Path],
    kind: str,
    params: Mapping[str, Any],
    build: Callable[[], RoadNetwork],
    *,
    cache: bool,
    cache_dir: str | os.PathLike[str] | None,
) -> RoadNetwork:
    """Build a network from ``files`` or take it from the cache keyed by their content.

    The returned network's ``meta`` records ``source``, ``source_sha256``,
    ``cache`` (``"hit"``, ``"miss"`` or ``"off"``) and ``cache_path``.
    """
    content = file_digest(files)
    folder = road_cache_dir(cache_dir) if cache else None
    if folder is not None and not _private_folder(folder):
        folder = None
    where: Path | None = None
    if folder is None:
        net, status = build(), "off"
    else:
        key = hashlib.sha256(
            repr((_FORMAT, _package_version(), kind, sorted(params.items()), content)).encode()
        ).hexdigest()
        where = folder / f"{key}{_SUFFIX}"
        cached = _read(where, key)
        if cached is None:
            net, status = build(), "miss"
            _write(where, key, net)
        else:
            net, status = cached, "hit"
    meta = dict(net.meta)
    meta.update(
        source=str(path),
        source_sha256=content,
        cache=status,
        cache_path=None if where is None else str(where),
    )
    object.__setattr__(net, "meta", meta)
    return net


def _uid() -> int | None:
    """The effective user id, ``None`` where the platform has none (Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return None if geteuid is None else int(geteuid())


def _unsafe(st: os.stat_result) -> str | None:
    """Why a file or folder with these stats is not private to this user, or ``None``."""
    uid = _uid()
    if uid is not None and st.st_uid != uid:
        return f"it belongs to user id {st.st_uid}, not to you ({uid})"
    if uid is not None and st.st_mode & 0o022:
        return f"others may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _private_folder(folder: Path) -> bool:
    """Create ``folder`` owner-only (0o700) if missing; whether it is safe to use as a cache."""
    why: str | None
    try:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for p in reversed(missing):
            with contextlib.suppress(FileExistsError):
                p.mkdir(mode=0o700)
        st = os.stat(folder, follow_symlinks=False)
    except OSError as err:
        why = f"cannot be created ({err.strerror or err})"
    else:
        why = "is not a folder" if not stat.S_ISDIR(st.st_mode) else _unsafe(st)
    if why is None:
        return True
    warnings.warn(
        f"road cache folder {folder} is not used: {why}; the roads load uncached "
        f"(make it private with chmod 700, or pass another cache_dir)",
        SandanGeoWarning,
        stacklevel=5,
    )
    return False


def _from_npz(data: Any, key: str) -> RoadNetwork:
    head = json.loads(str(data["header"][()]))
    if not isinstance(head, dict) or head.get("format") != _MAGIC:
        msg = "not a sandan-geo road cache entry"
        raise ValueError(msg)
    if head.get("version") != _FORMAT or head.get("key") != key:
        msg = f"entry of another format or key ({head.get('version')!r}, {head.get('key')!r})"
        raise ValueError(msg)
    arrays = {name: data[name] for name in _ARRAYS}
    n, m = len(arrays["lon"]), len(arrays["indices"])
    ptr, ix, gptr = arrays["indptr"], arrays["indices"], arrays["geom_ptr"]
    ok = (
        len(arrays["lat"]) == len(arrays["node_id"]) == n
        and len(ptr) == n + 1
        and int(ptr[0]) == 0
        and int(ptr[-1]) == m
        and bool(np.all(np.diff(ptr) >= 0))
        and (m == 0 or (int(ix.min()) >= 0 and int(ix.max()) < n))
        and len(arrays["length_m"]) == len(arrays["time_s"]) == len(arrays["way"]) == m
        and len(gptr) == m + 1
        and int(gptr[-1]) == len(arrays["geom_xy"])
        and bool(np.all(np.diff(gptr) >= 0))
    )
    if not ok:
        msg = "arrays of inconsistent sizes"
        raise ValueError(msg)
    meta = head.get("meta", {})
    return RoadNetwork(**arrays, meta=meta if isinstance(meta, dict) else {})


def _read(where: Path, key: str) -> RoadNetwork | None:
    why: str | None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        return None
    except OSError as err:
        why = f"cannot be opened ({err.strerror or err})"
    else:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            why = "is not a regular file" if not stat.S_ISREG(st.st_mode) else _unsafe(st)
            if why is None:
                try:
                    with np.load(f, allow_pickle=False) as data:
                        return _from_npz(data, key)
                except Exception as err:  # a torn or foreign entry: rebuild rather than fail
                    why = f"could not be read ({type(err).__name__}: {err})"
    warnings.warn(
        f"road cache {where} {why}; ignoring it and rebuilding",
        SandanGeoWarning,
        stacklevel=5,
    )
    return None


def _write(where: Path, key: str, net: RoadNetwork) -> None:
    tmp: str | None = None
    try:
        plain = {k: v for k, v in net.meta.items() if isinstance(v, str | int | float | bool)}
        header = json.dumps(
            {"format": _MAGIC, "version": _FORMAT, "key": key, "meta": plain},
            ensure_ascii=False,
        )
        arrays = {name: getattr(net, name) for name in _ARRAYS}
        if arrays["node_id"].dtype == object:
            raise TypeError("node ids of mixed types cannot be cached")
        # mkstemp: an unpredictable name, created exclusively, readable by the owner only.
        fd, tmp = tempfile.mkstemp(prefix=f".{where.name}.", suffix=".tmp", dir=where.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.array(header), **arrays)
        os.replace(tmp, where)
    except (OSError, TypeError, ValueError) as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        warnings.warn(
            f"road cache {where} could not be written ({err}); the roads load uncached",
            SandanGeoWarning,
            stacklevel=5,
        )
