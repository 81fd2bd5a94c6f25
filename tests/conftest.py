"""Shared fixtures: small plans written inline and the test-data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    """The folder of small fixture files (see tests/data/README.md)."""
    return DATA


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
