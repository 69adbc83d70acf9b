"""Exports: CSV, XLSX, HXL, pseudonymised for partners, PFIF 1.4; restricted and audited."""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree as ET

import hxl
import openpyxl
import pytest

from fieldreg import clusters, exports
from tests.conftest import PHONE_MARKS, household_body

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


def test_write_file_is_never_readable_by_others(tmp_path):
    out = tmp_path / "people.csv"
    out.write_text("old")
    out.chmod(0o644)
    exports.write_file(out, b"new")
    assert out.read_bytes() == b"new" and oct(out.stat().st_mode & 0o777) == "0o600"


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
    lines = rows_of(exports.export(db, "csv", "triage", hxl=True, medical=True))
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
    for secret in ("محمد", "Zainab", "Halabi", *PHONE_MARKS, "T3S-", "calc"):
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


# --- issue 13: exports obey the same permissions as pages; issue 14: the partner copy ------

# Written apart from fieldreg.exports (the code it checks): what each reader may get.
MEDICAL_COLUMNS = {"triage": {"conditions", "condition_other", "mobility", "referral", "note"},
                   "movements": {"note"}}  # fmt: skip
PARTNER_ALLOWED = {
    "households": {"id", "station", "arrived_at", "transport", "origin_district",
                   "destination_kind", "members", "vulnerabilities", "consent_share", "status",
                   "created_at"},
    "people": {"id", "station", "cluster_id", "household_id", "sex", "age_years",
               "age_estimated", "age_group", "relationship", "vulnerabilities", "status",
               "arrived_at", "origin_district", "destination_kind"},
    "triage": {"id", "person_id", "category", "conditions", "mobility", "at"},
    "movements": {"id", "household_id", "person_id", "kind", "destination_kind", "transport",
                  "at"},
}  # fmt: skip
# Markers put in every medical field, and in every name or free-text field.
MEDICAL_MARKERS = ("CONDOTHER", "HOSPREF", "MEDNOTE", "MOVENOTE", "gunshot", "stretcher")
NAME_MARKERS = ("GIVENX", "FATHERX", "MOTHERX", "FAMILYX", "HOSTX", "HOSPMOVEX", "PLACEX",
                "NEIGHBX", "VEHICLEX", "NOTESX", *PHONE_MARKS)  # fmt: skip
ROLES = ("registrar", "medic", "coordinator", "analyst", "admin")


@pytest.fixture
def marked(client, api, db):
    """A household with a marker in every text field, a triage entry and a transfer."""
    from fieldreg import medical, movements

    body = household_body(
        consent_share=True,
        notes="NOTESX",
        arrival={"transport": "bus", "vehicle_ref": "VEHICLEX"},
        origin={"district": "Aleppo", "neighbourhood": "NEIGHBX"},
        destination={"kind": "host_family", "name": "HOSTX Abu Khalil", "place": "PLACEX"},
    )
    body["members"][0].update(given_name="GIVENX", father_name="FATHERX",
                              mother_name="MOTHERX", family_name="FAMILYX")  # fmt: skip
    made = client.post("/api/v1/households", json=body, headers=api).json
    head, spouse = made["members"][0]["code"], made["members"][1]["code"]
    medical.record_triage(db, head, {
        "category": "immediate", "conditions": ["gunshot", "other"], "mobility": "stretcher",
        "condition_other": "CONDOTHER", "note": "MEDNOTE",
        "referral": {"hospital": "HOSPREF", "status": "waiting"}}, "doc")  # fmt: skip
    movements.move_person(db, spouse, {"kind": "transferred", "note": "MOVENOTE",
                                       "destination": {"kind": "hospital",
                                                       "name": "HOSPMOVEX"}}, "nurse")  # fmt: skip
    return made


