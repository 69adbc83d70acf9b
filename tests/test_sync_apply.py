"""Applying received changes: duplicates, gaps, tombstones, appends, unknown tables/columns."""

from __future__ import annotations

import pytest

from fieldreg import records, wiring
from fieldreg.db import write
from sync import apply, changelog, hlc, store, tables
from sync.changelog import Change
from tests.conftest import household_body
from tests.synckit import make_site


@pytest.fixture
def sites(tmp_path):
    a, b = make_site(tmp_path / "a", "SA2"), make_site(tmp_path / "b", "SB3")
    yield a, b
    a.close()
    b.close()


def ship(source, target, after=0):
    """Apply all of ``source``'s own changes after ``after`` at ``target``."""
    changes = changelog.changes_since(source, changelog.site_of(source), after, 10**6)
    with write(target):
        return apply.apply_changes(target, changes, changelog.site_of(target))


def test_duplicates_and_gaps(sites):
    a, b = sites
    records.create_household(a, household_body(), "reg")
    changes = changelog.changes_since(a, "SA2", 0)
    with write(b):
        held = apply.apply_changes(b, changes[2:], "SB3")
    assert (held.applied, held.held) == (0, 2)
    with write(b):
        filled = apply.apply_changes(b, changes[:3], "SB3")
    assert (filled.applied, filled.duplicates, filled.held, filled.heads) == (4, 1, 0, {"SA2": 4})
    assert ship(a, b).duplicates == 4
    assert tables.canonical_hash(a) == tables.canonical_hash(b)


