"""Running figures (issue 15): the tallies follow every write and equal a recount from scratch."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from fieldreg import create_app, medical, movements, records, stats, subject, syncing, tallies
from fieldreg.db import connect, prepare, write
from fieldreg.migrations import migrations
from fieldreg.schemas.records import HouseholdSchema, HouseholdUpdateSchema, PersonUpdateSchema
from tests.conftest import ROOT, household_body

EVERYTHING = stats.Period(since="2000-01-01")  # every arrival below: counted, not tallied


def register(db, **overrides) -> dict:
    """Register a household through the domain operation, as the API does."""
    return records.create_household(db, HouseholdSchema().load(household_body(**overrides)), "t")[0]


def correct(db, code: str, changes: dict, household: bool = False) -> None:
    """Correct a person or a household as the PATCH endpoints do."""
    if household:
        data = HouseholdUpdateSchema(partial=True).load(changes)
        records.update_household(db, code, data, "t")
    else:
        records.update_person(db, code, PersonUpdateSchema(partial=True).load(changes), "t")


def busy_day(db) -> None:
    """Registrations, corrections, movements and an erasure: every kind of write."""
    first = register(db, arrival={"at": "2026-11-20T08:10:00", "transport": "bus"},
                     vulnerabilities=["older_person_alone"])  # fmt: skip
    second = register(
        db,
        arrival={"at": "2026-11-20T09:40:00", "transport": "ambulance"},
        destination={"kind": "hospital"},
        members=[{"given_name": "Lina", "sex": "female", "date_of_birth": "2017-02-03",
                  "vulnerabilities": ["unaccompanied_child"]},
                 {"given_name": "Rami", "age_years": 70}],
    )  # fmt: skip
    register(db, arrival={"at": "2026-11-21T07:00:00", "transport": "on_foot"})
    correct(db, first["members"][1]["code"], {"sex": "unknown", "age_years": 61})
    correct(db, second["code"], {"destination": {"kind": "host_family"}}, household=True)
    correct(db, first["code"], {"arrival": {"at": "2026-11-19T23:00:00"}}, household=True)
    head, lina, rami = first["members"][0], second["members"][0], second["members"][1]
    medical.record_triage(db, head["code"], {"category": "immediate"}, "m")
    medical.record_triage(db, head["code"], {"category": "minor"}, "m")  # re-triage: latest
    sent = {"category": "delayed", "referral": {"status": "transferred"}}
    medical.record_triage(db, lina["code"], sent, "m")
    medical.record_triage(db, rami["code"], {"category": "immediate"}, "m")
    away = {"kind": "departed", "destination": {"kind": "host_family"}}
    movements.move_household(db, first["code"], away, "t")
    movements.move_person(db, head["code"], {"kind": "returned"}, "t")
    movements.move_person(db, lina["code"], {"kind": "transferred"}, "t")
    subject.erase_person(db, rami["code"], "t")  # with his triage


def test_tallies_follow_every_write_and_equal_a_recount(db):
    busy_day(db)
    tallied, counted = stats.station_stats(db), stats.station_stats(db, EVERYTHING)
    for key in ("generated_at", "since"):
        tallied.pop(key), counted.pop(key)
    assert tallied == counted
    assert tallied["people"] == 7 and tallied["departed"] == 3
    assert tallied["by_destination"] == {"camp": 2, "host_family": 1}
    assert tallied["departed_by_destination"] == {"host_family": 2, "hospital": 1}
    assert tallied["by_age_group"]["60+"] == {"unknown": 1}
    hours = {row["hour"]: row["people"] for row in tallied["arrivals_per_hour"]}
    assert (hours["2026-11-20T08"], hours["2026-11-20T09"], hours["2026-11-21T07"]) == (0, 1, 3)
    assert tallies.total(db, "people_deleted") == 1
    triage = tallied["triage"]
    assert (triage["by_category"]["minor"], triage["by_category"]["delayed"]) == (1, 1)
    assert (triage["total"], triage["waiting"]) == (2, 1), "Lina's referral is not waiting"
    assert tallied["departures_by_destination"] == {"host_family": 2, "hospital": 1}
    assert tallied["presence"] == {"present": 4, "departed": 2, "transferred": 1}
    assert tallies.recount(db) == [], "the triggers kept every tally equal to a recount"


def test_recount_finds_and_repairs_a_drifted_tally(db):
    register(db)
    with write(db):
        db.execute("update tally_people set n = n + 5 where sex = 'female'")
    assert stats.station_stats(db)["people"] == 8
    assert tallies.recount(db) == ["tally_people"]
    assert stats.station_stats(db)["people"] == 3
    assert tallies.recount(db) == []


def test_sync_apply_at_hq_keeps_the_tallies(tmp_path):
    """Records written by sync's apply (which knows nothing of tallies) are tallied too."""
    hq_dir, station_dir = tmp_path / "hq", tmp_path / "st"
    prepare(hq_dir)
    app = create_app({"DATA": str(hq_dir), "ROLE": "hq", "TESTING": True})
    hq, station = connect(app.config["DATABASE"]), connect(prepare(station_dir))
    syncing.join(station, syncing.add_station(hq, "K7P", "K7P", "http://hq"))
    made = register(station, arrival={"at": "2026-11-20T08:00:00"})
    register(station, arrival={"at": "2026-11-20T09:00:00"})
    syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
    subject.erase_person(station, made["members"][0]["code"], "t")
    syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
    figures = stats.hq_stats(hq)
    assert figures["people"] == 5 and figures["households"] == 2
    assert [(s["station"], s["people"], s["households"]) for s in figures["stations"]] == [
        ("K7P", 5, 2)
    ]
    assert figures["stations"][0]["first_arrival"] == "2026-11-20T08:00:00"
    assert tallies.total(hq, "people_deleted") == 1
    assert tallies.recount(hq) == [] and tallies.recount(station) == []
    hq.close(), station.close()


