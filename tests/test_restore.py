"""Restore: a station comes back from a backup, its codes move on, a running server blocks it.

Syncing on after a restore (the changes made since numbered after those HQ already holds) is
tested with sync: tests/test_sync_http.py::test_a_restored_station_syncs_on_without_losing_a_change.
"""

import httpx
import pytest

from fieldreg import backup, records
from fieldreg.db import DB_NAME, connect, setting
from fieldreg.restore import RestoreRefused, restore
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
