"""Station and HQ over HTTP in one process (httpx.WSGITransport): push, ack, pull, conflicts."""

from __future__ import annotations

import json

import httpx
import pytest

from fieldreg import bundles, conflicts, create_app, records, search_index, syncing
from fieldreg.db import connect
from fieldreg.errors import DomainError
from sync import changelog, client, keys, protocol, store, tables
from tests.conftest import household_body
from tests.synckit import make_site


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
    assert "Sync failed" not in (store.setting(station, "sync_last_error") or "x")
    assert store.setting(station, "sync_last_error")
    assert client.pending(station) == 4


def test_background_sync_once_and_switch(hq, station, tmp_path):
    from fieldreg import background

    app, hq_db = hq
    assert background.start({"ROLE": "hq", "SYNC_AUTO": True}) is None
    assert background.start({"ROLE": "station", "SYNC_AUTO": "false"}) is None
    records.create_household(station, household_body(), "reg")
    cred = {**client.credential(station), "hq_url": "http://127.0.0.1:9"}  # nobody listens
    with client.apply.transaction(station):
        store.put_setting(station, "sync_credential", json.dumps(cred))
    station_path = station.execute("pragma database_list").fetchone()[2]
    assert background.once(station_path) is False
    assert store.setting(station, "sync_last_error")
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


class Wire:
    """Every byte of every request and answer body a sync sent over HTTP."""

    def __init__(self):
        self.bodies: list[bytes] = []

    def __call__(self, answer: httpx.Response) -> None:
        answer.read()
        self.bodies += [answer.request.content, answer.content]


def test_sync_over_http_shows_nothing_readable(hq, station):
    """Regression (issue 13): pushes and pulls were plain zlib JSON; a sniffer on the LAN read
    names, phones and notes. Both ways are sealed now, and the token alone opens nothing."""
    from fieldreg import medical
    from sync import bundle

    app, hq_db = hq
    made, _ = records.create_household(station, household_body(notes="relatives in Azaz"), "r")
    medical.record_triage(station, made["members"][0]["code"], {"category": "immediate"}, "d")
    wire = Wire()
    sniffed = client.Client(station, transport=httpx.WSGITransport(app=app))
    sniffed.http.event_hooks["response"] = [wire]
    try:
        assert sniffed.sync().pushed == 5
        records.update_person(hq_db, made["members"][2]["code"], {"given_name": "Omar K"}, "h")
        assert sniffed.sync().pulled == 1
    finally:
        sniffed.close()
    assert records.get_person(station, made["members"][2]["code"])["given_name"] == "Omar K"
    # Words only (acks carry clock readings: digits alone may turn up there by chance).
    clear = [b"Halabi", "محمد".encode(), b"0933 123", b"Azaz", b"Omar", b"Aleppo"]
    for body in wire.bodies:
        assert not [word for word in clear if word in body]
        for packed in (body, body[1:]):  # nor inflated: there is no plain zlib stream to read
            with pytest.raises(Exception):  # noqa: B017
                json.loads(zlib_inflate(packed))
    # Someone with the sniffed token: a pull answers a sealed body only T3S's key opens...
    cred = client.credential(station)
    token = {"Authorization": f"Station T3S:{cred['token']}"}
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://hq") as http:
        pulled = http.get("/api/v1/sync/own?after=0", headers=token).content
        stranger = syncing.hq_keys(make_site(hq_db_path(hq_db).parent / "x", "X9X"))["box"]
        with pytest.raises(bundle.BundleError, match="another recipient"):
            protocol.open_sealed(pulled, stranger, lambda s: cred["hq_sign_pub"])
        # ...and a push signed with another key than T3S's is refused, nothing applied.
        before = hq_db.execute("select count(*) from changes").fetchone()[0]
        forged = protocol.seal({"kind": "push", "site": "T3S"}, [], "T3S",
                               keys.generate()["sign"], cred["hq_box_pub"])  # fmt: skip
        answer = http.post("/api/v1/sync/push", content=forged, headers=token)
        assert answer.status_code == 400 and "forged" in answer.json()["error"]
        assert hq_db.execute("select count(*) from changes").fetchone()[0] == before


def zlib_inflate(data: bytes) -> bytes:
    import zlib

    return zlib.decompress(data)


def hq_db_path(db):
    from pathlib import Path

    return Path(db.execute("pragma database_list").fetchone()[2]).parent


