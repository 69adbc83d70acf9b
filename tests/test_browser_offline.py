"""A tablet in a real Chromium keeps registering offline and delivers each record once."""

from __future__ import annotations

import time

import pytest

from fieldreg.db import connect
from tests.browser_fixtures import screenshot

pytestmark = pytest.mark.browser

CODES_READY = """async () => {
  if (!(await indexedDB.databases()).some(d => d.name === 'fieldreg')) return false;
  const db = await new Promise(ok => {
    const r = indexedDB.open('fieldreg');
    r.onsuccess = () => ok(r.result);
  });
  if (!db.objectStoreNames.contains('device')) return false;
  const dev = await new Promise(ok => {
    const r = db.transaction('device').objectStore('device').get('device');
    r.onsuccess = () => ok(r.result);
  });
  return !!(dev && dev.codes.length >= 40 && dev.station_key);
}"""
COUNT = "n => document.querySelector('[data-outbox-count]').textContent === n"
SHELL_READY = """async () => navigator.serviceWorker.controller !== null
  && !!(await caches.match('/register'))"""


def households(station) -> list[dict]:
    db = connect(station.data / "fieldreg.db")
    try:
        return list(
            db.query(
                "select h.code, c.device_id from households h "
                "left join codes c on c.code = h.code order by h.created_at"
            )
        )
    finally:
        db.close()


