"""HQ's sync endpoints under /api/v1/sync, authenticated by a station's credential.

A station sends ``Authorization: Station CODE:TOKEN``; user sessions and tokens play no part
there, so those routes are ``@public`` for the user permission check and prove the station
themselves (and CSRF does not apply: no cookie is used). The conflicts and handover routes
are for people (bearer tokens, ``@requires``). Bodies both ways are sealed
envelopes (encrypted to the receiver, signed by the sender): the token alone reads nothing
and forges nothing. The protocol is drawn in sync/protocol.py.
"""

from __future__ import annotations

import os

from flask import Response, abort, current_app, g, jsonify, request

from fieldreg import conflicts, ownership, sync_hq, syncing
from fieldreg.access import allowed, public, requires
from fieldreg.api import Blueprint, actor
from fieldreg.db import get_db
from fieldreg.schemas.sync import (
    ConflictListSchema,
    HandOverResultSchema,
    HandOverSchema,
    ResolvedSchema,
    ResolveSchema,
)

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
    summary="Apply a station's batch (a sealed envelope: encrypted to HQ, signed by the "
    "station); answer HQ's signed acknowledgement.",
    security=[{"station": []}],
)
@public
def push():
    """Apply a station's batch of changes and answer a signed ack."""
    station = _station()
    signed = sync_hq.receive_push(get_db(), station, request.get_data())
    if os.environ.get(FAULT_ENV) == "crash-after-apply":
        os._exit(3)
    return jsonify(signed)


@blp.route("/pull", methods=["GET"])
@blp.doc(
    summary="Changes HQ holds for the calling station after ?since=, cut down to what it needs "
    "to know (sealed to the station's own key, signed by HQ).",
    security=[{"station": []}],
)
@public
def pull():
    """Answer what HQ has for the station after its cursor."""
    return _signed_batch("since", sync_hq.pull_for)


@blp.route("/own", methods=["GET"])
@blp.doc(
    summary="HQ's copies of the calling station's own changes after ?after= (a restored "
    "station takes back what it made after its backup; sealed to the station, signed).",
    security=[{"station": []}],
)
@public
def own():
    """Answer the calling station's own changes numbered after ``after``."""
    return _signed_batch("after", sync_hq.own_for)


def _signed_batch(position: str, make) -> Response:
    """Answer a sealed batch for the calling station from ``?{position}=N&limit=M``."""
    station = _station()
    at, limit = request.args.get(position, "0"), request.args.get("limit", "2000")
    if not at.isdigit() or not limit.isdigit() or len(at) > 18 or len(limit) > 18:
        abort(400, description=f"{position} and limit are whole numbers.")
    body = make(get_db(), station, int(at), int(limit))
    return Response(
        body, mimetype="application/octet-stream", headers={"Cache-Control": "no-store"}
    )


@blp.route("/owners", methods=["POST"])
@requires("sync:owners")
@blp.arguments(HandOverSchema())
@blp.response(200, HandOverResultSchema())
@blp.doc(security=[{"bearer": []}])
def hand_over(body):
    """HQ: make a station the owner of a household (with its members) or of a person."""
    if current_app.config["ROLE"] != "hq":
        abort(404, description="This instance is not an HQ.")
    return ownership.hand_over(get_db(), body["code"], body["station"], actor())


def _may(permission: str) -> bool:
    """Tell whether the caller's role holds a permission."""
    return allowed(g.user["role"], permission)


@blp.route("/conflicts", methods=["GET"])
@requires("sync:conflicts")
@blp.response(200, ConflictListSchema())
@blp.doc(security=[{"bearer": []}])
def list_conflicts():
    """List the values that lost a merge and wait for a decision, oldest first."""
    return {"conflicts": conflicts.open_conflicts(get_db(), may=_may)}


@blp.route("/conflicts/<conflict_id>", methods=["POST"])
@requires("sync:conflicts")
@blp.arguments(ResolveSchema())
@blp.response(200, ResolvedSchema())
@blp.doc(security=[{"bearer": []}])
def resolve_conflict(body, conflict_id):
    """Keep the current value or write the lost one back (a role that may change the record)."""
    if not conflict_id.isdigit() or len(conflict_id) > 18:
        abort(404, description="No such conflict.")
    conflicts.resolve(get_db(), int(conflict_id), body["choice"], actor(), may=_may)
    return {"id": int(conflict_id), "resolution": body["choice"]}
