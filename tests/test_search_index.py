"""The search index keeps no trace of keys it no longer holds (issue 13)."""

from __future__ import annotations

from fieldreg import records, search_index, wristbands
from tests.conftest import household_body


def index_bytes(db) -> bytes:
    """Return every byte of the full-text index's storage (its shadow tables)."""
    rows = db.execute("select block from people_search_data").fetchall()
    return b"".join(row[0] or b"" for row in rows if isinstance(row[0], bytes))


def test_a_corrected_name_leaves_no_key_behind(db, client, api):
    body = household_body()
    body["members"][0]["family_name"] = "Quorvantik"
    made = client.post("/api/v1/households", json=body, headers=api).json
    code = made["members"][0]["code"]
    old = search_index._keys({"family_name": "Quorvantik"})
    assert all(key.lower().encode() in index_bytes(db).lower() for key in old)
    records.update_person(db, code, {"family_name": "Halabi"}, "reg")
    assert not [key for key in old if key.lower().encode() in index_bytes(db).lower()]
    assert search_index.search(db, "Halabi") and not search_index.search(db, "Quorvantik")


def test_a_change_that_keeps_the_keys_does_not_rewrite_the_index(db, client, api):
    made = client.post("/api/v1/households", json=household_body(), headers=api).json
    person = next(db.query("select * from people where id = ?", [made["members"][0]["id"]]))
    before = index_bytes(db)
    search_index.index_person(db, {**person, "status": "departed", "age_years": 42})
    assert index_bytes(db) == before
    search_index.index_person(db, {**person, "given_name": "Omar"})
    assert index_bytes(db) != before


def test_a_child_registered_with_a_birth_date_shows_an_age_in_search(db, client, api, auth_actions):
    """Omar has a birth date and no typed age: search said no age at all (issue 14)."""
    made = client.post("/api/v1/households", json=household_body(), headers=api).json
    omar = made["members"][2]["code"]
    expected = wristbands.age({"date_of_birth": "2016-05-04"})
    hits = {h["code"]: h for h in search_index.search(db, "Omar Halabi")}
    assert hits[omar]["age_years"] == expected >= 10
    page = auth_actions.login().get("/search?q=Omar+Halabi").get_data(as_text=True)
    assert f"{expected} years" in page
    db.execute("update people set date_of_birth = 'not a date' where code = ?", [omar])
    assert {h["code"]: h for h in search_index.search(db, omar)}[omar]["age_years"] is None
