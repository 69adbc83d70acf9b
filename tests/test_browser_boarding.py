"""A registrar's tablet scans people onto a bus in a real Chromium, online then offline (issue 18).

What can be judged on the tablet is judged at once, offline too (a mistyped code, a tag already
on this bus: red, with a low tone); the rest waits in the outbox, sealed, and is delivered once
when the station is back, and its verdict replaces "saved on this tablet". The scan page
reopens offline from the tablet's cache. (Page waits poll with evaluate: a page served by the
service worker keeps the station's CSP, which forbids the eval of wait_for_function.)
"""

from __future__ import annotations

import pytest

from fieldreg import convoys, records
from fieldreg.db import connect
from tests.browser_fixtures import screenshot
from tests.conftest import household_body
from tests.test_browser_offline import eventually, ready

pytestmark = pytest.mark.browser
STATE = "document.querySelector('[data-board-result]').dataset.state"
SOUND = "document.querySelector('[data-board-result]').dataset.sound"


@pytest.fixture
def bus(station):
    """A convoy with one bus and two registered households, made at the running station."""
    db = connect(station.data / "fieldreg.db")
    try:
        convoy = convoys.create_convoy(db, {"reference": "C-1"}, "coord")
        vehicle = convoys.create_vehicle(
            db, {"convoy_id": convoy["id"], "kind": "bus", "label": "Bus 7", "expected": 6}, "coord"
        )
        first, _ = records.create_household(db, household_body(), "reg")
        second, _ = records.create_household(
            db, household_body(members=[{"given_name": "Huda"}, {"given_name": "Sami"}]), "reg"
        )
    finally:
        db.close()
    return {"id": vehicle["id"], "first": first, "second": second}


def scans(station) -> list[str]:
    db = connect(station.data / "fieldreg.db")
    try:
        rows = db.execute("select code from convoy_scans order by code").fetchall()
        return [row[0] for row in rows]
    finally:
        db.close()


def scan(page, code: str) -> None:
    before = page.evaluate("document.querySelectorAll('[data-board-log] li').length")
    page.fill("[data-board-code]", code)
    page.press("[data-board-code]", "Enter")
    count = "document.querySelectorAll('[data-board-log] li').length"
    eventually(page, lambda: page.evaluate(count) > before)


def verdict(page) -> tuple[str, str, str]:
    return (page.evaluate(STATE), page.evaluate(SOUND),
            page.inner_text("[data-board-result]"))  # fmt: skip


def test_a_tablet_scans_a_bus_online_and_offline(tablet, station, bus):
    ready(tablet)  # the tablet holds the station's key: what it queues is sealed
    tablet.goto(f"{station.url}/convoys/vehicles/{bus['id']}/scan?kind=board")
    scan(tablet, bus["first"]["code"])
    eventually(tablet, lambda: tablet.evaluate(STATE) == "ok")
    assert verdict(tablet)[1] == "ok" and "Zainab Halabi" in verdict(tablet)[2]
    assert tablet.inner_text("[data-count=boarded]") == "3"
    tablet.context.set_offline(True)
    huda = bus["second"]["members"][0]["code"]
    scan(tablet, huda)
    # "Sending…" at once, then "Saved on this tablet" once the outbox holds it sealed.
    eventually(tablet, lambda: "Saved on this tablet" in verdict(tablet)[2])
    assert verdict(tablet)[:2] == ("queued", "ok")
    scan(tablet, huda)
    assert verdict(tablet)[:2] == ("error", "error") and "Already scanned" in verdict(tablet)[2]
    scan(tablet, bus["first"]["members"][1]["code"])  # aboard with the household tag
    assert verdict(tablet)[:2] == ("error", "error")
    scan(tablet, "T3S-22222X")
    assert verdict(tablet)[:2] == ("error", "error") and "Not a valid code" in verdict(tablet)[2]
    screenshot(tablet, "boarding-offline")
    tablet.reload()  # the tablet's cache has the page; the queue is on the tablet, sealed
    tablet.wait_for_selector("[data-board-code]")
    sami = bus["second"]["members"][1]["code"]
    scan(tablet, sami)
    eventually(tablet, lambda: "Saved on this tablet" in verdict(tablet)[2])
    assert verdict(tablet)[0] == "queued"
    assert len(scans(station)) == 3
    # The counter follows the outbox's store a moment after the seal: wait for it, then hold it.
    eventually(tablet, lambda: tablet.inner_text("[data-outbox-count]") == "2")
    tablet.context.set_offline(False)
    eventually(tablet, lambda: len(scans(station)) == 5)
    eventually(tablet, lambda: tablet.inner_text("[data-outbox-count]") == "0")
    # The entry that said "saved on this tablet" now gives the station's verdict.
    delivered = (
        "[...document.querySelectorAll('[data-board-log] li')].find(li => "
        "li.textContent.includes('Sami'))?.className"
    )
    eventually(tablet, lambda: tablet.evaluate(delivered) == "ok")
    assert {huda, sami} <= set(scans(station))
    # Huda's scan was queued before the page was reopened: its verdict is shown all the same.
    eventually(tablet, lambda: "Huda" in tablet.inner_text("[data-board-log]"))
    screenshot(tablet, "boarding-delivered")
