"""One source of clusters (issue 15): after `dedup` at HQ, every reader tells the same clusters.

The command line's export (a fresh process), the web export, ``/api/v1/stats`` and the HQ
dashboard agree on the number of clusters and on each person's ``cluster_id``, in CSV, XLSX
and PFIF (where registrations linked as one person are linked notes). The HQ holds people
received from two stations over real sync, and a background population to learn from.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from xml.etree import ElementTree as ET

import httpx
import openpyxl
import pytest

from fieldreg import clusters, create_app, records, syncing
from fieldreg.db import connect, write
from tests.conftest import ROOT, AuthActions, household_body
from tests.synckit import make_site
from tests.test_dedup_hq import LATIN, background

PFIF = "{http://zesty.ca/pfif/1.4}"


def fieldreg(data, *args: str) -> str:
    """Run a command in a fresh interpreter, as users run it; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    """HQ after `dedup`: a background population and one family registered at two stations."""
    root = tmp_path_factory.mktemp("clusters")
    make_site(root / "hq", "HQ2").close()
    app = create_app({"DATA": str(root / "hq"), "ROLE": "hq", "TESTING": True})
    db = connect(app.config["DATABASE"])
    background(db, 600)
    with write(db):  # half the background households agreed to share (for PFIF)
        db.execute("update households set consent_share = 1 where rowid % 2 = 0")
    for code, members in (("T3S", household_body()["members"]), ("T4S", LATIN)):
        station = make_site(root / code, code)
        syncing.join(station, syncing.add_station(db, code, code, "http://hq"))
        body = household_body(members=members, consent_share=True)
        records.create_household(station, body, "reg")
        syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
        station.close()
    assert "unique people" in fieldreg(root / "hq", "dedup")
    yield app, db, root
    db.close()


@pytest.fixture(scope="module")
def truth(hq):
    """Each person's cluster as the one source tells it, and the family's people."""
    _, db, _ = hq
    found = clusters.person_clusters(db)
    people = {r["id"]: r for r in db.query("select id, given_name from people")}
    assert found is not None and set(found) == set(people)
    return found


def csv_clusters(body: bytes) -> dict[str, str]:
    return {r["id"]: r["cluster_id"] for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}


def xlsx_clusters(body: bytes) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(io.BytesIO(body), read_only=True)["people"].values)
    header = list(rows[0])
    at_id, at_cluster = header.index("id"), header.index("cluster_id")
    return {row[at_id]: row[at_cluster] for row in rows[1:]}


def pfif_groups(body: bytes) -> dict[str, str]:
    """Return each person in a PFIF file with the record its note links it to (or itself)."""
    groups = {}
    for person in ET.fromstring(body).iter(PFIF + "person"):
        own = person.findtext(PFIF + "person_record_id").rsplit("person.", 1)[1]
        linked = person.find(PFIF + "note").findtext(PFIF + "linked_person_record_id")
        groups[own] = linked.rsplit("person.", 1)[1] if linked else own
    return groups


def cli_export(hq, fmt: str) -> bytes:
    _, _, root = hq
    out = root / f"cli-export.{fmt}"
    said = fieldreg(root / "hq", "export", "--format", fmt, str(out))
    assert "rows" in said
    return out.read_bytes()


def web_export(hq, fmt: str) -> bytes:
    app, db, _ = hq
    client = app.test_client()
    actions = AuthActions(client, db)
    actions.login("analyst")
    answer = client.post("/exports", data={"format": fmt, "kind": "people",
                                           "csrf_token": actions.csrf()})  # fmt: skip
    assert answer.status_code == 200
    return answer.get_data()


@pytest.fixture(scope="module", params=["cli", "web"])
def source(request, hq):
    return lambda fmt: (cli_export if request.param == "cli" else web_export)(hq, fmt)


def test_the_family_is_one_cluster_per_person_across_stations(hq, truth):
    _, db, _ = hq
    ids = {(r["given_name"], r["station"]): r["id"] for r in db.query(
        "select p.id, p.given_name, h.station from people p join households h on "
        "h.id = p.household_id where h.station in ('T3S', 'T4S')")}  # fmt: skip
    assert truth[ids[("محمد", "T3S")]] == truth[ids[("Mohamad", "T4S")]]
    assert truth[ids[("Zainab", "T3S")]] == truth[ids[("Zaynab", "T4S")]]
    assert len(set(truth.values())) < len(truth)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_carry_each_persons_cluster(source, truth, fmt):
    found = (csv_clusters if fmt == "csv" else xlsx_clusters)(source(fmt))
    assert found == truth


def test_pfif_links_the_same_clusters(source, truth, hq):
    _, db, _ = hq
    groups = pfif_groups(source("pfif"))
    shared = {r["id"] for r in db.query(
        "select p.id from people p join households h on h.id = p.household_id "
        "where h.consent_share = 1")}  # fmt: skip
    assert set(groups) == shared
    assert all(target in groups for target in groups.values()), "links point inside the file"
    for a in groups:
        for b in (groups[a], *list(groups)[:50]):
            assert (groups[a] == groups[b]) == (truth[a] == truth[b]), (a, b)
    assert sum(own != target for own, target in groups.items()) >= 2, "some people are linked"


def test_stats_and_dashboard_count_the_same_clusters(hq, truth):
    app, db, _ = hq
    client = app.test_client()
    actions = AuthActions(client, db)
    body = client.get("/api/v1/stats", headers=actions.token("analyst")).get_json()
    assert body["unique_people"] == len(set(truth.values()))
    assert body["unique"]["people"] == body["unique_people"]
    actions.login("analyst")
    page = client.get("/dashboard").get_data(as_text=True)
    shown = re.search(r'data-unique="(\d+)"', page).group(1)
    kpi = re.search(r"<b>(\d+)</b><span>Unique people</span>", page).group(1)
    assert int(shown) == int(kpi) == len(set(truth.values()))
