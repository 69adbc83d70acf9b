"""Family tracing across stations (issue 19): a child alone at one station, its family at
another; HQ finds the match after the next sync and routes it to both; a decision made at a
station comes back to HQ, and a rejected pair is not proposed again anywhere."""

from __future__ import annotations

import pytest

from fieldreg import (
    audit,
    auth,
    records,
    syncing,
    tracing,
    tracing_decide,
    tracing_lists,
    tracing_match,
    tracing_routes,
)
from sync import authority, tables
from sync.authority import NotOwner
from tests.conftest import PIN, csrf_of
from tests.synckit import join_stations, make_hq, make_site, sync_with
from tests.test_tracing import FAMILY, SAID

CHILD = {"members": [{"given_name": "عمر", "sex": "male", "age_years": 7,
                      "relationship": "head"}]}  # fmt: skip


@pytest.fixture
def world(tmp_path):
    """HQ (an app) and two stations that joined it."""
    app, hq = make_hq(tmp_path / "hq")
    stations = join_stations(hq, tmp_path, ("K7M", "P4R"))
    yield app, hq, stations
    for db in (hq, *stations.values()):
        db.close()


sync = sync_with


def open_case(db, code: str) -> dict:
    """Open a child's case at a station."""
    return tracing.open_case(db, {"kind": "child", "person_code": code, **SAID}, "reg")


def child_here_father_there(app, k7m, p4r) -> tuple[dict, dict]:
    """A child's case at K7M and its father's enquiry at P4R, synced through HQ: (case, enquiry)."""
    child, _ = records.create_household(k7m, CHILD, "reg")
    case = open_case(k7m, child["members"][0]["code"])
    family, _ = records.create_household(p4r, FAMILY, "reg")
    enquiry = tracing.open_case(p4r, {"kind": "enquiry", "relationship": "father",
                                      "person_code": family["members"][0]["code"],
                                      "given_name": "Omar", "sex": "male", "age_years": 7},
                                "reg")  # fmt: skip
    for db in (k7m, p4r, k7m):
        sync(db, app)
    return case, enquiry


def test_hq_finds_a_match_across_stations_and_routes_it_to_both(world):
    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    child, _ = records.create_household(k7m, CHILD, "reg")
    case = open_case(k7m, child["members"][0]["code"])
    family, _ = records.create_household(p4r, FAMILY, "reg")
    assert tracing_match.refresh(k7m) == 0, "the family is not at K7M yet"
    sync(k7m, app)
    sync(p4r, app)  # HQ refreshes after each batch it takes: the match is found there
    (at_hq,) = tracing_lists.proposals(hq)
    assert (at_hq["case_id"], at_hq["target_id"]) == (case["id"], family["id"])
    assert at_hq["stations"] == "K7M P4R" and at_hq["label"] == "probable"
    for db in (k7m, p4r):
        sync(db, app)
        (routed,) = tracing_lists.proposals(
            db,
            station=db.execute("select value from settings where key = 'station_code'").fetchone()[
                0
            ],
        )
        assert routed["match_id"] == at_hq["match_id"]
    tracing_decide.decide(k7m, case["id"], family["id"], "confirm", "reunified", None, "cw")
    sync(k7m, app)
    closed = next(hq.query("select status, outcome from tracing_cases where id = ?",
                           [case["id"]]))  # fmt: skip
    assert (closed["status"], closed["outcome"]) == ("closed", "reunified")
    assert tracing_lists.proposals(hq) == []
    assert set(tracing_routes.TABLES) <= set(tables.SYNCED)


def test_a_pair_rejected_at_a_station_is_not_proposed_again_at_hq(world):
    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    child, _ = records.create_household(k7m, CHILD, "reg")
    case = open_case(k7m, child["members"][0]["code"])
    family, _ = records.create_household(p4r, FAMILY, "reg")
    for db in (k7m, p4r, k7m):
        sync(db, app)
    tracing_decide.decide(k7m, case["id"], family["id"], "reject", "reunified", None, "cw")
    sync(k7m, app)
    assert tracing_lists.proposals(hq) == []
    records.add_member(
        p4r,
        family["code"],
        {"given_name": "Yusuf", "father_name": "Ahmad", "family_name": "Halabi", "age_years": 4},
        "reg",
    )
    sync(p4r, app)  # the family changed: HQ ranks the case again, the pair stays rejected
    assert tracing_lists.proposals(hq) == []
    assert family["id"] not in {
        c.target_id
        for c in tracing_match.candidates(
            hq, {**tracing.visible_row(hq, case["id"], tracing.Viewer(None, True))}
        )
    }