def test_tombstone_beats_a_later_update(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    ship(a, b)
    person = made["members"][0]
    with write(b):
        changelog.record(b, "people", person["id"], "delete", {"reason": "erased"})
    records.update_person(a, person["code"], {"given_name": "Later"}, "reg")  # higher HLC
    ship(b, a)
    ship(a, b, after=4)
    row_a = next(a.query("select given_name, deleted from people where id = ?", [person["id"]]))
    assert row_a == {"given_name": "محمد", "deleted": 1}
    assert tables.canonical_hash(a) == tables.canonical_hash(b)


def test_append_rows_insert_once_and_ops_must_fit(sites):
    a, b = sites
    for db in sites:
        db.execute("create table if not exists notes_t (id text primary key, body text)")
    tables.register("notes_t", "append")
    row = {"id": records.new_id(), "body": "seen", "extra": "ignored"}
    with write(a):
        a.execute("insert into notes_t (id, body) values (?, ?)", [row["id"], row["body"]])
        changelog.record(a, "notes_t", row["id"], "append", row)
    ship(a, b)
    ship(a, b)
    assert list(b.query("select * from notes_t")) == [{"id": row["id"], "body": "seen"}]
    wrong = Change("SA2", 2, "0000000000000001.0000", "notes_t", "x", "upsert", {})
    with pytest.raises(apply.Refused, match="does not fit"):
        apply.apply_changes(b, [wrong], "SB3")
    stranger = Change("SA2", 2, "0000000000000001.0000", "users", "x", "upsert", {"role": "a"})
    with pytest.raises(apply.Refused, match="does not sync"):
        apply.apply_changes(b, [stranger], "SB3")


def test_clock_far_ahead_is_refused(sites):
    _a, b = sites
    ahead = Change("SA2", 1, "9999999999999999.0000", "people", "x", "upsert", {})
    with pytest.raises(apply.Refused, match="far ahead"), write(b):
        apply.apply_changes(b, [ahead], "SB3")
    assert b.execute("select count(*) from changes").fetchone()[0] == 0


def test_malformed_changes_are_refused(sites):
    _a, b = sites
    for bad in (
        Change("SA2", 1, "yesterday", "people", "x", "upsert", {}),
        Change("SA2", 0, "0000000000000001.0000", "people", "x", "upsert", {}),
        Change("SA2", 1, "0000000000000001.0000", "people", "x", "upsert", []),
    ):
        with pytest.raises(apply.Refused):
            apply.apply_changes(b, [bad], "SB3")


# Issue 16 (`make mutate`): what one application reports and leaves behind, rule by rule.


def conflicts(db):
    return list(
        db.query(
            "select tbl, record_id, field, kept_value, kept_version, lost_value, lost_version, "
            "resolution from sync_conflicts order by id"
        )
    )


def edit(db, code, name):
    """Correct a person's given name; return the change it recorded."""
    records.update_person(db, code, {"given_name": name}, "reg")
    return changelog.changes_since(db, changelog.site_of(db), 0, 10**6)[-1]


def test_a_first_copy_creates_the_record_and_says_so(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    result = ship(a, b)
    ids = {("households", made["id"])} | {("people", m["id"]) for m in made["members"]}
    assert (result.applied, result.duplicates, result.held, result.conflicts) == (4, 0, 0, 0)
    assert result.touched == ids and set(result.created) == ids
    person = made["members"][0]
    rowid, row = result.created[("people", person["id"])]
    assert rowid == next(b.query("select rowid from people where id = ?", [person["id"]]))["rowid"]
    assert row["id"] == person["id"] and row["given_name"] == "محمد"
    versions, deleted = changelog.meta(b, "people", person["id"])
    assert deleted is None and "id" not in versions
    sent = changelog.meta(a, "people", person["id"])[0]
    assert versions == {k: v for k, v in sent.items() if k != "id"}  # the id has no version
    assert [r["recv"] for r in b.query("select recv from changes order by recv")] == [1, 2, 3, 4]
    assert ship(a, b).applied == 0


def test_concurrent_edits_keep_the_loser_beside_the_winner_on_both_sides(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    ship(a, b)
    code, pid = made["members"][0]["code"], made["members"][0]["id"]
    first, second = edit(a, code, "Omar"), edit(b, code, "علي")  # b's clock reads later
    assert ship(a, b, after=4).conflicts == 1  # a's edit loses at b: kept aside
    recv = [r[0] for r in b.execute("select recv from changes order by recv")]
    assert recv == [1, 2, 3, 4, 5, 6]  # stored after b's own edit, numbered on from it
    assert ship(b, a).conflicts == 1  # b's edit wins at a: a's value kept aside
    expected = {
        **{"tbl": "people", "record_id": pid, "field": "given_name", "resolution": None},
        **{"kept_value": '"علي"', "kept_version": second.version},
        **{"lost_value": '"Omar"', "lost_version": first.version},
    }
    assert conflicts(a) == conflicts(b) == [expected]  # never one for updated_at (bookkeeping)
    assert records.get_person(a, code)["given_name"] == "علي"
    assert records.get_person(b, code)["given_name"] == "علي"
    at = a.execute("select at from sync_conflicts").fetchone()[0]
    assert at.startswith("20") and at.endswith("+00:00") and len(at) == 25
    third = edit(a, code, "Omar")  # a corrects knowingly, over b's value
    assert third.prev["given_name"] == second.version
    assert ship(a, b, after=5).conflicts == 0
    assert [c["resolution"] for c in conflicts(b)] == ["superseded"]
    assert b.execute("select resolved_at from sync_conflicts").fetchone()[0].endswith("+00:00")
    assert records.get_person(b, code)["given_name"] == "Omar"


def test_a_sequential_correction_is_no_conflict(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    ship(a, b)
    code = made["members"][0]["code"]
    edit(a, code, "Omar")
    assert ship(a, b, after=4).conflicts == 0
    edit(b, code, "Ali")
    assert ship(b, a).conflicts == 0
    assert conflicts(a) == conflicts(b) == []
    assert tables.canonical_hash(a) == tables.canonical_hash(b)


def test_a_site_ignores_its_own_changes_and_counts_them_as_duplicates(sites):
    a, _b = sites
    records.create_household(a, household_body(), "reg")
    own = changelog.changes_since(a, "SA2", 0)
    with write(a):
        result = apply.apply_changes(a, own, "SA2")
    assert (result.applied, result.duplicates, result.heads) == (0, 4, {})


def test_held_changes_wait_for_the_gap_and_stale_ones_are_dropped(sites):
    a, b = sites
    records.create_household(a, household_body(), "reg")
    changes = changelog.changes_since(a, "SA2", 0)
    with write(b):
        assert apply.apply_changes(b, [changes[3], changes[1]], "SB3").held == 2
    pending = b.execute("select seq, hlc, data from sync_pending order by seq").fetchall()
    assert [p[0] for p in pending] == [2, 4] and pending[0][1] == changes[1].hlc
    with write(b):
        result = apply.apply_changes(b, [changes[0]], "SB3")
    assert (result.applied, result.held, result.heads) == (2, 1, {"SA2": 2})
    with write(b):
        result = apply.apply_changes(b, changes[:3], "SB3")
    assert (result.applied, result.duplicates, result.held) == (2, 2, 0)  # 3 and the held 4
    assert b.execute("select count(*) from sync_pending").fetchone()[0] == 0
    assert tables.canonical_hash(a) == tables.canonical_hash(b)


def test_a_stale_held_copy_is_dropped_when_its_number_is_passed(sites):
    a, b = sites
    records.create_household(a, household_body(), "reg")
    changes = changelog.changes_since(a, "SA2", 0)
    with write(b):
        apply.apply_changes(b, [changes[2]], "SB3")
        b.execute("insert into sync_pending select site, 1, hlc, tbl, record_id, op, data, prev "
                  "from sync_pending")  # fmt: skip  # an old copy of 1, already applied below
        apply.apply_changes(b, changes[:2], "SB3")
    assert b.execute("select count(*) from sync_pending").fetchone()[0] == 0


def test_receiving_moves_the_clock_past_every_reading(sites):
    _a, b = sites
    ahead = hlc.Timestamp(hlc.wall_millis() + 3_600_000, 7)
    changes = [
        Change("SA2", 1, str(ahead), "people", "p1", "delete", {}),
        Change("SA2", 2, "0000000000000001.0000", "people", "p2", "delete", {}),
    ]
    with write(b):
        apply.apply_changes(b, changes, "SB3")
    assert store.setting(b, "hlc") == str(hlc.Timestamp(ahead.millis, 8))
    with write(b):
        apply.apply_changes(b, [], "SB3")
    assert store.setting(b, "hlc") == str(hlc.Timestamp(ahead.millis, 8))


def test_an_older_tombstone_does_not_replace_a_newer_one(sites):
    _a, b = sites
    new = Change("SA2", 1, "0000000000000009.0000", "people", "p1", "delete", {})
    old = Change("SC4", 1, "0000000000000003.0000", "people", "p1", "delete", {})
    same = Change("SD5", 1, "0000000000000009.0000", "people", "p1", "delete", {})
    with write(b):
        assert apply.apply_changes(b, [new], "SB3").touched == {("people", "p1")}
        assert apply.apply_changes(b, [old], "SB3").touched == set()
    assert changelog.meta(b, "people", "p1") == ({}, new.version)
    with write(b):  # the same clock from a higher site wins the tie
        assert apply.apply_changes(b, [same], "SB3").touched == {("people", "p1")}
    assert changelog.meta(b, "people", "p1") == ({}, same.version)
    again = Change("SD5", 2, same.hlc, "people", "p1", "delete", {})  # the same version
    with write(b):
        assert apply.apply_changes(b, [again], "SB3").touched == set()


def test_restoring_own_changes_applies_them_in_order_once(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    edit(a, made["members"][0]["code"], "Omar")
    own = changelog.changes_since(a, "SA2", 0)
    with write(b):
        result = apply.restore_own(b, list(reversed(own)))
    assert (result.applied, result.conflicts, result.skipped, result.duplicates) == (5, 0, 0, 0)
    assert (result.held, result.heads) == (0, {})
    assert records.get_person(b, made["members"][0]["code"])["given_name"] == "Omar"
    with write(b):
        again = apply.restore_own(b, own)
    assert (again.applied, again.duplicates) == (0, 5)
    with pytest.raises(apply.Refused, match="malformed"):
        apply.restore_own(b, [Change("SA2", 0, own[0].hlc, "people", "x", "upsert", {})])


def test_a_malformed_prev_or_op_is_refused_with_its_reason(sites):
    _a, b = sites
    stamp = "0000000000000001.0000"
    with pytest.raises(apply.Refused, match="^malformed change$"):
        apply.apply_changes(b, [Change("SA2", 1, stamp, "people", "x", "upsert", {}, ["v"])], "SB3")
    with pytest.raises(apply.Refused, match="^malformed change$"):
        apply.apply_changes(b, [Change("SA2", "1", stamp, "people", "x", "upsert", {})], "SB3")
    with pytest.raises(apply.Refused, match="^op 'append' does not fit table 'people'$"):
        apply.apply_changes(b, [Change("SA2", 1, stamp, "people", "x", "append", {})], "SB3")
    with pytest.raises(apply.Refused, match="^bad clock reading 'soon'$"):
        apply.apply_changes(b, [Change("SA2", 1, "soon", "people", "x", "upsert", {})], "SB3")
    with pytest.raises(apply.Refused, match="^table 'nowhere' does not sync here$"):
        apply.apply_changes(b, [Change("SA2", 1, stamp, "nowhere", "x", "upsert", {})], "SB3")
    ok = Change("SA2", 1, stamp, "people", "x", "delete", {}, {"a": "v"})
    with write(b):
        assert apply.apply_changes(b, [ok], "SB3").applied == 1


def test_an_update_whose_record_never_arrived_is_skipped(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    code = made["members"][0]["code"]
    edit(a, code, "Omar")
    late = changelog.changes_since(a, "SA2", 4)
    late = [Change("SA2", 1, c.hlc, c.tbl, c.record_id, c.op, c.data, c.prev) for c in late]
    with write(b):
        result = apply.apply_changes(b, late, "SB3")
    assert (result.applied, result.skipped, result.touched) == (1, 1, set())
    assert b.execute("select count(*) from people").fetchone()[0] == 0


def test_a_fact_keeps_the_clock_of_its_change_and_stays_erased(sites):
    wiring.wire()  # triage syncs as the app and the command line wire it
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    ship(a, b)
    person = made["members"][0]
    fact = {"id": "f1", "person_id": person["id"], "category": "minor", "conditions": "[]",
            "actor": "doc", "at": "2026-11-27T10:00:00+00:00", "hlc": "0000000000000001.0000",
            "stray": "not a column"}  # fmt: skip
    stamp = str(hlc.tick(hlc.Timestamp.parse(store.setting(a, "hlc"))))
    told = Change("SA2", 5, stamp, "triage", "f1", "append", fact)
    with write(b):
        result = apply.apply_changes(b, [told], "SB3")
    assert result.touched == {("triage", "f1")}
    row = next(b.query("select * from triage where id = 'f1'"))
    assert row["hlc"] == stamp and row["category"] == "minor"  # never the clock the data claims
    erase = Change("SA2", 6, stamp, "triage", "f1", "delete", {})
    late = Change("SA2", 7, stamp, "triage", "f1", "append", {**fact, "category": "delayed"})
    with write(b):
        apply.apply_changes(b, [erase, late], "SB3")
    assert b.execute("select count(*) from triage").fetchone()[0] == 0


def put(db, record_id, fields):
    """Set a person's fields and record the change, as a domain write does."""
    with write(db):
        sets = ", ".join(f"[{k}] = ?" for k in fields)
        db.execute(f"update people set {sets} where id = ?", [*fields.values(), record_id])
        changelog.record(db, "people", record_id, "upsert", fields)


def test_conflicts_are_counted_one_by_one_and_agreement_or_bookkeeping_is_none(sites):
    """Equal values are no conflict, bookkeeping columns never are, a cleared field is kept
    as null (not the text "null"), and several in one batch are each counted."""
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    ship(a, b)
    one, two = made["members"][0]["id"], made["members"][1]["id"]
    put(a, one, {"given_name": "Omar", "updated_at": "2026-11-30T10:00:00+00:00"})
    put(a, two, {"given_name": "Huda", "family_name": "X"})
    put(b, one, {"given_name": "Omar", "updated_at": "2026-11-30T10:00:01+00:00"})
    put(b, two, {"given_name": None, "family_name": "Y"})
    won = ship(b, a)  # b's later edits win at a; a's values kept aside
    assert (won.conflicts, won.touched) == (2, {("people", one), ("people", two)})
    assert ship(a, b, after=4).conflicts == 2  # a's lose at b: kept aside there too
    for db in (a, b):
        kept = {(c["record_id"], c["field"]): (c["kept_value"], c["lost_value"])
                for c in conflicts(db)}  # fmt: skip
        assert kept == {(two, "given_name"): (None, '"Huda"'), (two, "family_name"): ('"Y"', '"X"')}


def test_an_update_sets_only_known_columns_and_never_the_id(sites):
    a, b = sites
    made, _ = records.create_household(a, household_body(), "reg")
    ship(a, b)
    pid = made["members"][0]["id"]
    stamp = str(hlc.tick(hlc.Timestamp.parse(store.setting(a, "hlc"))))
    odd = {"stray": 1, "id": "someone-else", "given_name": "Zaid"}
    with write(b):
        apply.apply_changes(b, [Change("SA2", 5, stamp, "people", pid, "upsert", odd)], "SB3")
    assert (
        next(b.query("select given_name from people where id = ?", [pid]))["given_name"] == "Zaid"
    )
    assert not list(b.query("select 1 from people where id = 'someone-else'"))


def test_several_updates_whose_records_never_arrived_are_each_skipped(sites):
    _a, b = sites
    stamp = "0000000000000001.0000"
    late = [
        Change(
            "SA2", n, stamp, "people", f"p{n}", "upsert", {"given_name": "x"}, {"given_name": "v"}
        )
        for n in (1, 2)
    ]
    with write(b):
        changelog.save_meta(b, "people", "p1", {"given_name": "0000000000000000.0001@SA2"}, None)
        changelog.save_meta(b, "people", "p2", {"given_name": "0000000000000000.0001@SA2"}, None)
        assert apply.apply_changes(b, late, "SB3").skipped == 2


def test_a_batch_out_of_order_is_applied_whole(sites):
    a, b = sites
    records.create_household(a, household_body(), "reg")
    changes = changelog.changes_since(a, "SA2", 0)
    with write(b):
        result = apply.apply_changes(b, [changes[1], changes[0], *changes[2:]], "SB3")
    assert (result.applied, result.held) == (4, 0)
