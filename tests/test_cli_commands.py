"""Every command as users run it: `python -m fieldreg --data DIR ...` in a fresh process.

A test process has imported far more than a command does, so a command tested in-process can
pass while the real one lacks a collaborator (HQ's export had no clusters, purge left triage
behind). Here each command runs alone in a subprocess against a real data folder (issue 16).
One small world is built once: an HQ (served for real), station T3S syncing over the
network and station T4S carrying a USB bundle, both registering the same family.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from fieldreg import records
from fieldreg.db import connect, prepare
from tests.conftest import ROOT, LiveServer, household_body
from tests.test_dedup_hq import LATIN, background

PIN = "583920"


def fr(data: Path, *args: str, env: dict | None = None, ok: bool = True):
    """Run one command in a fresh interpreter; return the finished process."""
    done = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def last_line(done) -> str:
    """Return the last line a command printed (credentials and tokens are printed there)."""
    return done.stdout.strip().splitlines()[-1]


def register(data: Path, members: list[dict]) -> dict:
    """Register a household at a station, as the desk would."""
    db = connect(prepare(data))
    try:
        return records.create_household(db, household_body(members=members), "reg")[0]
    finally:
        db.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """HQ with a population to learn from; T3S synced over HTTP, T4S by USB bundle; dedup run."""
    root = tmp_path_factory.mktemp("cli")
    hq, t3s, t4s = root / "hq", root / "t3s", root / "t4s"
    fr(hq, "init", "--code", "HQ2", "--name", "HQ")
    db = connect(prepare(hq))
    background(db)
    db.close()
    server = LiveServer(hq, role="hq").start()
    try:
        for code, folder in (("T3S", t3s), ("T4S", t4s)):
            credential = last_line(fr(hq, "stations", "add", code, "--url", server.url))
            fr(folder, "init", "--code", code)
            assert code in fr(folder, "join", credential).stdout
        register(t3s, household_body()["members"])
        register(t4s, LATIN)
        assert "Sync done: 4 sent" in fr(t3s, "sync").stdout  # a household and 3 people
        bundle = root / "t4s.bundle"
        assert "changes" in fr(t4s, "bundle", "export", str(bundle)).stdout
        assert "Bundle from T4S applied" in fr(hq, "bundle", "import", str(bundle)).stdout
        assert "unique people" in fr(hq, "dedup").stdout
        yield {"root": root, "hq": hq, "t3s": t3s, "t4s": t4s, "server": server}
    finally:
        server.stop()


def test_stations_list_shows_both_paths(world):
    listed = fr(world["hq"], "stations", "list").stdout
    assert {line.split("\t")[0]: line.split("\t")[2] for line in listed.splitlines()} == {
        "T3S": "network",
        "T4S": "bundle",
    }


def by_name(rows: list[dict]) -> dict[str, str]:
    """Map the test family's given names (both stations) to their cluster ids."""
    return {
        (r["given_name"], r["station"]): r["cluster_id"]
        for r in rows
        if r["station"] in ("T3S", "T4S")
    }


