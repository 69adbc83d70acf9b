"""The search index: no trace of keys it no longer holds (issue 13); an Arabic name found by its
Levantine spelling, Osman for عثمان (issue 15)."""

from __future__ import annotations

import pytest

from fieldreg import records, search_index, wristbands
from fieldreg.db import write
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


def register(client, api, given: str, family: str) -> dict:
    """Register a household of one and return that person's code."""
    member = {"given_name": given, "family_name": family, "sex": "male", "age_years": 30}
    response = client.post("/api/v1/households", json=household_body(members=[member]), headers=api)
    assert response.status_code == 201, response.json
    return response.json["members"][0]["code"]


def found(client, api, query: str) -> list[str]:
    """Return the codes a search finds, best first."""
    answer = client.get("/api/v1/search", query_string={"q": query}, headers=api)
    return [hit["code"] for hit in answer.json["results"]]


@pytest.mark.parametrize(
    ("arabic", "typed"),
    [("عثمان", "Osman"), ("هيثم", "Haysam"), ("منذر", "Monzer"), ("معاذ", "Moaz"),
     ("عثمان الحلبي", "Usman Halabi")],
)  # fmt: skip
def test_typing_a_levantine_spelling_finds_the_arabic_name(client, api, arabic, typed):
    """Issue 15: "Osman" finds عثمان, registered in Arabic."""
    given, _, family = arabic.partition(" ")
    code = register(client, api, given, family or "الشامي")
    register(client, api, "محمد", "الحلبي")
    assert found(client, api, typed)[:1] == [code]


def test_typing_the_arabic_name_finds_the_levantine_spelling(client, api):
    """Issue 15: عثمان finds Osman, registered in Latin letters, as the same name."""
    code = register(client, api, "Osman", "Chami")
    register(client, api, "Mahmoud", "Chami")
    answer = client.get("/api/v1/search", query_string={"q": "عثمان الشامي"}, headers=api).json
    assert [(hit["code"], hit["score"]) for hit in answer["results"]][:1] == [(code, 1.0)]


def test_arabic_names_stay_apart_in_arabic(client, api):
    """A reading is for Latin letters: ثامر ranks above سامر when typed in Arabic."""
    samer = register(client, api, "سامر", "الحلبي")
    thamer = register(client, api, "ثامر", "الحلبي")
    results = client.get("/api/v1/search", query_string={"q": "ثامر الحلبي"}, headers=api).json
    scores = {hit["code"]: hit["score"] for hit in results["results"]}
    assert scores[thamer] == 1.0 and scores.get(samer, 0) < 0.9


def test_match_expressions_ask_for_every_reading():
    tokens = [("THMN", "SMN", "TMN"), ("HLB",)]
    assert search_index.match_all(tokens) == '("THMN"* OR "SMN"* OR "TMN"*) AND "HLB"*'
    assert search_index.match_any(tokens) == '("THMN"* OR "SMN"* OR "TMN"*) OR "HLB"*'


def test_people_indexed_before_readings_are_found_after_a_reindex(client, api, db):
    """Issue 15: a station's older rows get their readings' keys from reindex_readings."""
    code = register(client, api, "عثمان", "الشامي")
    register(client, api, "محمد", "الحلبي")
    with write(db):
        db.execute("update people_search set keys = 'THMN SHM' where keys like '%THMN%'")
    assert found(client, api, "Osman") == []
    with write(db):
        assert search_index.reindex_readings(db) == 1
    assert found(client, api, "Osman") == [code]


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
