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
