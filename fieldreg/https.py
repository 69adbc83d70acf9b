"""Serve the app over HTTPS (cheroot), with a plain-HTTP side door for the CA certificate.

waitress has no TLS; cheroot (CherryPy's WSGI server: pure Python, threaded, maintained,
standard-library ``ssl``) does, on Linux, macOS and Windows alike. A tablet cannot fetch the
CA over HTTPS before it trusts the CA, so a second listener on ``ca_port`` answers only
``/ca.crt`` and ``/healthz`` in plain HTTP and sends everything else to the HTTPS address.

The TLS keys are encrypted under the station key (fieldreg.tls): while the station is locked
no TLS connection is accepted at all, and the laptop itself unlocks it at the side door
(``http://127.0.0.1:CA_PORT/unlock``, served to the laptop only).
"""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

from cheroot import errors, wsgi
from cheroot.ssl import Adapter
from cheroot.ssl.builtin import BuiltinSSLAdapter

from fieldreg import keyring, tls, uploads

LOOPBACK = {"127.0.0.1", "::1"}
UNLOCK_PATHS = ("/unlock", "/static/")


class StationTLS(BuiltinSSLAdapter):
    """TLS with the station's own certificate, its key opened only while the station is open."""

    def __init__(self, data: Path, names: list[str], ips: list[str]):
        Adapter.__init__(self, None, None)
        self.data, self.names, self.ips = Path(data).resolve(), names, ips
        self._context, self._made_for, self._server_env = None, None, {}
        self._mutex = threading.Lock()

    def wrap(self, sock):
        """Refuse the connection while locked; else wrap it with the current certificate."""
        context = self.refresh()
        if context is None:
            sock.close()
            raise errors.FatalSSLAlert("the station is locked")
        self.context = context
        return super().wrap(sock)

    def refresh(self) -> ssl.SSLContext | None:
        """Return the TLS context for the key held now (None while locked; new after a re-key)."""
        with self._mutex:
            key = keyring.held(self.data / "fieldreg.db")
            if key is None:
                self._context = self._made_for = None  # let go of the key while locked
            elif key != self._made_for:
                cert, key_file, _ca = tls.ensure(self.data, self.names, self.ips)
                context = ssl.create_default_context(purpose=ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(cert, key_file, password=tls.key_password(self.data))
                self._context, self._made_for = context, key
            return self._context


def ca_door(ca_file: Path, https_port: int, station_app=None, make_ca=None):
    """Build the plain-HTTP WSGI app that hands out the CA and redirects the rest.

    The laptop itself (loopback) also gets the unlock page here: while the station is locked
    the HTTPS port accepts no connection. The CA is made at the first unlock (``make_ca``).
    """

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        local = environ.get("REMOTE_ADDR") in LOOPBACK
        if station_app is not None and local and path.startswith(UNLOCK_PATHS):
            return station_app(environ, start_response)
        if path == "/ca.crt" and not ca_file.exists() and make_ca is not None:
            make_ca()
        if path == "/ca.crt" and not ca_file.exists():
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"The station is locked: its CA is made once it is unlocked."]
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
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="fieldreg")
    # cheroot streams bodies to the app (no spooling); refuse the larger ones up front.
    server.max_request_body_size = uploads.largest_body(app.config)
    adapter = StationTLS(data, names, ips)
    adapter.refresh()  # made now if the station starts unlocked, else at the first unlock
    server.ssl_adapter = adapter
    door_app = ca_door(tls.ca_path(data), port, app, adapter.refresh)
    door = wsgi.Server((host, ca_port), door_app, numthreads=2)
    threading.Thread(target=door.safe_start, daemon=True).start()
    try:
        server.safe_start()
    finally:
        door.stop()


def serve_beside(app, data: Path, host: str, port: int, threads: int):
    """Serve ``app`` with TLS on ``port`` in a thread, beside a plain-HTTP server; return stop.

    ``make run`` does this: the laptop keeps ``http://127.0.0.1:8000`` (a secure context as
    it is, and the address the first start and the unlock page need), the tablets get
    ``https://LAN:8443`` (no TLS connection while the station is locked), and the plain port
    hands out the CA itself (``/ca.crt``).
    """
    names, ips = tls.local_names()
    if host not in ("0.0.0.0", "::", "") and host not in ips:
        ips.append(host)
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="fieldreg")
    adapter = StationTLS(data, names, ips)
    adapter.refresh()  # made now if the station starts unlocked, else at the first unlock
    server.ssl_adapter = adapter
    server.prepare()  # binds now: a port in use fails the start, not a thread later
    thread = threading.Thread(target=server.serve, daemon=True, name="fieldreg-https")
    thread.start()

    def stop() -> None:
        server.stop()
        thread.join(10)

    return stop
