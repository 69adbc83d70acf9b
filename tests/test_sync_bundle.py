"""USB bundles: sealed to HQ and signed by the station; bad files refused, replays harmless."""

from __future__ import annotations

import pytest

from fieldreg import bundles, records, syncing
from fieldreg.errors import DomainError
from sync import bundle, client, keys, store, tables
from tests.conftest import household_body
from tests.synckit import make_site


@pytest.fixture
def pair(tmp_path):
    hq = make_site(tmp_path / "hq", "HQ2")
    station = make_site(tmp_path / "st", "T3S")
    syncing.join(station, syncing.add_station(hq, "T3S", "", "http://hq"))
    yield hq, station
    hq.close()
    station.close()


def counts(db) -> tuple:
    return tuple(
        db.execute(f"select count(*) from {t}").fetchone()[0]
        for t in ("changes", "people", "households", "sync_pending")
    )


def test_bundle_round_trip_and_replay(pair):
    hq, station = pair
    made, _ = records.create_household(station, household_body(), "reg")
    data, count = bundles.export_bundle(station)
    assert count == 4 and b"Halabi" not in data and "محمد".encode() not in data
    first = bundles.import_bundle(hq, data)
    assert (first["from"], first["applied"], first["head"]) == ("T3S", 4, 4)
    assert records.get_household(hq, made["code"])["station"] == "T3S"
    before = counts(hq)
    again = bundles.import_bundle(hq, data)  # replayed: harmless
    assert again["applied"] == 0 and again["duplicates"] == 4 and counts(hq) == before
    row = next(hq.query("select last_path, received from sync_stations where code = 'T3S'"))
    assert row == {"last_path": "bundle", "received": 4}


def test_bundles_out_of_order_are_held_then_applied(pair):
    hq, station = pair
    records.create_household(station, household_body(), "reg")
    early, _ = bundles.export_bundle(station)
    records.create_household(station, household_body(phone="0944 000 111"), "reg")
    with client.apply.transaction(station):
        store.put_setting(
            station, "sync_acked", "4"
        )  # as if the first bundle had been acknowledged
    late, _ = bundles.export_bundle(station)
    assert bundles.import_bundle(hq, late)["head"] == 0  # gap: held
    assert hq.execute("select count(*) from sync_pending").fetchone()[0] == 4
    assert bundles.import_bundle(hq, early)["head"] == 8
    assert counts(hq)[1:] == (6, 2, 0)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:-1], "truncated"),
        (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "altered|damaged"),
        (lambda b: b[:-70] + bytes([b[-70] ^ 1]) + b[-69:], "altered or forged"),
        (lambda b: b + b"x", "extra bytes"),
        (lambda b: b"PK\x03\x04" + b, "not a FieldReg sync bundle"),
    ],
)
def test_damaged_bundle_is_refused_and_changes_nothing(pair, damage, message):
    hq, station = pair
    records.create_household(station, household_body(), "reg")
    data, _ = bundles.export_bundle(station)
    before = counts(hq)
    with pytest.raises(DomainError, match=message):
        bundles.import_bundle(hq, damage(data))
    assert counts(hq) == before


def test_foreign_bundles_are_refused(pair, tmp_path):
    hq, station = pair
    other_hq = make_site(tmp_path / "hq3", "HQ3")
    stranger = make_site(tmp_path / "st2", "U4V")
    syncing.join(stranger, syncing.add_station(other_hq, "U4V", "", "http://hq3"))
    records.create_household(stranger, household_body(), "reg")
    data, _ = bundles.export_bundle(stranger)
    with pytest.raises(DomainError, match="not known here"):
        bundles.import_bundle(hq, data)
    # a bundle signed by a known station but sealed to another HQ
    cred = client.credential(station)
    other_box = keys.public(syncing.hq_keys(other_hq))["box_pub"]
    sealed = bundle.seal({"kind": "push", "changes": []}, "T3S", cred["sign"], other_box)
    with pytest.raises(DomainError, match="another recipient"):
        bundles.import_bundle(hq, sealed)
    # a station impersonating another: signed with its own key under another name
    sealed = bundle.seal(
        {"kind": "push", "changes": []}, "T3S", keys.generate()["sign"], cred["hq_box_pub"]
    )
    with pytest.raises(DomainError, match="altered or forged"):
        bundles.import_bundle(hq, sealed)
    assert counts(hq)[0] == 0


