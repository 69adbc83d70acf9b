"""Server-drawn SVG charts escape every value, class names included (issue 13)."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest

from fieldreg import charts, medical, movements, records
from fieldreg.db import write
from sync import apply, changelog
from tests.conftest import AuthActions, household_body
from tests.synckit import make_hq, make_site

HOSTILE = 'bus"><script>alert(1)</script><x class="'


def svgs(page: str) -> list[ET.Element]:
    """Parse every inline SVG of a page as XML (fails on injected, unbalanced markup)."""
    found = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    return [ET.fromstring(svg) for svg in found]


def test_hbars_escape_labels_and_class_names():
    drawn = str(charts.hbars([(HOSTILE, 3, HOSTILE), ("camp", 1, "")], "t<", str))
    assert "<script>" not in drawn and 'class="bar busscriptalert1scriptxclass"' in drawn
    svg = ET.fromstring(drawn)
    assert [el.tag.split("}")[-1] for el in svg.iter()].count("script") == 0
    assert all(re.fullmatch(r"[A-Za-z0-9 _-]*", el.get("class", "")) for el in svg.iter())


def test_columns_and_pyramid_escape_every_label():
    drawn = str(charts.columns([(HOSTILE, 2)], HOSTILE, str))
    drawn += str(charts.pyramid([(HOSTILE, 1, 2)], (HOSTILE, HOSTILE), HOSTILE, str))
    assert "<script>" not in drawn and "<x " not in drawn


@pytest.fixture
def synced(tmp_path):
    """HQ holding a household of station SA2 whose coded fields were written around the forms
    (HQ counts every station's people: a station counts only its own, issue 15)."""
    app, db = make_hq(tmp_path / "hq")
    other = make_site(tmp_path / "other", "SA2")
    made, _ = records.create_household(other, household_body(), "reg")
    medical.record_triage(other, made["members"][0]["code"], {"category": "delayed"}, "doc")
    movements.move_person(other, made["members"][1]["code"], {"kind": "departed"}, "reg")
    with write(other):
        # What a tampered station (or a bug) could send: values no form would accept.
        changelog.record(other, "households", made["id"], "upsert", {
            "transport": HOSTILE, "destination_kind": HOSTILE,
            "vulnerabilities": f'["{HOSTILE.replace(chr(34), "")}"]'})  # fmt: skip
        person = made["members"][0]["id"]
        changelog.record(other, "people", person, "upsert", {"sex": HOSTILE})
        row = {"id": "t-hostile", "person_id": person, "category": HOSTILE, "conditions": "[]",
               "at": "2999-01-01T00:00:00+00:00"}  # fmt: skip
        changelog.record(other, "triage", "t-hostile", "append", row)
    changes = changelog.changes_since(other, "SA2", 0, 10**6)
    with write(db):
        apply.apply_changes(db, changes, changelog.site_of(db))
    other.close()
    assert next(db.query("select transport from households"))["transport"] == HOSTILE
    yield app.test_client(), db
    db.close()


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/figures", "/report"])
def test_a_synced_value_cannot_inject_markup_into_dashboards(synced, path):
    client = AuthActions(*synced).login("coordinator")
    answer = client.get(path)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "<script>alert" not in page and '"><x class' not in page
    drawn = svgs(page)
    assert len(drawn) >= 5
    for svg in drawn:
        assert not [el for el in svg.iter() if el.tag.split("}")[-1] in ("script", "x")]


def test_the_pdf_report_and_medical_queue_survive_synced_values(client, auth_actions, synced):
    auth_actions.login("coordinator")
    assert client.get("/report.pdf").status_code == 200
    assert client.get("/medical").status_code == 200
    assert client.get("/api/v1/stats").status_code == 200
