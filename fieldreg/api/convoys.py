"""JSON API of convoys and vehicles: records, boarding and arrival scans, reconciliation,
people in transit and overdue, signed counts (mounted under /api/v1)."""

from __future__ import annotations

from flask import current_app, g, request
from marshmallow import ValidationError

from fieldreg import boarding, convoys, devices, reconcile, statements
from fieldreg import transit as in_transit
from fieldreg.access import allowed, requires
from fieldreg.api import Blueprint, actor
from fieldreg.db import get_db
from fieldreg.errors import DomainError
from fieldreg.schemas.convoys import (
    BoardingResultSchema,
    CloseSchema,
    ConvoySchema,
    ConvoyUpdateSchema,
    OverviewSchema,
    ReconciliationSchema,
    ScanSchema,
    StatementCheckSchema,
    VehicleSchema,
    VehicleUpdateSchema,
)

blp = Blueprint("convoys_api", __name__, url_prefix="/api/v1", description="Convoys")


def _with_counts(vehicle: dict) -> dict:
    """Add a vehicle's expected, boarded and arrived counts."""
    return {**vehicle, "counts": boarding.counts(get_db(), vehicle)}


def _convoy(convoy: dict) -> dict:
    return {**convoy, "vehicles": [_with_counts(v) for v in convoy["vehicles"]]}


@blp.route("/convoys", methods=["GET"])
@requires("convoys:read")
@blp.response(200, ConvoySchema(many=True))
def list_convoys():
    """List the convoys known here, newest first."""
    db = get_db()
    return [{**c, "vehicles": convoys.vehicles_of(db, c["id"])} for c in convoys.list_convoys(db)]


@blp.route("/convoys", methods=["POST"])
@requires("convoys:manage")
@blp.arguments(ConvoySchema())
@blp.response(201, ConvoySchema())
def create_convoy(data):
    """Create a convoy (a client-made id makes a retry answer the same convoy)."""
    return _convoy(convoys.create_convoy(get_db(), data, actor()))


@blp.route("/convoys/<convoy_id>", methods=["GET"])
@requires("convoys:read")
@blp.response(200, ConvoySchema())
def get_convoy(convoy_id):
    """Return a convoy with its vehicles and their counts."""
    return _convoy(convoys.get_convoy(get_db(), convoy_id))


@blp.route("/convoys/<convoy_id>", methods=["PATCH"])
@requires("convoys:manage")
@blp.arguments(ConvoyUpdateSchema(partial=True))
@blp.response(200, ConvoySchema())
def update_convoy(data, convoy_id):
    """Correct a convoy (only the fields sent change)."""
    return _convoy(convoys.update_convoy(get_db(), convoy_id, data, actor()))


@blp.route("/convoys/<convoy_id>/vehicles", methods=["POST"])
@requires("convoys:manage")
@blp.arguments(VehicleSchema())
@blp.response(201, VehicleSchema())
def add_vehicle(data, convoy_id):
    """Add a vehicle to a convoy."""
    data["convoy_id"] = convoy_id
    return _with_counts(convoys.create_vehicle(get_db(), data, actor()))


@blp.route("/vehicles", methods=["POST"])
@requires("convoys:manage")
@blp.arguments(VehicleSchema())
@blp.response(201, VehicleSchema())
def create_vehicle(data):
    """Create a vehicle, with or without a convoy (an unannounced one: announced false)."""
    return _with_counts(convoys.create_vehicle(get_db(), data, actor()))


@blp.route("/vehicles/<vehicle_id>", methods=["GET"])
@requires("convoys:read")
@blp.response(200, VehicleSchema())
def get_vehicle(vehicle_id):
    """Return a vehicle and its counts."""
    return _with_counts(convoys.get_vehicle(get_db(), vehicle_id))


@blp.route("/vehicles/<vehicle_id>", methods=["PATCH"])
@requires("convoys:manage")
@blp.arguments(VehicleUpdateSchema(partial=True))
@blp.response(200, VehicleSchema())
def update_vehicle(data, vehicle_id):
    """Correct a vehicle (only coordinators and admins; closed or not)."""
    return _with_counts(convoys.update_vehicle(get_db(), vehicle_id, data, actor()))


