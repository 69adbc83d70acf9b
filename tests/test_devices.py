"""Tablets: offline code blocks, device-made codes at registration, sealed outbox delivery."""

import uuid

from fieldreg import devices
from tests.conftest import household_body


def block(client, api, count=5, device_id=None):
    body = {"count": count, **({"device_id": device_id} if device_id else {})}
    response = client.post("/api/v1/devices/codes", json=body, headers=api)
    assert response.status_code == 201, response.json
    return response.json


def test_migration_adds_devices_and_code_owner(db):
    assert "device_id" in db.table("codes").columns_dict
    assert set(db.table("devices").columns_dict) >= {"id", "created_at", "last_seen"}


def test_a_device_gets_blocks_of_fresh_codes_that_never_overlap(client, api, db):
    first = block(client, api, 5)
    again = block(client, api, 3, first["device_id"])
    other = block(client, api, 4)
    assert again["device_id"] == first["device_id"] and other["device_id"] != first["device_id"]
    all_codes = first["codes"] + again["codes"] + other["codes"]
    assert len(set(all_codes)) == 12 and all(c.startswith("T3S-") for c in all_codes)
    assert first["station_key"] == other["station_key"]
    listed = {d["id"]: d["unused"] for d in devices.list_devices(db)}
    assert listed[first["device_id"]] == 8


def test_device_codes_become_the_household_and_member_codes(client, api):
    got = block(client, api, 4)
    body = household_body(device_id=got["device_id"], device_code=got["codes"][0])
    for member, code in zip(body["members"], got["codes"][1:], strict=True):
        member["device_code"] = code
    response = client.post("/api/v1/households", json=body, headers=api)
    assert response.status_code == 201, response.json
    assert response.json["code"] == got["codes"][0]
    assert [m["code"] for m in response.json["members"]] == got["codes"][1:]


def test_device_codes_are_refused_from_another_device_or_twice(client, api):
    mine, theirs = block(client, api, 2), block(client, api, 2)
    stolen = household_body(device_id=mine["device_id"], device_code=theirs["codes"][0])
    response = client.post("/api/v1/households", json=stolen, headers=api)
    assert response.status_code == 409 and "device_code" in response.json["fields"]
    ok = household_body(device_id=mine["device_id"], device_code=mine["codes"][0])
    assert client.post("/api/v1/households", json=ok, headers=api).status_code == 201
    twice = household_body(device_id=mine["device_id"], device_code=mine["codes"][0])
    assert client.post("/api/v1/households", json=twice, headers=api).status_code == 409
    printed = household_body(device_code="T3S-22222")
    assert client.post("/api/v1/households", json=printed, headers=api).status_code in (400, 409)


def form_pairs(got, client_id, person_id):
    return [
        ["client_id", client_id],
        ["device_id", got["device_id"]],
        ["household_device_code", got["codes"][0]],
        ["given_name", "Maryam"],
        ["family_name", "Haddad"],
        ["sex", "female"],
        ["age_years", "34"],
        ["person_id", person_id],
        ["device_code", got["codes"][1]],
        ["m1-given_name", "Yusuf"],
        ["m1-sex", "male"],
        ["m1-device_code", got["codes"][2]],
        ["transport", "bus"],
    ]


def test_a_sealed_record_is_delivered_once_however_often_it_is_sent(client, api, db):
    got = block(client, api, 3)
    client_id, person_id = str(uuid.uuid4()), str(uuid.uuid4())
    record = {"fields": form_pairs(got, client_id, person_id)}
    sealed = devices.seal(devices.unb64url(got["station_key"]), client_id, record)
    first = client.post("/api/v1/outbox", json=sealed, headers=api)
    assert first.status_code == 201, first.json
    assert first.json["code"] == got["codes"][0]
    assert first.json["members"][0]["id"] == person_id
    assert first.json["members"][1]["code"] == got["codes"][2]
    again = client.post("/api/v1/outbox", json=sealed, headers=api)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert db.table("households").count == 1


def test_a_tampered_or_foreign_sealed_record_is_refused(client, api, db):
    got = block(client, api, 1)
    client_id = str(uuid.uuid4())
    sealed = devices.seal(devices.unb64url(got["station_key"]), client_id, {"fields": []})
    moved = {**sealed, "client_id": str(uuid.uuid4())}
    assert client.post("/api/v1/outbox", json=moved, headers=api).status_code == 400
    foreign_key = devices.public_key_b64(devices.ec.generate_private_key(devices.ec.SECP256R1()))
    foreign = devices.seal(devices.unb64url(foreign_key), client_id, {"fields": []})
    response = client.post("/api/v1/outbox", json=foreign, headers=api)
    assert response.status_code == 400 and "ct" in response.json["fields"]
    assert db.table("households").count == 0


