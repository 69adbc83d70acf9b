"""The audit log: what is recorded, read through the API and the page, append-only, no leaks."""

from __future__ import annotations

import re

import httpx

from fieldreg import auth
from tests.conftest import PIN, ROOT, csrf_of, household_body


def test_views_changes_logins_and_user_changes_are_recorded(client, auth_actions, db):
    coordinator = auth_actions.token("coordinator")
    hh = client.post("/api/v1/households", json=household_body(), headers=coordinator).get_json()
    client.get(f"/api/v1/households/{hh['code']}", headers=coordinator)
    auth_actions.user("registrar", "rami")
    client.post("/login", data={"username": "rami", "pin": "9999", "csrf_token": csrf_of(client)})
    auth_actions.login("registrar", "rami")
    client.get("/search?q=Zainab")
    entries = client.get("/api/v1/audit", headers=coordinator).get_json()["entries"]
    actions = {e["action"] for e in entries}
    assert {"create", "view", "login", "login_failed", "user_add", "token_create"} <= actions
    searched = next(e for e in entries if e["action"] == "search")
    assert searched["actor"] == "rami" and "Zainab" not in str(searched)
    view = next(e for e in entries if e["action"] == "view")
    assert view["actor"] == "token:t-coordinator" and view["record_id"] == hh["id"]
    assert view["address"] == "127.0.0.1" and view["at"]


def test_audit_filters(client, auth_actions):
    headers = auth_actions.token("admin")
    hh = client.post("/api/v1/households", json=household_body(), headers=headers).get_json()
    client.get(f"/api/v1/households/{hh['code']}", headers=headers)
    only = client.get("/api/v1/audit", query_string={"action": "view"}, headers=headers)
    assert {e["action"] for e in only.get_json()["entries"]} == {"view"}
    by_record = client.get("/api/v1/audit", query_string={"record_id": hh["id"]}, headers=headers)
    assert {e["action"] for e in by_record.get_json()["entries"]} == {"create", "view"}
    future = client.get(
        "/api/v1/audit", query_string={"since": "2999-01-01T00:00:00"}, headers=headers
    )
    assert future.get_json()["entries"] == []
    past = client.get(
        "/api/v1/audit", query_string={"until": "2000-01-01T00:00:00"}, headers=headers
    )
    assert past.get_json()["entries"] == []
    bad = client.get("/api/v1/audit", query_string={"since": "yesterday"}, headers=headers)
    assert bad.status_code == 422


def test_audit_is_for_coordinators_only(client, auth_actions):
    for role, status in (
        ("registrar", 403),
        ("medic", 403),
        ("analyst", 403),
        ("coordinator", 200),
        ("admin", 200),
    ):
        assert client.get("/api/v1/audit", headers=auth_actions.token(role)).status_code == status


def test_audit_page_filters(client, auth_actions):
    auth_actions.login("coordinator")
    page = client.get("/admin/audit?action=login").get_data(as_text=True)
    assert "login" in page and "token_create" not in page
    assert client.get("/admin/audit?since=notadate").status_code == 400


def test_no_code_path_updates_or_deletes_audit_rows():
    pattern = re.compile(r"(update\s+audit\b|delete\s+from\s+audit\b|table\(\"audit\"\))", re.I)
    offenders = [str(p) for p in (ROOT / "fieldreg").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_server_logs_hold_no_names_queries_or_bodies(data_dir, db):
    from tests.conftest import LiveServer

    auth.add_user(db, "lina", "coordinator", PIN)
    token = auth.create_token(db, "live", "admin")
    server = LiveServer(data_dir).start()
    try:
        headers = {"Authorization": "Bearer " + token}
        body = household_body()
        body["members"][0]["given_name"] = "Quxbertina"
        httpx.post(server.url + "/api/v1/households", json=body, headers=headers)
        httpx.get(server.url + "/api/v1/search?q=Quxbertina", headers=headers)
        httpx.get(server.url + "/search?q=Quxbertina")
        httpx.get(server.url + "/api/v1/people/NOT-A-CODE", headers=headers)
    finally:
        server.stop()
        logged = server.proc.stderr.read().decode()
    assert "Quxbertina" not in logged and "q=" not in logged


def test_reads_are_audited_and_changes_stay_fully_durable(client, api, db, app):
    """A read's audit entry is written without its own fsync; writes keep synchronous=FULL."""
    from fieldreg.db import get_db

    hh = client.post("/api/v1/households", json=household_body(), headers=api).json
    client.get(f"/api/v1/people/{hh['members'][0]['code']}", headers=api)
    views = list(db.query("select record_id from audit where action = 'view'"))
    assert [v["record_id"] for v in views] == [hh["members"][0]["id"]]
    with app.test_request_context():
        conn = get_db()
        from fieldreg import audit

        audit.log_read(conn, "t", "people", hh["members"][0]["id"])
        assert conn.execute("pragma synchronous").fetchone()[0] == 2  # back to FULL


def test_the_address_is_the_connections_and_a_device_id_only_a_label(client, auth_actions):
    """Issue 13: a client-sent device id never stands in for the connection's address."""
    coordinator = auth_actions.token("coordinator")
    registrar = auth_actions.token("registrar")
    spoof = {**registrar, "X-Device-Id": "10.9.9.9"}
    made = client.post(
        "/api/v1/households",
        json=household_body(),
        headers=spoof,
        environ_base={"REMOTE_ADDR": "192.168.8.23"},
    )
    assert made.status_code == 201
    created = client.get(
        "/api/v1/audit?action=create&tbl=households", headers=coordinator
    ).get_json()["entries"][0]
    assert created["actor"] == "token:t-registrar"
    assert (created["address"], created["device"]) == ("192.168.8.23", "10.9.9.9")
    client.get("/api/v1/stats", headers=registrar, environ_base={"REMOTE_ADDR": "192.168.8.24"})
    by_address = client.get("/api/v1/audit?address=192.168.8.23", headers=coordinator)
    assert {e["address"] for e in by_address.get_json()["entries"]} == {"192.168.8.23"}
    none_by_label = client.get("/api/v1/audit?address=10.9.9.9", headers=coordinator)
    assert none_by_label.get_json()["entries"] == []


def test_the_audit_page_shows_the_address(client, auth_actions):
    auth_actions.login("coordinator")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<th>Address</th>" in page and "127.0.0.1" in page
