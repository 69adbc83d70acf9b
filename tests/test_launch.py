"""Issue 17: `fieldreg start` serves only when it can, and never starts a station twice.

Its whole path (checks, serve, browser) is run from the one-click folder in
tests/test_installer.py; here, as a subprocess of the checkout, the two refusals.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from fieldreg.lock import DataLock
from tests.conftest import ROOT, free_port


def start(data, port: int, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m fieldreg --data DATA start` on loopback and wait for it to end."""
    cmd = [sys.executable, "-m", "fieldreg", "--data", str(data), "start"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_start_refuses_a_port_taken_by_another_program(tmp_path):
    port = free_port()
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen(1)
        done = start(tmp_path / "data", port)
    assert done.returncode == 1
    assert f"Port {port} is already taken" in done.stdout
    assert "cannot start until the problem above is fixed" in done.stderr
    assert not (tmp_path / "data" / "fieldreg.salt").exists()  # nothing was served


def test_start_while_the_station_runs_only_opens_the_browser(tmp_path):
    opened, browser = tmp_path / "opened", tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    data, port = tmp_path / "data", free_port()
    with DataLock(data, "server"), socket.socket() as running:
        running.bind(("127.0.0.1", port))
        running.listen(1)
        done = start(data, port, env={"BROWSER": f"{browser} %s"})
    assert done.returncode == 0, done.stderr
    assert "already running" in done.stdout
    assert opened.read_text().split() == [f"http://127.0.0.1:{port}/"]
