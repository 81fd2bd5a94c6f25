"""Tests of sandan_geo.columns: growable memory-mapped result columns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandan_geo import columns
from sandan_geo.columns import Column

_CAN_REMAP = columns.RESIZE_IN_PLACE


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(0, 20_000), max_size=12),
    remap=st.booleans(),
    dtype=st.sampled_from([np.int8, np.int32, np.float64]),
)
def test_column_holds_exactly_what_was_appended(
    sizes: list[int], remap: bool, dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both ways of growing: remapping in place (Linux) and segments gathered at the end.
    monkeypatch.setattr(columns, "RESIZE_IN_PLACE", remap and _CAN_REMAP)  # set for every example
    rng = np.random.default_rng(len(sizes))
    parts = [rng.integers(-100, 100, n).astype(dtype) for n in sizes]
    col = Column(dtype)
    for part in parts:
        col.extend(part)
    got = col.finish()
    want = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
    assert got.dtype == np.dtype(dtype)
    assert np.array_equal(got, want)
    got[:] = 0  # the result is an ordinary writable array
    assert not got.any()


def test_column_costs_only_the_pages_it_writes() -> None:
    # 9 chunks of 8 MB: the map has grown by doubling to 128 MB, 72 MB of it written.
    # Resident memory must follow what was written, before and after trimming.
    def rss() -> int:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(x.split()[1]) * 1024 for x in f if x.startswith("VmRSS:"))

    if not columns.RESIZE_IN_PLACE:
        pytest.skip("resident-size check is for Linux")
    chunk = np.ones(1 << 20)
    before = rss()
    col = Column(np.float64)
    for _ in range(9):
        col.extend(chunk)
    written = 9 * chunk.nbytes
    assert len(col.map) == 2 * 8 * chunk.nbytes  # capacity: 128 MB
    grown = rss() - before
    assert 0.9 * written < grown < 1.1 * written
    out = col.finish()
    assert out.nbytes == written
    assert rss() - before < 1.1 * written
