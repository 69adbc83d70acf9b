"""Fixtures for tests in a real Chromium (Debian's, driven by Playwright; no download)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fieldreg import auth
from fieldreg.db import connect

CHROMIUM = os.environ.get("FIELDREG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TABLET = {"width": 360, "height": 740}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PIN = "246813"  # as in conftest
# The links and buttons of a page's main part lying past the screen's edges (a link only
# reachable by scrolling a table sideways is a link not seen): their words.
OFF_SCREEN = """width => [...document.querySelectorAll('main a, main button')]
  .filter(e => e.offsetParent !== null)
  .filter(e => { const r = e.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
  .map(e => e.textContent.trim())"""


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module (a session-wide one would clash with tests that run their
    own ``sync_playwright()``: Playwright allows one sync loop at a time)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def station(data_dir):
    """A real station server with a registrar (PIN as in conftest)."""
    from tests.conftest import LiveServer  # conftest imports this module: import late

    db = connect(data_dir / "fieldreg.db")
    auth.add_user(db, "reg", "registrar", PIN)
    db.close()
    server = LiveServer(data_dir).start()
    yield server
    server.stop()


@pytest.fixture
def tablet(chromium, station):
    """A fresh tablet-sized browser context, signed in as the registrar, on /register."""
    context = chromium.new_context(viewport=TABLET, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(station.url + "/login")
    page.fill("[name=username]", "reg")
    page.fill("[name=pin]", PIN)
    page.click("button[type=submit]")
    page.wait_for_url("**/register")
    yield page
    context.close()


def coordinator_desk(tmp_path_factory, body: dict):
    """Prepare a station T3S with a coordinator and one household; return (data, household)."""
    from fieldreg import records
    from fieldreg.db import prepare
    from fieldreg.schemas import records as schemas

    data = tmp_path_factory.mktemp("desk") / "data"
    db = connect(prepare(data))
    try:
        db.execute("update settings set value = 'T3S' where key = 'station_code'")
        auth.add_user(db, "coord", "coordinator", PIN)
        household, _new = records.create_household(db, schemas.HouseholdSchema().load(body), "t")
    finally:
        db.close()
    return data, household


def signed_in(chromium, server, lang: str, size=TABLET, zone: str | None = None):
    """A page signed in as the coordinator, in a language (and a time zone), at a size."""
    options = {"timezone_id": zone} if zone else {}
    context = chromium.new_context(viewport=size, locale="en-GB", **options)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("[name=username]", "coord")
    page.fill("[name=pin]", PIN)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def screenshot(page, name: str) -> Path:
    """Keep a screenshot as a test artefact (test-artifacts/ is not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
