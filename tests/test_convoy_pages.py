"""Convoy pages (issue 18): creating convoys and vehicles from forms, what each role sees,
closing a vehicle, registering people who came on a vehicle, the pages in Arabic."""

from __future__ import annotations

import pytest

from fieldreg import boarding, convoys
from tests.conftest import household_body


def test_a_coordinator_creates_a_convoy_a_vehicle_and_an_unannounced_one(client, auth_actions, db):
    auth_actions.login("coordinator")
    csrf = auth_actions.csrf()
    made = client.post("/convoys/", data={"csrf_token": csrf, "reference": "C-3",
                                          "planned_departure": "2026-11-30T06:30"})  # fmt: skip
    convoy_id = made.headers["Location"].rsplit("/", 1)[1]
    assert convoys.get_convoy(db, convoy_id)["planned_departure"] == "2026-11-30T06:30:00+00:00"
    client.post(f"/convoys/{convoy_id}/vehicles", data={"csrf_token": csrf, "kind": "ambulance",
                "label": "Amb 2", "expected": "4"})  # fmt: skip
    client.post(f"/convoys/{convoy_id}/vehicles", data={"csrf_token": csrf, "kind": "pickup",
                "unannounced": "on"})  # fmt: skip
    vehicles = convoys.get_convoy(db, convoy_id)["vehicles"]
    assert [(v["kind"], v["announced"]) for v in vehicles] == [("ambulance", True),
                                                               ("pickup", False)]  # fmt: skip
    loose = client.post("/convoys/vehicles", data={"csrf_token": csrf, "kind": "truck"})
    assert (
        convoys.get_vehicle(db, loose.headers["Location"].rsplit("/", 1)[1])["announced"] is False
    )
    bad = client.post("/convoys/", data={"csrf_token": csrf, "reference": ""})
    assert bad.status_code == 400 and b"field-error" in bad.data
    page = client.get("/convoys/").get_data(as_text=True)
    assert "C-3" in page and "Vehicles without a convoy" in page


