"""Issue 17: the one-click folder (installer/build.py) builds on Linux and starts a station.

The folder is frozen from the same wheel as the package test, then started through its start
script from another folder, with a PATH that holds no Python: what a logistician's
double-click does. $BROWSER stands in for the laptop's browser and records what it was asked
to open.
"""

from __future__ import annotations

import gettext
import importlib.util
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import free_port
from tests.wheelkit import ROOT, Served, clean_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(installed, tmp_path_factory):
    """The one-click folder, built by installer/build.py from the installed wheel."""
    out = tmp_path_factory.mktemp("oneclick")
    build = [sys.executable, str(ROOT / "installer/build.py"), "--wheel", str(installed.wheel)]
    build += ["--venv", str(installed.venv), "--out", str(out)]
    subprocess.run(build, check=True, cwd=out, env=clean_env(), timeout=900)
    (made,) = out.glob("FieldReg-linux-*")
    return made


def test_folder_holds_the_program_start_script_and_readme(folder):
    assert os.access(folder / "start-fieldreg.sh", os.X_OK)
    assert os.access(folder / "fieldreg" / "fieldreg", os.X_OK)
    assert "Start-FieldReg.bat" in (folder / "README.txt").read_text()
    internal = folder / "fieldreg" / "_internal" / "fieldreg"
    assert (internal / "static" / "sw.js").exists()
    assert (internal / "translations" / "ar" / "LC_MESSAGES" / "messages.mo").exists()


def test_start_script_serves_the_station_and_opens_the_browser(folder, tmp_path):
    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    env = clean_env(PATH="/usr/bin:/bin", BROWSER=f"{browser} %s")  # no Python on the PATH
    port = free_port()
    cmd = [str(folder / "start-fieldreg.sh"), "--host", "127.0.0.1", "--port", str(port)]
    with Served(cmd, cwd=tmp_path, port=port, env=env) as station:
        page = httpx.get(
            station.url + "/login", follow_redirects=True, headers={"Accept-Language": "ar"}
        )
        css = httpx.get(station.url + "/static/app.css")
        worker = httpx.get(station.url + "/sw.js")
        for _ in range(50):
            if opened.exists():
                break
            time.sleep(0.1)
    assert opened.read_text().split() == [f"http://127.0.0.1:{port}/"]
    catalog = ROOT / "fieldreg/translations/ar/LC_MESSAGES/messages.mo"
    arabic = gettext.GNUTranslations(catalog.open("rb")).gettext("Set up the station")
    assert page.status_code == 200 and arabic in page.text
    assert css.status_code == 200 and worker.status_code == 200
    assert (folder / "data" / "fieldreg.salt").exists()  # the data lives beside the script
    assert "stopped cleanly" in station.output


def test_folder_program_is_the_command_line(folder, tmp_path):
    done = subprocess.run(
        [str(folder / "fieldreg" / "fieldreg"), "--data", str(tmp_path / "d"), "doctor"],
        env=clean_env(PATH="/usr/bin:/bin"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Checking this laptop for a FieldReg station" in done.stdout, done.stderr


def test_program_double_clicked_without_arguments_starts_its_folders_station(monkeypatch):
    spec = importlib.util.spec_from_file_location("entry", ROOT / "installer/entry.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    monkeypatch.delenv("FIELDREG_DATA", raising=False)
    monkeypatch.setattr(sys, "executable", "/media/FieldReg-linux-x86_64/fieldreg/fieldreg")
    monkeypatch.setattr(sys, "argv", [sys.executable])
    assert entry.arguments() == ["--data", "/media/FieldReg-linux-x86_64/data", "start"]
    monkeypatch.setattr(sys, "argv", [sys.executable, "doctor"])
    assert entry.arguments() == ["doctor"]
