"""Family tracing through the app (issue 19): cases, who sees them, proposals raised at once,
decisions that close both cases, figures, photos kept in the database, erasure."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from fieldreg import auth, records, subject, tracing, tracing_match, tracing_routes
from sync import tables

FAMILY = {
    "members": [
        {"given_name": "Ahmad", "father_name": "Mohammed", "mother_name": "Fatima",
         "family_name": "Al-Halabi", "sex": "male", "age_years": 41, "relationship": "head"},
        {"given_name": "Zainab", "father_name": "Ali", "family_name": "Khatib", "sex": "female",
         "age_years": 35, "relationship": "spouse"},
        {"given_name": "Sara", "father_name": "Ahmad", "mother_name": "Zainab",
         "family_name": "Halabi", "sex": "female", "age_years": 10, "relationship": "child"},
    ],
    "origin": {"district": "Halab"},
}  # fmt: skip
SAID = {"father_name": "أحمد", "mother_name": "زينب", "family_name": "الحلبي",
        "siblings": ["سارة"], "origin": "حلب", "separated_place": "حاجز الراموسة"}  # fmt: skip


def alone(client, headers, given="عمر", age=7) -> str:
    """Register a child who arrived alone (a household of one); return its code."""
    body = {"members": [{"given_name": given, "sex": "male", "age_years": age,
                         "relationship": "head"}]}  # fmt: skip
    return client.post("/api/v1/households", json=body, headers=headers).get_json()["members"][0][
        "code"
    ]


def open_child(client, headers, code, **more) -> dict:
    """Open a child's case through the API."""
    response = client.post(
        "/api/v1/tracing/cases",
        headers=headers,
        json={"kind": "child", "person_code": code, **SAID, **more},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def roles(auth_actions):
    """API headers per role (two registrars)."""
    names = ("registrar", "caseworker", "analyst", "coordinator", "medic")
    made = {role: auth_actions.token(role) for role in names}
    token = auth.create_token(auth_actions.db, "t-other", "registrar")
    made["other registrar"] = {"Authorization": "Bearer " + token}
    return made


def test_a_registrar_opens_a_case_and_sees_only_what_they_entered(client, roles, db):
    reg, worker = roles["registrar"], roles["caseworker"]
    code = alone(client, reg)
    case = open_child(client, reg, code)
    assert case["kind"] == "child" and case["status"] == "open" and case["given_name"] == "عمر"
    assert "unaccompanied_child" in records.get_person(db, code)["vulnerabilities"]
    listed = client.get("/api/v1/tracing/cases", headers=reg).get_json()["cases"]
    assert [c["id"] for c in listed] == [case["id"]]
    assert client.get("/api/v1/tracing/cases", headers=roles["other registrar"]).get_json()[
        "cases"] == []  # fmt: skip
    other = client.get(f"/api/v1/tracing/cases/{case['id']}", headers=roles["other registrar"])
    assert other.status_code == 404
    client.post(f"/api/v1/tracing/cases/{case['id']}/notes", json={"text": "mine"}, headers=reg)
    client.post(f"/api/v1/tracing/cases/{case['id']}/notes", json={"text": "caseworker's"},
                headers=worker)  # fmt: skip
    notes = client.get(f"/api/v1/tracing/cases/{case['id']}", headers=reg).get_json()["notes"]
    assert [n["text"] for n in notes] == ["mine"]
    all_notes = client.get(f"/api/v1/tracing/cases/{case['id']}", headers=worker).get_json()
    assert [n["text"] for n in all_notes["notes"]] == ["mine", "caseworker's"]
    added = client.patch(f"/api/v1/tracing/cases/{case['id']}", headers=reg,
                         json={"carer": "a neighbour, Umm Khaled"})  # fmt: skip
    assert added.status_code == 200 and added.get_json()["carer"] == "a neighbour, Umm Khaled"
    for role in ("registrar", "analyst", "medic"):
        path = f"/api/v1/tracing/cases/{case['id']}/candidates"
        assert client.get(path, headers=roles[role]).status_code == 403, role


def test_a_family_registered_after_the_case_is_raised_at_once_and_confirmed(
    client, roles, auth_actions, db
):
    reg, worker = roles["registrar"], roles["caseworker"]
    case = open_child(client, reg, alone(client, reg))
    assert client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"] == []
    family = client.post("/api/v1/households", json=FAMILY, headers=reg).get_json()
    waiting = client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"]
    assert len(waiting) == 1 and waiting[0]["case_id"] == case["id"]
    assert waiting[0]["target_code"] == family["code"] and waiting[0]["label"] == "probable"
    assert {r["field"] for r in waiting[0]["reasons"]} >= {"father", "mother", "sibling"}
    auth_actions.login("caseworker", "cw")
    page = client.get("/tracing/").get_data(as_text=True)
    assert family["members"][0]["code"] not in page and "Ahmad Mohammed Al-Halabi" in page
    decided = client.post("/api/v1/tracing/decisions", headers=worker, json={
        "case_id": case["id"], "target_id": waiting[0]["target_id"], "verdict": "confirm",
        "outcome": "reunified"})  # fmt: skip
    assert decided.status_code == 201
    closed = client.get(f"/api/v1/tracing/cases/{case['id']}", headers=worker).get_json()
    assert (closed["status"], closed["outcome"]) == ("closed", "reunified")
    assert closed["reunified_at"]
    actions = [
        r["action"]
        for r in db.query(
            "select action from audit where tbl = 'tracing_cases' and record_id = ?", [case["id"]]
        )
    ]
    assert {"tracing_open", "tracing_confirm", "tracing_matched"} <= set(actions)
    figures = client.get("/api/v1/tracing/stats", headers=roles["analyst"]).get_json()
    assert figures["registered"]["unaccompanied"] == 1 and figures["reunified"]["total"] == 1
    assert figures["open"]["total"] == 0 and figures["median_days_to_reunification"] == 0.0
    stats = client.get("/api/v1/stats", headers=roles["analyst"]).get_json()
    assert stats["tracing"]["matched"]["total"] == 1


def test_confirming_a_child_and_an_enquiry_closes_both(client, roles):
    reg, worker = roles["registrar"], roles["caseworker"]
    family = client.post("/api/v1/households", json=FAMILY, headers=reg).get_json()
    father = family["members"][0]["code"]
    enquiry = client.post("/api/v1/tracing/cases", headers=reg, json={
        "kind": "enquiry", "person_code": father, "relationship": "father",
        "given_name": "Omar", "sex": "male", "age_years": 7}).get_json()  # fmt: skip
    case = open_child(client, reg, alone(client, reg))
    listed = client.get(f"/api/v1/tracing/cases/{case['id']}/candidates", headers=worker)
    kinds = {c["kind"]: c for c in listed.get_json()["candidates"]}
    assert kinds["enquiry"]["target_id"] == enquiry["id"]
    client.post("/api/v1/tracing/decisions", headers=worker, json={
        "case_id": enquiry["id"], "target_id": case["id"], "verdict": "confirm",
        "outcome": "verification_visit"})  # fmt: skip
    for case_id in (case["id"], enquiry["id"]):
        shown = client.get(f"/api/v1/tracing/cases/{case_id}", headers=worker).get_json()
        assert (shown["status"], shown["outcome"]) == ("closed", "family_traced")
    again = client.post("/api/v1/tracing/decisions", headers=worker, json={
        "case_id": case["id"], "target_id": enquiry["id"], "verdict": "confirm"})  # fmt: skip
    assert again.status_code == 409 and again.get_json()["code"] == "case_closed"


def test_a_rejected_pair_is_never_proposed_again(client, roles, db):
    reg, worker = roles["registrar"], roles["caseworker"]
    case = open_child(client, reg, alone(client, reg))
    client.post("/api/v1/households", json=FAMILY, headers=reg)
    (proposal,) = client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"]
    client.post(
        "/api/v1/tracing/decisions",
        headers=worker,
        json={"case_id": case["id"], "target_id": proposal["target_id"], "verdict": "reject"},
    )
    assert client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"] == []
    client.patch(f"/api/v1/tracing/cases/{case['id']}", headers=worker,
                 json={"description": "a scar on the left hand"})  # fmt: skip
    tracing_match.refresh(db)
    assert client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"] == []
    listed = client.get(f"/api/v1/tracing/cases/{case['id']}/candidates", headers=worker)
    assert proposal["target_id"] not in {c["target_id"] for c in listed.get_json()["candidates"]}


def photo_bytes() -> bytes:
    """A JPEG with EXIF metadata (a camera's: where and when it was taken)."""
    image, out = Image.new("RGB", (1200, 900), (200, 120, 40)), io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_is_kept_in_the_database_only_and_shown_only_to_child_protection(
    client, roles, data_dir
):
    reg, worker = roles["registrar"], roles["caseworker"]
    case = open_child(client, reg, alone(client, reg))
    before = {p.name for p in data_dir.rglob("*")}
    sent = client.put(f"/api/v1/tracing/cases/{case['id']}/photo", headers=reg,
                      data={"image": (io.BytesIO(photo_bytes()), "child.jpg")})  # fmt: skip
    assert sent.status_code == 204
    assert {p.name for p in data_dir.rglob("*") if "backups" not in str(p)} <= before | {
        "fieldreg.db-wal", "fieldreg.db-shm"}  # fmt: skip
    assert client.get(f"/api/v1/tracing/cases/{case['id']}/photo", headers=reg).status_code == 403
    shown = client.get(f"/api/v1/tracing/cases/{case['id']}/photo", headers=worker)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    kept = Image.open(io.BytesIO(shown.data))
    assert max(kept.size) <= 640 and not kept.getexif()
    bad = client.put(f"/api/v1/tracing/cases/{case['id']}/photo", headers=reg,
                     data={"image": (io.BytesIO(b"not a picture"), "x.jpg")})  # fmt: skip
    assert bad.status_code == 400 and bad.get_json()["fields"]["image"]


def test_erasing_the_child_erases_its_tracing_data(client, roles, db):
    reg, worker = roles["registrar"], roles["caseworker"]
    code = alone(client, reg)
    case = open_child(client, reg, code)
    client.post("/api/v1/households", json=FAMILY, headers=reg)
    client.put(f"/api/v1/tracing/cases/{case['id']}/photo", headers=reg,
               data={"image": (io.BytesIO(photo_bytes()), "child.jpg")})  # fmt: skip
    client.post(f"/api/v1/tracing/cases/{case['id']}/notes", json={"text": "سارة"}, headers=reg)
    assert client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"]
    held = client.get(f"/api/v1/people/{code}/held", headers=roles["coordinator"]).get_json()
    assert held["other"]["tracing"]["cases"][0]["id"] == case["id"]
    subject.erase_person(db, code, "coordinator")
    row = next(db.query("select * from tracing_cases where id = ?", [case["id"]]))
    assert row["deleted"] == 1 and row["given_name"] is None and row["father_name"] is None
    assert not list(db.query("select 1 from tracing_notes"))
    assert not list(db.query("select 1 from tracing_photos where data != ''"))
    assert not list(db.query("select 1 from tracing_matches where deleted = 0"))
    for tbl in ("tracing_cases", "tracing_notes", "tracing_photos", "tracing_matches"):
        for change in db.query("select data from changes where tbl = ?", [tbl]):
            assert "الحلبي" not in change["data"] and "/9j/" not in change["data"], tbl
    assert client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"] == []


def test_every_tracing_table_syncs(app):
    assert {t: tables.get(t).kind for t in tracing_routes.TABLES} == {
        "tracing_cases": "record", "tracing_notes": "append", "tracing_photos": "record",
        "tracing_matches": "record", "tracing_decisions": "append"}  # fmt: skip


def test_a_case_page_shows_candidates_to_a_caseworker_and_not_to_its_registrar(
    client, auth_actions, roles
):
    case = open_child(client, roles["registrar"], alone(client, roles["registrar"]))
    client.post("/api/v1/households", json=FAMILY, headers=roles["registrar"])
    auth_actions.login("registrar")
    page = client.get(f"/tracing/cases/{case['id']}").get_data(as_text=True)
    assert "Candidates" not in page and "Al-Halabi" not in page
    auth_actions.login("caseworker", "cw")
    page = client.get(f"/tracing/cases/{case['id']}").get_data(as_text=True)
    assert "Candidates" in page and "Ahmad Mohammed Al-Halabi" in page
    assert json.dumps("probable")[1:-1].capitalize() in page


def test_the_dashboard_report_and_pdf_show_the_children_alone(client, roles, auth_actions):
    from tests.test_dashboard import pdf_text

    reg, worker = roles["registrar"], roles["caseworker"]
    case = open_child(client, reg, alone(client, reg))
    open_child(client, reg, alone(client, reg, given="ليلى", age=5), separation="separated",
               father_name="Hassan", mother_name="Huda", family_name="Najjar", siblings=[],
               origin="Homs")  # fmt: skip
    client.post("/api/v1/households", json=FAMILY, headers=reg)
    (proposal,) = client.get("/api/v1/tracing/matches", headers=worker).get_json()["matches"]
    client.post(
        "/api/v1/tracing/decisions",
        headers=worker,
        json={"case_id": case["id"], "target_id": proposal["target_id"], "verdict": "confirm"},
    )
    auth_actions.login("analyst")
    page = client.get("/dashboard").get_data(as_text=True)
    panel = page[page.index('data-panel="tracing"') :]
    assert "Children alone" in panel and "Median days to reunification" in panel
    assert "<th>Reunified</th><td>1</td><td>0</td><td>1</td>" in panel.replace("\n", "")
    assert "<th>With an open case</th><td>0</td><td>1</td><td>1</td>" in panel.replace("\n", "")
    text = pdf_text(client.get("/report.pdf").data)
    assert "Separated and unaccompanied children" in text and "Median days to reunification" in text


def test_the_tracing_pages_speak_arabic(client, auth_actions, roles):
    case = open_child(client, roles["registrar"], alone(client, roles["registrar"]))
    auth_actions.login("caseworker", "cw")
    client.set_cookie("lang", "ar")
    for url in ("/tracing/", f"/tracing/cases/{case['id']}", "/tracing/new?kind=enquiry"):
        page = client.get(url).get_data(as_text=True)
        assert 'dir="rtl"' in page and "البحث عن الأسر" in page, url
        assert "Family tracing" not in page and "Candidates" not in page, url
    page = client.get(f"/tracing/cases/{case['id']}").get_data(as_text=True)
    # issue 14: an open case's state read "افتح" (the button's "Open!"), not "مفتوحة", and the
    # link to the child's record was labelled "ابن أو ابنة" (the relationship "son or daughter")
    assert 'data-status="open">مفتوحة' in page
    assert "<dt>سجل الطفل</dt>" in page and "ابن أو ابنة" not in page


def test_the_case_list_says_ages_and_emptiness_in_plain_words(client, auth_actions, roles):
    """Issue 14 (a newcomer's case list): "1 years", and "No case yet." over closed cases."""
    case = open_child(client, roles["registrar"], alone(client, roles["registrar"], "Rami", 1))
    auth_actions.login("caseworker", "cw")
    assert "· 1 year ·" in client.get("/tracing/").get_data(as_text=True)
    client.post(f"/api/v1/tracing/cases/{case['id']}/close", json={}, headers=roles["caseworker"])
    assert "No open case." in client.get("/tracing/").get_data(as_text=True)


def test_a_case_of_another_station_is_changed_there_a_note_is_welcome(client, roles, db):
    worker = roles["caseworker"]
    case = open_child(client, worker, alone(client, worker))
    db.execute("update tracing_cases set station = 'K7M' where id = ?", [case["id"]])
    for method, path, body in (
        ("PATCH", f"/api/v1/tracing/cases/{case['id']}", {"json": {"carer": "x"}}),
        ("POST", f"/api/v1/tracing/cases/{case['id']}/close", {"json": {}}),
        ("PUT", f"/api/v1/tracing/cases/{case['id']}/photo",
         {"data": {"image": (io.BytesIO(photo_bytes()), "c.jpg")}}),
    ):  # fmt: skip
        answer = client.open(path, method=method, headers=worker, **body)
        assert answer.status_code == 409 and answer.get_json()["code"] == "other_station", path
    note = client.post(f"/api/v1/tracing/cases/{case['id']}/notes", json={"text": "seen"},
                       headers=worker)  # fmt: skip
    assert note.status_code == 201


def test_a_case_with_dates_reads_back_as_dates(client, roles):
    """A child registered with its date of birth, separated on a known day (a 500 before)."""
    reg = roles["registrar"]
    body = {"members": [{"given_name": "Nour", "sex": "female", "date_of_birth": "2016-05-04",
                         "relationship": "head"}]}  # fmt: skip
    code = client.post("/api/v1/households", json=body, headers=reg).get_json()["members"][0][
        "code"
    ]
    case = open_child(client, reg, code, separated_on="2026-10-20")
    assert (case["date_of_birth"], case["separated_on"]) == ("2016-05-04", "2026-10-20")
    listed = client.get("/api/v1/tracing/cases", headers=roles["caseworker"])
    assert listed.status_code == 200 and listed.get_json()["cases"][0]["separated_on"]


def test_a_proposed_match_names_its_station_with_the_pages_comma(client, roles, auth_actions):
    """Issue 14 (a newcomer in Arabic): the list of proposed matches read "(طلب بحث, K7M)"."""
    reg = roles["registrar"]
    open_child(client, reg, alone(client, reg))
    client.post("/api/v1/households", json=FAMILY, headers=reg)
    auth_actions.login("caseworker", "cw")
    assert ", T3S)" in client.get("/tracing/").get_data(as_text=True)
    client.set_cookie("lang", "ar")
    page = client.get("/tracing/").get_data(as_text=True)
    assert "، T3S)" in page and ", T3S)" not in page


def test_a_registrar_does_not_see_what_a_caseworker_added_to_their_case(client, roles, db):
    """issue 19: the registrar sees the case, its status and what they entered; a field a
    caseworker added or changed after them is hidden (API), and their edit keeps it."""
    reg, worker = roles["registrar"], roles["caseworker"]
    case = open_child(client, reg, alone(client, reg))
    path = f"/api/v1/tracing/cases/{case['id']}"
    client.patch(path, headers=worker, json={"carer": "Foster family Haddad",
                                              "father_name": "Ahmad Haddad"})  # fmt: skip
    seen = client.get(path, headers=reg).get_json()
    assert (seen["status"], seen["others_added"], seen["mother_name"]) == ("open", True, "زينب")
    assert seen["carer"] is None and seen["father_name"] is None  # added, changed: hidden
    assert "Haddad" not in json.dumps(seen)
    listed = client.get("/api/v1/tracing/cases", headers=reg).get_json()["cases"]
    assert "Haddad" not in json.dumps(listed)
    mine = client.patch(path, headers=reg, json={"description": "red coat", "carer": None,
                                                 "siblings": []}).get_json()  # fmt: skip
    assert mine["description"] == "red coat" and "Haddad" not in json.dumps(mine)
    full = client.get(path, headers=worker).get_json()
    assert (full["carer"], full["description"], full["siblings"], full["others_added"]) == (
        "Foster family Haddad",
        "red coat",
        [],
        False,
    )  # the hidden carer kept, theirs cleared


def test_a_registrar_page_and_form_show_only_what_they_entered(client, auth_actions, db):
    """issue 19, through the pages: the case page and the edit form of its registrar."""
    made, _ = records.create_household(db, {"members": [
        {"given_name": "عمر", "sex": "male", "age_years": 7}]}, "reg1")  # fmt: skip
    case = tracing.open_case(db, {"kind": "child", "person_code": made["members"][0]["code"],
                                  **SAID}, "reg1")  # fmt: skip
    tracing.update_case(db, case["id"], {"carer": "Foster family Haddad"},
                        tracing.Viewer("cw1", True))  # fmt: skip
    auth_actions.login("registrar", "reg1")
    page = client.get(f"/tracing/cases/{case['id']}").get_data(as_text=True)
    assert "Haddad" not in page and "data-others-added" in page and "زينب" in page
    form = client.get(f"/tracing/cases/{case['id']}/edit").get_data(as_text=True)
    assert "Haddad" not in form and "حاجز الراموسة" in form
    client.post(f"/tracing/cases/{case['id']}/edit",
                data={"csrf_token": auth_actions.csrf(), "given_name": "عمر",
                      "siblings": "سارة", "description": "red coat"})  # fmt: skip
    kept = tracing.get_case(db, case["id"], tracing.Viewer("cw1", True), audited=False)
    assert (kept["carer"], kept["description"], kept["siblings"]) == (
        "Foster family Haddad", "red coat", ["سارة"])  # fmt: skip
