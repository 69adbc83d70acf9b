"""The service worker route, the CA download and the tablets page."""

import pytest

from fieldreg import tls


def test_service_worker_is_served_from_the_root_with_its_version(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert "__VERSION__" not in body and 'var VERSION = "' in body
    app.config["APP_RELEASE"] = "next"
    assert client.get("/sw.js").get_data(as_text=True) != body


def test_pages_carry_the_csrf_token_and_outbox_for_scripts(client, auth_actions):
    auth_actions.login("registrar")
    page = client.get("/register").get_data(as_text=True)
    assert '<meta name="csrf-token" content="' + auth_actions.csrf() + '">' in page
    assert "data-outbox-count" in page and "/static/outbox.js" in page
    assert "<script>" not in page and " onclick=" not in page


def test_the_ca_is_public_once_made(client, app):
    assert client.get("/ca.crt").status_code == 404
    tls.ensure(app.config["DATA"], ["localhost"], ["127.0.0.1"])
    response = client.get("/ca.crt")
    assert response.status_code == 200 and response.mimetype == "application/x-x509-ca-cert"
    assert response.data == tls.der(tls.ca_path(app.config["DATA"]))


@pytest.mark.parametrize("role, status", [("registrar", 403), ("coordinator", 200)])
def test_the_tablets_page_is_for_coordinators(client, auth_actions, app, role, status, monkeypatch):
    auth_actions.login(role)
    app.config.update(HTTPS_PORT=8443, CA_PORT=8001)
    tls.ensure(app.config["DATA"], ["localhost"], ["127.0.0.1"])
    monkeypatch.setattr(tls, "local_names", lambda: (["station"], ["127.0.0.1", "192.168.8.10"]))
    response = client.get("/station/tablets")
    assert response.status_code == status
    if status == 200:
        page = response.get_data(as_text=True)
        assert "http://192.168.8.10:8001/ca.crt" in page and "Android" in page
        assert tls.fingerprint(tls.ca_path(app.config["DATA"])) in page
        qr = client.get("/station/ca-qr/0.svg")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_the_tablets_page_gives_the_lan_https_address_with_its_qr_and_steps(
    client, auth_actions, app, monkeypatch
):
    """Issue 14: the page showed http://127.0.0.1:8000, an address no tablet can open."""
    auth_actions.login("coordinator")
    app.config.update(HTTPS_PORT=8443, CA_PORT=8000)
    tls.ensure(app.config["DATA"], ["localhost"], ["127.0.0.1"])
    monkeypatch.setattr(tls, "local_names", lambda: (["station"], ["127.0.0.1", "192.168.8.10"]))
    page = client.get("/station/tablets").get_data(as_text=True)
    assert "127.0.0.1" not in page and "localhost" not in page
    assert "data-tablet-url>https://192.168.8.10:8443<" in page
    assert 'src="/station/address-qr/0.svg"' in page
    assert page.count("<li><h2>") == 4  # Wi-Fi, certificate, address, first sign-in
    assert client.get("/station/address-qr/0.svg").mimetype == "image/svg+xml"
    assert client.get("/station/address-qr/1.svg").status_code == 404
    app.config.update(HTTPS_PORT=None, CA_PORT=None)
    plain = client.get("/station/tablets").get_data(as_text=True)
    assert "serves no HTTPS address" in plain and "--https-port 8443" in plain
    assert "data-tablet-url>http://192.168.8.10:" in plain
