"""Triage: one-tap categories, history, the queue, who sees what, stats."""

import datetime as dt
import json

import pytest

from fieldreg import medical
from tests.conftest import household_body


@pytest.fixture
def hh(client, api):
    return client.post("/api/v1/households", json=household_body(), headers=api).json


def triage(client, api, code, **body):
    return client.post(f"/api/v1/people/{code}/triage", json=body, headers=api)


def test_triage_and_retriage_keep_the_history(client, api, hh, db):
    code = hh["members"][0]["code"]
    first = triage(
        client,
        api,
        code,
        category="delayed",
        conditions=["fracture", "diabetes"],
        mobility="needs_help",
        note="Left leg",
    )
    assert first.status_code == 201 and first.json["colour"] == "yellow"
    second = triage(
        client,
        api,
        code,
        category="immediate",
        conditions=["fracture", "crush"],
        mobility="stretcher",
        referral={"hospital": "Bab al-Hawa", "transport": "ambulance"},
    )
    assert second.json["referral"]["status"] == "waiting"
    got = client.get(f"/api/v1/people/{code}/triage", headers=api).json
    assert got["current"]["category"] == "immediate" and got["current"]["colour"] == "red"
    assert [e["category"] for e in got["history"]] == ["immediate", "delayed"]
    assert got["history"][1]["note"] == "Left leg" and got["history"][0]["actor"] == "token:t-admin"
    changes = list(db.query("select * from changes where tbl = 'triage' order by seq"))
    assert [c["op"] for c in changes] == ["append", "append"]
    assert json.loads(changes[0]["data"])["category"] == "delayed"
    assert json.loads(changes[0]["data"])["id"] == changes[0]["record_id"]


def test_other_condition_needs_its_text(client, api, hh):
    code = hh["members"][1]["code"]
    bad = triage(client, api, code, category="minor", conditions=["other"])
    assert bad.status_code == 422 and "condition_other" in bad.json["fields"]
    good = triage(client, api, code, category="minor", condition_other="Snake bite")
    assert good.status_code == 201 and good.json["conditions"] == ["other"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"category": "purple"}, "category"),
        ({}, "category"),
        ({"category": "minor", "conditions": ["flu"]}, "conditions"),
        ({"category": "minor", "mobility": "flies"}, "mobility"),
        ({"category": "minor", "referral": {"status": "lost"}}, "referral"),
    ],
)
def test_bad_triage_is_refused_and_nothing_changes(client, api, hh, db, body, field):
    response = triage(client, api, hh["members"][0]["code"], **body)
    assert response.status_code == 422 and field in response.json["fields"]
    assert next(db.query("select count(*) n from triage"))["n"] == 0


def test_triage_of_unknown_or_mistyped_person(client, api, hh):
    from fieldreg import codes

    assert triage(client, api, codes.make_code("T3S", 7777), category="minor").status_code == 404
    assert triage(client, api, "T3S-22222A", category="minor").status_code == 400


def test_queue_most_urgent_first_then_longest_waiting(client, api, db):
    people = []
    for _ in range(2):
        hh = client.post("/api/v1/households", json=household_body(), headers=api).json
        people += [m["code"] for m in hh["members"]]
    order = [
        ("minor", 0),
        ("immediate", 1),
        ("delayed", 2),
        ("immediate", 3),
        ("expectant", 4),
        ("dead", 5),
    ]
    for category, i in order:
        triage(client, api, people[i], category=category)
    # Make people[3] the one waiting longer among the two immediates.
    db.execute(
        "update triage set at = '2020-01-01T00:00:00+00:00' where person_id = "
        "(select id from people where code = ?)",
        [people[3]],
    )
    queue = client.get("/api/v1/medical/queue", headers=api).json
    got = [(p["person_code"], p["category"]) for p in queue["people"]]
    assert got == [
        (people[3], "immediate"),
        (people[1], "immediate"),
        (people[2], "delayed"),
        (people[0], "minor"),
        (people[4], "expectant"),
    ]
    assert queue["people"][0]["waiting_minutes"] > 60 * 24 * 365
    reds = client.get("/api/v1/medical/queue?category=immediate", headers=api).json
    assert reds["count"] == 2


