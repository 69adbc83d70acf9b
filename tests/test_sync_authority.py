"""The sync authority rule (issue 13): a station appends what it saw about anyone it holds;
editing and erasing a record belong to its owner and HQ, or to whom HQ hands it over."""

from __future__ import annotations

import httpx
import pytest

from fieldreg import (
    auth,
    bundles,
    create_app,
    dedup,
    medical,
    movements,
    ownership,
    records,
    subject,
    syncing,
)
from fieldreg.db import connect, write
from fieldreg.errors import DomainError
from sync import authority, bundle, changelog, client, hlc, protocol
from sync.changelog import Change
from tests.conftest import household_body
from tests.synckit import join_stations, make_hq


@pytest.fixture
def world(tmp_path):
    """HQ (HQ2) with stations A (T3S) and B (U4V); A registered a household, both synced."""
    app, hq = make_hq(tmp_path / "hq")
    a, b = join_stations(hq, tmp_path, ("T3S", "U4V"), names=("a", "b")).values()
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


def test_who_may_edit_or_erase_what_here(world):
    """HQ may write anything; a station its own records, and every fact about its people
    (even one another station recorded), never another's record (issue 16: make mutate)."""
    a, b, hq = world["a"], world["b"], world["hq"]
    theirs = world["made"]["members"][0]
    mine, _ = records.create_household(b, household_body(phone="0944 000 999"), "reg-b")
    sync(world, b)
    sync(world, a)
    fact = medical.record_triage(a, mine["members"][0]["code"], {"category": "minor"}, "doc-a")
    sync(world, a)
    sync(world, b)
    their_fact = a.execute("select id from triage where person_id = ?", [theirs["id"]])
    their_fact = their_fact.fetchone()[0]
    assert authority.may_write(hq, "people", theirs["id"]) is True
    assert authority.may_write(hq, "triage", fact["id"]) is True
    assert authority.may_write(b, "people", mine["members"][0]["id"]) is True
    assert authority.may_write(b, "people", theirs["id"]) is False
    assert authority.may_write(b, "triage", fact["id"]) is True  # recorded by A, about B's
    assert authority.may_write(b, "triage", their_fact) is False
    rewrite = ("triage", fact["id"], "upsert", {"category": "expectant"})
    assert authority.refusal(b, "U4V", rewrite) == (
        f"upsert of triage {fact['id']}: the record belongs to T3S"
    )  # erasing a fact about its person is the owner's; rewriting it is not
    assert authority.refusal(b, "U4V", ("triage", fact["id"], "append", {})) is not None


def test_an_erased_fact_stays_its_recorders(world):
    """Once a fact is gone from its table, only the station that recorded it may erase it."""
    a = world["a"]
    fact = a.execute("select id from triage").fetchone()[0]
    with write(a):
        changelog.record(a, "triage", fact, "delete", {"reason": "entered in error"})
    assert a.execute("select count(*) from triage").fetchone()[0] == 0
    why = authority.refusal(a, "U4V", ("triage", fact, "delete", {}))
    assert why == f"delete of triage {fact}: the record belongs to T3S"
    assert authority.refusal(a, "T3S", ("triage", fact, "delete", {})) is None


def test_repeats_pass_and_a_station_cannot_append_what_only_hq_writes(world):
    """HQ checks only what it has not applied yet; a station refuses itself a fact in an
    HQ-only table before HQ would refuse its whole batch (issue 16: make mutate)."""
    hq, b = world["hq"], world["b"]
    changes = forged(b, [allowed_fact(world), *forbidden(world)["rename"]])
    authority.check_batch(hq, "U4V", changes, head=changes[1].seq)  # both applied already
    with pytest.raises(authority.NotOwner, match="belongs to T3S"):
        authority.check_batch(hq, "U4V", changes, head=changes[0].seq)  # the rename is new
    with pytest.raises(authority.NotOwner, match="only HQ writes dedup_decisions"), write(b):
        changelog.record(b, "dedup_decisions", "d1", "append", {"verdict": "confirm"})
    assert not b.execute("select 1 from changes where tbl = 'dedup_decisions'").fetchall()


