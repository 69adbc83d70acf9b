"""Sync pages: the station's panel and "sync now", HQ's stations, resolving conflicts."""

from __future__ import annotations

import httpx
import pytest

from fieldreg import records, syncing
from fieldreg.db import connect
from sync import bundle, keys
from tests.conftest import AuthActions, household_body


def test_panel_before_and_after_join(client, auth_actions, db, tmp_path):
    from tests.test_sync_http import make_site

    auth_actions.login("coordinator")
    page = client.get("/sync/").get_data(as_text=True)
    assert "has not joined an HQ" in page
    hq = make_site(tmp_path / "hq", "HQ2")
    syncing.join(db, syncing.add_station(hq, "T3S", "", "http://127.0.0.1:9"))
    records.create_household(db, household_body(), "reg")
    page = client.get("/sync/").get_data(as_text=True)
    assert "data-pending>4<" in page and "Sync now" in page
    answer = client.post("/sync/now", data={"csrf_token": auth_actions.csrf()})
    assert answer.status_code == 302 and "outcome=error" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Sync failed" in page and "data-last-error" in page
    hq.close()


def test_registrar_cannot_see_sync(client, auth_actions):
    auth_actions.login("registrar")
    assert client.get("/sync/").status_code == 403
    assert client.get("/sync/conflicts").status_code == 403


