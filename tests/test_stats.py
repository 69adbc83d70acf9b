"""Station and HQ figures: counts, SADD, movements, periods, providers (issue 8)."""

from __future__ import annotations

import time

from fieldreg import create_app, stats, syncing
from tests.conftest import household_body


def register(client, api, **overrides) -> dict:
    answer = client.post("/api/v1/households", json=household_body(**overrides), headers=api)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_counts_sadd_transport_destinations(client, api, db):
    register(client, api, arrival={"at": "2026-11-20T08:10:00", "transport": "bus"})
    register(
        client, api,
        arrival={"at": "2026-11-20T09:40:00", "transport": "ambulance"},
        destination={"kind": "hospital"},
        members=[{"given_name": "Lina", "sex": "female", "age_years": 9,
                  "vulnerabilities": ["unaccompanied_child"]}],
    )  # fmt: skip
    figures = stats.station_stats(db)
    assert (figures["households"], figures["people"], figures["present"]) == (2, 4, 4)
    assert figures["by_sex"] == {"female": 2, "male": 2}
    groups = figures["by_age_group"]
    assert list(groups) == ["0-4", "5-11", "12-17", "18-59", "60+"]
    assert groups["5-11"] == {"female": 1, "male": 1}  # Omar (2016) and Lina
    assert groups["18-59"] == {"female": 1, "male": 1} and groups["60+"] == {}
    assert figures["by_transport"] == {"bus": 1, "ambulance": 1}, "households"
    assert figures["by_destination"] == {"camp": 1, "hospital": 1}
    assert figures["vulnerabilities"] == {"unaccompanied_child": 1}
    assert figures["arrivals_per_hour"] == [
        {"hour": "2026-11-20T08", "people": 3},
        {"hour": "2026-11-20T09", "people": 1},
    ]
    assert figures["triage"]["total"] == 0 and figures["triage"]["waiting"] == 0


def test_arrivals_per_hour_shows_the_last_day_with_empty_hours(client, api, db):
    register(client, api, arrival={"at": "2026-11-18T08:00:00"})
    register(client, api, arrival={"at": "2026-11-20T09:00:00"})
    register(client, api, arrival={"at": "2026-11-20T06:30:00"})
    hours = stats.station_stats(db)["arrivals_per_hour"]
    assert len(hours) == stats.HOURS_SHOWN and hours[-1] == {"hour": "2026-11-20T09", "people": 3}
    assert hours[-4] == {"hour": "2026-11-20T06", "people": 3} and hours[-2]["people"] == 0


def test_departed_and_where_to(client, api, db):
    gone = register(client, api, destination={"kind": "host_family"})
    register(client, api)
    client.post(f"/api/v1/households/{gone['code']}/movements", headers=api,
                json={"kind": "departed", "destination": {"kind": "host_family"}})  # fmt: skip
    figures = stats.station_stats(db)
    assert (figures["present"], figures["departed"]) == (3, 3)
    assert figures["departed_by_destination"] == {"host_family": 3}


def test_departed_by_destination_counts_where_people_actually_went(client, api, db):
    """Issue 14: the figure counted the destination given at registration."""
    hh = register(client, api, destination={"kind": "camp"})
    head, spouse, child = (m["code"] for m in hh["members"])
    client.post(f"/api/v1/people/{head}/movements", json={"kind": "transferred"}, headers=api)
    client.post(f"/api/v1/people/{spouse}/movements", headers=api,
                json={"kind": "departed", "destination": {"kind": "host_family"}})  # fmt: skip
    db.execute("update people set status = 'departed' where code = ?", [child])  # no movement
    figures = stats.station_stats(db)
    assert figures["departed_by_destination"] == {"hospital": 1, "host_family": 1, "unknown": 1}
    assert (
        stats.station_stats(db, stats.Period("2000-01-01", "2000-01-02"))["departed_by_destination"]
        == {}
    )


def test_period_limits_to_arrivals_in_it(client, api, db):
    register(client, api, arrival={"at": "2026-11-19T23:00:00"})
    register(client, api, arrival={"at": "2026-11-20T10:00:00"})
    day = stats.station_stats(db, stats.Period("2026-11-20", "2026-11-21"))
    assert (day["households"], day["people"]) == (1, 3)
    assert sum(row["people"] for row in day["arrivals_per_hour"]) == 3


def test_triage_figures_come_from_the_medical_tent(client, api, db):
    hh = register(client, api)
    for member, category in zip(hh["members"][:2], ["immediate", "dead"], strict=True):
        client.post(f"/api/v1/people/{member['code']}/triage", json={"category": category},
                    headers=api)  # fmt: skip
    triage = stats.station_stats(db)["triage"]
    assert triage["by_category"]["immediate"] == 1 and triage["by_category"]["dead"] == 1
    assert triage["total"] == 2 and triage["waiting"] == 1


def test_api_stats_carries_the_figures(client, api, auth_actions):
    register(client, api)
    answer = client.get("/api/v1/stats", headers=auth_actions.token("registrar"))
    assert answer.status_code == 200
    body = answer.json
    assert body["people"] == 3 and body["present"] == 3 and body["departed"] == 0
    assert body["by_age_group"]["18-59"] == {"female": 1, "male": 1}
    assert body["station"] == "T3S"
    assert client.get("/api/v1/stats").status_code == 401


def test_hq_figures_raw_per_station_and_no_fake_unique(client, api, db):
    register(client, api)
    register(client, api)
    db.execute("update households set station = 'K7P' where rowid = 1")
    figures = stats.hq_stats(db)
    assert figures["raw"] == {"people": 6, "households": 2}
    assert figures["unique"] is None and figures["review_queue"] is None
    assert [(s["station"], s["people"]) for s in figures["stations"]] == [("K7P", 3), ("T3S", 3)]
    # What dedup and sync store, read through the production wiring (issue 16: "last sync").
    first, second = (r["id"] for r in db.query("select id from people order by rowid limit 2"))
    db["dedup_clusters"].insert_all(
        [
            {"person_id": r["id"], "cluster_id": first if r["id"] == second else r["id"]}
            for r in db.query("select id from people")
        ]  # fmt: skip
    )
    for code, at in (("K7P", "2026-11-20T10:00:00"), ("Q2R", None)):
        syncing.add_station(db, code, code, "http://hq")
        db.execute("update sync_stations set last_sync_at = ? where code = ?", [at, code])
    figures = stats.hq_stats(db)
    assert figures["unique"]["people"] == 5
    by_code = {s["station"]: s for s in figures["stations"]}
    assert by_code["K7P"]["last_sync"] == "2026-11-20T10:00:00"
    assert by_code["Q2R"]["people"] == 0, "a station that synced nothing is still listed"


def test_busy_station_reuses_figures_for_a_moment(data_dir, api):
    """Figures computed less than STATS_MAX_AGE_SECONDS ago are answered again, then renewed."""
    app = create_app({"DATA": str(data_dir), "TESTING": True, "STATS_MAX_AGE_SECONDS": 0.5})
    client, headers = app.test_client(), api
    first = client.get("/api/v1/stats", headers=headers).json
    register(client, headers)
    again = client.get("/api/v1/stats", headers=headers).json
    assert again == first  # within the half second: the same figures, same generated_at
    time.sleep(0.6)
    assert client.get("/api/v1/stats", headers=headers).json["people"] == first["people"] + 3
