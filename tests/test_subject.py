"""Data subject rights: everything held about a person, erasure with a tombstone, retention."""

from __future__ import annotations

import datetime as dt
import json

from fieldreg import subject
from tests.conftest import household_body


def register(client, api) -> dict:
    response = client.post("/api/v1/households", json=household_body(), headers=api)
    assert response.status_code == 201
    return response.get_json()


def test_everything_held_collects_person_household_audit_and_providers(client, auth_actions):
    headers = auth_actions.token("coordinator")
    hh = register(client, headers)
    code = hh["members"][0]["code"]
    client.get(f"/api/v1/people/{code}", headers=headers)
    triage = {"category": "delayed", "note": "cut on the left hand"}
    answer = client.post(f"/api/v1/people/{code}/triage", json=triage, headers=headers)
    assert answer.status_code == 201
    move = {"kind": "departed", "destination": {"kind": "camp", "name": "Camp B"}}
    answer = client.post(f"/api/v1/people/{code}/movements", json=move, headers=headers)
    assert answer.status_code == 201
    held = client.get(f"/api/v1/people/{code}/held", headers=headers).get_json()
    assert held["person"]["given_name"] == "محمد"
    assert held["household"]["code"] == hh["code"]
    assert [t["note"] for t in held["other"]["triage"]] == ["cut on the left hand"]
    assert [m["kind"] for m in held["other"]["movements"]] == ["departed"]
    assert {"create", "view"} <= {e["action"] for e in held["audit"]}
    registrar = auth_actions.token("registrar")
    assert client.get(f"/api/v1/people/{code}/held", headers=registrar).status_code == 403


def test_erase_purges_fields_index_and_change_payloads_and_keeps_a_tombstone(client, api, db):
    hh = register(client, api)
    person = hh["members"][0]
    assert client.delete(f"/api/v1/people/{person['code']}", headers=api).status_code == 200
    row = next(db.query("select * from people where id = ?", [person["id"]]))
    assert row["deleted"] == 1 and row["status"] == "erased"
    assert row["given_name"] is None and row["mother_name"] is None and row["age_years"] is None
    assert not list(db.query("select 1 from people_search where person_id = ?", [person["id"]]))
    changes = list(db.query("select op, data from changes where record_id = ?", [person["id"]]))
    assert changes[-1]["op"] == "delete"
    assert all("محمد" not in c["data"] for c in changes)
    assert client.get(f"/api/v1/people/{person['code']}", headers=api).status_code == 404
    found = client.get("/api/v1/search", query_string={"q": "محمد الحلبي"}, headers=api)
    assert person["code"] not in json.dumps(found.get_json())
    assert client.delete(f"/api/v1/people/{person['code']}", headers=api).status_code == 404


def test_erasing_the_last_member_erases_the_household(client, api, db):
    hh = register(client, api)
    for member in hh["members"]:
        client.delete(f"/api/v1/people/{member['code']}", headers=api)
    row = next(db.query("select * from households where id = ?", [hh["id"]]))
    assert row["deleted"] == 1 and row["phone"] is None and row["origin_district"] is None
    ops = [r["op"] for r in db.query("select op from changes where record_id = ?", [hh["id"]])]
    assert ops[-1] == "delete"
    assert "0933" not in "".join(r["data"] for r in db.query("select data from changes"))


def test_erase_page_needs_the_code_typed_again(client, api, auth_actions, db):
    hh = register(client, api)
    code = hh["members"][1]["code"]
    auth_actions.login("coordinator")
    page = client.get(f"/people/{code}/held")
    assert page.status_code == 200 and "Zainab" in page.get_data(as_text=True)
    csrf = auth_actions.csrf()
    assert client.post(f"/people/{code}/erase", data={"csrf_token": csrf}).status_code == 400
    done = client.post(f"/people/{code}/erase", data={"csrf_token": csrf, "confirm": code.lower()})
    assert done.status_code == 200
    assert next(db.query("select deleted from people where code = ?", [code]))["deleted"] == 1


def age(db, table: str, record_id: str, days: int, status: str) -> None:
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()
    db.execute(
        f"update {table} set status = ?, updated_at = ? where id = ?", [status, stamp, record_id]
    )


def test_retention_erases_closed_records_older_than_the_setting(client, api, db, runner):
    old, recent, present = register(client, api), register(client, api), register(client, api)
    age(db, "households", old["id"], 40, "departed")
    age(db, "households", recent["id"], 5, "transferred")
    age(db, "households", present["id"], 400, "present")
    assert subject.purge_closed(db, 0) == 0
    result = runner.invoke("purge", "--days", "30")
    assert result.exit_code == 0 and result.output.startswith("3 people erased")
    deleted = {r["household_id"]: r["deleted"] for r in db.query("select * from people")}
    assert deleted == {old["id"]: 1, recent["id"]: 0, present["id"]: 0}
    assert next(db.query("select deleted from households where id = ?", [old["id"]]))["deleted"]


def test_retention_runs_by_itself_when_configured(app, client, api, db):
    from fieldreg.views.station import run_retention

    hh = register(client, api)
    age(db, "people", hh["members"][2]["id"], 10, "departed")
    app.config["RETENTION_DAYS"] = 7
    assert run_retention(app, now=1e9) == 1
    assert run_retention(app, now=1e9 + 60) == 0  # not again within the hour
