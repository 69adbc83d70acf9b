"""Unlock and lock the station: the database key enters memory here and leaves here.

While the station is locked, the gate (``gate``, run before every request) lets through only
the unlock page, ``/healthz`` and static files; everything else (pages, API calls with a
session or a token, HQ's sync endpoints) waits for the passphrase: pages go to the unlock
page, JSON clients get 503 in the one error shape.

The station locks by hand (**Lock now**) and by itself after ``LOCK_IDLE_MINUTES`` without a
signed-in request (by default 120 at a station, never at HQ): the gate checks it on every
request, and ``watch_idle`` (started by ``serve``) checks it while no request comes at all.
"""

from __future__ import annotations

import threading
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
IDLE_DEFAULT_MINUTES = {"station": 120, "hq": 0}
IDLE_CHECK_SECONDS = 30.0
LAST_ACTIVE = "fieldreg_last_active"
clock = time.monotonic  # tests move it


def data_dir() -> Path:
    """Return the app's data folder."""
    data = current_app.config["DATA"]
    if current_app.config.get("_data_resolved", (None,))[0] != data:
        current_app.config["_data_resolved"] = (data, Path(data).resolve())
    return current_app.config["_data_resolved"][1]


def gate():
    """Serve nothing but the unlock page, /healthz and static files while locked."""
    if not lock_if_idle(current_app) and keyring.is_unlocked(data_dir()):
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
    return redirect(unlock_url())


def unlock_url() -> str:
    """Return where the laptop types the passphrase (over HTTPS: the plain side door)."""
    ca_port = current_app.config.get("CA_PORT")
    if ca_port and request.is_secure and request.remote_addr in LOCAL_ADDRESSES:
        return f"http://127.0.0.1:{ca_port}{url_for('station.unlock')}"  # TLS waits for the key
    return url_for("station.unlock")


def idle_minutes(app) -> float:
    """Return how long the station may sit without a signed-in request (0: for ever)."""
    minutes = app.config.get("LOCK_IDLE_MINUTES")
    if minutes is None or minutes == "":
        return IDLE_DEFAULT_MINUTES.get(app.config.get("ROLE", "station"), 0)
    return float(minutes)


def note_activity(response):
    """Count a request by a signed-in user or an API token as activity (keeps it unlocked)."""
    if g.get("user") is not None:
        current_app.extensions[LAST_ACTIVE] = clock()
    return response


def lock_if_idle(app) -> bool:
    """Lock the station if it sat idle past the limit; tell whether it did."""
    limit, now = idle_minutes(app) * 60, clock()
    last = app.extensions.setdefault(LAST_ACTIVE, now)
    if limit <= 0 or now - last < limit or not keyring.held(app.config["DATABASE"]):
        return False
    lock_station(app, None, "idle")
    return True


def lock_station(app, actor: str | None, reason: str = "lock now") -> None:
    """End every session and drop the key: nothing is served until the passphrase is typed."""
    try:
        database = db.connect(app.config["DATABASE"])
        try:
            auth.end_all_sessions(database, actor, reason)
        finally:
            database.close()
    except keyring.Locked:
        pass  # locked already: nobody has a session to end
    keyring.lock(Path(app.config["DATA"]))
    pool = app.extensions.get("fieldreg_pool")
    if pool is not None:
        pool.clear()
    app.config["_prepared"] = False


def watch_idle(app):
    """Check the idle limit every half minute in a thread (while serving); return stop()."""
    stop = threading.Event()
    if idle_minutes(app) <= 0:
        return stop.set

    def loop():
        while not stop.wait(IDLE_CHECK_SECONDS):
            try:
                lock_if_idle(app)
            except Exception:  # the watcher must outlive a bad moment (a full disk)
                app.logger.exception("idle lock check failed")

    threading.Thread(target=loop, name="fieldreg-idle-lock", daemon=True).start()
    return stop.set


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
    current_app.extensions[LAST_ACTIVE] = clock()
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
    db.close_db()
    lock_station(current_app, g.user["username"])
    if wants_json():
        return {"locked": True}
    return redirect(unlock_url())


def init(app) -> None:
    """Install the gate in front of every other before-request hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, gate)
    app.after_request(note_activity)
    app.extensions[LAST_ACTIVE] = clock()
    app.register_error_handler(keyring.Locked, locked_error)
    app.register_blueprint(bp)
