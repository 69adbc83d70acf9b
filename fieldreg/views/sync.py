"""Sync pages: the station's sync panel and "sync now", HQ's stations, the conflicts view."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from fieldreg import conflicts, syncing
from fieldreg.access import allowed, requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError

bp = Blueprint("sync", __name__, url_prefix="/sync")


def _actor() -> str | None:
    return g.user["username"] if g.get("user") else None


@bp.get("/")
@requires("sync:run")
def panel():
    """Show the station's sync state: last success, pending changes, errors."""
    if current_app.config["ROLE"] == "hq":
        return redirect(url_for("sync.stations"))
    return render_template(
        "sync/panel.html", state=conflicts.status(get_db()), outcome=request.args.get("outcome")
    )


@bp.post("/now")
@requires("sync:run")
def sync_now():
    """Push and pull now, then show the panel with the outcome."""
    try:
        report = syncing.run_sync(get_db())
        outcome = f"{report.pushed}/{report.pulled}"
    except DomainError as exc:
        outcome = "error"
        current_app.logger.warning("sync now failed: %s", exc.message)
    return redirect(url_for("sync.panel", outcome=outcome))


@bp.get("/stations")
@requires("sync:stations")
def stations():
    """List the stations that sync to this HQ."""
    return render_template("sync/stations.html", stations=conflicts.stations(get_db()))


@bp.get("/conflicts")
@requires("sync:conflicts")
def conflict_list():
    """Show the values that lost a merge, for a coordinator to confirm or restore."""
    rows = conflicts.open_conflicts(get_db())
    for row in rows:
        needed = conflicts.WRITE_PERMISSION.get(row["tbl"])
        row["may_resolve"] = needed is not None and allowed(g.user["role"], needed)
    return render_template("sync/conflicts.html", conflicts=rows)


@bp.post("/conflicts/<conflict_id>")
@requires("sync:conflicts")
def resolve(conflict_id: str):
    """Keep the current value or restore the one that lost."""
    if not conflict_id.isdigit():
        abort(404)
    needed = conflicts.write_permission(get_db(), int(conflict_id))
    if needed is None or not allowed(g.user["role"], needed):
        abort(403, description="Your role may not change this record, so it may not resolve this.")
    conflicts.resolve(get_db(), int(conflict_id), request.form.get("choice", ""), _actor())
    return redirect(url_for("sync.conflict_list"))
