"""Shared fixtures: an app on a temporary data folder, clients, users, and a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from fieldreg import auth, create_app, keyring
from fieldreg.db import connect, prepare

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.checkout_guard"]
PIN = "246813"  # 6 digits: coordinators and admins need them (issue 13)
PASSPHRASE = "test passphrase, not secret"
# Every data folder of the suite is encrypted under this passphrase; the KDF is made cheap
# (keyring.use_test_kdf) so each folder costs microseconds, not a second. Servers and commands
# a test starts inherit both (the fast KDF only while pytest's PYTEST_CURRENT_TEST is set).
os.environ["FIELDREG_PASSPHRASE"] = PASSPHRASE
keyring.use_test_kdf()
# Tests look at figures right after a write: no reuse of figures computed a moment ago.
os.environ["FIELDREG_STATS_MAX_AGE_SECONDS"] = "0"
# `make mutate` (bench/mutate.py) runs tests under mutmut's trampolines on a shared machine:
# no deadline, and the same examples every run, so a mutant's verdict does not depend on luck.
settings.register_profile("mutate", deadline=None, derandomize=True, database=None)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A fresh data folder with station code T3S."""
    path = tmp_path / "data"
    db = connect(prepare(path))
    db.execute("update settings set value = 'T3S' where key = 'station_code'")
    db.close()
    return path


@pytest.fixture
def app(data_dir):
    """The app on a temporary data folder."""
    return create_app({"DATA": str(data_dir), "TESTING": True})


@pytest.fixture
def db(app):
    """A connection to the app's database."""
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


@pytest.fixture
def client(app):
    """A browser-like test client (cookies kept)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the command line."""
    from fieldreg.cli import cli

    class Runner:
        def invoke(self, *args, **kwargs):
            from click.testing import CliRunner

            return CliRunner().invoke(cli, ["--data", app.config["DATA"], *args], **kwargs)

    return Runner()


def csrf_of(client) -> str:
    """Return the CSRF token a page would embed for this client."""
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


class AuthActions:
    """Log a test client in and out as a user of a given role."""

    def __init__(self, client, db):
        self.client, self.db = client, db

    def user(self, role: str, name: str | None = None) -> str:
        name = name or role
        if not list(self.db.query("select 1 from users where username = ?", [name])):
            auth.add_user(self.db, name, role, PIN)
        return name

    def login(self, role: str = "registrar", name: str | None = None):
        name = self.user(role, name)
        self.client.post(
            "/login", data={"username": name, "pin": PIN, "csrf_token": csrf_of(self.client)}
        )
        return self.client

    def csrf(self) -> str:
        """The CSRF token of the current session (for form posts)."""
        page = self.client.get("/search").get_data(as_text=True)
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]

    def token(self, role: str = "admin") -> dict:
        """Headers for an API client with a bearer token of ``role``."""
        return {"Authorization": "Bearer " + auth.create_token(self.db, f"t-{role}", role)}


@pytest.fixture
def auth_actions(client, db) -> AuthActions:
    return AuthActions(client, db)


@pytest.fixture
def api(auth_actions) -> dict:
    """Authorization headers of an admin API token."""
    return auth_actions.token("admin")


# household_body's phone as a page or an export may write it, spaced or as digits ("0933"
# alone turns up by chance in random ids and clock readings: a test that flaked).
PHONE_MARKS = ("933 123 456", "933123456")


def household_body(**overrides) -> dict:
    """A valid household of three, for tests."""
    body = {
        "members": [
            {
                "given_name": "محمد",
                "father_name": "أحمد",
                "mother_name": "فاطمة",
                "family_name": "الحلبي",
                "sex": "male",
                "age_years": 41,
                "relationship": "head",
            },
            {
                "given_name": "Zainab",
                "family_name": "Halabi",
                "sex": "female",
                "age_years": 38,
                "relationship": "spouse",
            },
            {
                "given_name": "Omar",
                "family_name": "Halabi",
                "sex": "male",
                "date_of_birth": "2016-05-04",
                "relationship": "child",
            },
        ],
        "arrival": {"transport": "bus", "vehicle_ref": "Convoy 7"},
        "origin": {"district": "Aleppo", "neighbourhood": "Salaheddine"},
        "destination": {"kind": "camp", "name": "Bab al-Salam"},
        "phone": "0933 123 456",
    }
    body.update(overrides)
    return body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real `python -m fieldreg serve` process on a free port."""

    def __init__(
        self, data: Path, role: str = "station", env: dict | None = None, args: tuple = ()
    ):
        self.data, self.role, self.port, self.args = data, role, free_port(), list(args)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> LiveServer:
        cmd = [
            sys.executable,
            "-m",
            "fieldreg",
            "--data",
            str(self.data),
            "serve",
            "--role",
            self.role,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.args,
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self, sig: int | None = None) -> None:
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def live_server(data_dir):
    """Start a real station server on the test data folder; stop it afterwards."""
    server = LiveServer(data_dir).start()
    yield server
    server.stop()


from tests.browser_fixtures import chromium, station, tablet  # noqa: E402, F401


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """The fieldreg wheel, built once per run and installed in a venv outside the checkout."""
    from tests import wheelkit

    wheel = wheelkit.build_wheel(tmp_path_factory.mktemp("wheel"))
    return wheelkit.install(wheel, tmp_path_factory.mktemp("venv") / "venv")
