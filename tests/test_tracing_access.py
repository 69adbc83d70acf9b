"""Every family tracing route for every role, on real records (issue 19).

docs/roles.md says which permission each route needs; on top of it a registrar sees only the
cases they opened (another registrar's case answers 404) and no role without
``tracing:read`` ever gets a family's names or a photo back.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fieldreg import auth
from fieldreg.config import ROLES
from tests.test_access import DOCUMENTED, documented_routes
from tests.test_tracing import FAMILY, alone, open_child

PFIF = (b'<?xml version="1.0"?><pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>'
        b"<pfif:person_record_id>partner.org/p.1</pfif:person_record_id>"
        b"<pfif:given_name>Omar</pfif:given_name></pfif:person></pfif:pfif>")  # fmt: skip
# Routes that close or decide: each call gets a case of its own.
CLOSING = ("/close", "/decide", "/decisions", "/reunite")


def jpeg() -> bytes:
    """Return a small JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(out, "JPEG")
    return out.getvalue()


def tracing_routes(app) -> list[tuple[str, str, str]]:
    """Return (method, rule, permission) of every tracing route."""
    found = [(m, r, p) for (m, r), p in documented_routes().items() if "tracing" in r]
    served = {(m, rule.rule) for rule in app.url_map.iter_rules() if "tracing" in rule.rule
              for m in rule.methods - {"HEAD", "OPTIONS"}}  # fmt: skip
    assert {(m, r) for m, r, _p in found} == served
    return sorted(found)


def request_for(method: str, rule: str, ids: dict) -> tuple[str, dict]:
    """Return the URL and the body of a call to a tracing route."""
    url = rule.replace("<case_id>", ids["case"]).replace("<target_id>", ids["household"])
    if rule == "/tracing/new":
        url += "?kind=enquiry"
    if rule.startswith("/api/"):
        bodies = {
            "/api/v1/tracing/cases": {"json": {"kind": "enquiry", "enquirer_name": "Umm Omar",
                                               "given_name": "Omar"}},
            "/api/v1/tracing/cases/<case_id>": {"json": {"carer": "a neighbour"}},
            "/api/v1/tracing/cases/<case_id>/notes": {"json": {"text": "seen"}},
            "/api/v1/tracing/cases/<case_id>/photo": {"data": {"image": (io.BytesIO(jpeg()),
                                                                          "c.jpg")}},
            "/api/v1/tracing/decisions": {"json": {"case_id": ids["case"], "verdict": "reject",
                                                   "target_id": ids["household"]}},
            "/api/v1/tracing/pfif": {"data": PFIF, "content_type": "application/xml"},
            "/api/v1/tracing/cases/<case_id>/close": {"json": {}},
        }  # fmt: skip
        return url, bodies.get(rule, {}) if method != "GET" else {}
    forms = {
        "/tracing/new": {"enquirer_name": "Umm Omar", "given_name": "Omar"},
        "/tracing/cases/<case_id>/edit": {"carer": "a neighbour"},
        "/tracing/cases/<case_id>/notes": {"text": "seen"},
        "/tracing/cases/<case_id>/photo": {"photo": (io.BytesIO(jpeg()), "c.jpg")},
        "/tracing/cases/<case_id>/decide": {"target_id": ids["household"], "verdict": "reject"},
        "/tracing/exchange/import": {"file": (io.BytesIO(PFIF), "partner.xml")},
    }  # fmt: skip
    return url, ({"data": forms.get(rule, {})} if method == "POST" else {})


@pytest.fixture
def setting(client, auth_actions, db):
    """A family, a child's case opened by one registrar (with a photo), tokens for everyone."""
    headers = {role: auth_actions.token(role) for role in ROLES}
    other = auth.create_token(db, "t-other", "registrar")
    headers["other registrar"] = {"Authorization": f"Bearer {other}"}
    family = client.post("/api/v1/households", json=FAMILY, headers=headers["admin"]).get_json()

    def fresh_case() -> str:
        case = open_child(client, headers["registrar"], alone(client, headers["registrar"]))
        client.put(f"/api/v1/tracing/cases/{case['id']}/photo", headers=headers["registrar"],
                   data={"image": (io.BytesIO(jpeg()), "c.jpg")})  # fmt: skip
        return case["id"]

    return headers, family["id"], fresh_case


@pytest.mark.parametrize("role", [*ROLES, "other registrar"])
def test_each_role_gets_exactly_what_roles_md_and_ownership_say(app, client, setting, role):
    headers, household, fresh_case = setting
    shared = fresh_case()
    permission_of = {"other registrar": "registrar"}.get(role, role)
    wrong = []
    for method, rule, permission in tracing_routes(app):
        case = fresh_case() if rule.endswith(CLOSING) else shared
        url, body = request_for(method, rule, {"case": case, "household": household})
        response = client.open(url, method=method, headers=headers[role], **body)
        status, data = response.status_code, response.data
        allowed = permission_of in DOCUMENTED[permission]
        someone_elses = role == "other registrar" and "<case_id>" in rule
        if not allowed:
            ok = status == 403
        elif someone_elses:
            ok = status == 404
        else:
            ok = status not in (401, 403, 404) and status < 500
        if permission_of not in DOCUMENTED["tracing:read"]:
            ok = ok and b"Al-Halabi" not in data and b"\xff\xd8\xff" not in data
        if not ok:
            wrong.append((method, rule, status))
    assert wrong == []


def test_anonymous_gets_nothing_from_any_tracing_route(app, client, setting):
    _headers, household, fresh_case = setting
    case = fresh_case()
    for method, rule, _permission in tracing_routes(app):
        url, _body = request_for(method, rule, {"case": case, "household": household})
        response = client.open(url, method=method)
        assert response.status_code in (302, 400, 401), (method, rule)
        assert b"Al-Halabi" not in response.data
