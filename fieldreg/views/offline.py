"""Offline tablets: the service worker, the station's CA certificate, and the set-up page."""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request

from fieldreg import bodies, devices, qr, tls
from fieldreg.access import public, requires
from fieldreg.config import STATIC
from fieldreg.db import get_db

bp = Blueprint("offline", __name__)
SHELL_FILES = (
    "sw.js",
    "app.css",
    "register.js",
    "outbox.js",
    "header.js",
    "formcheck.js",
    "boarding.js",
    "validity.js",
)


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


@bp.get("/favicon.ico")
@public
def favicon():
    """Serve the icon to browsers that ask for it at the root (pages link the SVG itself)."""
    return Response(
        (STATIC / "favicon.svg").read_bytes(),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "max-age=86400"},
    )


@bp.get("/ca.crt")
@public
def ca_certificate():
    """Hand out the station's CA certificate (public by nature) for tablets to install."""
    path = tls.ca_path(current_app.config["DATA"])
    if not path.exists() and current_app.config.get("HTTPS_PORT"):
        # Made on first use (the station is unlocked: the gate sent anyone else away).
        tls.ensure(current_app.config["DATA"], *tls.local_names())
    if not path.exists():
        abort(404, description="This station has no CA yet: start it with `serve --https`.")
    return Response(
        tls.der(path),
        mimetype="application/x-x509-ca-cert",
        headers={"Content-Disposition": 'attachment; filename="fieldreg-ca.crt"'},
    )


def lan_hosts() -> list[str]:
    """Return this laptop's network addresses a tablet can reach (never loopback)."""
    _names, ips = tls.local_names()
    return [ip for ip in ips if not ip.startswith("127.") and ip != "::1"]


def ca_urls() -> list[str]:
    """List the plain-HTTP addresses a tablet can download the CA from."""
    port = current_app.config.get("CA_PORT")
    if not port:
        return []
    return [f"http://{ip}:{port}/ca.crt" for ip in lan_hosts()]


def tablet_urls() -> list[str]:
    """List the addresses tablets open: HTTPS when this station serves it, else plain HTTP."""
    https = current_app.config.get("HTTPS_PORT")
    port = https or urlsplit(request.host_url).port or 80
    scheme = "https" if https else "http"
    return [f"{scheme}://{ip}:{port}" for ip in lan_hosts()]


def https_address() -> str | None:
    """Return this station's HTTPS address under the host name the tablet used, if it has one."""
    port = current_app.config.get("HTTPS_PORT")
    if not port or request.is_secure:
        return None
    return f"https://{urlsplit(request.host_url).hostname}:{port}"


@bp.get("/station/tablets")
@requires("tablets:setup")
def tablets():
    """Show how to make a tablet trust this station, and the tablets known so far."""
    path = tls.ca_path(current_app.config["DATA"])
    return render_template(
        "offline/tablets.html",
        https=bool(current_app.config.get("HTTPS_PORT")),
        ca_urls=ca_urls(),
        tablet_urls=tablet_urls(),
        fingerprint=tls.fingerprint(path) if path.exists() else None,
        devices=devices.list_devices(get_db()),
    )


@bp.get("/station/ca-qr/<index>.svg")
@requires("tablets:setup")
def ca_qr(index):
    """Draw the QR code of one of the CA download addresses."""
    return _qr(ca_urls(), index)


@bp.get("/station/address-qr/<index>.svg")
@requires("tablets:setup")
def address_qr(index):
    """Draw the QR code of one of the addresses tablets open."""
    return _qr(tablet_urls(), index)


def _qr(urls: list[str], index: str) -> Response:
    """Answer the QR code of ``urls[index]`` as SVG (404 for another index)."""
    number = bodies.whole_number(index, digits=2)
    if number is None or number >= len(urls):
        abort(404)
    body, mimetype = qr.render(urls[number], "svg")
    return Response(body, mimetype=mimetype)
