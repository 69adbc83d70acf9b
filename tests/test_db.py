"""Storage: migrating a blank database, durable PRAGMAs, a station code on first start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fieldreg import codes
from fieldreg.db import connect, prepare, setting
from tests.conftest import ROOT


def test_blank_database_migrates(tmp_path):
    path = prepare(tmp_path / "new")
    db = connect(path)
    tables = set(db.table_names())
    assert {
        "settings",
        "users",
        "sessions",
        "api_tokens",
        "households",
        "people",
        "codes",
        "changes",
        "audit",
        "people_search",
    } <= tables
    assert {
        "id",
        "code",
        "client_id",
        "station",
        "arrived_at",
        "transport",
        "phone",
        "vulnerabilities",
        "consent_share",
    } <= set(db["households"].columns_dict)
    assert {
        "id",
        "code",
        "household_id",
        "given_name",
        "father_name",
        "mother_name",
        "family_name",
        "sex",
        "age_years",
        "age_estimated",
        "date_of_birth",
        "relationship",
    } <= set(db["people"].columns_dict)
    assert codes.is_valid_prefix(setting(db, "station_code"))


def test_connection_is_durable(tmp_path):
    db = connect(prepare(tmp_path / "d"))
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1
    assert db.execute("pragma busy_timeout").fetchone()[0] >= 5000


def test_prepare_twice_keeps_station_code(tmp_path):
    db = connect(prepare(tmp_path / "d"))
    first = setting(db, "station_code")
    db.close()
    db = connect(prepare(tmp_path / "d"))
    assert setting(db, "station_code") == first


PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


@pytest.fixture
def loose_umask():
    """The usual umask (022): files would be readable by every local user unless made private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    found = {".": folder.stat().st_mode & 0o777}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = path.stat().st_mode & 0o777
    return found


def test_every_file_of_the_data_folder_is_the_owners_only(tmp_path, loose_umask):
    """Issue 13: database, WAL/SHM, backups, bundles, keys, secret.key and salt are 0600."""
    from fieldreg import backup, create_app, devices, records, syncing, tls
    from fieldreg.cli import cli
    from tests.conftest import household_body

    data = tmp_path / "data"
    app = create_app({"DATA": str(data), "TESTING": True})
    db = connect(app.config["DATABASE"])
    hq = connect(prepare(tmp_path / "hq"))
    syncing.join(db, syncing.add_station(hq, setting(db, "station_code"), "S", "http://hq"))
    hq.close()
    records.create_household(db, household_body(), "test")
    devices.station_key(data)
    tls.ensure(data, ["localhost"], ["127.0.0.1"])
    assert backup.run(app.config["DATABASE"], data / "backups", keep=2)["ok"]
    os.umask(0o022)  # the command line sets its own; give it the loose one back
    bundle = ["--data", str(data), "bundle", "export", str(data / "b.bin")]
    assert CliRunner().invoke(cli, bundle).exit_code == 0
    found = modes(data)
    assert {"fieldreg.db-wal", "fieldreg.db-shm", "secret.key", "fieldreg.salt"} <= set(found)
    assert {"outbox-key.pem", "tls/ca.key", "tls/server.key", "b.bin"} <= set(found)
    assert any(name.startswith("backups/fieldreg-") for name in found)
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (PRIVATE_FOLDER if (data / name).is_dir() else PRIVATE_FILE)
    }
    assert wrong == {}
    db.close()


def test_an_older_data_folder_is_made_private_at_start(tmp_path, loose_umask):
    data = tmp_path / "old"
    connect(prepare(data)).close()
    data.chmod(0o755)
    for path in data.iterdir():
        path.chmod(0o644)
    prepare(data)
    assert {mode for name, mode in modes(data).items() if name != "."} == {PRIVATE_FILE}
    assert data.stat().st_mode & 0o777 == PRIVATE_FOLDER


def test_the_command_line_writes_only_private_files(tmp_path, loose_umask):
    """The process umask covers files no code made private by hand (a dedup-csv output)."""
    source = tmp_path / "in.csv"
    source.write_text("id,given_name,family_name\n1,Omar,Halabi\n2,Umar,Halaby\n")
    command = [sys.executable, "-m", "fieldreg", "dedup-csv", str(source), str(tmp_path / "o.csv")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.csv").stat().st_mode & 0o777 == PRIVATE_FILE
