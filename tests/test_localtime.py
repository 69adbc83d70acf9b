"""Times typed and shown in the reader's local time, stored in UTC (fieldreg/localtime.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldreg import i18n, localtime


@pytest.mark.parametrize(
    "zone, typed, stored",
    [
        ("Asia/Damascus", "2026-12-01T10:00", "2026-12-01T07:00:00+00:00"),
        ("Europe/Berlin", "2026-07-01T10:00", "2026-07-01T08:00:00+00:00"),  # summer time
        ("Europe/Berlin", "2026-12-01T10:00", "2026-12-01T09:00:00+00:00"),
        ("Asia/Damascus", "2026-12-01T10:00+01:00", "2026-12-01T09:00:00+00:00"),  # kept
        ("", "2026-12-01T10:00", "2026-12-01T10:00:00+00:00"),  # the laptop's zone: UTC in tests
    ],
)
def test_a_typed_time_is_read_in_the_readers_zone(app, zone, typed, stored):
    headers = {"Cookie": f"tz={zone}"} if zone else {}
    with app.test_request_context("/", headers=headers):
        assert localtime.from_local(typed) == stored
        shown = "12:00" if typed.endswith("+01:00") else typed[11:16]
        assert i18n.when(stored) == "\u2066" + typed[:10] + " " + shown + "\u2069"


@pytest.mark.parametrize("cookie", ["../../etc/passwd", "Mars/Olympus", "x" * 100, "/etc"])
def test_an_unknown_zone_is_the_stations_own(app, cookie):
    with app.test_request_context("/", headers={"Cookie": f"tz={cookie}"}):
        assert localtime.reader_zone() is None
        assert localtime.to_local(dt.datetime(2026, 1, 1, 5)).utcoffset() == dt.timedelta(0)


def test_what_is_not_a_time_is_left_for_the_schema_to_refuse(app):
    with app.test_request_context("/", headers={"Cookie": "tz=Asia/Damascus"}):
        assert localtime.from_local("tomorrow") == "tomorrow"
        assert localtime.from_local("") == ""
        assert i18n.when("2026-12-01") == "\u20662026-12-01\u2069"
        assert i18n.when(None) == "—"
