"""Convoy pages: the convoys and vehicles known here, creating them, closing a vehicle,
a convoy's signed count and the page where anyone checks a signed count."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from fieldreg import boarding, convoys, localtime, statements
from fieldreg.access import requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError
from fieldreg.schemas.convoys import ConvoySchema, VehicleSchema

bp = Blueprint("convoys", __name__, url_prefix="/convoys")
STATEMENT_LIMIT = 1_000_000


def actor() -> str | None:
    """Return who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


def _form_errors(exc: ValidationError) -> dict:
    """Flatten marshmallow's messages to {field: [message]} for the form macros."""
    return {k: v if isinstance(v, list) else [str(v)] for k, v in exc.messages.items()}


@bp.get("/")
@requires("convoys:read")
def index(values=None, errors=None, status=200):
    """List convoys and vehicles without a convoy, with a form to create one."""
    db = get_db()
    loose = [{**v, "counts": boarding.counts(db, v)} for v in convoys.vehicles_of(db, None)]
    return render_template(
        "convoys/index.html", convoys=convoys.list_convoys(db), loose=loose,
        values=values or {}, errors=errors or {}, kinds=convoys_kinds(),
    ), status  # fmt: skip


def convoys_kinds() -> list[tuple[str, str]]:
    """Return the vehicle kinds with their labels in the page language."""
    return [
        ("bus", _("Bus")), ("ambulance", _("Ambulance")), ("private_car", _("Private car")),
        ("pickup", _("Pick-up truck")), ("truck", _("Truck")), ("other", _("Other")),
    ]  # fmt: skip


@bp.post("/")
@requires("convoys:manage")
def create():
    """Create a convoy from the form."""
    form = request.form.to_dict()
    for name in ("planned_departure", "departed_at"):  # typed in local time, kept in UTC
        if name in form:
            form[name] = localtime.from_local(form[name])
    try:
        data = ConvoySchema(unknown=EXCLUDE).load(form)
    except ValidationError as exc:
        return index(request.form, _form_errors(exc), 400)
    made = convoys.create_convoy(get_db(), data, actor())
    return redirect(url_for("convoys.convoy", convoy_id=made["id"]))


@bp.get("/<convoy_id>")
@requires("convoys:read")
def convoy(convoy_id, values=None, errors=None, status=200):
    """Show a convoy: its vehicles, their counts, and what can be done with each."""
    db = get_db()
    found = convoys.get_convoy(db, convoy_id)
    found["vehicles"] = [{**v, "counts": boarding.counts(db, v)} for v in found["vehicles"]]
    return render_template(
        "convoys/convoy.html", convoy=found, values=values or {}, errors=errors or {},
        kinds=convoys_kinds(),
    ), status  # fmt: skip


@bp.post("/<convoy_id>/vehicles")
@requires("convoys:manage")
def add_vehicle(convoy_id):
    """Add a vehicle to a convoy from the form."""
    form = {**request.form.to_dict(), "announced": "unannounced" not in request.form}
    try:
        data = VehicleSchema(unknown=EXCLUDE).load({**form, "convoy_id": convoy_id})
    except ValidationError as exc:
        return convoy(convoy_id, request.form, _form_errors(exc), 400)
    convoys.create_vehicle(get_db(), data, actor())
    return redirect(url_for("convoys.convoy", convoy_id=convoy_id))


@bp.post("/vehicles")
@requires("convoys:manage")
def add_loose_vehicle():
    """Add a vehicle that came without a convoy (unannounced)."""
    form = {**request.form.to_dict(), "announced": False}
    try:
        data = VehicleSchema(unknown=EXCLUDE).load(form)
    except ValidationError as exc:
        return index(request.form, _form_errors(exc), 400)
    made = convoys.create_vehicle(get_db(), data, actor())
    return redirect(url_for("convoys.vehicle", vehicle_id=made["id"]))


@bp.get("/vehicles/<vehicle_id>")
@requires("convoys:read")
def vehicle(vehicle_id):
    """Show a vehicle: counts, its convoy, scanning, closing."""
    db = get_db()
    found = convoys.get_vehicle(db, vehicle_id)
    parent = convoys.get_convoy(db, found["convoy_id"]) if found["convoy_id"] else None
    return render_template(
        "convoys/vehicle.html", vehicle=found, convoy=parent, counts=boarding.counts(db, found)
    )


@bp.post("/vehicles/<vehicle_id>/close")
@requires("convoys:manage")
def close(vehicle_id):
    """Close a vehicle's boarding or arrivals (its count is final)."""
    return _set_closed(vehicle_id, True)


@bp.post("/vehicles/<vehicle_id>/reopen")
@requires("convoys:manage")
def reopen(vehicle_id):
    """Reopen a vehicle's boarding or arrivals."""
    return _set_closed(vehicle_id, False)


def _set_closed(vehicle_id: str, closed: bool):
    side = request.form.get("side", "")
    if side not in convoys.CLOSED_COLUMN:
        raise DomainError(_("Choose boarding or arrivals."), {"side": [_("Unknown.")]})
    convoys.set_closed(get_db(), vehicle_id, side, closed, actor())
    return redirect(url_for("convoys.vehicle", vehicle_id=vehicle_id))


@bp.post("/<convoy_id>/statement")
@requires("convoys:manage")
def statement(convoy_id):
    """Download the convoy's count, signed with this site's key."""
    signed = statements.sign(get_db(), convoy_id, actor())
    reference = "".join(ch for ch in signed["statement"]["convoy"]["reference"] if ch.isalnum())
    name = f"convoy-{reference or convoy_id[-8:]}-count.json"
    return Response(
        json.dumps(signed, ensure_ascii=False, indent=1), mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@bp.route("/verify", methods=["GET", "POST"])
@requires("convoys:read")
def verify():
    """Check a signed count: upload the file (or paste it); say if it is intact and whose."""
    if request.method == "GET":
        return render_template("convoys/verify.html", checked=None)
    upload = request.files.get("file")
    data = upload.read(STATEMENT_LIMIT) if upload else request.form.get("text", "").encode()
    checked = statements.verify(data, request.form.get("key", "").strip() or None)
    checked["known_key"] = statements.known_key(get_db(), checked.get("public_key"))
    return render_template("convoys/verify.html", checked=checked)
