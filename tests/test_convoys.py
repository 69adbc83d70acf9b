"""Convoys and vehicles as records (issue 18): the API, who may write them, and sync both ways."""

from __future__ import annotations

import uuid

import httpx
import pytest

from fieldreg import convoys, create_app, syncing
from fieldreg.db import connect, prepare
from fieldreg.errors import Conflict
from tests.conftest import household_body


def make_convoy(client, headers, **extra) -> dict:
    body = {"reference": "C-7", "agency": "SARC", "origin": "Darayya", "destination": "Idlib",
            "planned_departure": "2026-11-30T06:00:00Z", **extra}  # fmt: skip
    answer = client.post("/api/v1/convoys", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def add_vehicle(client, headers, convoy_id: str, **extra) -> dict:
    body = {"kind": "bus", "label": "Bus 1", "plate": "DAM 123", "expected": 50, **extra}
    answer = client.post(f"/api/v1/convoys/{convoy_id}/vehicles", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_coordinator_creates_a_convoy_with_vehicles(client, auth_actions):
    coordinator = auth_actions.token("coordinator")
    convoy = make_convoy(client, coordinator)
    bus = add_vehicle(client, coordinator, convoy["id"])
    add_vehicle(client, coordinator, convoy["id"], kind="ambulance", label="Amb 1", expected=3)
    found = client.get(f"/api/v1/convoys/{convoy['id']}", headers=coordinator).get_json()
    assert (found["reference"], found["station"]) == ("C-7", "T3S")
    assert found["planned_departure"] == "2026-11-30T06:00:00+00:00"
    assert [v["label"] for v in found["vehicles"]] == ["Bus 1", "Amb 1"]
    assert found["vehicles"][0]["counts"] == {"expected": 50, "boarded": 0, "arrived": 0}
    fixed = client.patch(f"/api/v1/vehicles/{bus['id']}", json={"expected": 48},
                         headers=coordinator).get_json()  # fmt: skip
    assert fixed["expected"] == 48 and fixed["plate"] == "DAM 123"
    listed = client.get("/api/v1/convoys", headers=auth_actions.token("medic")).get_json()
    assert [c["reference"] for c in listed] == ["C-7"]


def test_registrars_and_analysts_cannot_create_or_close(client, auth_actions):
    convoy = make_convoy(client, auth_actions.token("coordinator"))
    for role in ("registrar", "analyst", "medic"):
        headers = auth_actions.token(role)
        assert client.post("/api/v1/convoys", json={"reference": "X"},
                           headers=headers).status_code == 403  # fmt: skip
        assert client.post(f"/api/v1/convoys/{convoy['id']}/vehicles", json={"kind": "bus"},
                           headers=headers).status_code == 403  # fmt: skip


def test_a_retry_with_the_same_id_answers_the_same_convoy(client, api, db):
    made = uuid.uuid4()
    first = make_convoy(client, api, id=str(made))
    again = make_convoy(client, api, id=str(made), reference="other")
    assert again["id"] == first["id"] == str(made) and again["reference"] == "C-7"
    assert db.execute("select count(*) from convoys").fetchone()[0] == 1


def test_bad_vehicles_are_refused(client, api):
    convoy = make_convoy(client, api)
    wrong = client.post(f"/api/v1/convoys/{convoy['id']}/vehicles", json={"kind": "boat"},
                        headers=api)  # fmt: skip
    assert wrong.status_code == 422 and "kind" in wrong.get_json()["fields"]
    lost = client.post(f"/api/v1/convoys/{uuid.uuid4()}/vehicles", json={"kind": "bus"},
                       headers=api)  # fmt: skip
    assert lost.status_code == 404 and lost.get_json()["code"] == "not_found"
    assert client.get("/api/v1/vehicles/nope", headers=api).status_code == 404


def test_each_write_is_in_the_change_log(client, api, db):
    convoy = make_convoy(client, api)
    bus = add_vehicle(client, api, convoy["id"])
    client.patch(f"/api/v1/convoys/{convoy['id']}", json={"agency": "UNHCR"}, headers=api)
    client.post(f"/api/v1/vehicles/{bus['id']}/close", json={"side": "boarding"}, headers=api)
    logged = db.execute(
        "select tbl, op, data from changes where tbl in ('convoys', 'vehicles') order by seq"
    ).fetchall()
    assert [(t, op) for t, op, _d in logged] == [
        ("convoys", "upsert"), ("vehicles", "upsert"), ("convoys", "upsert"),
        ("vehicles", "upsert")]  # fmt: skip
    assert '"agency": "UNHCR"' in logged[2][2] and "boarding_closed_at" in logged[3][2]


def site(path, code: str, role: str = "station"):
    db = connect(prepare(path))
    db.execute("update settings set value = ? where key = 'station_code'", [code])
    return db, create_app({"DATA": str(path), "ROLE": role, "TESTING": True})


@pytest.fixture
def network(tmp_path):
    """HQ and two stations (departure D2P, reception R3A), joined."""
    hq_db, hq_app = site(tmp_path / "hq", "HQ2", "hq")
    stations = {}
    for code in ("D2P", "R3A"):
        db, _app = site(tmp_path / code, code)
        syncing.join(db, syncing.add_station(hq_db, code, code, "http://hq"))
        stations[code] = db
    yield hq_db, hq_app, stations
    for db in (hq_db, *stations.values()):
        db.close()


def sync(db, hq_app):
    syncing.run_sync(db, transport=httpx.WSGITransport(app=hq_app))


def test_convoys_reach_reception_and_unannounced_vehicles_reach_hq(network):
    hq_db, hq_app, st = network
    convoy = convoys.create_convoy(st["D2P"], {"reference": "C-1"}, "coord")
    convoys.create_vehicle(st["D2P"], {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    from_hq = convoys.create_convoy(hq_db, {"reference": "HQ-9"}, "hq")
    sync(st["D2P"], hq_app)
    sync(st["R3A"], hq_app)
    at_reception = {c["reference"]: c for c in convoys.list_convoys(st["R3A"])}
    assert set(at_reception) == {"C-1", "HQ-9"}
    assert len(convoys.get_convoy(st["R3A"], convoy["id"])["vehicles"]) == 1
    truck = convoys.create_vehicle(
        st["R3A"], {"convoy_id": from_hq["id"], "kind": "truck", "announced": False}, "coord"
    )
    sync(st["R3A"], hq_app)
    at_hq = convoys.get_vehicle(hq_db, truck["id"])
    assert (at_hq["announced"], at_hq["station"], at_hq["convoy_id"]) == (
        False, "R3A", from_hq["id"])  # fmt: skip
    sync(st["D2P"], hq_app)
    assert convoys.get_vehicle(st["D2P"], truck["id"])["kind"] == "truck"


def test_a_client_made_id_of_another_table_is_refused(client, api, db):
    """issue 13: an id names one record; a vehicle cannot take a person's (or a case's) id."""
    made = client.post("/api/v1/households", json=household_body(), headers=api).get_json()
    person_id = made["members"][0]["id"]
    convoy = make_convoy(client, api)
    answer = client.post(f"/api/v1/convoys/{convoy['id']}/vehicles",
                         json={"kind": "bus", "id": person_id}, headers=api)  # fmt: skip
    assert answer.status_code == 409 and answer.get_json()["code"] == "duplicate_id"
    assert client.post("/api/v1/convoys", json={"reference": "X", "id": made["id"]},
                       headers=api).status_code == 409  # fmt: skip
    assert not db.execute("select 1 from vehicles where id = ?", [person_id]).fetchone()
    bus = add_vehicle(client, api, convoy["id"])
    body = household_body()
    body["members"][0]["id"] = bus["id"]  # and a person cannot take a vehicle's id
    answer = client.post("/api/v1/households", json=body, headers=api)
    assert answer.status_code == 409 and answer.get_json()["code"] == "duplicate_id"


def test_a_client_made_id_of_another_stations_vehicle_is_refused_not_adopted(network):
    """issue 13: a retry answers this station's own vehicle; another station's is a 409."""
    hq_db, hq_app, st = network
    theirs = convoys.create_vehicle(st["D2P"], {"kind": "bus", "label": "Theirs"}, "coord")
    sync(st["D2P"], hq_app)
    sync(st["R3A"], hq_app)
    assert convoys.get_vehicle(st["R3A"], theirs["id"])["label"] == "Theirs"
    with pytest.raises(Conflict) as refused:
        convoys.create_vehicle(st["R3A"], {"id": theirs["id"], "kind": "van"}, "coord")
    assert refused.value.code == "duplicate_id"
    mine = convoys.create_vehicle(st["R3A"], {"id": str(uuid.uuid4()), "kind": "van"}, "coord")
    again = convoys.create_vehicle(st["R3A"], {"id": mine["id"], "kind": "van"}, "coord")
    assert again["id"] == mine["id"]  # the station's own: an idempotent retry


@pytest.mark.parametrize("hours", ["0", "-3", "abc", "169", "nan", "1e9"])
def test_issue_18_the_transit_api_refuses_hours_out_of_range(client, auth_actions, hours):
    """Issue 18: ?hours=0 (or a negative, or text) answered the list for 6 hours, silently."""
    answer = client.get(f"/api/v1/transit?hours={hours}", headers=auth_actions.token("analyst"))
    assert answer.status_code == 400
    said = answer.get_json()
    assert said["code"] == "invalid_fields" and list(said["fields"]) == ["hours"]
    assert "1 to 168" in said["error"]


def test_the_transit_api_takes_one_hour_to_a_week(client, auth_actions):
    headers = auth_actions.token("analyst")
    for query, hours in (("?hours=1", 1), ("?hours=168", 168), ("?hours=2.5", 2.5), ("", 6)):
        answer = client.get("/api/v1/transit" + query, headers=headers)
        assert answer.status_code == 200 and answer.get_json()["overdue_hours"] == hours
