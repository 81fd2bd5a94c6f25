"""Shared fixtures (small plans written inline) and data helpers."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def two_site_plan() -> dict:
    """A minimal valid plan mapping: a hub and one linked complex 6.4 km apart."""
    return {
        "id": "two-site",
        "name": "두 곳",
        "rules": "daegu",
        "sites": [
            {
                "key": "hub1",
                "name": "거점산단",
                "role": "hub",
                "lon": 128.50,
                "lat": 35.84,
                "industries": ["자동차부품"],
            },
            {
                "key": "l1",
                "name": "연계산단",
                "role": "linked_complex",
                "lon": 128.55,
                "lat": 35.88,
                "boundary": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [128.54, 35.87],
                            [128.56, 35.87],
                            [128.56, 35.89],
                            [128.54, 35.89],
                            [128.54, 35.87],
                        ]
                    ],
                },
            },
        ],
        "links": [{"from": "hub1", "to": "l1", "relation": "부품 공급"}],
    }


def clustered(
    seed: int,
    n: int,
    clusters: int,
    spread_km: float,
    centres: tuple[float, float, float, float] = (125.5, 34.0, 130.5, 38.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Clustered lon/lat points: Gaussian clusters around centres drawn in a lon/lat box."""
    rng = np.random.default_rng(seed)
    cx = rng.uniform(centres[0], centres[2], clusters)
    cy = rng.uniform(centres[1], centres[3], clusters)
    label = rng.integers(0, clusters, n)
    lat = cy[label] + rng.normal(0, spread_km / 111.0, n)
    lon = cx[label] + rng.normal(0, spread_km / 111.0, n) / np.cos(np.radians(lat))
    return lon, lat
