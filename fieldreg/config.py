"""Settings and their defaults; every one can be set as FIELDREG_<NAME> in the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def static_dir() -> Path:
    """Find the browser files: inside the package when installed, else the checkout's static/."""
    installed = Path(__file__).resolve().parent / "static"
    return installed if installed.is_dir() else ROOT / "static"


STATIC = static_dir()
ROLES = ("registrar", "medic", "coordinator", "analyst", "admin", "caseworker")


def default_data_dir() -> Path:
    """Return the data folder from FIELDREG_DATA, or ./data."""
    return Path(os.environ.get("FIELDREG_DATA", "data")).resolve()


DEFAULTS = {
    "ROLE": "station",  # station | hq
    "APP_RELEASE": "0.1.0",  # part of the offline cache's name: a new release replaces it
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_IDLE_MINUTES": 720,
    # The station locks itself after this long without a signed-in request (None: 120 at a
    # station, 0 = never at HQ, which often runs where nobody can type the passphrase).
    "LOCK_IDLE_MINUTES": None,
    "SEARCH_LIMIT": 20,
    # Closed households (departed/transferred) untouched this many days are erased; 0 = never.
    "RETENTION_DAYS": 0,
    # Failed logins from one client address before it must wait (the wait doubles each time).
    "LOGIN_ADDRESS_FAILURES": 10,
    "API_TITLE": "FieldReg",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "BABEL_DEFAULT_LOCALE": "en",
    "JSON_SORT_KEYS": False,
    "BACKUP_MINUTES": 15,  # 0 turns automatic backups off
    "BACKUP_DIR": "",  # empty: <data folder>/backups; a USB stick's folder works
    "BACKUP_KEEP": 24,
    "SHUTDOWN_GRACE_SECONDS": 30,
    "DASHBOARD_REFRESH_SECONDS": 30,
    # Figures computed this recently are answered again instead of recomputed (busy stations).
    "STATS_MAX_AGE_SECONDS": 2.0,
    "SYNC_AUTO": True,  # station: sync in the background while `serve` runs
    "SYNC_INTERVAL": 180,  # seconds between background syncs
    # HQ refuses a station's changes stamped further ahead of its own clock than this.
    "SYNC_MAX_AHEAD_HOURS": 24,
    # People boarded longer ago than this, and not arrived anywhere, are overdue.
    "CONVOY_OVERDUE_HOURS": 6.0,
}
# Settings of the libraries (flask-smorest, Flask-Babel, Flask's JSON), not meant to be changed.
INTERNAL = {
    "API_TITLE",
    "API_VERSION",
    "OPENAPI_VERSION",
    "OPENAPI_URL_PREFIX",
    "OPENAPI_JSON_PATH",
    "BABEL_DEFAULT_LOCALE",
    "JSON_SORT_KEYS",
}


def from_env(name: str):
    """Return a setting as the command line sees it: FIELDREG_<NAME>, else its default."""
    raw = os.environ.get(f"FIELDREG_{name}")
    if raw is None:
        return DEFAULTS[name]
    try:  # parsed as JSON, like Flask's from_prefixed_env does for the app
        return json.loads(raw)
    except ValueError:
        return raw
