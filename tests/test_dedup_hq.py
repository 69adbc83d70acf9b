"""Deduplication at HQ (issue 7): two stations sync, a full run links, review, undo, sync back."""

from __future__ import annotations

import csv
import re

import httpx
import pytest
from click.testing import CliRunner

from bench.gen_population import generate
from fieldreg import create_app, dedup, records, stats, syncing
from fieldreg.cli import cli
from fieldreg.db import connect, write
from tests.conftest import AuthActions, household_body
from tests.synckit import make_site

LATIN = [
    {"given_name": "Mohamad", "father_name": "Ahmad", "mother_name": "Fatima",
     "family_name": "Halabi", "sex": "male", "age_years": 42, "relationship": "head"},
    {"given_name": "Zaynab", "family_name": "al-Halabi", "sex": "female", "age_years": 37,
     "relationship": "spouse"},
    {"given_name": "Omar", "family_name": "Halabi", "sex": "male",
     "date_of_birth": "2016-04-05", "relationship": "child"},
]  # fmt: skip
ARABIC = re.compile("[\u0600-\u06ff]")


def background(db, n: int = 300) -> None:
    """Insert generated people at HQ, so that the model has a population to learn from."""
    now = "2026-11-25T10:00:00+00:00"
    with write(db):
        for i, p in enumerate(generate(n, seed=5)):
            hid = "BG-" + p["household_id"]
            db.table("households").insert(
                {"id": hid, "code": hid, "station": "BGX", "created_at": now,
                 "updated_at": now, "phone": p["phone"] or None,
                 "origin_district": p["origin"] or None}, ignore=True)  # fmt: skip
            db.table("people").insert(
                {"id": "BG-" + p["id"], "code": f"BG{i}", "household_id": hid, "position": i,
                 **{k: p[k] or None for k in ("given_name", "father_name", "mother_name",
                                              "family_name", "sex", "date_of_birth")},
                 "age_years": int(p["age_years"]) if p["age_years"] else None,
                 "created_at": now, "updated_at": now})  # fmt: skip


@pytest.fixture
def sites(tmp_path):
    """HQ (with a background population) and two stations that registered the same family."""
    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq = connect(app.config["DATABASE"])
    background(hq)
    stations = []
    for code, members in (("T3S", household_body()["members"]), ("T4S", LATIN)):
        db = make_site(tmp_path / code, code)
        syncing.join(db, syncing.add_station(hq, code, code, "http://hq"))
        records.create_household(db, household_body(members=members), "reg")
        syncing.run_sync(db, transport=httpx.WSGITransport(app=app))
        stations.append(db)
    yield app, hq, stations
    for db in (hq, *stations):
        db.close()


def person_id(db, given: str) -> str:
    sql = "select id from people where given_name = ? and id not like 'BG-%'"
    return next(db.query(sql, [given]))["id"]


def test_full_run_links_across_scripts_and_stats_show_unique(sites):
    app, hq, _ = sites
    summary = dedup.full_run(hq)
    assert summary["unique_people"] < summary["records"] == 306
    clusters = dedup.person_clusters(hq)
    assert clusters[person_id(hq, "محمد")] == clusters[person_id(hq, "Mohamad")]
    assert clusters[person_id(hq, "Zainab")] == clusters[person_id(hq, "Zaynab")]
    figures = stats.hq_stats(hq)
    assert figures["unique_people"] < figures["raw"]["people"]
    assert figures["unique_households"] < figures["raw"]["households"]
    assert figures["unique"]["overlap"] == {"T3S": 3, "T4S": 3}
    assert figures["review_queue"]["open"] >= 0


def test_undo_and_reject_stay_apart_in_next_run(sites):
    _, hq, _ = sites
    dedup.full_run(hq)
    a, b = person_id(hq, "محمد"), person_id(hq, "Mohamad")
    dedup.decide(hq, a, b, "reject", "analyst")
    assert dedup.person_clusters(hq)[a] != dedup.person_clusters(hq)[b]
    dedup.full_run(hq)
    assert dedup.person_clusters(hq)[a] != dedup.person_clusters(hq)[b], "rejected stays apart"
    assert all({p["a"]["id"], p["b"]["id"]} != {a, b} for p in dedup.review_queue(hq, 1000))
    dedup.decide(hq, a, b, "undo", "analyst")
    assert dedup.person_clusters(hq)[a] == dedup.person_clusters(hq)[b], "undo restores the link"
    actions = [
        r["action"] for r in hq.query("select action from audit where action like 'dedup:%'")
    ]
    assert actions == ["dedup:reject", "dedup:undo"]


