"""Failed logins per address (fieldreg/throttle.py) under parallel attempts (issue 13)."""

from __future__ import annotations

import threading

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