def test_each_role_sees_only_what_it_may_do(client, auth_actions, db):
    convoy = convoys.create_convoy(db, {"reference": "C-4"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    seen = {}
    for role in ("registrar", "analyst", "coordinator"):
        auth_actions.login(role)
        page = client.get(f"/convoys/{convoy['id']}").get_data(as_text=True)
        vehicle = client.get(f"/convoys/vehicles/{bus['id']}").get_data(as_text=True)
        seen[role] = ("/scan?kind=board" in page, "/reconciliation" in page,
                      "Add a vehicle" in page, "Close the count" in vehicle)  # fmt: skip
    assert seen == {"registrar": (True, False, False, False),
                    "analyst": (False, True, False, False),
                    "coordinator": (True, True, True, True)}  # fmt: skip


def test_closing_a_vehicle_stops_registrars_at_its_door(client, auth_actions, db):
    convoy = convoys.create_convoy(db, {"reference": "C-5"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    auth_actions.login("coordinator")
    client.post(f"/convoys/vehicles/{bus['id']}/close",
                data={"csrf_token": auth_actions.csrf(), "side": "arrivals"})  # fmt: skip
    assert convoys.get_vehicle(db, bus["id"])["arrival_closed_by"] == "coordinator"
    auth_actions.login("registrar")
    page = client.get(f"/convoys/vehicles/{bus['id']}/scan?kind=arrive").get_data(as_text=True)
    assert "only a coordinator can still scan" in page
    form = client.get(f"/register?vehicle={bus['id']}").get_data(as_text=True)
    csrf = auth_actions.csrf()
    body = {"csrf_token": csrf, "given_name": "Huda", "vehicle_id": bus["id"], "action": "save"}
    refused = client.post("/register", data=body)
    assert refused.status_code == 409 and "vehicle_id" in form
    client.set_cookie("lang", "ar")  # issue 14: the refusal was English on an Arabic page
    refused = client.post("/register", data={**body, "csrf_token": auth_actions.csrf()})
    assert "مغلق" in refused.get_data(as_text=True) and "closed" not in refused.get_data(
        as_text=True
    )
    client.set_cookie("lang", "en")
    auth_actions.login("coordinator")
    client.post(f"/convoys/vehicles/{bus['id']}/reopen",
                data={"csrf_token": auth_actions.csrf(), "side": "arrivals"})  # fmt: skip
    auth_actions.login("registrar")
    saved = client.post("/register", data={**body, "csrf_token": auth_actions.csrf()})
    assert saved.status_code == 302
    assert boarding.counts(db, convoys.get_vehicle(db, bus["id"]))["arrived"] == 1


def test_the_convoy_pages_speak_arabic(client, auth_actions, db):
    convoy = convoys.create_convoy(db, {"reference": "C-6"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    client.post("/api/v1/households", json=household_body(), headers=auth_actions.token())
    auth_actions.login("coordinator")
    client.set_cookie("lang", "ar")
    for url, words in ((f"/convoys/{convoy['id']}", "القافلة"),
                       (f"/convoys/vehicles/{bus['id']}/scan?kind=board", "الصعود"),
                       (f"/convoys/{convoy['id']}/reconciliation", "المطابقة"),
                       ("/convoys/transit", "في الطريق"), ("/lists/", "قوائم الجهات الأخرى"),
                       ("/convoys/verify", "التحقق من عدّ موقَّع")):  # fmt: skip
        page = client.get(url).get_data(as_text=True)
        assert words in page and 'dir="rtl"' in page, url
        assert "Reconciliation" not in page and "Boarding" not in page, url


def test_the_door_says_arrived_at_arrivals_in_the_page_language(client, auth_actions, db):
    """Issue 14 (a newcomer at the arrivals door): an arrival was announced "صعد" (boarded) to
    an Arabic tablet, and without JavaScript every scan was answered in English."""
    convoy = convoys.create_convoy(db, {"reference": "C-7"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    made = client.post("/api/v1/households", json=household_body(), headers=auth_actions.token())
    code = made.get_json()["code"]
    auth_actions.login("registrar")
    client.set_cookie("lang", "ar")
    door = f"/convoys/vehicles/{bus['id']}/scan?kind="
    assert 'data-t-ok="وصل: {names}"' in client.get(door + "arrive").get_data(as_text=True)
    assert 'data-t-ok="صعد: {names}"' in client.get(door + "board").get_data(as_text=True)
    said = {}
    for kind, typed in (("arrive", code), ("arrive", code), ("board", code[:-1] + "#")):
        posted = client.post(door + kind, data={"csrf_token": auth_actions.csrf(), "code": typed})
        page = posted.get_data(as_text=True)
        said.setdefault(kind, []).append(page.split("data-board-result")[1].split("</div>")[0])
    first, again = said["arrive"]
    assert "وصل:" in first and "recorded" not in first
    assert "ممسوح على هذه المركبة من قبل" in again and "Already" not in again
    assert "رمز غير صالح" in said["board"][0] and "valid" not in said["board"][0]


def test_a_convoy_of_one_vehicle_says_one_vehicle(client, auth_actions, db):
    """Issue 14 (a newcomer's first convoy): the list said "1 vehicles"."""
    convoy = convoys.create_convoy(db, {"reference": "C-8"}, "coord")
    convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "coord")
    auth_actions.login("coordinator")
    page = client.get("/convoys/").get_data(as_text=True)
    assert "· 1 vehicle" in page
    assert "1 vehicles" not in page


def test_a_planned_departure_is_typed_and_shown_in_local_time(client, auth_actions, db):
    auth_actions.login("coordinator")
    client.set_cookie("tz", "Asia/Damascus")  # header.js writes the browser's zone (UTC+3)
    form = client.get("/convoys/").get_data(as_text=True)
    assert "Planned departure (local time)" in form and "(UTC)" not in form
    made = client.post("/convoys/", data={"csrf_token": auth_actions.csrf(), "reference": "C-9",
                                          "planned_departure": "2026-12-01T10:00"})  # fmt: skip
    convoy_id = made.headers["Location"].rsplit("/", 1)[1]
    assert convoys.get_convoy(db, convoy_id)["planned_departure"] == "2026-12-01T07:00:00+00:00"
    assert "2026-12-01 10:00" in client.get(f"/convoys/{convoy_id}").get_data(as_text=True)
    assert "2026-12-01 10:00" in client.get("/convoys/").get_data(as_text=True)
    client.set_cookie("tz", "../../etc/passwd")  # not a zone: the station's own (UTC here)
    assert "2026-12-01 07:00" in client.get(f"/convoys/{convoy_id}").get_data(as_text=True)


def test_a_convoy_without_vehicles_says_so_without_an_empty_table(client, auth_actions, db):
    convoy = convoys.create_convoy(db, {"reference": "C-5"}, "coord")
    auth_actions.login("coordinator")
    empty = client.get(f"/convoys/{convoy['id']}").get_data(as_text=True)
    assert "No vehicle yet." in empty and "<table" not in empty
    convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus", "label": "Bus 7"}, "c")
    full = client.get(f"/convoys/{convoy['id']}").get_data(as_text=True)
    assert "No vehicle yet." not in full and "<table" in full and "Bus 7" in full


def test_a_vehicle_without_a_label_is_named_in_the_page_language(client, auth_actions, db):
    """Issue 14's newcomer, second pass: an Arabic page named a bus "bus 7c354f"."""
    convoy = convoys.create_convoy(db, {"reference": "C-6"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus"}, "c")
    auth_actions.login("coordinator")
    client.set_cookie("lang", "ar")
    for path in (f"/convoys/{convoy['id']}", f"/convoys/vehicles/{bus['id']}",
                 f"/convoys/vehicles/{bus['id']}/scan?kind=board"):  # fmt: skip
        page = client.get(path).get_data(as_text=True)
        assert f"حافلة {bus['id'][-6:]}" in page and f"bus {bus['id'][-6:]}" not in page, path


@pytest.mark.parametrize("hours", ["0", "-3", "abc", "169", "nan", "inf"])
def test_issue_18_transit_refuses_hours_out_of_range_in_the_page_language(
    client, auth_actions, hours
):
    """Issue 18: ?hours=0 (or a negative, or text) showed the list for 6 hours without a word."""
    auth_actions.login("analyst")
    client.set_cookie("lang", "ar")
    page = client.get(f"/convoys/transit?hours={hours}")
    assert page.status_code == 400
    assert "اكتب عدد ساعات من 1 إلى 168" in page.get_data(as_text=True)


def test_transit_takes_one_hour_to_a_week(client, auth_actions):
    auth_actions.login("analyst")
    for hours, shown in (("1", "1"), ("168", "168"), ("", "6"), (None, "6")):
        page = client.get("/convoys/transit" + ("" if hours is None else f"?hours={hours}"))
        assert page.status_code == 200, hours
        assert f'name="hours" min="1" max="168" step="0.5" value="{shown}' in page.get_data(
            as_text=True
        )


def test_issue_18_hq_pages_name_who_arrived_elsewhere_and_where(tmp_path):
    """Issue 18 (HQ review): the transit page listed a man as overdue who sat in a tent at P4R;
    now he is in his own line, with where and when he was found, in English and Arabic."""
    from tests import synckit
    from tests.conftest import AuthActions

    day = synckit.boarded_then_registered_elsewhere(tmp_path)
    client = day["hq"].app.test_client()
    AuthActions(client, day["hq"].db).login("analyst")
    transit = client.get("/convoys/transit").get_data(as_text=True)
    overdue = transit.split("data-arrived-elsewhere-list")[0]
    assert day["man"] not in overdue and day["alone"] in overdue
    found = transit.split("data-arrived-elsewhere-list")[1]
    assert day["man"] in found and day["found_as"] in found and "P4R" in found
    assert "of which 1 found by deduplication at another station" in transit
    rec = client.get(f"/convoys/vehicles/{day['bus']['id']}/reconciliation").get_data(as_text=True)
    assert "Arrived elsewhere (found by deduplication) (1)" in rec
    assert day["found_as"] in rec.split("data-arrived-elsewhere-list")[1]
    assert "boarded, arrived elsewhere (found by deduplication)" in rec
    client.set_cookie("lang", "ar")
    rec = client.get(f"/convoys/{day['convoy']['id']}/reconciliation").get_data(as_text=True)
    assert "وصلوا إلى مكان آخر (عُثر عليهم بإزالة التكرار)" in rec and "found by" not in rec
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "منهم ١ عُثر عليهم" in dashboard or "منهم 1 عُثر عليهم" in dashboard
