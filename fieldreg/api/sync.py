"""HQ's sync endpoints under /api/v1/sync, authenticated by a station's credential.

A station sends ``Authorization: Station CODE:TOKEN``; user sessions and tokens play no part
here, so the routes are ``@public`` for the user permission check and prove the station
themselves (and CSRF does not apply: no cookie is used). The protocol is drawn in
sync/protocol.py.
"""

from __future__ import annotations

import os

from flask import Response, abort, current_app, jsonify, request
from flask_smorest import Blueprint

from fieldreg import syncing
from fieldreg.access import public
from fieldreg.db import get_db

blp = Blueprint("sync_api", __name__, url_prefix="/api/v1/sync", description="Station sync (HQ)")
# Fault injection for the crash tests: die after the batch is committed, before answering.
FAULT_ENV = "FIELDREG_SYNC_FAULT"


def _station() -> str:
    """Return the calling station's code, or answer 401/404."""
    if current_app.config["ROLE"] != "hq":
        abort(404, description="This instance is not an HQ.")
    code = syncing.authenticate(get_db(), request.headers.get("Authorization"))
    if code is None:
        abort(401, description="Unknown station or wrong station credential.")
    return code


@blp.route("/push", methods=["POST"])
@blp.doc(
    summary="Apply a station's batch (zlib JSON body); answer HQ's signed acknowledgement.",
    security=[{"station": []}],
)
@public
def push():
    """Apply a station's batch of changes and answer a signed ack."""
    station = _station()
    signed = syncing.receive_push(get_db(), station, request.get_data())
    if os.environ.get(FAULT_ENV) == "crash-after-apply":
        os._exit(3)
    return jsonify(signed)


@blp.route("/pull", methods=["GET"])
@blp.doc(
    summary="Changes HQ holds for the calling station after ?since= (zlib JSON, signed).",
    security=[{"station": []}],
)
@public
def pull():
    """Answer what HQ has for the station after its cursor."""
    return _signed_batch("since", syncing.pull_for)


@blp.route("/own", methods=["GET"])
@blp.doc(
    summary="HQ's copies of the calling station's own changes after ?after= (a restored "
    "station takes back what it made after its backup; zlib JSON, signed).",
    security=[{"station": []}],
)
@public
def own():
    """Answer the calling station's own changes numbered after ``after``."""
    return _signed_batch("after", syncing.own_for)


def _signed_batch(position: str, make) -> Response:
    """Answer a signed batch for the calling station from ``?{position}=N&limit=M``."""
    station = _station()
    at, limit = request.args.get(position, "0"), request.args.get("limit", "2000")
    if not at.isdigit() or not limit.isdigit():
        abort(400, description=f"{position} and limit are whole numbers.")
    body, signature = make(get_db(), station, int(at), int(limit))
    return Response(
        body,
        mimetype="application/octet-stream",
        headers={"X-FieldReg-Signature": signature, "Cache-Control": "no-store"},
    )
