"""Hot backups: checked copies, keep-last-K, full or read-only or vanished media, the page."""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from fieldreg import backup, keyring, records
from fieldreg import db as storage
from tests.conftest import LiveServer, household_body


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "usb" / "fieldreg"


def register(db, n=1):
    return [records.create_household(db, household_body(), "test")[0] for _ in range(n)]


def files_in(path):
    """List the folder, leaving out the salt kept beside the backups."""
    names = sorted(p.name for p in path.iterdir()) if path.exists() else []
    return [name for name in names if not name.endswith(".salt")]


def test_backup_is_a_checked_self_contained_copy(app, db, folder):
    household = register(db)[0]
    attempt = backup.run(app.config["DATABASE"], folder, keep=3)
    assert attempt["ok"] == 1 and attempt["error"] is None
    assert files_in(folder) == [attempt["path"].rsplit("/", 1)[-1]]  # no .part, -wal or -shm
    assert attempt["path"].endswith(".db") and "-T3S-" in attempt["path"]
    key = keyring.key_for(app.config["DATABASE"])  # a backup elsewhere: its key given
    assert backup.check(folder / files_in(folder)[0], key) == "ok"
    assert not storage.is_plain(folder / files_in(folder)[0])  # encrypted like the database
    assert (folder / "fieldreg-T3S.salt").read_bytes() == (
        Path(app.config["DATA"]) / "fieldreg.salt"
    ).read_bytes()
    copy = storage.connect(attempt["path"], home=app.config["DATA"])
    assert next(copy.query("select code from households"))["code"] == household["code"]
    assert copy.execute("pragma journal_mode").fetchone()[0] == "wal"  # connect() sets it again
    copy.close()
    assert backup.status(db)["last_good"]["path"] == attempt["path"]


def test_both_ends_are_opened_by_db_connect(app, folder, monkeypatch):
    """Encryption (issue 3) lives in db.connect(): a backup opened otherwise would be clear."""
    opened = []
    real = storage.connect
    monkeypatch.setattr(
        storage, "connect", lambda path, key=None: opened.append(str(path)) or real(path, key)
    )
    assert backup.run(app.config["DATABASE"], folder, keep=3)["ok"]
    assert app.config["DATABASE"] in opened
    assert any(p.endswith(".db.part") for p in opened)


def test_keeps_only_the_last_k(app, folder):
    paths = [backup.run(app.config["DATABASE"], folder, keep=2)["path"] for _ in range(4)]
    assert [str(folder / name) for name in files_in(folder)] == paths[-2:]


