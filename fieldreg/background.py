"""Automatic sync: a daemon thread that pushes and pulls every few minutes while HQ answers.

Started by ``serve`` on a station (never by create_app, so tests stay quiet); switched off
with ``FIELDREG_SYNC_AUTO=false``. After a failure it waits longer (up to 4x the interval)
so a station out of reach does not spend its battery knocking.
"""

from __future__ import annotations

import logging
import threading

from fieldreg import db, keyring, syncing
from fieldreg.errors import DomainError
from sync import client

log = logging.getLogger("fieldreg.sync")


def start(config: dict) -> threading.Thread | None:
    """Start the background sync thread if this is a station with auto sync on."""
    if config["ROLE"] != "station" or not _on(config.get("SYNC_AUTO", True)):
        return None
    stop = threading.Event()
    thread = threading.Thread(
        target=loop,
        args=(config["DATABASE"], float(config["SYNC_INTERVAL"]), stop),
        name="fieldreg-sync",
        daemon=True,
    )
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


def _on(value) -> bool:
    return str(value).lower() not in ("0", "false", "no", "off")


def loop(path: str, interval: float, stop: threading.Event) -> None:
    """Sync, wait, repeat until ``stop`` is set."""
    wait = interval
    while not stop.wait(wait):
        wait = interval if once(path) else min(wait * 2, interval * 4)


def once(path: str) -> bool:
    """Run one sync if the station joined an HQ; tell whether it succeeded (or was not due)."""
    try:
        database = db.connect(path)
    except keyring.Locked:
        return True  # a locked station sends nothing; the thread waits for the passphrase
    try:
        if not client.credential(database):
            return True
        report = syncing.run_sync(database)
        log.info("sync: %s sent, %s received", report.pushed, report.pulled)
        return True
    except DomainError as exc:
        log.warning("sync: %s", exc.message)
        return False
    finally:
        database.close()
