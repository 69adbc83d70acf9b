"""Station and HQ over HTTP in one process (httpx.WSGITransport): push, ack, pull, conflicts."""

from __future__ import annotations

import json

import httpx
import pytest

from fieldreg import conflicts, create_app, records, search_index, syncing
from fieldreg.db import connect, prepare
from fieldreg.errors import DomainError
from sync import changelog, client, protocol, tables
from tests.conftest import household_body


def make_site(path, code: str):
    """Prepare a data folder with a given station code; return its connection."""
    db = connect(prepare(path))
    db.execute("update settings set value = ? where key = 'station_code'", [code])
    return db


@pytest.fixture
def hq(tmp_path):
    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    db = connect(app.config["DATABASE"])
    yield app, db
    db.close()


@pytest.fixture
def station(tmp_path, hq):
    app, hq_db = hq
    db = make_site(tmp_path / "st", "T3S")
    syncing.join(db, syncing.add_station(hq_db, "T3S", "Bab al-Hawa", "http://hq"))
    yield db
    db.close()


def sync(db, app):
    return syncing.run_sync(db, transport=httpx.WSGITransport(app=app))


def test_push_then_pull_both_ways(hq, station):
    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    report = sync(station, app)
    assert report.pushed == 4 and report.acked == 4
    at_hq = records.get_household(hq_db, made["code"])
    assert [m["given_name"] for m in at_hq["members"]] == ["محمد", "Zainab", "Omar"]
    assert at_hq["station"] == "T3S"
    assert search_index.search(hq_db, "Mohamad Halabi")[0]["household_code"] == made["code"]
    assert search_index.search(hq_db, "0933123456"), "phone_norm is rebuilt at HQ"
    omar = made["members"][2]["code"]
    records.update_person(hq_db, omar, {"age_years": 9}, "hq-analyst")
    assert sync(station, app).pulled == 1
    assert records.get_person(station, omar)["age_years"] == 9
    assert client.pending(station) == 0
    assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)


def test_second_sync_sends_nothing_and_status_is_kept(hq, station):
    app, _ = hq
    records.create_household(station, household_body(), "reg")
    sync(station, app)
    again = sync(station, app)
    assert (again.pushed, again.pulled) == (0, 0)
    state = conflicts.status(station)
    assert state["last_ok"] and not state["last_error"] and state["pending"] == 0


def test_concurrent_edits_keep_the_loser_and_resolve(hq, station):
    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    sync(station, app)
    code = made["members"][1]["code"]
    records.update_person(hq_db, code, {"given_name": "Zaynab"}, "hq")
    records.update_person(station, code, {"given_name": "Zeinab"}, "reg")  # later HLC: wins
    sync(station, app)
    assert records.get_person(hq_db, code)["given_name"] == "Zeinab"
    assert records.get_person(station, code)["given_name"] == "Zeinab"
    [conflict] = conflicts.open_conflicts(hq_db)
    assert (conflict["kept"], conflict["lost"], conflict["code"]) == ("Zeinab", "Zaynab", code)
    conflicts.resolve(hq_db, conflict["id"], "lost", "coordinator")
    sync(station, app)
    assert records.get_person(station, code)["given_name"] == "Zaynab"
    assert conflicts.open_count(hq_db) == 0
    assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)


def test_sequential_edit_is_not_a_conflict(hq, station):
    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    code = made["members"][0]["code"]
    records.update_person(station, code, {"age_years": 42}, "reg")
    sync(station, app)
    records.update_person(hq_db, code, {"age_years": 43}, "hq")
    sync(station, app)
    assert records.get_person(station, code)["age_years"] == 43
    assert conflicts.open_count(hq_db) == conflicts.open_count(station) == 0


def test_station_cannot_send_as_another(hq, station):
    app, hq_db = hq
    syncing.add_station(hq_db, "U4V", "", "http://hq")
    forged = changelog.Change("U4V", 1, "0000000000000001.0000", "people", "x", "upsert", {})
    cred = client.credential(station)
    push = {"kind": "push", "site": "U4V"}
    body = protocol.seal(push, [forged], "T3S", cred["sign"], cred["hq_box_pub"])
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://hq") as http:
        auth = {"Authorization": f"Station T3S:{cred['token']}"}
        answer = http.post("/api/v1/sync/push", content=body, headers=auth)
        assert answer.status_code == 403 and "cannot send" in answer.json()["error"]
        wrong = http.post(
            "/api/v1/sync/push", content=body, headers={"Authorization": "Station T3S:x"}
        )
        assert wrong.status_code == 401
        cut = http.post("/api/v1/sync/push", content=body[:-5], headers=auth)
        assert cut.status_code == 400 and "truncated" in cut.json()["error"]
    assert not list(hq_db.query("select 1 from changes where site = 'U4V'"))


