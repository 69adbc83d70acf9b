"""In a real Chromium, a fresh clone's first start: passphrase, set-up, Lock now, unlock again.

Issue 14 ("First start") and issue 13 (keys and locking): ``make run`` in a checkout starts
``python -m fieldreg serve`` with its data in ``./data``. The checkout here also holds a salt at
its root (what the repository used to carry), the server gets no FIELDREG_PASSPHRASE and no
test-only KDF: the station is made through the production argon2id cost, as a real one is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from fieldreg import keyring
from tests.conftest import PIN, ROOT, free_port
from tests.test_station import COMMITTED_SALT, LOCKED

pytestmark = pytest.mark.browser
PASSPHRASE = "bus convoy olive lantern"


@pytest.fixture
def fresh_clone(tmp_path):
    """`make run` in a checkout: serve from the checkout's folder, data in ./data."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / keyring.SALT_FILE).write_text(COMMITTED_SALT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDREG_")}
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    command = [sys.executable, "-m", "fieldreg", "serve", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url)
        yield checkout, url, env
    finally:
        server.terminate()
        server.wait(15)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _token(checkout, env) -> str:
    """Make a registrar's API token with the command line (it asks the passphrase's env)."""
    command = [sys.executable, "-m", "fieldreg", "tokens", "create", "app", "--role", "registrar"]
    done = subprocess.run(
        command,
        cwd=checkout,
        env={**env, keyring.ENV_PASSPHRASE: PASSPHRASE},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_first_start_reaches_set_up_and_lock_now_locks_everything(chromium, fresh_clone):
    checkout, url, env = fresh_clone
    page = chromium.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # a confirmation before locking
    page.goto(url + "/")
    page.wait_for_url("**/unlock")
    page.fill("[name=passphrase]", PASSPHRASE)
    page.fill("[name=confirm]", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_url("**/setup")
    assert page.locator("h1").inner_text() == "Set up the station"
    salt = json.loads((checkout / "data" / keyring.SALT_FILE).read_text())
    assert salt["time_cost"] == 3 and salt["memory_cost"] == 64 * 1024  # production argon2id
    assert (checkout / keyring.SALT_FILE).read_text() == COMMITTED_SALT

    page.fill("[name=station_name]", "Bab al-Hawa")
    page.fill("[name=station_code]", "K7M")
    page.fill("[name=username]", "coord")
    page.fill("[name=pin]", PIN)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/setup" not in address)
    bearer = {"Authorization": "Bearer " + _token(checkout, env)}
    cred = {"Authorization": "Station K7M:not-a-real-token"}
    assert httpx.get(url + "/api/v1/stats", headers=bearer).status_code == 200

    page.goto(url + "/search")
    page.click("form.lock button")
    page.wait_for_url("**/unlock")
    page.goto(url + "/search")
    assert page.url.endswith("/unlock")
    for response in (
        httpx.get(url + "/api/v1/stats", headers=bearer),
        httpx.post(url + "/api/v1/households", json={"members": []}, headers=bearer),
        httpx.get(url + "/api/v1/sync/pull?since=0", headers=cred),
        httpx.post(url + "/api/v1/sync/push", content=b"x", headers=cred),
    ):
        assert response.status_code == 503 and response.json() == LOCKED

    page.fill("[name=passphrase]", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_url("**/login")
    assert httpx.get(url + "/api/v1/stats", headers=bearer).status_code == 200
    page.close()
