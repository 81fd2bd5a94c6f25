"""Growable one-dimensional arrays in anonymous memory maps, for results of unknown size.

The pair search does not know how many pairs it will find; a :class:`Column`
takes them block by block and holds no more memory than the values written.

Examples
--------
>>> import numpy as np
>>> col = Column(np.int32)
>>> col.extend(np.arange(3, dtype=np.int32))
>>> col.extend(np.arange(2, dtype=np.int32))
>>> col.finish().tolist()
[0, 1, 2, 0, 1]
"""

from __future__ import annotations

import mmap
import sys
from typing import Any

import numpy as np

__all__ = ["RESIZE_IN_PLACE", "Column"]

_START_BYTES = 1 << 16  # first size of a column's memory map


class Column:
    """A 1-D array built by appending, holding no more memory than its values.

    The values live in an anonymous memory map: a page costs memory only once
    written, and the map grows and finally shrinks to fit with ``mremap``
    (:meth:`mmap.mmap.resize`), which moves no data. Where anonymous maps
    cannot be resized, full maps are kept as segments and gathered into one
    array at the end, each dropped as soon as it is copied (peak: the column
    plus one segment).

    Resizing is used on Linux only, on private maps: there ``mremap`` is
    documented to keep the data and zero-fill growth (a shared anonymous map
    grown this way faults with SIGBUS past its first size).

    Written for memory, and measured (``docs/benchmarks.md``): growing a numpy
    array with ``ndarray.resize`` (``realloc``) peaked at 2.4× the result of
    ``pairs_within`` for 10⁵ points, because glibc serves buffers under its
    adaptive mmap threshold from the heap, where growing copies and freed
    pages stay resident; a list of chunks concatenated at the end needs twice
    the result.
    """

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.full: list[np.ndarray] = []  # only where maps cannot be resized
        self.map = _anonymous_map(_START_BYTES)
        self.view: np.ndarray | None = np.frombuffer(self.map, dtype=self.dtype)
        self.fill = 0  # values in the current map
        self.n = 0  # values in all

    def extend(self, values: np.ndarray) -> None:
        k = len(values)
        if self.view is None or self.fill + k > len(self.view):
            self._grow(self.fill + k)
        assert self.view is not None
        self.view[self.fill : self.fill + k] = values
        self.fill += k
        self.n += k

    def _grow(self, need: int) -> None:
        size = max(need, 2 * (len(self.map) // self.dtype.itemsize)) * self.dtype.itemsize
        self.view = None  # a map with a live buffer cannot be resized
        if RESIZE_IN_PLACE:
            self.map.resize(size)
        else:
            self.full.append(np.frombuffer(self.map, dtype=self.dtype, count=self.fill))
            self.map = _anonymous_map(size)
            self.fill = 0
        self.view = np.frombuffer(self.map, dtype=self.dtype)

    def finish(self) -> np.ndarray:
        """The values as one array. Call once: the column is spent afterwards."""
        if self.n == 0:
            return np.empty(0, dtype=self.dtype)
        self.view = None
        if not self.full:
            if RESIZE_IN_PLACE:
                self.map.resize(self.n * self.dtype.itemsize)  # give the spare pages back
            return np.frombuffer(self.map, dtype=self.dtype, count=self.n)
        parts = [*self.full, np.frombuffer(self.map, dtype=self.dtype, count=self.fill)]
        self.full = []
        del self.map
        out = np.empty(self.n, dtype=self.dtype)
        pos = 0
        parts.reverse()
        while parts:
            part = parts.pop()
            out[pos : pos + len(part)] = part
            pos += len(part)
            del part  # its map is released here
        return out


RESIZE_IN_PLACE: bool = sys.platform.startswith("linux") and hasattr(mmap, "MAP_PRIVATE")
"""Grow and trim maps in place with ``mremap`` (Linux, private maps); else keep full maps
as segments gathered at the end. Read at each use, so a test can switch it off."""


def _anonymous_map(size: int) -> mmap.mmap:
    """A private, zero-filled, writable anonymous memory map of ``size`` bytes."""
    if hasattr(mmap, "MAP_PRIVATE"):
        return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return mmap.mmap(-1, size)  # Windows: a private page-file section
