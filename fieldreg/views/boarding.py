"""Pages at a vehicle's door and after: scanning people on and off, the reconciliation of a
vehicle and of a convoy, and who is in transit or overdue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import gettext as _

from fieldreg import boarding, convoys, reconcile
from fieldreg import transit as in_transit
from fieldreg.access import allowed, requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError

bp = Blueprint("boarding", __name__, url_prefix="/convoys")
KINDS = ("board", "arrive")


def _kind() -> str:
    kind = request.values.get("kind", "board")
    if kind not in KINDS:
        abort(400, description=_("A scan is a boarding or an arrival."))
    return kind


def scan_words(kind: str) -> dict[str, str]:
    """Return what the scan page says of a scan, in the page language, with {names}, {code}
    and {vehicle} left for the tablet (boarding.js) or the page itself to fill in."""
    names, code, vehicle = "{names}", "{code}", "{vehicle}"
    if kind == "arrive":
        ok = _("Arrived: %(names)s", names=names)
        warning = _(
            "Arrived: %(names)s. Also scanned on %(vehicle)s!", names=names, vehicle=vehicle
        )
    else:
        ok = _("Boarded: %(names)s", names=names)
        warning = _(
            "Boarded: %(names)s. Also scanned on %(vehicle)s!", names=names, vehicle=vehicle
        )
    return {
        "ok": ok,
        "warning": warning,
        "unknown": _(
            "Unknown tag %(code)s: recorded, and matched when its record arrives.", code=code
        ),
        "already": _("Already scanned on this vehicle: %(code)s", code=code),
        "invalid": _("Not a valid code (check the typing): %(code)s", code=code),
        "closed": _("This side of the vehicle is closed: only a coordinator can still scan."),
        "queued": _(
            "Saved on this tablet: %(code)s; sent when the station is reachable.", code=code
        ),
        "sending": _("Sending %(code)s…", code=code),
        "refused": _("Refused: %(code)s", code=code),
    }


def _said(words: dict, code: str, result=None, error=None) -> str:
    """Say what the last scan sent without JavaScript did (the domain speaks English)."""
    if error is not None:
        key = {"invalid_code": "invalid", "already_scanned": "already"}.get(error.code)
        key = "closed" if error.code == "vehicle_closed" else key or "refused"
        return words[key].replace("{code}", code)
    names = ", ".join(p["name"] for p in result["added"])
    where = ", ".join(sorted({e["vehicle"] for e in result["elsewhere"]}))
    said = words[result["status"]].replace("{names}", names).replace("{vehicle}", where)
    return said.replace("{code}", result["code"])


def _scan_page(vehicle_id: str, kind: str, result=None, error=None, status: int = 200):
    """Render the scan page of a vehicle, with what the last scan did."""
    db = get_db()
    found = convoys.get_vehicle(db, vehicle_id)
    words = scan_words(kind)
    code = request.form.get("code", "")
    return render_template(
        "convoys/scan.html",
        vehicle=found,
        kind=kind,
        words=words,
        said=_said(words, code, result, error) if result or error else "",
        counts=boarding.counts(db, found),
        scanned=boarding.scanned_codes(db, vehicle_id, kind),
        closed=bool(found["boarding_closed_at" if kind == "board" else "arrival_closed_at"]),
        result=result,
        error=error,
    ), status


@bp.get("/vehicles/<vehicle_id>/scan")
@requires("convoys:scan")
def scan_page(vehicle_id):
    """The door of a vehicle: scan tags as people board (or arrive); works offline with JS."""
    return _scan_page(vehicle_id, _kind())


@bp.post("/vehicles/<vehicle_id>/scan")
@requires("convoys:scan")
def scan(vehicle_id):
    """Record one scan sent by the form (without JavaScript), and show the page again."""
    kind = _kind()
    data = {"code": request.form.get("code", ""), "kind": kind}
    may = allowed(g.user["role"], "convoys:manage")
    try:
        result = boarding.scan(get_db(), vehicle_id, data, g.user["username"], may)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _scan_page(vehicle_id, kind, error=exc, status=exc.status)
    return _scan_page(vehicle_id, kind, result=result)


@bp.get("/vehicles/<vehicle_id>/reconciliation")
@requires("convoys:reconcile")
def vehicle_reconciliation(vehicle_id):
    """Reconcile a vehicle: expected, boarded, arrived, and every difference by name."""
    found = reconcile.vehicle(get_db(), vehicle_id)
    return render_template("convoys/reconciliation.html", r=found, convoy=None)


@bp.get("/<convoy_id>/reconciliation")
@requires("convoys:reconcile")
def convoy_reconciliation(convoy_id):
    """Reconcile a convoy and each of its vehicles (printable)."""
    db = get_db()
    found = reconcile.convoy(db, convoy_id)
    return render_template(
        "convoys/reconciliation.html", r=found, convoy=convoys.get_convoy(db, convoy_id)
    )


@bp.get("/transit")
@requires("convoys:reconcile")
def transit():
    """Who is in transit, who arrived, who is overdue (boarded over N hours ago)."""
    default = current_app.config["CONVOY_OVERDUE_HOURS"]
    hours = in_transit.overdue_hours(request.args.get("hours"), default)
    return render_template("convoys/transit.html", o=in_transit.overview(get_db(), hours))
