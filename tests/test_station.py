"""Locking the station (fieldreg/views/station.py): Lock now, the idle lock, the unlock page.

Regression tests for issue 13 (and issue 14's first start): a data folder ``./data`` inside a
checkout that holds a salt of its own (the committed test leftover) used that salt, so Lock
now locked nothing and choosing the passphrase answered 503 until a restart.
"""

from __future__ import annotations

import re

import pytest

from fieldreg import auth, create_app, keyring, syncing
from fieldreg.db import connect, prepare
from fieldreg.views import station as station_view
from sync import client as sync_client
from tests.conftest import PASSPHRASE, PIN, csrf_of

# What the repository held as /fieldreg.salt before issue 13: the test-only fast KDF.
COMMITTED_SALT = (
    '{"kdf": "argon2id", "salt": "8edd02efdc2d2f5ddbe41736b70c8c6a", '
    '"time_cost": 1, "memory_cost": 8, "parallelism": 1}'
)
LOCKED = {"error": "The station is locked.", "fields": {}, "code": "locked"}


@pytest.fixture
def checkout(tmp_path):
    """A fresh clone's layout: a salt at the root of the checkout, the data in ./data."""
    root = tmp_path / "checkout"
    root.mkdir()
    (root / keyring.SALT_FILE).write_text(COMMITTED_SALT)
    return root


def page_csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def make_station(data, **config):
    """An app on ``data`` with a coordinator and an admin API token; return (app, token)."""
    prepare(data)
    app = create_app({"DATA": str(data), "TESTING": True, **config})
    db = connect(app.config["DATABASE"])
    auth.add_user(db, "coord", "coordinator", PIN)
    token = auth.create_token(db, "tablet-app", "registrar")
    db.close()
    return app, {"Authorization": "Bearer " + token}


