"""Hybrid logical clocks: read strictly, compared as clocks, never as text (issue 13)."""

from __future__ import annotations

import httpx
import pytest

from fieldreg import records
from fieldreg.db import write
from sync import apply, changelog, client, hlc, protocol
from sync.changelog import Change
from tests.conftest import household_body
from tests.test_sync_http import hq, make_site, station  # noqa: F401  (fixtures)

GOOD = "0001764000000000.0000"


@pytest.mark.parametrize(
    "text",
    ["9.0", "1.0", "", "0001764000000000", "0001764000000000.00000", " 0001764000000000.0000",
     "-001764000000000.0000", "0001764000000000.000a", "00017640000000000.000", "١٧٦٤.٠"],
)  # fmt: skip
def test_malformed_readings_are_refused(text):
    """Regression (issue 13): '9.0' was read as (9, 0) and, compared as text, won forever."""
    with pytest.raises(ValueError):
        hlc.Timestamp.parse(text)
    bad = Change("SA2", 1, text, "people", "x", "upsert", {"given_name": "Mallory"})
    with pytest.raises(apply.Refused, match="bad clock"):
        apply.check(bad)


def test_well_formed_readings_round_trip_and_compare_as_clocks():
    stamp = hlc.Timestamp.parse(GOOD)
    assert str(stamp) == GOOD and stamp == hlc.Timestamp(1_764_000_000_000, 0)
    assert changelog.version_key(f"{GOOD}@AB2") < changelog.version_key("0001764000000001.0000@AA2")
    # A version stored before readings were checked sorts below every real one.
    assert changelog.version_key("9.0@ZZ9") < changelog.version_key(f"{GOOD}@AA2")


def test_a_counter_never_needs_a_fifth_digit():
    last = hlc.Timestamp(1_000, hlc.MAX_COUNTER)
    assert hlc.tick(last, now_ms=0) == hlc.Timestamp(1_001, 0)
    assert hlc.observe(last, hlc.Timestamp(1_000, hlc.MAX_COUNTER), now_ms=0).counter == 0
    assert hlc.Timestamp.parse(str(hlc.tick(last, now_ms=0)))


def test_a_stored_malformed_version_loses_to_a_later_edit(tmp_path):
    """A field version '9.0@…' kept from before the check must not beat a real edit."""
    a, b = make_site(tmp_path / "a", "SA2"), make_site(tmp_path / "b", "SB3")
    made, _ = records.create_household(a, household_body(), "reg")
    person = made["members"][0]
    with write(b):
        apply.apply_changes(b, changelog.changes_since(a, "SA2", 0), "SB3")
        versions, _ = changelog.meta(b, "people", person["id"])
        changelog.save_meta(b, "people", person["id"], {**versions, "given_name": "9.0@SZ9"}, None)
    records.update_person(a, person["code"], {"given_name": "Later"}, "reg")
    with write(b):
        apply.apply_changes(b, changelog.changes_since(a, "SA2", 4), "SB3")
    assert records.get_person(b, person["code"])["given_name"] == "Later"
    a.close()
    b.close()


def test_hq_refuses_a_malformed_clock_over_http(hq, station):  # noqa: F811
    """A station's batch with a clock like '9.0' is refused whole, in the one error shape."""
    app, hq_db = hq
    made, _ = records.create_household(station, household_body(), "reg")
    good = changelog.changes_since(station, "T3S", 0)
    forged = Change("T3S", 5, "9.0", "people", made["members"][0]["id"], "upsert", {"sex": "x"})
    cred = client.credential(station)
    body = protocol.seal(
        {"kind": "push", "site": "T3S"}, [*good, forged], "T3S", cred["sign"], cred["hq_box_pub"]
    )
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://hq") as http:
        answer = http.post(
            "/api/v1/sync/push",
            content=body,
            headers={"Authorization": f"Station T3S:{cred['token']}"},
        )
    assert answer.status_code == 400
    assert answer.json()["code"] == "batch_refused" and "bad clock" in answer.json()["error"]
    assert hq_db.execute("select count(*) from changes").fetchone()[0] == 0


