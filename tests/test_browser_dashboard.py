"""The dashboard in a real Chromium: both languages, tablet and phone sizes, self-refresh.

Screenshots go to test-artifacts/ (kept by CI as artefacts, ignored by git).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import httpx
import pytest

from fieldreg import auth, records
from fieldreg.db import connect
from fieldreg.schemas import records as schemas
from tests.conftest import PIN, ROOT, LiveServer, household_body
from tests.synckit import MEDICAL_SECRETS, first_day

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
SIZES = {"tablet": (800, 1280), "phone": (360, 740)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def seed(data: Path, households: int = 40) -> None:
    """Register a day of varied arrivals (some gone on, some children alone)."""
    rng = random.Random(8)
    db = connect(data / "fieldreg.db")
    auth.add_user(db, "coord", "coordinator", PIN)
    for n in range(households):
        members = [
            {"given_name": rng.choice(["Ahmad", "فاطمة", "Omar", "مريم", "Ali", "ليلى"]),
             "sex": rng.choice(["female", "male"]), "age_years": rng.choice(ages)}
            for ages in [[rng.randint(0, 80)] for _ in range(rng.randint(1, 6))]
            for _ in [0]
        ]  # fmt: skip
        if n % 9 == 0:
            members[0].update(age_years=11, vulnerabilities=["unaccompanied_child"])
        body = household_body(
            members=members,
            arrival={"at": f"2026-11-20T{6 + n // 4:02d}:{n % 60:02d}:00",
                     "transport": rng.choice(schemas.TRANSPORTS)},
            destination={"kind": rng.choice(schemas.DESTINATION_KINDS)},
        )  # fmt: skip
        household, _new = records.create_household(db, schemas.HouseholdSchema().load(body), "t")
        if n % 5 == 0:
            db.execute("update people set status = 'departed' where household_id = ?",
                       [household["id"]])  # fmt: skip
    db.close()


@pytest.fixture
def server(data_dir):
    seed(data_dir)
    live = LiveServer(data_dir, env={"FIELDREG_DASHBOARD_REFRESH_SECONDS": "1"}).start()
    yield live
    live.stop()


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield chromium
        chromium.close()


def login(page, url: str) -> None:
    page.goto(url + "/login?next=/dashboard")
    page.fill("input[name=username]", "coord")
    page.fill("input[name=pin]", PIN)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: url.split("?")[0].endswith("/dashboard"))


def test_dashboard_in_both_languages_and_sizes(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        page = browser.new_page(viewport={"width": width, "height": height})
        login(page, server.url)
        assert page.locator("svg.chart").count() >= 4
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scroll"
        page.screenshot(path=ARTIFACTS / f"dashboard-en-{size}.png", full_page=True)
        page.click("button[name=lang][value=ar]")
        page.wait_for_load_state()
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.locator("text=الأشخاص المسجَّلون").count() == 1
        brand = page.locator(".brand").bounding_box()
        assert brand["x"] > width / 2, "the header mirrors: the brand sits on the right"
        page.click("label.menu-button")  # the digits switch is in the menu (issue 14)
        page.click("button[name=digits][value=arabic]")
        page.wait_for_load_state()
        assert page.locator(".kpi b").first.inner_text()[0] in "٠١٢٣٤٥٦٧٨٩"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=ARTIFACTS / f"dashboard-ar-{size}.png", full_page=True)
        page.click("button[name=lang][value=en]")
        page.click("label.menu-button")
        page.click("button[name=digits][value=western]")
        page.close()
    for name in ("dashboard-en-tablet", "dashboard-ar-tablet", "dashboard-ar-phone"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_dashboard_updates_by_itself(server, browser, data_dir):
    page = browser.new_page(viewport={"width": 800, "height": 1280})
    login(page, server.url)
    before = int(page.locator(".kpi b").first.inner_text())
    db = connect(data_dir / "fieldreg.db")
    token = auth.create_token(db, "reg", "registrar")
    db.close()
    answer = httpx.post(server.url + "/api/v1/households", json=household_body(),
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 201
    # Poll from Python: wait_for_function evaluates a string in the page, which the CSP forbids.
    kpi = page.locator(".kpi b").first
    pytest.importorskip("playwright.sync_api").expect(kpi).to_have_text(
        str(before + 3), timeout=10_000
    )


def kpis(page) -> dict[str, str]:
    """Return the dashboard's key figures by their label."""
    return {box.locator("span").inner_text(): box.locator("b").inner_text()
            for box in page.locator(".kpi").all()}  # fmt: skip


def test_hq_dashboard_at_1280_in_both_languages(tmp_path, browser):
    """HQ's first day (tests/synckit.first_day): the page's figures are /api/v1/stats's, no
    medic's words reach an analyst, and the Arabic page has no English left in it."""
    day = first_day(tmp_path)
    hq = day["hq"]
    auth.add_user(hq, "ana", "analyst", PIN)
    token = auth.create_token(hq, "ana-api", "analyst")
    hq.close()
    server = LiveServer(tmp_path / "hq", role="hq").start()
    try:
        figures = httpx.get(server.url + "/api/v1/stats",
                            headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/login?next=/dashboard")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=pin]", PIN)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: url.split("?")[0].endswith("/dashboard"))
        shown = kpis(page)
        expected = {"Registrations (people)": figures["people"],
                    "Unique people": figures["unique_people"],
                    "Registrations (households)": figures["households"],
                    "Unique households": figures["unique_households"],
                    "Children alone": figures["tracing"]["unique_registered"]["total"],
                    "Wounded": figures["unique_figures"]["triage"]["total"]}  # fmt: skip
        assert {k: int(shown[k]) for k in expected} == expected
        # Issue 15 (HQ's first day): the man triaged at both stations is one wounded person.
        assert (figures["triage"]["total"], expected["Wounded"]) == (2, 1)
        assert figures["tracing"]["registered"]["total"] == 1 and figures["people"] == 14
        assert figures["unique_people"] == 9, figures["unique_people"]
        text = page.inner_text("body")
        assert not [s for s in MEDICAL_SECRETS if s in text]
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=ARTIFACTS / "hq-dashboard-en-1280.png", full_page=True)
        page.click("button[name=lang][value=ar]")
        page.wait_for_load_state()
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        lines = {line.strip() for line in page.inner_text("body").splitlines()}
        english = {line for line in lines if re.search("[A-Za-z]{3}", line)
                   and not re.search("[\u0600-\u06ff]", line)}  # fmt: skip
        assert english <= {"FieldReg", "English", "UTC", "Bus 12"}, english
        page.screenshot(path=ARTIFACTS / "hq-dashboard-ar-1280.png", full_page=True)
        page.click("button[name=lang][value=en]")
        page.close()
    finally:
        server.stop()
