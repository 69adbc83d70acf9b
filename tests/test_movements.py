"""Movements: households and people leave, are transferred, come back; stats follow."""

import json

import pytest

from tests.conftest import household_body


@pytest.fixture
def hh(client, api):
    return client.post("/api/v1/households", json=household_body(), headers=api).json


def move(client, api, what, code, **body):
    return client.post(f"/api/v1/{what}/{code}/movements", json=body, headers=api)


def test_household_departs_then_cannot_depart_again(client, api, hh, db):
    left = move(
        client,
        api,
        "households",
        hh["code"],
        kind="departed",
        transport="bus",
        destination={"kind": "camp", "name": "Atmeh", "place": "Idlib"},
    )
    assert left.status_code == 201 and left.json["status"] == "departed"
    assert len(left.json["movements"]) == 3 and set(left.json["people"].values()) == {"departed"}
    before = next(db.query("select count(*) n from changes"))["n"]
    again = move(client, api, "households", hh["code"], kind="departed")
    assert again.status_code == 409 and again.json["error"]
    person = move(client, api, "people", hh["members"][0]["code"], kind="transferred")
    assert person.status_code == 409
    assert next(db.query("select count(*) n from changes"))["n"] == before
    got = client.get(f"/api/v1/households/{hh['code']}", headers=api).json
    assert got["status"] == "departed" and got["members"][0]["status"] == "departed"


def test_one_member_transferred_to_the_referral_hospital_and_back(client, api, hh, db):
    child = hh["members"][2]["code"]
    client.post(
        f"/api/v1/people/{child}/triage",
        headers=api,
        json={"category": "immediate", "referral": {"hospital": "Bab al-Hawa"}},
    )
    sent = move(client, api, "people", child, kind="transferred", transport="ambulance")
    assert sent.status_code == 201 and sent.json["status"] == "present"  # the others stay
    movement = sent.json["movements"][0]
    assert movement["destination"] == {"kind": "hospital", "name": "Bab al-Hawa", "place": None}
    assert sent.json["people"][child] == "transferred"
    assert client.get("/api/v1/medical/queue", headers=api).json["count"] == 0
    back = move(client, api, "people", child, kind="returned")
    assert back.status_code == 201 and back.json["people"][child] == "present"
    assert move(client, api, "people", child, kind="returned").status_code == 409
    history = client.get(f"/api/v1/people/{child}/movements", headers=api).json
    assert [m["kind"] for m in history] == ["returned", "transferred"]
    changes = list(
        db.query(
            "select tbl, op, data from changes where tbl in ('movements', 'people') "
            "and op != 'upsert' or (tbl = 'people' and data like '%status%')"
        )
    )
    assert [c["op"] for c in changes if c["tbl"] == "movements"] == ["append", "append"]
    statuses = [json.loads(c["data"]).get("status") for c in changes if c["tbl"] == "people"]
    assert statuses == ["transferred", "present"]


def test_household_returns_only_those_away(client, api, hh):
    a = hh["members"][0]["code"]
    move(client, api, "people", a, kind="departed", destination={"kind": "host_family"})
    assert (
        move(client, api, "households", hh["code"], kind="returned").json["movements"][0][
            "person_code"
        ]
        == a
    )
    assert move(client, api, "households", hh["code"], kind="returned").status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "vanished"}, "kind"),
        ({}, "kind"),
        ({"kind": "departed", "destination": {"kind": "moon"}}, "destination"),
        ({"kind": "departed", "transport": "rocket"}, "transport"),
        ({"kind": "departed", "at": "yesterday"}, "at"),
    ],
)
def test_bad_movements_are_refused(client, api, hh, db, body, field):
    response = move(client, api, "households", hh["code"], **body)
    assert response.status_code == 422 and field in response.json["fields"]
    assert next(db.query("select count(*) n from movements"))["n"] == 0


def test_movement_of_unknown_code(client, api):
    from fieldreg import codes

    assert (
        move(client, api, "people", codes.make_code("T3S", 999), kind="departed").status_code == 404
    )
    assert move(client, api, "households", "nonsense", kind="departed").status_code == 400


def test_stats_tell_who_is_here_and_where_the_others_went(client, api, hh):
    other = client.post("/api/v1/households", json=household_body(), headers=api).json
    move(client, api, "households", hh["code"], kind="departed", destination={"kind": "camp"})
    move(client, api, "people", other["members"][0]["code"], kind="transferred")
    stats = client.get("/api/v1/stats", headers=api).json
    assert stats["present"] == 2
    assert stats["presence"] == {"present": 2, "departed": 3, "transferred": 1}
    assert stats["departures_by_destination"] == {"camp": 3, "hospital": 1}


