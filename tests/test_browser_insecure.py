"""A tablet at the station's LAN address in a real Chromium: the plain-HTTP address is not a
secure context, so the page never claims a save it cannot keep; the HTTPS address `make run`
prints first keeps what it saves offline, even across a closed tab (issue 14).

The tablet reaches the station as ``station.lan``, a name Chromium maps to loopback
(--host-resolver-rules): an address that is not a secure context, as a LAN address is, without
contacting the machine's own network address.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fieldreg import auth
from fieldreg.db import connect, prepare
from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS, PIN, TABLET, screenshot
from tests.conftest import LiveServer, free_port
from tests.test_browser_offline import COUNT, eventually, households, ready, until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lan_station(tmp_path_factory):
    """A station serving plain HTTP and, beside it, HTTPS for tablets (as `make run` does)."""
    data = tmp_path_factory.mktemp("lan") / "data"
    db = connect(prepare(data))
    db.execute("update settings set value = 'T3S' where key = 'station_code'")
    auth.add_user(db, "reg", "registrar", PIN)
    db.close()
    https_port = free_port()
    server = LiveServer(data, args=("--https-port", str(https_port))).start()
    server.https_port = https_port
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lan_browser(lan_station):
    """Chromium that resolves station.lan to loopback and trusts the station's certificate."""
    sync_api = pytest.importorskip("playwright.sync_api")
    cert = x509.load_pem_x509_certificate((lan_station.data / "tls/server.crt").read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP station.lan 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={pin}"]  # fmt: skip
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


def sign_in(browser, origin: str):
    context = browser.new_context(viewport=TABLET, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(origin + "/login")
    page.fill("[name=username]", "reg")
    page.fill("[name=pin]", PIN)
    page.click("button[type=submit]")
    page.wait_for_url("**/register")
    return page


def save(page, name: str) -> None:
    page.fill("[name=given_name]", name)
    page.fill("[name=age_years]", "30")
    page.click("button[value=save]")


def test_the_plain_http_address_never_claims_a_save_it_cannot_keep(lan_browser, lan_station):
    page = sign_in(lan_browser, f"http://station.lan:{lan_station.port}")
    assert page.evaluate("window.isSecureContext") is False
    note = page.inner_text("[data-insecure-note]")
    assert f"https://station.lan:{lan_station.https_port}" in note
    save(page, "Online")
    until(page, "() => document.querySelector('[data-saved-panel]').hidden === false")
    assert len(households(lan_station)) == 1
    page.context.set_offline(True)
    save(page, "Offline")
    until(
        page,
        "() => document.querySelector('[data-outbox-status]').textContent.includes('Not saved')",
    )
    status = page.inner_text("[data-outbox-status]")
    assert "Saved on this tablet" not in status
    assert page.input_value("[name=given_name]") == "Offline", "what was typed is kept"
    assert page.inner_text("[data-outbox-count]") == "0"
    screenshot(page, "register-insecure-offline")
    page.context.set_offline(False)
    page.click("button[value=save]")
    until(page, "() => document.querySelector('[data-saved-panel]').hidden === false")
    assert len(households(lan_station)) == 2
    page.context.close()


def test_the_https_address_keeps_an_offline_save_across_a_closed_tab(lan_browser, lan_station):
    origin = f"https://station.lan:{lan_station.https_port}"
    page = sign_in(lan_browser, origin)
    assert page.evaluate("window.isSecureContext") is True
    assert page.is_hidden("[data-insecure-note]")
    ready(page)
    before = len(households(lan_station))
    page.context.set_offline(True)
    save(page, "Kept")
    until(page, COUNT, "1")
    assert "Saved on this tablet" in page.inner_text("[data-outbox-status]")
    context = page.context
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(origin + "/search")
    # The page's count reads "0" before the outbox has looked: wait for the station first.
    eventually(again, lambda: len(households(lan_station)) == before + 1, seconds=30)
    until(again, COUNT, "0")
    assert len(households(lan_station)) == before + 1
    context.close()