def test_export_after_dedup_carries_the_clusters_in_a_fresh_process(world):
    out = world["root"] / "people.csv"
    fr(world["hq"], "export", "--format", "csv", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    clusters = by_name(rows)
    assert clusters[("محمد", "T3S")] == clusters[("Mohamad", "T4S")]
    assert clusters[("Zainab", "T3S")] == clusters[("Zaynab", "T4S")]
    assert clusters[("محمد", "T3S")] != clusters[("Zainab", "T3S")]
    assert sum(r["cluster_id"] != r["id"] for r in rows) >= 6, "linked people share a cluster"
    book = world["root"] / "all.xlsx"
    fr(world["hq"], "export", "--format", "xlsx", str(book))
    sheet = openpyxl.load_workbook(book, read_only=True)["people"]
    values = list(sheet.values)
    header = list(values[0])
    xlsx_rows = [dict(zip(header, row, strict=False)) for row in values[1:] if row[0]]
    assert by_name(xlsx_rows) == clusters


def test_a_bundle_from_hq_reaches_the_usb_station(world):
    bundle = world["root"] / "for-t4s.bundle"
    fr(world["hq"], "bundle", "export", str(bundle), "--for", "T4S")
    done = fr(world["t4s"], "bundle", "import", str(bundle))
    assert "Bundle from HQ2 applied" in done.stdout
    db = connect(prepare(world["t4s"]))
    try:
        stations = {r["station"] for r in db.query("select distinct station from households")}
    finally:
        db.close()
    assert "T3S" in stations, "the USB station learns of the other station's family"


def test_a_damaged_bundle_is_refused_with_a_message(world):
    bad = world["root"] / "bad.bundle"
    bad.write_bytes(b"not a bundle at all")
    done = fr(world["hq"], "bundle", "import", str(bad), ok=False)
    assert done.returncode == 1 and "Error:" in done.stderr and "Traceback" not in done.stderr


def test_users_add_list_and_unlock(tmp_path):
    data = tmp_path / "d"
    assert "added" in fr(data, "users", "add", "rana", "--role", "coordinator", "--pin", PIN).stdout
    listed = fr(data, "users", "list").stdout
    assert "rana\tcoordinator" in listed
    taken = fr(data, "users", "add", "rana", "--role", "medic", "--pin", PIN, ok=False)
    assert taken.returncode == 1 and "taken" in taken.stderr
    db = connect(prepare(data))
    db.execute("update users set failed_logins = 9, locked_until = '2999-01-01T00:00:00+00:00'")
    db.conn.commit()
    db.close()
    assert "unlocked" in fr(data, "users", "unlock", "rana").stdout
    db = connect(prepare(data))
    try:
        row = next(db.query("select failed_logins, locked_until from users"))
    finally:
        db.close()
    assert (row["failed_logins"], row["locked_until"]) == (0, None)


def test_tokens_create_list_revoke(tmp_path):
    data = tmp_path / "d"
    secret = last_line(fr(data, "tokens", "create", "importer", "--role", "analyst"))
    assert secret.startswith("frt_")
    listed = fr(data, "tokens", "list").stdout
    token_id, name, role = listed.splitlines()[0].split("\t")[:3]
    assert (name, role) == ("importer", "analyst") and secret not in listed
    assert "revoked" in fr(data, "tokens", "revoke", token_id).stdout
    assert "revoked" in fr(data, "tokens", "list").stdout


def test_backup_list_and_restore(tmp_path):
    data = tmp_path / "d"
    register(data, household_body()["members"][:1])
    written = fr(data, "backup", "now").stdout
    path = Path(written.strip().split(": ", 1)[1])
    assert path.exists() and str(path) in fr(data, "backup", "list").stdout
    register(data, LATIN[:1])
    done = fr(data, "restore", str(path))
    assert "Restored" in done.stdout
    db = connect(prepare(data))
    try:
        assert db["households"].count == 1, "the household registered after the backup is gone"
    finally:
        db.close()


def test_rekey_changes_the_passphrase(tmp_path):
    data = tmp_path / "d"
    fr(data, "init", "--code", "R2K")
    new = "a brand new passphrase"
    assert "changed" in fr(data, "rekey", env={"FIELDREG_NEW_PASSPHRASE": new}).stdout
    assert "R2K" in fr(data, "init", env={"FIELDREG_PASSPHRASE": new}).stdout
    old = fr(data, "init", ok=False)
    assert old.returncode != 0 and "Traceback" not in old.stderr


def test_purge_erases_closed_people_with_their_triage_and_movements(tmp_path):
    data = tmp_path / "d"
    household = register(data, household_body()["members"][:1])
    db = connect(prepare(data))
    try:
        person = household["members"][0]
        from fieldreg import medical, movements

        medical.record_triage(db, person["code"], {"category": "minor", "note": "cut knee"}, "m")
        movements.move_person(db, person["code"], {"kind": "departed"}, "reg")
        old = "2020-01-01T00:00:00+00:00"
        db.execute("update people set updated_at = ?", [old])
        db.execute("update households set updated_at = ?", [old])
        db.conn.commit()
    finally:
        db.close()
    assert "1 people erased" in fr(data, "purge", "--days", "30").stdout
    db = connect(prepare(data))
    try:
        assert db["triage"].count == 0 and db["movements"].count == 0
        assert next(db.query("select given_name from people"))["given_name"] is None
    finally:
        db.close()


def test_dedup_csv_writes_id_and_cluster(tmp_path):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [
        ("1", "Mohamad", "Ahmad", "Halabi", "male", "41"),
        ("2", "محمد", "أحمد", "الحلبي", "male", "41"),
        ("3", "Fatima", "Omar", "Najjar", "female", "29"),
    ]
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "given_name", "father_name", "family_name", "sex", "age_years"])
        writer.writerows(rows)
    done = subprocess.run(
        [sys.executable, "-m", "fieldreg", "dedup-csv", str(source), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in found] == ["1", "2", "3"] and set(found[0]) == {"id", "cluster_id"}


def test_stations_hand_over_gives_the_usb_station_the_family_whole(world):
    """HQ hands T3S's household to T4S (issue 13): T4S's next bundle carries it whole."""
    db = connect(prepare(world["hq"]))
    try:
        code = next(db.query("select code from households where station = 'T3S'"))["code"]
    finally:
        db.close()
    done = fr(world["hq"], "stations", "hand-over", code, "T4S")
    assert "4 records now belong to T4S (4 handed over)" in done.stdout
    refused = fr(world["t4s"], "stations", "hand-over", code, "T4S", ok=False)
    assert refused.returncode == 1 and "Only HQ" in refused.stderr
    bundle = world["root"] / "handed.bundle"
    fr(world["hq"], "bundle", "export", str(bundle), "--for", "T4S")
    fr(world["t4s"], "bundle", "import", str(bundle))
    db = connect(prepare(world["t4s"]))
    try:
        assert next(db.query("select phone from households where code = ?", [code]))["phone"]
    finally:
        db.close()
