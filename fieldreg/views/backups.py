"""The coordinator's backup page: the last good backup, failures in plain words, back up now."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for

from fieldreg import backup
from fieldreg.access import requires
from fieldreg.db import get_db

bp = Blueprint("backups", __name__)


@bp.get("/backups")
@requires("backup:read")
def index():
    """Show the last good backup, the latest failure if any, and recent attempts."""
    folder, minutes, keep = backup.settings(current_app.config)
    return render_template(
        "backups/index.html",
        status=backup.status(get_db()),
        folder=folder,
        minutes=int(minutes) if float(minutes).is_integer() else round(minutes, 1),
        keep=keep,
    )


@bp.post("/backups")
@requires("backup:run")
def run_now():
    """Write a backup now, then show the page with its outcome."""
    folder, _minutes, keep = backup.settings(current_app.config)
    backup.run(current_app.config["DATABASE"], folder, keep)
    return redirect(url_for("backups.index"))
