"""The JSON API: register, idempotency, corrections, search, tags, stats, and bad input."""

import uuid

import pytest

from fieldreg import codes
from tests.conftest import household_body


def count(db, table):
    return next(db.query(f"select count(*) n from {table}"))["n"]


def create(client, api, **overrides):
    response = client.post("/api/v1/households", json=household_body(**overrides), headers=api)
    assert response.status_code == 201, response.json
    return response.json


def test_create_answers_codes_for_household_and_members(client, api, db):
    hh = create(client, api)
    assert codes.parse(hh["code"]) == hh["code"] and hh["code"].startswith("T3S-")
    assert len(hh["members"]) == 3
    member_codes = [m["code"] for m in hh["members"]]
    assert len(set(member_codes + [hh["code"]])) == 4
    assert all(uuid.UUID(m["id"]).version == 7 for m in hh["members"])
    assert uuid.UUID(hh["id"]).version == 7
    assert hh["members"][2]["date_of_birth"] == "2016-05-04"
    assert hh["arrival"]["transport"] == "bus" and hh["arrival"]["at"]
    # every write is in the change log, in the same transaction
    logged = {(r["tbl"], r["record_id"]) for r in db.query("select tbl, record_id from changes")}
    assert ("households", hh["id"]) in logged
    assert all(("people", m["id"]) in logged for m in hh["members"])


def test_registration_answer_is_what_was_stored(client, api):
    """The answer to a registration is built from the rows written: it must read back equal.

    The answer skips the response schema's pass (issue 20), the read does not: equal answers
    also say the registration's view has the schema's fields, no more, dates written alike.
    """
    body = household_body(vulnerabilities=["female_headed_household"], notes="Came at night")
    body.update(client_id=str(uuid.uuid4()), consent_share=True)
    body["arrival"]["at"] = "2026-11-20T03:15:00+02:00"
    body["members"][1].update(vulnerabilities=["pregnant_lactating"], age_estimated=True)
    answer = client.post("/api/v1/households", json=body, headers=api).json
    stored = client.get(f"/api/v1/households/{answer['code']}", headers=api).json
    for member in stored["members"]:
        assert member.pop("medical_flag") is None  # only the read shows triage
    assert answer == stored
    added = client.post(
        f"/api/v1/households/{answer['code']}/members",
        json={"given_name": "Huda", "sex": "female", "age_years": 3},
        headers=api,
    ).json
    person = client.get(f"/api/v1/people/{added['code']}", headers=api).json
    assert person.pop("medical_flag") is None
    assert added == person
    assert added["household_code"] == answer["code"]


def test_same_client_id_returns_the_first_household(client, api, db):
    client_id = str(uuid.uuid4())
    first = create(client, api, client_id=client_id)
    again = client.post("/api/v1/households", json=household_body(client_id=client_id), headers=api)
    assert again.status_code == 200
    assert again.json["code"] == first["code"]
    assert count(db, "households") == 1 and count(db, "people") == 3


def test_same_client_id_with_other_content_is_a_conflict(client, api, db):
    client_id = str(uuid.uuid4())
    create(client, api, client_id=client_id)
    other = client.post(
        "/api/v1/households",
        json=household_body(client_id=client_id, phone="0944 000 111"),
        headers=api,
    )
    assert other.status_code == 409
    assert "client_id" in other.json["fields"]
    assert count(db, "households") == 1


def test_get_household_and_person(client, api):
    hh = create(client, api)
    got = client.get(f"/api/v1/households/{hh['code'].lower().replace('-', '')}", headers=api)
    assert got.status_code == 200 and got.json["id"] == hh["id"]
    person = client.get(f"/api/v1/people/{hh['members'][0]['code']}", headers=api)
    assert person.json["family_name"] == "الحلبي"
    assert person.json["household_code"] == hh["code"]


