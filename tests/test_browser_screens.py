"""Small screens in a real Chromium: the header, no sideways scrolling, touch targets, and
screenshots of the registration desk's pages in both languages for review (issue 14).

Screenshots go to test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import pytest

from fieldreg import auth, records
from fieldreg.db import connect
from fieldreg.schemas import records as schemas
from tests.browser_fixtures import screenshot
from tests.conftest import PIN, LiveServer, household_body

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A station with a coordinator and a household of three, served for the whole module."""
    from fieldreg.db import prepare

    data = tmp_path_factory.mktemp("desk") / "data"
    db = connect(prepare(data))
    db.execute("update settings set value = 'T3S' where key = 'station_code'")
    auth.add_user(db, "coord", "coordinator", PIN)
    body = household_body(vulnerabilities=["female_headed_household"])
    household, _new = records.create_household(db, schemas.HouseholdSchema().load(body), "t")
    db.close()
    server = LiveServer(data).start()
    yield server, household
    server.stop()


def signed_in(chromium, server, lang: str, size=PHONE):
    """A phone-sized page signed in as the coordinator, in a language."""
    context = chromium.new_context(viewport=size, locale="en-GB")
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("[name=username]", "coord")
    page.fill("[name=pin]", PIN)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


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
