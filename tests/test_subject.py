"""Data subject rights: everything held about a person, erasure with a tombstone, retention."""

from __future__ import annotations

import datetime as dt
import json

from fieldreg import subject
from tests.conftest import PHONE_MARKS, household_body


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
    logged = "".join(r["data"] for r in db.query("select data from changes"))
    assert not [mark for mark in PHONE_MARKS if mark in logged]


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


# --- issue 13: erasure erases everything, on every path, and reaches HQ and other stations ---

TARGET = {"given_name": "Zebulonqx", "father_name": "Quillanbar", "mother_name": "Wynnefrix",
          "family_name": "Quorvantik"}  # fmt: skip
TEXTS = ("NOTEERASE1", "CONDERASE1", "HOSPERASE1", "MOVEERASE1", "DESTERASE1")


def register_target(client, api, db) -> dict:
    """A household of two: the person to erase (triaged, transferred) and one who stays."""
    from fieldreg import medical, movements

    body = household_body(members=[{**TARGET, "sex": "male", "age_years": 30},
                                    {"given_name": "Keepmequx", "sex": "female",
                                     "age_years": 28, "relationship": "spouse"}])  # fmt: skip
    made = client.post("/api/v1/households", json=body, headers=api).get_json()
    code = made["members"][0]["code"]
    medical.record_triage(db, code, {
        "category": "delayed", "conditions": ["burn", "other"], "condition_other": "CONDERASE1",
        "note": "NOTEERASE1", "referral": {"hospital": "HOSPERASE1"}}, "doc")  # fmt: skip
    movements.move_person(db, code, {"kind": "transferred", "note": "MOVEERASE1",
                                     "destination": {"kind": "hospital",
                                                     "name": "DESTERASE1"}}, "reg")  # fmt: skip
    return made


def needles_of(person: dict) -> tuple[bytes, ...]:
    """What must not be found anywhere after erasure: names, their search keys, the texts."""
    from fieldreg import search_index

    keys = search_index._keys(person)
    assert keys, "the person had search keys"
    return tuple(n.encode() for n in (*person.values(), *keys, *TEXTS))


def traces(database_path, needles: tuple[bytes, ...]) -> list[tuple[str, str]]:
    """Search every table of the file (search index shadow tables too), through the app's
    own connection, for any of the needles; return (table, needle) for each hit."""
    from fieldreg.db import connect

    database = connect(database_path)
    try:
        found = set()
        names = [r["name"] for r in database.query(
            "select name from sqlite_master where type = 'table'")]  # fmt: skip
        for name in names:
            for row in database.execute(f"select * from [{name}]").fetchall():
                blob = b"\0".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
                found.update((name, n.decode()) for n in needles if n.lower() in blob.lower())
        return sorted(found)
    finally:
        database.close()


def assert_erased(app, person: dict) -> None:
    needles = needles_of(TARGET)
    assert traces(app.config["DATABASE"], needles) == []
    from fieldreg.db import connect

    database = connect(app.config["DATABASE"])
    try:
        row = next(database.query("select * from people where id = ?", [person["id"]]))
        assert row["deleted"] == 1 and row["given_name"] is None
        kept = list(database.query("select given_name from people where deleted = 0"))
        assert {"given_name": "Keepmequx"} in kept, "the rest of the household stays"
    finally:
        database.close()


def test_the_needles_are_found_before_erasure(client, api, db, app):
    """The search can fail: before erasure every needle is in the file."""
    register_target(client, api, db)
    found = {needle for _table, needle in traces(app.config["DATABASE"], needles_of(TARGET))}
    assert found == {n.decode() for n in needles_of(TARGET)}


def test_api_delete_erases_everything(client, api, db, app):
    made = register_target(client, api, db)
    person = made["members"][0]
    assert client.delete(f"/api/v1/people/{person['code']}", headers=api).status_code == 200
    assert_erased(app, person)


def test_erase_page_erases_everything(client, api, auth_actions, db, app):
    made = register_target(client, api, db)
    person = made["members"][0]
    auth_actions.login("coordinator")
    form = {"csrf_token": auth_actions.csrf(), "confirm": person["code"]}
    assert client.post(f"/people/{person['code']}/erase", data=form).status_code == 200
    assert_erased(app, person)


def test_purge_command_in_a_subprocess_erases_everything(client, api, db, app, data_dir):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    made = register_target(client, api, db)
    person = made["members"][0]
    age(db, "people", person["id"], 40, "transferred")
    done = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data_dir), "purge", "--days", "30"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 people erased")
    assert_erased(app, person)


