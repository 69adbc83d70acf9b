"""Offline tablets: the service worker, the station's CA certificate, and the set-up page."""

from __future__ import annotations

import functools
import hashlib

from flask import Blueprint, Response, abort, current_app, render_template, request

from fieldreg import devices, qr, tls
from fieldreg.access import public, requires
from fieldreg.config import STATIC
from fieldreg.db import get_db

bp = Blueprint("offline", __name__)
SHELL_FILES = ("sw.js", "app.css", "register.js", "outbox.js", "boarding.js")


@functools.cache
def shell_version(release: str) -> str:
    """Fingerprint the app shell and release, so that a change installs a fresh cache."""
    digest = hashlib.sha256(release.encode())
    for name in SHELL_FILES:
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
@public
def service_worker():
    """Serve the service worker from the site's root, so that its scope is the whole site."""
    body = (
        (STATIC / "sw.js")
        .read_text(encoding="utf-8")
        .replace("__VERSION__", shell_version(str(current_app.config["APP_RELEASE"])))
    )
    return Response(
        body,
        mimetype="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@bp.get("/ca.crt")
@public
def ca_certificate():
    """Hand out the station's CA certificate (public by nature) for tablets to install."""
    path = tls.ca_path(current_app.config["DATA"])
    if not path.exists():
        abort(404, description="This station has no CA yet: start it with `serve --https`.")
    return Response(
        tls.der(path),
        mimetype="application/x-x509-ca-cert",
        headers={"Content-Disposition": 'attachment; filename="fieldreg-ca.crt"'},
    )


def ca_urls() -> list[str]:
    """List the plain-HTTP addresses a tablet can download the CA from."""
    port = current_app.config.get("CA_PORT")
    if not port:
        return []
    _names, ips = tls.local_names()
    host = request.host.split(":")[0]
    return [f"http://{ip}:{port}/ca.crt" for ip in dict.fromkeys([host, *ips])]


@bp.get("/station/tablets")
@requires("tablets:setup")
def tablets():
    """Show how to make a tablet trust this station, and the tablets known so far."""
    path = tls.ca_path(current_app.config["DATA"])
    return render_template(
        "offline/tablets.html",
        https=bool(current_app.config.get("HTTPS_PORT")),
        urls=ca_urls(),
        fingerprint=tls.fingerprint(path) if path.exists() else None,
        devices=devices.list_devices(get_db()),
        origin=request.host_url.rstrip("/"),
    )


@bp.get("/station/ca-qr/<index>.svg")
@requires("tablets:setup")
def ca_qr(index):
    """Draw the QR code of one of the CA download addresses."""
    urls = ca_urls()
    if not index.isdigit() or int(index) >= len(urls):
        abort(404)
    body, mimetype = qr.render(urls[int(index)], "svg")
    return Response(body, mimetype=mimetype)
