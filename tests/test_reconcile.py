"""The reconciliation (issue 18): every difference between boarded and arrived as names, people
counted once per dedup cluster, in transit and overdue, the dashboard's and sitrep's panel."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldreg import boarding, convoys, reconcile, records, sitrep, stats, transit
from fieldreg.db import write
from tests import synckit
from tests.conftest import household_body

NOW = dt.datetime.now(dt.UTC)


def person(db, name: str, **arrival) -> dict:
    """Register a one-person household; return its member."""
    body = household_body(members=[{"given_name": name, "family_name": "Test"}],
                          arrival=arrival)  # fmt: skip
    made, _new = records.create_household(db, body, "reg")
    return made["members"][0]


def board(db, vehicle: dict, who: dict, kind: str = "board", hours_ago: float = 0) -> None:
    at = NOW - dt.timedelta(hours=hours_ago)
    boarding.scan(db, vehicle["id"], {"code": who["code"], "kind": kind, "at": at}, "reg", False)


@pytest.fixture
def planted(db):
    """Two buses of one convoy and one person for each kind of difference."""
    convoy = convoys.create_convoy(db, {"reference": "C-1"}, "coord")
    one = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus", "label": "One",
                                      "expected": 5}, "coord")  # fmt: skip
    two = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus", "label": "Two"},
                                 "coord")  # fmt: skip
    p = {name: person(db, name) for name in ("Ali", "Badr", "Cala", "Eman")}
    p["Dana"] = person(db, "Dana", vehicle_id=one["id"])  # registered on arrival, no tag
    board(db, one, p["Ali"], hours_ago=9)
    board(db, one, p["Ali"], "arrive")  # an ordinary trip
    board(db, one, p["Badr"], hours_ago=9)  # never arrives
    board(db, one, p["Cala"], hours_ago=9)
    board(db, two, p["Cala"], hours_ago=8)  # changed bus
    board(db, two, p["Cala"], "arrive")
    board(db, two, p["Eman"], hours_ago=1)  # boarded Two, got off One
    board(db, one, p["Eman"], "arrive")
    return {"convoy": convoy, "one": one, "two": two, "p": p}


def names(found: dict, kind: str) -> list[str]:
    return sorted(x["name"].split()[0] for x in found["lists"][kind])


def test_a_vehicle_names_each_difference_and_explains_its_count(db, planted):
    one = reconcile.vehicle(db, planted["one"]["id"])
    assert (one["expected"], one["boarded"], one["arrived"]) == (5, 3, 3)
    assert names(one, "boarded_not_arrived") == ["Badr"]
    assert names(one, "arrived_without_boarding") == ["Dana"]
    assert names(one, "on_two_vehicles") == ["Cala", "Eman"]
    assert names(one, "counted_twice") == [] and names(one, "unknown_tags") == []
    assert one["explanation"] == {
        "arrived_minus_boarded": 0, "arrived_without_boarding": 1,
        "came_from_other_vehicles": 1, "boarded_not_arrived": 1, "went_to_other_vehicles": 1,
        "unexplained": 0, "expected_minus_boarded": 2,
    }  # fmt: skip
    two = reconcile.vehicle(db, planted["two"]["id"])
    assert (two["boarded"], two["arrived"], two["expected"]) == (2, 1, None)
    assert two["explanation"]["went_to_other_vehicles"] == 1  # Eman got off One


def test_a_convoy_counts_a_person_once_across_its_vehicles(db, planted):
    found = reconcile.convoy(db, planted["convoy"]["id"])
    assert (found["boarded"], found["arrived"]) == (4, 4)
    assert names(found, "boarded_not_arrived") == ["Badr"]
    assert names(found, "arrived_without_boarding") == ["Dana"]
    assert names(found, "on_two_vehicles") == ["Cala", "Eman"]
    assert found["explanation"]["unexplained"] == 0
    assert [v["label"] for v in found["vehicles"]] == ["One", "Two"]


def test_two_records_of_one_person_count_once_and_are_named_as_counted_twice(db, planted):
    again = person(db, "Badr", vehicle_id=planted["one"]["id"])  # lost his tag, registered anew
    before = reconcile.vehicle(db, planted["one"]["id"])
    assert names(before, "arrived_without_boarding") == ["Badr", "Dana"]
    badr = planted["p"]["Badr"]
    with write(db):  # deduplication (at HQ) linked the two registrations
        db.execute("insert into dedup_clusters (person_id, cluster_id) values (?, ?), (?, ?)",
                   [badr["id"], badr["id"], again["id"], badr["id"]])  # fmt: skip
    after = reconcile.vehicle(db, planted["one"]["id"])
    assert names(after, "boarded_not_arrived") == [] and names(after, "counted_twice") == ["Badr"]
    assert sorted(after["lists"]["counted_twice"][0]["records"]) == sorted(
        [badr["code"], again["code"]]
    )
    assert (after["boarded"], after["arrived"]) == (3, 4)  # Badr: one person, two records


def test_overdue_is_boarded_longer_ago_than_n_hours_and_not_arrived_anywhere(db, planted):
    late = person(db, "Fadi")
    board(db, planted["two"], late, hours_ago=2)
    found = transit.overview(db, hours=6)
    assert [p["name"] for p in found["overdue_people"]] == ["Badr Test"]
    assert [p["name"] for p in found["in_transit_people"]] == ["Fadi Test"]
    assert (found["boarded"], found["arrived"], found["arrived_without_boarding"]) == (5, 4, 1)
    assert [p["name"] for p in transit.overview(db, hours=1)["overdue_people"]] == [
        "Badr Test", "Fadi Test"]  # fmt: skip


def test_the_dashboard_and_the_sitrep_have_a_convoy_panel(db, planted, client, auth_actions):
    convoys.create_vehicle(db, {"kind": "pickup", "announced": False}, "coord")
    figure = stats.station_stats(db)["convoys"]
    assert figure["vehicles"] == {"total": 3, "expected": 1, "in_transit": 0, "arrived": 2,
                                  "unannounced": 1}  # fmt: skip
    assert figure["people"] == {"boarded": 4, "arrived": 4, "in_transit": 1, "arrived_elsewhere": 0}
    assert figure["by_vehicle_kind"]["bus"] == {"vehicles": 2, "boarded": 5, "arrived": 4}
    auth_actions.login("analyst")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "data-convoy-panel" in page and "Vehicles in transit" in page
    text = " ".join(getattr(part, "text", "") for part in sitrep.story(stats.station_stats(db)))
    assert "Convoys" in text
    assert client.get("/report.pdf").status_code == 200


def test_no_vehicle_no_panel(db):
    assert stats.station_stats(db)["convoys"] is None
    assert transit.overview(db, 6)["boarded"] == 0


def codes_of(people: list[dict]) -> set[str]:
    return {code for p in people for code in p["records"]}


def test_issue_18_hq_counts_a_boarded_man_registered_elsewhere_as_arrived(tmp_path):
    day = synckit.boarded_then_registered_elsewhere(tmp_path)
    hq, man, alone, wife = day["hq"], day["man"], day["alone"], day["wife"]
    transit = hq.api("analyst", "GET", "/transit?hours=6")
    assert codes_of(transit["overdue_people"]) == {alone}  # not the man sitting in a tent
    assert codes_of(transit["in_transit_people"]) & {man, day["found_as"]} == set()
    assert wife in codes_of(transit["in_transit_people"])  # her P4R record predates boarding
    assert (transit["boarded"], transit["arrived"], transit["arrived_elsewhere"]) == (3, 1, 1)
    [found] = transit["arrived_elsewhere_people"]
    assert man in found["records"] and found["found"]["station"] == "P4R"
    assert (found["found"]["how"], found["found"]["code"]) == ("registered", day["found_as"])
    for path in (f"/vehicles/{day['bus']['id']}/reconciliation",
                 f"/convoys/{day['convoy']['id']}/reconciliation"):  # fmt: skip
        rec = hq.api("analyst", "GET", path)
        assert (rec["boarded"], rec["arrived"], rec["arrived_elsewhere"]) == (3, 1, 1), path
        assert rec["arrived_on_vehicle"] == 0 and rec["clustered"] is True
        assert codes_of(rec["lists"]["arrived_elsewhere"]) == {man}
        assert codes_of(rec["lists"]["boarded_not_arrived"]) == {alone, wife}
        why = rec["explanation"]
        assert (why["arrived_minus_boarded"], why["boarded_not_arrived"]) == (-2, 2)
        assert why["unexplained"] == 0
    people = hq.api("analyst", "GET", "/stats")["convoys"]["people"]
    assert people == {"boarded": 3, "arrived": 1, "in_transit": 2, "arrived_elsewhere": 1}
    story = sitrep.story(stats.hq_stats(hq.db))
    rows = [row for part in story for row in getattr(part, "_cellvalues", [])]
    assert ["  of whom found by deduplication", 1] in rows


def test_issue_18_at_a_station_a_registration_elsewhere_changes_nothing(tmp_path):
    day = synckit.boarded_then_registered_elsewhere(tmp_path)
    transit = day["k7m"].api("coordinator", "GET", "/transit?hours=6")
    assert codes_of(transit["overdue_people"]) == {day["man"], day["alone"]}
    assert (transit["arrived"], transit["arrived_elsewhere"], transit["clustered"]) == (0, 0, False)
    rec = day["k7m"].api("coordinator", "GET", f"/vehicles/{day['bus']['id']}/reconciliation")
    assert rec["lists"]["arrived_elsewhere"] == [] and rec["arrived"] == 0


def test_issue_18_hq_counts_a_boarded_person_who_came_back_to_a_station_as_arrived(tmp_path):
    """A man left K7M, boarded a bus there eight hours ago, and was recorded as come back to a
    station (the movement "returned"): at HQ he arrived, found through his cluster's record."""
    from fieldreg import create_app, dedup

    app, hq = synckit.make_hq(tmp_path / "hq")
    k7m_db = synckit.join_stations(hq, tmp_path, ["K7M"])["K7M"]
    k7m = synckit.Site(create_app({"DATA": str(tmp_path / "K7M"), "TESTING": True}), k7m_db)
    made = k7m.api("registrar", "POST", "/households", {"members": synckit.HALABI_AR[:1]})
    code = made["members"][0]["code"]
    bus = k7m.api("coordinator", "POST", "/vehicles", {"kind": "bus", "label": "Bus 3"})
    k7m.api("registrar", "POST", f"/people/{code}/movements", {"kind": "departed"})
    eight = (NOW - dt.timedelta(hours=8)).isoformat()
    k7m.api("registrar", "POST", f"/vehicles/{bus['id']}/scans",
            {"code": code, "kind": "board", "at": eight})  # fmt: skip
    k7m.api("registrar", "POST", f"/people/{code}/movements", {"kind": "returned"})
    synckit.sync_with(k7m.db, app)
    dedup.full_run(hq)
    transit = synckit.Site(app, hq).api("analyst", "GET", "/transit?hours=6")
    assert transit["overdue_people"] == [] and transit["arrived_elsewhere"] == 1
    [found] = transit["arrived_elsewhere_people"]
    assert (found["found"]["how"], found["found"]["station"]) == ("returned", "K7M")
    assert k7m.api("analyst", "GET", "/transit?hours=6")["overdue"] == 1  # a station: unchanged
