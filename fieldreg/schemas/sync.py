"""Schemas of sync operations people take at HQ: handing a record over to another station."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class HandOverSchema(Schema):
    """Which household (with its members) or person, and the station that will own it."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    station = fields.String(required=True, validate=validate.Length(equal=3))


class HandOverResultSchema(Schema):
    """What a handover did."""

    code = fields.String()
    owner = fields.String()
    records = fields.Integer(metadata={"description": "records that belong to the owner now"})
    handed = fields.Integer(metadata={"description": "of those, how many changed owner"})
