"""A caseworker on a tablet, in a real Chromium (800 and 360 px wide): a child who arrived alone,
its family registered later, the match on the caseworker's page, the reasons side by side,
one tap to confirm the reunification, and the figures that follow (issue 19).
"""

from __future__ import annotations

import httpx
import pytest

from fieldreg import auth
from fieldreg.db import connect
from tests.browser_fixtures import PIN, screenshot
from tests.conftest import LiveServer
from tests.test_tracing import FAMILY, SAID

pytestmark = pytest.mark.browser
WIDTHS = {"tablet": 800, "phone": 360}


@pytest.fixture
def server(data_dir):
    """A station with a caseworker, a child alone with its case, and then its family."""
    db = connect(data_dir / "fieldreg.db")
    auth.add_user(db, "cw", "caseworker", PIN)
    token = auth.create_token(db, "setup", "registrar")
    db.close()
    live = LiveServer(data_dir).start()
    headers = {"Authorization": f"Bearer {token}"}
    child = {"members": [{"given_name": "عمر", "sex": "male", "age_years": 7,
                          "relationship": "head"}]}  # fmt: skip
    made = httpx.post(live.url + "/api/v1/households", json=child, headers=headers).json()
    case = httpx.post(live.url + "/api/v1/tracing/cases", headers=headers, json={
        "kind": "child", "person_code": made["members"][0]["code"], **SAID}).json()  # fmt: skip
    family = httpx.post(live.url + "/api/v1/households", json=FAMILY, headers=headers).json()
    yield live, case, family
    live.stop()


def fits(page) -> bool:
    """Tell whether the page fits its width (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", sorted(WIDTHS))
def test_a_caseworker_confirms_a_match_to_reunification(chromium, server, size):
    live, case, family = server
    context = chromium.new_context(viewport={"width": WIDTHS[size], "height": 900},
                                   locale="en-GB", base_url=live.url)  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("[name=username]", "cw")
    page.fill("[name=pin]", PIN)
    page.click("button[type=submit]")
    page.goto("/tracing/")
    waiting = page.locator("[data-match]")
    assert waiting.count() == 1 and "Probable" in waiting.inner_text() and fits(page)
    screenshot(page, f"tracing-waiting-{size}")
    waiting.locator("a").click()
    page.wait_for_url(f"**/tracing/cases/{case['id']}/compare/{family['id']}")
    reasons = page.locator("table.reasons").inner_text()
    assert "Father's name" in reasons and "same sound" in reasons and fits(page)
    confirm = page.locator("[data-confirm]")
    assert confirm.bounding_box()["height"] >= 44
    screenshot(page, f"tracing-compare-{size}")
    confirm.click()
    page.wait_for_url(f"**/tracing/cases/{case['id']}?done=confirm")
    assert page.locator("[data-outcome='reunified']").count() == 1 and fits(page)
    page.goto("/tracing/")
    assert page.locator("[data-match]").count() == 0
    figures = page.locator("table.tracing-figures").inner_text()
    assert "Reunified" in figures and fits(page)
    context.close()


def test_a_registrar_opens_a_case_for_a_child_who_arrived_alone(chromium, data_dir):
    db = connect(data_dir / "fieldreg.db")
    auth.add_user(db, "reg", "registrar", PIN)
    db.close()
    live = LiveServer(data_dir).start()
    try:
        context = chromium.new_context(viewport={"width": 360, "height": 800}, locale="en-GB",
                                       base_url=live.url)  # fmt: skip
        page = context.new_page()
        page.goto("/login")
        page.fill("[name=username]", "reg")
        page.fill("[name=pin]", PIN)
        page.click("button[type=submit]")
        page.goto("/tracing/")
        page.click("text=A child arrived alone")
        page.fill("[name=given_name]", "ليلى")
        page.fill("[name=father_name]", "Hassan")
        page.fill("[name=age_years]", "5")
        page.fill("[name=siblings]", "Ali\nMaryam")
        assert fits(page)
        page.click("button.primary[type=submit]")
        page.wait_for_url("**/tracing/cases/*?saved=1")
        assert "Candidates" not in page.content(), "a registrar never sees candidates"
        assert page.locator("[data-status='open']").count() == 1 and fits(page)
        context.close()
    finally:
        live.stop()
