"""The whole drill of issue 18, through the real apps, their JSON API and sync.

A departure point (station D2P) registers 2,500 people, creates 3 convoys of 50 vehicles and
scans everyone aboard; two reception stations (R3A, R4B) receive the convoys by sync and scan
people off; everything reaches HQ, which deduplicates and reconciles. Planted on the way:

- 15 people who board a second vehicle of their convoy and arrive on it   (on two vehicles)
- 25 people who board and never arrive anywhere            (boarded, not arrived; overdue)
- 2 households who lose their tags and are registered again on arrival     (counted twice)
- 30 people without a tag registered at reception, linked to their vehicle (arrived
  without boarding), and an unannounced vehicle made at R4B with 20 more, and 3 people who
  boarded a convoy vehicle and got off the unannounced one
- manifest counts off by a few on 5 vehicles
- another agency's list of 2,600 names in its own spelling: 35 of the arrived missing, 40
  people we never saw, 70 rows naming someone twice.

The reconciliation must find each of them, by name, and leave nothing unexplained. Sites are
in-process apps (sync over httpx's WSGI transport): the network is not what is tested here.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random

import httpx
import pytest

from fieldreg import auth, create_app, dedup, syncing
from fieldreg.db import connect, prepare
from tests.convoykit import THEIR_HEADER, household_body, population, their_row

NOW = dt.datetime.now(dt.UTC)
BOARDED_PEOPLE = 2500
VEHICLES = (17, 17, 16)


class Site:
    """One FieldReg instance: its app, a database connection, API headers by role."""

    def __init__(self, path, code: str, role: str = "station"):
        db = connect(prepare(path))
        db.execute("update settings set value = ? where key = 'station_code'", [code])
        self.code, self.db = code, db
        self.app = create_app({"DATA": str(path), "ROLE": role, "TESTING": True})
        self.client = self.app.test_client()
        self.headers = {r: {"Authorization": "Bearer " + auth.create_token(db, r, r)}
                        for r in ("registrar", "coordinator", "analyst")}  # fmt: skip

    def call(self, method: str, url: str, role: str = "coordinator", ok=(200, 201), **kw):
        """Call the API; fail the test on an unexpected status."""
        answer = self.client.open(url, method=method, headers=self.headers[role], **kw)
        assert answer.status_code in ok, (url, answer.status_code, answer.get_data(as_text=True))
        return answer.get_json()

    def scan(self, vehicle: str, code: str, kind: str, at: dt.datetime | None = None) -> dict:
        body = {"code": code, "kind": kind, **({"at": at.isoformat()} if at else {})}
        return self.call("POST", f"/api/v1/vehicles/{vehicle}/scans", "registrar", json=body)


def sync(site: Site, hq: Site) -> None:
    """Push the site's changes to HQ and pull what HQ has (until nothing is left)."""
    syncing.run_sync(site.db, transport=httpx.WSGITransport(app=hq.app))


class Drill:
    """What was planted, and the sites after the drill."""

    def code_of(self, person: dict) -> str:
        """Return the code a true person was first registered with."""
        if person["true_id"] in self.codes:
            return self.codes[person["true_id"]]
        return next(c for c, (p, _v) in self.unregistered.items() if p is person)


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Drill:
    base, rng, d = tmp_path_factory.mktemp("drill"), random.Random(18), Drill()
    d.hq = Site(base / "hq", "HQ2", "hq")
    d.dep, d.r1, d.r2 = (Site(base / c, c) for c in ("D2P", "R3A", "R4B"))
    for site in (d.dep, d.r1, d.r2):
        syncing.join(site.db, syncing.add_station(d.hq.db, site.code, site.code, "http://hq"))
    households = population(700)
    d.boarded_hh, rest = _take_people(households, BOARDED_PEOPLE)
    d.new_hh, rest = _take_people(rest, 30)  # on convoy vehicles, without a tag
    d.unannounced_hh, rest = _take_people(rest, 20)  # on the unannounced vehicle
    d.their_only = [p for hh in rest for p in hh][:40]
    _register_and_board(d, rng)
    sync(d.dep, d.hq)
    sync(d.r1, d.hq)
    sync(d.r2, d.hq)
    _arrive(d, rng)
    for site in (d.r1, d.r2, d.dep, d.r1):  # R3A again: it hears of R4B's unannounced vehicle
        sync(site, d.hq)
    dedup.full_run(d.hq.db)
    return d


