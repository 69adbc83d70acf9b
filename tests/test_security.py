"""Headers, hardened login and sessions, and attacks: injection, traversal, oversize, CSRF."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from fieldreg import auth
from fieldreg.access import SESSION_COOKIE
from tests.conftest import PIN, csrf_of, household_body

XSS = '<script>alert("x")</script>'
SQLI = "Robert'); DROP TABLE people;--"
ATTR = '" onmouseover="alert(1)'


def test_pages_and_api_carry_the_security_headers(auth_actions, client, api):
    auth_actions.login("registrar")
    for response in (
        client.get("/search"),
        client.get("/api/v1/stats", headers=api),
        client.get("/login"),
    ):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert static.headers.get("Cache-Control") != "no-store"


def test_no_inline_script_style_or_handler_in_any_template():
    from tests.conftest import ROOT

    pattern = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|<style|\son[a-z]+=", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "fieldreg" / "templates").rglob("*.html")
        if pattern.search(path.read_text())
    ]
    assert offenders == []


def test_session_cookie_is_httponly_strict_and_secure_over_https(app, auth_actions):
    auth_actions.user("registrar")
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        csrf = csrf_of(client)
        response = client.post(
            "/login", base_url=base, data={"username": "registrar", "pin": PIN, "csrf_token": csrf}
        )
        cookie = next(
            c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert ("Secure" in cookie) is secure


def test_login_gives_a_new_session_id_each_time(app, auth_actions):
    auth_actions.user("registrar")
    seen = set()
    for _ in range(2):
        client = app.test_client()
        client.post(
            "/login", data={"username": "registrar", "pin": PIN, "csrf_token": csrf_of(client)}
        )
        seen.add(client.get_cookie(SESSION_COOKIE).value)
    assert len(seen) == 2


def test_tampered_and_expired_session_cookies_are_refused(app, client, auth_actions, db):
    auth_actions.login("registrar")
    assert client.get("/search").status_code == 200
    real = client.get_cookie(SESSION_COOKIE).value
    client.set_cookie(SESSION_COOKIE, real[:-2] + ("AA" if real[-2:] != "AA" else "BB"))
    assert client.get("/search").headers["Location"].startswith("/login")
    client.set_cookie(SESSION_COOKIE, real)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=721)).isoformat(timespec="seconds")
    db.execute("update sessions set last_seen = ?", [old])
    assert client.get("/search").headers["Location"].startswith("/login")
    assert db.table("sessions").count == 0


def test_logout_really_ends_the_session(client, auth_actions, db):
    auth_actions.login("registrar")
    real = client.get_cookie(SESSION_COOKIE).value
    client.post("/logout", data={"csrf_token": auth_actions.csrf()})
    last = list(db.query("select actor, action from audit order by id desc limit 1"))
    assert last == [{"actor": "registrar", "action": "logout"}]
    client.set_cookie(SESSION_COOKIE, real)
    assert client.get("/search").headers["Location"].startswith("/login")


def test_posts_without_csrf_token_are_refused(client, auth_actions):
    auth_actions.login("coordinator")
    for path in ("/register", "/admin/users", "/logout", "/lock", "/tags/sheet"):
        response = client.post(path, data={"username": "x"})
        assert response.status_code == 400, path
    assert client.post("/register", data={"csrf_token": "forged"}).status_code == 400


def login(client, name: str, pin: str, address: str = "10.0.0.7"):
    return client.post(
        "/login",
        data={"username": name, "pin": pin, "csrf_token": csrf_of(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_brute_force_on_one_user_locks_it_until_a_coordinator_unlocks(
    app, client, auth_actions, db
):
    auth_actions.user("registrar", "rana")
    for _ in range(auth.MAX_FAILURES):
        assert login(client, "rana", "0000").status_code == 401
    assert login(client, "rana", PIN, "10.0.0.8").status_code == 401  # locked, even the right PIN
    user_id = next(db.query("select id from users where username = 'rana'"))["id"]
    coordinator = app.test_client()
    AuthLogin = type(auth_actions)
    AuthLogin(coordinator, db).login("coordinator")
    page = coordinator.get("/admin/users").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    coordinator.post(f"/admin/users/{user_id}/unlock", data={"csrf_token": csrf})
    assert login(client, "rana", PIN, "10.0.0.8").status_code == 302
    actions = [r["action"] for r in db.query("select action from audit order by id")]
    assert actions.count("login_failed") >= auth.MAX_FAILURES and "user_unlock" in actions


def test_guessing_across_users_from_one_address_waits_longer_each_time(
    app, client, db, auth_actions
):
    auth_actions.user("registrar")
    app.config["LOGIN_ADDRESS_FAILURES"] = 3
    for name in ("a1", "a2", "a3"):
        assert login(client, name, "1111", "10.9.9.9").status_code == 401
    blocked = login(client, "a4", "1111", "10.9.9.9")
    assert blocked.status_code == 429
    assert login(client, "a4", "1111", "10.1.1.1").status_code == 401  # another device is free
    first = next(db.query("select blocked_until from login_attempts where address='10.9.9.9'"))
    db.execute("update login_attempts set blocked_until = null where address = '10.9.9.9'")
    login(client, "a5", "1111", "10.9.9.9")
    second = next(db.query("select blocked_until from login_attempts where address='10.9.9.9'"))
    assert second["blocked_until"] > first["blocked_until"]


def hostile_household() -> dict:
    body = household_body(notes=XSS + SQLI, phone="0933 123 456")
    body["members"][0].update(
        given_name=XSS,
        father_name=SQLI,
        mother_name=ATTR,
        family_name="<img src=x onerror=alert(1)>",
    )
    body["arrival"]["vehicle_ref"] = XSS
    body["origin"] = {"district": SQLI, "neighbourhood": ATTR}
    body["destination"] = {"kind": "camp", "name": XSS, "place": "../../etc/passwd"}
    return body


def test_injection_in_every_text_field_is_stored_as_is_and_shown_escaped(
    client, api, auth_actions, db
):
    created = client.post("/api/v1/households", json=hostile_household(), headers=api)
    assert created.status_code == 201
    hh = created.get_json()
    assert hh["members"][0]["given_name"] == XSS and hh["members"][0]["father_name"] == SQLI
    assert db.table("people").count == 3  # no table was dropped
    auth_actions.login("coordinator")
    person = hh["members"][0]["code"]
    pages = [
        f"/households/{hh['code']}",
        f"/people/{person}",
        f"/people/{person}/held",
        f"/people/{person}/edit",
        f"/households/{hh['code']}/edit",
        "/search?q=" + XSS,
        f"/households/{hh['code']}/card",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert 'onmouseover="alert' not in html, path
    assert "&lt;script&gt;" in client.get(f"/people/{person}").get_data(as_text=True)


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "a OR", "' OR 1=1 --", "\x00", "%", 'محمد"*'])
def test_search_survives_hostile_queries(client, api, query):
    """Hostile queries answer normally and find nobody they do not name (rows are seeded)."""
    seeded = client.post("/api/v1/households", json=household_body(), headers=api).json
    response = client.get("/api/v1/search", query_string={"q": query}, headers=api)
    assert response.status_code == 200
    found = {hit["code"] for hit in response.json["results"]}
    named = {seeded["members"][0]["code"]} if "محمد" in query else set()
    assert found == named


@pytest.mark.parametrize(
    "path",
    [
        "/static/../fieldreg/db.py",
        "/static/%2e%2e/fieldreg/db.py",
        "/static/..%2ffieldreg%2fdb.py",
        "/static//etc/passwd",
        "/static/../data/fieldreg.salt",
    ],
)
def test_static_paths_cannot_leave_the_static_folder(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"sqlcipher" not in response.data and b"root:" not in response.data


def test_oversize_api_request_is_413_json(app, client, api):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    body = household_body(notes="x" * 20_000)
    response = client.post("/api/v1/households", json=body, headers=api)
    assert response.status_code == 413
    assert set(response.get_json()) == {"error", "fields", "code"}


def test_revoked_token_no_longer_works(client, auth_actions):
    headers = auth_actions.token("coordinator")
    listed = client.get("/api/v1/tokens", headers=headers).get_json()["tokens"]
    assert all("hash" not in k and "secret" not in k for k in listed[0])
    token_id = listed[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/api/v1/stats", headers=headers).status_code == 401


def test_a_coordinator_cannot_create_or_disable_an_admin(client, auth_actions, db):
    auth_actions.user("admin", "root")
    auth_actions.login("coordinator")
    csrf = auth_actions.csrf()
    made = client.post(
        "/admin/users", data={"username": "boss", "role": "admin", "pin": PIN, "csrf_token": csrf}
    )
    assert made.status_code == 403
    root = next(db.query("select id from users where username = 'root'"))["id"]
    disabled = client.post(f"/admin/users/{root}/disable", data={"csrf_token": csrf})
    assert disabled.status_code == 403
    ok = client.post(
        "/admin/users",
        data={"username": "reg2", "role": "registrar", "pin": PIN, "csrf_token": csrf},
    )
    assert ok.status_code == 302
    assert [r["action"] for r in db.query("select action from audit")][-1] == "user_add"
    # The page offers a coordinator only the roles it may grant (an admin sees admin too).
    offered = client.get("/admin/users").get_data(as_text=True)
    assert '<option value="coordinator"' in offered and '<option value="admin"' not in offered
    auth_actions.login("admin", "root")
    assert '<option value="admin"' in client.get("/admin/users").get_data(as_text=True)
