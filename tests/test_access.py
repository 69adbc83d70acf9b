"""Every URL rule declares a permission, and every role gets exactly what docs/roles.md says.

The expectations come from docs/roles.md, written apart from ``access.PERMISSIONS``: a wrong
entry in the code's table (or a route declaring the wrong permission) fails here (issue 16).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldreg import access, db, keyring
from fieldreg.config import ROLES
from tests.conftest import PASSPHRASE, csrf_of, household_body

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
