"""Encryption at rest: nothing in clear on disk, locked start, unlock, lock now, rekey."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from fieldreg import create_app, db, keyring
from fieldreg.db import connect as db_connect
from tests.conftest import PASSPHRASE, PIN, ROOT, csrf_of, household_body

SECRET_NAMES = ("Qwyzzelbrand", "Xorthumbel", "ظظقثصضنتم")


def secret_household() -> dict:
    body = household_body()
    body["members"][0]["given_name"] = SECRET_NAMES[0]
    body["members"][1]["family_name"] = SECRET_NAMES[1]
    body["members"][2]["given_name"] = SECRET_NAMES[2]
    body["notes"] = "note " + SECRET_NAMES[1]
    return body


def test_no_registered_name_in_clear_in_any_file(client, api, data_dir, db):
    response = client.post("/api/v1/households", json=secret_household(), headers=api)
    assert response.status_code == 201
    code = response.get_json()["members"][0]["code"]
    client.get(f"/api/v1/people/{code}", headers=api)
    client.get("/api/v1/search?q=" + SECRET_NAMES[0], headers=api)
    db.execute("pragma wal_checkpoint(passive)")  # WAL and main file both hold pages now
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        content = path.read_bytes()
        for name in SECRET_NAMES:
            assert name.encode() not in content, f"{name} in clear in {path.name}"
        assert not content.startswith(db_header())


def db_header() -> bytes:
    return db.PLAIN_HEADER


def test_plain_sqlite_cannot_open_the_file(app, data_dir):
    conn = sqlite3.connect(data_dir / "fieldreg.db")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("select * from people").fetchall()


@pytest.fixture
def locked_env(monkeypatch, tmp_path):
    """No passphrase in the environment: a new folder starts locked."""
    monkeypatch.delenv("FIELDREG_PASSPHRASE")
    return tmp_path / "locked"


def test_new_station_starts_locked_and_serves_only_unlock(locked_env):
    app = create_app({"DATA": str(locked_env), "TESTING": True})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/search").headers["Location"].endswith("/unlock")
    assert client.get("/login").headers["Location"].endswith("/unlock")
    api = client.get("/api/v1/stats", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and api.get_json()["error"] == "The station is locked."
    assert client.get("/unlock").status_code == 200
    tablet = client.get("/unlock", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert tablet.status_code == 503 and b"passphrase" not in tablet.data.lower()
    assert not (locked_env / "fieldreg.db").exists()


def test_set_passphrase_then_lock_and_unlock(locked_env):
    app = create_app({"DATA": str(locked_env), "TESTING": True})
    client = app.test_client()
    form = {"passphrase": "short", "confirm": "short", "csrf_token": csrf_unlock(client)}
    assert client.post("/unlock", data=form).status_code == 400
    form.update(passphrase="a long passphrase", confirm="a long passphrase")
    assert client.post("/unlock", data=form).headers["Location"].endswith("/login")
    assert (locked_env / "fieldreg.db").exists()
    # the first coordinator, then "lock now"
    setup = {
        "station_name": "S",
        "station_code": "ABC",
        "username": "coord",
        "pin": PIN,
        "csrf_token": csrf_of(client),
    }
    assert client.post("/setup", data=setup).status_code == 302
    csrf = page_csrf(client, "/search")
    assert client.post("/lock", data={"csrf_token": csrf}).headers["Location"].endswith("/unlock")
    assert client.get("/search").headers["Location"].endswith("/unlock")
    wrong = {"passphrase": "not the passphrase", "csrf_token": csrf_unlock(client)}
    assert client.post("/unlock", data=wrong).status_code == 400
    right = {"passphrase": "a long passphrase", "csrf_token": csrf_unlock(client)}
    assert client.post("/unlock", data=right).status_code == 302
    # the lock ended every session: the old cookie no longer logs in
    assert client.get("/search").headers["Location"].startswith("/login")


def test_lock_holds_against_the_environment_passphrase(client, auth_actions, data_dir):
    auth_actions.login("coordinator")  # Lock now is for coordinators and admins
    csrf = auth_actions.csrf()
    assert client.post("/lock", data={"csrf_token": csrf}).status_code == 302
    assert not keyring.is_unlocked(data_dir)
    assert client.get("/api/v1/stats").status_code == 503
    with pytest.raises(keyring.Locked):
        db.connect(data_dir / "fieldreg.db")
    db.unlock(data_dir, PASSPHRASE)
    assert keyring.is_unlocked(data_dir)


def csrf_unlock(client) -> str:
    return page_csrf(client, "/unlock")


def page_csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_rekey_changes_the_passphrase(runner, client, api, data_dir, monkeypatch):
    client.post("/api/v1/households", json=secret_household(), headers=api)
    monkeypatch.setenv("FIELDREG_NEW_PASSPHRASE", "the new passphrase")
    result = runner.invoke("rekey")
    assert result.exit_code == 0, result.output
    keyring.lock(data_dir)
    with pytest.raises(keyring.WrongPassphrase):
        db.unlock(data_dir, PASSPHRASE)
    db.unlock(data_dir, "the new passphrase")
    database = db.connect(data_dir / "fieldreg.db")
    assert database.table("people").count == 3
    assert [r["action"] for r in database.query("select action from audit")][-1] == "rekey"


def test_plain_database_is_encrypted_in_place(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    plain = sqlite3.connect(folder / "fieldreg.db")
    plain.execute("create table t (name text)")
    plain.execute("insert into t values (?)", [SECRET_NAMES[0]])
    plain.commit()
    plain.close()
    db.prepare(folder)
    assert SECRET_NAMES[0].encode() not in (folder / "fieldreg.db").read_bytes()
    database = db.connect(folder / "fieldreg.db")
    assert [r["name"] for r in database.query("select name from t")] == [SECRET_NAMES[0]]
    assert database.table("people").exists()


def test_backup_copy_is_encrypted_and_readable(client, api, data_dir, db):
    client.post("/api/v1/households", json=secret_household(), headers=api)
    (data_dir / "backups").mkdir()
    target = db_connect(data_dir / "backups" / "copy.db", home=data_dir)
    db.conn.backup(target.conn)
    target.close()
    content = (data_dir / "backups" / "copy.db").read_bytes()
    assert SECRET_NAMES[0].encode() not in content
    copy = db_connect(data_dir / "backups" / "copy.db", home=data_dir)
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert copy.table("people").count == 3


def test_live_server_starts_locked_and_unlocks_over_http(tmp_path):
    """A real `serve` without FIELDREG_PASSPHRASE: locked until the laptop types it."""
    import os
    import re

    import httpx

    from tests.conftest import LiveServer

    env = {k: v for k, v in os.environ.items() if k != "FIELDREG_PASSPHRASE"}
    server = LiveServer(tmp_path / "live")
    server.env = {**env, "PYTHONPATH": server.env["PYTHONPATH"]}
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/healthz").status_code == 200
            assert http.get("/api/v1/stats").status_code == 503
            assert http.get("/search").headers["location"].endswith("/unlock")
            page = http.get("/unlock").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            form = {
                "passphrase": "typed on the laptop",
                "confirm": "typed on the laptop",
                "csrf_token": csrf,
            }
            assert http.post("/unlock", data=form).headers["location"].endswith("/login")
            assert http.get("/login").headers["location"].endswith("/setup")
    finally:
        server.stop()
    assert (tmp_path / "live" / "fieldreg.db").exists()
    assert not keyring.is_new(tmp_path / "live")


def test_a_file_outside_the_data_folder_is_encrypted_with_its_folder_named(app, data_dir, tmp_path):
    key = keyring.key_for(data_dir / "fieldreg.db")
    outside = tmp_path / "elsewhere" / "copy.db"
    outside.parent.mkdir()
    copy = db.connect(outside, home=data_dir)
    copy.execute("create table t (name text)")
    copy.execute("insert into t values (?)", [SECRET_NAMES[0]])
    copy.close()
    assert SECRET_NAMES[0].encode() not in outside.read_bytes()
    assert not (outside.parent / keyring.SALT_FILE).exists()
    assert db.verify_key(outside, key)


def test_a_file_in_no_data_folder_never_borrows_a_held_key(app, data_dir, tmp_path):
    """Issue 13: a key comes from the file's own folder; another folder's key is never lent."""
    assert keyring.held(data_dir / "fieldreg.db")
    stray = tmp_path / "stray" / "copy.db"
    stray.parent.mkdir()
    with pytest.raises(keyring.Locked, match="no fieldreg.salt"):
        db.connect(stray)
    assert not stray.exists() and not (stray.parent / keyring.SALT_FILE).exists()


def test_command_line_asks_for_the_passphrase_when_locked(runner, data_dir, monkeypatch):
    monkeypatch.delenv("FIELDREG_PASSPHRASE")
    keyring.lock(data_dir)
    wrong = runner.invoke("users", "list", input="not it\n")
    assert wrong.exit_code == 1 and "Cannot unlock" in wrong.output
    right = runner.invoke(
        "users", "add", "nour", "--role", "medic", "--pin", "1357", input=PASSPHRASE + "\n"
    )
    assert right.exit_code == 0 and "added" in right.output


def test_a_data_folder_inside_a_folder_with_a_salt_has_a_salt_and_key_of_its_own(tmp_path):
    """Issue 13: ``./data`` in a checkout that holds a salt must not derive from that salt."""
    parent = tmp_path / "checkout"
    parent.mkdir()
    parent_params = {"kdf": "argon2id", "salt": "8edd02efdc2d2f5ddbe41736b70c8c6a"}
    parent_params.update(keyring.KDF_PROFILES["fast"])
    (parent / keyring.SALT_FILE).write_text(json.dumps(parent_params))
    data = parent / "data"
    db.prepare(data)
    own = json.loads((data / keyring.SALT_FILE).read_text())
    assert own["salt"] != parent_params["salt"]
    key = keyring.key_for(data / "fieldreg.db")
    assert key == keyring.derive(PASSPHRASE, own)
    assert key != keyring.derive(PASSPHRASE, parent_params)
    assert db.verify_key(data / "fieldreg.db", key)


def test_new_salts_get_the_production_kdf_outside_the_test_suite(tmp_path, monkeypatch):
    """The fast profile is the test suite's: FIELDREG_KDF=fast alone does nothing elsewhere."""
    monkeypatch.setattr(keyring, "_test_kdf", False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setenv(keyring.ENV_KDF, "fast")
    params = keyring.kdf_params(tmp_path / "station")
    assert {k: params[k] for k in keyring.KDF_PROFILES["argon2id"]} == keyring.KDF_PROFILES[
        "argon2id"
    ]


def test_a_command_started_by_hand_makes_a_production_salt(tmp_path):
    """A real `python -m fieldreg` (no pytest around it) ignores FIELDREG_KDF=fast."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(PYTHONPATH=str(ROOT), FIELDREG_KDF="fast")
    data = tmp_path / "real"
    command = [sys.executable, "-m", "fieldreg", "--data", str(data), "init", "--code", "RE2"]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    params = json.loads((data / keyring.SALT_FILE).read_text())
    assert params["memory_cost"] == 64 * 1024 and params["time_cost"] == 3
    hook = "from fieldreg import keyring; keyring.use_test_kdf()"
    refused = subprocess.run(
        [sys.executable, "-c", hook], env=env, cwd=ROOT, capture_output=True, timeout=60
    )
    assert refused.returncode != 0 and b"test suite only" in refused.stderr


def inherited_station(tmp_path):
    """A station made before issue 13 in ./data of a checkout: keyed by the checkout's salt."""
    from fieldreg.migrations import migrations
    from tests.test_station import COMMITTED_SALT

    checkout = tmp_path / "checkout"
    (checkout / "data").mkdir(parents=True)
    (checkout / keyring.SALT_FILE).write_text(COMMITTED_SALT)
    old_key = keyring.derive(PASSPHRASE, json.loads(COMMITTED_SALT))
    database = db.connect(checkout / "data" / "fieldreg.db", key=old_key)
    migrations.apply(database)
    database.execute("insert into settings (key, value) values ('station_code', 'T3S')")
    database.execute("insert into settings (key, value) values ('note', ?)", [SECRET_NAMES[0]])
    database.close()
    return checkout / "data", old_key


def note_of(app) -> str:
    database = db.connect(app.config["DATABASE"])
    try:
        return db.setting(database, "note")
    finally:
        database.close()


def test_a_station_keyed_by_a_parents_salt_moves_to_its_own_at_start(tmp_path):
    """Issue 13's migration path: FIELDREG_PASSPHRASE re-keys it once, nothing is lost."""
    data, old_key = inherited_station(tmp_path)
    assert keyring.is_inherited(data) and not keyring.is_new(data)
    app = create_app({"DATA": str(data), "TESTING": True})
    own = json.loads((data / keyring.SALT_FILE).read_text())
    assert own["salt"] != json.loads((data.parent / keyring.SALT_FILE).read_text())["salt"]
    assert not db.verify_key(data / "fieldreg.db", old_key)
    assert db.verify_key(data / "fieldreg.db", keyring.derive(PASSPHRASE, own))
    assert note_of(app) == SECRET_NAMES[0]


def test_a_station_keyed_by_a_parents_salt_is_unlocked_on_the_page(tmp_path, monkeypatch):
    monkeypatch.delenv("FIELDREG_PASSPHRASE")
    data, old_key = inherited_station(tmp_path)
    app = create_app({"DATA": str(data), "TESTING": True})
    client = app.test_client()
    page = client.get("/unlock").get_data(as_text=True)
    assert "Unlock the station" in page and 'name="confirm"' not in page  # not a new station
    assert keyring.is_new(data) is False and not (data / keyring.SALT_FILE).exists()
    wrong = {"passphrase": "not the passphrase", "csrf_token": csrf_unlock(client)}
    assert client.post("/unlock", data=wrong).status_code == 400
    right = {"passphrase": PASSPHRASE, "csrf_token": csrf_unlock(client)}
    assert client.post("/unlock", data=right).headers["Location"].endswith("/login")
    assert not db.verify_key(data / "fieldreg.db", old_key)
    assert note_of(app) == SECRET_NAMES[0]