def test_hq_writes_a_bundle_back_for_the_station(pair, tmp_path):
    hq, station = pair
    made, _ = records.create_household(station, household_body(), "reg")
    bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    code = made["members"][0]["code"]
    records.update_person(hq, code, {"age_years": 44}, "hq")
    other = make_site(tmp_path / "st2", "U4V")
    syncing.join(other, syncing.add_station(hq, "U4V", "", "http://hq"))
    records.create_household(other, household_body(phone="0944 222 333"), "reg")
    bundles.import_bundle(hq, bundles.export_bundle(other)[0])
    back, count = bundles.export_bundle(hq, "T3S")
    assert count == 5  # HQ's correction and U4V's household of three + its household row
    with pytest.raises(DomainError, match="another recipient"):
        bundles.import_bundle(other, back)  # sealed for T3S, signed by HQ: U4V cannot use it
    outcome = bundles.import_bundle(station, back)
    assert outcome["head"] == 4 and int(store.setting(station, "sync_acked")) == 4
    assert records.get_person(station, code)["age_years"] == 44
    again = bundles.import_bundle(station, back)  # replay: harmless, and says so
    assert (again["changes"], again["applied"]) == (5, 0)
    # U4V's household came as what search needs (issue 13: need to know), T3S's own whole.
    theirs = next(station.query("select phone, station from households where station = 'U4V'"))
    assert theirs == {"phone": None, "station": "U4V"}
    mine = "select * from people where household_id = ?"
    assert list(station.query(mine, [made["id"]])) == list(hq.query(mine, [made["id"]]))


def test_a_restored_station_on_usb_hears_from_hq_before_it_sends(pair, tmp_path):
    """After a restore, a bundle out would carry numbers HQ already holds: it is refused until
    HQ's bundle came in, which moves the changes made since after HQ's."""
    from fieldreg import backup
    from fieldreg.db import connect
    from fieldreg.errors import Conflict
    from fieldreg.restore import restore
    from tests.test_sync_http import _path_of

    hq, station = pair
    records.create_household(station, household_body(), "reg")
    bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    path = _path_of(station)
    made = backup.run(path, tmp_path / "usb", keep=3)
    lost, _ = records.create_household(station, household_body(), "reg")
    bundles.import_bundle(hq, bundles.export_bundle(station)[0])  # reached HQ, then lost
    station.close()
    restore(path.parent, made["path"])
    station = connect(path)
    try:
        new, _ = records.create_household(station, household_body(phone="0944 000 222"), "reg")
        with pytest.raises(Conflict, match="restored from a backup"):
            bundles.export_bundle(station)
        bundles.import_bundle(station, bundles.export_bundle(hq, "T3S")[0])
        data, count = bundles.export_bundle(station)
        assert count == 4
        assert bundles.import_bundle(hq, data)["applied"] == 4
        at_hq = {r["id"] for r in hq.query("select id from households")}
        assert {lost["id"], new["id"]} <= at_hq and len(at_hq) == 3
    finally:
        station.close()


def test_reimporting_hqs_bundle_at_a_station_counts_nothing_new(pair):
    """Regression (issue 13): a station said "N new" for a bundle it had applied already."""
    hq, station = pair
    records.create_household(station, household_body(), "reg")
    bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    records.update_person(hq, next(station.query("select code from people"))["code"],
                          {"age_years": 50}, "hq")  # fmt: skip
    back, _count = bundles.export_bundle(hq, "T3S")
    assert bundles.import_bundle(station, back)["applied"] == 1
    assert bundles.import_bundle(station, back)["applied"] == 0


def test_a_usb_bundle_stamped_days_ahead_is_refused_then_restamped(pair, monkeypatch):
    """Regression (issue 13): a laptop whose clock runs days ahead. HQ refuses its bundle
    (clock_ahead, nothing applied); HQ's bundle gives the station HQ's clock, the station
    restamps its unacknowledged changes, and its next bundle is taken."""
    from sync import hlc

    hq, station = pair
    real = hlc.wall_millis
    monkeypatch.setattr(hlc, "wall_millis", lambda: real() + 3 * 24 * 3600 * 1000)
    made, _ = records.create_household(station, household_body(), "reg")
    monkeypatch.setattr(hlc, "wall_millis", real)
    with pytest.raises(DomainError) as refused:
        bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    assert refused.value.code == "clock_ahead" and "import HQ's latest bundle" in str(
        refused.value.message
    )
    assert counts(hq) == (0, 0, 0, 0)
    assert bundles.import_bundle(station, bundles.export_bundle(hq, "T3S")[0])["restamped"] == 4
    assert bundles.import_bundle(hq, bundles.export_bundle(station)[0])["applied"] == 4
    assert records.get_household(hq, made["code"])["phone"] == made["phone"]
    assert tables.canonical_hash(station) == tables.canonical_hash(hq)