def test_update_household_and_person_and_add_member(client, api, db):
    hh = create(client, api)
    patched = client.patch(
        f"/api/v1/households/{hh['code']}",
        json={"destination": {"kind": "host_family", "name": "Uncle"}},
        headers=api,
    )
    assert patched.status_code == 200
    assert patched.json["destination"]["kind"] == "host_family"
    assert patched.json["phone"] == "0933 123 456"  # untouched
    code = hh["members"][1]["code"]
    fixed = client.patch(
        f"/api/v1/people/{code}", json={"age_years": 39, "age_estimated": True}, headers=api
    )
    assert fixed.json["age_years"] == 39 and fixed.json["age_estimated"] is True
    added = client.post(
        f"/api/v1/households/{hh['code']}/members",
        json={"given_name": "Lina", "sex": "female", "age_years": 2},
        headers=api,
    )
    assert added.status_code == 201
    assert len(client.get(f"/api/v1/households/{hh['code']}", headers=api).json["members"]) == 4
    assert count(db, "changes") == 4 + 1 + 1 + 1


@pytest.mark.parametrize(
    "query",
    ["محمد الحلبي", "محمّد الحلبى", "Mohamad Halabi", "Muhammad Al-Halabi", "mohammed halabi"],
)
def test_search_finds_a_name_across_scripts_and_spellings(client, api, query):
    hh = create(client, api)
    create(client, api, members=[{"given_name": "Mahmoud", "family_name": "Haddad", "sex": "male"}])
    found = client.get("/api/v1/search", query_string={"q": query}, headers=api).json["results"]
    assert found and found[0]["code"] == hh["members"][0]["code"]


def test_search_by_code_and_phone(client, api):
    hh = create(client, api)
    by_code = client.get("/api/v1/search", query_string={"q": hh["code"]}, headers=api).json
    assert {r["household_code"] for r in by_code["results"]} == {hh["code"]}
    by_phone = client.get("/api/v1/search", query_string={"q": "+963 933 123 456"}, headers=api)
    assert len(by_phone.json["results"]) == 3
    typo = hh["code"][:-1] + ("2" if hh["code"][-1] != "2" else "3")
    assert client.get("/api/v1/search", query_string={"q": typo}, headers=api).json["results"] == []


def test_tags_hold_the_code_only(client, api):
    hh = create(client, api)
    svg = client.get(f"/api/v1/tags/{hh['code']}.svg", headers=api)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "Halabi" not in svg.get_data(as_text=True) and "الحلبي" not in svg.get_data(as_text=True)
    png = client.get(f"/api/v1/tags/{hh['members'][0]['code']}.png", headers=api)
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/api/v1/tags/T3S-ZZZZZ2.svg", headers=api).status_code in (400, 404)
    unissued = codes.make_code("T3S", 9999)
    assert client.get(f"/api/v1/tags/{unissued}.svg", headers=api).status_code == 404


def test_stats_count_people_and_households(client, api):
    create(client, api)
    create(client, api, members=[{"given_name": "Huda", "sex": "female", "age_years": 70}])
    stats = client.get("/api/v1/stats", headers=api).json
    assert stats["households"] == 2 and stats["people"] == 4
    assert stats["by_sex"] == {"female": 2, "male": 2}
    assert stats["by_age_group"]["60+"] == {"female": 1}
    assert stats["by_transport"]["bus"] == 2


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/households" in spec["paths"]
    post = spec["paths"]["/api/v1/households"]["post"]
    household = {"$ref": "#/components/schemas/Household"}
    assert post["requestBody"]["content"]["application/json"]["schema"] == household
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == household
    members = spec["components"]["schemas"]["Household"]["properties"]["members"]
    assert members["items"] == {"$ref": "#/components/schemas/Person"}
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert set(error) == {"error", "fields", "code"}


BAD_BODIES = [
    ({"members": []}, "members"),
    ({"members": [{"sex": "male"}]}, "members"),
    ({"members": [{"given_name": "A", "sex": "robot"}]}, "members"),
    ({"members": [{"given_name": "A", "age_years": -3}]}, "members"),
    ({"members": [{"given_name": "A", "age_years": 400}]}, "members"),
    ({"members": [{"given_name": "A", "age_years": "forty"}]}, "members"),
    ({"members": [{"given_name": "A", "date_of_birth": "2999-01-01"}]}, "members"),
    ({"members": [{"given_name": "x" * 100_000}]}, "members"),
    ({"members": [{"given_name": "A"}], "arrival": {"transport": "rocket"}}, "arrival"),
    ({"members": [{"given_name": "A"}], "phone": "call me"}, "phone"),
    ({"members": [{"given_name": "A"}], "client_id": "not-a-uuid"}, "client_id"),
    ({"members": [{"given_name": "A"}], "surprise": 1}, "surprise"),
    ({"members": "everyone"}, "members"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES)
def test_bad_bodies_are_refused_naming_the_field(client, api, db, body, field):
    response = client.post("/api/v1/households", json=body, headers=api)
    assert 400 <= response.status_code < 500
    assert set(response.json) == {"error", "fields", "code"}
    assert field in response.json["fields"]
    assert count(db, "households") == 0 and count(db, "people") == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"null", b'"text"'])