def login(client) -> None:
    response = client.post(
        "/login", data={"username": "coord", "pin": PIN, "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def assert_locked(client, bearer) -> None:
    """Pages go to the unlock page; API calls (session or token) answer 503 locked."""
    assert client.get("/search").headers["Location"].endswith("/unlock")
    assert client.get("/dashboard").headers["Location"].endswith("/unlock")
    for response in (
        client.get("/api/v1/stats", headers=bearer),
        client.post("/api/v1/households", json={"members": []}, headers=bearer),
        client.get("/api/v1/stats"),
    ):
        assert response.status_code == 503 and response.get_json() == LOCKED


def test_choosing_the_passphrase_leads_to_the_set_up_page(checkout, monkeypatch):
    """Issue 14, first start: choose the passphrase, then set up; never a 503."""
    monkeypatch.delenv(keyring.ENV_PASSPHRASE)
    app = create_app({"DATA": str(checkout / "data"), "TESTING": True})
    client = app.test_client()
    form = {"passphrase": "our long passphrase", "confirm": "our long passphrase"}
    form["csrf_token"] = page_csrf(client, "/unlock")
    chosen = client.post("/unlock", data=form, follow_redirects=True)
    assert chosen.status_code == 200 and chosen.request.path == "/setup"
    assert client.get("/unlock").status_code == 302  # unlocked: no 503 afterwards
    assert client.get("/setup").status_code == 200
    assert not keyring.is_new(checkout / "data")  # the folder's own salt now


def test_lock_now_locks_pages_sessions_and_api_tokens(checkout):
    app, bearer = make_station(checkout / "data")
    client = app.test_client()
    login(client)
    assert client.get("/api/v1/stats", headers=bearer).status_code == 200
    assert (
        client.post("/lock", data={"csrf_token": page_csrf(client, "/search")}).status_code == 302
    )
    assert_locked(client, bearer)
    assert_locked(app.test_client(), bearer)  # a new visitor too
    again = {"passphrase": PASSPHRASE, "csrf_token": page_csrf(client, "/unlock")}
    assert client.post("/unlock", data=again).headers["Location"].endswith("/login")
    assert client.get("/api/v1/stats", headers=bearer).status_code == 200
    assert client.get("/search").headers["Location"].startswith("/login")  # sessions ended


def test_lock_now_locks_the_sync_endpoints_at_hq(checkout, tmp_path):
    hq_app, _bearer = make_station(checkout / "data", ROLE="hq")
    hq_db, station = connect(hq_app.config["DATABASE"]), connect(prepare(tmp_path / "st"))
    syncing.join(station, syncing.add_station(hq_db, "T3S", "Bab al-Hawa", "http://hq"))
    cred = sync_client.credential(station)
    hq_db.close(), station.close()
    headers = {"Authorization": f"Station {cred['station']}:{cred['token']}"}
    client = hq_app.test_client()
    assert client.get("/api/v1/sync/pull?since=0", headers=headers).status_code == 200
    login(client)
    client.post("/lock", data={"csrf_token": page_csrf(client, "/search")})
    for response in (
        client.get("/api/v1/sync/pull?since=0", headers=headers),
        client.post("/api/v1/sync/push", data=b"x", headers=headers),
    ):
        assert response.status_code == 503 and response.get_json() == LOCKED


@pytest.fixture
def clock(monkeypatch):
    """Move the station's idle clock by hand."""
    now = [1000.0]
    monkeypatch.setattr(station_view, "clock", lambda: now[0])
    return now


def test_the_station_locks_itself_after_the_idle_limit(data_dir, clock):
    app, bearer = make_station(data_dir, LOCK_IDLE_MINUTES=10)
    client = app.test_client()
    login(client)
    for _ in range(3):  # in use: each request starts the ten minutes again
        clock[0] += 9 * 60
        assert client.get("/api/v1/stats", headers=bearer).status_code == 200
    clock[0] += 10 * 60 + 1
    assert_locked(client, bearer)
    db = connect(
        app.config["DATABASE"], key=keyring.derive(PASSPHRASE, keyring.kdf_params(data_dir))
    )
    assert (
        db.execute("select detail from audit where action = 'lock'")
        .fetchone()[0]
        .startswith("idle")
    )
    db.close()
    again = {"passphrase": PASSPHRASE, "csrf_token": page_csrf(client, "/unlock")}
    client.post("/unlock", data=again)
    assert client.get("/api/v1/stats", headers=bearer).status_code == 200


def test_requests_without_a_user_do_not_keep_the_station_unlocked(data_dir, clock):
    app, bearer = make_station(data_dir, LOCK_IDLE_MINUTES=10)
    client = app.test_client()
    for _ in range(3):  # a stranger knocking at the login page is not activity
        clock[0] += 5 * 60
        client.get("/login")
        client.get("/api/v1/stats", headers={"Authorization": "Bearer wrong"})
    assert client.get("/api/v1/stats", headers=bearer).status_code == 503


def test_the_idle_watcher_locks_without_any_request(data_dir, clock, monkeypatch):
    app, _bearer = make_station(data_dir, LOCK_IDLE_MINUTES=1)
    monkeypatch.setattr(station_view, "IDLE_CHECK_SECONDS", 0.01)
    assert keyring.held(app.config["DATABASE"])
    clock[0] += 61
    stop = station_view.watch_idle(app)
    try:
        for _ in range(500):
            if keyring.held(app.config["DATABASE"]) is None:
                break
            import time

            time.sleep(0.01)
    finally:
        stop()
    assert keyring.held(app.config["DATABASE"]) is None
    assert not keyring.is_unlocked(data_dir)  # FIELDREG_PASSPHRASE does not bring it back


def test_idle_lock_defaults(data_dir, tmp_path):
    station_app = create_app({"DATA": str(data_dir), "TESTING": True})
    assert station_view.idle_minutes(station_app) == 120
    hq_app = create_app({"DATA": str(data_dir), "TESTING": True, "ROLE": "hq"})
    assert station_view.idle_minutes(hq_app) == 0
    off = create_app({"DATA": str(data_dir), "TESTING": True, "LOCK_IDLE_MINUTES": 0})
    assert station_view.idle_minutes(off) == 0
