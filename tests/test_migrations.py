"""Migrations: they run in the order their names sort, and upgrade a database holding rows.

Names are recorded in each database once applied, so a migration that has run in the field is
never renamed. The first release defined nine whose names do not sort in the order they run
(``LEGACY``); every migration after them must sort after all earlier ones (issue 16).
"""

from __future__ import annotations

import sqlite_utils

from fieldreg import search_index
from fieldreg.migrations import migrations

LEGACY = [
    "m001_core",
    "m010_login_attempts",
    "m020_triage_movements",
    "m030_devices",
    "m040_sync",
    "m060_user_preferences",
    "m070_backups",
    "m050_dedup",
    "m002_arrival_index",
]
# The migrations of the last release that landed (2026-11-26): a database made by it.
PREVIOUS_RELEASE = LEGACY


def names() -> list[str]:
    """Return the migrations' names in the order they run."""
    return [m.name for m in migrations._migrations]


def test_the_legacy_migrations_are_untouched_and_come_first():
    assert names()[: len(LEGACY)] == LEGACY


def test_every_new_migration_sorts_after_every_earlier_one():
    later = names()[len(LEGACY) :]
    for position, name in enumerate(later):
        assert name > max(LEGACY + later[:position]), f"{name} sorts before an earlier migration"
    assert len(set(names())) == len(names())


def old_database(path) -> sqlite_utils.Database:
    """Make a database as the previous release left it, with rows in every main table."""
    db = sqlite_utils.Database(path)
    new = [n for n in names() if n not in PREVIOUS_RELEASE]
    migrations.apply(db, stop_before=new[0] if new else None)
    now = "2026-11-26T10:00:00+00:00"
    db["settings"].insert_all([{"key": "station_code", "value": "T3S"},
                               {"key": "station_name", "value": "Old"}])  # fmt: skip
    db["users"].insert({"id": "u1", "username": "rana", "role": "registrar", "pin_hash": "x",
                        "created_at": now})  # fmt: skip
    db["households"].insert({"id": "h1", "code": "T3S-00002X", "station": "T3S",
                             "created_at": now, "updated_at": now, "arrived_at": now,
                             "phone": "0933111222"})  # fmt: skip
    db["people"].insert({"id": "p1", "code": "T3S-00003Y", "household_id": "h1", "position": 0,
                         "given_name": "محمد", "family_name": "الحلبي", "sex": "male",
                         "age_years": 41, "created_at": now, "updated_at": now})  # fmt: skip
    db["triage"].insert({"id": "t1", "person_id": "p1", "category": "delayed", "at": now,
                         "actor": "medic", "conditions": "[]"})  # fmt: skip
    db["movements"].insert({"id": "m1", "household_id": "h1", "person_id": "p1",
                            "kind": "departed", "at": now, "actor": "rana"})  # fmt: skip
    db["changes"].insert({"site": "T3S", "seq": 1, "tbl": "people", "record_id": "p1",
                          "op": "upsert", "hlc": "0000000001:0000", "data": "{}"})  # fmt: skip
    return db


def test_a_database_of_the_previous_release_upgrades_with_its_rows(tmp_path):
    db = old_database(tmp_path / "old.db")
    before = {t: db[t].count for t in ("households", "people", "triage", "movements", "changes")}
    migrations.apply(db)
    assert [m.name for m in migrations.applied(db)] == names()
    after = {t: db[t].count for t in before}
    assert after == before
    person = db["people"].get("p1")
    assert (person["given_name"], person["age_years"]) == ("محمد", 41)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_an_upgraded_station_finds_its_older_people_by_their_other_readings(tmp_path):
    """Issue 15: people keyed before names had readings are found as "Osman" after upgrading."""
    db = old_database(tmp_path / "old.db")
    now = "2026-11-26T10:00:00+00:00"
    db["people"].insert({"id": "p2", "code": "T3S-00004Z", "household_id": "h1", "position": 1,
                         "given_name": "عثمان", "family_name": "الحلبي", "sex": "male",
                         "age_years": 12, "created_at": now, "updated_at": now})  # fmt: skip
    # keyed as the previous release did: a skeleton per token, no other readings
    for person_id, keys in (("p1", "HLB MHMD"), ("p2", "HLB THMN")):
        rowid = db.execute("select rowid from people where id = ?", [person_id]).fetchone()[0]
        db["people_search"].insert({"rowid": rowid, "person_id": person_id, "keys": keys})
    migrations.apply(db)
    assert [p["code"] for p in search_index.by_name(db, "Osman Halabi", 5)] == ["T3S-00004Z"]
    assert [p["code"] for p in search_index.by_name(db, "Mohamad Halabi", 5)] == ["T3S-00003Y"]