def eventually(page, check, seconds: float = 10, message=lambda: "") -> None:
    """Wait for ``check()``, letting Playwright run its handlers meanwhile: the sync API
    dispatches a route handler only while the test is inside a Playwright call, so a request
    caught by ``page.route`` after the last such call would wait for ever under time.sleep."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"condition not met in time {message()}"
        page.wait_for_timeout(100)


def until(page, script: str, arg=None, seconds: float = 15):
    """Poll an async page function until it is truthy (wait_for_function does not await)."""
    deadline = time.monotonic() + seconds
    while not (value := page.evaluate(script, arg)):
        assert time.monotonic() < deadline, f"page condition not met: {script[:60]}"
        time.sleep(0.1)
    return value


def ready(page) -> None:
    until(page, CODES_READY)
    until(page, SHELL_READY)


def outbox(page) -> int:
    return int(page.inner_text("[data-outbox-count]"))


def register(page, name: str, with_child: bool = False) -> str:
    """Fill and save the form; return the status line the registrar sees."""
    page.fill("[name=given_name]", name)
    page.fill("[name=father_name]", "Ahmad")
    page.fill("[name=family_name]", "Halabi")
    page.select_option("[name=sex]", "female")
    page.fill("[name=age_years]", "34")
    if with_child:
        page.click("[data-add-member]")
        page.fill("[name='m1-given_name']", name + " junior")
    before = page.evaluate("document.querySelector('[data-outbox-status]').textContent")
    page.click("button[value=save]")
    until(
        page,
        "b => { const s = document.querySelector('[data-outbox-status]'); "
        "return !s.hidden && s.textContent !== b; }",
        before,
    )
    return page.inner_text("[data-outbox-status]")


def test_offline_registrations_survive_a_reload_and_arrive_once(tablet, station):
    ready(tablet)
    register(tablet, "Online")
    until(
        tablet,
        "() => document.querySelector('[data-outbox-status]').textContent.includes('Received')",
    )
    assert outbox(tablet) == 0
    (online,) = households(station)
    tablet.context.set_offline(True)
    shown = [register(tablet, name, with_child=True) for name in ("Maryam", "Fatima", "Huda")]
    assert all("Saved on this tablet" in text for text in shown)
    until(tablet, COUNT, "3")
    screenshot(tablet, "register-offline-3-queued")
    tablet.reload()
    tablet.wait_for_selector("[name=given_name]")
    until(tablet, COUNT, "3")
    assert len(households(station)) == 1
    tablet.context.set_offline(False)
    until(tablet, COUNT, "0")
    rows = households(station)
    assert len(rows) == 4, rows
    # The codes shown offline are the final ones, from this tablet's block.
    new = [row for row in rows if row["code"] != online["code"]]
    assert all(row["device_id"] for row in new)
    assert sorted(text.split(" as ")[1].split(";")[0] for text in shown) == sorted(
        row["code"] for row in new
    )


def test_records_queued_while_the_station_is_down_are_delivered_after_restart(tablet, station):
    ready(tablet)
    station.stop()
    register(tablet, "Samira")
    register(tablet, "Rania")
    until(tablet, COUNT, "2")
    station.start()
    tablet.click("[data-outbox-send]")
    until(tablet, COUNT, "0")
    assert len(households(station)) == 2


def test_a_lost_answer_resent_makes_one_household(tablet, station):
    ready(tablet)
    sent, answers = [], []

    def lose_first_answer(route):
        sent.append(route.request.post_data)
        if len(sent) == 1:
            answers.append(route.fetch().status)  # the station receives and saves it...
            route.abort()  # ...but the answer never reaches the tablet
        else:
            route.continue_()

    tablet.route("**/api/v1/outbox", lose_first_answer)
    logs = []
    tablet.on("console", lambda m: logs.append(m.text))
    tablet.on("request", lambda r: logs.append(r.method + " " + r.url))
    tablet.on("requestfinished", lambda r: logs.append("done " + r.url))
    tablet.on("requestfailed", lambda r: logs.append("failed " + r.url))
    register(tablet, "Lina")
    # Usually at once; when a delivery pass is still busy, the next one sends it.
    eventually(tablet, lambda: len(households(station)) == 1, 30, lambda: (sent, answers, logs))
    tablet.wait_for_timeout(300)
    assert outbox(tablet) == 1
    tablet.click("[data-outbox-send]")
    until(tablet, COUNT, "0")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert len(households(station)) == 1


def test_pages_fit_a_tablet_screen(tablet, station):
    ready(tablet)
    screenshot(tablet, "register-360x740")
    for path in ("/register", "/search"):
        tablet.goto(station.url + path)
        assert tablet.evaluate("document.documentElement.scrollWidth") <= 360, path
    tablet.goto(station.url + "/register")
    register_text = register(tablet, "Nour")
    code = register_text.split(": ")[-1].split(".")[0]
    tablet.goto(f"{station.url}/households/{code}")
    screenshot(tablet, "household-360x740")


def test_a_new_release_replaces_the_cache_cleanly(tablet, station):
    ready(tablet)
    old = until(
        tablet, "async () => { const k = await caches.keys(); return k.length === 1 && k[0]; }"
    )
    station.stop()
    station.env["FIELDREG_APP_RELEASE"] = "next"
    station.start()
    tablet.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    until(
        tablet,
        "async old => { const k = await caches.keys(); "
        "const r = await navigator.serviceWorker.getRegistration(); "
        "return k.length === 1 && k[0] !== old && !!(await caches.match('/register')) "
        "&& !r.installing && !r.waiting && r.active.state === 'activated'; }",
        old,
    )
    tablet.context.set_offline(True)
    tablet.reload()
    assert tablet.is_visible("[name=given_name]")


def test_a_page_that_needs_the_station_says_so_offline(tablet, station):
    """Issue 14 (a newcomer offline): search opened the register form without a word, as if
    the tap had gone astray; the form now says why it is there."""
    ready(tablet)
    assert tablet.is_hidden("[data-offline-elsewhere]")
    tablet.context.set_offline(True)
    tablet.goto(station.url + "/search?q=Maryam")
    tablet.wait_for_selector("[name=given_name]")
    assert tablet.is_visible("[data-offline-elsewhere]")
    assert "only registering works" in tablet.inner_text("[data-offline-elsewhere]")
    screenshot(tablet, "offline-search-says-why")
    tablet.goto(station.url + "/register")
    tablet.wait_for_selector("[name=given_name]")
    assert tablet.is_hidden("[data-offline-elsewhere]")
