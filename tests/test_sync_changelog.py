"""The change log (sync/changelog.py): what each local write records, in which order, and how
entries read back. Issue 16: `make mutate` finds a failing test here for each change to it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fieldreg import records
from fieldreg.db import write
from sync import authority, changelog, hlc, store
from sync.changelog import Change
from tests.conftest import household_body
from tests.synckit import make_site


@pytest.fixture
def db(tmp_path):
    site = make_site(tmp_path / "a", "SA2")
    yield site
    site.close()


def rows(db, sql="select * from changes order by recv", params=()):
    return list(db.query(sql, params))


def test_a_version_is_the_clock_at_the_site():
    change = Change("SA2", 3, "0000000000001000.0002", "people", "p1", "upsert", {})
    assert change.version == "0000000000001000.0002@SA2"
    assert change.prev is None


def test_a_site_without_a_code_has_no_change_log(db):
    assert changelog.site_of(db) == "SA2"
    db.execute("update settings set value = '' where key = 'station_code'")
    with pytest.raises(RuntimeError, match="^the site has no station code yet$"):
        changelog.site_of(db)
    db.execute("delete from settings where key = 'station_code'")
    with pytest.raises(RuntimeError):
        changelog.site_of(db)


def test_the_clock_is_kept_across_events_and_starts_from_zero(db, monkeypatch):
    monkeypatch.setattr(hlc, "wall_millis", lambda: 500)
    db.execute("delete from settings where key = 'hlc'")
    assert changelog.next_timestamp(db) == hlc.Timestamp(500, 0)
    assert store.setting(db, "hlc") == "0000000000000500.0000"
    assert changelog.next_timestamp(db) == hlc.Timestamp(500, 1)  # read back, counted on
    store.put_setting(db, "hlc", "0000000000009000.0007")  # ahead of the wall clock
    assert changelog.next_timestamp(db) == hlc.Timestamp(9000, 8)
    assert store.setting(db, "hlc") == "0000000000009000.0008"


def test_versions_order_by_clock_then_site_and_a_bad_reading_loses():
    key = changelog.version_key
    assert key("0000000000001000.0002@SB3") == (hlc.Timestamp(1000, 2), "SB3")
    assert key("0000000000001000.0002@SB3") > key("0000000000001000.0002@SA2")
    assert key("0000000000000999.0009@SZ9") < key("0000000000001000.0000@SA2")
    assert key("9.0@SZ9") == (hlc.ZERO, "SZ9")
    assert key("9.0@SZ9") < key("0000000000000000.0001@SA2")


def test_a_record_without_versions_reads_empty(db):
    assert changelog.meta(db, "people", "nobody") == ({}, None)
    with write(db):
        changelog.save_meta(db, "people", "p1", {"b": "2@X", "a": "1@X"}, "3@X")
    raw = db.execute("select versions from sync_meta where record_id = 'p1'").fetchone()[0]
    assert raw == '{"a": "1@X", "b": "2@X"}'  # sorted: every site stores the same text
    assert changelog.meta(db, "people", "p1") == ({"a": "1@X", "b": "2@X"}, "3@X")
    with write(db):
        changelog.save_meta(db, "people", "p1", {"a": "4@X"}, None)  # replaced whole
    assert changelog.meta(db, "people", "p1") == ({"a": "4@X"}, None)


def test_unknown_ops_are_refused_before_anything_is_written(db):
    with pytest.raises(ValueError, match="^unknown op 'merge'$"), write(db):
        changelog.record_many(db, [("people", "p1", "upsert", {}), ("people", "p1", "merge", {})])
    assert rows(db) == []


def test_a_registration_is_numbered_stamped_and_versioned_in_order(db):
    made, _ = records.create_household(db, household_body(), "reg")
    log = rows(db)
    assert [r["seq"] for r in log] == [1, 2, 3, 4]
    assert [r["recv"] for r in log] == [1, 2, 3, 4]
    assert {r["site"] for r in log} == {"SA2"} and {r["op"] for r in log} == {"upsert"}
    stamps = [hlc.Timestamp.parse(r["hlc"]) for r in log]
    assert stamps == sorted(set(stamps))  # strictly rising
    assert store.setting(db, "hlc") == log[-1]["hlc"]  # the clock stands at the last
    person = made["members"][0]
    mine = next(r for r in log if r["record_id"] == person["id"])
    versions, deleted = changelog.meta(db, "people", person["id"])
    assert deleted is None and versions  # every column registered holds this change's version
    assert set(versions) == set(json.loads(mine["data"]))
    assert set(versions.values()) == {f"{mine['hlc']}@SA2"}
    assert mine["prev"] is None
    assert "محمد" in mine["data"]  # stored as written, not as \u escapes


def test_an_edit_remembers_the_versions_it_overwrote(db):
    made, _ = records.create_household(db, household_body(), "reg")
    person = made["members"][0]
    before, _ = changelog.meta(db, "people", person["id"])
    records.update_person(db, person["code"], {"given_name": "Omar"}, "reg")
    last = rows(db)[-1]
    assert (last["seq"], last["recv"], last["op"]) == (5, 5, "upsert")
    prev = json.loads(last["prev"])
    assert prev["given_name"] == before["given_name"]
    assert set(prev) <= set(json.loads(last["data"]))
    after, _ = changelog.meta(db, "people", person["id"])
    assert after["given_name"] == f"{last['hlc']}@SA2"
    assert after["family_name"] == before["family_name"]  # untouched fields keep theirs


def test_a_write_on_a_new_record_overwrites_nothing(db):
    with write(db):
        change = changelog.record(db, "people", "fresh", "upsert", {"given_name": "Ali"})
    assert change.prev is None and rows(db)[-1]["prev"] is None
    assert changelog.meta(db, "people", "fresh")[0] == {"given_name": change.version}


def test_a_deleted_record_carries_its_row_and_is_tombstoned(db):
    made, _ = records.create_household(db, household_body(), "reg")
    person = made["members"][1]
    with write(db):
        change = changelog.record(db, "people", person["id"], "delete", {"reason": "erased"})
    assert change.op == "delete" and change.seq == 5 and change.prev is None
    assert change.data["given_name"] == "Zainab" and change.data["reason"] == "erased"
    versions, deleted = changelog.meta(db, "people", person["id"])
    assert deleted == change.version and versions  # field versions kept beside the tombstone
    row = next(db.query("select deleted from people where id = ?", [person["id"]]))
    assert row["deleted"] == 1
    stored = json.loads(rows(db)[-1]["data"])
    assert stored == json.loads(json.dumps(change.data, default=str))
    with write(db):  # a late local write does not lift the tombstone
        changelog.record(db, "people", person["id"], "upsert", {"status": "departed"})
    assert changelog.meta(db, "people", person["id"])[1] == change.version


def test_the_next_number_goes_above_what_hq_acknowledged(db):
    assert changelog.next_seq(db, "SA2") == 1
    records.create_household(db, household_body(), "reg")
    assert changelog.next_seq(db, "SA2") == 5
    assert changelog.next_seq(db, "SB3") == 1  # counted per site
    store.put_setting(db, "sync_acked", "9")
    assert changelog.next_seq(db, "SA2") == 10
    store.put_setting(db, "sync_acked", "2")
    assert changelog.next_seq(db, "SA2") == 5


def test_storage_numbers_count_on_from_the_last(db):
    assert changelog.next_recv(db) == 1
    theirs = Change("SB3", 7, "0000000000000005.0000", "people", "p9", "upsert", {"a": 1})
    with write(db):
        changelog.store(db, theirs)
    assert changelog.next_recv(db) == 2
    records.create_household(db, household_body(), "reg")
    assert [r["recv"] for r in rows(db)] == [1, 2, 3, 4, 5]


def test_an_entry_reads_back_as_it_was_written(db):
    change = Change("SB3", 7, "0000000000000005.0000", "people", "p9", "upsert",
                    {"b": "مريم", "a": 1}, {"a": "0000000000000001.0000@SA2"})  # fmt: skip
    row = changelog.as_row(change, 42)
    assert row[:6] == ("SB3", 7, "0000000000000005.0000", "people", "p9", "upsert")
    assert row[6] == '{"a": 1, "b": "مريم"}'
    assert row[7] == '{"a": "0000000000000001.0000@SA2"}'
    assert row[8] == 42
    assert changelog.as_row(Change(*row[:6], {}, {}), 1)[7] is None  # no prev: null
    two = {"b": "0000000000000002.0000@SB3", "a": "0000000000000001.0000@SA2"}
    dated = Change(*row[:6], {"on": dt.date(2026, 11, 30)}, two)
    assert changelog.as_row(dated, 1)[6:8] == (
        '{"on": "2026-11-30"}',
        '{"a": "0000000000000001.0000@SA2", "b": "0000000000000002.0000@SB3"}',
    )
    with write(db):
        changelog.store(db, change)
    back = rows(db)[0]
    assert changelog.from_row(back) == change
    assert changelog.from_row({**back, "prev": None}).prev is None


def test_a_site_is_paged_through_by_its_numbers(db):
    records.create_household(db, household_body(), "reg")
    theirs = Change("SB3", 1, "0000000000000005.0000", "people", "p9", "upsert", {"a": 1})
    with write(db):
        changelog.store(db, theirs)
    assert [c.seq for c in changelog.changes_since(db, "SA2", 0)] == [1, 2, 3, 4]
    assert [c.seq for c in changelog.changes_since(db, "SA2", 1, limit=2)] == [2, 3]
    assert changelog.changes_since(db, "SB3", 0) == [theirs]
    assert len(changelog.changes_since(db, "SA2", 0, limit=3)) == 3
    pulled = changelog.stored_after(db, 0, "SB3")
    assert [(recv, c.seq) for recv, c in pulled] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert changelog.stored_after(db, 4, "SA2") == [(5, theirs)]
    assert [r for r, _c in changelog.stored_after(db, 1, "SX9", limit=2)] == [2, 3]
    assert len(changelog.stored_after(db, 0, "SX9")) == 5


def test_a_page_holds_a_thousand_changes_unless_told(db):
    many = [("SB3", n, "0000000000000005.0000", "people", f"p{n}", "upsert", "{}", None, n)
            for n in range(1, 1002)]  # fmt: skip
    db.conn.executemany(changelog.INSERT, many)
    assert len(changelog.changes_since(db, "SB3", 0)) == 1000
    assert len(changelog.stored_after(db, 0, "SA2")) == 1000
    assert changelog.changes_since(db, "SB3", 1000)[0].seq == 1001


def test_a_local_write_is_recorded_as_it_reads_back_from_json(db):
    with write(db):
        change = changelog.record(
            db, "people", "p1", "upsert", {"date_of_birth": dt.date(2020, 1, 2), "n": "مريم"}
        )
    assert change.data == {"date_of_birth": "2020-01-02", "n": "مريم"}
    versions = db.execute("select versions from sync_meta where record_id = 'p1'").fetchone()[0]
    assert versions == json.dumps(json.loads(versions), sort_keys=True)


def test_registered_versions_are_stored_in_one_order_everywhere(db):
    records.create_household(db, household_body(), "reg")
    for (raw,) in db.execute("select versions from sync_meta").fetchall():
        assert raw == json.dumps(json.loads(raw), sort_keys=True)


def test_a_joined_station_records_only_what_hq_would_take(db):
    """The authority guard runs with this site's code (issue 13's rule, issue 16)."""
    store.put_setting(db, "sync_credential", '{"hq": "HQ2"}')
    theirs = Change("SB3", 1, "0000000000000005.0000", "people", "p9", "upsert", {"a": 1})
    with write(db):
        changelog.store(db, theirs)
        mine = changelog.record(db, "people", "p1", "upsert", {"given_name": "Ali"})
        again = changelog.record(db, "people", "p1", "upsert", {"given_name": "Omar"})
    assert (mine.seq, again.seq) == (1, 2)
    with pytest.raises(authority.NotOwner, match="belongs to SB3"), write(db):
        changelog.record(db, "people", "p9", "upsert", {"given_name": "Mallory"})
