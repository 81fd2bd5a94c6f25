"""File helpers shared by readers and writers: safe decoding and atomic writes.

Private: the public API re-exports none of this.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import stat
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, OutputError, SandanGeoWarning

if TYPE_CHECKING:
    import pandas as pd


def finite(data: Any) -> Any:
    """``data`` with every NaN or infinite float replaced by ``None`` (JSON has no NaN).

    Examples
    --------
    >>> finite({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text (UTF-8 characters kept): non-finite numbers become ``null``.

    Examples
    --------
    >>> json_text({"km": float("nan"), "name": "성서"}, indent=None)
    '{"km": null, "name": "성서"}'
    """
    return json.dumps(finite(data), ensure_ascii=False, indent=indent, allow_nan=False)


# A spreadsheet (Excel, LibreOffice, Google Sheets) reads a cell that starts with one of
# these as a formula, which can run commands (DDE) or send data away (HYPERLINK,
# WEBSERVICE). Full-width forms too: Excel with an East Asian input method takes them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: risky text gets a leading ``'``.

    Text starting with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab
    or a carriage return is prefixed with a single quote, which spreadsheets show
    as text. Numbers, and text that is just a decimal number (``-0.85``), stay
    as they are.

    Examples
    --------
    >>> spreadsheet_safe("=1+2"), spreadsheet_safe("@SUM(A1)"), spreadsheet_safe("\\tx")
    ("'=1+2", "'@SUM(A1)", "'\\tx")
    >>> spreadsheet_safe("-0.85"), spreadsheet_safe(-0.85), spreadsheet_safe("-1+2")
    ('-0.85', -0.85, "'-1+2")
    >>> spreadsheet_safe("성서 -산단")
    '성서 -산단'
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`spreadsheet_safe` applied to every text column.

    Numeric and boolean columns are left alone, so numbers stay numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> out = spreadsheet_safe_frame(pd.DataFrame({"name": ["=1+1", "성서"], "km": [-2.5, 1.0]}))
    >>> out["name"].tolist(), out["km"].tolist()
    (["'=1+1", '성서'], [-2.5, 1.0])
    """
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    for column in out.columns:
        if is_object_dtype(out[column]) or is_string_dtype(out[column]):
            out[column] = out[column].map(spreadsheet_safe)
    return out


MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest plan or rules file read (64 MiB): a plan is a few kB; more is a mistake."""


def read_text(path: str | os.PathLike[str], *, encoding: str | None = None) -> str:
    """Read a text file as ``encoding``, else UTF-8 (BOM or not), else CP949 with a warning.

    A byte-order mark is dropped whatever the encoding (some Korean editors
    write one before CP949 text), so it never sticks to the first key.

    Raises
    ------
    InputError
        The file is missing, unreadable, empty, too large, binary, or in
        neither encoding.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError as err:
        raise InputError("file not found", path=str(p), hint="check the path") from err
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror})", path=str(p)) from err
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder, not a file", path=str(p), hint="name a plan file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            "is not a regular file (a device, pipe or socket)",
            path=str(p),
            hint="name a plan file",
        )
    size = st.st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(
            f"file is {size / 2**20:.0f} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit "
            "for plan and rules files",
            path=str(p),
            hint="a plan is a few kB; check that this is the right file",
        )
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror})", path=str(p)) from err
    if not data.strip():
        raise InputError("file is empty", path=str(p), hint="write a plan into it")
    if b"\x00" in data[:8192]:
        raise InputError(
            "file is binary, not a text plan",
            path=str(p),
            hint="give a YAML or GeoJSON plan file",
        )
    text, guessed = decode_text(data, str(p), encoding)
    if guessed:
        warnings.warn(
            f"{p}: read as CP949 (EUC-KR) because it is not valid UTF-8; save it as UTF-8 "
            "to be sure",
            SandanGeoWarning,
            stacklevel=3,
        )
    return text


