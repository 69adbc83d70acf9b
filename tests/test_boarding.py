"""Boarding and arrival by scan (issue 18): household and person tags, already scanned, another
vehicle, unknown tags, a tablet's retry, sealed scans, closed vehicles, erasure."""

from __future__ import annotations

import uuid

import pytest

from fieldreg import codes, devices, subject, tags
from fieldreg.db import write
from tests.conftest import household_body
from tests.test_convoys import add_vehicle, make_convoy


@pytest.fixture
def trip(client, auth_actions):
    """A convoy with two buses, a registered household of three, and a registrar's token."""
    coordinator = auth_actions.token("coordinator")
    convoy = make_convoy(client, coordinator)
    one = add_vehicle(client, coordinator, convoy["id"], label="Bus 1")
    two = add_vehicle(client, coordinator, convoy["id"], label="Bus 2")
    hh = client.post("/api/v1/households", json=household_body(), headers=coordinator).get_json()
    return {"convoy": convoy, "one": one["id"], "two": two["id"], "hh": hh,
            "registrar": auth_actions.token("registrar"), "coordinator": coordinator}  # fmt: skip


def scan(client, trip, vehicle: str, code: str, kind: str = "board", role: str = "registrar",
         **extra):  # fmt: skip
    return client.post(f"/api/v1/vehicles/{trip[vehicle]}/scans",
                       json={"code": code, "kind": kind, **extra}, headers=trip[role])  # fmt: skip


def test_a_household_tag_boards_every_member(client, trip):
    answer = scan(client, trip, "one", trip["hh"]["code"])
    body = answer.get_json()
    assert answer.status_code == 201 and body["status"] == "ok"
    assert body["record_kind"] == "household"
    assert [p["code"] for p in body["added"]] == [m["code"] for m in trip["hh"]["members"]]
    assert body["counts"] == {"expected": 50, "boarded": 3, "arrived": 0}


def test_a_tag_already_scanned_on_the_vehicle_is_refused(client, trip, db):
    omar = trip["hh"]["members"][2]["code"]
    assert scan(client, trip, "one", omar).status_code == 201
    again = scan(client, trip, "one", omar.lower().replace("-", ""))
    assert again.status_code == 409 and again.get_json()["code"] == "already_scanned"
    household = scan(client, trip, "one", trip["hh"]["code"]).get_json()
    assert [p["code"] for p in household["added"]] == [m["code"] for m in
                                                      trip["hh"]["members"][:2]]  # fmt: skip
    assert [p["code"] for p in household["already"]] == [omar]
    assert scan(client, trip, "one", trip["hh"]["code"]).status_code == 409
    assert db.execute("select count(*) from convoy_scans").fetchone()[0] == 3
    # Boarding does not stop the same people from being scanned off on arrival.
    assert scan(client, trip, "one", trip["hh"]["code"], "arrive").status_code == 201


def test_a_person_on_another_vehicle_is_recorded_with_a_warning(client, trip):
    zainab = trip["hh"]["members"][1]["code"]
    scan(client, trip, "one", zainab)
    body = scan(client, trip, "two", zainab).get_json()
    assert body["status"] == "warning"
    assert body["elsewhere"] == [{"code": zainab, "name": "", "vehicle": "Bus 1"}]
    assert "also scanned on Bus 1" in body["message"]


def test_a_typo_is_refused_and_an_unknown_tag_is_kept_until_its_record_comes(client, trip, db):
    assert scan(client, trip, "one", "T3S-22222X").get_json()["code"] == "invalid_code"
    with write(db):
        (free,) = tags.issue(db, "free")
    body = scan(client, trip, "one", free).get_json()
    assert body["status"] == "unknown" and body["added"] == [] and "Unknown tag" in body["message"]
    assert scan(client, trip, "one", free).status_code == 409  # the unknown tag, once
    later = household_body(members=[{"given_name": "Huda", "tag_code": free}])
    client.post("/api/v1/households", json=later, headers=trip["coordinator"])
    found = client.get(f"/api/v1/vehicles/{trip['one']}/reconciliation",
                       headers=trip["coordinator"]).get_json()  # fmt: skip
    assert found["lists"]["unknown_tags"] == []
    assert [p["name"] for p in found["lists"]["boarded_not_arrived"]] == ["Huda"]


