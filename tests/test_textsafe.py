"""textsafe: nothing a user wrote can move the cursor, forge a line or reorder text."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from sandan_geo.textsafe import escape_controls, plain_text


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in (
        "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )


@given(st.text())
def test_plain_text_is_one_line_with_nothing_unsafe(text):
    out = plain_text(text)
    assert not any(_unsafe(ch) for ch in out)
    assert out == unicodedata.normalize("NFC", out)


@given(st.text())
def test_escape_controls_shows_every_unsafe_character(text):
    out = escape_controls(text)
    assert not any(_unsafe(ch) for ch in out if ch not in "\u200b\u200c\u200d")
    assert escape_controls(out) == out  # escaping twice changes nothing more
