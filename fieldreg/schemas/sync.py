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


class ConflictSchema(Schema):
    """A field two places changed: the value kept in the record and the one that lost."""

    id = fields.Integer()
    tbl = fields.String()
    record_id = fields.String()
    code = fields.String(allow_none=True)
    field = fields.String()
    kept = fields.Raw(allow_none=True)
    lost = fields.Raw(allow_none=True)
    at = fields.String()
    may_resolve = fields.Boolean(
        metadata={"description": "whether the caller's role may change this record"}
    )


class ConflictListSchema(Schema):
    """Unresolved conflicts, oldest first."""

    conflicts = fields.List(fields.Nested(ConflictSchema))


class ResolveSchema(Schema):
    """Keep the current value, or write the value that lost back (it then wins everywhere)."""

    choice = fields.String(required=True, validate=validate.OneOf(("kept", "lost")))


class ResolvedSchema(Schema):
    """A resolved conflict."""

    id = fields.Integer()
    resolution = fields.String()
