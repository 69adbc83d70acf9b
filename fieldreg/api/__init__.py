"""The JSON API under /api/v1, described by /api/v1/openapi.json (flask-smorest).

One module per resource family, each with its own blueprint:

    records   households, people, search, duplicate warning, QR tags, figures
    devices   tablets: code blocks, the offline outbox
    medical   triage, the medical queue, movements, tag binding, scanning
    admin     audit log, users, tokens, everything held about a person, erasure
    dedup     HQ's review queue and decisions
    sync      HQ's endpoints for stations; sync conflicts, handing records over
    convoys   convoys, vehicles, boarding and arrival scans, reconciliation, signed counts
    lists     another agency's lists: import, column mapping, reconciliation, exports

This package holds what they share (who is acting, code parsing, read audit lines, the
``Blueprint`` whose argument parser reads JSON strictly with fieldreg.bodies) and ``mount``,
which the app factory calls with the list of blueprints: no module of the package imports
another. Views parse, call a domain operation, and answer; errors come out in the one
shape ``{"error", "fields", "code"}`` (errors_http).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import flask_smorest
from flask import Flask, Response, current_app, g
from flask_smorest import Api
from marshmallow import Schema, fields
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from fieldreg import audit, bodies, codes
from fieldreg.db import get_db
from fieldreg.errors import InvalidCode, Refused

# The OpenAPI request body of an endpoint that takes one photo (a QR tag, a case's picture).
IMAGE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary"}},
                "required": ["image"],
            }
        }
    },
}


class StrictParser(FlaskParser):
    """webargs' parser, reading JSON bodies with fieldreg.bodies (hostile bodies get a 400)."""

    def _raw_load_json(self, req):
        """Parse the body if it is JSON; refuse deep nesting, huge numbers, lone surrogates."""
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data.strip():
            return core.missing
        try:
            return bodies.loads(data)
        except bodies.Unreadable as exc:
            raise Refused(400, "The request body is not acceptable JSON.", "invalid_json",
                          {"_body": [str(exc)]}) from None  # fmt: skip


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint whose arguments are parsed by StrictParser."""

    ARGUMENTS_PARSER = StrictParser()


class ErrorSchema(Schema):
    """The one error shape of the API (see docs/errors.md for the codes)."""

    error = fields.String(metadata={"description": "For people: may be reworded or translated"})
    fields_ = fields.Dict(
        data_key="fields", metadata={"description": "Messages per field at fault"}
    )
    code = fields.String(metadata={"description": "Stable machine-readable code"})


class FieldRegApi(Api):
    """flask-smorest's Api, leaving error handling to errors_http (one shape for all)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Keep the app's own handlers."""


def answer(view: dict, status: int) -> Response:
    """Answer with a view that is already shaped as its response schema dumps it.

    Registration's hot path (issue 20) skips flask-smorest's second schema pass: the view
    functions of fieldreg.records build exactly the schema's fields, and dates are written as
    marshmallow writes them (ISO 8601). tests/test_api.py holds the two equal.
    """
    body = json.dumps(view, ensure_ascii=False, separators=(",", ":"), default=_iso)
    return current_app.response_class(body, status=status, mimetype="application/json")


def _iso(value: Any) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def actor() -> str | None:
    """Return the name of who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


def valid_code(text: str) -> str:
    """Return the code in display form, or answer 400 'not a valid code'."""
    code = codes.parse(text)
    if code is None:
        raise InvalidCode("Not a valid code.", {"code": ["Not a valid code (check the typing)."]})
    return code


def log_view(tbl: str, record_id: str) -> None:
    """Record in the audit log that someone saw a record."""
    db = get_db()
    audit.log_read(db, actor(), tbl, record_id)


def log_search(found: int) -> None:
    """Record that someone searched (how many people were shown, never the query: a name)."""
    audit.log_read(get_db(), actor(), "people", None, f"{found} results", action="search")


def mount(app: Flask, blueprints: Iterable[Blueprint]) -> None:
    """Mount the API's blueprints and its OpenAPI document."""
    api = FieldRegApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "station", {"type": "apiKey", "in": "header", "name": "Authorization"}
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
