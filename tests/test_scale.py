"""Tests of sandan_geo.scale, the compatibility module the pair search was split from."""

from __future__ import annotations

import sandan_geo
from sandan_geo import pairs, scale
from sandan_geo.candidates import CANDIDATE_COLUMNS, candidates


def test_old_imports_are_the_new_objects() -> None:
    assert scale.pairs_within is pairs.pairs_within is sandan_geo.pairs_within
    assert scale.pairs_to_graph is pairs.pairs_to_graph is sandan_geo.pairs_to_graph
    assert scale.PAIR_COLUMNS is pairs.PAIR_COLUMNS
    assert scale.candidates is candidates is sandan_geo.candidates
    assert scale.CANDIDATE_COLUMNS is CANDIDATE_COLUMNS
    assert sorted(scale.__all__) == sorted(
        ["CANDIDATE_COLUMNS", "PAIR_COLUMNS", "candidates", "pairs_to_graph", "pairs_within"]
    )
