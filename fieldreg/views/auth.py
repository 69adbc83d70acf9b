"""Login, logout, and the first start's set-up page (served to the laptop itself only)."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from fieldreg import auth, codes, throttle
from fieldreg.access import SESSION_COOKIE, public
from fieldreg.db import get_db, set_setting, write
from fieldreg.errors import DomainError
from fieldreg.i18n import when

bp = Blueprint("auth", __name__)
LOCAL_ADDRESSES = {"127.0.0.1", "::1"}


def safe_next(target: str | None, default: str | None = None) -> str:
    """Follow a ``next`` only to a path on this site (else ``default``, else home)."""
    # Browsers read a backslash as a slash and drop tabs and newlines, so "/" + backslash +
    # "evil.example" would leave the site like "//evil.example": refuse both, and controls.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not urlparse(target).netloc
    ):
        return target
    return default or url_for("register.home")


def _open_session(user: dict):
    secret, _csrf = auth.start_session(get_db(), user, request.headers.get("X-Device-Id"))
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, samesite="Strict", secure=request.is_secure
    )
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with user name and PIN."""
    if not auth.has_users(get_db()):
        return redirect(url_for("auth.setup"))
    error, status = None, 200
    if request.method == "POST":
        error, status = _try_login()
        if error is None:
            return status
    return render_template("auth/login.html", error=error), status


def _try_login():
    """Check the posted user name and PIN; return (error, status) or (None, response)."""
    db, address = get_db(), request.remote_addr or "?"
    wait = throttle.attempt(db, address, current_app.config["LOGIN_ADDRESS_FAILURES"])
    if wait:
        message = ngettext(
            "Too many failed logins from this device. Wait %(num)d second.",
            "Too many failed logins from this device. Wait %(num)d seconds.",
            wait,
        )
        return message, 429
    username = request.form.get("username", "")
    user = auth.login(db, username, request.form.get("pin", ""))
    if user is None:
        until = auth.locked_until(db, username)
        if until:
            # Said only once an account is locked (five wrong PINs for it), so that a
            # registrar knows to ask a coordinator instead of trying again and again.
            return _(
                "This account is locked after too many wrong PINs, until %(t)s UTC. "
                "A coordinator can unlock it on the Users page.",
                t=when(until),
            ), 401
        return _("Wrong user name or PIN."), 401
    throttle.succeeded(db, address)
    return None, _open_session(user)


@bp.post("/logout")
@public
def logout():
    """End the session."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        user = g.get("user")
        auth.end_session(get_db(), secret, user["username"] if user else None)
    response = redirect(url_for("auth.login"))
    response.delete_cookie(SESSION_COOKIE)
    return response


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """Create the station and its first coordinator, once, from the laptop itself."""
    db = get_db()
    if auth.has_users(db):
        return redirect(url_for("auth.login"))
    if request.remote_addr not in LOCAL_ADDRESSES:
        abort(403, description=_("Set-up is only possible on the station laptop itself."))
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        code = form.get("station_code", "").strip().upper()
        errors = _setup_problems(form, code)
        if not errors:
            try:
                user = _create_station(db, form, code)
                return _open_session(user)
            except DomainError as exc:
                errors.update(exc.fields or {"_": [exc.message]})
    return render_template("auth/setup.html", errors=errors, form=request.form), (
        400 if errors else 200
    )


def _setup_problems(form, code: str) -> dict[str, list[str]]:
    """Check every set-up field at once, so that one answer names all that is missing."""
    errors: dict[str, list[str]] = {}
    for name in ("station_name", "username", "pin"):
        if not form.get(name, "").strip():
            errors[name] = [_("Required.")]
    if not codes.is_valid_prefix(code):
        errors["station_code"] = [_("Three characters from %(a)s.", a=codes.ALPHABET)]
    if "pin" not in errors and (problems := pin_problems(form["pin"], "coordinator")):
        errors["pin"] = problems
    return errors


def pin_problems(pin: str, role: str) -> list[str]:
    """Say in the page language why auth.check_pin would refuse this PIN for this role."""
    shortest = auth.LONG_PIN_ROLES.get(role, 4)
    if not (pin.isdigit() and shortest <= len(pin) <= 12):
        return [_("%(n)s to 12 digits.", n=shortest)]
    if auth.weak_pin(pin):
        return [_("Too easy to guess: no repeated digit, run or common PIN such as 1234.")]
    return []


def _create_station(db, form, code: str) -> dict:
    """Store the station's name and code, then add the first coordinator."""
    with write(db):
        if not list(db.query("select 1 from households limit 1")):
            set_setting(db, "station_code", code)
        set_setting(db, "station_name", form.get("station_name", "").strip()[:100])
    return auth.add_user(db, form.get("username", ""), "coordinator", form.get("pin", ""), "setup")


@bp.app_context_processor
def inject_user():
    """Make the user available to every template."""
    return {"current_user": g.get("user")}
