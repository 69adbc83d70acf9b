"""Clean shutdown: SIGTERM refuses new clients but answers the requests already in flight."""

import signal
import threading
import time

import httpx
import pytest

from fieldreg import auth
from fieldreg.db import connect
from tests.conftest import LiveServer, household_body


def test_sigterm_finishes_the_request_in_flight(data_dir):
    db = connect(data_dir / "fieldreg.db")
    headers = {"Authorization": "Bearer " + auth.create_token(db, "t", "admin")}
    server = LiveServer(data_dir).start()
    answers = []

    def post():
        body = household_body(client_id="0193e3d4-0000-7000-8000-000000000001")
        answers.append(
            httpx.post(server.url + "/api/v1/households", json=body, headers=headers, timeout=20)
        )

    db.execute("begin immediate")  # hold the write lock: the registration must wait for it
    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(0.8)
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert server.proc.poll() is None  # still finishing the registration
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/healthz", timeout=2)  # but no new clients
    db.execute("commit")
    thread.join(20)
    assert answers and answers[0].status_code == 201
    assert server.proc.wait(15) == 0
    code = answers[0].json()["code"]
    assert next(db.query("select count(*) n from households where code = ?", [code]))["n"] == 1
    assert b"stopped cleanly" in server.proc.stderr.read()
    db.close()


def test_ctrl_c_stops_cleanly(live_server):
    live_server.proc.send_signal(signal.SIGINT)
    assert live_server.proc.wait(10) == 0


def _request_head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_a_huge_body_is_refused_at_once_without_being_read(data_dir):
    """issue 13: a 1 GB POST (no login needed to send one) is refused before it is read."""
    import socket

    server = LiveServer(data_dir).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(_request_head("/api/v1/households", 1_000_000_000))
            answer = sock.recv(4096)  # no byte of the body was sent
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert time.monotonic() - started < 2
        # The largest body the app takes (a tag photo) still reaches the app.
        photo = httpx.post(
            server.url + "/api/v1/scan",
            content=b"x" * (16 * 1024 * 1024 - 100),
            headers={"Content-Type": "application/octet-stream"},
            timeout=30,
        )
        assert photo.status_code == 401 and photo.json()["code"] == "login_required"
    finally:
        server.stop()


def test_no_request_body_is_ever_written_to_a_temporary_file(data_dir, tmp_path):
    """issue 13: waitress spools bodies above 512 KB to a temporary file; here it must not."""
    import os
    import socket

    spool = tmp_path / "spool"
    spool.mkdir()
    server = LiveServer(data_dir, env={"TMPDIR": str(spool)}).start()
    try:
        length = 6 * 1024 * 1024
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(_request_head("/api/v1/scan", length) + b"x" * (length - 1000))
            time.sleep(0.5)  # the server holds most of the body now, waiting for the rest
            fd_dir = f"/proc/{server.proc.pid}/fd"
            open_files = []
            for fd in os.listdir(fd_dir):
                try:
                    open_files.append(os.readlink(os.path.join(fd_dir, fd)))
                except OSError:
                    continue
            assert any(target.startswith("socket:") for target in open_files)
            assert [f for f in open_files if f.startswith(str(spool))] == []
            sock.sendall(b"x" * 1000)
            assert sock.recv(4096).startswith(b"HTTP/1.1 401")
        assert list(spool.iterdir()) == []
    finally:
        server.stop()