def test_a_station_cannot_close_anothers_tracing_cases_with_a_forged_decision(world):
    """Issue 13: B's credential names two of A's cases in a "confirm": HQ would close both
    (tracing_match.settle) and send them back closed. B owns neither, so HQ refuses."""
    from fieldreg import tracing
    from fieldreg.tracing_match import match_id

    a, b, hq = world["a"], world["b"], world["hq"]
    child = world["made"]["members"][2]["code"]
    first = tracing.open_case(a, {"kind": "child", "person_code": child}, "cw-a")["id"]
    second = tracing.open_case(a, {"kind": "enquiry", "given_name": "Layla"}, "cw-a")["id"]
    sync(world, a)
    row = {"id": records.new_id(), "match_id": match_id(first, second), "case_id": first,
           "target_id": second, "verdict": "confirm", "outcome": "reunified", "note": None,
           "actor": "mallory", "at": "2026-11-27T10:00:00+00:00"}  # fmt: skip
    answer = push(world, b, forged(b, [("tracing_decisions", row["id"], "append", row)]))
    assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    statuses = hq.execute("select distinct status from tracing_cases").fetchall()
    assert statuses == [("open",)]
    assert hq.execute("select count(*) from tracing_decisions").fetchone()[0] == 0


@pytest.mark.parametrize("tbl", ["tracing_cases", "households"])
def test_a_station_cannot_create_records_in_anothers_name(world, tbl):
    """Issue 13: B's credential created a case (or a household) whose ``station`` said T3S:
    HQ's caseworkers saw a child "registered at T3S" that T3S never saw."""
    b, hq = world["b"], world["hq"]
    record_id = records.new_id()
    row = {"id": record_id, "station": "T3S", "status": "open" if tbl != "households" else
           "present", "created_at": "2026-11-27T10:00:00+00:00"}  # fmt: skip
    if tbl == "tracing_cases":
        row.update({"kind": "enquiry", "given_name": "Forged", "siblings": "[]"})
    else:
        row["code"] = "T3S-ZZZZZZ"
    answer = push(world, b, forged(b, [(tbl, record_id, "upsert", row)]))
    assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    assert hq.execute(f"select count(*) from {tbl} where id = ?", [record_id]).fetchone()[0] == 0
    honest = {**row, "station": "U4V", "id": records.new_id()}
    assert push(world, b, forged(b, [(tbl, honest["id"], "upsert", honest)])).status_code == 200


