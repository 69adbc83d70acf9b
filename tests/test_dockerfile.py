"""Issue 17: the container image is built from the wheel and runs as in docs/install.md.

No container engine runs here, so the Dockerfile is read: its stages, user, volume, port and
wheel install are checked, its build stage's files are enough to build the wheel, and the
command line the image runs (ENTRYPOINT + CMD, with the image's environment) is run against
the installed wheel.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys

import httpx
import pytest

from tests.conftest import free_port
from tests.wheelkit import ROOT, Served, clean_env

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """Read the Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    """Split the instructions into build stages (each starting with FROM)."""
    result = []
    for word, rest in instructions():
        if word == "FROM":
            result.append([])
        if result:
            result[-1].append((word, rest))
    return result


def last(stage, word: str) -> str:
    """Return the arguments of the stage's last ``word`` instruction."""
    return [rest for w, rest in stage if w == word][-1]


def image_env() -> dict[str, str]:
    """Return the final stage's ENV settings."""
    env = {}
    for word, rest in stages()[-1]:
        if word == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(rest)))
    return env


def test_image_is_built_in_two_stages_from_the_wheel():
    build, final = stages()[0], stages()[-1]
    assert len(stages()) == 2 and re.search(r"\bAS build$", build[0][1])
    runs = " ".join(rest for word, rest in build if word == "RUN")
    assert "pip wheel --no-deps --wheel-dir /wheels ." in runs
    assert "pip install /wheels/fieldreg-*.whl" in runs
    assert last(final, "COPY") == "--from=build /opt/fieldreg /opt/fieldreg"
    assert not [rest for word, rest in final if word == "COPY" and "--from" not in rest]


def test_image_runs_as_a_user_without_privileges_with_data_in_a_volume():
    final = stages()[-1]
    user = last(final, "USER")
    assert user.split(":")[0] not in ("root", "0")
    assert json.loads(last(final, "VOLUME")) == ["/data"]
    assert image_env()["FIELDREG_DATA"] == "/data"
    assert "chown fieldreg:fieldreg /data" in " ".join(r for w, r in final if w == "RUN")
    assert "8000" in last(final, "EXPOSE").split()


def test_build_stage_copies_all_the_wheel_needs(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for word, rest in stages()[0]:
        if word == "COPY" and "--from" not in rest:
            *paths, _dest = rest.split()
            for path in paths:
                copy = shutil.copytree if (ROOT / path).is_dir() else shutil.copy
                copy(ROOT / path, source / path)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), "."]
    subprocess.run(cmd, cwd=source, check=True, timeout=300)
    assert list(tmp_path.glob("fieldreg-*.whl"))


@pytest.mark.slow
def test_the_images_command_serves_from_the_installed_wheel(installed, tmp_path):
    final, port = stages()[-1], free_port()
    command = json.loads(last(final, "ENTRYPOINT")) + json.loads(last(final, "CMD"))
    assert command == ["fieldreg", "serve", "--host", "0.0.0.0", "--port", "8000"]
    command = [a.replace("0.0.0.0", "127.0.0.1").replace("8000", str(port)) for a in command]
    env = image_env()
    env["PATH"] = env["PATH"].replace("/opt/fieldreg/bin", str(installed.venv / "bin"))
    env["PATH"] = env["PATH"].replace("$PATH", "/usr/bin:/bin")
    env["FIELDREG_DATA"] = str(tmp_path / "data")
    (tmp_path / "home").mkdir()
    with Served(command, cwd=tmp_path / "home", port=port, env=clean_env(**env)) as hq:
        assert httpx.get(hq.url + "/healthz").status_code == 200
        check = last(final, "HEALTHCHECK").removeprefix("CMD ").replace("8000", str(port))
        health = subprocess.run(["sh", "-c", check], env=clean_env(**env), timeout=30)
    assert health.returncode == 0
    assert (tmp_path / "data" / "fieldreg.salt").exists()
    assert not (tmp_path / "home" / "data").exists()
