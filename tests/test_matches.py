"""The duplicate warning while typing: people already registered who may be the same."""

from tests.conftest import household_body


def test_matches_across_scripts_with_reasons(client, api):
    hh = client.post("/api/v1/households", json=household_body(), headers=api).json
    client.post(
        "/api/v1/households",
        json=household_body(
            members=[
                {"given_name": "Mohammed", "family_name": "Haddad", "sex": "male", "age_years": 12}
            ]
        ),
        headers=api,
    )
    found = client.get(
        "/api/v1/matches",
        query_string={
            "given_name": "Mohamad",
            "father_name": "Ahmed",
            "family_name": "Al-Halabi",
            "age_years": 40,
        },
        headers=api,
    ).json["results"]
    assert found[0]["code"] == hh["members"][0]["code"]
    assert {"given_name", "family_name", "father_name", "age_years"} <= set(found[0]["agreed"])
    assert all(r["code"] != hh["members"][1]["code"] for r in found)


def test_no_match_for_a_different_person(client, api):
    client.post("/api/v1/households", json=household_body(), headers=api)
    found = client.get(
        "/api/v1/matches",
        query_string={
            "given_name": "Mahmoud",
            "father_name": "Saleh",
            "family_name": "Darwish",
            "age_years": 20,
        },
        headers=api,
    ).json["results"]
    assert found == []


def test_matches_bad_input_and_role(client, api, auth_actions):
    bad = client.get("/api/v1/matches", query_string={"age_years": "old"}, headers=api)
    assert bad.status_code == 422 and "age_years" in bad.json["fields"]
    medic = auth_actions.token("medic")
    assert client.get("/api/v1/matches?given_name=x", headers=medic).status_code == 403


def test_matches_are_few_and_relevant_on_a_busy_station(client, api, db):
    from fieldreg import records
    from fieldreg.db import write
    from fieldreg.schemas import records as schemas

    schema = schemas.HouseholdSchema()
    with write(db):
        for i in range(400):
            body = household_body()
            body["members"][0]["given_name"] = ["Mohammed", "Ahmad", "Ali", "Omar"][i % 4]
            records.create_household(db, schema.load(body), "test")
    found = client.get(
        "/api/v1/matches",
        query_string={"given_name": "Mohammed", "family_name": "Halabi"},
        headers=api,
    ).json["results"]
    assert 1 <= len(found) <= 5
    assert all(r["name"].startswith("Mohammed") for r in found)


def test_matches_a_levantine_spelling_of_an_arabic_name(client, api):
    """Issue 15: typing Osman Monzer Halabi warns about عثمان منذر الحلبي."""
    member = {"given_name": "عثمان", "father_name": "منذر", "family_name": "الحلبي",
              "sex": "male", "age_years": 35}  # fmt: skip
    hh = client.post("/api/v1/households", json=household_body(members=[member]), headers=api).json
    found = client.get(
        "/api/v1/matches",
        query_string={
            "given_name": "Osman",
            "father_name": "Monzer",
            "family_name": "Halabi",
            "age_years": 35,
        },  # fmt: skip
        headers=api,
    ).json["results"]
    assert found and found[0]["code"] == hh["members"][0]["code"]
    assert {"given_name", "father_name", "family_name"} <= set(found[0]["agreed"])