def test_migration_fills_the_tallies_of_an_existing_database(tmp_path):
    """A station upgraded with people in it starts with tallies equal to a recount."""
    path = tmp_path / "old.db"
    from fieldreg import keyring

    db = connect(path, keyring.key_for(path, create=True))
    migrations.apply(db, stop_before="m120_tallies")
    with write(db):
        db.execute("insert into settings values ('station_code', 'T3S')")
        register(db)
        db.execute("update people set deleted = 1 where position = 1")
    migrations.apply(db)
    assert stats.station_stats(db)["people"] == 2
    assert tallies.total(db, "people_deleted") == 1
    assert tallies.recount(db) == []
    db.close()


def test_recount_command_in_a_fresh_process(data_dir, db):
    register(db)
    with write(db):
        db.execute("update tally_hours set people = people + 1")
    done = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data_dir), "recount"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "tally_hours" in done.stdout
    assert tallies.recount(db) == []


def test_ages_from_birth_dates_match_a_count_on_every_boundary(db):
    """Birth dates the day before, on and after each age group's edge, in the future, unreadable."""
    dates = ["2999-01-01", "not a date", "1700-01-01", ""]
    for years in (0, 5, 12, 18, 60, 201):
        day = db.execute("select date(julianday('now') - 365.25 * ?)", [years]).fetchone()[0]
        for shift in (-1, 0, 1):
            dates.append(db.execute("select date(?, ? || ' days')", [day, shift]).fetchone()[0])
    now = "2026-11-25T10:00:00+00:00"
    with write(db):
        db.execute("insert into households (id, code, station, created_at, updated_at, "
                   "arrived_at) values ('h', 'h', 'T3S', ?, ?, ?)", [now, now, now])  # fmt: skip
        for n, born in enumerate(dates):
            db.execute(
                "insert into people (id, code, household_id, position, sex, date_of_birth, "
                "created_at, updated_at) values (?, ?, 'h', ?, ?, ?, ?, ?)",
                [f"p{n}", f"p{n}", n, ("female", "male", None)[n % 3], born or None, now, now],
            )
    tallied = stats.station_stats(db)["by_age_group"]
    assert tallied == stats.station_stats(db, EVERYTHING)["by_age_group"]
    assert sum(sum(row.values()) for row in tallied.values()) == len(dates)
    assert sum(tallied["unknown"].values()) >= 4


