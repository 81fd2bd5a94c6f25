"""Outputs never clobber what is not a plain file; interrupted writes leave nothing behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from sandan_geo._io import write_bytes_atomic
from sandan_geo.cli import cli
from sandan_geo.errors import OutputError


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_bytes_atomic(fifo, b"report\n")
    reader.join(timeout=10)
    assert got == [b"report\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    write_bytes_atomic("/dev/null", b"nothing")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_bytes_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") == "new"


def test_a_path_ending_in_a_slash_is_refused_and_nothing_is_made(tmp_path):
    with pytest.raises(OutputError, match="names a folder"):
        write_bytes_atomic(f"{tmp_path}/report.txt/", b"x")
    assert list(tmp_path.iterdir()) == []
    r = CliRunner().invoke(cli, ["validate", "daegu-2020", "-o", f"{tmp_path}/out/"])
    assert r.exit_code == 3 and r.stderr.count("\n") == 1 and "names a folder" in r.stderr


def test_dash_writes_to_stdout():
    r = CliRunner().invoke(cli, ["validate", "daegu-2020", "--format", "json", "-o", "-"])
    assert r.exit_code in (0, 1, 4)
    assert r.stdout.lstrip().startswith("{") and "wrote" not in r.stderr


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, signame):
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")
    code = f"""
import os, signal, sys
from sandan_geo import _io
signal.signal(signal.{signame}, signal.SIG_DFL)  # as a shell starts a program (not under nohup)
real_fsync = os.fsync
def fsync(fd):
    real_fsync(fd)
    os.kill(os.getpid(), signal.{signame})   # arrives while the temporary file exists
os.fsync = fsync
_io.write_bytes_atomic(sys.argv[1], b"new")
"""
    done = subprocess.run([sys.executable, "-c", code, str(target)], check=False, timeout=60)
    assert done.returncode == -getattr(__import__("signal"), signame)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_an_ignored_sighup_stays_ignored_and_the_write_completes(tmp_path):
    """Under nohup SIGHUP is ignored: a write must not turn it into an abort."""
    if not hasattr(__import__("signal"), "SIGHUP"):
        pytest.skip("no SIGHUP here")
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")
    code = """
import os, signal, sys
from sandan_geo import _io
signal.signal(signal.SIGHUP, signal.SIG_IGN)   # as nohup starts a program
real_fsync = os.fsync
def fsync(fd):
    real_fsync(fd)
    os.kill(os.getpid(), signal.SIGHUP)
os.fsync = fsync
_io.write_bytes_atomic(sys.argv[1], b"new")
"""
    done = subprocess.run([sys.executable, "-c", code, str(target)], check=False, timeout=60)
    assert done.returncode == 0
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
