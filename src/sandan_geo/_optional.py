"""Optional packages: import one where it is needed, or say which extra installs it.

Examples
--------
>>> require("math", "math", extra="scale").sqrt(4.0)
2.0
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, package: str, *, extra: str) -> Any:
    """Import an optional module or raise MissingDependencyError naming the extra.

    Parameters
    ----------
    module
        The module to import, e.g. ``"scipy.spatial"``.
    package
        The distribution that provides it, e.g. ``"scipy"``.
    extra
        The sandan-geo extra that installs it, e.g. ``"scale"``.

    Raises
    ------
    MissingDependencyError
        The module cannot be imported; the message names ``package`` and ``extra``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = (
            f"this needs the optional package '{package}'; install it with "
            f"pip install 'sandan-geo[{extra}]' (or pip install {package})"
        )
        raise MissingDependencyError(msg) from err
