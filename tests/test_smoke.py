"""A first end-to-end pass: register through the API and find the household again."""

from tests.conftest import household_body


def test_register_and_get(client, api):
    created = client.post("/api/v1/households", json=household_body(), headers=api)
    assert created.status_code == 201
    code = created.json["code"]
    got = client.get(f"/api/v1/households/{code}", headers=api)
    assert got.status_code == 200
    assert [m["given_name"] for m in got.json["members"]] == ["محمد", "Zainab", "Omar"]
