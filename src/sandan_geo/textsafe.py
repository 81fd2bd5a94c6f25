"""User text made safe for a terminal: one home for the sanitisers.

Names, notes and keys come from user files; printed as they are, a newline
could forge a report line, an escape sequence could rewrite the terminal and a
bidi override could reorder what a reader sees. :func:`plain_text` turns text
into one inert line (for reports and the CLI); :func:`escape_controls` shows the
same characters as visible escapes (for error messages, where the exact input
matters).

Examples
--------
>>> plain_text("성서\\n\\x1b[31m산단\\u202e")
'성서 ?[31m산단?'
>>> escape_controls("a\\nb")
'a\\\\nb'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["escape_controls", "plain_text"]

_BREAKS = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]+")
# C0/C1 controls, zero-width characters, line/paragraph separators and bidi overrides
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain_text(text: Any) -> str:
    """One line of NFC text with no control, escape, zero-width or bidi characters (``?``).

    Examples
    --------
    >>> plain_text("a\\tb")
    'a b'
    """
    return _CONTROL.sub("?", _BREAKS.sub(" ", unicodedata.normalize("NFC", str(text))))


def escape_controls(text: str) -> str:
    """Control, line-break and bidi characters shown as escapes (``\\n``, ``\\x1b``).

    Examples
    --------
    >>> escape_controls("x\\x1by")
    'x\\\\x1by'
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