def test_queue_drops_people_who_left_or_whose_referral_ended(client, api, hh):
    a, b, c = (m["code"] for m in hh["members"])
    triage(client, api, a, category="immediate")
    triage(client, api, b, category="delayed", referral={"hospital": "X", "status": "treated"})
    triage(client, api, c, category="minor")
    client.post(f"/api/v1/people/{c}/movements", json={"kind": "departed"}, headers=api)
    open_ = [
        p["person_code"] for p in client.get("/api/v1/medical/queue", headers=api).json["people"]
    ]
    assert open_ == [a]
    treated = client.get("/api/v1/medical/queue?status=treated", headers=api).json["people"]
    assert [p["person_code"] for p in treated] == [b]
    everyone = client.get("/api/v1/medical/queue?status=all", headers=api).json["people"]
    assert [p["person_code"] for p in everyone] == [a, b]
    assert client.get("/api/v1/medical/queue?status=bogus", headers=api).status_code == 422


def test_registrars_see_the_flag_colour_never_the_details(client, api, auth_actions, hh):
    code = hh["members"][0]["code"]
    triage(client, api, code, category="immediate", conditions=["gunshot"], note="SECRET-NOTE")
    registrar = auth_actions.token("registrar")
    assert (
        client.get(f"/api/v1/people/{code}", headers=registrar).json["medical_flag"] == "immediate"
    )
    members = client.get(f"/api/v1/households/{hh['code']}", headers=registrar).json["members"]
    assert [m["medical_flag"] for m in members] == ["immediate", None, None]
    hits = client.get("/api/v1/search", query_string={"q": code}, headers=registrar).json
    assert hits["results"][0]["medical_flag"] == "immediate"
    assert client.get(f"/api/v1/people/{code}/triage", headers=registrar).status_code == 403
    assert client.get("/api/v1/medical/queue", headers=registrar).status_code == 403
    assert triage(client, registrar, code, category="minor").status_code == 403
    coordinator = auth_actions.token("coordinator")
    assert client.get("/api/v1/medical/queue", headers=coordinator).status_code == 200
    assert triage(client, coordinator, code, category="delayed").status_code == 201
    analyst = auth_actions.token("analyst")
    assert client.get("/api/v1/medical/queue", headers=analyst).status_code == 403
    assert triage(client, analyst, code, category="minor").status_code == 403
    assert triage(client, auth_actions.token("medic"), code, category="minor").status_code == 201
    auth_actions.login("registrar")
    for path in [f"/people/{code}", f"/households/{hh['code']}", f"/search?q={code}"]:
        page = client.get(path).get_data(as_text=True)
        assert 'data-flag="minor"' in page and "cat-minor" in page
        assert "SECRET-NOTE" not in page and "Gunshot" not in page


def test_stats_count_triage_by_current_category(client, api, hh):
    a, b, c = (m["code"] for m in hh["members"])
    triage(client, api, a, category="delayed")
    triage(client, api, a, category="immediate")
    triage(client, api, b, category="dead")
    triage(client, api, c, category="minor", referral={"hospital": "H", "status": "transferred"})
    stats = client.get("/api/v1/stats", headers=api).json["triage"]
    assert stats["by_category"] == {
        "immediate": 1,
        "delayed": 0,
        "minor": 1,
        "expectant": 0,
        "dead": 1,
    }
    assert stats["flagged"] == 3 and stats["waiting"] == 1


def test_queue_page_for_a_medic_on_a_phone(client, api, auth_actions, hh):
    code = hh["members"][0]["code"]
    triage(client, api, code, category="immediate", conditions=["burn"])
    auth_actions.login("medic")
    page = client.get("/medical").get_data(as_text=True)
    assert "cat-immediate" in page and code in page and "Burn" in page
    assert "data-queue" in page and "medical.js" in page and "<script>" not in page
    assert 'style="' not in page and "http://" not in page and "https://" not in page
    assert f"/people/{code}?from=queue" in page
    age = hh["members"][0]["age_years"]  # issue 14: the age stood alone, a bare figure
    assert f'<span class="muted">{age} years</span>' in page
    fragment = client.get("/medical/queue.part?status=all")
    assert fragment.status_code == 200 and code in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert client.get("/medical?category=purple").status_code == 400
    auth_actions.login("registrar", "reg2")
    assert client.get("/medical").status_code == 403
    assert client.get("/medical/queue.part").status_code == 403