def test_retention_inside_serve_erases_everything(client, api, db, app, data_dir):
    """A real `serve` with FIELDREG_RETENTION_DAYS erases at start-up (then hourly)."""
    from tests.conftest import LiveServer

    made = register_target(client, api, db)
    person = made["members"][0]
    age(db, "people", person["id"], 40, "transferred")
    server = LiveServer(data_dir, env={"FIELDREG_RETENTION_DAYS": "30"}).start()
    server.stop()
    assert_erased(app, person)


def test_retention_run_of_the_app_erases_everything(client, api, db, app):
    from fieldreg.views.station import run_retention

    made = register_target(client, api, db)
    person = made["members"][0]
    age(db, "people", person["id"], 40, "transferred")
    app.config["RETENTION_DAYS"] = 30
    assert run_retention(app, now=2e9) == 1
    assert_erased(app, person)


def test_an_erasure_reaches_hq_and_the_other_stations(tmp_path):
    """Erased at its station, the person leaves HQ and a second station at their next sync,
    and a triage the second station recorded late about them does not bring anything back."""
    import httpx

    from fieldreg import create_app, medical, records, syncing
    from fieldreg.db import connect
    from sync import need_to_know, tables
    from tests.synckit import make_site

    make_site(tmp_path / "hq", "HQ2").close()
    hq = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq_db = connect(hq.config["DATABASE"])
    a, b = make_site(tmp_path / "a", "SA2"), make_site(tmp_path / "b", "SB3")
    for site, code in ((a, "SA2"), (b, "SB3")):
        syncing.join(site, syncing.add_station(hq_db, code, code, "http://hq"))

    def sync(site):
        return syncing.run_sync(site, transport=httpx.WSGITransport(app=hq))

    body = household_body(members=[{**TARGET, "sex": "male", "age_years": 30},
                                   {"given_name": "Keepmequx", "sex": "female"}])  # fmt: skip
    made, _ = records.create_household(a, body, "reg")
    person = made["members"][0]
    medical.record_triage(a, person["code"], {"category": "delayed", "note": "NOTEERASE1"}, "d")
    sync(a)
    sync(b)
    paths = {name: site.execute("pragma database_list").fetchone()[2]
             for name, site in (("hq", hq_db), ("b", b))}  # fmt: skip
    needles = needles_of(TARGET)
    assert traces(paths["hq"], needles) and traces(paths["b"], needles), "it travelled"
    # Station B triages the person (they moved), but has not synced when A erases them.
    medical.record_triage(b, person["code"], {"category": "minor", "note": "MOVEERASE1"}, "d")
    subject.erase_person(a, person["code"], "coordinator")
    sync(a)
    assert traces(paths["hq"], needles) == [], "HQ forgets at the next sync"
    sync(b)  # pushes its late triage, pulls the erasure
    sync(a)
    for path in paths.values():
        assert traces(path, needles) == []
    assert traces(a.execute("pragma database_list").fetchone()[2], needles) == []
    assert medical.history(hq_db, person["id"]) == []
    assert tables.canonical_hash(a) == tables.canonical_hash(hq_db)
    # B holds of A's household what it needs to know (issue 13): HQ's view for B.
    assert tables.canonical_hash(b) == tables.canonical_hash(
        hq_db, need_to_know.station_view(hq_db, "SB3")
    )
    kept = {r["given_name"] for r in hq_db.query("select given_name from people")}
    assert "Keepmequx" in kept
    for site in (a, b, hq_db):
        site.close()


def test_a_record_created_and_erased_in_one_received_batch_leaves_no_trace(tmp_path):
    """A bundle written before the erasure and one after, applied together: nothing stays."""
    from fieldreg import medical, records, syncing, wiring
    from fieldreg.db import write
    from sync import apply, changelog
    from tests.synckit import make_site

    wiring.wire()
    a, b = make_site(tmp_path / "a", "SA2"), make_site(tmp_path / "b", "SB3")
    body = household_body(members=[{**TARGET, "sex": "male"}, {"given_name": "Keepmequx"}])
    made, _ = records.create_household(a, body, "reg")
    medical.record_triage(a, made["members"][0]["code"], {"category": "minor",
                                                          "note": "NOTEERASE1"}, "d")  # fmt: skip
    before = changelog.changes_since(a, "SA2", 0, 10**6)  # as a bundle written then holds them
    subject.erase_person(a, made["members"][0]["code"], "coordinator")
    after = changelog.changes_since(a, "SA2", len(before), 10**6)
    with write(b):
        result = apply.apply_changes(b, before + after, "SB3")
        syncing.after_apply(b, result)
    assert traces(b.execute("pragma database_list").fetchone()[2], needles_of(TARGET)) == []
    a.close()
    b.close()
