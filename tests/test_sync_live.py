"""Sync against a real HQ server process: the CLI end to end, and HQ killed mid-answer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fieldreg import records
from fieldreg.cli import cli
from fieldreg.db import connect
from sync import store
from tests.conftest import LiveServer, household_body


def run(data, *args):
    result = CliRunner().invoke(cli, ["--data", str(data), *args])
    return result


@pytest.fixture
def hq_dir(tmp_path):
    path = tmp_path / "hq"
    assert run(path, "init", "--code", "HQ2").exit_code == 0
    return path


def join_station(hq_dir, data_dir, url):
    added = run(hq_dir, "stations", "add", "T3S", "--name", "Bab", "--url", url)
    assert added.exit_code == 0, added.output
    credential = added.output.strip().splitlines()[-1]
    joined = run(data_dir, "join", credential)
    assert joined.exit_code == 0 and "T3S joined HQ HQ2" in joined.output
    assert credential not in joined.output


def people_at(path) -> int:
    db = connect(path / "fieldreg.db")
    try:
        return db.execute("select count(*) from people").fetchone()[0]
    finally:
        db.close()


def test_cli_stations_add_join_sync_against_live_hq(hq_dir, data_dir):
    server = LiveServer(hq_dir, role="hq").start()
    try:
        join_station(hq_dir, data_dir, "http://127.0.0.1:9")  # wrong URL in the credential
        station = connect(data_dir / "fieldreg.db")
        records.create_household(station, household_body(), "reg")
        failed = run(data_dir, "sync")
        assert failed.exit_code != 0 and "Sync failed" in failed.output
        done = run(data_dir, "sync", "--hq", server.url)
        assert done.exit_code == 0, done.output
        assert "4 sent (HQ has up to 4), 0 received" in done.output
        assert people_at(hq_dir) == 3
        listed = run(hq_dir, "stations", "list")
        assert listed.output.startswith("T3S\t") and "\tnetwork\t4" in listed.output
        station.close()
    finally:
        server.stop()


def test_hq_killed_after_applying_then_resync(hq_dir, data_dir):
    crashing = LiveServer(hq_dir, role="hq", env={"FIELDREG_SYNC_FAULT": "crash-after-apply"})
    crashing.start()
    join_station(hq_dir, data_dir, crashing.url)
    station = connect(data_dir / "fieldreg.db")
    records.create_household(station, household_body(), "reg")
    try:
        failed = run(data_dir, "sync")
        assert failed.exit_code != 0 and "Sync failed" in failed.output
        crashing.proc.wait(10)
        assert crashing.proc.returncode == 3  # died after committing, before answering
        assert people_at(hq_dir) == 3 and store.setting(station, "sync_acked", "0") == "0"
    finally:
        crashing.stop()
    server = LiveServer(hq_dir, role="hq")
    server.port, server.url = crashing.port, crashing.url
    server.start()
    try:
        done = run(data_dir, "sync")
        assert done.exit_code == 0, done.output
        assert store.setting(station, "sync_acked") == "4" and people_at(hq_dir) == 3
    finally:
        server.stop()
        station.close()


def test_cli_bundle_export_import(hq_dir, data_dir, tmp_path):
    join_station(hq_dir, data_dir, "http://hq")
    station = connect(data_dir / "fieldreg.db")
    records.create_household(station, household_body(), "reg")
    stick = tmp_path / "stick.frb"
    exported = run(data_dir, "bundle", "export", str(stick))
    assert exported.exit_code == 0 and "4 changes" in exported.output
    imported = run(hq_dir, "bundle", "import", str(stick))
    assert imported.exit_code == 0 and "4 new" in imported.output
    assert "0 new" in run(hq_dir, "bundle", "import", str(stick)).output
    stick.write_bytes(stick.read_bytes()[:-10])
    refused = run(hq_dir, "bundle", "import", str(stick))
    assert refused.exit_code != 0 and "truncated" in refused.output
    hq = connect(hq_dir / "fieldreg.db")
    code = next(hq.query("select code from people"))["code"]
    records.update_person(hq, code, {"age_years": 50}, "hq")  # a correction for the station
    hq.close()
    back = tmp_path / "back.frb"
    assert run(hq_dir, "bundle", "export", str(back), "--for", "T3S").exit_code == 0
    first = run(data_dir, "bundle", "import", str(back))
    assert first.exit_code == 0 and "1 new" in first.output
    assert store.setting(station, "sync_acked") == "4"
    again = run(data_dir, "bundle", "import", str(back))  # issue 13: it said "1 new" again
    assert again.exit_code == 0 and "0 new" in again.output
    station.close()
