"""Schemas of convoys, vehicles, boarding and arrival scans, reconciliations, imported lists."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from fieldreg.schemas.records import StrippedSchema

VEHICLE_KINDS = ("bus", "ambulance", "private_car", "pickup", "truck", "other")
SCAN_KINDS = ("board", "arrive")
SIDES = ("boarding", "arrivals")
TEXT = validate.Length(max=200)


class Stamp(fields.DateTime):
    """A time: read as any ISO 8601 date-time, written back as stored (UTC ISO text)."""

    def _serialize(self, value, attr, obj, **kwargs):
        """Write a stored time as it is; a datetime as ISO text."""
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


def _text(**kwargs) -> fields.String:
    """Return an optional, length-limited text field."""
    return fields.String(allow_none=True, validate=kwargs.pop("validate", TEXT), **kwargs)


class ConvoySchema(StrippedSchema):
    """A convoy: where and when it leaves, where it goes, who runs it; its vehicles."""

    id = fields.UUID(load_default=None)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=60))
    agency = _text()
    origin = _text()
    departure_point = _text()
    destination = _text()
    planned_departure = Stamp(allow_none=True)
    departed_at = Stamp(allow_none=True)
    notes = _text(validate=validate.Length(max=2000))
    station = fields.String(dump_only=True)
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)
    vehicles = fields.List(fields.Dict(), dump_only=True)


class VehicleSchema(StrippedSchema):
    """A vehicle of a convoy (or an unannounced one): kind, plate, driver, manifest count."""

    id = fields.UUID(load_default=None)
    convoy_id = fields.UUID(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(VEHICLE_KINDS))
    label = _text(validate=validate.Length(max=60))
    plate = _text(validate=validate.Length(max=30))
    driver_phone = _text(validate=validate.Length(max=40))
    expected = fields.Integer(allow_none=True, strict=False, validate=validate.Range(0, 1000))
    announced = fields.Boolean(load_default=True)
    notes = _text(validate=validate.Length(max=2000))
    station = fields.String(dump_only=True)
    boarding_closed_at = fields.String(dump_only=True, allow_none=True)
    boarding_closed_by = fields.String(dump_only=True, allow_none=True)
    arrival_closed_at = fields.String(dump_only=True, allow_none=True)
    arrival_closed_by = fields.String(dump_only=True, allow_none=True)
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)
    counts = fields.Dict(dump_only=True)


class ConvoyUpdateSchema(ConvoySchema):
    """The convoy fields that can be corrected (each optional)."""

    class Meta:
        exclude = ("id",)


class VehicleUpdateSchema(VehicleSchema):
    """The vehicle fields that can be corrected (each optional)."""

    class Meta:
        exclude = ("id",)


class CloseSchema(Schema):
    """Which side of a vehicle's trip to close or reopen."""

    side = fields.String(required=True, validate=validate.OneOf(SIDES))


class ScanSchema(StrippedSchema):
    """A tag scanned at a vehicle's door: plain, or sealed by a tablet (epk, iv, ct)."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(validate=validate.Length(min=1, max=40))
    kind = fields.String(validate=validate.OneOf(SCAN_KINDS))
    client_id = fields.UUID(load_default=None)
    at = fields.DateTime(allow_none=True)
    epk = fields.String(validate=validate.Length(max=200))
    iv = fields.String(validate=validate.Length(max=40))
    ct = fields.String(validate=validate.Length(max=10_000))

    @validates_schema
    def check_plain_or_sealed(self, data, **_kwargs):
        """Ask for a code and a kind, unless the scan comes sealed."""
        if "ct" in data:
            if not (data.get("client_id") and data.get("epk") and data.get("iv")):
                raise ValidationError("A sealed scan has client_id, epk, iv and ct.", "ct")
            return
        for name in ("code", "kind"):
            if not data.get(name):
                raise ValidationError("Missing data for required field.", name)


class ScannedPersonSchema(Schema):
    """A person a scan named, for the registrar at the door."""

    code = fields.String()
    name = fields.String()
    vehicle = fields.String(allow_none=True)


class BoardingResultSchema(Schema):
    """What a scan did: who was added, who was already on, who is also on another vehicle."""

    status = fields.String(metadata={"description": "ok | warning | unknown"})
    message = fields.String()
    code = fields.String()
    kind = fields.String()
    record_kind = fields.String(metadata={"description": "household | person | unknown"})
    added = fields.List(fields.Nested(ScannedPersonSchema))
    already = fields.List(fields.Nested(ScannedPersonSchema))
    elsewhere = fields.List(fields.Nested(ScannedPersonSchema))
    counts = fields.Dict()
    replayed = fields.Boolean()


class ReconciliationSchema(Schema):
    """A vehicle's or a convoy's counts and the differences between them, as names."""

    id = fields.String()
    label = fields.String()
    expected = fields.Integer(allow_none=True)
    boarded = fields.Integer()
    arrived = fields.Integer()
    arrived_on_vehicle = fields.Integer(
        metadata={"description": "scanned off it, or registered as having come on it"}
    )
    arrived_elsewhere = fields.Integer(
        metadata={"description": "of ``arrived``: found at a station by deduplication (HQ)"}
    )
    clustered = fields.Boolean()
    boarded_records = fields.Integer()
    arrived_records = fields.Integer()
    lists = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    explanation = fields.Dict()
    vehicles = fields.List(fields.Dict())


class OverviewSchema(Schema):
    """Across stations: in transit, arrived and overdue people (unique, by dedup cluster)."""

    overdue_hours = fields.Float()
    boarded = fields.Integer()
    arrived = fields.Integer()
    in_transit = fields.Integer()
    overdue = fields.Integer()
    arrived_without_boarding = fields.Integer()
    arrived_elsewhere = fields.Integer(
        metadata={"description": "of ``arrived``: found at a station by deduplication (HQ)"}
    )
    clustered = fields.Boolean()
    overdue_people = fields.List(fields.Dict())
    in_transit_people = fields.List(fields.Dict())
    arrived_elsewhere_people = fields.List(fields.Dict())


class ListArgsSchema(Schema):
    """An imported list's name, agency, scope and (optionally) its column mapping."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(load_default="", validate=validate.Length(max=100))
    agency = fields.String(load_default="", validate=validate.Length(max=100))
    scope = fields.String(load_default="all", validate=validate.Length(max=60))
    encoding = fields.String(load_default="auto", validate=validate.Length(max=20))
    mapping = fields.String(load_default=None, metadata={"description": "JSON {column: field}"})


class MappingSchema(Schema):
    """Which of the list's columns holds which field."""

    mapping = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    scope = fields.String(load_default=None, validate=validate.Length(max=60))


class ForeignListSchema(Schema):
    """An imported list: its columns, mapping and, once mapped, its reconciliation."""

    id = fields.String()
    name = fields.String()
    agency = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    scope = fields.String()
    header = fields.List(fields.String())
    rows = fields.Integer()
    mapping = fields.Dict(allow_none=True)
    suggested = fields.Dict()
    created_at = fields.String()
    reconciled_at = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)


class StatementCheckSchema(Schema):
    """What checking a signed statement found."""

    valid = fields.Boolean()
    message = fields.String()
    signer = fields.String(allow_none=True)
    public_key = fields.String(allow_none=True)
    fingerprint = fields.String(allow_none=True)
    known_key = fields.String(allow_none=True)
    statement = fields.Dict(allow_none=True)
