"""HQ's figures about people in unique people after deduplication (issue 15, HQ's first day)."""

from __future__ import annotations

from tests.conftest import AuthActions
from tests.synckit import Site, first_day


def test_hq_counts_people_where_it_counts_people(tmp_path):
    """HQ's first day: one man triaged at both stations showed as 2 wounded, and a child
    flagged on household and record read "Unaccompanied child 2" next to "Children alone 1"."""
    day = first_day(tmp_path)
    hq = Site(day["app"], day["hq"])
    answer = hq.api("analyst", "GET", "/stats")
    assert answer["triage"]["total"] == 2, "registrations: the existing key keeps its meaning"
    people = answer["unique_figures"]
    assert people["triage"]["total"] == people["triage"]["by_category"]["immediate"] == 1
    once = answer["tracing"]["unique_registered"]
    assert once == {"unaccompanied": 1, "separated": 0, "total": 1}
    assert people["person_vulnerabilities"] == {"unaccompanied_child": 1}
    assert people["household_vulnerabilities"] == {"unaccompanied_child": 1}
    assert answer["person_vulnerabilities"] == {"unaccompanied_child": 1}, "people, not flags"
    assert answer["vulnerabilities"] == {"unaccompanied_child": 2}, "flags, as the key said"
    assert {"unique_people", "unique_people_low", "unique_people_high", "people"} <= set(answer)
    client = AuthActions(hq.client, hq.db).login("analyst")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "unique people, after deduplication; registrations: 2" in page  # the wounded
    assert "Unaccompanied child (households)" in page
    assert "Unaccompanied child</text>" in page and ">2</text>" not in page.split(
        "Vulnerabilities</title>")[1].split("</svg>")[0]  # fmt: skip
    report = client.get("/report").get_data(as_text=True)
    assert "unique people, after deduplication" in report


def test_a_station_shows_its_registrations_without_a_unique_note(tmp_path):
    """A station counts its own registrations (its figures are never called unique)."""
    day = first_day(tmp_path)
    k7m = day["K7M"]
    assert k7m.api("coordinator", "GET", "/stats").get("unique_figures") is None
    page = AuthActions(k7m.client, k7m.db).login("coordinator").get("/dashboard")
    assert "after deduplication" not in page.get_data(as_text=True)


def test_a_cluster_counts_once_under_its_most_urgent_latest_triage():
    """Two registrations of one person, re-triaged minor at one station: immediate, once."""
    from fieldreg import unique_figures

    raw = {"by_category": {"immediate": 1, "delayed": 1, "minor": 1, "expectant": 0, "dead": 0},
           "waiting": 2}  # fmt: skip
    folded = unique_figures._triage(raw, {"a": ("minor", 1), "b": ("immediate", 0)},
                                    {"a": "c1", "b": "c1"})  # fmt: skip
    assert folded["by_category"] == {"immediate": 1, "delayed": 1, "minor": 0, "expectant": 0,
                                     "dead": 0}  # fmt: skip
    assert (folded["total"], folded["waiting"]) == (2, 2), "the cluster waits: one of its own does"