def test_readings_stored_before_the_check_are_rewritten_the_same_way_everywhere(tmp_path):
    """An older site may hold readings the strict form refuses (a counter past 9999): the
    upgrade rewrites them on every site alike, so no pull or push is refused for them."""
    import sqlite_utils

    from fieldreg.migrations import migrations

    db = sqlite_utils.Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m090_sync_authority")
    db.execute("insert into settings (key, value) values ('hlc', '0001764000000000.12345')")
    for seq, stamp in ((1, "0001764000000000.12344"), (2, "0001764000000000.12345")):
        db.execute(
            "insert into changes (site, seq, hlc, tbl, record_id, op, data, recv) "
            "values ('SA2', ?, ?, 'triage', ?, 'append', '{}', ?)",
            [seq, stamp, f"t{seq}", seq],
        )
    migrations.apply(db)
    got = [r[0] for r in db.execute("select hlc from changes order by seq")]
    assert got == ["0001764000000001.2344", "0001764000000001.2345"]
    assert all(hlc.Timestamp.parse(stamp) for stamp in got)
    clock = db.execute("select value from settings where key = 'hlc'").fetchone()[0]
    assert clock == "0001764000000001.2345"


# The clock's rules one by one (issue 16: `make mutate` finds a failing test for each change).
T = hlc.Timestamp


def test_a_local_event_takes_the_wall_clock_or_counts_on_from_the_last():
    assert hlc.tick(T(1_000, 7), now_ms=1_001) == T(1_001, 0)  # the wall clock moved on
    assert hlc.tick(T(1_000, 7), now_ms=1_000) == T(1_000, 8)  # the same millisecond
    assert hlc.tick(T(1_000, 7), now_ms=400) == T(1_000, 8)  # the device clock went back
    assert hlc.tick(T(1_000, hlc.MAX_COUNTER - 1), now_ms=0) == T(1_000, hlc.MAX_COUNTER)


@pytest.mark.parametrize(
    ("last", "remote", "now", "after"),
    [
        (T(5_000, 3), T(9_000, 2), 1_000, T(9_000, 3)),  # the remote clock is ahead
        (T(9_000, 3), T(5_000, 8), 1_000, T(9_000, 4)),  # this site's clock is ahead
        (T(9_000, 3), T(9_000, 8), 1_000, T(9_000, 9)),  # both at one millisecond
        (T(9_000, 8), T(9_000, 3), 1_000, T(9_000, 9)),
        (T(5_000, 3), T(6_000, 8), 7_000, T(7_000, 0)),  # the wall clock is ahead of both
    ],
)
def test_a_received_reading_moves_the_clock_above_both(last, remote, now, after):
    assert hlc.observe(last, remote, now_ms=now) == after


def test_a_remote_clock_a_year_ahead_is_refused_and_the_limit_itself_is_not():
    limit = T(1_000 + hlc.MAX_DRIFT_MS)
    assert hlc.observe(hlc.ZERO, limit, now_ms=1_000) == T(limit.millis, 1)
    with pytest.raises(ValueError, match="^remote clock is implausibly far ahead$"):
        hlc.observe(hlc.ZERO, T(limit.millis + 1), now_ms=1_000)


def test_the_wall_clock_is_read_in_milliseconds():
    import time

    assert abs(hlc.wall_millis() - time.time() * 1000) < 1_000
    assert hlc.tick(hlc.ZERO).millis >= hlc.wall_millis() - 1_000  # without now_ms: the wall
    ahead = hlc.observe(hlc.ZERO, T(1))
    assert abs(ahead.millis - hlc.wall_millis()) < 1_000
    assert hlc.ahead_ms(T(5_000), now_ms=2_000) == 3_000
    assert abs(hlc.ahead_ms(T(hlc.wall_millis() + 60_000)) - 60_000) < 1_000


def test_a_reading_reads_back_whole_and_a_refusal_quotes_it():
    assert hlc.Timestamp.parse("0001764000000123.0042") == T(1_764_000_000_123, 42)
    with pytest.raises(ValueError, match=r"^not an HLC timestamp: '9\.0'$"):
        hlc.Timestamp.parse("9.0")