def test_malformed_json_is_a_4xx(client, api, db, raw):
    response = client.post(
        "/api/v1/households", data=raw, content_type="application/json", headers=api
    )
    assert 400 <= response.status_code < 500 and "error" in response.json
    assert count(db, "households") == 0


def test_oversize_request_is_413(client, api, db):
    body = b'{"members": [{"given_name": "' + b"x" * 3_000_000 + b'"}]}'
    response = client.post(
        "/api/v1/households", data=body, content_type="application/json", headers=api
    )
    assert response.status_code == 413 and "error" in response.json
    assert count(db, "households") == 0


def test_unknown_and_mistyped_codes(client, api):
    hh = create(client, api)
    typo = hh["code"][:-2] + hh["code"][-1] + hh["code"][-2]
    if typo != hh["code"]:
        bad = client.get(f"/api/v1/households/{typo}", headers=api)
        assert bad.status_code == 400 and "valid" in bad.json["error"]
    unknown = codes.make_code("T3S", 7777)
    assert client.get(f"/api/v1/households/{unknown}", headers=api).status_code == 404
    assert client.get(f"/api/v1/people/{unknown}", headers=api).status_code == 404
    assert client.get("/api/v1/people/<script>", headers=api).status_code == 400


def test_api_needs_a_token_and_the_right_role(client, auth_actions):
    assert client.post("/api/v1/households", json=household_body()).status_code == 401
    wrong = client.get("/api/v1/stats", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and set(wrong.json) == {"error", "fields", "code"}
    medic = auth_actions.token("medic")
    assert (
        client.post("/api/v1/households", json=household_body(), headers=medic).status_code == 403
    )


def test_preprinted_tag_binds_at_registration(client, api, db):
    from fieldreg import tags
    from fieldreg.db import write

    with write(db):
        free = tags.issue(db, "free", 2)
    body = household_body(tag_code=free[0].lower())
    body["members"][0]["tag_code"] = free[1]
    hh = client.post("/api/v1/households", json=body, headers=api).json
    assert hh["code"] == free[0] and hh["members"][0]["code"] == free[1]
    again = client.post("/api/v1/households", json=household_body(tag_code=free[0]), headers=api)
    assert again.status_code == 409


def test_a_household_keeps_its_member_cap_when_members_are_added(client, api, auth_actions):
    """issue 13: the cap at registration (40) holds on every path, adding a member included."""
    from fieldreg.schemas.records import MAX_MEMBERS

    member = {"given_name": "Sami", "sex": "male", "age_years": 9, "relationship": "child"}
    body = household_body(members=[member] * (MAX_MEMBERS - 1))
    hh = client.post("/api/v1/households", json=body, headers=api).json
    url = f"/api/v1/households/{hh['code']}/members"
    assert client.post(url, json=member, headers=api).status_code == 201  # the 40th
    full = client.post(url, json=member, headers=api)
    assert full.status_code == 409 and full.json["code"] == "household_full"
    auth_actions.login("registrar")
    form = {**member, "csrf_token": auth_actions.csrf()}
    page = client.post(f"/households/{hh['code']}/members/new", data=form)
    assert page.status_code == 400 and "at most 40 members." in page.get_data(as_text=True)
    people = client.get(f"/api/v1/households/{hh['code']}", headers=api).json["members"]
    assert len(people) == MAX_MEMBERS
    assert client.delete(f"/api/v1/people/{people[-1]['code']}", headers=api).status_code == 200
    assert client.post(url, json=member, headers=api).status_code == 201, "room again"
