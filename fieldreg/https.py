"""Serve the app over HTTPS (cheroot), with a plain-HTTP side door for the CA certificate.

waitress has no TLS; cheroot (CherryPy's WSGI server: pure Python, threaded, maintained,
standard-library ``ssl``) does, on Linux, macOS and Windows alike. A tablet cannot fetch the
CA over HTTPS before it trusts the CA, so a second listener on ``ca_port`` answers only
``/ca.crt`` and ``/healthz`` in plain HTTP and sends everything else to the HTTPS address.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from fieldreg import tls, uploads


def ca_door(ca_file: Path, https_port: int):
    """Build the plain-HTTP WSGI app that hands out the CA and redirects the rest."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/ca.crt":
            body = tls.der(ca_file)
            start_response(
                "200 OK",
                [
                    ("Content-Type", "application/x-x509-ca-cert"),
                    ("Content-Disposition", 'attachment; filename="fieldreg-ca.crt"'),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        host = environ.get("HTTP_HOST", environ.get("SERVER_NAME", "localhost")).split(":")[0]
        start_response("302 Found", [("Location", f"https://{host}:{https_port}{path}")])
        return [b""]

    return app


def serve_https(app, data: Path, host: str, port: int, ca_port: int, threads: int) -> None:
    """Serve ``app`` with TLS on ``port`` and the CA side door on ``ca_port`` until stopped."""
    names, ips = tls.local_names()
    if host not in ("0.0.0.0", "::", "") and host not in ips:
        ips.append(host)
    cert, key, ca_file = tls.ensure(data, names, ips)
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="fieldreg")
    # cheroot streams bodies to the app (no spooling); refuse the larger ones up front.
    server.max_request_body_size = uploads.largest_body(app.config)
    server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    door = wsgi.Server((host, ca_port), ca_door(ca_file, port), numthreads=2)
    threading.Thread(target=door.safe_start, daemon=True).start()
    try:
        server.safe_start()
    finally:
        door.stop()
