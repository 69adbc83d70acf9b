"""Who may do what: the one permission table, the login check and CSRF, for every route.

Each view declares its permission with ``@requires("...")`` (or ``@public``); a request is
let through only when the signed-in user's (or API token's) role holds that permission.
A test walks ``app.url_map`` and fails on any route that declares nothing.
"""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import abort, current_app, g, redirect, request, url_for

from fieldreg import auth
from fieldreg.audit import current_address, current_device
from fieldreg.db import get_db
from fieldreg.errors import Refused

ALL = {"registrar", "medic", "coordinator", "analyst", "admin", "caseworker"}
STATION_STAFF = {"registrar", "medic", "coordinator", "admin", "caseworker"}
# Child protection (family tracing): caseworkers, and the coordinators and admins above them.
CHILD_PROTECTION = {"caseworker", "coordinator", "admin"}
PERMISSIONS: dict[str, set[str]] = {
    "household:create": {"registrar", "coordinator", "admin", "caseworker"},
    "household:read": ALL,
    "household:update": {"registrar", "coordinator", "admin", "caseworker"},
    "person:read": ALL,
    "search": ALL,
    "tags:print": STATION_STAFF,
    "stats:read": ALL,
    "users:manage": {"coordinator", "admin"},
    "audit:read": {"coordinator", "admin"},
    "backup:read": {"coordinator", "admin"},
    "backup:run": {"coordinator", "admin"},
    "tablets:setup": {"coordinator", "admin"},
    "tokens:manage": {"coordinator", "admin"},
    "station:lock": {"coordinator", "admin"},
    # Medical details (issue 4 uses these); registrars see only the flag and its colour.
    "medical:read": {"medic", "coordinator", "admin"},
    "medical:write": {"medic", "coordinator", "admin"},
    # Data subject rights: show everything held about a person, erase a person.
    "subject:read": {"coordinator", "admin"},
    "subject:erase": {"coordinator", "admin"},
    "dashboard:read": {"coordinator", "analyst", "admin"},
    "export": {"coordinator", "analyst", "admin"},
    "movements:write": STATION_STAFF,
    "sync:run": {"coordinator", "admin"},
    "sync:stations": {"coordinator", "analyst", "admin"},
    "sync:conflicts": {"coordinator", "analyst", "admin"},
    # HQ hands a record over to another station (sync authority, issue 13).
    "sync:owners": {"coordinator", "admin"},
    # A station sets aside a change HQ refuses for ever, kept in a quarantine (issue 13).
    "sync:set_aside": {"admin"},
    # HQ deduplication: the review queue, linking or keeping apart, clusters of a person.
    "dedup:review": {"coordinator", "analyst", "admin"},
    # Convoys and vehicles (issue 18): counts for everyone, scanning at the door, names and
    # the differences between counts for those who reconcile them.
    "convoys:read": ALL,
    "convoys:scan": {"registrar", "coordinator", "admin"},
    "convoys:manage": {"coordinator", "admin"},
    "convoys:reconcile": {"coordinator", "analyst", "admin"},
    "lists:import": {"coordinator", "admin"},
    # Family tracing: registrars open cases and add to their own; only child protection sees
    # cases, photos and matches; analysts see counts.
    "tracing:open": {"registrar", *CHILD_PROTECTION},
    "tracing:read": CHILD_PROTECTION,
    "tracing:decide": CHILD_PROTECTION,
    "tracing:exchange": CHILD_PROTECTION,
    "tracing:counts": {"analyst", *CHILD_PROTECTION},
}
# Endpoints that are not our views: static files and the API description (no personal data).
OPEN_ENDPOINTS = {"static", "api-docs.openapi_json"}
SESSION_COOKIE = "fr_session"
CSRF_COOKIE = "fr_csrf"


def allowed(role: str | None, permission: str) -> bool:
    """Tell whether a role holds a permission."""
    return role in PERMISSIONS[permission]


def public(view):
    """Mark a view as open without login (login page, health check)."""
    view.permission = None
    return view


def requires(permission: str):
    """Declare the permission a view needs; refuse everyone else."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                if _wants_json():
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not allowed(user["role"], permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorate


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.authorization is not None


def load_user() -> None:
    """Find the request's user from a bearer token or a session cookie."""
    g.user, g.csrf = None, None
    # The address is the connection's; a tablet's device id is a label it chose (issue 13).
    current_address.set(request.remote_addr)
    # Each "pragma: no mutate" in this module (issue 16, make mutate) marks mutants nobody can
    # tell apart: header names are read in any case, Werkzeug writes SameSite in any case as
    # "Strict", no token's secret is a stand-in for a missing one, and a longer random CSRF
    # token is as safe.
    label = request.headers.get("X-Device-Id")  # pragma: no mutate
    current_device.set((label or "")[:64] or None)
    if g.get("locked"):
        return
    if request.authorization and request.authorization.type == "bearer":
        token = request.authorization.token or ""  # pragma: no mutate
        g.user = auth.token_user(get_db(), token)
        if g.user is None:
            abort(401)
        g.via_token = True
        return
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        row = auth.session_user(get_db(), secret, current_app.config["SESSION_IDLE_MINUTES"])
        if row:
            g.user = {"id": row["id"], "username": row["username"], "role": row["role"]}
            g.csrf = row["csrf"]


def csrf_token() -> str:
    """Return the CSRF token to put in forms (the session's, or a pre-login cookie's)."""
    if g.get("csrf"):
        return g.csrf
    if "new_csrf" not in g:
        cookie = request.cookies.get(CSRF_COOKIE)
        g.new_csrf = cookie or secrets.token_urlsafe(24)  # pragma: no mutate
    return g.new_csrf


def check_csrf() -> None:
    """Refuse a form post whose CSRF token does not match (API token clients are exempt)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or g.get("via_token"):
        return
    if g.get("user") is None and request.path.startswith("/api/"):
        return  # no session to ride on; the permission check answers 401
    expected = g.get("csrf") or request.cookies.get(CSRF_COOKIE)
    header = request.headers.get("X-CSRF-Token")  # pragma: no mutate
    sent = header or request.form.get("csrf_token")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Refused(
            400, "The form expired or came from elsewhere (CSRF). Reload and retry.", "csrf_expired"
        )


def set_csrf_cookie(response):
    """Give an anonymous visitor the CSRF cookie its forms were rendered with."""
    if g.get("new_csrf") and not g.get("csrf"):
        response.set_cookie(
            CSRF_COOKIE,
            g.new_csrf,
            httponly=True,
            samesite="Strict",  # pragma: no mutate
            secure=request.is_secure,
        )
    return response
