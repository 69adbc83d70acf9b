"""JSON API of another agency's lists: import, map columns, reconcile, export (under /api/v1)."""

from __future__ import annotations

from flask import Response, request
from marshmallow import ValidationError

from fieldreg import bodies, foreign, foreign_report
from fieldreg.access import requires
from fieldreg.api import Blueprint, actor
from fieldreg.db import get_db
from fieldreg.errors import DomainError
from fieldreg.schemas.convoys import ForeignListSchema, ListArgsSchema, MappingSchema

blp = Blueprint("lists_api", __name__, url_prefix="/api/v1", description="Other agencies' lists")

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "name": {"type": "string"},
                    "agency": {"type": "string"},
                    "scope": {"type": "string", "description": "all, convoy:ID or vehicle:ID"},
                    "encoding": {"type": "string", "enum": ["auto", "utf-8", "utf-16",
                                                            "windows-1256"]},
                    "mapping": {"type": "string", "description": "JSON {column: field}"},
                },
                "required": ["file"],
            }
        }
    },
}  # fmt: skip


@blp.route("/lists", methods=["GET"])
@requires("convoys:reconcile")
def all_lists():
    """List the imported lists, newest first."""
    return {"lists": foreign.all_lists(get_db())}


@blp.route("/lists", methods=["POST"])
@requires("lists:import")
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, ForeignListSchema())
def import_list():
    """Import a CSV or XLSX list (multipart ``file``); with ``mapping``, reconcile it at once."""
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("Send the list as the multipart field 'file'.", {"file": ["Missing."]})
    try:
        meta = ListArgsSchema().load(request.form.to_dict())
    except ValidationError as exc:
        raise DomainError("Some fields are not valid.", exc.messages) from exc
    mapping = _mapping(meta.get("mapping"))  # read first: a bad one imports nothing
    db = get_db()
    found = foreign.import_list(db, upload.filename or "", upload.read(), meta, actor())
    if mapping:
        found = foreign.reconcile_list(db, found["id"], mapping, None, actor())
    return found


def _mapping(text: str | None) -> dict | None:
    """Read the optional mapping field ({column: field}) as strictly as a JSON body."""
    if not text:
        return None
    try:
        mapping = bodies.loads(text)
    except ValueError:  # malformed, or hostile (deep, a lone surrogate): bodies.Unreadable
        raise DomainError(
            "The mapping is JSON: {column: field}.", {"mapping": ["Not JSON."]}
        ) from None
    if not isinstance(mapping, dict):
        raise DomainError("The mapping is JSON: {column: field}.", {"mapping": ["Not a map."]})
    return mapping


@blp.route("/lists/<list_id>", methods=["GET"])
@requires("convoys:reconcile")
@blp.response(200, ForeignListSchema())
def get_list(list_id):
    """Return a list: its columns, mapping (or the suggested one) and reconciliation."""
    return foreign.get_list(get_db(), list_id)


@blp.route("/lists/<list_id>/mapping", methods=["POST"])
@requires("lists:import")
@blp.arguments(MappingSchema())
@blp.response(200, ForeignListSchema())
def map_list(body, list_id):
    """Map the list's columns to fields (remembered for lists alike) and reconcile it."""
    return foreign.reconcile_list(get_db(), list_id, body["mapping"], body["scope"], actor())


@blp.route("/lists/<list_id>/names", methods=["GET"])
@requires("convoys:reconcile")
def list_names(list_id):
    """Return the reconciliation as named lists (matched, probable, only theirs or ours...)."""
    view = foreign_report.named(get_db(), list_id, limit=None)
    return {"sizes": view["sizes"], "lists": view["lists"]}


@blp.route("/lists/<list_id>", methods=["DELETE"])
@requires("lists:import")
@blp.response(204)
def delete_list(list_id):
    """Delete an imported list (it holds another agency's names)."""
    foreign.delete_list(get_db(), list_id, actor())


@blp.route("/lists/<list_id>/export", methods=["GET"])
@requires("convoys:reconcile")
def export_list(list_id):
    """Download the reconciliation: ``?format=csv|xlsx``, ``&hxl=1`` for HXL hashtags."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    hxl = request.args.get("hxl") in ("1", "true", "on")
    body = foreign_report.export(get_db(), list_id, fmt, hxl, actor())
    return download(body, fmt, f"reconciliation-{list_id[-8:]}")


def download(body: bytes, fmt: str, stem: str) -> Response:
    """Answer a file to save (CSV or XLSX)."""
    mimetype = "text/csv" if fmt == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
