"""One error shape: JSON ``{"error", "fields", "code"}`` for the API, an HTML page for people.

``code`` is one of ``errors.CODES``: a domain error brings its own, an HTTP error gets the one
its status means (``BY_STATUS``).
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

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


# What a person reads on an error page: a heading by status, in the page language.
PAGE_TITLES = {
    400: _l("This cannot be done"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    409: _l("Not possible"),
    413: _l("Too large"),
    429: _l("Too many attempts"),
    503: _l("The station cannot do this now"),
}
# The messages people meet on pages; the domain words them in English (the API's ``error``),
# the page shows them translated. Werkzeug's own descriptions give way to a plain sentence.
PAGE_MESSAGES = {
    "PFIF carries names for family tracing: it cannot be pseudonymised.": _l(
        "PFIF carries names for family tracing: it cannot be pseudonymised."
    ),
    "No such person.": _l("No such person."),
    "Overdue after: give a number of hours from 1 to 168.": _l(
        "Overdue after: give a number of hours from 1 to 168."
    ),
    "A pair needs two different people.": _l("A pair needs two different people."),
    "Deduplication has not run here yet.": _l("Deduplication has not run here yet."),
    "This person has already left the station.": _l("This person has already left the station."),
    "Everyone in this household has already left the station.": _l(
        "Everyone in this household has already left the station."
    ),
    "This person is at the station.": _l("This person is at the station."),
    "Everyone in this household is at the station.": _l(
        "Everyone in this household is at the station."
    ),
    "No household has this code.": _l("No household has this code."),
    "No person has this code.": _l("No person has this code."),
    "The station is locked.": _l("The station is locked."),
    "The station is busy: nothing was saved. Try again.": _l(
        "The station is busy: nothing was saved. Try again."
    ),
    "The station's disk is full or failing: nothing was saved. "
    "Tell the coordinator; free space, then try again.": _l(
        "The station's disk is full or failing: nothing was saved. "
        "Tell the coordinator; free space, then try again."
    ),
    "The form expired or came from elsewhere (CSRF). Reload and retry.": _l(
        "The form expired or came from elsewhere. Go back, reload the page and try again."
    ),
}
BY_STATUS_TEXT = {
    401: _l("Log in to see this page."),
    403: _l("Your role does not allow this page."),
    404: _l("There is no such page or record."),
    405: _l("This page cannot be used this way."),
    413: _l("What was sent is larger than the station accepts."),
    500: _l("Something went wrong on the station. It was logged; nothing is shown here."),
}


def page_message(status: int, message: str) -> str:
    """Return the message of an error page in the page language."""
    known = PAGE_MESSAGES.get(message)
    if known is not None:
        return str(known)
    stock = default_exceptions.get(status)
    if status == 500 or (stock is not None and message in (stock.description, stock.name)):
        return str(BY_STATUS_TEXT.get(status, message))
    return gettext(message)


def way_back() -> tuple[str, str]:
    """Return where an error page leads back to: the page the person came from, if ours."""
    referrer = request.referrer or ""
    parsed = urlparse(referrer)
    if referrer and parsed.netloc == request.host and parsed.path != request.path:
        return referrer, str(_l("Back"))
    return url_for("register.home"), str(_l("Back to the start"))


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


def render_error(
    status: int,
    message: str,
    fields: dict | None = None,
    code: str | None = None,
    back: tuple[str, str] | None = None,
):
    """Answer an error in the shape the client expects (a page in the layout for people)."""
    code = code or BY_STATUS.get(status, "bad_request" if status < 500 else "internal_error")
    assert code in CODES, code
    if wants_json():
        return jsonify({"error": message, "fields": fields or {}, "code": code}), status
    try:
        title = PAGE_TITLES.get(status, PAGE_TITLES[400 if status < 500 else 503])
        page = render_template(
            "error.html",
            status=status,
            title=title,
            message=page_message(status, message),
            code=code,
            back=back or way_back(),
        )
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
    """Answer a refused domain operation (with Retry-After when it says when to retry)."""
    answer = render_error(error.status, error.message, error.fields, error.code)
    if error.retry_after:
        answer = (*answer[:2], {**(answer[2] if len(answer) > 2 else {}),
                                "Retry-After": str(error.retry_after)})  # fmt: skip
    return answer


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
