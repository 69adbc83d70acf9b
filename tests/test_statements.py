"""Signed counts (issue 18): a convoy's count signed with the site's key, checked by anyone;
a changed byte fails; HQ knows a station's key; the command line and the page agree."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys

import httpx

from fieldreg import boarding, convoys, records, statements, syncing
from tests.conftest import ROOT, household_body
from tests.test_convoys import network, site  # noqa: F401  (the fixture)


def counted(db) -> str:
    """A convoy with one bus on which a household of three boarded; return its id."""
    convoy = convoys.create_convoy(db, {"reference": "C-9", "agency": "SARC"}, "coord")
    bus = convoys.create_vehicle(db, {"convoy_id": convoy["id"], "kind": "bus", "expected": 4},
                                 "coord")  # fmt: skip
    hh, _ = records.create_household(db, household_body(), "reg")
    boarding.scan(db, bus["id"], {"code": hh["code"], "kind": "board"}, "reg", False)
    return convoy["id"]


def test_a_signed_count_verifies_and_any_change_breaks_it(db):
    signed = statements.sign(db, counted(db), "coord")
    body = signed["statement"]
    assert (body["totals"]["boarded"], body["totals"]["expected"], body["totals"]["vehicles"]) == (
        3, 4, 1)  # fmt: skip
    assert body["scans"]["lines"] == 3 and len(body["scans"]["sha256"]) == 64
    assert "محمد" not in json.dumps(signed, ensure_ascii=False)  # counts and codes, no names
    checked = statements.verify(json.dumps(signed).encode())
    assert checked["valid"] and checked["signer"] == "T3S"
    assert checked["fingerprint"] == signed["fingerprint"]
    for change in (("totals", "boarded", 4), ("convoy", "agency", "UNHCR"),
                   ("scans", "lines", 2)):  # fmt: skip
        tampered = copy.deepcopy(signed)
        tampered["statement"][change[0]][change[1]] = change[2]
        assert statements.verify(tampered)["valid"] is False
    other_key = {**signed, "signature": signed["signature"][::-1]}
    assert not statements.verify(other_key)["valid"]
    assert not statements.verify(b"not json")["valid"]
    assert statements.verify(signed, expected=signed["fingerprint"])["valid"]
    assert not statements.verify(signed, expected="0123456789abcdef")["valid"]


def test_hq_knows_the_key_of_the_station_that_signed(network):  # noqa: F811
    hq_db, hq_app, st = network
    signed = statements.sign(st["D2P"], counted(st["D2P"]), "coord")
    assert statements.known_key(hq_db, signed["public_key"]) == "station D2P"
    assert statements.known_key(st["R3A"], signed["public_key"]) is None
    syncing.run_sync(st["D2P"], transport=httpx.WSGITransport(app=hq_app))
    hq_signed = statements.sign(hq_db, convoys.list_convoys(hq_db)[0]["id"], "hq")
    assert statements.known_key(st["R3A"], hq_signed["public_key"]) == "HQ HQ2"


def fr(data, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fieldreg", "--data", str(data), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ})  # fmt: skip


def test_the_command_line_signs_and_verifies(db, data_dir, tmp_path):
    counted(db)
    out = tmp_path / "count.json"
    done = fr(data_dir, "convoy", "sign", "C-9", str(out))
    assert done.returncode == 0, done.stderr
    assert "3 boarded" in done.stdout
    checked = fr(data_dir, "convoy", "verify", str(out))
    assert checked.returncode == 0 and "Intact" in checked.stdout and "3 boarded" in checked.stdout
    signed = json.loads(out.read_text())
    signed["statement"]["totals"]["boarded"] = 30
    out.write_text(json.dumps(signed))
    altered = fr(data_dir, "convoy", "verify", str(out))
    assert altered.returncode == 1 and "ALTERED" in altered.stdout
    assert fr(data_dir, "convoy", "sign", "no-such", str(out)).returncode == 1
    listed = fr(data_dir, "convoy", "list")
    assert "C-9" in listed.stdout and "3 boarded" in listed.stdout


def test_the_page_checks_an_uploaded_statement(client, auth_actions, db):
    convoy_id = counted(db)
    auth_actions.login("coordinator")
    csrf = auth_actions.csrf()
    signed = client.post(f"/convoys/{convoy_id}/statement", data={"csrf_token": csrf}).data
    auth_actions.login("medic")  # anyone may check one
    csrf = auth_actions.csrf()
    page = client.post(
        "/convoys/verify",
        data={"csrf_token": csrf, "file": (io.BytesIO(signed), "c.json")},
        content_type="multipart/form-data",
    )
    assert b'data-verdict="valid"' in page.data and b"this site" in page.data
    changed = signed.replace(b'"boarded": 3', b'"boarded": 13')
    page = client.post(
        "/convoys/verify",
        data={"csrf_token": csrf, "file": (io.BytesIO(changed), "c.json")},
        content_type="multipart/form-data",
    )
    assert b'data-verdict="invalid"' in page.data
    api = client.post("/api/v1/statements/verify", data=signed,
                      headers=auth_actions.token("registrar")).get_json()  # fmt: skip
    assert api["valid"] and api["known_key"] == "this site"


def test_a_hostile_statement_is_not_a_statement(client, auth_actions):
    """Issue 13: a deeply nested body sent to be checked answered 500 (RecursionError)."""
    headers = auth_actions.token("registrar")
    for body in (b"[" * 5000 + b"]" * 5000, b'{"statement": "\\ud800"}', b"\xff\xfe"):
        answer = client.post("/api/v1/statements/verify", data=body, headers=headers)
        assert answer.status_code == 200 and answer.get_json()["valid"] is False
    auth_actions.login("medic")
    page = client.post(
        "/convoys/verify",
        data={"csrf_token": auth_actions.csrf(), "file": (io.BytesIO(b"[" * 5000), "c.json")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200 and b'data-verdict="invalid"' in page.data
