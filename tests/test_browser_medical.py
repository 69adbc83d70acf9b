"""In a real Chromium on a phone-sized screen: the medic's queue, the triage panel, the camera."""

import shutil

import httpx
import pytest

from fieldreg import auth
from fieldreg.db import connect
from tests.conftest import PIN, household_body

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api")
if not CHROMIUM:
    pytest.skip("no chromium", allow_module_level=True)

FAKE_DETECTOR = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
  detect() { return Promise.resolve(window.__tag ? [{ rawValue: window.__tag }] : []); }
};
"""


@pytest.fixture
def station(live_server):
    db = connect(live_server.data / "fieldreg.db")
    auth.add_user(db, "medic", "medic", PIN)
    token = auth.create_token(db, "setup", "admin")
    db.close()
    headers = {"Authorization": f"Bearer {token}"}
    hh = httpx.post(live_server.url + "/api/v1/households", json=household_body(), headers=headers)
    return live_server, headers, hh.json()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        )
        yield b
        b.close()


def phone(browser, url):
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=url)
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "medic")
    page.fill("input[name=pin]", PIN)
    page.click("button[type=submit]")
    return page


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_medic_works_the_queue_on_a_phone(station, browser):
    server, headers, hh = station
    first, second = hh["members"][0]["code"], hh["members"][1]["code"]
    httpx.post(
        f"{server.url}/api/v1/people/{first}/triage", json={"category": "minor"}, headers=headers
    )
    page = phone(browser, server.url)
    page.clock.install()
    page.goto("/medical")
    assert page.locator("[data-queue-item]").count() == 1 and fits(page)
    # A colleague flags someone red: the list updates itself, red on top.
    httpx.post(
        f"{server.url}/api/v1/people/{second}/triage",
        json={"category": "immediate"},
        headers=headers,
    )
    page.clock.fast_forward(16_000)
    # expect() polls from Python: wait_for_function evaluates a string, which the CSP forbids.
    playwright.expect(page.locator("[data-queue-item]")).to_have_count(2)
    assert page.locator("[data-queue-item]").first.get_attribute("data-queue-item") == second
    # One tap opens the person, one more re-triages, and we are back at the queue.
    page.locator(f"[data-queue-item='{first}'] a").click()
    assert fits(page)
    button = page.locator("button.cat-button.cat-delayed")
    assert button.bounding_box()["height"] >= 44
    button.click()
    page.wait_for_url("**/medical")
    assert page.locator(f"[data-queue-item='{first}'] [data-flag='delayed']").count() == 1


def test_camera_scan_where_barcode_detector_exists(station, browser):
    server, _headers, hh = station
    page = phone(browser, server.url)
    page.goto("/scan/photo")
    assert page.locator("[data-camera]").is_hidden()  # no BarcodeDetector in desktop Chromium
    assert page.locator("input[type=file][capture]").count() == 1 and fits(page)
    page.add_init_script(FAKE_DETECTOR)
    page.goto("/scan/photo")
    assert page.locator("[data-camera]").is_visible()
    page.click("[data-camera-start]")
    page.evaluate(f"window.__tag = '{hh['members'][2]['code']}'")
    page.wait_for_url(f"**/people/{hh['members'][2]['code']}")


def test_keyboard_scanner_burst_opens_the_record_from_anywhere(station, browser):
    server, _headers, hh = station
    page = phone(browser, server.url)
    page.goto("/medical")
    page.locator("h1").click()  # no field has the focus
    page.keyboard.type(hh["members"][1]["code"], delay=5)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{hh['members'][1]['code']}")
    page.goto("/search")
    page.locator("h1").click()
    page.keyboard.type("T3S-22222A", delay=5)  # a scanned code with a wrong check character
    page.keyboard.press("Enter")
    page.wait_for_url("**/scan?code=*")
    assert "not a valid code" in page.content()


def test_scanner_enter_in_a_tag_field_does_not_send_the_form(station, browser, live_server):
    from fieldreg import auth as auth_mod
    from fieldreg.db import connect as connect_db

    db = connect_db(live_server.data / "fieldreg.db")
    auth_mod.add_user(db, "reg", "registrar", PIN)
    db.close()
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "reg")
    page.fill("input[name=pin]", PIN)
    page.click("button[type=submit]")
    page.goto("/register")
    posts = []
    # Form posts only: the outbox (issue 5) asks the API for device codes in the background.
    page.on(
        "request",
        lambda r: posts.append(r) if r.method == "POST" and "/api/" not in r.url else None,
    )
    page.fill("input[name=given_name]", "Salma")
    blocks = page.locator("[data-member]").count()
    page.locator("input[name=tag_code]").click()
    page.keyboard.type("T3S-22227E", delay=5)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert posts == []  # the half-filled form was not sent
    assert page.locator("[data-member]").count() == blocks  # nor was a member block added
    focused = page.evaluate("document.activeElement.name")
    assert focused and focused != "tag_code"  # the scanner's Enter moved on to the next field
    # Positive control: a form post from this page is seen by the same listener.
    page.evaluate("fetch('/logout', {method: 'POST'})")
    page.wait_for_timeout(300)
    assert [r.url for r in posts if r.url.endswith("/logout")]
