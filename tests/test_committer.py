"""Group commit: writes of concurrent requests share a transaction, each answered on its own."""

from __future__ import annotations

import contextlib
import threading

import pytest

from fieldreg import audit, committer
from fieldreg.db import connect, write


@pytest.fixture
def path(data_dir):
    return data_dir / "fieldreg.db"


def _note(db, text, fail=False):
    db.execute("insert into settings (key, value) values (?, ?)", [f"note:{text}", text])
    if fail:
        raise ValueError(f"refused {text}")
    return text


def _run_many(path, jobs):
    """Run ``committer.run`` from one thread per job, all released at once."""
    start, results = threading.Barrier(len(jobs)), {}

    def worker(name, fail):
        db = connect(path)
        try:
            start.wait()
            results[name] = committer.run(db, _note, name, fail)
        except Exception as exc:
            results[name] = exc
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _notes(path):
    db = connect(path)
    try:
        return {r[0] for r in db.execute("select value from settings where key like 'note:%'")}
    finally:
        db.close()


def test_concurrent_writes_are_all_committed_and_answered(path):
    names = [f"w{i}" for i in range(24)]
    results = _run_many(path, [(name, False) for name in names])
    assert results == {name: name for name in names}
    assert _notes(path) == set(names)


def test_a_failing_write_is_rolled_back_alone(path):
    jobs = [(f"ok{i}", False) for i in range(10)] + [("bad", True)]
    results = _run_many(path, jobs)
    assert isinstance(results["bad"], ValueError) and "refused bad" in str(results["bad"])
    assert _notes(path) == {f"ok{i}" for i in range(10)}


def test_a_write_sees_the_callers_device(path):
    audit.current_device.set("tablet-7")
    db = connect(path)
    try:
        committer.run(db, lambda d: audit.log(d, "amal", "probe"))
        row = db.execute("select device from audit where action = 'probe'").fetchone()
    finally:
        db.close()
    assert row[0] == "tablet-7"


def test_inside_a_transaction_the_write_runs_in_it(path):
    db = connect(path)
    try:
        with pytest.raises(RuntimeError):
            with write(db):
                committer.run(db, _note, "inner")
                assert db.conn.in_transaction
                raise RuntimeError("undo all")
        assert "inner" not in _notes(path)
    finally:
        db.close()


def test_a_failed_commit_fails_every_write_of_the_batch(path, monkeypatch):
    """A commit that fails (disk full, say) answers an error to each request, stores nothing."""
    real_write = committer.database.write

    @contextlib.contextmanager
    def write_that_cannot_commit(db):
        with pytest.raises(OSError), real_write(db):
            yield db
            raise OSError("disk full")  # rolls the transaction back, as a failed commit does
        raise OSError("disk full")

    monkeypatch.setattr(committer.database, "write", write_that_cannot_commit)
    results = _run_many(path, [(f"x{i}", False) for i in range(4)])
    assert all(isinstance(value, OSError) for value in results.values()), results
    monkeypatch.undo()
    assert _notes(path) == set()


def test_a_committer_that_dies_fails_its_writes_and_is_replaced(path, monkeypatch):
    """A request never waits for ever on a committer thread that is gone."""
    real = committer._commit

    def die(db, batch):
        raise RuntimeError("the committer dies")

    monkeypatch.setattr(committer, "_commit", die)
    results = _run_many(path, [("gone", False)])
    assert isinstance(results["gone"], RuntimeError)
    monkeypatch.setattr(committer, "_commit", real)
    assert _run_many(path, [("back", False)]) == {"back": "back"}
    assert _notes(path) == {"back"}
