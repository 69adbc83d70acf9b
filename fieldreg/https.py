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

from fieldreg import tls


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
    server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    door = wsgi.Server((host, ca_port), ca_door(ca_file, port), numthreads=2)
    threading.Thread(target=door.safe_start, daemon=True).start()
    try:
        server.safe_start()
    finally:
        door.stop()


def serve_beside(app, data: Path, host: str, port: int, threads: int):
    """Serve ``app`` with TLS on ``port`` in a thread, beside a plain-HTTP server; return stop.

    ``make run`` does this: the laptop keeps ``http://127.0.0.1:8000`` (a secure context as
    it is, and the address the first start needs), the tablets get ``https://LAN:8443``, and
    the plain port hands out the CA itself (``/ca.crt``).
    """
    names, ips = tls.local_names()
    if host not in ("0.0.0.0", "::", "") and host not in ips:
        ips.append(host)
    cert, key, _ca_file = tls.ensure(data, names, ips)
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="fieldreg")
    server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    server.prepare()  # binds now: a port in use fails the start, not a thread later
    thread = threading.Thread(target=server.serve, daemon=True, name="fieldreg-https")
    thread.start()

    def stop() -> None:
        server.stop()
        thread.join(10)

    return stop