def xlsx_sheets(body: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def downloads(app, db, role: str, partner: str = "") -> dict[tuple[str, str], object]:
    """Download every format and kind from /exports as ``role``; status or body by key."""
    from tests.conftest import AuthActions

    client = app.test_client()
    actions = AuthActions(client, db)
    actions.login(role, f"{role}x")
    csrf = actions.csrf()
    got = {}
    for fmt, kinds in (("csv", exports.KINDS), ("xlsx", ("people",)), ("pfif", ("people",))):
        if partner and fmt == "pfif":
            continue
        for kind in kinds:
            form = {"format": fmt, "kind": kind, "partner": partner, "csrf_token": csrf}
            answer = client.post("/exports", data=form)
            got[(fmt, kind)] = answer.data if answer.status_code == 200 else answer.status_code
    return got


def sheets_of(fmt: str, kind: str, body: bytes) -> dict[str, list]:
    """Read a downloaded export as {kind: [header, *rows]}."""
    if fmt == "csv":
        return {kind: rows_of(body)}
    return {name: [list(r) for r in rows] for name, rows in xlsx_sheets(body).items()}


@pytest.mark.parametrize("partner", ["", "UNHCR"])
@pytest.mark.parametrize("role", ROLES)
def test_every_export_kind_format_and_role_gets_what_its_pages_show(app, db, marked, role,
                                                                    partner):  # fmt: skip
    """issue 13: medical detail only for roles with medical:read; issue 14: partner copy."""
    got = downloads(app, db, role, partner)
    if role in ("registrar", "medic"):
        assert set(got.values()) == {403}
        return
    medical_reader = role in ("coordinator", "admin")
    for (fmt, kind), body in got.items():
        assert isinstance(body, bytes), (fmt, kind, body)
        text = body.decode("utf-8", "replace") if fmt != "xlsx" else repr(xlsx_sheets(body))
        if fmt == "pfif":
            assert "GIVENX" in text, "PFIF is for family tracing: names of consenting people"
            assert not [m for m in MEDICAL_MARKERS if m in text]
            continue
        for sheet, lines in sheets_of(fmt, kind, body).items():
            header = set(lines[0])
            if partner:
                assert header <= PARTNER_ALLOWED[sheet], (sheet, header - PARTNER_ALLOWED[sheet])
                assert not MEDICAL_COLUMNS.get(sheet, set()) - {"conditions", "mobility"} & header
            if not medical_reader:
                assert not header & MEDICAL_COLUMNS.get(sheet, set()), (sheet, header)
            elif not partner:
                assert MEDICAL_COLUMNS.get(sheet, set()) <= header, (sheet, header)
        leaked = [m for m in MEDICAL_MARKERS if m in text]
        if not medical_reader:
            assert leaked == [], (fmt, kind, leaked)
        if partner:
            allowed = {"gunshot", "stretcher"} if medical_reader else set()
            assert set(leaked) <= allowed, (fmt, kind, leaked)
            names = [m for m in NAME_MARKERS if m in text]
            assert names == [], (fmt, kind, names)
            assert "T3S-" not in text and "doc" not in text and "nurse" not in text
    if medical_reader and not partner:
        triage = rows_of(got[("csv", "triage")])
        assert {"CONDOTHER", "MEDNOTE"} <= set(triage[1]) and "HOSPREF" in "".join(triage[1])
        assert "MOVENOTE" in rows_of(got[("csv", "movements")])[1]


def test_every_pseudonymised_kind_carries_only_coded_columns(db, marked):
    """issue 14: every column of every pseudonymised kind is checked, none holds a name."""
    for kind in exports.kinds(db):
        for medical in (False, True):
            columns, rows = exports.table(db, kind, partner="UNHCR", medical=medical)
            assert set(columns) <= PARTNER_ALLOWED[kind], kind
            assert "destination_name" not in columns and "destination_place" not in columns
            for row in rows:
                for column, value in row.items():
                    text = str(value)
                    assert not [
                        m
                        for m in NAME_MARKERS + ("CONDOTHER", "HOSPREF", "MEDNOTE", "MOVENOTE")
                        if m in text
                    ], column
                    if column == "id" or column.endswith("_id"):
                        assert value is None or len(value) == 20, (kind, column, value)


def test_cli_export_leaves_medical_detail_out_unless_asked(runner, marked, tmp_path):
    """issue 13: the command line follows the same rule: --medical to include detail."""
    for args, present in (((), False), (("--medical",), True)):
        for fmt, kind in (("csv", "triage"), ("csv", "movements"), ("xlsx", "people")):
            out = tmp_path / f"{kind}.{fmt}"
            result = runner.invoke("export", "--format", fmt, "--kind", kind, *args, str(out))
            assert result.exit_code == 0, result.output
            body = out.read_bytes()
            text = body.decode("utf-8", "replace") if fmt == "csv" else repr(xlsx_sheets(body))
            leaked = [m for m in MEDICAL_MARKERS if m in text]
            if present:
                assert leaked, (fmt, kind)
            else:
                assert leaked == [], (fmt, kind, leaked)


def test_hq_reads_the_same_people_every_way(tmp_path):
    """HQ's first day (tests/synckit.first_day): the CLI in a fresh process and the exports
    page give every person the same cluster as each other and as /api/v1/stats counts, an
    analyst's exports carry no medic's words, and PFIF says where each person was registered
    (it said "Registered at FieldReg HQ2 HQ" and gave HQ as the last known location)."""
    import subprocess
    import sys

    from fieldreg import auth
    from tests.conftest import ROOT, AuthActions
    from tests.synckit import MEDICAL_SECRETS, first_day

    day = first_day(tmp_path)
    app, hq = day["app"], day["hq"]
    token = {"Authorization": "Bearer " + auth.create_token(hq, "ana", "analyst")}
    client = app.test_client()
    unique = client.get("/api/v1/stats", headers=token).json["unique_people"]
    actions = AuthActions(client, hq)
    actions.login("analyst")
    web = {fmt: client.post("/exports", data={"format": fmt, "kind": "people",
                                              "csrf_token": actions.csrf()}).get_data()
           for fmt in ("csv", "xlsx", "pfif")}  # fmt: skip
    for fmt in ("csv", "xlsx", "pfif"):
        out = tmp_path / f"cli.{fmt}"
        subprocess.run([sys.executable, "-m", "fieldreg", "--data", str(tmp_path / "hq"), "export",
                        "--format", fmt, str(out)], cwd=ROOT, check=True, capture_output=True,
                       timeout=180)  # fmt: skip
        cli = out.read_bytes()
        assert not [s for s in MEDICAL_SECRETS if s.encode() in cli + web[fmt]], fmt
        if fmt == "csv":
            rows = {r["id"]: r["cluster_id"] for r in csv.DictReader(io.StringIO(
                cli.decode("utf-8-sig")))}  # fmt: skip
            web_rows = {r["id"]: r["cluster_id"] for r in csv.DictReader(io.StringIO(
                web["csv"].decode("utf-8-sig")))}  # fmt: skip
            assert rows == web_rows and len(set(rows.values())) == unique
    sheet = openpyxl.load_workbook(io.BytesIO(web["xlsx"]))["people"]
    header, *body = list(sheet.values)
    assert {r[header.index("id")]: r[header.index("cluster_id")] for r in body} == rows
    for doc in (web["pfif"], (tmp_path / "cli.pfif").read_bytes()):
        notes = ET.fromstring(doc).findall(f"{PFIF}person/{PFIF}note")
        assert notes and all("HQ2" not in n.findtext(PFIF + "text") for n in notes)
        assert {n.findtext(PFIF + "last_known_location") for n in notes} <= {
            "FieldReg K7M K7M",
            "FieldReg P4R P4R",
        }
