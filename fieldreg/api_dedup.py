"""JSON API of HQ deduplication: the review queue and reviewers' decisions (under /api/v1)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from fieldreg import dedup
from fieldreg.access import requires
from fieldreg.api import actor
from fieldreg.db import get_db

blp = Blueprint("dedup_api", __name__, url_prefix="/api/v1/dedup", description="Deduplication")


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
    verdict = fields.String(required=True, validate=validate.OneOf(dedup.VERDICTS))


class DecisionResultSchema(DecisionSchema):
    """A stored decision."""

    id = fields.String()
    actor = fields.String(allow_none=True)
    at = fields.String()


@blp.route("/review", methods=["GET"])
@requires("dedup:review")
@blp.arguments(ReviewArgsSchema, location="query")
@blp.response(200, ReviewSchema)
def review(args):
    """List the pairs between the thresholds that wait for a reviewer, strongest first."""
    pairs = dedup.review_queue(get_db(), args["limit"])
    return {"pairs": [{**p, "fields_": p["fields"]} for p in pairs]}


@blp.route("/decisions", methods=["POST"])
@requires("dedup:review")
@blp.arguments(DecisionSchema)
@blp.response(201, DecisionResultSchema)
def decide(body):
    """Link a pair (confirm), keep it apart (reject) or withdraw the verdict (undo)."""
    return dedup.decide(get_db(), body["a"], body["b"], body["verdict"], actor())
