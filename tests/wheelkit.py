"""The wheel as a user gets it: built from the checkout, installed in a venv outside it.

Used by the package, one-click folder and container tests (the ``installed`` fixture in
conftest.py builds it once per run). Installing reuses pip's cache, so a run costs tens of
seconds, not a download of every dependency.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PIP = ["-m", "pip", "--disable-pip-version-check", "--no-input"]


@dataclass
class Installed:
    """A venv outside the checkout with the fieldreg wheel installed in it."""

    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def fieldreg(self) -> Path:
        return self.venv / "bin" / "fieldreg"


def build_wheel(out: Path) -> Path:
    """Build the fieldreg wheel from the checkout into ``out``, as `make wheel` does."""
    cmd = [sys.executable, *PIP, "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)]
    subprocess.run(cmd, check=True, cwd=out, timeout=600)
    (wheel,) = out.glob("fieldreg-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Installed:
    """Make a venv at ``venv`` and install the wheel with its pinned dependencies."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    installed = Installed(wheel, venv)
    cmd = [str(installed.python), *PIP, "install", "--quiet", str(wheel)]
    subprocess.run(cmd, check=True, cwd=venv, timeout=900, env=clean_env())
    return installed


def clean_env(**extra: str) -> dict:
    """The environment of a user's shell: nothing that points into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FIELDREG_DATA")}
    return {**env, **extra}


class Served:
    """A server process started by a command line, stopped with SIGTERM at the end."""

    def __init__(self, cmd: list[str], cwd: Path, port: int, env: dict | None = None):
        self.cmd, self.cwd, self.port = cmd, cwd, port
        self.url = f"http://127.0.0.1:{port}"
        self.env = env or clean_env()
        self.proc: subprocess.Popen | None = None
        self.output = ""

    def __enter__(self) -> Served:
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise AssertionError(f"{self.cmd} did not start:\n{self.output}")

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.output, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.output, _ = self.proc.communicate()
