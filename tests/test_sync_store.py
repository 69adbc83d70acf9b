"""sync/store.py: settings, checkpoints that never go back, and write transactions taken up
front. Issue 16: `make mutate` finds a failing test here for each change to it."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from sync import store


def open_db(path) -> sqlite_utils.Database:
    return sqlite_utils.Database(sqlite3.connect(path, isolation_level=None, timeout=0))


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "s.db")
    database.execute("create table settings (key text primary key, value text)")
    database.execute("create table t (x integer)")
    yield database
    database.close()


def test_a_setting_reads_back_what_was_put_last(db):
    assert store.setting(db, "hlc") is None
    assert store.setting(db, "hlc", "fallback") == "fallback"
    store.put_setting(db, "hlc", "1")
    store.put_setting(db, "other", "x")
    store.put_setting(db, "hlc", "2")
    assert store.setting(db, "hlc", "fallback") == "2"
    assert db.execute("select count(*) from settings").fetchone()[0] == 2


def test_a_checkpoint_moves_forward_only(db):
    assert store.advance(db, "sync_acked", 5) == 5
    assert store.setting(db, "sync_acked") == "5"
    assert store.advance(db, "sync_acked", 3) == 5
    assert store.setting(db, "sync_acked") == "5"
    assert store.advance(db, "sync_acked", 12) == 12
    assert store.setting(db, "sync_acked") == "12"


def test_a_transaction_takes_the_write_lock_up_front_and_commits(db, tmp_path):
    other = open_db(tmp_path / "s.db")
    with store.transaction(db) as same:
        assert same is db and db.conn.in_transaction
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("insert into t values (9)")  # no write of ours yet: still locked
        db.execute("insert into t values (1)")
    assert not db.conn.in_transaction
    assert other.execute("select x from t").fetchall() == [(1,)]
    other.close()


def test_a_failed_transaction_leaves_nothing(db):
    with pytest.raises(KeyError), store.transaction(db):
        db.execute("insert into t values (1)")
        raise KeyError("boom")
    assert not db.conn.in_transaction
    assert db.execute("select count(*) from t").fetchone()[0] == 0


def test_an_error_after_the_transaction_ended_is_raised_as_it_was(db):
    with pytest.raises(KeyError), store.transaction(db):
        db.conn.execute("rollback")  # e.g. SQLite rolled back on its own (a full disk)
        raise KeyError("boom")
    assert not db.conn.in_transaction


def test_a_transaction_inside_one_is_a_savepoint(db):
    with store.transaction(db):
        db.execute("insert into t values (1)")
        with store.transaction(db):
            db.execute("insert into t values (2)")
        with pytest.raises(KeyError), store.transaction(db):
            db.execute("insert into t values (3)")
            raise KeyError("inner")
        assert db.conn.in_transaction  # the outer one goes on
    assert db.execute("select x from t order by x").fetchall() == [(1,), (2,)]
