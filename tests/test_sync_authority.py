"""The sync authority rule (issue 13): a station appends what it saw about anyone it holds;
editing and erasing a record belong to its owner and HQ, or to whom HQ hands it over."""

from __future__ import annotations

import httpx
import pytest

from fieldreg import auth, bundles, create_app, medical, movements, records, subject, syncing
from fieldreg.db import connect
from fieldreg.errors import DomainError
from sync import authority, bundle, changelog, client, hlc, protocol
from sync.changelog import Change
from tests.conftest import household_body
from tests.test_sync_http import make_site


@pytest.fixture
def world(tmp_path):
    """HQ (HQ2) with stations A (T3S) and B (U4V); A registered a household, both synced."""
    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq = connect(app.config["DATABASE"])
    a, b = make_site(tmp_path / "a", "T3S"), make_site(tmp_path / "b", "U4V")
    for db, code in ((a, "T3S"), (b, "U4V")):
        syncing.join(db, syncing.add_station(hq, code, code, "http://hq"))
    made, _ = records.create_household(a, household_body(), "reg-a")
    medical.record_triage(a, made["members"][0]["code"], {"category": "delayed"}, "doc-a")
    world = {"app": app, "hq": hq, "a": a, "b": b, "made": made}
    sync(world, a)
    sync(world, b)
    yield world
    for db in (hq, a, b):
        db.close()


def sync(world, db):
    return syncing.run_sync(db, transport=httpx.WSGITransport(app=world["app"]))


def forged(db, entries: list[tuple[str, str, str, dict]]) -> list[Change]:
    """Changes a station's own code would refuse, numbered and stamped as it would."""
    site, seq = changelog.site_of(db), changelog.next_seq(db, changelog.site_of(db))
    stamp = str(hlc.Timestamp(hlc.wall_millis()))
    return [Change(site, seq + i, stamp, *entry) for i, entry in enumerate(entries)]


def push(world, db, changes) -> httpx.Response:
    """POST a sealed batch as the station would, with its own credential."""
    cred = client.credential(db)
    body = protocol.seal(
        {"kind": "push", "site": cred["station"]},
        changes,
        cred["station"],
        cred["sign"],
        cred["hq_box_pub"],
    )
    with httpx.Client(transport=httpx.WSGITransport(app=world["app"]), base_url="http://hq") as h:
        auth_header = {"Authorization": f"Station {cred['station']}:{cred['token']}"}
        return h.post("/api/v1/sync/push", content=body, headers=auth_header)


def usb(world, db, changes) -> bytes:
    """Seal the same batch as a USB bundle."""
    cred = client.credential(db)
    payload = {"kind": "push", "site": cred["station"], "changes": protocol.rows(changes)}
    return bundle.seal(payload, cred["station"], cred["sign"], cred["hq_box_pub"])


def forbidden(world) -> dict:
    """What B may not do to A's records: each a list of (table, id, op, data)."""
    person, household = world["made"]["members"][0], world["made"]
    triage_id = world["a"].execute("select id from triage").fetchone()[0]
    return {
        "rename": [("people", person["id"], "upsert", {"given_name": "Mallory"})],
        "re-date": [("people", person["id"], "upsert", {"created_at": "2001-01-01"})],
        "edit household": [("households", household["id"], "upsert", {"phone": "0999"})],
        "erase person": [("people", person["id"], "delete", {"reason": "x"})],
        "erase triage": [("triage", triage_id, "delete", {"reason": "x"})],
        "take ownership": [
            ("record_owners", person["id"], "upsert", {"tbl": "people", "owner": "U4V"})
        ],
    }


def allowed_fact(world) -> tuple:
    """A triage entry B may append about A's person (re-triage: its own, stamped as B)."""
    person = world["made"]["members"][0]
    row = {"id": records.new_id(), "person_id": person["id"], "category": "immediate",
           "conditions": "[]", "actor": "doc-b", "at": "2026-11-27T10:00:00+00:00"}  # fmt: skip
    return ("triage", row["id"], "append", row)


def hq_state(hq) -> tuple:
    return (
        hq.execute("select count(*) from changes").fetchone()[0],
        hq.execute("select group_concat(given_name) from people").fetchone()[0],
        hq.execute("select count(*) from triage").fetchone()[0],
    )


@pytest.mark.parametrize("what", ["rename", "re-date", "edit household", "erase person",
                                  "erase triage", "take ownership"])  # fmt: skip
def test_hq_refuses_a_write_of_anothers_record_over_http(world, what):
    hq, b = world["hq"], world["b"]
    before = hq_state(hq)
    answer = push(world, b, forged(b, [allowed_fact(world), *forbidden(world)[what]]))
    assert answer.status_code == 403
    body = answer.json()
    assert set(body) == {"error", "fields", "code"} and body["code"] == "not_owner"
    assert hq_state(hq) == before  # nothing of the batch, not even the allowed fact
    error = hq.execute("select last_error from sync_stations where code = 'U4V'").fetchone()[0]
    assert "U4V" in error and ("belongs to T3S" in error or "only HQ" in error)  # logged


@pytest.mark.parametrize("what", ["rename", "erase person", "erase triage"])
def test_hq_refuses_the_same_over_usb(world, what):
    hq, b = world["hq"], world["b"]
    before = hq_state(hq)
    with pytest.raises(DomainError) as refused:
        bundles.import_bundle(
            hq, usb(world, b, forged(b, [allowed_fact(world), *forbidden(world)[what]]))
        )
    assert (refused.value.code, refused.value.status) == ("not_owner", 403)
    assert hq_state(hq) == before


