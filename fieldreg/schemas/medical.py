"""Schemas of triage entries, the medical queue, movements and scans (see schemas.py)."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from fieldreg.schemas.records import DESTINATION_KINDS, TRANSPORTS, StrippedSchema, _text

# SALT categories, most urgent first; START's black is both expectant and dead.
CATEGORIES = ("immediate", "delayed", "minor", "expectant", "dead")
COLOURS = {
    "immediate": "red",
    "delayed": "yellow",
    "minor": "green",
    "expectant": "grey",
    "dead": "black",
}
INJURIES = ("gunshot", "shrapnel_blast", "burn", "fracture", "crush")
CHRONIC = ("diabetes", "hypertension", "kidney_dialysis", "heart", "cancer")
OTHER_CONDITIONS = ("pregnancy", "malnutrition", "mental_distress", "other")
CONDITIONS = INJURIES + CHRONIC + OTHER_CONDITIONS
MOBILITY = ("walks", "needs_help", "stretcher")
REFERRAL_STATUSES = ("waiting", "transferred", "treated", "refused")
REFERRAL_TRANSPORTS = ("ambulance", "private_car", "bus", "on_foot", "other")
MOVEMENT_KINDS = ("departed", "transferred", "returned")
STATUSES = ("present", "departed", "transferred")


class ReferralSchema(StrippedSchema):
    """Where a patient is referred, how, and how far that has got."""

    hospital = _text(validate=validate.Length(max=100))
    transport = fields.String(allow_none=True, validate=validate.OneOf(REFERRAL_TRANSPORTS))
    status = fields.String(load_default="waiting", validate=validate.OneOf(REFERRAL_STATUSES))


class TriageSchema(StrippedSchema):
    """One triage entry: the person's whole medical state at that moment."""

    id = fields.String(dump_only=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    colour = fields.String(dump_only=True)
    conditions = fields.List(
        fields.String(validate=validate.OneOf(CONDITIONS)),
        load_default=list,
        validate=validate.Length(max=len(CONDITIONS)),
    )
    condition_other = _text(validate=validate.Length(max=200))
    mobility = fields.String(allow_none=True, validate=validate.OneOf(MOBILITY))
    referral = fields.Nested(ReferralSchema, allow_none=True, load_default=None)
    note = _text(validate=validate.Length(max=2000))
    actor = fields.String(dump_only=True)
    at = fields.String(dump_only=True)

    @validates_schema
    def check_other(self, data, **_kwargs):
        """Ask for the text of an 'other' condition."""
        if "other" in data.get("conditions", []) and not data.get("condition_other"):
            raise ValidationError("Say which other condition.", "condition_other")

    @post_load
    def tick_other(self, data, **_kwargs):
        """Count a described other condition as 'other'; keep each condition once."""
        conditions = list(dict.fromkeys(data.get("conditions", [])))
        if data.get("condition_other") and "other" not in conditions:
            conditions.append("other")
        return {**data, "conditions": conditions}


class TriageHistorySchema(Schema):
    """A person's triage entries, newest first, and the current one."""

    person_code = fields.String()
    current = fields.Nested(TriageSchema, allow_none=True)
    history = fields.List(fields.Nested(TriageSchema))


class QueueArgsSchema(Schema):
    """Filters of the medical queue."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(
        load_default="open", validate=validate.OneOf(("open", "all", *REFERRAL_STATUSES))
    )
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))


class QueueEntrySchema(Schema):
    """One flagged person in the queue."""

    person_code = fields.String()
    household_code = fields.String()
    name = fields.String()
    sex = fields.String()
    age_years = fields.Integer(allow_none=True)
    category = fields.String()
    colour = fields.String()
    conditions = fields.List(fields.String())
    mobility = fields.String(allow_none=True)
    referral_status = fields.String()
    hospital = fields.String(allow_none=True)
    flagged_at = fields.String()
    triaged_at = fields.String()
    waiting_minutes = fields.Integer()


class QueueSchema(Schema):
    """The medical queue: most urgent first, then longest waiting."""

    status = fields.String()
    count = fields.Integer()
    people = fields.List(fields.Nested(QueueEntrySchema))


class MovementDestinationSchema(StrippedSchema):
    """Where people went."""

    kind = fields.String(load_default="unknown", validate=validate.OneOf(DESTINATION_KINDS))
    name = _text(validate=validate.Length(max=100))
    place = _text(validate=validate.Length(max=100))


class MovementSchema(StrippedSchema):
    """A departure, a transfer to hospital, or a return, of a household or one person."""

    id = fields.String(dump_only=True)
    person_code = fields.String(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(MOVEMENT_KINDS))
    destination = fields.Nested(MovementDestinationSchema, load_default=dict)
    transport = fields.String(allow_none=True, validate=validate.OneOf(TRANSPORTS))
    note = _text(validate=validate.Length(max=500))
    at = fields.DateTime(allow_none=True)
    actor = fields.String(dump_only=True)


class MovementResultSchema(Schema):
    """The movements just recorded and where everyone stands now."""

    movements = fields.List(fields.Nested(MovementSchema))
    status = fields.String()
    people = fields.Dict(keys=fields.String(), values=fields.String())


class ScanResultSchema(Schema):
    """The record a scanned code belongs to."""

    code = fields.String()
    kind = fields.String()
    record_code = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    record = fields.Dict(allow_none=True)


class TagBindSchema(Schema):
    """A pre-printed tag to bind to a registered person."""

    tag_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
