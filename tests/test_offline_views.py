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
def test_the_tablets_page_is_for_coordinators(client, auth_actions, app, role, status):
    auth_actions.login(role)
    app.config.update(HTTPS_PORT=8443, CA_PORT=8001)
    tls.ensure(app.config["DATA"], ["localhost"], ["127.0.0.1"])
    response = client.get("/station/tablets")
    assert response.status_code == status
    if status == 200:
        page = response.get_data(as_text=True)
        assert "http://localhost:8001/ca.crt" in page and "Android" in page
        assert tls.fingerprint(tls.ca_path(app.config["DATA"])) in page
        qr = client.get("/station/ca-qr/0.svg")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