@blp.route("/vehicles/<vehicle_id>/close", methods=["POST"])
@requires("convoys:manage")
@blp.arguments(CloseSchema())
@blp.response(200, VehicleSchema())
def close_vehicle(data, vehicle_id):
    """Close a vehicle's boarding or arrivals: that count is final (registrars cannot scan)."""
    return _with_counts(convoys.set_closed(get_db(), vehicle_id, data["side"], True, actor()))


@blp.route("/vehicles/<vehicle_id>/reopen", methods=["POST"])
@requires("convoys:manage")
@blp.arguments(CloseSchema())
@blp.response(200, VehicleSchema())
def reopen_vehicle(data, vehicle_id):
    """Reopen a vehicle's boarding or arrivals."""
    return _with_counts(convoys.set_closed(get_db(), vehicle_id, data["side"], False, actor()))


@blp.route("/vehicles/<vehicle_id>/scans", methods=["POST"])
@requires("convoys:scan")
@blp.arguments(ScanSchema())
@blp.response(201, BoardingResultSchema())
def scan(data, vehicle_id):
    """Scan a tag at a vehicle's door (boarding or arrival); a tablet's retry is answered once."""
    if "ct" in data:
        data = _opened(data)
    may = allowed(g.user["role"], "convoys:manage")
    done = boarding.scan(get_db(), vehicle_id, data, actor(), may)
    return done, (200 if done["replayed"] else 201)


def _opened(envelope: dict) -> dict:
    """Open a scan a tablet sealed for this station, and check it like a plain one."""
    key = devices.station_key(current_app.config["DATA"])
    inner = devices.open_sealed(key, {**envelope, "client_id": str(envelope["client_id"])})
    try:
        data = ScanSchema().load({**inner, "client_id": str(envelope["client_id"])})
    except ValidationError as exc:
        raise DomainError("Some fields are not valid.", exc.messages) from exc
    if "ct" in data:
        raise DomainError("A sealed scan holds a plain one.", {"ct": ["Nested."]})
    return data


HOURS_PARAMETER = {
    "in": "query",
    "name": "hours",
    "required": False,
    "description": "overdue after this many hours (1 to 168; 400 otherwise); default: "
    "FIELDREG_CONVOY_OVERDUE_HOURS",
    "schema": {"type": "number", "minimum": in_transit.HOURS[0], "maximum": in_transit.HOURS[1]},
}


@blp.route("/vehicles/<vehicle_id>/reconciliation", methods=["GET"])
@requires("convoys:reconcile")
@blp.response(200, ReconciliationSchema())
def vehicle_reconciliation(vehicle_id):
    """Reconcile a vehicle: expected, boarded, arrived, and the differences as names."""
    return reconcile.vehicle(get_db(), vehicle_id, limit=None)


@blp.route("/convoys/<convoy_id>/reconciliation", methods=["GET"])
@requires("convoys:reconcile")
@blp.response(200, ReconciliationSchema())
def convoy_reconciliation(convoy_id):
    """Reconcile a convoy and each of its vehicles."""
    return reconcile.convoy(get_db(), convoy_id, limit=None)


@blp.route("/transit", methods=["GET"])
@requires("convoys:reconcile")
@blp.doc(parameters=[HOURS_PARAMETER])
@blp.response(200, OverviewSchema())
def transit():
    """Across stations: who is in transit, arrived, and overdue (boarded > N hours ago)."""
    default = current_app.config["CONVOY_OVERDUE_HOURS"]
    hours = in_transit.overdue_hours(request.args.get("hours"), default)
    return in_transit.overview(get_db(), hours)


@blp.route("/convoys/<convoy_id>/statement", methods=["GET"])
@requires("convoys:manage")
def statement(convoy_id):
    """Return the convoy's count as a statement signed with this site's key."""
    return statements.sign(get_db(), convoy_id, actor())


@blp.route("/statements/verify", methods=["POST"])
@requires("convoys:read")
@blp.response(200, StatementCheckSchema())
def verify_statement():
    """Check a signed statement (the JSON body): intact, and whose key signed it."""
    checked = statements.verify(request.get_data(), request.args.get("key"))
    return {**checked, "known_key": statements.known_key(get_db(), checked.get("public_key"))}
