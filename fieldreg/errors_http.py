"""One error shape: JSON ``{"error", "fields", "code"}`` for the API, an HTML page for people.

``code`` is one of ``errors.CODES``: a domain error brings its own, an HTTP error gets the one
its status means (``BY_STATUS``).
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from fieldreg.db import OperationalError
from fieldreg.errors import CODES, DomainError
from sync.authority import NotOwner

BY_STATUS = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "too_many_requests",
    500: "internal_error",
}


def wants_json() -> bool:
    """Tell whether the client should get JSON (API paths and bearer clients)."""
    return request.path.startswith("/api/") or request.authorization is not None


def _fields_from(error: HTTPException) -> dict:
    """Pull the per-field messages that webargs/marshmallow attached to an error."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or {}
    out: dict = {}
    for location in messages.values():
        if isinstance(location, dict):
            out.update(location)
        elif isinstance(location, list):
            out.setdefault("_body", []).extend(location)
    return out


def render_error(status: int, message: str, fields: dict | None = None, code: str | None = None):
    """Answer an error in the shape the client expects."""
    code = code or BY_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
    assert code in CODES, code
    if wants_json():
        return jsonify({"error": message, "fields": fields or {}, "code": code}), status
    try:
        page = render_template("error.html", status=status, message=message, code=code)
        return page, status
    except Exception:  # a broken page must still answer, never with a stack trace
        current_app.logger.exception("error page failed")
        return message, status, {"Content-Type": "text/plain; charset=utf-8"}


def handle_http(error: HTTPException):
    """Turn any HTTP error (404, 405, 413, 422 from validation...) into the one shape."""
    fields = _fields_from(error)
    message = error.description or error.name
    code = None
    if error.code == 422:
        message = "Some fields are not valid."
    if fields.get("_body") and fields.get("_body") == ["Invalid JSON body."]:
        message, code = "The request body is not valid JSON.", "invalid_json"
    response = render_error(error.code or 400, message, fields, code)
    if error.code == 401 and wants_json():
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="fieldreg"'
    return response


def handle_domain(error: DomainError):
    """Answer a refused domain operation."""
    return render_error(error.status, error.message, error.fields, error.code)


def handle_not_owner(error: NotOwner):
    """Answer a write of another station's record, refused before anything was written."""
    return render_error(403, str(error), code="not_owner")


def handle_unexpected(error: Exception):
    """Never show a stack trace: log it, answer a plain 500."""
    if isinstance(error, HTTPException):
        return handle_http(error)
    current_app.logger.exception("unhandled error on %s", request.path)
    return render_error(500, InternalServerError.description)


def handle_storage(error: Exception):
    """Say plainly when the disk is full or the database stays busy: nothing was saved."""
    text = str(error).lower()
    current_app.logger.error("storage refused a request on %s: %s", request.path, error)
    if "disk is full" in text or "disk i/o" in text:
        return render_error(
            503,
            "The station's disk is full or failing: nothing was saved. "
            "Tell the coordinator; free space, then try again.",
            code="disk_full",
        )
    if "locked" in text or "busy" in text:
        return render_error(503, "The station is busy: nothing was saved. Try again.", code="busy")
    return handle_unexpected(error)


def init(app: Flask) -> None:
    """Install the error handlers."""
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(NotOwner, handle_not_owner)
    for error_class in OperationalError:
        app.register_error_handler(error_class, handle_storage)
    app.register_error_handler(Exception, handle_unexpected)
