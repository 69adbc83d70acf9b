"""Issue 17: FieldReg installs like a real tool, from a wheel, into a venv outside the checkout."""

from __future__ import annotations

import gettext
import re
import subprocess
import zipfile
from email.parser import Parser

import httpx
import pytest

from tests.conftest import free_port
from tests.wheelkit import ROOT, Served, clean_env

pytestmark = pytest.mark.slow
CATALOG = ROOT / "fieldreg/translations/ar/LC_MESSAGES/messages.mo"
TEST_ONLY = {"pytest", "hypothesis", "schemathesis", "playwright", "ruff", "libhxl", "splink"}
TEST_ONLY |= {"mutmut"}  # make mutate


def pins(path) -> dict[str, str]:
    """Read name -> version from a requirements file (comments and -r lines left out)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, version = line.split("==")
            found[name.lower()] = version
    return found


def test_wheel_holds_the_package_data_and_the_pinned_requirements(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        meta = Parser().parsestr(wheel.read("fieldreg-0.1.0.dist-info/METADATA").decode())
        entry_points = wheel.read("fieldreg-0.1.0.dist-info/entry_points.txt").decode()
    static = {f"fieldreg/static/{p.name}" for p in (ROOT / "static").iterdir()}
    assert static <= names and "fieldreg/static/sw.js" in names
    assert {
        "fieldreg/translations/ar/LC_MESSAGES/messages.po",
        "fieldreg/translations/ar/LC_MESSAGES/messages.mo",
        "fieldreg/templates/base.html",
        "sync/protocol.py",
    } <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or "__pycache__" in n]
    required = dict(r.split("==") for r in meta.get_all("Requires-Dist"))
    assert required == pins(ROOT / "requirements.txt")
    assert not TEST_ONLY & set(required)
    assert re.search(r"^fieldreg = fieldreg\.cli:cli$", entry_points, re.M)


def test_test_tools_are_in_the_dev_requirements_only():
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert {"pytest", "hypothesis", "schemathesis", "playwright", "ruff"} <= set(dev)
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()
    assert not TEST_ONLY & set(runtime)
    assert "splink" in pins(ROOT / "bench/requirements.txt")


def test_installed_command_is_the_module_command(installed, tmp_path):
    by_script = subprocess.run(
        [installed.fieldreg, "--help"], cwd=tmp_path, env=clean_env(), capture_output=True
    )
    by_module = subprocess.run(
        [installed.python, "-m", "fieldreg", "--help"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
    )
    assert by_script.returncode == 0 and b"doctor" in by_script.stdout
    assert by_script.stdout.replace(b"fieldreg", b"X") == by_module.stdout.replace(
        b"python -m fieldreg", b"X"
    )
    where = subprocess.run(
        [installed.python, "-c", "import fieldreg; print(fieldreg.__file__, fieldreg.STATIC)"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
    ).stdout
    assert str(installed.venv) in where and str(ROOT) not in where


def test_installed_wheel_serves_a_station(installed, tmp_path):
    port = free_port()
    cmd = [str(installed.fieldreg), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with Served(cmd, cwd=tmp_path, port=port) as station:
        health = httpx.get(station.url + "/healthz")
        english = httpx.get(station.url + "/login", follow_redirects=True)
        arabic = httpx.get(
            station.url + "/login", follow_redirects=True, headers={"Accept-Language": "ar"}
        )
        css = httpx.get(station.url + "/static/app.css")
        worker = httpx.get(station.url + "/sw.js")
    assert (tmp_path / "data" / "fieldreg.salt").exists()  # ./data of the folder it ran in
    assert health.status_code == 200
    assert english.status_code == 200 and "Set up the station" in english.text
    ar = gettext.GNUTranslations(CATALOG.open("rb")).gettext("Set up the station")
    assert ar != "Set up the station"
    assert arabic.status_code == 200 and ar in arabic.text and 'dir="rtl"' in arabic.text
    assert css.status_code == 200 and css.content == (ROOT / "static/app.css").read_bytes()
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert "__VERSION__" not in worker.text and "caches" in worker.text
