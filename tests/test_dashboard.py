"""Dashboard pages, the self-refreshing block, the situation report and its PDF (issue 8)."""

from __future__ import annotations

import base64
import re
import zlib

import pytest

from fieldreg import create_app
from tests.conftest import household_body

PAGES = ["/dashboard", "/dashboard/figures", "/report", "/report.pdf"]


@pytest.fixture
def registered(client, api):
    for kids in ([], ["unaccompanied_child"]):
        body = household_body(arrival={"at": "2026-11-20T08:10:00", "transport": "bus"})
        body["members"][2]["vulnerabilities"] = kids
        assert client.post("/api/v1/households", json=body, headers=api).status_code == 201


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role,status", [("registrar", 403), ("medic", 403), ("coordinator", 200),
                                         ("analyst", 200), ("admin", 200)])  # fmt: skip
def test_who_sees_the_dashboard(client, auth_actions, path, role, status):
    auth_actions.login(role)
    assert client.get(path).status_code == status


def test_station_dashboard_answers_the_questions(client, auth_actions, registered):
    auth_actions.login("coordinator")
    page = client.get("/dashboard").get_data(as_text=True)
    for words in (
        "People registered",
        "Present now",
        "Departed",
        "Children alone",
        "People arrived per hour",
        "People by sex and age",
        "Households by transport",
    ):
        assert words in page
    assert '<div class="kpi alert"><b>1</b><span>Children alone' in page
    assert page.count('<svg class="chart"') >= 4, "charts drawn on the server"
    assert '<script src="/static/dashboard.js"' in page and "data-refresh-url" in page
    assert "http://" not in page and "https://" not in page, "no CDN, nothing external"
    assert "style=" not in page and "<script>" not in page, "CSP: no inline style or script"
    assert "<b>0</b><span>Wounded" in page, "no triage yet: zero wounded recorded"


def test_triage_figures_come_from_the_medical_tent(client, auth_actions, api, registered):
    people = client.get("/api/v1/search", query_string={"q": "Omar"}, headers=api).json
    codes = [r["code"] for r in people["results"]]
    for code, category in zip(codes, ["immediate", "delayed"], strict=True):
        answer = client.post(f"/api/v1/people/{code}/triage", json={"category": category},
                             headers=api)  # fmt: skip
        assert answer.status_code == 201, answer.json
    auth_actions.login("coordinator")
    page = client.get("/dashboard/figures").get_data(as_text=True)
    assert "Wounded by triage" in page and 'class="bar immediate"' in page
    assert "<b>2</b><span>Wounded" in page and "<b>2</b><span>Waiting for care" in page


def test_arabic_charts_mirror_and_use_chosen_digits(client, auth_actions, registered):
    auth_actions.login("coordinator")
    client.set_cookie("lang", "ar")
    client.set_cookie("digits", "arabic")
    page = client.get("/dashboard/figures").get_data(as_text=True)
    assert "<b>٦</b>" in page and "حافلة" in page
    # the transport bar starts from the right edge in Arabic (labels on the reading side)
    svg = page[page.index('aria-label="الأسر حسب وسيلة النقل"') :]
    assert 'text-anchor="start">حافلة' in svg[:600]
    # issue 14 (a newcomer's Arabic digits): the pyramid's age groups kept Western digits
    pyramid = page[page.index('aria-label="الأشخاص حسب الجنس والعمر"') :].split("</svg>")[0]
    assert "٠-٤" in pyramid and "18-59" not in pyramid


def test_report_for_a_period_and_bad_dates(client, auth_actions, registered):
    auth_actions.login("coordinator")
    page = client.get("/report?since=2026-11-20&until=2026-11-20").get_data(as_text=True)
    assert "Situation report" in page and "<b>6</b><span>People registered" in page
    empty = client.get("/report?since=2026-11-21").get_data(as_text=True)
    assert "<b>0</b><span>People registered" in empty
    assert client.get("/report?since=yesterday").status_code == 400


