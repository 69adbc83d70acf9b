"""`serve --https`: a local CA made once, a certificate for the laptop's names, TLS served."""

import datetime as dt
import os
import ssl
import subprocess
import sys
import time

import httpx
import pytest
from cryptography import x509

from fieldreg import tls
from tests.conftest import ROOT, free_port


def test_the_ca_is_made_once_and_the_server_certificate_follows_the_addresses(data_dir):
    cert, key, ca = tls.ensure(data_dir, ["localhost", "station.local"], ["127.0.0.1"])
    first_ca, first_cert = ca.read_bytes(), cert.read_bytes()
    assert (data_dir / "tls" / "ca.key").stat().st_mode & 0o077 == 0
    assert key.stat().st_mode & 0o077 == 0
    tls.ensure(data_dir, ["localhost", "station.local"], ["127.0.0.1"])
    assert cert.read_bytes() == first_cert
    tls.ensure(data_dir, ["localhost", "station.local"], ["127.0.0.1", "192.168.8.10"])
    assert ca.read_bytes() == first_ca and cert.read_bytes() != first_cert
    made = x509.load_pem_x509_certificate(cert.read_bytes())
    san = made.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1",
        "192.168.8.10",
    }
    assert made.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=825)
    authority = x509.load_pem_x509_certificate(first_ca)
    made.verify_directly_issued_by(authority)


def test_serve_https_answers_over_tls_and_hands_out_the_ca_in_plain_http(data_dir):
    port, ca_port = free_port(), free_port()
    cmd = [
        sys.executable,
        "-m",
        "fieldreg",
        "--data",
        str(data_dir),
        "serve",
        "--https",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ca-port",
        str(ca_port),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        ca_file = tls.ca_path(data_dir)
        trust = None
        deadline = time.monotonic() + 20
        while True:
            try:
                trust = trust or ssl.create_default_context(cafile=str(ca_file))
                response = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=1)
                break
            except (httpx.HTTPError, OSError):
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
                time.sleep(0.2)
        assert response.status_code == 200
        plain = httpx.get(f"http://127.0.0.1:{ca_port}/ca.crt")
        assert plain.status_code == 200 and plain.content == tls.der(ca_file)
        moved = httpx.get(f"http://127.0.0.1:{ca_port}/register")
        assert moved.status_code == 302
        assert moved.headers["location"] == f"https://127.0.0.1:{port}/register"
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_locked_https_station_accepts_no_tls_until_unlocked_at_the_side_door(data_dir):
    """Issue 13: the TLS keys are encrypted under the station key; unlocking opens them."""
    import re

    port, ca_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "fieldreg", "--data", str(data_dir), "serve", "--https"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--ca-port", str(ca_port)]
    env = {k: v for k, v in os.environ.items() if k != "FIELDREG_PASSPHRASE"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    door = f"http://127.0.0.1:{ca_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(door + "/healthz", timeout=1).status_code == 200
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
                time.sleep(0.2)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"https://127.0.0.1:{port}/healthz", verify=False, timeout=2)
        assert httpx.get(door + "/ca.crt").status_code == 503  # no CA while locked
        with httpx.Client(base_url=door, timeout=10) as laptop:
            page = laptop.get("/unlock")
            assert page.status_code == 200
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            from tests.conftest import PASSPHRASE

            done = laptop.post("/unlock", data={"passphrase": PASSPHRASE, "csrf_token": csrf})
            assert done.status_code == 302
        assert httpx.get(door + "/ca.crt").content == tls.der(tls.ca_path(data_dir))  # made now
        trust = ssl.create_default_context(cafile=str(tls.ca_path(data_dir)))
        answer = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=5)
        assert answer.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_https_port_keeps_plain_http_for_the_laptop_and_tls_for_tablets(data_dir):
    """`make run`: http://127.0.0.1:8000 for the laptop, https on 8443 for tablets (issue 14)."""
    from tests.conftest import LiveServer

    https_port = free_port()
    server = LiveServer(data_dir, args=("--https-port", str(https_port))).start()
    try:
        trust = ssl.create_default_context(cafile=str(tls.ca_path(data_dir)))
        secure = httpx.get(f"https://127.0.0.1:{https_port}/healthz", verify=trust, timeout=5)
        assert secure.status_code == 200
        assert httpx.get(server.url + "/healthz").status_code == 200
        ca = httpx.get(server.url + "/ca.crt")
        assert ca.status_code == 200 and ca.content == tls.der(tls.ca_path(data_dir))
    finally:
        server.stop()


def test_serve_prints_the_tablets_https_address_first(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from fieldreg.cli import cli
    from fieldreg.cli import station as serving

    monkeypatch.setattr(
        serving, "lan_addresses", lambda host, port: [f"http://127.0.0.1:{port}",
                                                  f"http://192.168.8.10:{port}"]
    )  # fmt: skip
    out = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "init"], catch_exceptions=False)
    assert out.exit_code == 0

    def printed(**kwargs):
        with monkeypatch.context():
            lines = []
            monkeypatch.setattr(serving.click, "echo", lambda text, **_k: lines.append(text))
            serving._print_addresses(tmp_path / "d", "station", "0.0.0.0", 8000, **kwargs)
            return lines

    lines = printed(use_https=False, https_port=8443, ca_port=8001)
    assert lines[1].strip().startswith("tablets: https://192.168.8.10:8443")
    assert "http://192.168.8.10:8000/ca.crt" in lines[2]
    assert lines[3].strip() == "this laptop: http://127.0.0.1:8000"
    plain = printed(use_https=False, https_port=None, ca_port=8001)
    assert "no offline saving" in plain[1]
