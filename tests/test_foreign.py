"""Another agency's list against FieldReg's records (issue 18): the reconciliation, its scope,
the remembered mapping, the pages, the printable report and the exports with HXL hashtags."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from fieldreg import boarding, convoys, foreign, records
from tests.conftest import household_body

HEADER = "No,Name,Father,Family,Age,Sex,Bus"
ROWS = [
    "1,Mohamad,Ahmed,Al-Halabi,40,M,12",  # our محمد أحمد الحلبي
    "2,Zeinab,,Halabi,40,F,12",  # our Zainab Halabi
    "3,Mohammed,Ahmad,Halabi,40,M,12",  # the first one again
    "4,Samira,Youssef,Kurdi,60,F,14",  # not ours
]


def upload(client, headers, rows=ROWS, mapping=None, **form) -> dict:
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    fields = {"file": (io.BytesIO(data), "sarc.csv"), "name": "SARC", "agency": "SARC", **form}
    if mapping is not None:
        fields["mapping"] = json.dumps(mapping)
    answer = client.post("/api/v1/lists", data=fields, headers=headers,
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


MAPPING = {"No": "their_id", "Name": "given_name", "Father": "father_name",
           "Family": "family_name", "Age": "age_years", "Sex": "sex", "Bus": "vehicle"}  # fmt: skip


@pytest.fixture
def ours(db):
    """The conftest household of three (Arabic and Latin names) and a stranger."""
    hh, _new = records.create_household(db, household_body(), "reg")
    other = household_body(members=[{"given_name": "Rami", "family_name": "Attar",
                                     "age_years": 33, "sex": "male"}])  # fmt: skip
    records.create_household(db, other, "reg")
    return hh


def test_the_difference_between_the_two_counts_is_explained(client, api, ours):
    found = upload(client, api, mapping=MAPPING)
    assert found["result"]["summary"] == {
        "their_rows": 4, "their_people": 3, "their_duplicates": 1, "duplicate_groups": 1,
        "our_people": 4, "matched": 2, "matched_ours": 2, "probable": 0, "probable_ours": 0,
        "only_theirs": 1, "only_ours": 2, "difference": 0, "unexplained": 0,
    }  # fmt: skip
    names = client.get(f"/api/v1/lists/{found['id']}/names", headers=api).get_json()["lists"]
    assert sorted(p["name"] for p in names["only_ours"]) == ["Omar Halabi", "Rami Attar"]
    assert [t["name"] for g in names["only_theirs"] for t in g["theirs"]] == [
        "Samira Youssef Kurdi"]  # fmt: skip
    (twice,) = names["their_duplicates"]
    assert sorted(t["row"] for t in twice["theirs"]) == [2, 4]
    assert twice["ours"] == [{"code": ours["members"][0]["code"], "name": "محمد أحمد الحلبي",
                              "station": "T3S"}]  # fmt: skip


def test_a_convoy_scope_compares_with_its_people_only(client, api, db, ours):
    convoy = convoys.create_convoy(db, {"reference": "C-1"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    boarding.scan(db, bus["id"], {"code": ours["members"][0]["code"], "kind": "board"}, "r", False)
    found = upload(client, api, mapping=MAPPING, scope=f"convoy:{convoy['id']}")
    summary = found["result"]["summary"]
    assert (summary["our_people"], summary["matched"], summary["only_ours"]) == (1, 1, 0)
    assert summary["only_theirs"] == 2 and found["scope"] == f"convoy:{convoy['id']}"
    bad = client.post(
        "/api/v1/lists",
        data={"file": (io.BytesIO(b"a\nb\n"), "x.csv"), "scope": "convoy:nope"},
        headers=api,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 404


def test_the_mapping_is_remembered_for_the_next_list_alike(client, api, ours):
    first = upload(client, api)
    assert first["result"] is None and first["suggested"]["Name"] == "full_name"  # a guess
    mapped = client.post(f"/api/v1/lists/{first['id']}/mapping", json={"mapping": MAPPING},
                         headers=api).get_json()  # fmt: skip
    assert mapped["mapping"] == MAPPING and mapped["result"]["summary"]["matched"] == 2
    second = upload(client, api, rows=ROWS[:1])
    assert second["suggested"] == MAPPING and second["mapping"] is None


def test_an_import_changes_no_record(client, api, db, ours):
    before = db.execute("select count(*) from changes").fetchone()[0]
    people = db.execute("select count(*) from people").fetchone()[0]
    upload(client, api, mapping=MAPPING)
    assert db.execute("select count(*) from changes").fetchone()[0] == before
    assert db.execute("select count(*) from people").fetchone()[0] == people


def test_exports_carry_hxl_hashtags(client, api, ours):
    found = upload(client, api, mapping=MAPPING)
    text = client.get(f"/api/v1/lists/{found['id']}/export?format=csv&hxl=1",
                      headers=api).data.decode("utf-8-sig")  # fmt: skip
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:5] == ["status", "their_row", "their_group", "their_id", "their_name"]
    assert lines[1][0] == "#status+reconciliation" and "#affected+name+theirs" in lines[1]
    statuses = sorted(line[0] for line in lines[2:])
    assert statuses == ["matched", "matched", "matched", "only_ours", "only_ours", "only_theirs"]
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/api/v1/lists/{found['id']}/export?format=xlsx&hxl=1", headers=api).data))  # fmt: skip
    sheet = book["reconciliation"]
    assert sheet["A2"].value == "#status+reconciliation" and sheet.max_row == 8


def test_the_pages_map_compare_print_and_delete(client, auth_actions, ours, db):
    auth_actions.login("coordinator")
    csrf = auth_actions.csrf()
    data = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    made = client.post("/lists/", data={"csrf_token": csrf, "file": (io.BytesIO(data), "s.csv")},
                       content_type="multipart/form-data")  # fmt: skip
    list_id = made.headers["Location"].rsplit("/", 1)[1]
    form = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert 'name="col-1"' in form and '<option value="full_name" selected>' in form
    columns = {f"col-{i}": MAPPING[c] for i, c in enumerate(HEADER.split(","))}
    client.post(f"/lists/{list_id}/mapping", data={"csrf_token": csrf, "scope": "all", **columns})
    result = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "Samira Youssef Kurdi" in result and "Their duplicates" in result
    assert client.get(f"/lists/{list_id}/report").status_code == 200
    auth_actions.login("analyst")
    assert client.get(f"/lists/{list_id}").status_code == 200
    assert client.get(f"/lists/{list_id}/export?format=xlsx").status_code == 200
    auth_actions.login("coordinator")
    client.post(f"/lists/{list_id}/delete", data={"csrf_token": auth_actions.csrf()})
    assert foreign.all_lists(db) == []
    exported = db.execute("select count(*) from audit where action = 'export' and "
                          "tbl = 'foreign_lists'").fetchone()[0]  # fmt: skip
    assert exported == 1


@pytest.mark.parametrize("mapping", ["[" * 5000 + "]" * 5000, '{"\\ud800": "given_name"}', "{"])
def test_a_hostile_mapping_is_refused_and_imports_nothing(client, api, db, mapping):
    """Issue 13: a deeply nested mapping field answered 500, after the list was imported."""
    data = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    fields = {"file": (io.BytesIO(data), "sarc.csv"), "name": "SARC", "mapping": mapping}
    answer = client.post("/api/v1/lists", data=fields, headers=api,
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400 and answer.get_json()["fields"] == {"mapping": ["Not JSON."]}
    assert db.execute("select count(*) from foreign_lists").fetchone()[0] == 0
