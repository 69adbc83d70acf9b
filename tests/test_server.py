"""A real server process: register over HTTP, idempotent retries, search, healthz."""

import subprocess
import sys
import uuid

import httpx

from tests.conftest import ROOT, household_body


def token_for(data_dir) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "fieldreg",
            "--data",
            str(data_dir),
            "tokens",
            "create",
            "live",
            "--role",
            "admin",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {"Authorization": "Bearer " + out.strip().splitlines()[-1]}


def test_register_over_real_http(live_server, data_dir):
    headers = token_for(data_dir)
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=10) as http:
        assert http.get("/healthz").text == "ok"
        client_id = str(uuid.uuid4())
        first = http.post("/api/v1/households", json=household_body(client_id=client_id))
        assert first.status_code == 201
        retry = http.post("/api/v1/households", json=household_body(client_id=client_id))
        assert retry.status_code == 200 and retry.json()["code"] == first.json()["code"]
        found = http.get("/api/v1/search", params={"q": "Mohamad Halabi"}).json()["results"]
        assert found[0]["household_code"] == first.json()["code"]
        bad = http.post(
            "/api/v1/households", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert bad.status_code == 400 and "Traceback" not in bad.text
        assert http.get("/api/v1/stats").json()["people"] == 3
        page = httpx.get(live_server.url + "/register", follow_redirects=False)
        assert page.status_code == 302
