"""Schemas of the protection API: audit entries, users, tokens, a person's held data."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from fieldreg.config import ROLES
from fieldreg.schemas.records import HouseholdSchema, PersonSchema


class AuditArgsSchema(Schema):
    """Filters of the audit log (all optional, combined with AND)."""

    class Meta:
        unknown = EXCLUDE

    actor = fields.String(validate=validate.Length(max=80))
    action = fields.String(validate=validate.Length(max=40))
    tbl = fields.String(validate=validate.Length(max=40))
    record_id = fields.String(validate=validate.Length(max=80))
    address = fields.String(validate=validate.Length(max=80))
    device = fields.String(validate=validate.Length(max=80))
    since = fields.DateTime()
    until = fields.DateTime()
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 5000))


class AuditEntrySchema(Schema):
    """One audit entry: who did what to which record, when, from which address (and device)."""

    id = fields.Integer()
    at = fields.String()
    actor = fields.String(allow_none=True)
    action = fields.String()
    tbl = fields.String(allow_none=True)
    record_id = fields.String(allow_none=True)
    address = fields.String(
        allow_none=True, metadata={"description": "The connection's address, as the server saw it"}
    )
    device = fields.String(
        allow_none=True, metadata={"description": "The label the client sent (X-Device-Id)"}
    )
    detail = fields.String(allow_none=True)


class AuditListSchema(Schema):
    """A page of the audit log, newest first."""

    entries = fields.List(fields.Nested(AuditEntrySchema))


class TokenSchema(Schema):
    """An API token as listed: never its secret."""

    id = fields.String()
    name = fields.String()
    role = fields.String()
    created_at = fields.String()
    revoked_at = fields.String(allow_none=True)


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))


class UserSchema(Schema):
    """A user as listed: never the PIN hash."""

    id = fields.String()
    username = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    disabled = fields.Boolean()
    locked_until = fields.String(allow_none=True)


class UserListSchema(Schema):
    users = fields.List(fields.Nested(UserSchema))


class HeldSchema(Schema):
    """Everything held about a person (providers of other areas add keys)."""

    class Meta:
        unknown = EXCLUDE

    person = fields.Nested(PersonSchema)
    household = fields.Nested(HouseholdSchema)
    audit = fields.List(fields.Dict())
    other = fields.Dict(keys=fields.String(), metadata={"description": "Data of other areas."})


class ErasedSchema(Schema):
    id = fields.String()
    erased = fields.Boolean()
