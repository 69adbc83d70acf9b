"""HQ's unique count with its bounds (issue 15): the truth lies within, review narrows them."""

from __future__ import annotations

import re

import pytest

from bench.gen_population import generate
from fieldreg import create_app, dedup, dedup_counts, stats, subject, tallies
from fieldreg.db import connect, prepare, write
from tests.conftest import AuthActions
from tests.test_dashboard import pdf_text

NOW = "2026-11-25T10:00:00+00:00"


def populate(db, n: int, seed: int) -> dict[str, str]:
    """Insert a generated population at HQ; return each person's true identity."""
    truth = {}
    with write(db):
        for i, p in enumerate(generate(n, seed=seed)):
            hid = "G-" + p["household_id"]
            db.table("households").insert(
                {"id": hid, "code": hid, "station": "S" + str(i % 3), "created_at": NOW,
                 "updated_at": NOW, "arrived_at": NOW, "phone": p["phone"] or None,
                 "origin_district": p["origin"] or None}, ignore=True)  # fmt: skip
            db.table("people").insert(
                {"id": "G-" + p["id"], "code": f"G{i}", "household_id": hid, "position": i,
                 **{k: p[k] or None for k in ("given_name", "father_name", "mother_name",
                                              "family_name", "sex", "date_of_birth")},
                 "age_years": int(p["age_years"]) if p["age_years"] else None,
                 "created_at": NOW, "updated_at": NOW})  # fmt: skip
            truth["G-" + p["id"]] = p["true_id"]
    return truth


@pytest.fixture
def hq(tmp_path):
    """An HQ data folder holding a generated population with known truth, deduplicated."""
    prepare(tmp_path / "hq")
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    db = connect(app.config["DATABASE"])
    truth = populate(db, 2500, seed=11)
    dedup.full_run(db)
    yield app, db, truth
    db.close()


def figures(db) -> dict:
    return stats.hq_stats(db)


def test_true_count_lies_within_the_bounds(hq):
    _, db, truth = hq
    found = figures(db)
    true_count = len(set(truth.values()))
    assert found["undecided_pairs"] > 0, "a population with undecided pairs"
    low, high = found["unique_people_low"], found["unique_people_high"]
    assert low < found["unique_people"] <= high
    assert low <= true_count <= high, (low, true_count, high)
    assert found["undecided_pairs"] == found["review_queue"]["open"]


def test_deciding_pairs_narrows_the_bounds_until_they_close(hq):
    _, db, truth = hq
    start = figures(db)
    widths = [start["unique_people_high"] - start["unique_people_low"]]
    for _round in range(5):
        queue = dedup.review_queue(db, limit=1000)
        if not queue:
            break
        for pair in queue:
            a, b = pair["a"]["id"], pair["b"]["id"]
            dedup.decide(db, a, b, "confirm" if truth[a] == truth[b] else "reject", "analyst")
            now = figures(db)
            assert now["unique_people_low"] <= now["unique_people"] <= now["unique_people_high"]
            widths.append(now["unique_people_high"] - now["unique_people_low"])
    assert widths[-1] == 0 and all(w >= 0 for w in widths)
    assert widths[len(widths) // 2] < widths[0], "each decision closes in on the count"
    end = figures(db)
    assert end["undecided_pairs"] == 0
    assert tallies.recount(db) == [], "the cluster tallies followed every decision"
    true_count = len(set(truth.values()))
    assert abs(end["unique_people"] - true_count) < abs(start["unique_people"] - true_count)


def test_a_deletion_counts_the_summary_again(hq):
    _, db, _ = hq
    before = figures(db)["unique_people"]
    alone = next(db.query(
        "select person_id from dedup_clusters where cluster_id in (select cluster_id from "
        "dedup_clusters group by 1 having count(*) = 1) limit 1"))["person_id"]  # fmt: skip
    code = next(db.query("select code from people where id = ?", [alone]))["code"]
    subject.erase_person(db, code, "admin")
    assert figures(db)["unique_people"] == before - 1


OVERLAP = (
    "with s as (select c.cluster_id, h.station from dedup_clusters c join people p on "
    "p.id = c.person_id join households h on h.id = p.household_id where p.deleted = 0), "
    "multi as (select cluster_id from s group by 1 having count(distinct station) > 1) "
    "select station, count(*) from s where cluster_id in multi group by 1"
)


def test_running_counts_equal_a_count_from_the_clusters(hq):
    """Clusters, household clusters and each station's overlap follow erasures and moves."""
    _, db, _ = hq
    shared = next(db.query(
        "select c.cluster_id from dedup_clusters c join people p on p.id = c.person_id "
        "join households h on h.id = p.household_id group by 1 "
        "having count(distinct h.station) = 2 and count(*) = 2 limit 1"))["cluster_id"]  # fmt: skip
    member = next(
        db.query(
            "select p.code, p.household_id from dedup_clusters c join people p "
            "on p.id = c.person_id where c.cluster_id = ? limit 1",
            [shared],
        )
    )
    with write(db):
        db.execute("update households set station = 'S9' where id = ?", [member["household_id"]])
    subject.erase_person(db, member["code"], "admin")
    found = figures(db)
    people, households = db.execute(
        "select count(distinct c.cluster_id), count(distinct coalesce(c.household_cluster_id, "
        "p.household_id)) from dedup_clusters c join people p on p.id = c.person_id "
        "where p.deleted = 0").fetchone()  # fmt: skip
    assert (found["unique_people"], found["unique_households"]) == (people, households)
    assert found["unique"]["overlap"] == dict(db.execute(OVERLAP).fetchall())
    assert tallies.recount(db) == []


def test_bounds_on_the_dashboard_api_and_report(hq):
    app, db, _ = hq
    client = app.test_client()
    actions = AuthActions(client, db)
    body = client.get("/api/v1/stats", headers=actions.token("analyst")).get_json()
    summary = dedup_counts.summary(db)
    assert (body["unique_people"], body["unique_people_low"], body["unique_people_high"],
            body["undecided_pairs"]) == (summary["people"], summary["people_low"],
                                         summary["people_high"], summary["undecided"])  # fmt: skip
    sentence = (
        f"{body['unique_people']:,} unique people (between {body['unique_people_low']:,} and "
        f"{body['unique_people_high']:,} until {body['undecided_pairs']:,} pairs are reviewed)"
    )
    actions.login("analyst")
    assert sentence in client.get("/dashboard").get_data(as_text=True)
    assert sentence in client.get("/report").get_data(as_text=True)
    drawn = pdf_text(client.get("/report.pdf").data).replace("\\(", "(").replace("\\)", ")")
    assert sentence in drawn
    prefs = {"lang": "ar", "digits": "arabic", "csrf_token": actions.csrf()}
    client.post("/preferences", data=prefs)
    arabic = client.get("/dashboard").get_data(as_text=True)
    shown = re.search(r'<p class="unique-count"[^>]*>(.*?)</p>', arabic, re.S).group(1)
    assert "دون تكرار" in shown and "٬" in shown and not re.search(r"[0-9]", shown)
