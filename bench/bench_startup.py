"""Start-up time with a big database: spawn `serve`, time until /healthz answers.

    python -m bench.bench_startup [--people 250000] [--runs 5]

The population is 4,000 people registered through the domain operation, multiplied by SQL
(ids and codes suffixed) up to the target: start-up reads no records, so what matters is
the size of the file and its tables, not the variety of names.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.seed import clone, seed

ROOT = Path(__file__).resolve().parent.parent
BASE = 4000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data: Path, port: int, env: dict | None = None) -> subprocess.Popen:
    """Run `python -m fieldreg serve` on ``data``."""
    cmd = [sys.executable, "-m", "fieldreg", "--data", str(data), "serve",
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDREG_BACKUP_MINUTES": "0", **(env or {})}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def wait_healthy(url: str, timeout: float = 60) -> float:
    """Poll /healthz until it answers; return the seconds waited."""
    began = time.monotonic()
    with httpx.Client(timeout=1) as http:
        while time.monotonic() - began < timeout:
            try:
                if http.get(url + "/healthz").status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                time.sleep(0.01)
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    """Return the CPU time a process has used (Linux), a figure a busy machine does not skew."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_starts(data: Path, runs: int) -> tuple[list[float], list[float]]:
    """Start and stop the server ``runs`` times; return wall and CPU start-up times."""
    times, cpu = [], []
    for _ in range(runs):
        port = free_port()
        proc = start_server(data, port)
        try:
            times.append(wait_healthy(f"http://127.0.0.1:{port}"))
            cpu.append(cpu_seconds(proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    return times, cpu


def main(quick: bool = False, argv: list[str] | None = None) -> dict:
    """Seed a population, then report start-up times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000 if quick else 250_000)
    parser.add_argument("--runs", type=int, default=3 if quick else 5)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        began = time.monotonic()
        base = seed(data, min(BASE, args.people))["people"]
        people = clone(data, max(0, -(-args.people // base) - 1))
        seeded = time.monotonic() - began
        size = (data / "fieldreg.db").stat().st_size
        times, cpu = time_starts(data, args.runs)
    result = {"people": people, "db_mb": round(size / 2**20, 1), "seed_s": round(seeded, 1),
              "start_s_min": round(min(times), 2), "start_s_median":
              round(statistics.median(times), 2), "start_s_max": round(max(times), 2),
              "start_cpu_s_median": round(statistics.median(cpu), 2)}  # fmt: skip
    print("startup:", result, flush=True)
    return result


if __name__ == "__main__":
    main(argv=sys.argv[1:])