def test_report_pdf(client, auth_actions, registered):
    auth_actions.login("coordinator")
    answer = client.get("/report.pdf?since=2026-11-20&until=2026-11-20")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF-") and len(answer.data) > 1500
    assert "attachment" in answer.headers["Content-Disposition"]
    text = pdf_text(answer.data)
    for words in ("Situation report: T3S", "People registered", "Unaccompanied child", "18-59"):
        assert words in text
    assert "(6)" in text, "the people count is in the PDF"
    assert "2026-11-20 to 2026-11-20" in text, "the last day asked for, not the exclusive end"


def pdf_text(data: bytes) -> str:
    """Decode a PDF's content streams (ReportLab: ASCII85 then Flate) to find the text drawn."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            raw = base64.a85decode(stream.strip().removesuffix(b"~>"))
            out.append(zlib.decompress(raw).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    return "".join(out)


def test_hq_dashboard_without_dedup_shows_no_unique_figure(data_dir, registered, db):
    hq = create_app({"DATA": str(data_dir), "TESTING": True, "ROLE": "hq"})
    client = hq.test_client()
    from tests.conftest import AuthActions

    AuthActions(client, db).login("analyst")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "HQ: all stations" in page and "not deduplicated yet" in page
    assert '<th class="code">T3S</th><td>2</td><td>6</td>' in page
    assert "Possible duplicates" not in page, "no review-queue figure without its data"
    body = client.get("/api/v1/stats", headers=AuthActions(client, db).token()).json
    assert body["raw"] == {"people": 6, "households": 2} and body["unique"] is None


@pytest.mark.parametrize("query", ["since=9999-99-99", "until=9999-12-31", "since=0000-01-01",
                                   "until=99999-01-01", "since=" + "9" * 5000])  # fmt: skip
@pytest.mark.parametrize("path", ["/report", "/report.pdf"])
def test_out_of_range_report_dates_are_a_400_in_the_one_shape(client, auth_actions, path, query):
    """issue 13: a date past 9999-12-31 (the day after it included) is refused, not a 500."""
    headers = auth_actions.token("coordinator")
    answer = client.get(f"{path}?{query}", headers=headers)
    assert answer.status_code == 400
    assert answer.json["code"] == "bad_request" and set(answer.json) == {"error", "fields", "code"}


def test_a_child_alone_counts_once(client, auth_actions, api):
    """A child registered alone (flagged on the household and on its own record, as the form
    and a tracing case both do) is one child: the dashboard said "Children alone: 2" above a
    table that said 1 (HQ's first day)."""
    body = household_body(vulnerabilities=["unaccompanied_child"])
    body["members"] = [{**body["members"][2], "relationship": "head",
                        "vulnerabilities": ["unaccompanied_child"]}]  # fmt: skip
    assert client.post("/api/v1/households", json=body, headers=api).status_code == 201
    auth_actions.login("coordinator")
    for path in ("/dashboard", "/report"):
        page = client.get(path).get_data(as_text=True)
        assert '<div class="kpi alert"><b>1</b><span>Children alone' in page, path
    figures = client.get("/api/v1/stats", headers=api).get_json()
    assert figures["tracing"]["registered"]["total"] == 1


def test_a_child_flagged_only_on_its_household_is_counted(client, auth_actions, api):
    """A lone child whose registrar ticked "Unaccompanied child" under the household's needs
    only is still a child alone (counted once, on the dashboard and in its table)."""
    body = household_body(vulnerabilities=["unaccompanied_child"])
    body["members"] = [{**body["members"][2], "relationship": "head"}]
    assert client.post("/api/v1/households", json=body, headers=api).status_code == 201
    auth_actions.login("coordinator")
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<div class="kpi alert"><b>1</b><span>Children alone' in page
    figures = client.get("/api/v1/stats", headers=api).get_json()["tracing"]
    assert figures["registered"] == {"unaccompanied": 1, "separated": 0, "total": 1}
