"""Issue 17: `fieldreg doctor` names each problem of a station laptop, each made real here.

The command runs as a subprocess, as a logistician would run it. Problems the test process
cannot cause on the machine itself run the command in namespaces of its own (root, as here
and in CI): a read-only or tiny file system mounted only for it, a network with only the
interfaces the test gives it, a clock moved by libfaketime for that process alone.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from fieldreg.lock import DataLock
from tests.conftest import ROOT, free_port

ROOTLY = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare"
)
LAN = "ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up"


def doctor(data, *args: str, setup: str = "", unshare: str = "", prefix=()) -> tuple[int, str]:
    """Run `python -m fieldreg --data DATA doctor ARGS`, after ``setup`` in new namespaces."""
    cmd = [*prefix, sys.executable, "-m", "fieldreg", "--data", str(data), "doctor", *args]
    if unshare:
        cmd = ["unshare", unshare, "sh", "-ec", setup + '\nexec "$@"', "sh", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


def verdicts(output: str) -> dict[str, str]:
    """Map each finding's text (wrapped lines joined) to 'ok' or 'PROBLEM'."""
    found, current = {}, None
    for line in output.splitlines():
        head = line.strip().split(" ", 1)
        if line.startswith("  ") and head[0] in ("ok", "PROBLEM"):
            current = [head[0], head[1].strip()]
            found[id(current)] = current
        elif current and line.startswith(" " * 11):
            current[1] += " " + line.strip()
    return {text: verdict for verdict, text in found.values()}


def problem(output: str, words: str) -> bool:
    """Tell whether a PROBLEM line says ``words``."""
    return any(words in text for text, v in verdicts(output).items() if v == "PROBLEM")


def fine(output: str, words: str) -> bool:
    """Tell whether an ok line says ``words``."""
    return any(words in text for text, v in verdicts(output).items() if v == "ok")


@ROOTLY
def test_a_ready_laptop_is_told_so_and_shown_the_tablets_address(tmp_path):
    setup = f"ip link set lo up\n{LAN}\nip addr add 192.168.77.1/24 dev v0"
    code, out = doctor(tmp_path / "data", "--port", str(free_port()), unshare="-n", setup=setup)
    assert code == 0, out
    assert fine(out, "will be created") and fine(out, "is free")
    assert fine(out, "http://192.168.77.1:")
    assert fine(out, "not behind the data folder's newest file")
    assert "Everything is ready" in out
    assert not (tmp_path / "data").exists()  # checking creates nothing


def test_port_taken_by_another_program(tmp_path):
    port = free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen(1)
        code, out = doctor(tmp_path / "data", "--host", "127.0.0.1", "--port", str(port))
    assert code == 1
    assert problem(out, f"Port {port} is already taken by another program")
    assert problem(out, "tablets cannot reach it")  # --host 127.0.0.1 serves this laptop only


def test_port_held_by_fieldreg_on_the_same_folder(tmp_path):
    data, port = tmp_path / "data", free_port()
    with DataLock(data, "server"), socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(1)
        code, out = doctor(data, "--host", "127.0.0.1", "--port", str(port))
    assert code == 1
    assert problem(out, "FieldReg is already running with the data folder")


def test_data_folder_not_writable(tmp_path):
    disk = tmp_path / "stick"
    disk.mkdir()
    if os.geteuid() == 0:  # root writes through permissions: a read-only file system stops it
        if not shutil.which("unshare"):
            pytest.skip("needs unshare as root")
        setup = f"mount -t tmpfs -o ro,size=1m tmpfs {disk}"
        code, out = doctor(disk / "data", unshare="-m", setup=setup)
        assert problem(out, "it is on a read-only disk")
    else:
        disk.chmod(0o500)
        code, out = doctor(disk / "data")
        assert problem(out, "this user is not allowed to write there")
    assert code == 1
    assert problem(out, f"FieldReg cannot save anything in the data folder {disk / 'data'}")


@ROOTLY
def test_disk_nearly_full(tmp_path):
    disk = tmp_path / "small"
    disk.mkdir()
    setup = f"mount -t tmpfs -o size=4m tmpfs {disk}\nmkdir {disk}/data"
    code, out = doctor(disk / "data", unshare="-m", setup=setup)
    assert code == 1
    assert problem(out, f"The disk holding {disk / 'data'} is nearly full")
    assert fine(out, "can be written to")  # a small disk is still writable


@ROOTLY
def test_no_network_for_the_tablets(tmp_path):
    code, out = doctor(tmp_path / "data", unshare="-n", setup="ip link set lo up")
    assert code == 1
    assert problem(out, "No network for the tablets")
    assert problem(out, "http://127.0.0.1:8000")  # the laptop alone still works


@ROOTLY
def test_network_that_gave_no_address(tmp_path):
    setup = f"ip link set lo up\n{LAN}\nip addr add 169.254.10.10/16 dev v0"
    code, out = doctor(tmp_path / "data", unshare="-n", setup=setup)
    assert code == 1
    assert problem(out, "gave it no address")


def test_clock_behind_the_data_folder(tmp_path):
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    later = time.time() + 2 * 86400 + 600  # written by a clock two days ahead of this one
    (data / "backups" / "fieldreg-T3S-x.db").write_bytes(b"backup")
    os.utime(data / "backups" / "fieldreg-T3S-x.db", (later, later))
    code, out = doctor(data)
    assert code == 1
    assert problem(out, "clock is behind by at least 2 days")


@pytest.mark.skipif(not shutil.which("faketime"), reason="needs libfaketime (faketime)")
def test_clock_before_this_release(tmp_path):
    code, out = doctor(tmp_path / "data", prefix=["faketime", "2001-01-01 08:00:00"])
    assert code == 1
    assert problem(out, "says 2001-01-01") and problem(out, "before this version")


def test_clock_against_a_reference_time(tmp_path):
    three_hours_ago = (datetime.now() - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    code, out = doctor(tmp_path / "data", "--reference", three_hours_ago)
    assert code == 1
    assert problem(out, "clock is 3 hours") and problem(out, "ahead of the reference time")
    now = datetime.now().strftime("%Y-%m-%d %H:%M")
    _code, out = doctor(tmp_path / "data", "--reference", now)
    assert fine(out, "agrees with the reference")
