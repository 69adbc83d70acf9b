"""Coordinator pages: users and tokens, the audit log, a person's held data and erasure."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fieldreg import audit, auth, codes, subject, throttle
from fieldreg.access import requires
from fieldreg.config import ROLES
from fieldreg.db import get_db
from fieldreg.errors import DomainError
from fieldreg.views.auth import pin_problems

bp = Blueprint("admin", __name__)
AUDIT_FILTERS = ("actor", "action", "tbl", "record_id", "address", "device", "since", "until")


def actor() -> str | None:
    """Return who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("users:manage")
def users():
    """List users and tokens; add a user."""
    db, errors = get_db(), {}
    if request.method == "POST":
        form = request.form
        _only_admins_touch_admins(form.get("role", ""))
        try:
            if problems := pin_problems(form.get("pin", ""), form.get("role", "")):
                raise DomainError("PIN refused.", {"pin": problems})
            auth.add_user(
                db, form.get("username", ""), form.get("role", ""), form.get("pin", ""), actor()
            )
            return redirect(url_for("admin.users"))
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
            if "username" in errors:  # the domain's words: say them in the page language
                errors["username"] = [_("1-40 letters or digits (and . or _).")]
    return render_template(
        "admin/users.html",
        users=auth.list_users(db),
        tokens=auth.list_tokens(db),
        roles=[
            r for r in ROLES if r != "admin" or g.user["role"] == "admin"
        ],  # offered only if granted
        errors=errors,
        form=request.form,
    ), (400 if errors else 200)


@bp.post("/admin/users/<user_id>/<any(unlock, disable, enable):action>")
@requires("users:manage")
def user_action(user_id, action):
    """Unlock, disable or enable a user."""
    db = get_db()
    target = next((u for u in auth.list_users(db) if u["id"] == user_id), None)
    if target is None:
        abort(404, description=_("No such user."))
    _only_admins_touch_admins(target["role"])
    if action == "disable" and user_id == g.user["id"]:  # the station could be left with none
        abort(409, description=_("You cannot disable your own account."))
    if action == "unlock":
        auth.unlock_user(db, user_id, actor())
        throttle.clear(db)
    else:
        auth.set_disabled(db, user_id, action == "disable", actor())
    return redirect(url_for("admin.users"))


def _only_admins_touch_admins(role: str) -> None:
    """Refuse a coordinator who would create or change an admin (no escalation)."""
    if role == "admin" and g.user["role"] != "admin":
        abort(403, description=_("Only an admin can add or change an admin."))


@bp.post("/admin/tokens/<token_id>/revoke")
@requires("tokens:manage")
def revoke_token(token_id):
    """Revoke an API token."""
    auth.revoke_token(get_db(), token_id, actor())
    return redirect(url_for("admin.users"))


@bp.get("/admin/audit")
@requires("audit:read")
def audit_log():
    """Show the audit log, filtered."""
    filters = {k: request.args.get(k, "").strip()[:80] for k in AUDIT_FILTERS}
    try:
        entries = audit.entries(get_db(), limit=500, **filters)
    except ValueError:
        abort(400, description=_("A date is not valid (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)."))
    return render_template("admin/audit.html", entries=entries, filters=filters)


@bp.get("/people/<code>/held")
@requires("subject:read")
def held(code):
    """Show everything held about a person."""
    code = codes.parse(code) or abort(404, description=_("Not a valid code."))
    return render_template("admin/held.html", held=subject.everything(get_db(), code, actor()))


@bp.post("/people/<code>/erase")
@requires("subject:erase")
def erase(code):
    """Erase a person, after the coordinator typed the code again to confirm."""
    code = codes.parse(code) or abort(404, description=_("Not a valid code."))
    if codes.parse(request.form.get("confirm", "")) != code:
        abort(400, description=_("Type the person's code to confirm the erasure."))
    subject.erase_person(get_db(), code, actor())
    return render_template("admin/erased.html", code=code)