def test_a_station_refuses_itself_a_write_only_hq_makes(world, tmp_path):
    """Issue 13: an analyst at a station linked two people (POST /api/v1/dedup/decisions):
    the decision, HQ's alone, was recorded, and HQ refused every later batch of the station
    (its registrations never reached HQ again). The station refuses it itself."""
    b = world["b"]
    first, second = (m["id"] for m in world["made"]["members"][:2])
    pending = client.pending(b)
    app = create_app({"DATA": str(tmp_path / "b"), "TESTING": True})
    token = auth.create_token(b, "t", "analyst")
    answer = app.test_client().post(
        "/api/v1/dedup/decisions",
        json={"a": first, "b": second, "verdict": "confirm"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 404 and set(answer.json) == {"error", "fields", "code"}
    with pytest.raises(authority.NotOwner):  # and whatever path calls it, the rule holds
        dedup.decide(b, first, second, "confirm", "analyst-b")
    assert client.pending(b) == pending
    records.create_household(b, household_body(), "reg-b")
    assert sync(world, b).pushed > 0  # the station still syncs


def hostile_bundle(db, monkeypatch, header: bytes | None = None, text: str = "") -> bytes:
    """A batch sealed and signed with the station's own credential, whose bytes are hostile
    (or, with ``header``, an unsigned header: it is read before the signature is checked)."""
    import struct

    if header is not None:
        body, signature = b"x" * 16, b"\0" * bundle.SIG_LEN
        return b"".join([bundle.MAGIC, struct.pack(">I", len(header)), header,
                         struct.pack(">Q", len(body)), body, signature])  # fmt: skip
    cred = client.credential(db)
    with monkeypatch.context() as patch:
        patch.setattr(bundle.json, "dumps", lambda *_args, **_kwargs: text)
        return bundle.seal({}, cred["station"], cred["sign"], cred["hq_box_pub"])


def test_hostile_bytes_in_a_stations_batch_are_refused_not_a_500(world, monkeypatch):
    """Issue 13: a station's credential sent a batch nested 5,000 deep (or with a lone
    surrogate in a change): HQ answered 500. Any station is as hostile as any client."""
    hq, b = world["hq"], world["b"]
    before = hq_state(hq)
    change = (
        '{"v":%d,"kind":"push","site":"U4V","changes":[{"site":"U4V","seq":%d,"hlc":"%s",'
        '"tbl":"households","record_id":"h1","op":"upsert","data":{"id":"h1","code":"U4V-Z",'
        '"station":"U4V","status":"present","notes":"\\ud800"}}]}'
    )
    seq, stamp = changelog.next_seq(b, "U4V"), str(hlc.Timestamp(hlc.wall_millis()))
    station = {"Authorization": f"Station U4V:{client.credential(b)['token']}"}
    for body in (
        hostile_bundle(b, monkeypatch, header=b"[" * 5000 + b"]" * 5000),
        hostile_bundle(b, monkeypatch, text="[" * 5000 + "]" * 5000),
        hostile_bundle(b, monkeypatch, text=change % (protocol.VERSION, seq, stamp)),
    ):
        with httpx.Client(transport=httpx.WSGITransport(app=world["app"]),
                          base_url="http://hq") as http:  # fmt: skip
            answer = http.post("/api/v1/sync/push", content=body, headers=station)
        assert 400 <= answer.status_code < 500, answer.status_code
        assert set(answer.json()) == {"error", "fields", "code"}
    assert hq_state(hq) == before


def test_a_station_cannot_put_a_photo_on_anothers_case(world):
    """Issue 13: B's credential created the photo of A's child's case (its id is derived from
    the case's, so the first photo is a new record): HQ showed B's picture as A's child."""
    from fieldreg import tracing, tracing_photos

    a, b, hq = world["a"], world["b"], world["hq"]
    child = world["made"]["members"][2]["code"]
    case_id = tracing.open_case(a, {"kind": "child", "person_code": child}, "cw-a")["id"]
    sync(world, a)
    for photo_id in (tracing_photos.photo_id(case_id), records.new_id()):
        row = {"id": photo_id, "case_id": case_id, "mime": "image/jpeg", "data": "AAAA",
               "created_by": "mallory", "created_at": "2026-11-27T10:00:00+00:00",
               "updated_at": "2026-11-27T10:00:00+00:00", "deleted": 0}  # fmt: skip
        answer = push(world, b, forged(b, [("tracing_photos", photo_id, "upsert", row)]))
        assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    assert hq.execute("select count(*) from tracing_photos").fetchone()[0] == 0


def test_a_station_cannot_raise_a_proposal_on_anothers_records(world):
    """Issue 13: B's credential created a "probable" match of A's enquiry with A's household
    (found_by T3S): A received it, and its caseworker was asked to confirm a fabrication."""
    from fieldreg import tracing
    from fieldreg.tracing_match import match_id

    a, b, hq = world["a"], world["b"], world["hq"]
    body = {"kind": "enquiry", "given_name": "Omar", "family_name": "Halabi"}
    case_id = tracing.open_case(a, body, "cw-a")["id"]
    sync(world, a)
    target, pair = world["made"]["id"], match_id(case_id, world["made"]["id"])
    row = {"id": pair, "case_id": case_id, "target_kind": "household", "target_id": target,
           "stations": "T3S", "found_by": "T3S", "found_at": "2026-11-27T10:00:00+00:00",
           "updated_at": "2026-11-27T10:00:00+00:00", "deleted": 0, "score": 99.0,
           "label": "probable", "reasons": "[]", "person_id": None}  # fmt: skip
    answer = push(world, b, forged(b, [("tracing_matches", pair, "upsert", row)]))
    assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    sync(world, a)
    for db in (hq, a):
        assert db.execute("select count(*) from tracing_matches").fetchone()[0] == 0


@pytest.mark.parametrize("value", [None, ["x"], {"a": 1}], ids=["null", "list", "object"])
def test_a_value_hq_cannot_store_refuses_the_batch_not_a_500(world, value):
    """Issue 13: a station set the presence status of its person to null, a list or an
    object: HQ answered 500. It is refused like any malformed batch, nothing applied."""
    hq, a = world["hq"], world["a"]
    person = world["made"]["members"][0]
    before = hq_state(hq)
    change = ("people", person["id"], "upsert", {"status": value})
    answer = push(world, a, forged(a, [change]))
    assert answer.status_code == 400 and answer.json()["code"] == "batch_refused"
    assert hq_state(hq) == before
    assert records.get_person(hq, person["code"])["status"] == "present"


@pytest.mark.parametrize("value", ["<b>gone</b>", "deleted", 7])
def test_another_stations_presence_status_takes_only_a_presence(world, value):
    """Issue 13: the one column of A's person B may set (its presence, after a movement B
    recorded) took any value from B's credential: the person then counted as neither
    present nor gone on every dashboard."""
    hq, b = world["hq"], world["b"]
    person = world["made"]["members"][0]
    answer = push(world, b, forged(b, [("people", person["id"], "upsert", {"status": value})]))
    assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    assert records.get_person(hq, person["code"])["status"] == "present"
    moved = ("people", person["id"], "upsert", {"status": "departed"})
    assert push(world, b, forged(b, [moved])).status_code == 200


def test_ownership_belongs_to_a_table_and_an_id_not_to_an_id_alone(world):
    """issue 13: a record handed to B gives B no right over another table's record sharing
    its id, and B cannot create one (a vehicle whose id is the household's)."""
    hq, b, household = world["hq"], world["b"], world["made"]
    ownership.hand_over(hq, household["code"], "U4V", "hq-admin")
    assert authority.owner_of(hq, "households", household["id"]) == "U4V"
    assert authority.owner_of(hq, "vehicles", household["id"]) is None
    sync(world, b)
    before = hq_state(hq)
    vehicle = {"kind": "bus", "station": "U4V", "created_at": "2026-11-27T10:00:00+00:00"}
    answer = push(world, b, forged(b, [("vehicles", household["id"], "upsert", vehicle)]))
    assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    assert "households" in answer.json()["error"] and hq_state(hq) == before


def test_a_new_record_cannot_take_an_id_another_station_gave_a_record(world):
    """issue 13: B cannot block or shadow A's person with a vehicle of the same id."""
    hq, b = world["hq"], world["b"]
    person = world["made"]["members"][0]
    vehicle = {"kind": "bus", "station": "U4V", "created_at": "2026-11-27T10:00:00+00:00"}
    answer = push(world, b, forged(b, [("vehicles", person["id"], "upsert", vehicle)]))
    assert answer.status_code == 403 and answer.json()["code"] == "not_owner"
    assert not hq.execute("select 1 from vehicles where id = ?", [person["id"]]).fetchone()
    twice = [("convoys", "c-1", "upsert", {"reference": "X", "station": "U4V"}),
             ("vehicles", "c-1", "upsert", {"kind": "bus", "station": "U4V"})]  # fmt: skip
    assert push(world, b, forged(b, twice)).status_code == 403  # one id, two tables, one batch
