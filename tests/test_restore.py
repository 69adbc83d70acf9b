"""Restore: a station comes back from a backup, its codes move on, a running server blocks it.

Syncing on after a restore (the changes made since numbered after those HQ already holds) is
tested with sync: tests/test_sync_http.py::test_a_restored_station_syncs_on_without_losing_a_change.
"""

import itertools
from pathlib import Path

import httpx
import pytest

from fieldreg import backup, records
from fieldreg.db import DB_NAME, connect, setting
from fieldreg.restore import RestoreRefused, restore
from sync import store
from tests.conftest import LiveServer, household_body
from tests.test_server import token_for


def count(db, sql):
    return next(db.query(sql))["n"]


def test_station_comes_back_from_a_backup(app, db, data_dir, tmp_path, runner):
    before = [records.create_household(db, household_body(), "t")[0] for _ in range(2)]
    made = backup.run(app.config["DATABASE"], tmp_path / "usb", keep=3)
    after = records.create_household(db, household_body(), "t")[0]  # lost with the laptop
    db.close()
    (data_dir / DB_NAME).write_bytes(b"this laptop's disk died")
    result = runner.invoke("restore", made["path"])
    assert result.exit_code == 0, result.output
    assert "kept as" in result.output and (data_dir / "replaced").is_dir()
    restored = connect(data_dir / DB_NAME)
    assert restored.execute("pragma integrity_check").fetchone()[0] == "ok"
    codes = {r["code"] for r in restored.query("select code from households")}
    assert codes == {h["code"] for h in before}
    assert int(setting(restored, "code_seq")) >= 1000 + 8  # past every code issued, and more
    restored.close()
    server = LiveServer(data_dir).start()
    try:
        answer = httpx.post(
            server.url + "/api/v1/households",
            json=household_body(),
            headers=token_for(data_dir),
            timeout=10,
        )
    finally:
        server.stop()
    assert answer.status_code == 201
    issued = {after["code"], *(m["code"] for m in after["members"])}
    assert answer.json()["code"] not in issued  # a tag printed after the backup stays unique


def test_restore_keeps_the_higher_code_counter(app, db, data_dir, tmp_path):
    made = backup.run(app.config["DATABASE"], tmp_path / "b", keep=3)
    for _ in range(5):
        records.create_household(db, household_body(), "t")
    seq_now = int(setting(db, "code_seq"))
    db.close()
    done = restore(data_dir, made["path"], skip_codes=10)
    assert done["code_seq"] == seq_now + 10


def test_restore_is_refused_while_the_server_runs(live_server, data_dir, app, tmp_path, runner):
    made = backup.run(app.config["DATABASE"], tmp_path / "b", keep=3)
    result = runner.invoke("restore", made["path"])
    assert result.exit_code != 0
    assert "in use by another FieldReg server" in result.output and "refused" in result.output
    assert not (data_dir / "replaced").exists()


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_a_bad_file_is_refused_and_nothing_changes(data_dir, tmp_path, content):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    with pytest.raises(RestoreRefused):
        restore(data_dir, bad)
    assert not (data_dir / "replaced").exists()


def test_a_new_laptop_comes_back_from_the_usb_stick(app, db, tmp_path):
    """The salt kept beside the backups, with the passphrase, opens them on another machine."""
    from click.testing import CliRunner

    from fieldreg.cli import cli

    household = records.create_household(db, household_body(), "t")[0]
    made = backup.run(app.config["DATABASE"], tmp_path / "usb", keep=3)
    new_laptop = tmp_path / "new-laptop"
    result = CliRunner().invoke(cli, ["--data", str(new_laptop), "restore", made["path"]])
    assert result.exit_code == 0, result.output
    assert "salt" in result.output
    restored = connect(new_laptop / DB_NAME)
    assert next(restored.query("select code from households"))["code"] == household["code"]
    restored.close()


STEPS = ("old HQ bundle", "new HQ bundle", "register", "export")


@pytest.mark.parametrize("order", list(itertools.permutations(STEPS)), ids=lambda o: " > ".join(o))
def test_a_restore_over_usb_loses_nothing_whatever_the_order(tmp_path, order):
    """Regression (issue 13): back up, register, export and import at HQ, restore, import
    HQ's bundle, register more: the next export said "0 changes" and the new households
    never reached HQ (also after an older HQ bundle). In every order of HQ's bundles (older
    and newer), new registrations and exports, HQ ends with every household once and the
    station's numbering continues above everything HQ acknowledged."""
    from fieldreg import bundles, syncing
    from fieldreg.errors import DomainError
    from sync import client
    from tests.synckit import make_site

    hq, station = make_site(tmp_path / "hq", "HQ2"), make_site(tmp_path / "st", "T3S")
    syncing.join(station, syncing.add_station(hq, "T3S", "", "http://hq"))
    first, _ = records.create_household(station, household_body(phone="0911 000 001"), "r")
    bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    old = bundles.export_bundle(hq, "T3S")[0]
    bundles.import_bundle(station, old)
    path = Path(station.execute("pragma database_list").fetchone()[2])
    made = backup.run(path, tmp_path / "usb", keep=3)
    lost, _ = records.create_household(station, household_body(phone="0911 000 002"), "r")
    bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    new = bundles.export_bundle(hq, "T3S")[0]
    station.close()
    restore(path.parent, made["path"])
    station = connect(path)
    later = []
    for step in order:
        if step == "register":
            later.append(records.create_household(station, household_body(phone="0911 9"), "r"))
        elif step == "export":
            try:
                bundles.import_bundle(hq, bundles.export_bundle(station)[0])
            except DomainError as refused:  # before hearing from HQ, or numbers HQ holds
                assert refused.code in ("conflict", "seq_reused"), refused.message
        else:
            bundles.import_bundle(station, old if step.startswith("old") else new)
    for _ in range(2):  # then the usual round trips
        bundles.import_bundle(station, bundles.export_bundle(hq, "T3S")[0])
        bundles.import_bundle(hq, bundles.export_bundle(station)[0])
    expected = {first["id"], lost["id"], *(h[0]["id"] for h in later)}
    assert {r[0] for r in hq.execute("select id from households")} == expected
    assert hq.execute("select count(*) from people").fetchone()[0] == 3 * len(expected)
    phones = [r[0] for r in hq.execute("select phone from households order by phone")]
    assert phones == sorted(["0911 000 001", "0911 000 002", *["0911 9"] * len(later)])
    assert client.pending(station) == 0
    head = hq.execute("select max(seq), count(*) from changes where site = 'T3S'").fetchone()
    assert head[0] == head[1] == int(store.setting(station, "sync_acked"))  # gapless, all acked
    station_ids = {r[0] for r in station.execute("select id from households")}
    assert {first["id"], *(h[0]["id"] for h in later)} <= station_ids
    hq.close()
    station.close()