def test_a_confirmation_across_stations_closes_each_case_where_it_may_be_changed(world):
    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    case, enquiry = child_here_father_there(app, k7m, p4r)
    tracing_decide.decide(k7m, case["id"], enquiry["id"], "confirm", "reunified", None, "cw")
    status = "select status, outcome from tracing_cases where id = ?"
    assert tuple(next(k7m.query(status, [case["id"]])).values()) == ("closed", "reunified")
    assert next(k7m.query(status, [enquiry["id"]]))["status"] == "open", "P4R's, not K7M's"
    mine = "select 1 from changes where site = 'K7M' and tbl = 'tracing_cases' and record_id = ?"
    assert not list(k7m.query(mine, [enquiry["id"]])), "K7M never writes P4R's case"
    sync(k7m, app)  # HQ closes P4R's enquiry itself when K7M's decision arrives
    assert tuple(next(hq.query(status, [enquiry["id"]])).values()) == ("closed", "reunified")
    sync(p4r, app)
    assert tuple(next(p4r.query(status, [enquiry["id"]])).values()) == ("closed", "reunified")
    at_k7m = {c["id"] for c in tracing.list_cases(k7m, tracing.Viewer("cw", True), "open")}
    assert at_k7m == set()
    edit = tracing.update_case
    with pytest.raises(Exception) as refused:
        edit(k7m, enquiry["id"], {"carer": "x"}, tracing.Viewer("cw", True))
    assert getattr(refused.value, "code", None) in ("case_closed", "other_station")


def test_erasing_a_child_at_its_station_erases_its_tracing_data_everywhere(world):
    from fieldreg import subject

    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    child, _ = records.create_household(k7m, CHILD, "reg")
    code = child["members"][0]["code"]
    case = open_case(k7m, code)
    records.create_household(p4r, FAMILY, "reg")
    for db in (k7m, p4r, k7m, p4r):
        sync(db, app)
    assert tracing_lists.proposals(p4r), "the match reached P4R"
    subject.erase_person(k7m, code, "coordinator")
    sync(k7m, app)
    sync(p4r, app)
    for db in (hq, p4r):
        row = next(db.query("select * from tracing_cases where id = ?", [case["id"]]))
        assert row["deleted"] == 1 and row["given_name"] is None and row["father_name"] is None
        assert not list(db.query("select 1 from tracing_matches where deleted = 0"))
        assert tracing_lists.proposals(db) == []
        for change in db.query("select data from changes where tbl like 'tracing_%'"):
            assert "الحلبي" not in change["data"] and "عمر" not in change["data"]


def test_a_station_outside_the_match_holds_nothing_of_the_case(world, tmp_path):
    """Need to know (issue 13, 19): the match goes whole to its two stations, no further."""
    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    child, _ = records.create_household(k7m, CHILD, "reg")
    case = open_case(k7m, child["members"][0]["code"])
    records.create_household(p4r, FAMILY, "reg")
    q2r = make_site(tmp_path / "Q2R", "Q2R")
    syncing.join(q2r, syncing.add_station(hq, "Q2R", "Q2R", "http://hq"))
    try:
        for db in (k7m, p4r, k7m, p4r, q2r):
            sync(db, app)
        assert tracing_lists.proposals(hq) and tracing_lists.proposals(p4r)
        held = next(p4r.query("select * from tracing_cases where id = ?", [case["id"]]))
        assert held["father_name"] == SAID["father_name"], "the family's station verifies"
        assert not list(q2r.query("select 1 from tracing_matches"))
        outside = list(q2r.query("select * from tracing_cases"))
        assert all(row["father_name"] is None and row["given_name"] is None for row in outside)
    finally:
        q2r.close()


