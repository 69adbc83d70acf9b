"""Response headers for every answer, and deny-by-default for views that declare nothing.

The Content-Security-Policy allows scripts, styles, fonts and connections from this station
only (there is no internet, and no inline script or style anywhere), and forbids framing.
Anything that is not a static file is marked ``no-store``: pages and API answers carry
personal data and must not stay in a shared tablet's cache.
"""

from __future__ import annotations

from flask import abort, current_app, request

from fieldreg.access import OPEN_ENDPOINTS

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


def set_headers(response):
    """Add the security headers; forbid caching of anything but static files."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if request.endpoint != "static":
        response.headers.pop("Last-Modified", None)
    return response


def require_declaration() -> None:
    """Refuse a view that declares no permission (and is not a known open endpoint)."""
    if request.endpoint is None or request.endpoint in OPEN_ENDPOINTS:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and not hasattr(view, "permission"):
        abort(403, description="This page declares no permission.")
