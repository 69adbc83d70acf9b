"""JSON API of the station's records: households, people, search, tags, figures."""

from __future__ import annotations

from flask import Response, abort, current_app

from fieldreg import matches, medical, qr, records, search_index, stats
from fieldreg.access import requires
from fieldreg.api import Blueprint, actor, answer, log_search, log_view, valid_code
from fieldreg.db import get_db
from fieldreg.schemas.records import (
    HouseholdSchema,
    HouseholdUpdateSchema,
    MatchArgsSchema,
    MatchResultSchema,
    PersonSchema,
    PersonUpdateSchema,
    SearchArgsSchema,
    SearchResultSchema,
    StatsSchema,
)

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="Station records")


@blp.route("/households", methods=["POST"])
@requires("household:create")
@blp.arguments(HouseholdSchema())
@blp.response(201, HouseholdSchema())
def create_household(data):
    """Register a household; the same client_id again returns the first one."""
    household, created = records.create_household(get_db(), data, actor())
    return answer(household, 201 if created else 200)


@blp.route("/households/<code>", methods=["GET"])
@requires("household:read")
@blp.response(200, HouseholdSchema())
def get_household(code):
    """Return a household and its members."""
    household = records.get_household(get_db(), valid_code(code))
    log_view("households", household["id"])
    flags = medical.flags(get_db(), [m["id"] for m in household["members"]])
    for member in household["members"]:
        member["medical_flag"] = flags.get(member["id"])
    return household


@blp.route("/households/<code>", methods=["PATCH"])
@requires("household:update")
@blp.arguments(HouseholdUpdateSchema(partial=True))
@blp.response(200, HouseholdSchema())
def update_household(data, code):
    """Correct a household's fields."""
    return records.update_household(get_db(), valid_code(code), data, actor())


@blp.route("/households/<code>/members", methods=["POST"])
@requires("household:update")
@blp.arguments(PersonSchema())
@blp.response(201, PersonSchema())
def add_member(data, code):
    """Add a person to a household."""
    return records.add_member(get_db(), valid_code(code), data, actor())


@blp.route("/people/<code>", methods=["GET"])
@requires("person:read")
@blp.response(200, PersonSchema())
def get_person(code):
    """Return a person."""
    person = records.get_person(get_db(), valid_code(code))
    log_view("people", person["id"])
    person["medical_flag"] = medical.flags(get_db(), [person["id"]]).get(person["id"])
    return person


@blp.route("/people/<code>", methods=["PATCH"])
@requires("household:update")
@blp.arguments(PersonUpdateSchema(partial=True))
@blp.response(200, PersonSchema())
def update_person(data, code):
    """Correct a person's fields."""
    return records.update_person(get_db(), valid_code(code), data, actor())


@blp.route("/search", methods=["GET"])
@requires("search")
@blp.arguments(SearchArgsSchema(), location="query")
@blp.response(200, SearchResultSchema())
def search(args):
    """Find people by code, phone or name (any script)."""
    results = search_index.search(get_db(), args["q"], args["limit"])
    flags = medical.flags_by_code(get_db(), [r["code"] for r in results])
    for hit in results:
        hit["medical_flag"] = flags.get(hit["code"])
    log_search(len(results))
    return {"query": args["q"], "results": results}


@blp.route("/matches", methods=["GET"])
@requires("household:create")
@blp.arguments(MatchArgsSchema(), location="query")
@blp.response(200, MatchResultSchema())
def possible_matches(args):
    """List people already registered who may be the one being typed."""
    return {"results": matches.possible_matches(get_db(), args)}


@blp.route("/tags/<code>.<any(svg, png):fmt>", methods=["GET"])
@requires("tags:print")
def tag(code, fmt):
    """Return the QR tag of a code: the code only, never a name."""
    code = valid_code(code)
    if not qr.is_issued(get_db(), code):
        abort(404, description="This code was never issued here.")
    body, mimetype = qr.render(code, fmt)
    return Response(body, mimetype=mimetype, headers={"Cache-Control": "private, max-age=86400"})


@blp.route("/stats", methods=["GET"])
@requires("stats:read")
@blp.response(200, StatsSchema())
def get_stats():
    """Return the figures the dashboard shows (at HQ: over all stations, raw and unique)."""
    config = current_app.config
    return stats.figures(get_db(), config["ROLE"], None, config["STATS_MAX_AGE_SECONDS"])
