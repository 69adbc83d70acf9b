"""Exports: CSV, XLSX, HXL, pseudonymised for partners, PFIF 1.4; restricted and audited."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree as ET

import hxl
import openpyxl
import pytest

from fieldreg import clusters, exports
from tests.conftest import household_body

PFIF = "{http://zesty.ca/pfif/1.4}"


@pytest.fixture
def registered(client, api):
    """Two households; the first agreed to share its data."""
    codes = []
    for consent in (True, False):
        body = household_body(consent_share=consent, notes="=cmd|' /C calc'!A0")
        answer = client.post("/api/v1/households", json=body, headers=api)
        assert answer.status_code == 201
        codes.append(answer.json)
    return codes


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode()), "BOM so spreadsheets read Arabic"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_people_csv_has_one_row_per_person_with_id_code_station_cluster(db, registered):
    lines = rows_of(exports.export(db, "csv", "people"))
    header, rows = lines[0], [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    assert header[:4] == ["id", "code", "station", "cluster_id"]
    assert len(rows) == 6
    assert all(r["cluster_id"] == r["id"] for r in rows), "own id until dedup has run"
    assert {r["station"] for r in rows} == {"T3S"}
    assert rows[0]["given_name"] == "محمد" and rows[0]["age_group"] == "18-59"


def test_cluster_ids_come_from_dedup_when_it_exists(db, registered):
    """The export asks the clusters dedup stored, through the production wiring (issue 15)."""
    first = next(db.query("select id from people order by rowid limit 1"))["id"]
    db["dedup_clusters"].insert({"person_id": first, "cluster_id": "cluster-1"})
    rows = list(csv.DictReader(io.StringIO(exports.export(db, "csv").decode("utf-8-sig"))))
    assert {r["cluster_id"] for r in rows if r["id"] == first} == {"cluster-1"}
    assert clusters.person_clusters(db) == {first: "cluster-1"}


def test_hxl_csv_loads_in_libhxl(db, registered):
    body = exports.export(db, "csv", "people", hxl=True)
    data = hxl.data(io.BytesIO(body))
    rows = list(data)
    assert len(rows) == 6
    assert rows[0].get("#affected+name+given") == "محمد"
    assert rows[0].get("#sex") == "male" and rows[0].get("#age") == "41"
    assert rows[0].get("#adm2+origin") == "Aleppo"
    assert rows[0].get("#loc+destination+type") == "camp"
    assert "#date+arrival" in data.display_tags
    households = hxl.data(io.BytesIO(exports.export(db, "csv", "households", hxl=True)))
    assert [row.get("#affected+num") for row in households] == ["3", "3"]


def test_csv_defuses_formulas(db, registered):
    lines = rows_of(exports.export(db, "csv", "households"))
    notes = lines[1][lines[0].index("notes")]
    assert notes.startswith("'="), "a cell starting with = would run in a spreadsheet"


def test_xlsx_has_a_sheet_per_kind_and_hxl_row(db, registered):
    body = exports.export(db, "xlsx", hxl=True)
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    assert book.sheetnames == ["households", "people", "triage", "movements"]
    people = list(book["people"].iter_rows(values_only=True))
    assert people[0][:4] == ("id", "code", "station", "cluster_id")
    assert people[1][:3] == ("#meta+person+id", "#meta+person+code", "#loc+station+code")
    assert len(people) == 2 + 6


def test_fact_tables_are_exported(db, registered):
    from fieldreg import medical

    person = next(db.query("select id, code from people limit 1"))
    medical.record_triage(db, person["code"], {"category": "immediate", "note": "bleeding"}, "doc")
    lines = rows_of(exports.export(db, "csv", "triage", hxl=True))
    assert lines[0][:3] == ["id", "person_id", "category"] and "note" in lines[0]
    assert lines[1][:3] == ["#meta+id", "#meta+person_id", "#meta+category"]
    assert lines[2][1] == person["id"] and lines[2][2] == "immediate"
    columns, rows = exports.table(db, "triage", partner="unhcr")
    person = person["id"]
    assert "note" not in columns and rows[0]["person_id"] != person


def test_pseudonymised_export_has_no_names_and_stable_partner_ids(db, registered):
    first = rows_of(exports.export(db, "csv", "people", partner="UNHCR"))
    again = rows_of(exports.export(db, "csv", "people", partner="unhcr"))
    other = rows_of(exports.export(db, "csv", "people", partner="WFP"))
    header = first[0]
    for column in ("given_name", "family_name", "father_name", "mother_name", "code",
                   "household_code", "date_of_birth"):  # fmt: skip
        assert column not in header
    text = b"".join(exports.export(db, "csv", kind, partner="UNHCR")
                    for kind in ("people", "households")).decode()  # fmt: skip
    for secret in ("محمد", "Zainab", "Halabi", "0933", "T3S-", "calc"):
        assert secret not in text
    ids = [line[header.index("id")] for line in first[1:]]
    assert ids == [line[header.index("id")] for line in again[1:]], "stable for one partner"
    assert not set(ids) & {line[header.index("id")] for line in other[1:]}, "unlinkable"
    real = {row["id"] for row in db.query("select id from people")}
    assert not set(ids) & real
    assert header.index("sex") and first[1][header.index("sex")] == "male"


def test_pfif_has_consenting_people_with_notes(db, registered):
    root = ET.fromstring(exports.export(db, "pfif"))
    assert root.tag == PFIF + "pfif"
    people = root.findall(PFIF + "person")
    assert len(people) == 3, "only the household that agreed to share"
    first = people[0]
    fields = [child.tag.removeprefix(PFIF) for child in first]
    assert fields[:3] == ["person_record_id", "entry_date", "author_name"]
    assert first.findtext(PFIF + "person_record_id").startswith("t3s.fieldreg/person.")
    assert first.findtext(PFIF + "full_name") == "محمد أحمد الحلبي"
    assert first.findtext(PFIF + "sex") == "male" and first.findtext(PFIF + "age") == "41"
    note = first.find(PFIF + "note")
    assert note.findtext(PFIF + "status") == "believed_alive"
    assert note.findtext(PFIF + "last_known_location") == "Bab al-Salam"
    assert note.findtext(PFIF + "source_date").endswith("Z")


def test_cli_export_writes_files_and_audits(runner, db, registered, tmp_path):
    out = tmp_path / "people.csv"
    result = runner.invoke("export", "--format", "csv", "--hxl", str(out))
    assert result.exit_code == 0, result.output
    assert len(list(hxl.data(out.open("rb")))) == 6
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    xlsx = tmp_path / "all.xlsx"
    assert runner.invoke("export", "--format", "xlsx", "--pseudonymise", "UNHCR",
                         str(xlsx)).exit_code == 0  # fmt: skip
    assert openpyxl.load_workbook(xlsx).sheetnames == [
        "households",
        "people",
        "triage",
        "movements",
    ]
    pfif = tmp_path / "people.xml"
    assert runner.invoke("export", "--format", "pfif", str(pfif)).exit_code == 0
    assert ET.parse(pfif).getroot().tag == PFIF + "pfif"
    refused = runner.invoke("export", "--format", "pfif", "--pseudonymise", "X", str(pfif))
    assert refused.exit_code != 0 and "pseudonymised" in refused.output
    entries = list(db.query("select actor, action, detail from audit where action = 'export'"))
    assert len(entries) == 3 and all(e["actor"] == "cli" for e in entries)


@pytest.mark.parametrize("role,status", [("registrar", 403), ("medic", 403),
                                         ("coordinator", 200), ("analyst", 200)])  # fmt: skip
def test_export_page_is_restricted(client, auth_actions, role, status):
    auth_actions.login(role)
    assert client.get("/exports").status_code == status


def test_download_from_the_page_is_audited(client, auth_actions, db, registered):
    auth_actions.login("coordinator", "nour")
    csrf = auth_actions.csrf()
    page = client.get("/exports").get_data(as_text=True)
    assert "PFIF" in page and "pseudonym" in page
    answer = client.post(
        "/exports", data={"format": "csv", "kind": "people", "hxl": "1", "csrf_token": csrf}
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="T3S-people.csv"' in answer.headers["Content-Disposition"]
    assert len(list(hxl.data(io.BytesIO(answer.data)))) == 6
    xlsx = client.post("/exports", data={"format": "xlsx", "partner": "UNHCR", "csrf_token": csrf})
    assert openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames == [
        "households",
        "people",
        "triage",
        "movements",
    ]
    assert client.post("/exports", data={"format": "exe", "csrf_token": csrf}).status_code == 400
    missing = client.post("/exports", data={"format": "csv", "kind": "passports",
                                            "csrf_token": csrf})  # fmt: skip
    assert missing.status_code in (400, 404)
    logged = list(db.query("select actor, detail from audit where action = 'export'"))
    assert [e["actor"] for e in logged] == ["nour", "nour"]
    assert '"partner": "UNHCR"' in logged[1]["detail"]