def test_confirm_links_and_can_be_undone(sites):
    _, hq, _ = sites
    dedup.full_run(hq)
    a, b = person_id(hq, "Omar"), person_id(hq, "Zaynab")
    dedup.decide(hq, a, b, "confirm", "analyst")
    assert dedup.person_clusters(hq)[a] == dedup.person_clusters(hq)[b]
    assert dedup.explain(hq, a, b)["verdict"] == "confirm"
    dedup.decide(hq, a, b, "undo", "analyst")
    assert dedup.person_clusters(hq)[a] != dedup.person_clusters(hq)[b]


def test_decisions_sync_back_to_stations(sites):
    app, hq, (t3s, _) = sites
    dedup.full_run(hq)
    a, b = person_id(hq, "محمد"), person_id(hq, "Mohamad")
    made = dedup.decide(hq, a, b, "reject", "analyst")
    syncing.run_sync(t3s, transport=httpx.WSGITransport(app=app))
    rows = list(t3s.query("select * from dedup_decisions"))
    assert [(r["id"], r["verdict"]) for r in rows] == [(made["id"], "reject")]


def test_new_people_are_deduplicated_after_each_sync(sites, tmp_path):
    app, hq, (t3s, _) = sites
    dedup.full_run(hq)
    records.create_household(t3s, household_body(members=LATIN[:1]), "reg")
    syncing.run_sync(t3s, transport=httpx.WSGITransport(app=app))
    ids = [
        r["id"]
        for r in hq.query(
            "select id from people where given_name = 'Mohamad' and id not like 'BG-%'"
        )
    ]
    clusters = dedup.person_clusters(hq)
    assert len(ids) == 2 and clusters[ids[0]] == clusters[ids[1]]


@pytest.mark.parametrize(("role", "status"), [("analyst", 200), ("registrar", 403)])
def test_review_page_and_api_per_role(sites, role, status):
    app, hq, _ = sites
    dedup.full_run(hq)
    client = app.test_client()
    actions = AuthActions(client, hq)
    headers = actions.token(role)
    assert client.get("/api/v1/dedup/review", headers=headers).status_code == status
    a, b = person_id(hq, "محمد"), person_id(hq, "Mohamad")
    answer = client.post("/api/v1/dedup/decisions", headers=headers,
                         json={"a": a, "b": b, "verdict": "reject"})  # fmt: skip
    assert answer.status_code == (201 if status == 200 else 403)
    actions.login(role)
    page = client.get(f"/dedup/pair?a={a}&b={b}")
    assert page.status_code == status
    if status == 200:
        html = page.get_data(as_text=True)
        assert "Mohamad" in html and "محمد" in html and "Undo" in html
        assert client.get("/dedup/").status_code == 200
        assert client.get(f"/dedup/person/{a}").status_code == 200
        done = client.post("/dedup/decide", data={"a": a, "b": b, "verdict": "undo",
                                                  "csrf_token": actions.csrf()})  # fmt: skip
        assert done.status_code == 302
        linked = client.post("/dedup/decide", data={"a": a, "b": b, "verdict": "confirm",
                                                    "csrf_token": actions.csrf()},
                             follow_redirects=True).get_data(as_text=True)  # fmt: skip
        assert "Decision recorded." in linked and 'value="undo"' in linked
        assert dedup.explain(hq, a, b)["verdict"] == "confirm"
        client.post("/dedup/decide", data={"a": a, "b": b, "verdict": "undo",
                                           "csrf_token": actions.csrf()})  # fmt: skip
        assert dedup.explain(hq, a, b)["verdict"] is None
        body = client.get("/api/v1/stats", headers=headers).get_json()
        assert body["unique_people"] < body["people"]
    bad = client.post("/api/v1/dedup/decisions", headers=headers,
                      json={"a": a, "b": b, "verdict": "maybe"})  # fmt: skip
    assert bad.status_code in (403, 422)


