"""One server per data folder: the lock refuses a second holder and dies with its process."""

import signal
import subprocess
import sys

import pytest

from fieldreg.lock import DataLock, FolderInUse, is_locked
from tests.conftest import ROOT, LiveServer


def test_second_holder_is_refused_with_the_reason(tmp_path):
    with DataLock(tmp_path, "server"):
        assert is_locked(tmp_path)
        with pytest.raises(FolderInUse, match=r"in use by another FieldReg server \(pid \d+\)"):
            DataLock(tmp_path, "server").acquire()
    assert not is_locked(tmp_path)
    DataLock(tmp_path).acquire().release()


def test_second_server_refuses_to_start(live_server, data_dir):
    second = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data_dir), "serve", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode != 0
    assert "in use by another FieldReg server" in second.stderr
    assert str(live_server.proc.pid) in second.stderr


def test_a_killed_server_leaves_no_stale_lock(data_dir):
    server = LiveServer(data_dir).start()
    server.stop(signal.SIGKILL)
    assert not is_locked(data_dir)
    LiveServer(data_dir).start().stop()
