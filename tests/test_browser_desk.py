"""The registration desk as a tired registrar meets it, in a real Chromium: a convoy's time in
local time, the browser's own validation messages in the page language, and a walk through
registration, search, corrections, convoys and scanning at 360 px in Arabic and 800 px in
English, with screenshots in test-artifacts/ for review (issue 14's newcomer, second pass).
"""

from __future__ import annotations

import pytest

from fieldreg import boarding, convoys
from fieldreg.db import connect
from tests.browser_fixtures import OFF_SCREEN, PIN, coordinator_desk, screenshot, signed_in
from tests.conftest import LiveServer, household_body
from tests.test_browser_offline import ready, until

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 800, "height": 1280}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A station with a coordinator, a household of three and a convoy with one bus."""
    data, household = coordinator_desk(tmp_path_factory, household_body())
    db = connect(data / "fieldreg.db")
    convoy = convoys.create_convoy(db, {"reference": "IDLIB-07", "agency": "SARC"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    boarding.scan(db, bus["id"], {"code": household["code"], "kind": "board"}, "coord", True)
    db.close()
    server = LiveServer(data).start()
    yield server, household, convoy, bus
    server.stop()


def test_a_convoy_is_planned_in_the_tablets_local_time(chromium, desk):
    """A registrar types local time; it was stored as UTC (10:00 in Damascus became 10:00Z)."""
    server = desk[0]
    page = signed_in(chromium, server, "en", TABLET, zone="Asia/Damascus")
    page.goto(server.url + "/convoys/")
    page.click("summary:has-text('New convoy')")
    page.fill("[name=reference]", "HOMS-3")
    page.fill("[name=planned_departure]", "2026-12-01T10:00")
    page.click("button:has-text('Create convoy')")
    page.wait_for_url("**/convoys/*")
    assert "2026-12-01 10:00" in page.inner_text("dl.facts")
    convoy_id = page.url.rsplit("/", 1)[1]
    db = connect(server.data / "fieldreg.db")
    stored = convoys.get_convoy(db, convoy_id)["planned_departure"]
    db.close()
    assert stored == "2026-12-01T07:00:00+00:00"
    page.context.close()


def validation_message(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => e.validationMessage")


def test_the_browsers_own_checks_speak_the_page_language(chromium, desk):
    """Chromium said "Please fill in this field." on an Arabic page (the browser's language)."""
    server = desk[0]
    context = chromium.new_context(viewport=PHONE, locale="en-GB")
    context.add_cookies([{"name": "lang", "value": "ar", "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("[name=username]", "coord")
    page.fill("[name=pin]", "12ab")
    page.click("button[type=submit]")
    assert validation_message(page, "[name=pin]") == "يرجى كتابة أرقام فقط."
    assert page.url.endswith("/login")
    page.fill("[name=pin]", PIN)  # corrected: the message goes, the form is sent
    assert validation_message(page, "[name=pin]") == ""
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(server.url + "/convoys/")
    page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
    page.click("form[action='/convoys/'] button[type=submit]")
    assert validation_message(page, "[name=reference]") == "يرجى ملء هذا الحقل."
    page.fill("[name=expected]", "5000")
    page.click("form[action='/convoys/vehicles'] button[type=submit]")
    assert validation_message(page, "[name=expected]") == "أكبر قيمة مسموح بها هي 1000."
    context.close()


WALK = (
    ("register", "/register"),
    ("search", "/search?q=Halabi"),
    ("household", "/households/{hh}"),
    ("household-edit", "/households/{hh}/edit"),
    ("person", "/people/{person}"),
    ("person-edit", "/people/{person}/edit?next=/people/{person}"),
    ("convoys", "/convoys/"),
    ("convoy", "/convoys/{convoy}"),
    ("vehicle", "/convoys/vehicles/{bus}"),
    ("boarding", "/convoys/vehicles/{bus}/scan?kind=board"),
    ("scan", "/scan/photo"),
)


@pytest.mark.parametrize("lang, size", [("ar", PHONE), ("en", TABLET)])
def test_a_walk_through_the_desk(chromium, desk, lang, size):
    """Every page of the desk opens, fits the screen, and is kept as a screenshot for review."""
    server, household, convoy, bus = desk
    page = signed_in(chromium, server, lang, size)
    codes = {"hh": household["code"], "person": household["members"][0]["code"]}
    codes.update(convoy=convoy["id"], bus=bus["id"])
    wide = {}
    for name, path in WALK:
        answer = page.goto(server.url + path.format(**codes))
        assert answer.status == 200, path
        page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > size["width"]:
            wide[name] = width
        # A link or button only reachable by scrolling a table sideways is a link not seen.
        hidden = page.evaluate(OFF_SCREEN, size["width"])
        if hidden:
            wide[name] = hidden
        screenshot(page, f"walk-{name}-{size['width']}-{lang}")
    assert wide == {}
    register_and_board(page, server.url, codes, f"{size['width']}-{lang}")
    page.context.close()


def register_and_board(page, url: str, codes: dict, suffix: str) -> None:
    """Register a household of two as a registrar would, then scan its head onto the bus."""
    page.goto(url + "/register")
    ready(page)
    page.fill("[name=given_name]", "Huda")
    page.fill("[name=family_name]", "Nasser")
    page.fill("[name=age_years]", "33")
    page.click("[data-add-member]")
    page.fill("[name='m1-given_name']", "Sami")
    page.fill("[name='m1-age_years']", "4")
    page.click("button[value=save]")
    until(page, "() => !!document.querySelector('[data-saved-panel] [data-hh-qr]:not([hidden])')")
    screenshot(page, f"walk-register-saved-{suffix}")
    head = page.inner_text("[data-saved-panel] [data-saved-members] .code >> nth=0")
    page.goto(url + "/convoys/vehicles/{bus}/scan?kind=board".format(**codes))
    page.fill("[data-board-code]", head)
    page.press("[data-board-code]", "Enter")
    page.wait_for_selector("[data-board-log] li")
    until(page, "() => document.querySelector('[data-board-result]').dataset.state === 'ok'")
    screenshot(page, f"walk-boarding-scanned-{suffix}")
    assert "Huda" in page.inner_text("[data-board-result]")
    # Each code in the verdict stays on one line (a 360 px phone broke it after its dash).
    whole = (
        "[...document.querySelectorAll('[data-board-result] .code')]"
        ".map(c => c.getClientRects().length)"
    )
    lines = page.evaluate(whole)
    assert lines and set(lines) == {1}, lines


@pytest.mark.parametrize("lang, size", [("ar", PHONE), ("en", TABLET)])
def test_every_page_of_the_menu_fits_the_screen(chromium, desk, lang, size):
    """Each page a coordinator's menu offers opens, and none hides a link past the screen."""
    server = desk[0]
    page = signed_in(chromium, server, lang, size)
    menu = page.evaluate("[...document.querySelectorAll('.menu-panel nav a')].map(a => a.href)")
    assert len(menu) >= 10
    wide = {}
    for url in menu:
        assert page.goto(url).status == 200, url
        page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
        name = url.split("/", 3)[3].strip("/").replace("/", "-") or "home"
        width = page.evaluate("document.documentElement.scrollWidth")
        hidden = page.evaluate(OFF_SCREEN, size["width"])
        if width > size["width"] or hidden:
            wide[name] = (width, hidden)
        screenshot(page, f"menu-{name}-{size['width']}-{lang}")
    assert wide == {}
    page.context.close()
