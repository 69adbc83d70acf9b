"""The reader's local time: times are stored in UTC, and typed and shown in local time.

    stored (UTC ISO text) --to_local()--> shown "YYYY-MM-DD HH:MM" (i18n.when)
    typed (datetime-local) --from_local()--> stored (UTC ISO text)

The reader's zone is the browser's (static/header.js writes its IANA name in the ``tz``
cookie on every page), else the station laptop's own zone: the tablets stand beside it, and
the first page a browser opens has not written the cookie yet. An unknown or malformed name
counts as no name. Only pages use this; the JSON API keeps taking and giving UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context, request

TZ_COOKIE = "tz"
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


def reader_zone() -> dt.tzinfo | None:
    """Return the zone the browser said it is in, or None (the station laptop's zone)."""
    name = request.cookies.get(TZ_COOKIE, "") if has_request_context() else ""
    if len(name) > 64 or not ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def to_local(moment: dt.datetime) -> dt.datetime:
    """Return a stored moment (naive means UTC) in the reader's zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(reader_zone())


def from_local(text: str | None) -> str | None:
    """Return a typed local date-time as UTC ISO text (a time with its offset is kept)."""
    if not text or not text.strip():
        return text
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text  # the schema says what is wrong with it, in the page language
    if moment.tzinfo is None:
        zone = reader_zone()
        moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