def test_export_csv_has_cluster_id(sites, tmp_path):
    app, hq, _ = sites
    dedup.full_run(hq)
    out = tmp_path / "people.csv"
    result = CliRunner().invoke(cli, ["--data", app.config["DATA"], "export", "--format", "csv",
                                      str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {r["given_name"]: r["cluster_id"] for r in rows if r["station"] != "BGX"}
    assert by_name["محمد"] == by_name["Mohamad"]


def test_dedup_cli_and_dedup_csv(sites, tmp_path):
    app, _, _ = sites
    result = CliRunner().invoke(cli, ["--data", app.config["DATA"], "dedup"])
    assert result.exit_code == 0, result.output
    assert "unique people" in result.output
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    lines = ["id,given_name,family_name,sex,date_of_birth"]
    lines += [f"{p['id']},{p['given_name']},{p['family_name']},{p['sex']},{p['date_of_birth']}"
              for p in generate(200, seed=3)]  # fmt: skip
    lines += ["x1,محمد,الحلبي,ذكر,1990-05-01", "x2,Mohamad,Halabi,m,not-a-date", ""]
    src.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(cli, ["dedup-csv", str(src), str(out)])
    assert result.exit_code == 0, result.output
    assert "not-a-date" in result.stderr or "date" in result.stderr
    with open(out, encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert written[0].keys() == {"id", "cluster_id"} and len(written) >= 202


def test_station_person_page_shows_hq_links(sites):
    app, hq, (t3s, _) = sites
    dedup.full_run(hq)
    a, b = person_id(hq, "محمد"), person_id(hq, "Mohamad")
    dedup.decide(hq, a, b, "confirm", "analyst")
    syncing.run_sync(t3s, transport=httpx.WSGITransport(app=app))
    assert dedup.linked_count(t3s, a) == 1
    assert dedup.linked_count(hq, a) == 1
    client = app.test_client()
    AuthActions(client, hq).login("analyst")
    code = next(hq.query("select code from people where id = ?", [a]))["code"]
    page = client.get(f"/people/{code}").get_data(as_text=True)
    assert "HQ linked this person with 1 other registrations." in page


def test_pair_page_is_all_in_the_page_language(sites):
    """Issue 15: the pair page named address, postcode and locality by the engine's keys and
    showed sex as stored ('male'), on an Arabic page and an English one alike."""
    app, hq, _ = sites
    dedup.full_run(hq)
    client = app.test_client()
    AuthActions(client, hq).login("analyst")
    a, b = person_id(hq, "محمد"), person_id(hq, "Mohamad")
    client.set_cookie("lang", "ar")
    html = client.get(f"/dedup/pair?a={a}&b={b}").get_data(as_text=True)
    why = re.findall(r'<tr class="(?:agree|disagree)"><th>([^<]*)</th><td>([^<]*)</td>', html)
    assert len(why) >= 9
    for name, level in why:
        assert ARABIC.search(name) and ARABIC.search(level), (name, level)
    assert "ذكر" in html and ">male<" not in html
    assert "شخصين" in client.get("/dedup/pair").get_data(as_text=True)
    client.set_cookie("lang", "en")
    html = client.get(f"/dedup/pair?a={a}&b={b}").get_data(as_text=True)
    assert "<bdi>Male</bdi>" in html and "<th>Postcode</th>" in html


def test_dedup_figures_in_the_chosen_digits(sites):
    """HQ's first day: with Arabic-Indic digits chosen, the review queue, a cluster's page
    and a pair's probability still wrote their figures in Western digits."""
    app, hq, _ = sites
    dedup.full_run(hq)
    client = app.test_client()
    AuthActions(client, hq).login("analyst")
    client.set_cookie("lang", "ar")
    client.set_cookie("digits", "arabic")
    a, b = person_id(hq, "محمد"), person_id(hq, "Mohamad")
    pages = ["/dedup/", f"/dedup/person/{a}", f"/dedup/pair?a={a}&b={b}"]
    for path in pages:
        html = client.get(path).get_data(as_text=True).split("<main")[1]
        text = re.sub(r"<[^>]+>", " ", html).replace("0933 123 456", "")  # a phone, as typed
        figures = re.findall(r"(?<![\w-])[0-9]+(?:[.][0-9]+)?%?(?![\w-])", text)
        assert not figures, (path, figures)


def test_a_person_is_not_compared_with_itself(sites):
    """HQ's first day: /dedup/pair?a=X&b=X showed a person beside itself, "Not linked", with
    buttons to link or keep apart that the decision then refused."""
    app, hq, _ = sites
    dedup.full_run(hq)
    client = app.test_client()
    AuthActions(client, hq).login("analyst")
    a = person_id(hq, "محمد")
    answer = client.get(f"/dedup/pair?a={a}&b={a}")
    assert answer.status_code == 400 and "Two people are needed" in answer.get_data(as_text=True)