def _take_people(households, total: int):
    """Take households until exactly ``total`` people (the last one cut); return the rest."""
    taken, count = [], 0
    for i, hh in enumerate(households):
        if count >= total:
            return taken, households[i:]
        hh = hh[: total - count]
        taken.append(hh)
        count += len(hh)
    raise AssertionError("population too small")


def _register_and_board(d: Drill, rng: random.Random) -> None:
    """At the departure point: register, make convoys and vehicles, scan everyone aboard."""
    d.codes, d.person_of = {}, {}  # true id -> person code at D; code -> true person
    for members in d.boarded_hh:
        made = d.dep.call("POST", "/api/v1/households", "registrar",
                          json=household_body(members, rng.random() < 0.6))  # fmt: skip
        members[0]["hh_code"] = made["code"]
        for true, mine in zip(members, made["members"], strict=True):
            d.codes[true["true_id"]] = mine["code"]
            d.person_of[mine["code"]] = true
    d.convoys, d.vehicles = [], []  # vehicles: (convoy index, id)
    for n, size in enumerate(VEHICLES):
        convoy = d.dep.call("POST", "/api/v1/convoys", json={
            "reference": f"C-{n + 1}", "agency": "SARC", "origin": "Darayya",
            "departure_point": "D2P", "destination": "Idlib"})  # fmt: skip
        d.convoys.append(convoy["id"])
        for k in range(size):
            body = {"kind": "bus", "label": f"C{n + 1}-Bus {k + 1}"}
            vehicle = d.dep.call("POST", f"/api/v1/convoys/{convoy['id']}/vehicles", json=body)
            d.vehicles.append((n, vehicle["id"]))
    per = -(-len(d.boarded_hh) // len(d.vehicles))
    d.aboard = {}  # true id -> vehicle id boarded first
    d.when = {0: NOW - dt.timedelta(hours=10), 1: NOW - dt.timedelta(hours=8),
              2: NOW - dt.timedelta(hours=2)}  # fmt: skip
    d.hh_vehicle = {}
    for i, members in enumerate(d.boarded_hh):
        convoy, vid = d.vehicles[min(i // per, len(d.vehicles) - 1)]
        d.hh_vehicle[id(members[0])] = (convoy, vid)
        at = d.when[convoy]
        if rng.random() < 0.9:  # a household tag; else each member's own tag
            d.dep.scan(vid, members[0]["hh_code"], "board", at)
        else:
            for m in members:
                d.dep.scan(vid, d.codes[m["true_id"]], "board", at)
        for m in members:
            d.aboard[m["true_id"]] = vid
    _manifests(d)
    _plant(d, rng)


def _manifests(d: Drill) -> None:
    """Set each vehicle's manifest count: the boarded count, off by a few on 5 vehicles."""
    boarded = {vid: 0 for _c, vid in d.vehicles}
    for vid in d.aboard.values():
        boarded[vid] += 1
    d.manifest_gap = {}
    gaps = {3: 2, 11: -3, 20: 1, 33: -2, 45: 4}
    for n, (_c, vid) in enumerate(d.vehicles):
        gap = gaps.get(n, 0)
        d.dep.call("PATCH", f"/api/v1/vehicles/{vid}", json={"expected": boarded[vid] + gap})
        d.manifest_gap[vid] = gap


def _plant(d: Drill, rng: random.Random) -> None:
    """Choose who boards twice, who never arrives, who loses their tag, who comes unannounced."""
    people = [p for hh in d.boarded_hh for p in hh]
    rng.shuffle(people)
    d.twice = people[:15]
    d.never = people[15:40]
    d.later = {}  # true id -> the second vehicle
    for p in d.twice:
        convoy = next(c for c, v in d.vehicles if v == d.aboard[p["true_id"]])
        others = [v for c, v in d.vehicles if c == convoy and v != d.aboard[p["true_id"]]]
        d.later[p["true_id"]] = rng.choice(others)
        answer = d.dep.scan(d.later[p["true_id"]], d.codes[p["true_id"]], "board",
                            d.when[convoy] + dt.timedelta(minutes=20))  # fmt: skip
        assert answer["status"] == "warning" and answer["elsewhere"]
    skip = {p["true_id"] for p in d.twice + d.never}
    whole = [hh for hh in d.boarded_hh if not skip & {m["true_id"] for m in hh}]
    d.lost = [hh for hh in whole if d.hh_vehicle[id(hh[0])][0] < 2][:2]
    third = [hh for hh in whole if d.hh_vehicle[id(hh[0])][0] == 2 and hh not in d.lost]
    d.to_unannounced = [third[0][0], third[1][0], third[2][0]]


def _arrive(d: Drill, rng: random.Random) -> None:
    """At the reception stations: scan people off, register the ones without a tag."""
    c3 = d.convoys[2]
    d.unannounced = d.r2.call("POST", f"/api/v1/convoys/{c3}/vehicles", json={
        "kind": "truck", "label": "Unannounced truck", "announced": False})["id"]  # fmt: skip
    never = {p["true_id"] for p in d.never}
    lost = {m["true_id"] for hh in d.lost for m in hh}
    moved = {p["true_id"]: d.unannounced for p in d.to_unannounced} | d.later
    for members in d.boarded_hh:
        convoy, vid = d.hh_vehicle[id(members[0])]
        site = d.r1 if convoy < 2 else d.r2
        ids = {m["true_id"] for m in members}
        if ids & lost:
            continue
        if not ids & (never | set(moved)):
            site.scan(vid, members[0]["hh_code"], "arrive")
            continue
        for m in members:
            if m["true_id"] not in never:
                site.scan(moved.get(m["true_id"], vid), d.codes[m["true_id"]], "arrive")
    d.again = {}  # true id -> code of the second registration (lost tags)
    for members in d.lost:
        _, vid = d.hh_vehicle[id(members[0])]
        body = household_body(members, arabic=True, arrival={"vehicle_id": vid})
        made = d.r1.call("POST", "/api/v1/households", "registrar", json=body)
        d.again.update({m["true_id"]: p["code"] for m, p in
                        zip(members, made["members"], strict=True)})  # fmt: skip
    d.unregistered = {}  # code -> (true person, vehicle id)
    spots = itertools.cycle([(d.r1, d.vehicles[0][1]), (d.r2, d.vehicles[-1][1]),
                             (d.r1, d.vehicles[20][1]), (d.r2, d.vehicles[40][1])])  # fmt: skip
    for members, (site, vid) in zip(d.new_hh, spots, strict=False):
        _register_new(d, site, members, vid)
    for members in d.unannounced_hh:
        _register_new(d, d.r2, members, d.unannounced)
    d.unregistered_count = 50


def _register_new(d: Drill, site: Site, members: list, vid: str) -> None:
    body = household_body(members, arabic=False, arrival={"vehicle_id": vid})
    made = site.call("POST", "/api/v1/households", "registrar", json=body)
    for true, mine in zip(members, made["members"], strict=True):
        d.unregistered[mine["code"]] = (true, vid)


def codes_in(people: list[dict]) -> set[str]:
    """Return the codes of each listed person's records."""
    return {code for p in people for code in p["records"]}


def test_the_departure_points_convoys_reach_both_reception_stations(drill):
    for site in (drill.r1, drill.r2):
        found = site.call("GET", "/api/v1/convoys", "registrar")
        assert sorted(c["reference"] for c in found) == ["C-1", "C-2", "C-3"]
        assert sum(len(c["vehicles"]) for c in found) == 51  # the unannounced one came back
    at_hq = drill.hq.call("GET", f"/api/v1/vehicles/{drill.unannounced}", "analyst")
    assert at_hq["announced"] is False and at_hq["station"] == "R4B"


def test_each_convoy_at_hq_names_every_planted_difference(drill):
    never = {drill.codes[p["true_id"]]: p for p in drill.never}
    for n, convoy_id in enumerate(drill.convoys):
        found = drill.hq.call("GET", f"/api/v1/convoys/{convoy_id}/reconciliation", "analyst")
        lists, why = found["lists"], found["explanation"]
        mine = {v for c, v in drill.vehicles if c == n} | ({drill.unannounced} if n == 2 else set())
        assert codes_in(lists["boarded_not_arrived"]) == {
            code for code, p in never.items() if drill.aboard[p["true_id"]] in mine
        }
        assert codes_in(lists["arrived_without_boarding"]) == {
            code for code, (_p, vid) in drill.unregistered.items() if vid in mine
        }
        moved = [p for p in drill.twice if drill.aboard[p["true_id"]] in mine]
        moved += drill.to_unannounced if n == 2 else []
        assert codes_in(lists["on_two_vehicles"]) == {drill.codes[p["true_id"]] for p in moved}
        lost = [m for hh in drill.lost for m in hh if drill.aboard[m["true_id"]] in mine]
        assert codes_in(lists["counted_twice"]) == {
            code for m in lost for code in (drill.codes[m["true_id"]], drill.again[m["true_id"]])
        }
        assert lists["unknown_tags"] == []
        assert why["unexplained"] == 0
        assert why["arrived_minus_boarded"] == (
            why["arrived_without_boarding"] - why["boarded_not_arrived"]
        )
        boarded = sum(1 for v in drill.aboard.values() if v in mine)
        assert found["boarded"] == boarded
        planted_gap = sum(drill.manifest_gap[v] for v in mine if v in drill.manifest_gap)
        assert why["expected_minus_boarded"] == planted_gap
    assert sum(1 for gap in drill.manifest_gap.values() if gap) == 5


def test_each_vehicle_explains_its_own_count(drill):
    went = {drill.aboard[p["true_id"]] for p in drill.twice} | {
        drill.aboard[p["true_id"]] for p in drill.to_unannounced
    }
    for _convoy, vid in drill.vehicles[:20] + [(2, drill.unannounced)]:
        found = drill.hq.call("GET", f"/api/v1/vehicles/{vid}/reconciliation", "analyst")
        why = found["explanation"]
        assert why["unexplained"] == 0
        assert (why["went_to_other_vehicles"] > 0) == (vid in went)
        if vid != drill.unannounced:  # the manifest was written before anyone changed bus
            came = sum(1 for later in drill.later.values() if later == vid)
            assert why["expected_minus_boarded"] == drill.manifest_gap[vid] - came
        else:
            assert why["expected_minus_boarded"] is None
    truck = drill.hq.call("GET", f"/api/v1/vehicles/{drill.unannounced}/reconciliation",
                          "analyst")  # fmt: skip
    assert truck["boarded"] == 0
    assert truck["explanation"]["came_from_other_vehicles"] == 3


def test_hq_sees_who_is_in_transit_and_who_is_overdue(drill):
    found = drill.hq.call("GET", "/api/v1/transit?hours=6", "analyst")
    late = {
        drill.codes[p["true_id"]]
        for p in drill.never
        if next(c for c, v in drill.vehicles if v == drill.aboard[p["true_id"]]) < 2
    }
    assert codes_in(found["overdue_people"]) == late
    assert (
        codes_in(found["in_transit_people"])
        == {drill.codes[p["true_id"]] for p in drill.never} - late
    )
    assert found["boarded"] == BOARDED_PEOPLE  # the lost-tag households count once
    assert found["arrived"] == BOARDED_PEOPLE - len(drill.never) + drill.unregistered_count
    assert found["arrived_without_boarding"] == drill.unregistered_count
    assert found["clustered"] is True


def test_a_reception_station_reconciles_what_it_knows(drill):
    found = drill.r1.call("GET", f"/api/v1/convoys/{drill.convoys[0]}/reconciliation",
                          "coordinator")  # fmt: skip
    assert found["explanation"]["unexplained"] == 0
    # Without deduplication a lost tag shows twice: boarded and gone, and new on arrival.
    lost = {
        drill.codes[m["true_id"]]
        for hh in drill.lost
        for m in hh
        if drill.aboard[m["true_id"]] in {v for c, v in drill.vehicles if c == 0}
    }
    assert lost <= codes_in(found["lists"]["boarded_not_arrived"])


def test_another_agencys_list_is_reconciled_against_hq(drill):
    rng = random.Random(7)
    lost = [m for hh in drill.lost for m in hh]
    arrived = [p for hh in drill.boarded_hh for p in hh if p not in drill.never + lost]
    arrived += [p for hh in drill.new_hh + drill.unannounced_hh for p in hh]
    rng.shuffle(arrived)
    missed, counted = arrived[:35], arrived[35:] + lost
    twice = counted[:70]
    rows = [their_row(p) for p in counted + drill.their_only + twice]
    rng.shuffle(rows)
    assert len(rows) == 2600
    text = "\n".join(",".join(r) for r in [THEIR_HEADER, *rows]).encode()
    mapping = '{"Full name": "full_name", "Gender": "sex", "Age": "age_years", "Bus": "vehicle"}'
    made = drill.hq.call("POST", "/api/v1/lists", data={
        "file": (io.BytesIO(text), "sarc.csv"), "name": "SARC head count", "agency": "SARC",
        "mapping": mapping}, content_type="multipart/form-data")  # fmt: skip
    summary = made["result"]["summary"]
    ours = BOARDED_PEOPLE + drill.unregistered_count
    # Every planted difference is found; the few look-alikes the names cannot tell apart are
    # matches to review (their true person among the candidates), never a wrong match.
    assert {
        k: summary[k]
        for k in (
            "their_rows",
            "their_people",
            "their_duplicates",
            "duplicate_groups",
            "our_people",
            "only_theirs",
            "unexplained",
        )
    } == {
        "their_rows": 2600,
        "their_people": 2530,
        "their_duplicates": 70,
        "duplicate_groups": 70,
        "our_people": ours,
        "only_theirs": 40,
        "unexplained": 0,
    }
    assert summary["matched"] + summary["probable"] == len(counted) and summary["probable"] <= 5
    names = drill.hq.call("GET", f"/api/v1/lists/{made['id']}/names", "analyst")["lists"]
    truth = {their_row(p)[0]: {drill.code_of(p), drill.again.get(p["true_id"])} for p in counted}
    for group in names["matched"]:
        assert truth[group["theirs"][0]["name"]] & {o["code"] for o in group["ours"]}
    for group in names["probable"]:
        assert truth[group["theirs"][0]["name"]] & {c["code"] for c in group["candidates"]}
    reviewed = set().union(*(truth[g["theirs"][0]["name"]] for g in names["probable"]))
    only_ours = {p["code"] for p in names["only_ours"]}
    assert only_ours - reviewed == {drill.code_of(p) for p in missed + drill.never}
    their_only = {t["name"] for g in names["only_theirs"] for t in g["theirs"]}
    assert their_only == {their_row(p)[0] for p in drill.their_only}
    twice_names = {their_row(p)[0] for p in twice}
    assert {g["theirs"][0]["name"] for g in names["their_duplicates"]} == twice_names
