"""GET /healthz: 200 without login, and nothing else said."""

from flask import Blueprint

from fieldreg.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Answer that the server is up."""
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}
