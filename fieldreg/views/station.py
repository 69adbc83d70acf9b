"""Unlock and lock the station: the database key enters memory here and leaves here.

While the station is locked, the gate (``gate``, run before every request) lets through only
the unlock page, ``/healthz`` and static files; everything else waits for the passphrase.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fieldreg import audit, auth, db, keyring, subject
from fieldreg.access import public, requires
from fieldreg.errors_http import render_error, wants_json

bp = Blueprint("station", __name__)
LOCAL_ADDRESSES = {"127.0.0.1", "::1"}
OPEN_WHEN_LOCKED = {"station.unlock", "health.healthz", "static"}
RETENTION_EVERY = 3600.0  # seconds between two retention runs of a serving process


def data_dir() -> Path:
    """Return the app's data folder."""
    data = current_app.config["DATA"]
    if current_app.config.get("_data_resolved", (None,))[0] != data:
        current_app.config["_data_resolved"] = (data, Path(data).resolve())
    return current_app.config["_data_resolved"][1]


def gate():
    """Serve nothing but the unlock page, /healthz and static files while locked."""
    if keyring.is_unlocked(data_dir()):
        if not current_app.config.get("_prepared"):
            db.prepare(data_dir())
            current_app.config["_prepared"] = True
        run_retention(current_app)
        return None
    g.locked = True
    if request.endpoint in OPEN_WHEN_LOCKED:
        return None
    if wants_json():
        return render_error(503, "The station is locked.", code="locked")
    return redirect(url_for("station.unlock"))


def run_retention(app, now: float | None = None) -> int:
    """Erase closed records past the retention period, at most once an hour."""
    days = int(app.config.get("RETENTION_DAYS") or 0)
    now = time.monotonic() if now is None else now
    if days <= 0 or now - app.config.get("_retention_ran", -RETENTION_EVERY) < RETENTION_EVERY:
        return 0
    app.config["_retention_ran"] = now
    database = db.connect(Path(app.config["DATABASE"]))
    try:
        return subject.purge_closed(database, days)
    finally:
        database.close()


def locked_error(_exc: keyring.Locked):
    """Answer a request that met a lock taken while it ran."""
    return render_error(503, "The station is locked.", code="locked")


@bp.route("/unlock", methods=["GET", "POST"])
@public
def unlock():
    """Take the passphrase (on the laptop itself) and unlock the station."""
    folder = data_dir()
    if keyring.is_unlocked(folder):
        return redirect(url_for("auth.login"))
    if request.remote_addr not in LOCAL_ADDRESSES:
        message = _("The station is locked. A coordinator unlocks it on the station laptop.")
        return render_template("station/locked.html", message=message), 503
    new, error = keyring.is_new(folder), None
    if request.method == "POST":
        error = _unlock_with(folder, new)
        if error is None:
            return redirect(url_for("auth.login"))
    status = 400 if error else 200
    return render_template(
        "station/unlock.html", new=new, error=error, minimum=keyring.MIN_PASSPHRASE
    ), status


def _unlock_with(folder: Path, new: bool) -> str | None:
    """Unlock with the posted passphrase; return an error message or None."""
    passphrase = request.form.get("passphrase", "")
    if new and passphrase != request.form.get("confirm", ""):
        return _("The two passphrases differ.")
    try:
        db.unlock(folder, passphrase)
    except keyring.WrongPassphrase:
        if new:
            return _("Choose a passphrase of at least %(n)d characters.", n=keyring.MIN_PASSPHRASE)
        return _("This passphrase does not open the station.")
    database = db.connect(folder / db.DB_NAME)
    try:
        with db.write(database):
            audit.log(database, None, "unlock", detail="new" if new else None)
    finally:
        database.close()
    current_app.config["_prepared"] = True
    return None


@bp.get("/lock")
@requires("station:lock")
def lock_confirm():
    """Ask before locking (the header's button without JavaScript comes here)."""
    return render_template("station/lock.html")


@bp.post("/lock")
@requires("station:lock")
def lock():
    """Lock now: end every session and drop the key from memory."""
    database = db.get_db()
    auth.end_all_sessions(database, g.user["username"])
    db.close_db()
    keyring.lock(data_dir())
    db.pool().clear()
    current_app.config["_prepared"] = False
    if wants_json():
        return {"locked": True}
    return redirect(url_for("station.unlock"))


def init(app) -> None:
    """Install the gate in front of every other before-request hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, gate)
    app.register_error_handler(keyring.Locked, locked_error)
    app.register_blueprint(bp)
