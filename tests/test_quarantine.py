"""A station stuck by a change HQ refuses for ever gets unstuck by an admin, audited (issue 13).

Before stations checked HQ's tables, an analyst's deduplication decision could be recorded at
a station: HQ refuses it for ever (only HQ writes them) and, as HQ takes a batch whole, every
later push with it. The admin lists what HQ refused and sets the change aside: it is kept in
the quarantine for audit, and the later changes reach HQ.
"""

from __future__ import annotations

import re

import pytest

from fieldreg import audit, create_app, quarantine, records, subject
from fieldreg.db import write
from fieldreg.errors import Conflict, DomainError
from sync import changelog
from tests.conftest import AuthActions, household_body
from tests.synckit import join_stations, make_hq, sync_with
from tests.test_cli_commands import fr


def record_old_hole(db, a: str = "p-1", b: str = "p-2") -> str:
    """Record, as stations once could, an analyst's decision HQ alone may write."""
    row = {"id": records.new_id(), "a": a, "b": b, "verdict": "same",
           "actor": "analyst", "at": "2026-11-20T10:00:00+00:00"}  # fmt: skip
    with write(db):
        db.execute("insert into dedup_decisions (id, a, b, verdict, actor, at) "
                   "values (:id, :a, :b, :verdict, :actor, :at)", row)  # fmt: skip
        changelog.record_many(db, [("dedup_decisions", row["id"], "append", row)], fresh=True)
    return row["id"]


@pytest.fixture
def stuck(tmp_path):
    """HQ and station K7M, whose log holds the old hole followed by a new household."""
    app, hq = make_hq(tmp_path / "hq")
    station = join_stations(hq, tmp_path, ["K7M"])["K7M"]
    first, _ = records.create_household(station, household_body(), "reg1")
    sync_with(station, app)
    decision = record_old_hole(station)
    later, _ = records.create_household(station, household_body(phone="0933000111"), "reg1")
    yield {"app": app, "hq": hq, "station": station, "decision": decision, "later": later,
           "folder": tmp_path / "K7M"}  # fmt: skip
    station.close()
    hq.close()


def held_at_hq(hq, household) -> bool:
    return bool(hq.execute("select 1 from households where id = ?", [household["id"]]).fetchone())


def test_a_station_stuck_by_a_refused_change_is_unstuck_by_setting_it_aside(stuck):
    station, hq, app = stuck["station"], stuck["hq"], stuck["app"]
    for _ in range(2):  # refused for ever: every push, the later household with it
        with pytest.raises(DomainError, match="only HQ writes dedup_decisions"):
            sync_with(station, app)
    assert not held_at_hq(hq, stuck["later"])
    (listed,) = quarantine.refused(station)
    assert (listed["tbl"], listed["record_id"], listed["op"]) == (
        "dedup_decisions", stuck["decision"], "append")  # fmt: skip
    assert "only HQ writes dedup_decisions" in listed["reason"] and listed["refused_at"]
    seq, before = listed["seq"], station.execute("select max(seq) from changes").fetchone()[0]
    done = quarantine.set_aside(station, seq, "admin1")
    assert done["seq"] == seq and quarantine.refused(station) == []
    kept = quarantine.quarantined(station)
    assert [(k["seq"], k["tbl"], k["set_aside_by"]) for k in kept] == [
        (seq, "dedup_decisions", "admin1")]  # fmt: skip
    assert station.execute("select data from sync_quarantine").fetchone()[0] != "{}"
    # The log stays gapless: the later changes moved down by one, and now reach HQ.
    assert station.execute("select max(seq) from changes").fetchone()[0] == before - 1
    sync_with(station, app)
    assert held_at_hq(hq, stuck["later"])
    assert not hq.execute("select 1 from dedup_decisions").fetchone()
    (line,) = audit.entries(station, action="sync_set_aside")
    assert (line["actor"], line["record_id"]) == ("admin1", stuck["decision"])
    assert "only HQ writes" in line["detail"]


def test_only_a_refused_unacknowledged_change_can_be_set_aside(stuck):
    station = stuck["station"]
    with pytest.raises(Conflict):
        quarantine.set_aside(station, 1, "admin1")  # HQ holds it
    last = station.execute("select max(seq) from changes").fetchone()[0]
    with pytest.raises(Conflict):
        quarantine.set_aside(station, last, "admin1")  # unacknowledged, but nobody refused it
    assert not station.execute("select 1 from sync_quarantine").fetchone()


def test_the_commands_list_and_set_aside_in_fresh_processes(stuck):
    """Over USB HQ's reason stays at HQ: the station's own check finds the change too."""
    folder = stuck["folder"]
    listed = fr(folder, "refused", "list").stdout
    assert "dedup_decisions" in listed and "only HQ writes" in listed
    seq = listed.split("\t")[0]
    out = fr(folder, "refused", "set-aside", seq, "--by", "admin1").stdout
    assert f"Change {seq} " in out and "set aside" in out
    assert "HQ refused none" in fr(folder, "refused", "list").stdout
    assert "admin1" in fr(folder, "refused", "list", "--set-aside").stdout
    sync_with(stuck["station"], stuck["app"])
    assert held_at_hq(stuck["hq"], stuck["later"])


def test_the_sync_page_lists_the_refused_change_and_an_admin_sets_it_aside(stuck):
    station, app = stuck["station"], stuck["app"]
    with pytest.raises(DomainError):
        sync_with(station, app)
    page_app = create_app({"DATA": str(stuck["folder"]), "TESTING": True})
    coordinator = AuthActions(page_app.test_client(), station)
    coordinator.login("coordinator")
    page = coordinator.client.get("/sync/").get_data(as_text=True)
    assert "data-refused" in page and "only HQ writes dedup_decisions" in page
    assert "Only an admin can set a change aside." in page
    (seq,) = re.findall(r'data-seq="(\d+)"', page)
    denied = coordinator.client.post(f"/sync/refused/{seq}",
                                     data={"csrf_token": coordinator.csrf()})  # fmt: skip
    assert denied.status_code == 403 and quarantine.refused(station)
    admin = AuthActions(page_app.test_client(), station)
    admin.login("admin", "admin1")
    done = admin.client.post(f"/sync/refused/{seq}", data={"csrf_token": admin.csrf()},
                             follow_redirects=True)  # fmt: skip
    assert "The change was set aside" in done.get_data(as_text=True)
    assert quarantine.refused(station) == [] and quarantine.quarantined(station)
    sync_with(station, app)
    assert held_at_hq(stuck["hq"], stuck["later"])


def test_erasing_a_person_empties_a_set_aside_change_about_them(stuck):
    """A quarantined change is kept for audit, but erasure reaches it like the log (issue 13)."""
    station = stuck["station"]
    person = stuck["later"]["members"][0]
    decision = record_old_hole(station, person["id"], "p-2")
    seq = next(c["seq"] for c in quarantine.refused(station) if c["record_id"] == decision)
    quarantine.set_aside(station, seq, "admin1")
    held = "select data from sync_quarantine where data like ?"
    assert station.execute(held, [f"%{person['id']}%"]).fetchone()
    subject.erase_person(station, person["code"], "admin1")
    assert not station.execute(held, [f"%{person['id']}%"]).fetchone()
