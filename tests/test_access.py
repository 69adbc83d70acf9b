"""Every URL rule declares a permission, and every role gets exactly what docs/roles.md says.

The expectations come from docs/roles.md, written apart from ``access.PERMISSIONS``: a wrong
entry in the code's table (or a route declaring the wrong permission) fails here (issue 16).
"""

from __future__ import annotations

import re
from contextvars import copy_context
from pathlib import Path

import pytest
from flask import g

from fieldreg import access, audit, auth, db, keyring
from fieldreg.config import ROLES
from fieldreg.errors import Refused
from tests.conftest import PASSPHRASE, PIN, csrf_of, household_body

ROLES_DOC = (Path(__file__).resolve().parent.parent / "docs" / "roles.md").read_text()


def documented_permissions() -> dict[str, set[str]]:
    """Parse docs/roles.md's permission table: {permission: roles marked yes}."""
    lines = [row for row in ROLES_DOC.splitlines() if row.startswith("| permission |")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    table = {}
    for row in ROLES_DOC.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == len(header) and re.fullmatch(r"`[a-z_]+:?[a-z_]*`", cells[0]):
            roles = {r for r, mark in zip(header[2:], cells[2:], strict=True) if mark == "yes"}
            table[cells[0].strip("`")] = roles
    return table


def documented_routes() -> dict[tuple[str, str], str]:
    """Parse docs/roles.md's route table: {(method, rule): permission}."""
    found = re.findall(r"^\| ([A-Z]+) \| `([^`]+)` \| `([^`]+)` \|$", ROLES_DOC, re.M)
    return {(method, rule): permission for method, rule, permission in found}


DOCUMENTED = documented_permissions()


def test_the_code_grants_exactly_what_docs_roles_md_says():
    assert set(DOCUMENTED) == set(access.PERMISSIONS)
    wrong = {p: (roles, DOCUMENTED[p]) for p, roles in access.PERMISSIONS.items()
             if set(roles) != DOCUMENTED[p]}  # fmt: skip
    assert wrong == {}
    assert set().union(*DOCUMENTED.values()) <= set(ROLES)


def test_every_route_needs_the_permission_docs_roles_md_says(app):
    declared = {}
    for rule, method, view in rules(app):
        if rule.endpoint in access.OPEN_ENDPOINTS:
            continue
        permission = getattr(view, "permission", "(none)")
        declared[(method, rule.rule)] = "public" if permission is None else permission
    assert declared == documented_routes()


def rules(app):
    """Yield (rule, method, view) for every route of the app."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, app.view_functions[rule.endpoint]


def test_every_rule_declares_a_permission(app):
    missing = [
        rule.rule
        for rule, _method, view in rules(app)
        if rule.endpoint not in access.OPEN_ENDPOINTS and not hasattr(view, "permission")
    ]
    assert missing == []
    declared = {getattr(v, "permission", None) for _r, _m, v in rules(app)} - {None}
    assert declared <= set(access.PERMISSIONS)


def test_medical_permissions_leave_registrars_out():
    assert "registrar" not in access.PERMISSIONS["medical:read"]
    assert {"medic", "coordinator", "admin"} <= access.PERMISSIONS["medical:read"]


def test_an_undeclared_view_is_refused(app, client, api):
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = client.get("/undeclared", headers=api)
    assert response.status_code == 403 and b"secret" not in response.data


@pytest.fixture
def targets(client, api) -> dict:
    """URL arguments that point at real records."""
    hh = client.post("/api/v1/households", json=household_body(), headers=api).get_json()
    return {"hh": hh["code"], "person": hh["members"][1]["code"]}


def url_for_rule(rule, targets: dict) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "code":
            values[arg] = targets["person"] if "/people/" in rule.rule else targets["hh"]
        elif arg == "fmt":
            values[arg] = "svg"
        elif arg == "action":
            values[arg] = "unlock"
        elif arg == "filename":
            values[arg] = "app.css"
        else:
            values[arg] = "no-such-id"
    return rule.build(values)[1]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_exactly_where_the_table_says(
    app, client, auth_actions, targets, role, data_dir
):
    headers = auth_actions.token(role)
    wrong = []
    for rule, method, view in rules(app):
        permission = getattr(view, "permission", None)
        if permission is None:
            continue
        response = client.open(
            url_for_rule(rule, targets),
            method=method,
            headers=headers,
            json={} if method in ("POST", "PATCH") else None,
        )
        if not keyring.is_unlocked(data_dir):  # the matrix just pressed "lock now"
            db.unlock(data_dir, PASSPHRASE)
        allowed = role in DOCUMENTED[permission]
        status = response.status_code
        if (allowed and status in (401, 403)) or (not allowed and status != 403) or status >= 500:
            wrong.append((method, rule.rule, status))
    assert wrong == []


def test_anonymous_gets_401_or_the_login_page_never_data(app, client, targets):
    csrf = csrf_of(client)
    wrong = []
    for rule, method, view in rules(app):
        if getattr(view, "permission", None) is None:
            continue
        url = url_for_rule(rule, targets)
        response = client.open(url, method=method, data={"csrf_token": csrf})
        status, location = response.status_code, response.headers.get("Location", "")
        if url.startswith("/api/"):
            ok = status == 401 and set(response.get_json()) == {"error", "fields", "code"}
        else:
            ok = status == 302 and location.startswith("/login")
        if not ok:
            wrong.append((method, rule.rule, status))
    assert wrong == []


# Each check of access.py on its own, at unit level, so that `make mutate` finds a fast test
# failing for every changed comparison, cookie flag or header (issue 16).


def test_a_misspelt_permission_fails_when_the_view_is_declared():
    """Issue 16: a typo in @requires stops the app from starting instead of guarding nothing."""
    with pytest.raises(KeyError, match="househod:create"):
        access.requires("househod:create")
    assert access.requires("search")(lambda: "ok").permission == "search"
    assert access.public(lambda: "ok").permission is None  # docs/roles.md calls it "public"


def test_each_request_names_its_address_and_the_tablets_label(app):
    """Issue 16: the audit log gets the connection's address; a device label is cut to 64."""

    def seen(headers):
        with app.test_request_context(
            "/search", headers=headers, environ_base={"REMOTE_ADDR": "10.1.2.3"}
        ):
            access.load_user()
            return audit.current_address.get(), audit.current_device.get()

    assert copy_context().run(seen, {"X-Device-Id": "t" * 80}) == ("10.1.2.3", "t" * 64)
    assert copy_context().run(seen, {}) == ("10.1.2.3", None)


def test_a_session_cookie_signs_in_its_user_unless_the_station_is_locked(app, db):
    """Issue 16: the session's user and CSRF token, and nobody at all while locked."""
    user = auth.add_user(db, "rana", "medic", PIN)
    secret, csrf = auth.start_session(db, user)
    cookie = {"Cookie": f"{access.SESSION_COOKIE}={secret}"}
    with app.test_request_context("/search", headers=cookie):
        access.load_user()
        assert g.user == {"id": user["id"], "username": "rana", "role": "medic"}
        assert g.csrf == csrf and access.csrf_token() == csrf
    with app.test_request_context("/unlock", headers=cookie):
        g.locked = True  # the gate found the station locked: its database cannot be read
        access.load_user()
        assert g.user is None


@pytest.mark.parametrize("header", ["Bearer frt_no-such-token", "Bearer "])
def test_an_unknown_bearer_token_is_answered_401(client, header):
    response = client.get("/api/v1/stats", headers={"Authorization": header})
    assert response.status_code == 401 and response.get_json()["code"] == "login_required"


def csrf_refused(app, path="/register", method="POST", session=None, cookie=None, sent=None,
                 in_form=False, user=None, via_token=False) -> bool:  # fmt: skip
    """Run the CSRF check on one request; tell whether it was refused as csrf_expired."""
    headers = {"Cookie": f"{access.CSRF_COOKIE}={cookie}"} if cookie else {}
    if sent and not in_form:
        headers["X-CSRF-Token"] = sent
    form = {"csrf_token": sent} if sent and in_form else None
    with app.test_request_context(path, method=method, headers=headers, data=form):
        g.user = user or ({"role": "registrar"} if session else None)
        g.csrf, g.via_token = session, via_token
        try:
            access.check_csrf()
        except Refused as refused:
            assert (refused.status, refused.code) == (400, "csrf_expired")
            assert refused.message == (
                "The form expired or came from elsewhere (CSRF). Reload and retry."
            )
            return True
    return False


def test_a_form_post_needs_the_token_it_was_rendered_with(app):
    """Issue 16: the session's token (form field or the outbox's header), nothing else."""
    assert not csrf_refused(app, session="s3cret", sent="s3cret", in_form=True)
    assert not csrf_refused(app, session="s3cret", sent="s3cret")  # X-CSRF-Token
    assert csrf_refused(app, session="s3cret")
    assert csrf_refused(app, session="s3cret", sent="forged")
    # a pre-login cookie cannot stand in for the session's token
    assert csrf_refused(app, session="s3cret", cookie="old", sent="old")
    # before login: the cookie's token, and only with a cookie
    assert not csrf_refused(app, path="/login", cookie="c00kie", sent="c00kie", in_form=True)
    assert csrf_refused(app, path="/login", cookie="c00kie", sent="other", in_form=True)
    assert csrf_refused(app, path="/login", sent="c00kie", in_form=True)


def test_reads_api_tokens_and_anonymous_api_calls_need_no_csrf_token(app):
    """Issue 16: reading never needs a token; a signed-in browser's API post does."""
    for method in ("GET", "HEAD", "OPTIONS"):
        assert not csrf_refused(app, method=method, session="s3cret")
    assert not csrf_refused(app, path="/api/v1/households", user={"role": "admin"},
                            via_token=True)  # fmt: skip
    assert not csrf_refused(app, path="/api/v1/households")  # no one signed in: a 401 follows
    assert csrf_refused(app, path="/api/v1/households", session="s3cret")


def set_cookie_header(app, base_url="http://localhost", headers=None, session=None) -> str:
    """Render a form's token for one request; return the Set-Cookie header it answers with."""
    with app.test_request_context("/login", base_url=base_url, headers=headers):
        g.csrf = session
        token = access.csrf_token()
        response = access.set_csrf_cookie(app.response_class())
    cookie = response.headers.get("Set-Cookie", "")
    assert not cookie or cookie.startswith(f"{access.CSRF_COOKIE}={token};")
    return cookie


def test_an_anonymous_visitor_gets_the_cookie_its_form_carries(app):
    """Issue 16: HttpOnly and SameSite=Strict always, Secure only over HTTPS (else no login)."""
    flags = {part.strip() for part in set_cookie_header(app, "https://localhost").split(";")}
    assert {"HttpOnly", "SameSite=Strict", "Secure"} <= flags
    flags = {part.strip() for part in set_cookie_header(app).split(";")}
    assert {"HttpOnly", "SameSite=Strict"} <= flags and "Secure" not in flags
    assert set_cookie_header(app, session="s3cret") == ""  # signed in: the session's token
    with app.test_request_context("/login"):
        access.csrf_token()
        g.csrf = "s3cret"  # a session known only after a form was rendered: still no cookie
        assert "Set-Cookie" not in access.set_csrf_cookie(app.response_class()).headers
    # a second login tab keeps the first one's token
    second = set_cookie_header(app, headers={"Cookie": f"{access.CSRF_COOKIE}=first"})
    assert second.startswith(f"{access.CSRF_COOKIE}=first;")
