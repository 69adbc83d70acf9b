"""Failed logins per address (fieldreg/throttle.py) under parallel attempts (issue 13)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from fieldreg import auth, throttle
from tests.conftest import csrf_of


def test_parallel_logins_from_one_address_each_count(app, auth_actions, monkeypatch):
    """30 guesses at once across user names: only the allowance reaches the PIN check."""
    auth_actions.user("registrar")
    app.config["LOGIN_ADDRESS_FAILURES"] = 3
    checked, mutex = [], threading.Lock()

    def counting_login(db, username, pin, device=None):
        with mutex:
            checked.append(username)

    monkeypatch.setattr(auth, "login", counting_login)
    clients = [app.test_client() for _ in range(30)]
    forms = [{"username": f"user{n}", "pin": "472913", "csrf_token": csrf_of(c)} for n, c in
             enumerate(clients)]  # fmt: skip
    start, statuses = threading.Barrier(len(clients)), []

    def guess(client, form):
        start.wait()
        response = client.post("/login", data=form, environ_base={"REMOTE_ADDR": "10.0.0.66"})
        with mutex:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(checked) == 3
    assert sorted(statuses) == [401] * 3 + [429] * 27


def test_past_the_allowance_an_address_waits_and_a_success_clears_it(db):
    assert [throttle.attempt(db, "10.0.0.9", 2) for _ in range(2)] == [0, 0]
    assert throttle.attempt(db, "10.0.0.9", 2) == 2  # blocked 2 s after the 2nd
    row = db.execute("select failures from login_attempts").fetchone()
    assert row[0] == 2  # a refused attempt is not counted again
    throttle.succeeded(db, "10.0.0.9")
    assert throttle.attempt(db, "10.0.0.9", 2) == 0


@pytest.fixture
def clock(monkeypatch):
    """Move the throttle's clock by hand."""
    now = [dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def test_the_wait_doubles_after_each_further_attempt_and_stops_at_15_minutes(db, clock):
    """Issue 16: 2, 4, 8, 16... seconds, each wait ending exactly when it says, capped."""
    waits = []
    for _ in range(14):
        wait = throttle.attempt(db, "10.0.0.9", 1)
        assert wait == 0  # each attempt comes exactly when the last wait ended
        until = db.execute("select blocked_until from login_attempts").fetchone()[0]
        until = dt.datetime.fromisoformat(until)
        assert until.utcoffset() == dt.timedelta(0)  # stored in UTC, with its offset
        waits.append((until - clock[0]).total_seconds())
        clock[0] = until
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]


def test_the_wait_is_rounded_up_until_the_block_ends(db, clock):
    """Issue 16: half a second left is a 1 s wait, not a free attempt."""
    throttle.attempt(db, "10.0.0.9", 1)  # blocked for 2 s
    clock[0] += dt.timedelta(seconds=1.5)
    assert throttle.attempt(db, "10.0.0.9", 1) == 1
    clock[0] += dt.timedelta(seconds=0.5)
    assert throttle.attempt(db, "10.0.0.9", 1) == 0


def test_a_block_is_stamped_in_utc(db):
    """Issue 16: a wait measured on the real clock, stored with its UTC offset."""
    throttle.attempt(db, "10.0.0.9", 1)
    until = db.execute("select blocked_until from login_attempts").fetchone()[0]
    left = dt.datetime.fromisoformat(until) - dt.datetime.now(dt.UTC)
    assert until.endswith("+00:00") and dt.timedelta(0) < left <= dt.timedelta(seconds=2)


def test_a_coordinator_clears_one_address_or_all(db, clock):
    """Issue 16: clearing one address leaves the others waiting; clearing all frees everyone."""
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        throttle.attempt(db, address, 1)
    throttle.clear(db, "10.0.0.1")
    assert [throttle.attempt(db, a, 1) for a in ("10.0.0.1", "10.0.0.2")] == [0, 3]
    throttle.clear(db)
    assert db.execute("select count(*) from login_attempts").fetchone()[0] == 0
