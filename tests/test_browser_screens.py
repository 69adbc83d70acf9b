"""Small screens in a real Chromium: the header, no sideways scrolling, touch targets, and
screenshots of the registration desk's pages in both languages for review (issue 14).

Screenshots go to test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import pytest

from fieldreg import boarding, convoys
from fieldreg.db import connect
from tests.browser_fixtures import OFF_SCREEN, coordinator_desk, screenshot, signed_in
from tests.conftest import LiveServer, household_body

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
# Pages a coordinator opens at the station ({hh} and {person} are a household and a member).
PAGES = (
    "/register", "/search", "/search?q=Halabi", "/scan/photo", "/tags/sheet", "/backups",
    "/station/tablets", "/admin/users", "/admin/audit", "/dashboard", "/report", "/exports",
    "/sync/", "/sync/conflicts", "/medical", "/lock", "/households/{hh}", "/households/{hh}/card",
    "/households/{hh}/wristbands", "/households/{hh}/edit", "/households/{hh}/members/new",
    "/people/{person}", "/people/{person}/edit", "/people/{person}/held",
)  # fmt: skip


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A station with a coordinator and a household of three, served for the whole module."""
    body = household_body(vulnerabilities=["female_headed_household"])
    data, household = coordinator_desk(tmp_path_factory, body)
    server = LiveServer(data).start()
    yield server, household
    server.stop()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_screenshots_of_the_desk_at_360px(chromium, desk, lang):
    server, household = desk
    page = signed_in(chromium, server, lang)
    code = household["code"]
    pages = {
        "register": "/register",
        "household": f"/households/{code}",
        "wristbands": f"/households/{code}/wristbands",
        "card": f"/households/{code}/card",
        "dashboard": "/dashboard",
    }
    for name, path in pages.items():
        page.goto(server.url + path)
        screenshot(page, f"desk-{name}-360-{lang}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_header_is_one_line_and_the_scan_field_on_a_phone(chromium, desk, lang):
    """Issue 14: on a 390x844 phone the header took 286 px, a third of the screen."""
    server, _household = desk
    page = signed_in(chromium, server, lang, {"width": 390, "height": 844})
    for path in ("/register", "/dashboard"):
        page.goto(server.url + path)
        top = page.evaluate(
            """() => {
              const box = e => e.getBoundingClientRect();
              const bar = [...document.querySelectorAll('.top .bar > *')]
                .filter(e => box(e).width > 0);
              return {header: box(document.querySelector('.top')).height,
                      scan: box(document.querySelector('.top .scan')).height,
                      tops: bar.map(e => Math.round(box(e).top + box(e).height / 2))};
            }"""
        )
        assert max(top["tops"]) - min(top["tops"]) <= 4, (path, top)  # one line
        assert top["header"] <= 48 + top["scan"] + 16, (path, top)
    page.click("label.menu-button")
    assert page.is_visible(".menu-panel a[href='/dashboard']")
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_page_scrolls_sideways_and_touch_targets_are_big_enough(chromium, desk, lang):
    """At 360 px: no page wider than the screen (wristbands, tablets and users were), and every
    checkbox and radio button a target of at least 44 x 44 px (its label), and every fold that
    opens (a <summary>: "Needs" was 24 px high, issue 14's newcomer)."""
    server, household = desk
    page = signed_in(chromium, server, lang)
    person = household["members"][0]["code"]
    wide, small = {}, {}
    for path in PAGES:
        page.goto(server.url + path.format(hh=household["code"], person=person))
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        width = page.evaluate("document.documentElement.scrollWidth")
        hidden = page.evaluate(OFF_SCREEN, PHONE["width"])
        if width > PHONE["width"] or hidden:
            wide[path] = (width, hidden)
        targets = page.evaluate(
            """() => [...document.querySelectorAll(
                'input[type=checkbox], input[type=radio], main summary')]
              .filter(i => !i.classList.contains('menu-toggle'))
              .map(i => { const r = (i.closest('label') || i).getBoundingClientRect();
                          return [i.name || i.textContent.trim(), Math.round(r.width),
                                  Math.round(r.height)]; })
              .filter(([_n, w, h]) => w < 44 || h < 44)"""
        )
        if targets:
            small[path] = targets
    assert wide == {} and small == {}
    page.context.close()


def test_lock_now_asks_first(chromium, desk):
    server, _household = desk
    page = signed_in(chromium, server, "en")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.goto(server.url + "/search")
    page.click("label.menu-button")
    page.click("form.lock button")
    page.wait_for_timeout(300)
    assert asked and "Lock the station now?" in asked[0]
    assert page.url.endswith("/search")
    page.goto(server.url + "/register")
    assert page.url.endswith("/register"), "still unlocked"
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_convoy_pages_fit_a_phone(chromium, desk, lang):
    """Issue 14 (a newcomer's convoy): at 360 px the reconciliation, the in-transit list and the
    dashboard's convoy panel were wider than the screen, the last column out of its card."""
    server, household = desk
    db = connect(server.data / "fieldreg.db")
    convoy = convoys.create_convoy(db, {"reference": "IDLIB-07", "agency": "SARC"}, "coord")
    bus = {"convoy_id": convoy["id"], "kind": "ambulance", "label": "12345 إدلب"}
    bus = convoys.create_vehicle(db, bus, "coord")
    boarding.scan(db, bus["id"], {"code": household["code"], "kind": "board"}, "coord", True)
    db.close()
    page = signed_in(chromium, server, lang)
    wide = {}
    for path in (
        f"/convoys/{convoy['id']}", f"/convoys/{convoy['id']}/reconciliation",
        f"/convoys/vehicles/{bus['id']}", f"/convoys/vehicles/{bus['id']}/reconciliation",
        f"/convoys/vehicles/{bus['id']}/scan?kind=arrive", "/convoys/transit", "/dashboard",
    ):  # fmt: skip
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    screenshot(page, f"convoy-dashboard-360-{lang}")
    page.goto(server.url + f"/convoys/{convoy['id']}/reconciliation")
    screenshot(page, f"convoy-reconciliation-360-{lang}")
    assert wide == {}
    lines = page.eval_on_selector_all(
        "td.code",
        """cells => cells.map(c => { const r = document.createRange(); r.selectNodeContents(c);
             return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; })""",
    )
    assert lines and set(lines) == {1}, lines  # no code broken over lines
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_household_card_keeps_its_code_on_one_line(chromium, desk, lang):
    """Issue 14 (a newcomer's card at 360 px): the household code broke after "K7M-"."""
    server, household = desk
    page = signed_in(chromium, server, lang)
    page.goto(server.url + f"/households/{household['code']}/card")
    lines = page.eval_on_selector(
        ".card-head .code",
        """c => { const r = document.createRange(); r.selectNodeContents(c);
             return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }""",
    )
    assert lines == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()