def test_a_station_adds_its_own_facts_about_anothers_person(world):
    """B re-triages A's person and records them leaving: appended, stamped as B, accepted."""
    a, b, hq = world["a"], world["b"], world["hq"]
    person = world["made"]["members"][0]
    medical.record_triage(b, person["code"], {"category": "immediate", "note": "worse"}, "doc-b")
    movements.move_person(b, person["code"], {"kind": "departed"}, "reg-b")
    assert sync(world, b).pushed == 3  # the triage, the movement, the presence status
    assert [t["category"] for t in medical.history(hq, person["id"])] == ["immediate", "delayed"]
    assert records.get_person(hq, person["code"])["status"] == "departed"
    sync(world, a)
    assert [t["note"] for t in medical.history(a, person["id"])] == ["worse", None]
    assert records.get_person(a, person["code"])["status"] == "departed"
    site = a.execute("select site from changes where tbl = 'triage' order by recv desc").fetchone()
    assert site[0] == "U4V"


def test_a_station_refuses_itself_what_hq_would_refuse(world, tmp_path):
    """The same rule guards B's own pages and API: nothing is recorded, nothing is pending."""
    b = world["b"]
    person = world["made"]["members"][0]
    pending = client.pending(b)
    with pytest.raises(authority.NotOwner):
        records.update_person(b, person["code"], {"given_name": "Mallory"}, "reg-b")
    with pytest.raises(authority.NotOwner):
        subject.erase_person(b, person["code"], "coordinator-b")
    app = create_app({"DATA": str(tmp_path / "b"), "TESTING": True})
    token = auth.create_token(b, "t", "admin")
    answer = app.test_client().patch(
        f"/api/v1/people/{person['code']}",
        json={"given_name": "Mallory"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403 and answer.json["code"] == "not_owner"
    assert client.pending(b) == pending
    assert records.get_person(b, person["code"])["given_name"] == person["given_name"]


def test_the_owner_erases_every_fact_about_its_person(world):
    """A's erasure removes B's triage about A's person too: A owns what it is about."""
    a, b, hq = world["a"], world["b"], world["hq"]
    person = world["made"]["members"][0]
    medical.record_triage(b, person["code"], {"category": "immediate", "note": "worse"}, "doc-b")
    sync(world, b)
    sync(world, a)
    subject.erase_person(a, person["code"], "coordinator-a")
    sync(world, a)
    assert hq.execute("select count(*) from triage").fetchone()[0] == 0
    assert records_deleted(hq, person["id"])


def records_deleted(db, person_id: str) -> bool:
    return db.execute("select deleted from people where id = ?", [person_id]).fetchone()[0] == 1


def test_hq_hands_a_household_over_and_the_new_owner_gets_it_whole(world):
    """HQ hands A's household to B (API): B receives the phone, may correct; A may not."""
    a, b, hq, app = world["a"], world["b"], world["hq"], world["app"]
    made = world["made"]
    assert b.execute("select phone from households").fetchone()[0] is None  # need to know
    token = auth.create_token(hq, "hq-coordinator", "coordinator")
    answer = app.test_client().post(
        "/api/v1/sync/owners",
        json={"code": made["code"], "station": "U4V"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {"code": made["code"], "owner": "U4V", "records": 4, "handed": 4}
    sync(world, b)
    assert b.execute("select phone from households").fetchone()[0] == made["phone"]
    records.update_person(b, made["members"][1]["code"], {"given_name": "Zaynab"}, "reg-b")
    assert sync(world, b).pushed == 1
    assert records.get_person(hq, made["members"][1]["code"])["given_name"] == "Zaynab"
    sync(world, a)
    with pytest.raises(authority.NotOwner):
        records.update_person(a, made["members"][1]["code"], {"given_name": "Zeinab"}, "reg-a")
    assert records.get_person(a, made["members"][1]["code"])["given_name"] == "Zaynab"


def test_handing_over_is_hqs_alone(world, tmp_path):
    made = world["made"]
    from click.testing import CliRunner

    from fieldreg.cli import cli

    world["b"].close()
    refused = CliRunner().invoke(
        cli, ["--data", str(tmp_path / "b"), "stations", "hand-over", made["code"], "U4V"]
    )
    assert refused.exit_code != 0 and "Only HQ" in refused.output
    world["b"] = connect(tmp_path / "b" / "fieldreg.db")
    world["hq"].close()
    done = CliRunner().invoke(
        cli, ["--data", str(tmp_path / "hq"), "stations", "hand-over", made["code"], "U4V"]
    )
    assert done.exit_code == 0 and "4 records now belong to U4V" in done.output
    world["hq"] = connect(tmp_path / "hq" / "fieldreg.db")
    assert authority.owner_of(world["hq"], "households", made["id"]) == "U4V"


def test_retention_at_a_station_erases_its_own_people_only(world):
    """B holds A's people for search; its retention leaves them to A (whose erasure reaches
    B by sync) instead of failing on a record it may not erase."""
    a, b = world["a"], world["b"]
    mine, _ = records.create_household(b, household_body(phone="0944 000 999"), "reg-b")
    for db in (a, b):
        db.execute("update people set status = 'departed', updated_at = '2020-01-01T00:00:00'")
    assert subject.purge_closed(b, 30) == 3
    left = {r[0] for r in b.execute("select household_id from people where deleted = 0")}
    assert left == {world["made"]["id"]}
    assert subject.purge_closed(a, 30) == 3
    sync(world, a)
    sync(world, b)
    assert b.execute("select count(*) from people where deleted = 0").fetchone()[0] == 0
    assert b.execute("select count(*) from people where given_name is not null").fetchone()[0] == 0
    assert mine["id"] not in left
