"""Former home of the pair search and candidates; kept so old imports keep working.

The pair search now lives in :mod:`sandan_geo.pairs` (with the exact geodesy
in :mod:`sandan_geo.geodesy`, result columns in :mod:`sandan_geo.columns` and
site input in :mod:`sandan_geo.sitetable`), and :func:`candidates` in
:mod:`sandan_geo.candidates`. Import from there, or from :mod:`sandan_geo`.

Examples
--------
>>> from sandan_geo import scale, pairs_within
>>> scale.pairs_within is pairs_within
True
"""

from __future__ import annotations

from .candidates import CANDIDATE_COLUMNS, candidates
from .pairs import PAIR_COLUMNS, pairs_to_graph, pairs_within

__all__ = [
    "CANDIDATE_COLUMNS",
    "PAIR_COLUMNS",
    "candidates",
    "pairs_to_graph",
    "pairs_within",
]
