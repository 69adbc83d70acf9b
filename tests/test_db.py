"""Storage: migrating a blank database, durable PRAGMAs, a station code on first start."""

from fieldreg import codes
from fieldreg.db import connect, prepare, setting


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
