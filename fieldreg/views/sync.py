"""Sync pages: the station's sync panel and "sync now", HQ's stations, the conflicts view."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from fieldreg import bodies, conflicts, field_labels, quarantine, syncing
from fieldreg.access import allowed, requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError

bp = Blueprint("sync", __name__, url_prefix="/sync")


def _actor() -> str | None:
    return g.user["username"] if g.get("user") else None


def _may(permission: str) -> bool:
    """Tell whether the signed-in user's role holds a permission."""
    return allowed(g.user["role"], permission)


@bp.get("/")
@requires("sync:run")
def panel():
    """Show the station's sync state: last success, pending changes, errors."""
    if current_app.config["ROLE"] == "hq":
        return redirect(url_for("sync.stations"))
    state = conflicts.status(get_db())
    refused = quarantine.refused(get_db(), own_check=False) if state.get("joined") else []
    return render_template(
        "sync/panel.html",
        state=state,
        outcome=request.args.get("outcome"),
        refused=refused,
        may_set_aside=_may("sync:set_aside"),
    )


@bp.post("/refused/<seq>")
@requires("sync:set_aside")
def set_aside(seq: str):
    """Set aside a change HQ refuses for ever (kept in the quarantine), so the rest push."""
    number = bodies.whole_number(seq, digits=18)
    if number is None:
        abort(404)
    quarantine.set_aside(get_db(), number, _actor())
    return redirect(url_for("sync.panel", outcome="set_aside"))


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
    rows = conflicts.open_conflicts(get_db(), may=_may)
    return render_template(
        "sync/conflicts.html",
        conflicts=rows,
        field_label=field_labels.field_label,
        field_value=field_labels.field_value,
    )


@bp.post("/conflicts/<conflict_id>")
@requires("sync:conflicts")
def resolve(conflict_id: str):
    """Keep the current value or restore the one that lost."""
    number = bodies.whole_number(conflict_id, digits=18)
    if number is None:
        abort(404)
    choice = request.form.get("choice", "")
    conflicts.resolve(get_db(), number, choice, _actor(), may=_may)
    return redirect(url_for("sync.conflict_list"))