def test_sync_endpoints_documented_and_closed_without_credential(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/sync/push" in spec["paths"] and "/api/v1/sync/pull" in spec["paths"]
    assert client.post("/api/v1/sync/push", data=b"x").status_code == 404  # not an HQ
    assert client.get("/api/v1/sync/pull").status_code == 404
    assert "/api/v1/sync/own" in spec["paths"]
    assert client.get("/api/v1/sync/own?after=0").status_code == 404


def test_own_changes_need_the_station_credential_and_whole_numbers(tmp_path):
    """HQ hands a station back its own changes only with its credential and sane numbers."""
    from fieldreg import create_app
    from tests.test_sync_http import make_site

    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq = connect(app.config["DATABASE"])
    cred = keys.decode_credential(syncing.add_station(hq, "T3S", "Bab", "http://hq"))
    hq.close()
    http = app.test_client()
    assert http.get("/api/v1/sync/own?after=0").status_code == 401
    station = {"Authorization": f"Station T3S:{cred['token']}"}
    assert http.get("/api/v1/sync/own?after=-1", headers=station).status_code == 400
    assert http.get("/api/v1/sync/own?after=x&limit=2", headers=station).status_code == 400
    answer = http.get("/api/v1/sync/own?after=0", headers=station)
    assert answer.status_code == 200 and answer.data.startswith(bundle.MAGIC)  # sealed


def test_hq_pages_list_stations_and_resolve_conflicts(tmp_path):
    from fieldreg import create_app
    from tests.test_sync_http import make_site

    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq = connect(app.config["DATABASE"])
    station = make_site(tmp_path / "st", "T3S")
    syncing.join(station, syncing.add_station(hq, "T3S", "Bab", "http://hq"))
    made, _ = records.create_household(station, household_body(), "reg")
    sync = lambda: syncing.run_sync(station, transport=httpx.WSGITransport(app=app))  # noqa: E731
    sync()
    code = made["members"][1]["code"]
    records.update_person(hq, code, {"given_name": "Zaynab"}, "hq")
    records.update_person(station, code, {"given_name": "Zeinab"}, "reg")
    sync()
    browser = app.test_client()
    auth = AuthActions(browser, hq)
    auth.login("coordinator")
    assert browser.get("/sync/").status_code == 302
    page = browser.get("/sync/stations").get_data(as_text=True)
    assert "T3S" in page and "network" in page and "<td>8</td>" not in page
    page = browser.get("/sync/conflicts").get_data(as_text=True)
    assert "Zaynab" in page and "Zeinab" in page and code in page
    conflict_id = hq.execute("select id from sync_conflicts").fetchone()[0]
    answer = browser.post(
        f"/sync/conflicts/{conflict_id}", data={"choice": "lost", "csrf_token": auth.csrf()}
    )
    assert answer.status_code == 302
    assert records.get_person(hq, code)["given_name"] == "Zaynab"
    assert "No conflict to review" in browser.get("/sync/conflicts").get_data(as_text=True)
    hq.close()
    station.close()


@pytest.fixture
def hq_conflict(tmp_path):
    """An HQ holding one open conflict on a person's given name (Zeinab kept, Zaynab lost)."""
    from fieldreg import create_app
    from tests.test_sync_http import make_site

    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq = connect(app.config["DATABASE"])
    station = make_site(tmp_path / "st", "T3S")
    syncing.join(station, syncing.add_station(hq, "T3S", "Bab", "http://hq"))
    made, _ = records.create_household(station, household_body(), "reg")
    syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
    code = made["members"][1]["code"]
    records.update_person(hq, code, {"given_name": "Zaynab"}, "hq")
    records.update_person(station, code, {"given_name": "Zeinab"}, "reg")
    syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
    conflict_id = hq.execute("select id from sync_conflicts").fetchone()[0]
    yield app, hq, code, conflict_id
    hq.close()
    station.close()


ROLES_MAY = [("coordinator", True), ("admin", True), ("analyst", False), ("registrar", False),
             ("medic", False)]  # fmt: skip


@pytest.mark.parametrize("role, may", ROLES_MAY)
def test_only_roles_that_may_write_the_record_resolve_its_conflict(hq_conflict, role, may):
    """Regression (issue 13): resolving writes the record, so it needs the permission to write
    it (household:update), not only to see conflicts: an analyst could overwrite a name."""
    app, hq, code, conflict_id = hq_conflict
    browser = app.test_client()
    auth = AuthActions(browser, hq)
    auth.login(role)
    page = browser.get("/sync/conflicts")
    answer = browser.post(
        f"/sync/conflicts/{conflict_id}", data={"choice": "lost", "csrf_token": auth.csrf()}
    )
    if may:
        assert page.status_code == 200 and "Use other" in page.get_data(as_text=True)
        assert answer.status_code == 302
        assert records.get_person(hq, code)["given_name"] == "Zaynab"
    else:
        assert answer.status_code == 403
        assert records.get_person(hq, code)["given_name"] == "Zeinab"
        assert hq.execute("select resolved_at from sync_conflicts").fetchone()[0] is None
        if page.status_code == 200:  # the analyst sees the conflict, without the buttons
            assert "Use other" not in page.get_data(as_text=True)


@pytest.mark.parametrize("role, may", ROLES_MAY)
def test_the_conflicts_api_obeys_the_same_rule(hq_conflict, role, may):
    app, hq, code, conflict_id = hq_conflict
    headers = AuthActions(app.test_client(), hq).token(role)
    http = app.test_client()
    listed = http.get("/api/v1/sync/conflicts", headers=headers)
    answer = http.post(
        f"/api/v1/sync/conflicts/{conflict_id}", json={"choice": "lost"}, headers=headers
    )
    if may:
        [row] = listed.json["conflicts"]
        assert (row["kept"], row["lost"], row["may_resolve"]) == ("Zeinab", "Zaynab", True)
        assert answer.status_code == 200 and answer.json["resolution"] == "lost"
        assert records.get_person(hq, code)["given_name"] == "Zaynab"
        again = http.post(f"/api/v1/sync/conflicts/{conflict_id}", json={"choice": "kept"},
                          headers=headers)  # fmt: skip
        assert again.status_code == 409 and again.json["code"] == "conflict_resolved"
    else:
        assert answer.status_code == 403 and answer.json["code"] == "forbidden"
        assert records.get_person(hq, code)["given_name"] == "Zeinab"
        if listed.status_code == 200:
            assert listed.json["conflicts"][0]["may_resolve"] is False


@pytest.mark.parametrize("role, sees", [("analyst", False), ("caseworker", False),
                                        ("coordinator", True)])  # fmt: skip
def test_a_conflict_shows_its_values_only_to_roles_that_may_read_the_record(tmp_path, role, sees):
    """Regression (issue 13): a conflict on a tracing case (what a lost child said) was listed
    with both values to analysts, who may read only the counts of tracing."""
    from fieldreg import create_app, tracing
    from tests.test_sync_http import make_site

    make_site(tmp_path / "hq", "HQ2").close()
    app = create_app({"DATA": str(tmp_path / "hq"), "ROLE": "hq", "TESTING": True})
    hq = connect(app.config["DATABASE"])
    station = make_site(tmp_path / "st", "T3S")
    syncing.join(station, syncing.add_station(hq, "T3S", "Bab", "http://hq"))
    case = tracing.open_case(station, {"kind": "enquiry", "given_name": "Layla"}, "cw")
    syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
    everyone = tracing.Viewer("cw", True)
    tracing.update_case(hq, case["id"], {"description": "scar on the left hand"}, everyone)
    tracing.update_case(station, case["id"], {"description": "limps since the bombing"}, everyone)
    syncing.run_sync(station, transport=httpx.WSGITransport(app=app))
    assert hq.execute("select count(*) from sync_conflicts").fetchone()[0] == 1
    http = app.test_client()
    headers = AuthActions(http, hq).token(role)
    listed = http.get("/api/v1/sync/conflicts", headers=headers)
    auth = AuthActions(http, hq)
    auth.login(role)
    page = http.get("/sync/conflicts").get_data(as_text=True)
    if role == "caseworker":  # no sync:conflicts at all
        assert listed.status_code == 403
    else:
        shown = "scar on the left hand" in listed.get_data(as_text=True)
        assert shown is sees and ("limps since" in page) is sees
    if sees:  # and a role that may write the case may resolve it (none could: issue 13)
        [row] = listed.json["conflicts"]
        assert row["may_resolve"] is True
        answer = http.post(f"/api/v1/sync/conflicts/{row['id']}", json={"choice": "lost"},
                           headers=headers)  # fmt: skip
        assert answer.status_code == 200
        assert tracing.get_case(hq, case["id"], everyone)["description"] == row["lost"]
    hq.close()
    station.close()
