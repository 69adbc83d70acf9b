"""Group commit: the writes of many requests share one transaction and one fsync.

Every answered write must be on disk (``synchronous=FULL``), and on a laptop the fsync of a
commit costs more than the registration itself. When tablets send at once, the requests hand
their write (a function of the connection) to one committer thread per database file. It
runs whatever is waiting, each write in a savepoint of its own (a write that fails is rolled
back alone and its request gets the error), commits once, and only then answers every
request of the batch. Nobody waits for a batch to fill: the committer takes what arrived
while the previous commit was on its way to disk, so a lone request is committed at once.

The function runs in the committer's thread with a copy of the caller's context variables
(the audit log's device). Called inside a transaction already, it just runs there.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlite_utils

from fieldreg import db as database
from fieldreg import keyring

T = TypeVar("T")
log = logging.getLogger("fieldreg.committer")

MAX_BATCH = 64
IDLE_SECONDS = 5.0  # an idle committer closes its connection and ends


class Committer:
    """The committer thread of one database file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    def submit(self, fn: Callable[..., T], args: tuple) -> T:
        """Run ``fn(db, *args)`` in the next group commit; return its result once on disk."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._waiting.put((fn, args, contextvars.copy_context(), future))
        with self._mutex:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fieldreg-committer", daemon=True
                )
                self._thread.start()
        return future.result()

    def _run(self) -> None:
        db: sqlite_utils.Database | None = None
        batch: list = []
        try:
            while (batch := self._next_batch()) is not None:
                try:
                    db = self._connection(db)
                except Exception as exc:  # locked, or the file is gone: tell every request
                    _fail(batch, exc)
                    continue
                _commit(db, batch)
        except BaseException as exc:
            # Never leave a request waiting on a committer that is gone: fail what it held
            # and what waits, and let the next write start a new committer.
            log.exception("committer stopped")
            with self._mutex:
                self._thread = None
                while not self._waiting.empty():
                    batch = [*(batch or []), self._waiting.get_nowait()]
            _fail(batch or [], exc)
        finally:
            if db is not None:
                db.close()

    def _next_batch(self) -> list | None:
        """Wait for the first write, take what else is waiting; None after a quiet while."""
        while True:
            try:
                first = self._waiting.get(timeout=IDLE_SECONDS)
                break
            except queue.Empty:
                with self._mutex:
                    if self._waiting.empty():
                        self._thread = None
                        return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._waiting.get_nowait())
            except queue.Empty:
                break
        return batch

    def _connection(self, db: sqlite_utils.Database | None) -> sqlite_utils.Database:
        """Return a connection to the file at the path now, under the key held now.

        Re-opened after a re-key, or when the file was replaced (a restore from a backup):
        an open connection would go on writing into the file that was moved aside.
        """
        key = keyring.key_for(self.path)
        if db is not None and db.pool_key == key and database.same_file(db, self.path):
            return db
        if db is not None:
            db.close()
        db = database.connect(self.path, key)
        db.pool_key = key
        return db


def _fail(batch: list, exc: BaseException) -> None:
    """Answer every write of a batch not answered yet with an error."""
    for *_rest, future in batch:
        if not future.done():
            future.set_exception(exc)


def _commit(db: sqlite_utils.Database, batch: list) -> None:
    """Run a batch of writes in one transaction; answer each once it is committed."""
    outcomes = []
    try:
        with database.write(db):
            for fn, args, context, future in batch:
                db.conn.execute("savepoint one_write")
                try:
                    value = context.run(fn, db, *args)
                except Exception as exc:
                    db.conn.execute("rollback to one_write")
                    db.conn.execute("release one_write")
                    outcomes.append((future, exc, False))
                    continue
                db.conn.execute("release one_write")
                outcomes.append((future, value, True))
    except BaseException as exc:  # the commit itself failed (disk full, I/O error)
        log.error("group commit of %d writes failed: %s", len(batch), exc)
        _fail(batch, exc)
        return
    for future, value, ok in outcomes:
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


_committers: dict[str, Committer] = {}
_committers_mutex = threading.Lock()


def run(db: sqlite_utils.Database, fn: Callable[..., T], *args: Any) -> T:
    """Run the write ``fn(db, *args)`` committed together with other requests' writes.

    Inside a transaction already (a bulk load, a bigger write), or on an in-memory database,
    it runs right there.
    """
    path = database.file_of(db)
    if db.conn.in_transaction or not path or database.holds_write_lock(db):
        return fn(db, *args)
    committer = _committers.get(path)
    if committer is None:
        with _committers_mutex:
            committer = _committers.setdefault(path, Committer(path))
    return committer.submit(fn, args)
