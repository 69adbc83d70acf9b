"""JSON API of HQ deduplication: the review queue and reviewers' decisions (under /api/v1)."""

from __future__ import annotations

from flask import abort, current_app

from fieldreg import dedup
from fieldreg.access import requires
from fieldreg.api import Blueprint, actor
from fieldreg.db import get_db
from fieldreg.schemas.dedup import (
    DecisionResultSchema,
    DecisionSchema,
    ReviewArgsSchema,
    ReviewSchema,
)

blp = Blueprint("dedup_api", __name__, url_prefix="/api/v1/dedup", description="Deduplication")


@blp.route("/review", methods=["GET"])
@requires("dedup:review")
@blp.arguments(ReviewArgsSchema(), location="query")
@blp.response(200, ReviewSchema())
def review(args):
    """List the pairs between the thresholds that wait for a reviewer, strongest first."""
    pairs = dedup.review_queue(get_db(), args["limit"])
    return {"pairs": [{**p, "fields_": p["fields"]} for p in pairs]}


@blp.route("/decisions", methods=["POST"])
@requires("dedup:review")
@blp.arguments(DecisionSchema())
@blp.response(201, DecisionResultSchema())
def decide(body):
    """Link a pair (confirm), keep it apart (reject) or withdraw the verdict (undo)."""
    if current_app.config["ROLE"] != "hq":  # HQ's alone: a station's would stop its sync
        abort(404, description="Deduplication decisions are HQ's: this is a station.")
    return dedup.decide(get_db(), body["a"], body["b"], body["verdict"], actor())