def test_a_tablets_retry_is_answered_once(client, trip, db):
    client_id = str(uuid.uuid4())
    first = scan(client, trip, "one", trip["hh"]["code"], client_id=client_id)
    again = scan(client, trip, "one", trip["hh"]["code"], client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["replayed"] is True
    assert len(again.get_json()["added"]) == 3
    assert db.execute("select count(*) from convoy_scans").fetchone()[0] == 3


def test_a_sealed_scan_from_a_tablet_is_opened(client, trip, app, db):
    key = devices.station_key(app.config["DATA"])
    public = devices.unb64url(devices.public_key_b64(key))
    client_id = str(uuid.uuid4())
    sealed = devices.seal(
        public,
        client_id,
        {"code": trip["hh"]["members"][0]["code"], "kind": "board", "at": "2026-11-30T05:00:00Z"},
    )
    answer = client.post(f"/api/v1/vehicles/{trip['one']}/scans", json=sealed,
                         headers=trip["registrar"])  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    at = db.execute("select at, client_id from convoy_scans").fetchone()
    assert at == ("2026-11-30T05:00:00+00:00", client_id)
    broken = {**sealed, "client_id": str(uuid.uuid4())}  # sealed for another client id
    refused = client.post(f"/api/v1/vehicles/{trip['one']}/scans", json=broken,
                          headers=trip["registrar"])  # fmt: skip
    assert refused.status_code == 400


def test_only_coordinators_scan_on_a_closed_vehicle(client, trip):
    client.post(f"/api/v1/vehicles/{trip['one']}/close", json={"side": "boarding"},
                headers=trip["coordinator"])  # fmt: skip
    refused = scan(client, trip, "one", trip["hh"]["code"])
    assert refused.status_code == 409 and refused.get_json()["code"] == "vehicle_closed"
    assert scan(client, trip, "one", trip["hh"]["code"], "arrive").status_code == 201
    assert scan(client, trip, "one", trip["hh"]["code"], role="coordinator").status_code == 201
    client.post(f"/api/v1/vehicles/{trip['one']}/reopen", json={"side": "boarding"},
                headers=trip["coordinator"])  # fmt: skip
    zainab = trip["hh"]["members"][1]["code"]
    assert scan(client, trip, "two", zainab).status_code == 201


def test_people_registered_on_arrival_count_as_arrived_on_their_vehicle(client, trip):
    body = household_body(arrival={"vehicle_id": trip["two"], "transport": "bus"})
    made = client.post("/api/v1/households", json=body, headers=trip["registrar"]).get_json()
    assert made["arrival"]["vehicle_id"] == trip["two"]
    bus = client.get(f"/api/v1/vehicles/{trip['two']}", headers=trip["registrar"]).get_json()
    assert bus["counts"]["arrived"] == 3


def test_erasing_a_person_removes_their_scans_everywhere(client, trip, db):
    scan(client, trip, "one", trip["hh"]["code"])
    omar = trip["hh"]["members"][2]
    held = subject.everything(db, omar["code"], "admin")["other"]["boarding"]
    assert [(h["kind"], h["label"]) for h in held] == [("board", "Bus 1")]
    subject.erase_person(db, omar["code"], "admin")
    left = db.execute("select person_id from convoy_scans").fetchall()
    assert omar["id"] not in {row[0] for row in left} and len(left) == 2
    tombstones = db.execute(
        "select count(*) from changes where tbl = 'convoy_scans' and op = 'delete'"
    ).fetchone()[0]
    assert tombstones == 1
    logged = db.execute("select data from changes where tbl = 'convoy_scans'").fetchall()
    assert not any(omar["code"] in row[0] or omar["id"] in row[0] for row in logged)


def test_erasing_removes_a_scan_kept_by_code_before_its_record_came(client, trip, db):
    with write(db):
        (free,) = tags.issue(db, "free")
    scan(client, trip, "one", free)  # the tag was scanned before anyone was registered with it
    later = household_body(members=[{"given_name": "Huda", "tag_code": free}])
    client.post("/api/v1/households", json=later, headers=trip["coordinator"])
    subject.erase_person(db, free, "admin")
    assert db.execute("select count(*) from convoy_scans").fetchone()[0] == 0
    logged = db.execute("select data from changes where tbl = 'convoy_scans'").fetchall()
    assert logged and not any(free in row[0] for row in logged)


def test_the_scan_page_works_without_javascript(client, trip, auth_actions):
    auth_actions.login("registrar")
    page = client.get(f"/convoys/vehicles/{trip['one']}/scan?kind=board")
    assert page.status_code == 200 and b"data-board-form" in page.data
    csrf = auth_actions.csrf()
    code = trip["hh"]["code"]
    done = client.post(f"/convoys/vehicles/{trip['one']}/scan?kind=board",
                       data={"csrf_token": csrf, "code": code})  # fmt: skip
    assert done.status_code == 200 and b"Boarded: " in done.data
    again = client.post(f"/convoys/vehicles/{trip['one']}/scan?kind=board",
                        data={"csrf_token": csrf, "code": code})  # fmt: skip
    assert again.status_code == 409 and b"Already scanned" in again.data
    # The tablet's page knows what is on board already, to judge a second scan offline.
    page = client.get(f"/convoys/vehicles/{trip['one']}/scan?kind=board").get_data(as_text=True)
    assert code in page and trip["hh"]["members"][0]["code"] in page
    assert codes.parse(code)