def test_a_child_registered_at_another_station_gets_a_case_here(world):
    """A case is a new record of the station that opens it (and an enquiry too); the child's
    record stays its owner's, and only the case's opener (and HQ) change the case."""
    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    child, _ = records.create_household(k7m, CHILD, "reg")
    code = child["members"][0]["code"]
    sync(k7m, app)
    sync(p4r, app)
    case = open_case(p4r, code)
    assert (case["person_code"], case["station"]) == (code, "P4R")
    sought = {"kind": "enquiry", "person_code": code, "given_name": "Ahmad",
              "relationship": "child"}  # fmt: skip
    enquiry = tracing.open_case(p4r, sought, "reg")
    at_hq_case = tracing.open_case(hq, {"kind": "child", "person_code": code, **SAID}, "cw-hq")
    sync(p4r, app)  # HQ takes P4R's new cases about K7M's child
    held = {r["id"]: r["station"] for r in hq.query("select id, station from tracing_cases")}
    assert held == {case["id"]: "P4R", enquiry["id"]: "P4R", at_hq_case["id"]: "HQ2"}
    assert authority.owner_of(hq, "tracing_cases", case["id"]) == "P4R"
    assert authority.owner_of(hq, "people", child["members"][0]["id"]) == "K7M"
    tracing.update_case(p4r, case["id"], {"carer": "Umm Khaled"}, tracing.Viewer("cw", True))
    sync(p4r, app)
    assert hq.execute("select carer from tracing_cases where id = ?",
                      [case["id"]]).fetchone()[0] == "Umm Khaled"  # fmt: skip
    with pytest.raises(NotOwner):  # the child's own record is still K7M's
        records.update_person(p4r, code, {"given_name": "Omar"}, "reg")
    assert k7m.execute("select count(*) from tracing_cases").fetchone()[0] == 0  # need to know


def test_hq_shows_which_station_sent_a_decision_and_a_note(world):
    """The actor of a synced fact is its station's word; HQ shows the station that sent it
    (proven by its credential) beside it: on the case, in the API and in HQ's audit log."""
    app, hq, stations = world
    k7m, p4r = stations["K7M"], stations["P4R"]
    case, enquiry = child_here_father_there(app, k7m, p4r)
    tracing.add_note(k7m, case["id"], "father seen at Ramouseh", tracing.Viewer("reg1", True))
    tracing_decide.decide(k7m, case["id"], enquiry["id"], "confirm", "reunified", None, "reg1")
    sync(k7m, app)
    seen = tracing.get_case(hq, case["id"], tracing.Viewer("hq-cw", True), audited=False)
    (note,) = seen["notes"]
    assert (note["actor"], note["station"], note["sent_by"]) == ("reg1", "K7M", "K7M")
    (decision,) = seen["decisions"]
    assert (decision["actor"], decision["sent_by"], decision["verdict"]) == (
        "reg1", "K7M", "confirm")  # fmt: skip
    closed = audit.entries(hq, action="tracing_matched", record_id=enquiry["id"])
    assert [e["actor"] for e in closed] == ["reg1 at station K7M (as sent by K7M)"]
    here = tracing.get_case(k7m, case["id"], tracing.Viewer("cw", True), audited=False)
    assert here["notes"][0]["sent_by"] is None and here["decisions"][0]["sent_by"] is None
    headers = {"Authorization": "Bearer " + auth.create_token(hq, "hq-cw", "caseworker")}
    with app.test_client() as client:
        api = client.get(f"/api/v1/tracing/cases/{case['id']}", headers=headers).get_json()
        assert api["notes"][0]["sent_by"] == "K7M" and api["decisions"][0]["sent_by"] == "K7M"
        auth.add_user(hq, "cw2", "caseworker", PIN)
        client.post("/login", data={"username": "cw2", "pin": PIN,
                                    "csrf_token": csrf_of(client)})  # fmt: skip
        page = client.get(f"/tracing/cases/{case['id']}").get_data(as_text=True)
    assert "at station K7M (as sent by K7M)" in page and "(as sent by K7M)" in page
