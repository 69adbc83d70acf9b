"""Issue 17: what differs between Windows and Linux stays in fieldreg/portable.py."""

from __future__ import annotations

import ast
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from fieldreg import portable
from tests.conftest import ROOT, free_port


def test_no_module_but_portable_imports_os_specific_modules():
    offenders = []
    for path in [*(ROOT / "fieldreg").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if {"fcntl", "msvcrt"} & set(names) and path.name != "portable.py":
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_lock_is_held_against_a_second_opening(tmp_path):
    path = tmp_path / "server.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    second = os.open(path, os.O_RDWR)
    try:
        assert portable.try_lock(first)
        assert not portable.try_lock(second)
        os.close(first)
        first = None
        assert portable.try_lock(second)  # closing the holder releases it
    finally:
        for fd in (first, second):
            if fd is not None:
                os.close(fd)


def test_a_port_in_use_is_refused_and_a_free_one_is_not():
    port = free_port()
    assert portable.listen_error("127.0.0.1", port) is None
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen(1)
        assert isinstance(portable.listen_error("127.0.0.1", port), OSError)


def test_addresses_are_this_machines_own():
    addresses = portable.interface_addresses()
    assert "127.0.0.1" in addresses
    assert all(not ip.startswith("127.") for ip in portable.lan_addresses())
    assert set(portable.lan_addresses()) <= set(addresses)


def test_disk_space_of_a_folder_not_made_yet(tmp_path):
    free, total = portable.disk_space(tmp_path / "not" / "yet")
    assert 0 < free <= total
    assert portable.existing_parent(tmp_path / "not" / "yet") == tmp_path.resolve()


def test_browser_opens_once_the_station_answers(tmp_path, monkeypatch):
    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", f"{browser} %s")  # what Linux's webbrowser module runs
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    waiter = portable.open_browser_when_up(url, url + "healthz", timeout=20)
    time.sleep(1.0)
    assert not opened.exists()  # nothing answers yet: no browser on an error page

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        waiter.join(timeout=20)
    finally:
        server.shutdown()
        server.server_close()
    deadline = time.monotonic() + 5
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Path(opened).read_text().split() == [url]


def test_a_file_and_its_folder_are_flushed_to_disk(tmp_path):
    path = tmp_path / "backup.db"
    path.write_bytes(b"written")
    path.chmod(0o600)
    portable.fsync_file(path)  # Windows: through a handle open for writing
    portable.fsync_folder(tmp_path)
    assert path.read_bytes() == b"written"
