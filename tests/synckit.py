"""Sites for sync tests: a data folder with a station code, an HQ app, stations joined to it."""

from __future__ import annotations

from pathlib import Path

import httpx

from fieldreg import create_app, syncing
from fieldreg.db import connect, prepare


def make_site(path, code: str):
    """Prepare a data folder with a given station code; return its connection."""
    db = connect(prepare(path))
    db.execute("update settings set value = ? where key = 'station_code'", [code])
    return db


def make_hq(path: Path, code: str = "HQ2"):
    """Prepare an HQ data folder; return its app and a connection to its database."""
    make_site(path, code).close()
    app = create_app({"DATA": str(path), "ROLE": "hq", "TESTING": True})
    return app, connect(app.config["DATABASE"])


def join_stations(hq, folder: Path, codes, names=None) -> dict:
    """Make a station per code in ``folder``/name (the code unless ``names`` are given), each
    joined to HQ; return {code: db}."""
    stations = {}
    for code, name in zip(codes, names or codes, strict=True):
        stations[code] = make_site(folder / name, code)
        syncing.join(stations[code], syncing.add_station(hq, code, code, "http://hq"))
    return stations


def sync_with(db, app):
    """Push and pull one station against HQ's app (in process, through its WSGI)."""
    return syncing.run_sync(db, transport=httpx.WSGITransport(app=app))