def test_triage_panel_one_tap_saves_and_returns_to_the_queue(client, auth_actions, hh, db):
    code = hh["members"][2]["code"]
    auth_actions.login("medic")
    page = client.get(f"/people/{code}?from=queue").get_data(as_text=True)
    assert 'name="category" value="immediate"' in page and 'name="next" value="queue"' in page
    tapped = client.post(
        f"/people/{code}/triage",
        data={
            "csrf_token": auth_actions.csrf(),
            "category": "delayed",
            "conditions": ["fracture"],
            "mobility": "needs_help",
            "referral_hospital": "Idlib Central",
            "referral_transport": "ambulance",
            "referral_status": "waiting",
            "next": "queue",
        },
    )
    assert tapped.status_code == 302 and tapped.headers["Location"].endswith("/medical")
    again = client.post(
        f"/people/{code}/triage", data={"csrf_token": auth_actions.csrf(), "category": "minor"}
    )
    assert again.status_code == 302 and "#triage" in again.headers["Location"]
    history = client.get(f"/people/{code}").get_data(as_text=True)
    assert "Idlib Central" in history and history.count('class="flag cat-') >= 3
    bad = client.post(
        f"/people/{code}/triage", data={"csrf_token": auth_actions.csrf(), "category": "blue"}
    )
    assert bad.status_code == 400
    assert next(db.query("select count(*) n from triage"))["n"] == 2


def test_waiting_time_reads_like_a_clock():
    from fieldreg.views.medical import waiting

    assert waiting(7) == "7 min" and waiting(125) == "2 h 05"


def test_queue_uses_the_first_flag_for_waiting(db, client, api, hh):
    code = hh["members"][0]["code"]
    triage(client, api, code, category="minor")
    triage(client, api, code, category="delayed")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    entry = medical.queue(db, now=later)[0]
    assert entry["category"] == "delayed" and 29 <= entry["waiting_minutes"] <= 31


def test_every_new_route_declares_its_permission_and_is_documented(app, client):
    mine = ("medical.", "scanning.", "medical_api.", "scan_api.")
    endpoints = [r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith(mine)]
    assert len(endpoints) >= 14
    for endpoint in endpoints:
        assert hasattr(app.view_functions[endpoint], "permission"), endpoint
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in [
        "/api/v1/people/{code}/triage",
        "/api/v1/medical/queue",
        "/api/v1/scan",
        "/api/v1/households/{code}/movements",
        "/api/v1/people/{code}/movements",
    ]:
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/scan"]["post"]["requestBody"]["content"]


def test_a_triage_dated_in_the_future_does_not_stay_current(client, api, hh, db):
    """Regression (issue 13): history ordered by the entry's ``at``; another station whose
    laptop clock ran ahead sent an entry dated 2099 that stayed "current" over every later
    re-triage. Entries order by the clock stamped where they were recorded (HLC)."""
    from fieldreg.db import write
    from sync import apply, changelog, hlc
    from sync.changelog import Change

    person = hh["members"][0]
    row = {"id": "01900000-0000-7000-8000-000000000001", "person_id": person["id"],
           "category": "immediate", "conditions": "[]", "actor": "doc-b",
           "at": "2099-01-01T00:00:00+00:00", "hlc": "9999999999999999.9999"}  # fmt: skip
    stamp = str(hlc.Timestamp(hlc.wall_millis() - 60_000))
    with write(db):
        apply.apply_changes(
            db, [Change("SB3", 1, stamp, "triage", row["id"], "append", row)], "T3S"
        )
    assert db.execute("select hlc from triage").fetchone()[0] == stamp  # never what data claims
    later = triage(client, api, person["code"], category="minor").json
    got = client.get(f"/api/v1/people/{person['code']}/triage", headers=api).json
    assert got["current"]["id"] == later["id"] and got["current"]["category"] == "minor"
    assert [e["category"] for e in got["history"]] == ["minor", "immediate"]
    assert medical.flags(db, [person["id"]]) == {person["id"]: "minor"}
    assert medical.counts(db)["by_category"]["minor"] == 1
    mine = [c.hlc for c in changelog.changes_since(db, "T3S", 0) if c.tbl == "triage"]
    assert mine == [db.execute("select hlc from triage where id = ?", [later["id"]]).fetchone()[0]]


def test_every_triage_colour_is_readable():
    """Issue 14 (a medic in daylight): "Expectant" was white on grey, 3.3:1; every flag and
    category button's text reaches WCAG AA's 4.5:1 on its colour."""
    import re
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "static/app.css").read_text()
    pairs = re.findall(r"\.cat-(\w+) \{ --cat: (#\w+); --cat-fg: (#\w+); \}", css)

    def luminance(colour: str) -> float:
        digits = colour.lstrip("#")
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    ratios = {}
    for name, back, fore in pairs:
        light, dark = sorted((luminance(back), luminance(fore)), reverse=True)
        ratios[name] = round((light + 0.05) / (dark + 0.05), 1)
    assert len(ratios) == 5 and all(r >= 4.5 for r in ratios.values()), ratios
