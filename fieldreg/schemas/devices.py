"""Schemas of the tablets' API: code blocks for offline registration, outbox deliveries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldreg import devices


class BlockArgsSchema(Schema):
    """A tablet's request for codes."""

    device_id = fields.UUID(load_default=None)
    count = fields.Integer(load_default=100, validate=validate.Range(1, devices.MAX_BLOCK))


class BlockSchema(Schema):
    """A block of codes only this tablet may give out, and the key to seal records with."""

    device_id = fields.String()
    station = fields.String()
    codes = fields.List(fields.String())
    station_key = fields.String(metadata={"description": "P-256 public key, raw, base64url"})


class OutboxSchema(Schema):
    """One queued registration: sealed for the station (epk, iv, ct) or, on plain HTTP, plain."""

    client_id = fields.UUID(required=True)
    epk = fields.String(validate=validate.Length(max=200))
    iv = fields.String(validate=validate.Length(max=40))
    ct = fields.String(validate=validate.Length(max=1_000_000))
    fields_ = fields.List(
        fields.List(fields.String(), validate=validate.Length(equal=2)),
        data_key="fields",
        validate=validate.Length(max=2000),
    )


class OpenedSchema(Schema):
    """A queued record the station opened again for the tablet that sealed it, to correct."""

    client_id = fields.String()
    fields_ = fields.List(fields.List(fields.String()), data_key="fields")
