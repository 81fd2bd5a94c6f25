"""The exception tree of sandan_geo.

Every error the library raises on purpose derives from :class:`SandanGeoError`.
Errors about user data also derive from :class:`ValueError`, a missing optional
package from :class:`ImportError` and an unwritable output from :class:`OSError`,
so callers may catch either the library's class or the builtin one.

Input errors carry *where* (``path``, ``site``, ``field``) and *how to fix it*
(``hint``) as attributes; the command line prints them on one line.

Examples
--------
>>> from sandan_geo.errors import SchemaError, InputError
>>> err = SchemaError("field 'lat' is missing", path="plan.yaml", site="hub1",
...                   field="lat", hint="give decimal degrees north, e.g. 35.84")
>>> isinstance(err, InputError) and isinstance(err, ValueError)
True
>>> print(err)
plan.yaml (site 'hub1'): field 'lat' is missing; give decimal degrees north, e.g. 35.84
"""

from __future__ import annotations

from collections.abc import Sequence

from .textsafe import escape_controls

MAX_MESSAGE_CHARS = 1000
"""About how long an error's one line may grow: further problems are counted, not listed
(``error.problems`` keeps them all)."""

__all__ = [
    "GeometryError",
    "InputError",
    "MissingDependencyError",
    "OutputError",
    "RuleError",
    "SandanGeoError",
    "SandanGeoWarning",
    "SchemaError",
    "UnknownSiteError",
]


class SandanGeoError(Exception):
    """Base class of every error raised on purpose by sandan_geo."""


class SandanGeoWarning(UserWarning):
    """A recoverable oddity in the input (an approximate extent, an assumed CRS)."""


class InputError(SandanGeoError, ValueError):
    """Something is wrong in user data: a plan file, a rule, an argument.

    Parameters
    ----------
    problem
        What is wrong, e.g. ``"field 'lon' is 'abc'"``.
    path
        The file the problem is in, if any.
    site
        The site key or feature the problem is in, if any (``"feature 3"``).
    field
        The field name, if any.
    hint
        How to fix it, e.g. ``"give decimal degrees east, e.g. 128.49"``.
    problems
        Every problem found when several were collected (the first is ``problem``);
        the message shows the first in full and counts the others.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        site: str | None = None,
        field: str | None = None,
        hint: str | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        self.problem = problem
        self.path = path
        self.site = site
        self.field = field
        self.hint = hint
        self.problems: tuple[str, ...] = tuple(dict.fromkeys(problems)) or (problem,)
        msg = self._compose(problem)
        others = [p for p in self.problems[1:] if p != problem]
        if others:
            shown: list[str] = []
            room = MAX_MESSAGE_CHARS - len(msg)
            for p in others:
                if len(p) + 2 > room and shown:
                    break
                shown.append(p[: max(room, 80)])
                room -= len(shown[-1]) + 2
            rest = len(others) - len(shown)
            tail = f"; … and {rest:,} more" if rest else ""
            msg = f"{msg} (and {len(others):,} more: {'; '.join(shown)}{tail})"
        super().__init__(escape_controls(msg))

    def _compose(self, problem: str) -> str:
        where = []
        if self.path:
            where.append(str(self.path))
        if self.site:
            where.append(f"(site '{self.site}')" if where else f"site '{self.site}'")
        text = f"{' '.join(where)}: {problem}" if where else problem
        if self.hint:
            text = f"{text}; {self.hint}"
        return text


class SchemaError(InputError):
    """A field is missing, of the wrong type, or has a value out of range."""


class GeometryError(InputError):
    """A geometry is empty, invalid, in an unusable CRS, or outside South Korea."""


class UnknownSiteError(InputError):
    """A link, ``ref`` or query names a site that does not exist."""


class RuleError(InputError):
    """A rule, metric or preset cannot be parsed or applied."""


class MissingDependencyError(SandanGeoError, ImportError):
    """An optional package or program is needed and not installed."""


class OutputError(SandanGeoError, OSError):
    """An output file cannot be written."""