def test_a_plain_record_from_an_insecure_page_is_accepted_and_validated(client, api, db):
    client_id = str(uuid.uuid4())
    body = {"client_id": client_id, "fields": [["given_name", "Ali"], ["age_years", "300"]]}
    response = client.post("/api/v1/outbox", json=body, headers=api)
    # Issue 14: the fields at fault by the form's input names, for the tablet to mark them.
    assert response.status_code == 400 and "age_years" in response.json["fields"]
    assert response.json["code"] == "invalid_fields"
    body["fields"][1][1] = "30"
    assert client.post("/api/v1/outbox", json=body, headers=api).status_code == 201
    assert db.table("households").count == 1


def test_a_refusal_reaches_the_tablet_in_its_language(client, api, db):
    """Issue 14 (a newcomer in Arabic): a tag already bound read "This tag is already bound."
    in English in the form's summary and the outbox list; the field said it in Arabic."""
    made = client.post("/api/v1/households", json=household_body(), headers=api).json
    body = {"client_id": str(uuid.uuid4()), "fields": [["given_name", "Ali"]]}
    body["fields"].append(["tag_code", made["members"][0]["code"]])
    answer = client.post("/api/v1/outbox", json=body, headers={**api, "Accept-Language": "ar"})
    assert answer.status_code == 409 and answer.json["code"] == "tag_in_use"
    assert answer.json["error"] == answer.json["fields"]["tag_code"][0]
    assert "مستخدَم" in answer.json["error"]


def test_the_station_key_is_private_to_its_owner(app):
    devices.station_key(app.config["DATA"])
    path = devices.Path(app.config["DATA"]) / devices.KEY_FILE
    assert path.stat().st_mode & 0o077 == 0


def ask(client, api, device_id: str, count: int):
    """Ask for a block of codes; return the answer, whatever it is."""
    body = {"count": count, "device_id": device_id}
    return client.post("/api/v1/devices/codes", json=body, headers=api)


def test_a_device_holds_a_bounded_number_of_unused_codes(client, api, db):
    """issue 13: a tablet cannot hoard codes (device ids are whatever a tablet says)."""
    device = str(uuid.uuid4())
    for _ in range(2):
        assert ask(client, api, device, 500).status_code == 201
    refused = ask(client, api, device, 1)
    assert refused.status_code == 429 and refused.json["code"] == "quota_exceeded"
    assert "Retry-After" not in refused.headers, "using codes frees the quota, not time"
    held = devices.list_devices(db)
    assert [d["unused"] for d in held] == [devices.DEVICE_UNUSED_MAX]


def test_codes_given_to_tablets_are_bounded_per_hour(client, api, db, monkeypatch):
    """issue 13: fresh device ids do not get round the hourly quota of the whole station."""
    monkeypatch.setattr(devices, "STATION_PER_HOUR", 1200)
    for _ in range(2):
        assert ask(client, api, str(uuid.uuid4()), 500).status_code == 201
    refused = ask(client, api, str(uuid.uuid4()), 500)
    assert refused.status_code == 429 and refused.json["code"] == "quota_exceeded"
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    assert ask(client, api, str(uuid.uuid4()), 200).status_code == 201, "what is left"
    # An hour later the quota is free again.
    db.execute("update codes set issued_at = '2000-01-01T00:00:00+00:00'")
    assert ask(client, api, str(uuid.uuid4()), 500).status_code == 201


def test_one_device_is_bounded_per_hour(client, api, db):
    device = str(uuid.uuid4())
    for _ in range(2):
        assert ask(client, api, device, 500).status_code == 201
    # It used them all (registered offline): the unused cap is free, the hourly one is not.
    db.execute("update codes set record_id = 'used' where device_id = ?", [device])
    refused = ask(client, api, device, 10)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000


def sealed_raw(monkeypatch, station_key: str, client_id: str, raw: str) -> dict:
    """Seal raw text as a hostile tablet would (devices.seal writes only what JSON makes)."""
    with monkeypatch.context() as patch:
        patch.setattr(devices.json, "dumps", lambda _record: raw)
        return devices.seal(devices.unb64url(station_key), client_id, {})


HOSTILE_SEALED = {
    "deep": "[" * 5000 + "]" * 5000,
    "lone surrogate": '{"fields": [["m1-given_name", "\\ud800"], ["m1-sex", "male"]]}',
    "huge number": '{"fields": [], "n": ' + "9" * 5000 + "}",
}


def test_a_hostile_sealed_record_is_refused_not_a_500(client, api, db, monkeypatch):
    """Issue 13: anyone with household:create gets the station's public key, so a sealed
    record is a hostile body like any other: deep nesting or a lone surrogate answered 500."""
    station_key = block(client, api, 1)["station_key"]
    for name, raw in HOSTILE_SEALED.items():
        for path in ("/api/v1/outbox", "/api/v1/outbox/open"):
            sealed = sealed_raw(monkeypatch, station_key, str(uuid.uuid4()), raw)
            response = client.post(path, json=sealed, headers=api)
            assert response.status_code == 400, (name, path, response.status_code)
            assert set(response.json) == {"error", "fields", "code"}
    assert db.table("households").count == 0
