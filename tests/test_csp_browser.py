"""In a real Chromium: the pages run under the Content-Security-Policy without a violation."""

from __future__ import annotations

import shutil

import pytest

from fieldreg import auth
from tests.conftest import PIN

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_pages_run_under_the_csp_without_violations(live_server, db):
    from playwright.sync_api import sync_playwright

    auth.add_user(db, "coco", "coordinator", PIN)
    violations: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.goto(live_server.url + "/login")
            page.fill("input[name=username]", "coco")
            page.fill("input[name=pin]", PIN)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)  # home differs by role
            page.goto(live_server.url + "/register")
            page.click("[data-add-member]")  # JavaScript ran: the block appears without a reload
            assert page.locator("[data-member]").count() == 2
            for path in ("/search?q=Omar", "/admin/users", "/admin/audit", "/tags/sheet"):
                page.goto(live_server.url + path)
            page.goto(live_server.url + "/register")
            page.on("dialog", lambda dialog: dialog.accept())  # Lock now asks first (issue 14)
            page.click("button.link >> text=Lock now")
            page.wait_for_url("**/unlock")
        finally:
            browser.close()
    assert violations == []