def test_station_refuses_an_ack_not_signed_by_hq(hq, station, tmp_path):
    app, _ = hq
    other = make_site(tmp_path / "other", "HQ3")
    cred = client.credential(station)
    forged_key = syncing.hq_keys(other)
    forged = protocol.sign_ack({"site": "T3S", "head": 1}, forged_key["sign"])
    with pytest.raises(protocol.ProtocolError):
        protocol.check_ack(forged, cred["hq_sign_pub"], "T3S", 5)
    records.create_household(station, household_body(), "reg")
    with pytest.raises(DomainError, match="Sync failed"):
        syncing.run_sync(station, url="http://127.0.0.1:9")  # nobody listens
    assert "Sync failed" not in (client.get(station, "sync_last_error") or "x")
    assert client.get(station, "sync_last_error")
    assert client.pending(station) == 4


def test_background_sync_once_and_switch(hq, station, tmp_path):
    from fieldreg import background

    app, hq_db = hq
    assert background.start({"ROLE": "hq", "SYNC_AUTO": True}) is None
    assert background.start({"ROLE": "station", "SYNC_AUTO": "false"}) is None
    records.create_household(station, household_body(), "reg")
    cred = {**client.credential(station), "hq_url": "http://127.0.0.1:9"}  # nobody listens
    with client.apply.transaction(station):
        client.put(station, "sync_credential", json.dumps(cred))
    station_path = station.execute("pragma database_list").fetchone()[2]
    assert background.once(station_path) is False
    assert client.get(station, "sync_last_error")
    lone = make_site(tmp_path / "lone", "W5X")
    assert background.once(lone.execute("pragma database_list").fetchone()[2]) is True


def test_triage_movements_and_erasure_reach_hq(hq, station):
    """Regression (issue 6 x 4 x 3): facts in time sync, and an erasure removes them at HQ too."""
    from fieldreg import medical, movements, subject

    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    omar, zainab = made["members"][2]["code"], made["members"][1]["code"]
    medical.record_triage(station, omar, {"category": "immediate", "note": "shrapnel"}, "doc")
    movements.move_person(station, zainab, {"kind": "departed"}, "reg")
    sync(station, app)
    assert [t["category"] for t in medical.history(hq_db, made["members"][2]["id"])] == [
        "immediate"
    ]
    assert records.get_person(hq_db, zainab)["status"] == "departed"
    assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)
    subject.erase_person(station, omar, "coordinator")
    sync(station, app)
    assert medical.history(hq_db, made["members"][2]["id"]) == []
    assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)


def test_a_restored_station_syncs_on_without_losing_a_change(hq, station, tmp_path):
    """Backup, more registrations that reach HQ, the laptop dies, restore, register, sync:
    HQ holds every household, those from before the crash and those made after the restore,
    and the station has back what it had made after the backup."""
    from fieldreg import backup
    from fieldreg.restore import restore

    app, hq_db = hq
    first, _ = records.create_household(station, household_body(), "reg")
    sync(station, app)
    made = backup.run(station_path := _path_of(station), tmp_path / "usb", keep=3)
    lost, _ = records.create_household(station, household_body(), "reg")  # after the backup
    sync(station, app)  # ...reaches HQ, then the laptop is lost
    station.close()
    restore(station_path.parent, made["path"])
    station = connect(station_path)
    try:
        assert not list(station.query("select 1 from households where id = ?", [lost["id"]]))
        new, _ = records.create_household(station, household_body(phone="0944 111 222"), "reg")
        report = sync(station, app)
        assert report.pushed == 4 and client.pending(station) == 0
        at_hq = {r["id"] for r in hq_db.query("select id from households")}
        assert at_hq == {first["id"], lost["id"], new["id"]}
        assert records.get_household(hq_db, new["code"])["phone"] == "0944 111 222"
        # ...and the station took back what it had made after the backup: findable again.
        back = records.get_household(station, lost["code"])
        assert [m["code"] for m in back["members"]] == [m["code"] for m in lost["members"]]
        found = search_index.search(station, lost["members"][0]["code"])
        assert found and found[0]["household_code"] == lost["code"]
        assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)
        again = sync(station, app)
        assert (again.pushed, again.pulled) == (0, 0)
    finally:
        station.close()


def _path_of(db):
    from pathlib import Path

    return Path(db.execute("pragma database_list").fetchone()[2])