def test_a_zlib_bomb_is_refused_with_413(hq, station):
    """Regression (issue 13): a small signed body that unpacks to more than HQ accepts."""
    from sync import bundle

    app, hq_db = hq
    cred = client.credential(station)
    bomb = {"kind": "push", "site": "T3S", "changes": [], "pad": "a" * (65 * 1024 * 1024)}
    sealed = bundle.seal(bomb, "T3S", cred["sign"], cred["hq_box_pub"])
    assert len(sealed) < 1024 * 1024
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://hq") as http:
        answer = http.post(
            "/api/v1/sync/push",
            content=sealed,
            headers={"Authorization": f"Station T3S:{cred['token']}"},
        )
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large" and "unpacks" in answer.json()["error"]
    with pytest.raises(DomainError) as refused:
        bundles.import_bundle(hq_db, sealed)  # the same over USB
    assert (refused.value.status, refused.value.code) == (413, "too_large")


DAY_MS = 24 * 3600 * 1000


def test_a_laptop_clock_days_ahead_cannot_win_later_edits(hq, station, monkeypatch):
    """Regression (issue 13): changes stamped 3 days ahead are refused by HQ (clock_ahead);
    the station restamps them to HQ's clock and sends again, and a later edit at HQ wins."""
    from sync import hlc

    app, hq_db = hq
    real, ahead = hlc.wall_millis, {"ms": 0}
    monkeypatch.setattr(hlc, "wall_millis", lambda: real() + ahead["ms"])
    made, _ = records.create_household(station, household_body(), "reg")
    sync(station, app)
    code = made["members"][1]["code"]
    ahead["ms"] = 3 * DAY_MS  # the station's laptop clock jumps three days ahead
    records.update_person(station, code, {"given_name": "Zeinab"}, "reg")
    ahead["ms"] = 0
    assert sync(station, app).pushed == 1  # refused once, restamped, sent again
    assert "1 changes to HQ's clock" in store.setting(station, "sync_restamped")
    assert records.get_person(hq_db, code)["given_name"] == "Zeinab"
    records.update_person(hq_db, code, {"given_name": "Zaynab"}, "hq")  # later, at HQ
    sync(station, app)
    assert records.get_person(station, code)["given_name"] == "Zaynab"
    assert records.get_person(hq_db, code)["given_name"] == "Zaynab"
    limit = hlc.Timestamp(real() + DAY_MS)
    assert all(hlc.Timestamp.parse(h) < limit for (h,) in hq_db.execute("select hlc from changes"))
    assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)


def test_hq_refuses_a_batch_stamped_beyond_the_allowed_skew(hq, station):
    from sync import hlc

    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    future = str(hlc.Timestamp(hlc.wall_millis() + 25 * 3600 * 1000))
    late = changelog.Change("T3S", 5, future, "people", made["members"][0]["id"], "upsert",
                            {"given_name": "Mallory"})  # fmt: skip
    cred = client.credential(station)
    changes = [*changelog.changes_since(station, "T3S", 0), late]
    body = protocol.seal({"kind": "push", "site": "T3S"}, changes, "T3S", cred["sign"],
                         cred["hq_box_pub"])  # fmt: skip
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://hq") as http:
        answer = http.post("/api/v1/sync/push", content=body,
                           headers={"Authorization": f"Station T3S:{cred['token']}"})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["code"] == "clock_ahead"
    assert "25.0 hours ahead" in answer.json()["error"]
    assert hq_db.execute("select count(*) from changes").fetchone()[0] == 0


def test_edits_of_different_fields_open_no_conflict(hq, station, monkeypatch):
    """Regression (issue 13): each side also set updated_at, which opened a conflict that
    stayed open after the real one was resolved. Bookkeeping columns are never conflicts."""
    from fieldreg import tags

    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    sync(station, app)
    code = made["members"][1]["code"]
    seconds = iter(range(10, 60))  # each edit a second apart, as on a real day
    monkeypatch.setattr(tags, "now", lambda: f"2026-11-27T10:00:{next(seconds)}+00:00")
    records.update_person(hq_db, code, {"age_years": 39}, "hq")
    records.update_person(station, code, {"given_name": "Zeinab"}, "reg")
    sync(station, app)
    assert conflicts.open_count(hq_db) == conflicts.open_count(station) == 0
    person = records.get_person(station, code)
    assert (person["age_years"], person["given_name"]) == (39, "Zeinab")
    records.update_person(hq_db, code, {"given_name": "Zaynab", "sex": "female"}, "hq")
    records.update_person(station, code, {"given_name": "Zainab", "age_years": 40}, "reg")
    sync(station, app)
    [real] = conflicts.open_conflicts(hq_db)
    assert real["field"] == "given_name"
    conflicts.resolve(hq_db, real["id"], "lost", "coordinator")
    sync(station, app)
    assert conflicts.open_count(hq_db) == conflicts.open_count(station) == 0
    assert tables.canonical_hash(station) == tables.canonical_hash(hq_db)
