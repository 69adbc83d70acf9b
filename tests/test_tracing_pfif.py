"""Family tracing in PFIF 1.4 with partners (issue 19): out with consent only, in as
enquiries, hostile files refused with a clear 4xx and nothing imported."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from fieldreg import tracing_pfif
from tests.test_tracing import alone, open_child, photo_bytes

NS = {"pfif": "http://zesty.ca/pfif/1.4"}
PARTNER = """<?xml version="1.0" encoding="utf-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">
  <pfif:person>
    <pfif:person_record_id>icrc.example/person.77</pfif:person_record_id>
    <pfif:author_name>Zainab Khatib</pfif:author_name>
    <pfif:author_phone>+961 70 123 456</pfif:author_phone>
    <pfif:full_name>عمر أحمد الحلبي</pfif:full_name>
    <pfif:sex>male</pfif:sex>
    <pfif:age>6-8</pfif:age>
    <pfif:home_city>Halab</pfif:home_city>
    <pfif:note>
      <pfif:note_record_id>icrc.example/note.1</pfif:note_record_id>
      <pfif:person_record_id>icrc.example/person.77</pfif:person_record_id>
      <pfif:status>information_sought</pfif:status>
      <pfif:last_known_location>Ramouseh checkpoint</pfif:last_known_location>
    </pfif:note>
  </pfif:person>
</pfif:pfif>"""
HOSTILE = {
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
    b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><pfif:pfif xmlns:pfif="http://zes'
    b'ty.ca/pfif/1.4"><pfif:person><pfif:full_name>&lol2;</pfif:full_name></pfif:person>'
    b"</pfif:pfif>",
    "external entity": b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/pass'
    b'wd">]><pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:full_name>&x;'
    b"</pfif:full_name></pfif:person></pfif:pfif>",
    "not xml": b"given_name,family_name\nOmar,Halabi\n",
    "another format": b'<?xml version="1.0"?><people><person>Omar</person></people>',
    "cut short": PARTNER.encode()[:300],
}  # fmt: skip


@pytest.fixture
def cases(client, auth_actions):
    """A child's case with consent and a photo, and one without consent."""
    reg = auth_actions.token("registrar")
    shared = open_child(client, reg, alone(client, reg), consent_share=True,
                        consent_by="the carer, Umm Khaled", assent=True)  # fmt: skip
    client.put(f"/api/v1/tracing/cases/{shared['id']}/photo", headers=reg,
               data={"image": (io.BytesIO(photo_bytes()), "c.jpg")})  # fmt: skip
    private = open_child(client, reg, alone(client, reg, given="ليلى", age=5))
    return shared, private


def test_export_carries_only_cases_with_consent_with_a_found_note_and_the_photo(
    client, auth_actions, cases, db
):
    shared, private = cases
    response = client.get("/api/v1/tracing/pfif", headers=auth_actions.token("caseworker"))
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = etree.fromstring(response.data)
    people = root.findall("pfif:person", NS)
    assert [p.findtext("pfif:person_record_id", namespaces=NS) for p in people] == [
        f"t3s.fieldreg/tracing.{shared['id']}"]  # fmt: skip
    person = people[0]
    assert person.findtext("pfif:given_name", namespaces=NS) == "عمر"
    assert "Father: أحمد" in person.findtext("pfif:description", namespaces=NS)
    assert person.findtext("pfif:photo_url", namespaces=NS).startswith("data:image/jpeg;base64,")
    assert person.findtext("pfif:note/pfif:status", namespaces=NS) == "believed_alive"
    assert private["id"] not in response.get_data(as_text=True)
    assert list(db.query("select 1 from audit where action = 'export' and tbl = 'tracing_cases'"))


def test_a_partners_file_becomes_enquiries_once_and_they_are_matched(client, auth_actions, db):
    worker = auth_actions.token("caseworker")
    child = open_child(client, worker, alone(client, worker))
    sent = client.post("/api/v1/tracing/pfif", data=PARTNER.encode(), headers=worker,
                       content_type="application/xml")  # fmt: skip
    assert sent.status_code == 200 and sent.get_json() == {"imported": 1, "updated": 0,
                                                           "skipped": 0}  # fmt: skip
    again = client.post("/api/v1/tracing/pfif", data=PARTNER.encode(), headers=worker,
                        content_type="application/xml")  # fmt: skip
    assert again.get_json() == {"imported": 0, "updated": 0, "skipped": 1}
    listed = client.get("/api/v1/tracing/cases?kind=enquiry", headers=worker).get_json()
    (case,) = listed["cases"]
    assert (case["kind"], case["given_name"], case["family_name"]) == ("enquiry", "عمر", "الحلبي")
    assert (case["age_years"], case["separated_place"]) == (7, "Ramouseh checkpoint")
    assert case["enquirer_name"] == "Zainab Khatib" and case["consent_share"] is False
    matched = client.get(f"/api/v1/tracing/cases/{case['id']}/candidates", headers=worker)
    assert [c["target_id"] for c in matched.get_json()["candidates"]] == [child["id"]]
    page = client.get("/api/v1/tracing/pfif", headers=worker)
    assert b"icrc.example" not in page.data, "a partner's records are not sent back"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_or_broken_file_is_refused_with_a_clear_4xx(client, auth_actions, db, name):
    response = client.post("/api/v1/tracing/pfif", data=HOSTILE[name], content_type="text/xml",
                           headers=auth_actions.token("caseworker"))  # fmt: skip
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["code"] == "pfif_invalid"
    assert not list(db.query("select 1 from tracing_cases"))


def test_a_file_too_large_is_refused(client, auth_actions, monkeypatch):
    monkeypatch.setattr(tracing_pfif, "MAX_BYTES", 1000)
    response = client.post(
        "/api/v1/tracing/pfif",
        data=PARTNER.encode() * 3,
        content_type="text/xml",
        headers=auth_actions.token("caseworker"),
    )
    assert response.status_code == 413 and response.get_json()["code"] == "too_large"


def test_the_exchange_page_imports_a_file_and_says_what_it_did(client, auth_actions):
    auth_actions.login("caseworker", "cw")
    page = client.post("/tracing/exchange/import", data={
        "csrf_token": auth_actions.csrf(), "file": (io.BytesIO(PARTNER.encode()), "p.xml")},
        follow_redirects=True)  # fmt: skip
    assert page.status_code == 200 and "Imported: 1 new enquiries" in page.get_data(as_text=True)
    bad = client.post("/tracing/exchange/import", data={
        "csrf_token": auth_actions.csrf(), "file": (io.BytesIO(HOSTILE["billion laughs"]),
                                                    "p.xml")})  # fmt: skip
    assert bad.status_code == 400 and "cannot be imported" in bad.get_data(as_text=True)