def decode_text(data: bytes, path: str, encoding: str | None = None) -> tuple[str, bool]:
    """Text of ``data``: as ``encoding``, else UTF-8, else CP949; and whether CP949 was guessed.

    A byte-order mark is dropped whatever the encoding (some Korean editors write
    one before CP949 text), so it never sticks to the first key.

    Examples
    --------
    >>> decode_text("성서".encode("cp949"), "f.txt")
    ('성서', True)
    """
    p = path
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if encoding is not None:
        try:
            return data.decode(encoding), False
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r}", path=p, hint="e.g. utf-8 or cp949"
            ) from None
        except UnicodeDecodeError as err:
            raise InputError(
                f"file is not {encoding} text (bad byte at offset {err.start})",
                path=p,
                hint="give the encoding it was saved in, or leave it out to detect it",
            ) from None
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), True
    except UnicodeDecodeError as err:
        raise InputError(
            f"file is neither UTF-8 nor CP949 (EUC-KR) text (bad byte at offset {err.start})",
            path=p,
            hint="save it as UTF-8",
        ) from None


def parquet_target(out: str | os.PathLike[str] | None) -> Path | None:
    """The Parquet file an ``out=`` argument names, checked; ``None`` for no file.

    Examples
    --------
    >>> parquet_target("pairs.parquet").name, parquet_target(None)
    ('pairs.parquet', None)
    """
    if out is None:
        return None
    target = Path(out)
    if target.suffix.lower() != ".parquet":
        raise InputError(
            f"out is '{target}', not a .parquet file",
            field="out",
            hint="give a path ending .parquet, or leave out unset for a DataFrame",
        )
    return target


@contextlib.contextmanager
def replaced_atomically(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; it replaces ``path`` when the block ends.

    On an error the temporary file is removed and ``path`` is left as it was; an
    ``OSError`` becomes :class:`~sandan_geo.errors.OutputError` naming ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> with replaced_atomically(p) as tmp:
    ...     _ = tmp.write_bytes(b"done")
    >>> p.read_bytes()
    b'done'
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        raise OutputError(f"cannot write '{path}' ({err.strerror or err})") from err
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` through a temporary file, then rename.

    An error at any point leaves an existing file at ``path`` untouched and no
    temporary file behind. Line endings are written as given (``\\n``).

    Raises
    ------
    OutputError
        The folder does not exist or is not writable.
    """
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; see :func:`write_text_atomic`.

    What is not a plain file is never replaced by one: ``-`` writes to standard
    output; a FIFO or a character device (``/dev/null``, ``/dev/stdout``) is
    written through; a symbolic link is followed and the file it points to is
    replaced (the link stays); a path ending in ``/``, a folder or a block device
    is refused. SIGTERM or SIGHUP during the write leaves no temporary file.
    """
    if os.fspath(path) == "-":
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return Path("-")
    text_path = os.fspath(path)
    target = Path(text_path)
    if text_path.endswith(("/", os.sep)):
        raise OutputError(f"{text_path}: names a folder; name a file to write")
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise OutputError(f"{target}: cannot write ({err.strerror})") from err
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{target}: is a folder; name a file to write")
    if mode is not None and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        try:
            with open(target, "wb") as fh:  # write through, as a shell redirection would
                fh.write(data)
        except OSError as err:
            raise OutputError(f"{target}: cannot write ({err.strerror})") from err
        return target
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(f"{target}: is not a regular file (a block device or socket)")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder '{folder}' does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise OutputError(f"{target}: cannot write in '{folder}' ({err.strerror})") from err
    with _signals_raise():
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None:
                with contextlib.suppress(OSError):
                    os.chmod(tmp, mode & 0o777)
            else:
                mask = os.umask(0)
                os.umask(mask)
                os.chmod(tmp, 0o666 & ~mask)
            os.replace(tmp, target)
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise OutputError(f"{target}: cannot write ({err.strerror})") from err
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return target


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while a temporary file existed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception for the block, so cleanup runs; then die of it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {}

    def handler(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    for name in wanted:
        num = getattr(signal, name)
        if signal.getsignal(num) is signal.SIG_IGN:  # ignored (e.g. SIGHUP under nohup): stay so
            continue
        previous[num] = signal.signal(num, handler)
    try:
        yield
    except _Terminated as err:
        for num, old in previous.items():
            signal.signal(num, old)
        previous.clear()
        os.kill(os.getpid(), err.signum)  # the cleanup ran: now end as the signal asked
        raise
    finally:
        for num, old in previous.items():
            signal.signal(num, old)
