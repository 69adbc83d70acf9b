"""One error shape with a stable machine-readable code (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldreg.errors import CODES, Conflict, DomainError, InvalidCode
from tests.conftest import household_body

ROOT = Path(__file__).resolve().parent.parent


def test_every_code_is_documented_and_every_documented_code_exists():
    documented = re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs/errors.md").read_text(), re.M)
    assert documented == list(CODES)


def test_every_code_named_in_the_source_exists():
    source = "\n".join(p.read_text() for p in (ROOT / "fieldreg").rglob("*.py"))
    named = set(re.findall(r'code="([a-z_]+)"', source))
    assert {"locked", "busy", "disk_full", "batch_refused"} <= named <= set(CODES)


def test_an_unknown_code_cannot_be_raised():
    with pytest.raises(ValueError):
        DomainError("x", code="made_up")
    assert Conflict("x").code == "conflict" and DomainError("x", {"a": ["b"]}).code == (
        "invalid_fields"
    )
    assert InvalidCode("x", {"code": ["typo"]}).code == "invalid_code"


def test_errors_carry_codes_over_http(client, api, auth_actions):
    assert client.get("/api/v1/households/K7M-2A4FX9").json["code"] in (
        "not_found",
        "login_required",
    )
    assert client.get("/api/v1/stats").json["code"] == "login_required"
    bad = client.post(
        "/api/v1/households", data="{", headers={**api, "Content-Type": "application/json"}
    )
    assert (bad.status_code, bad.json["code"]) == (400, "invalid_json")
    invalid = client.post("/api/v1/households", json={"members": [{"age_years": 300}]}, headers=api)
    assert (invalid.status_code, invalid.json["code"]) == (422, "invalid_fields")
    assert invalid.json["fields"]
    body = household_body(client_id="0191d6a4-7b9e-7cc0-8a52-0d2b6f4e9c11")
    assert client.post("/api/v1/households", json=body, headers=api).status_code == 201
    other = {**body, "phone": "0999111222"}
    reused = client.post("/api/v1/households", json=other, headers=api)
    assert (reused.status_code, reused.json["code"]) == (409, "client_id_reused")
    code = client.post("/api/v1/households", json=body, headers=api).json["members"][0]["code"]
    move = {"kind": "departed"}
    assert (
        client.post(f"/api/v1/people/{code}/movements", json=move, headers=api).status_code == 201
    )
    again = client.post(f"/api/v1/people/{code}/movements", json=move, headers=api)
    assert (again.status_code, again.json["code"]) == (409, "already_left")
    registrar = auth_actions.token("registrar")
    denied = client.get("/api/v1/audit", headers=registrar)
    assert (denied.status_code, denied.json["code"]) == (403, "forbidden")


def test_an_expired_form_says_csrf_expired(client, auth_actions):
    auth_actions.login("registrar")
    answer = client.post(
        "/api/v1/households", json=household_body(), headers={"X-CSRF-Token": "stale"}
    )
    assert (answer.status_code, answer.json["code"]) == (400, "csrf_expired")


def test_the_outbox_reads_the_code_not_the_english_words():
    outbox = (ROOT / "static/outbox.js").read_text()
    assert 'err.code === "csrf_expired"' in outbox
    assert "/CSRF/" not in outbox


def test_hq_refusals_on_pages_are_in_the_page_language(tmp_path):
    """HQ's first day: an Arabic page refusing a pseudonymised PFIF export, a pair of unknown
    people or one person twice said so in English (the domain's words, not the page's)."""
    from tests.conftest import AuthActions
    from tests.synckit import make_hq

    app, hq = make_hq(tmp_path / "hq")
    client = app.test_client()
    actions = AuthActions(client, hq)
    actions.login("analyst")
    client.set_cookie("lang", "ar")
    answers = [
        client.post("/exports", data={"format": "pfif", "kind": "people", "partner": "X",
                                          "csrf_token": actions.csrf()}),
        client.get("/dedup/pair?a=x&b=y"),
        client.post("/dedup/decide", data={"a": "x", "b": "x", "verdict": "confirm",
                                               "csrf_token": actions.csrf()}),
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [409, 404, 400]
    for answer in answers:
        message = re.search(r'<p class="error"[^>]*>([^<]*)</p>', answer.get_data(as_text=True))
        assert re.search("[\u0600-\u06ff]", message.group(1)), message.group(1)