def test_movement_forms_on_the_pages(client, auth_actions, hh, api):
    auth_actions.login("registrar")
    page = client.get(f"/households/{hh['code']}").get_data(as_text=True)
    assert f'action="/households/{hh["code"]}/movements"' in page
    person = hh["members"][1]["code"]
    sent = client.post(
        f"/people/{person}/movements",
        data={
            "csrf_token": auth_actions.csrf(),
            "kind": "departed",
            "destination_kind": "host_family",
            "destination_name": "Uncle",
            "transport": "pickup",
        },
    )
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#movements")
    shown = client.get(f"/people/{person}").get_data(as_text=True)
    assert 'data-status="departed"' in shown and "Uncle" in shown
    again = client.post(
        f"/people/{person}/movements", data={"csrf_token": auth_actions.csrf(), "kind": "departed"}
    )
    assert again.status_code == 409 and "already left" in again.get_data(as_text=True)
    whole = client.post(
        f"/households/{hh['code']}/movements",
        data={"csrf_token": auth_actions.csrf(), "kind": "departed"},
    )
    assert whole.status_code == 302
    assert 'data-status="departed"' in client.get(f"/households/{hh['code']}").get_data(
        as_text=True
    )
    auth_actions.login("analyst")
    refused = client.post(
        f"/households/{hh['code']}/movements",
        data={"csrf_token": auth_actions.csrf(), "kind": "returned"},
    )
    assert refused.status_code == 403


def test_m020_works_on_its_own_on_top_of_m001(tmp_path):
    from fieldreg.db import connect
    from fieldreg.migrations import m001_core, m020_triage_movements

    db = connect(tmp_path / "blank.db", key=bytes(32))  # no data folder: a key of its own
    m001_core(db)
    m020_triage_movements(db)
    assert {c.name for c in db["triage"].columns} == {
        "id",
        "person_id",
        "category",
        "conditions",
        "condition_other",
        "mobility",
        "referral",
        "note",
        "actor",
        "at",
    }
    assert {c.name for c in db["movements"].columns} >= {
        "id",
        "household_id",
        "person_id",
        "kind",
        "destination_kind",
        "transport",
        "at",
    }
    assert db["triage"].pks == ["id"] and db["movements"].pks == ["id"]


def test_held_shows_and_erasure_removes_triage_and_movements(client, api, hh, db):
    code = hh["members"][0]["code"]
    person_id = hh["members"][0]["id"]
    client.post(
        f"/api/v1/people/{code}/triage", json={"category": "minor", "note": "N-1"}, headers=api
    )
    move(client, api, "people", code, kind="departed", destination={"name": "Uncle Samir"})
    held = client.get(f"/api/v1/people/{code}/held", headers=api).json["other"]
    assert held["triage"][0]["note"] == "N-1" and held["movements"][0]["kind"] == "departed"
    assert client.delete(f"/api/v1/people/{code}", headers=api).status_code == 200
    for table in ("triage", "movements"):
        assert not list(db.query(f"select 1 from {table} where person_id = ?", [person_id]))
        ops = [r["op"] for r in db.query("select op from changes where tbl = ?", [table])]
        assert ops[-1] == "delete"
    assert not list(db.query("select 1 from changes where data like '%Uncle Samir%'"))
    assert not list(db.query("select 1 from changes where data like '%N-1%'"))


def test_a_movement_refused_on_a_page_is_a_page_with_a_way_back(client, auth_actions, hh):
    """Issue 14: a bare "409" page; the form chose "Left the station → Camp" by itself."""
    auth_actions.login("registrar")
    person = hh["members"][0]["code"]
    page = client.get(f"/people/{person}").get_data(as_text=True)
    form = page[page.index('class="movement-form"') :]
    for name in ("kind", "destination_kind"):
        select = form[form.index(f'<select name="{name}"') :]
        first = select[: select.index("</option>")]
        assert 'value="" selected' in first, name
    blank = client.post(f"/people/{person}/movements", data={"csrf_token": auth_actions.csrf()})
    assert blank.status_code == 400 and "Choose what happened." in blank.get_data(as_text=True)
    data = {"csrf_token": auth_actions.csrf(), "kind": "departed"}
    assert client.post(f"/people/{person}/movements", data=data).status_code == 302
    again = client.post(f"/people/{person}/movements", data=data)
    shown = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "This person has already left the station." in shown
    assert f'href="/people/{person}#movements"' in shown and "Back to the person" in shown
    assert '<header class="top' in shown and "<h1>409</h1>" not in shown
    client.set_cookie("lang", "ar")
    arabic = client.post(f"/people/{person}/movements", data=data).get_data(as_text=True)
    assert "already left" not in arabic and 'dir="rtl"' in arabic


@pytest.mark.parametrize(("role", "sees"), [("analyst", False), ("registrar", False),
                                            ("medic", True), ("coordinator", True)])  # fmt: skip
def test_a_movement_note_reaches_hq_only_for_medical_readers(tmp_path, role, sees):
    """HQ's first day: a medic's note on a transfer ("amputation planned") came back from
    GET .../movements to an analyst at HQ, though exports and pages keep it to medical roles."""
    from fieldreg import auth, movements, records
    from tests.synckit import join_stations, make_hq, sync_with

    app, hq = make_hq(tmp_path / "hq")
    station = join_stations(hq, tmp_path, ["K7M"])["K7M"]
    hh, _new = records.create_household(station, household_body(), "reg")
    person = hh["members"][0]["code"]
    move = {"kind": "transferred", "note": "amputation planned"}
    movements.move_person(station, person, move, "doc")
    sync_with(station, app)
    headers = {"Authorization": "Bearer " + auth.create_token(hq, "t", role)}
    client = app.test_client()
    paths = [f"/api/v1/people/{person}/movements", f"/api/v1/households/{hh['code']}/movements"]
    for path in paths:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200 and answer.json[0]["kind"] == "transferred"
        assert ("amputation planned" in answer.get_data(as_text=True)) is sees, path