def test_registration_goes_on_during_a_backup(app, db, folder):
    register(db, 300)  # something to copy
    stop, done = threading.Event(), []

    def keep_registering():
        writer = storage.connect(app.config["DATABASE"])
        while not stop.is_set():
            done.append(records.create_household(writer, household_body(), "t")[0]["code"])
        writer.close()

    thread = threading.Thread(target=keep_registering)
    thread.start()
    try:
        attempts = [backup.run(app.config["DATABASE"], folder, keep=5) for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    assert all(a["ok"] for a in attempts) and len(done) > 0
    assert next(db.query("select count(*) n from households"))["n"] == 300 + len(done)


def test_disk_full_at_the_write_step_leaves_nothing_that_looks_good(
    app, db, folder, monkeypatch, caplog, auth_actions
):
    good = backup.run(app.config["DATABASE"], folder, keep=3)

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_fsync", full)
    with caplog.at_level(logging.ERROR, logger="fieldreg.backup"):
        failed = backup.run(app.config["DATABASE"], folder, keep=3)
    assert failed["ok"] == 0 and "is full" in failed["error"]
    assert "is full" in caplog.text
    assert files_in(folder) == [good["path"].rsplit("/", 1)[-1]]  # the earlier one untouched
    status = backup.status(db)
    assert status["failing"]["error"] == failed["error"]
    assert status["last_good"]["path"] == good["path"]
    page = auth_actions.login("coordinator").get("/backups").get_data(as_text=True)
    assert "The last backup failed" in page and "is full" in page
    assert register(db)[0]["code"]  # registration keeps working


def test_usb_stick_pulled_mid_write(app, folder, monkeypatch):
    real_copy = backup._copy

    def copy_then_pull(source, part, key):
        real_copy(source, part, key)
        shutil.rmtree(folder)  # the stick is gone before the copy is flushed

    monkeypatch.setattr(backup, "_copy", copy_then_pull)
    attempt = backup.run(app.config["DATABASE"], folder, keep=3)
    assert attempt["ok"] == 0 and "USB stick removed" in attempt["error"]
    monkeypatch.undo()
    folder.mkdir(parents=True)  # plugged back in
    assert backup.run(app.config["DATABASE"], folder, keep=3)["ok"]


def test_half_written_copy_from_a_crash_is_swept(app, folder):
    folder.mkdir(parents=True)
    stale = folder / "fieldreg-T3S-20260101-000000-000.db.part"
    stale.write_bytes(b"SQLite format 3\0 half")
    other_station = folder / "fieldreg-ZZZ-20260101-000000-000.db.part"
    other_station.write_bytes(b"theirs")
    assert backup.run(app.config["DATABASE"], folder, keep=3)["ok"]
    assert not stale.exists() and other_station.exists()


@contextlib.contextmanager
def tmpfs(path, options):
    """Mount a small tmpfs (needs root); skip where the sandbox does not allow it."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if result.returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_really_full_disk(app, db, tmp_path):
    register(db, 20)
    with tmpfs(tmp_path / "tiny", "size=64k") as tiny:
        attempt = backup.run(app.config["DATABASE"], tiny, keep=3)
        assert attempt["ok"] == 0 and "is full" in attempt["error"]
        assert files_in(tiny) == []
    assert register(db)[0]["code"]


def test_really_read_only_folder(app, tmp_path):
    with tmpfs(tmp_path / "ro", "ro,size=64k") as ro:
        attempt = backup.run(app.config["DATABASE"], ro, keep=3)
        assert attempt["ok"] == 0 and "cannot be written to" in attempt["error"]


def test_folder_that_cannot_be_created(app, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    attempt = backup.run(app.config["DATABASE"], blocker / "sub", keep=3)
    assert attempt["ok"] == 0 and str(blocker / "sub") in attempt["error"]


def test_page_and_button_are_for_coordinators(app, auth_actions, tmp_path):
    client = auth_actions.login("registrar")
    assert client.get("/backups").status_code == 403
    client = auth_actions.login("coordinator", "coord")
    page = client.get("/backups").get_data(as_text=True)
    assert "No good backup yet." in page
    answer = client.post("/backups", data={"csrf_token": auth_actions.csrf()})
    assert answer.status_code == 302
    page = client.get("/backups").get_data(as_text=True)
    assert "Last good backup" in page and "checked" in page


def test_server_backs_up_on_its_own(data_dir, tmp_path):
    folder = tmp_path / "auto"
    env = {
        "FIELDREG_BACKUP_MINUTES": "0.01",
        "FIELDREG_BACKUP_DIR": str(folder),
        "FIELDREG_BACKUP_KEEP": "2",
    }
    server = LiveServer(data_dir, env=env).start()
    try:
        deadline = time.monotonic() + 15
        while len(files_in(folder)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.stop()
    assert 1 <= len(files_in(folder)) <= 2
    assert all(name.endswith(".db") for name in files_in(folder))


def test_cli_backup_now_and_list(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDREG_BACKUP_DIR", str(tmp_path / "b"))
    made = runner.invoke("backup", "now")
    assert made.exit_code == 0 and "checked" in made.output
    listed = runner.invoke("backup", "list")
    assert listed.exit_code == 0 and str(tmp_path / "b") in listed.output
    monkeypatch.setenv("FIELDREG_BACKUP_DIR", "/proc/no-such-place")
    failed = runner.invoke("backup", "now")
    assert failed.exit_code != 0 and "/proc/no-such-place" in failed.output


def test_a_locked_station_skips_backups_without_reporting_failure(tmp_path, monkeypatch, caplog):
    """Regression: `make run` on a fresh machine logged BACKUP FAILED every interval."""
    from fieldreg import backup as backup_module
    from fieldreg import keyring

    data = tmp_path / "locked"
    data.mkdir()
    monkeypatch.delenv(keyring.ENV_PASSPHRASE, raising=False)
    monkeypatch.setattr(backup_module, "FIRST_DELAY", 0.05)
    calls = []
    monkeypatch.setattr(backup_module, "run", lambda *args: calls.append(args))
    assert not keyring.is_unlocked(data)
    halt = backup_module.schedule(data / "fieldreg.db", tmp_path / "usb", 0.001, 3)
    import time

    time.sleep(0.5)
    assert calls == [] and "BACKUP FAILED" not in caplog.text
    # Positive control: the same schedule backs up once the folder is unlocked.
    keyring.remember(data, bytes(32))
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    halt()
    assert calls, "after the unlock, the schedule must back up"
