"""Need to know (issue 13): what a station receives from HQ about other stations' people.

Its own records whole; of another station's people only what search and the duplicate
warning need (names, sex, age, codes, status, household); never their phones, notes,
origins, triage or movements. Checked in what travels (HTTP pull, USB bundle) and in what
the station holds afterwards.
"""

from __future__ import annotations

import json

import httpx
import pytest

from fieldreg import bundles, medical, movements, records, search_index, syncing
from sync import client, protocol, tables
from tests.conftest import household_body
from tests.synckit import join_stations, make_hq

SECRETS = ("933 123 456", "933123456", "Salaheddine", "Bab al-Salam", "shrapnel", "diabetes",
           "Ibn Sina", "relatives in Azaz", "pregnant")  # fmt: skip
SHARED_PEOPLE = set(tables.PEOPLE_SHARED)
SHARED_HOUSEHOLDS = set(tables.HOUSEHOLDS_SHARED)


@pytest.fixture
def world(tmp_path):
    """HQ, station A (T3S) with a household, triage and a movement, and station B (U4V)."""
    app, hq = make_hq(tmp_path / "hq")
    a, b = join_stations(hq, tmp_path, ("T3S", "U4V"), names=("a", "b")).values()
    body = household_body(notes="relatives in Azaz", vulnerabilities=["pregnant"])
    made, _ = records.create_household(a, body, "reg-a")
    person = made["members"][0]["code"]
    medical.record_triage(
        a,
        person,
        {"category": "immediate", "conditions": ["diabetes"], "note": "shrapnel",
         "referral": {"hospital": "Ibn Sina", "transport": "ambulance"}},
        "doc-a",
    )  # fmt: skip
    movements.move_person(a, made["members"][1]["code"], {"kind": "departed"}, "reg-a")
    transport = httpx.WSGITransport(app=app)
    syncing.run_sync(a, transport=transport)
    yield {"app": app, "hq": hq, "a": a, "b": b, "made": made, "transport": transport}
    for db in (hq, a, b):
        db.close()


def check_payload(changes: list, made: dict) -> None:
    """Every change about A's records carries at most the shared columns; facts nothing."""
    assert changes, "A's records reached B"
    for change in changes:
        if change.tbl == "people":
            assert set(change.data) <= SHARED_PEOPLE, change.data
        elif change.tbl == "households":
            assert set(change.data) <= SHARED_HOUSEHOLDS, change.data
        else:
            assert change.tbl in ("triage", "movements") and change.data == {}, change
        assert set(change.prev or {}) <= SHARED_PEOPLE | SHARED_HOUSEHOLDS
    text = json.dumps([protocol.rows(changes)], ensure_ascii=False)
    assert not [s for s in SECRETS if s in text]
    assert made["members"][0]["given_name"] in text  # names travel: search needs them


def check_held(b, made: dict) -> None:
    """B holds A's people for search and duplicate warnings, and nothing more."""
    assert b.execute("select count(*) from triage").fetchone()[0] == 0
    assert b.execute("select count(*) from movements").fetchone()[0] == 0
    row = next(b.query("select * from households where id = ?", [made["id"]]))
    assert (row["phone"], row["notes"], row["origin_neighbourhood"]) == (None, None, None)
    assert row["vulnerabilities"] == "[]" and row["station"] == "T3S"
    found = search_index.search(b, "Mohamad Halabi")
    assert found and found[0]["household_code"] == made["code"]
    assert records.get_person(b, made["members"][1]["code"])["status"] == "departed"


def test_an_http_pull_carries_only_what_search_needs(world):
    b = world["b"]
    bodies: list[bytes] = []
    station = client.Client(b, transport=world["transport"], after=syncing.after_apply)
    station.http.event_hooks["response"] = [
        lambda r: bodies.append(r.read()) if "/pull" in str(r.request.url) else None
    ]
    try:
        station.sync()
    finally:
        station.close()
    cred = client.credential(b)
    changes = []
    for body in bodies:
        _sender, _payload, got = protocol.open_sealed(
            body, cred["box"], lambda s: cred["hq_sign_pub"]
        )
        changes += got
    check_payload(changes, world["made"])
    check_held(b, world["made"])


def test_a_usb_bundle_for_a_station_carries_only_what_search_needs(world):
    b, hq = world["b"], world["hq"]
    data, _count = bundles.export_bundle(hq, "U4V")
    cred = client.credential(b)
    _sender, payload, changes = protocol.open_sealed(
        data, cred["box"], lambda s: cred["hq_sign_pub"]
    )
    check_payload(changes, world["made"])
    bundles.import_bundle(b, data)
    check_held(b, world["made"])


def test_the_owner_receives_hqs_corrections_whole(world):
    """HQ's correction of A's household reaches A with its phone; B gets only the status."""
    a, b, hq, made = world["a"], world["b"], world["hq"], world["made"]
    records.update_household(hq, made["code"], {"phone": "0944 555 666"}, "hq")
    syncing.run_sync(a, transport=world["transport"])
    assert records.get_household(a, made["code"])["phone"] == "0944 555 666"
    syncing.run_sync(b, transport=world["transport"])
    assert b.execute("select phone from households").fetchone()[0] is None
