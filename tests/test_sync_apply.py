"""Applying received changes: duplicates, gaps, tombstones, appends, unknown tables/columns."""

from __future__ import annotations

import pytest

from fieldreg import records
from fieldreg.db import write
from sync import apply, changelog, tables
from sync.changelog import Change
from tests.conftest import household_body
from tests.test_sync_http import make_site


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
