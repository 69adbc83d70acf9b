"""The protection API: audit log, users, API tokens, a person's data (show, erase), lock."""

from __future__ import annotations

from fieldreg import audit, auth, subject
from fieldreg.access import requires
from fieldreg.api import Blueprint, actor, valid_code
from fieldreg.db import get_db
from fieldreg.schemas.admin import (
    AuditArgsSchema,
    AuditListSchema,
    ErasedSchema,
    HeldSchema,
    TokenListSchema,
    UserListSchema,
)

blp = Blueprint("admin_api", __name__, url_prefix="/api/v1", description="Protection")


@blp.route("/audit", methods=["GET"])
@requires("audit:read")
@blp.arguments(AuditArgsSchema(), location="query")
@blp.response(200, AuditListSchema())
def audit_log(args):
    """Read the audit log, newest first, filtered."""
    return {"entries": audit.entries(get_db(), **args)}


@blp.route("/users", methods=["GET"])
@requires("users:manage")
@blp.response(200, UserListSchema())
def users():
    """List the users (never their PINs)."""
    return {"users": auth.list_users(get_db())}


@blp.route("/users/<user_id>/unlock", methods=["POST"])
@requires("users:manage")
@blp.response(204)
def unlock_user(user_id):
    """Let a locked-out user try again."""
    auth.unlock_user(get_db(), user_id, actor())


@blp.route("/tokens", methods=["GET"])
@requires("tokens:manage")
@blp.response(200, TokenListSchema())
def tokens():
    """List the API tokens (never their secrets)."""
    return {"tokens": auth.list_tokens(get_db())}


@blp.route("/tokens/<token_id>", methods=["DELETE"])
@requires("tokens:manage")
@blp.response(204)
def revoke_token(token_id):
    """Revoke an API token."""
    auth.revoke_token(get_db(), token_id, actor())


@blp.route("/people/<code>/held", methods=["GET"])
@requires("subject:read")
@blp.response(200, HeldSchema())
def held(code):
    """Return everything held about a person (for the person who asks)."""
    return subject.everything(get_db(), valid_code(code), actor())


@blp.route("/people/<code>", methods=["DELETE"])
@requires("subject:erase")
@blp.response(200, ErasedSchema())
def erase(code):
    """Erase a person: personal fields purged, a tombstone kept for sync."""
    person_id = subject.erase_person(get_db(), valid_code(code), actor())
    return {"id": person_id, "erased": True}
