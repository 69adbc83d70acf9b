"""Schemas of deduplication review: a scored pair, the queue, a reviewer's decision."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

VERDICTS = ("confirm", "reject", "undo")


class ReviewArgsSchema(Schema):
    """How many pairs to list."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class PairPersonSchema(Schema):
    """One side of a pair, as the review shows it."""

    id = fields.String()
    code = fields.String()
    given_name = fields.String(allow_none=True)
    father_name = fields.String(allow_none=True)
    mother_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    date_of_birth = fields.String(allow_none=True)
    age_years = fields.Integer(allow_none=True)
    phone = fields.String(allow_none=True)
    origin = fields.String(allow_none=True)
    household_id = fields.String()
    station = fields.String()


class PairSchema(Schema):
    """A scored pair: both people, the weight in bits, and each field's level and weight."""

    a = fields.Nested(PairPersonSchema)
    b = fields.Nested(PairPersonSchema)
    score = fields.Float()
    probability = fields.Float()
    status = fields.String()
    fields_ = fields.Dict(data_key="fields")
    household_bonus = fields.Float()
    names_swapped = fields.Boolean()


class ReviewSchema(Schema):
    """The review queue."""

    pairs = fields.List(fields.Nested(PairSchema))


class DecisionSchema(Schema):
    """A reviewer's verdict on a pair of people."""

    a = fields.String(required=True)
    b = fields.String(required=True)
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))


class DecisionResultSchema(DecisionSchema):
    """A stored decision."""

    id = fields.String()
    actor = fields.String(allow_none=True)
    at = fields.String()