def test_a_station_counts_its_own_registrations_only(tmp_path):
    """HQ's first day: after a sync, station K7M's dashboard said 14 people registered (8 of
    its own and P4R's 6, which it holds for search and duplicate warnings), its arrivals per
    hour said 8, and HQ's stations table said K7M has 8."""
    from tests.synckit import first_day

    day = first_day(tmp_path)
    own = stats.hq_stats(day["hq"])["stations"]
    k7m = next(row for row in own if row["station"] == "K7M")
    figures = stats.station_stats(day["K7M"].db)
    assert sum(hour["people"] for hour in figures["arrivals_per_hour"]) == k7m["people"] == 8
    assert figures["people"] == k7m["people"]
    # Every figure, not only the total: the station's own API equals HQ's count of the people
    # and households registered at that station (HQ holds every station's records whole).
    for code in ("K7M", "P4R"):
        answer = day[code].api("coordinator", "GET", "/stats")
        counted = stats.station_stats(day["hq"], stats.Period(station=code))
        for key in set(counted) - {"station", "station_name", "generated_at"}:
            assert answer[key] == counted[key], (code, key)
    assert figures["triage"]["total"] == 1 and figures["convoys"]["people"]["boarded"] == 3
    assert (
        figures["person_vulnerabilities"]
        == figures["household_vulnerabilities"]
        == {"unaccompanied_child": 1}
    )
    assert stats.station_stats(day["P4R"].db)["vulnerabilities"] == {}


def test_upgrade_keys_the_tallies_of_a_database_with_rows_by_station(tmp_path):
    """Issue 15 (HQ's first day): a station upgraded with its own and other stations' people
    in it counts only its own, with tallies equal to a recount, and HQ's sum stays whole."""
    path = tmp_path / "old.db"
    from fieldreg import keyring

    db = connect(path, keyring.key_for(path, create=True))
    migrations.apply(db, stop_before="m340_tallies_by_station")
    with write(db):
        db.execute("insert into settings values ('station_code', 'T3S')")
        mine = register(db, vulnerabilities=["older_person_alone"],
                        arrival={"at": "2026-11-20T08:10:00", "transport": "bus"})  # fmt: skip
        theirs = register(db, members=[{"given_name": "Lina", "age_years": 9,
                                        "vulnerabilities": ["separated_child"]}])  # fmt: skip
        db.execute("update households set station = 'P4R' where id = ?", [theirs["id"]])
    medical.record_triage(db, mine["members"][0]["code"], {"category": "delayed"}, "m")
    medical.record_triage(db, theirs["members"][0]["code"], {"category": "immediate"}, "m")
    movements.move_person(db, mine["members"][1]["code"], {"kind": "departed"}, "t")
    migrations.apply(db)
    assert tallies.recount(db) == [], "the migration filled the keyed tallies as a recount"
    own = stats.station_stats(db)
    assert (own["people"], own["households"], own["departed"]) == (3, 1, 1)
    assert own["triage"]["by_category"]["immediate"] == 0 and own["triage"]["total"] == 1
    assert own["household_vulnerabilities"] == {"older_person_alone": 1}
    assert own["person_vulnerabilities"] == {}
    assert own["vulnerabilities"] == {"older_person_alone": 1}, "flags, as the key always said"
    assert own == {**stats.station_stats(db, EVERYTHING), "since": None,
                   "generated_at": own["generated_at"]}  # fmt: skip
    every = stats.hq_stats(db)
    assert (every["people"], every["triage"]["total"]) == (4, 2)
    assert every["person_vulnerabilities"] == {"separated_child": 1}
    movements.move_household(db, theirs["code"], {"kind": "departed"}, "t")
    with write(db):  # a household handed to this station: its members' shares follow it
        db.execute("update households set station = 'T3S' where id = ?", [theirs["id"]])
    assert stats.station_stats(db)["triage"]["total"] == 2
    assert tallies.recount(db) == []
    db.close()
