"""Load: 50 tablets on one station for 5 minutes, against the real server.

    python -m bench.bench_load [--clients 50] [--seconds 300] [--people 8500] [--think 0.2 1.0]

Each client loops: pick a request kind by weight, send it, wait a think time (default 0.2-1 s,
a busy shift change). Kinds: register (POST /api/v1/households with a client_id), search,
scan lookup (GET /api/v1/households/CODE and the /scan?code= page), triage (issue 4's
endpoint, skipped if this build has none), stats (GET /api/v1/stats) and the dashboard page
(skipped if absent). Automatic backups run every minute during the test. Reported: count,
errors, p50/p95/max per kind, and the server's RSS at start, middle and end.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as cf
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.bench_startup import free_port, start_server, wait_healthy
from bench.seed import bodies, seed
from fieldreg.db import connect

WEIGHTS = {"register": 20, "search": 25, "household": 15, "scan": 10, "triage": 10,
           "stats": 10, "dashboard": 10}  # fmt: skip
TRIAGE = ("/api/v1/people/{code}/triage", {"category": "delayed", "conditions": ["fracture"]})
P95_TARGET_MS = 150


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Load:
    """The shared state of one run: known codes, names to search, timings per kind."""

    def __init__(self, data: Path, token: str, think: tuple[float, float]):
        db = connect(data / "fieldreg.db")
        self.households = [r[0] for r in db.execute("select code from households").fetchall()]
        self.people = [r[0] for r in db.execute("select code from people limit 5000").fetchall()]
        self.names = [" ".join(filter(None, r)) for r in db.execute(
            "select given_name, family_name from people limit 2000").fetchall()]  # fmt: skip
        db.close()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.think, self.bodies = think, bodies(2000, seed=7)
        self.times: dict[str, list[float]] = {kind: [] for kind in WEIGHTS}
        self.errors: dict[str, list[str]] = {kind: [] for kind in WEIGHTS}
        self.skipped: dict[str, str] = {}

    def request(self, kind: str, rng: random.Random) -> tuple[str, str, dict | None]:
        """Return (method, path, json body) for one request of ``kind``."""
        if kind == "register":
            body = {**rng.choice(self.bodies), "client_id": str(uuid.uuid4())}
            return "POST", "/api/v1/households", body
        if kind == "search":
            return "GET", f"/api/v1/search?q={rng.choice(self.names)}", None
        if kind == "household":
            return "GET", f"/api/v1/households/{rng.choice(self.households)}", None
        if kind == "scan":
            return "GET", f"/scan?code={rng.choice(self.households + self.people)}", None
        if kind == "triage":
            return "POST", TRIAGE[0].format(code=rng.choice(self.people)), TRIAGE[1]
        if kind == "stats":
            return "GET", "/api/v1/stats", None
        return "GET", "/dashboard", None

    async def probe(self, http: httpx.AsyncClient) -> None:
        """Skip the kinds whose endpoint this build does not have."""
        for kind in ("triage", "dashboard"):
            method, path, body = self.request(kind, random.Random(0))
            answer = await http.request(method, path, json=body)
            if answer.status_code in (404, 405):
                self.skipped[kind] = f"{method} {path.split('?')[0]} answered {answer.status_code}"

    async def client(self, http: httpx.AsyncClient, rng: random.Random, until: float) -> None:
        """Play one tablet until the end of the run."""
        kinds = [k for k in WEIGHTS if k not in self.skipped]
        weights = [WEIGHTS[k] for k in kinds]
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            method, path, body = self.request(kind, rng)
            began = time.perf_counter()
            try:
                answer = await http.request(method, path, json=body)
                ok = answer.status_code < 400
                problem = f"{answer.status_code} {path} {answer.text[:120]}"
            except httpx.HTTPError as exc:
                ok, problem = False, f"{type(exc).__name__} {path}"
            self.times[kind].append((time.perf_counter() - began) * 1000)
            if not ok:
                self.errors[kind].append(problem)
            elif kind == "register":
                self.households.append(answer.json()["code"])
            await asyncio.sleep(rng.uniform(*self.think))

    def summary(self) -> dict:
        """Return count, errors and percentiles per kind."""
        out = {}
        for kind, times in self.times.items():
            if kind in self.skipped:
                out[kind] = {"skipped": self.skipped[kind]}
            elif times:
                cuts = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
                out[kind] = {"n": len(times), "errors": len(self.errors[kind]),
                             "p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1),
                             "max_ms": round(max(times), 1)}  # fmt: skip
        return out


async def drive(load: Load, url: str, first: int, clients: int, seconds: float) -> None:
    """Run ``clients`` tablets (seeds ``first``...) until ``seconds`` have passed."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=load.headers, timeout=30,
                                 limits=limits) as http:  # fmt: skip
        await load.probe(http)
        until = time.monotonic() + seconds
        await asyncio.gather(*(load.client(http, random.Random(first + i), until)
                               for i in range(clients)))  # fmt: skip


def play(data: Path, token: str, think: tuple, url: str, first: int, clients: int,
         seconds: float) -> dict:  # fmt: skip
    """Play some of the tablets in this (child) process; return their timings and errors."""
    load = Load(data, token, think)
    asyncio.run(drive(load, url, first, clients, seconds))
    return {"times": load.times, "errors": load.errors, "skipped": load.skipped}


def run_clients(load: Load, url: str, pid: int, args, token: str, data: Path) -> list[float]:
    """Run the tablets in ``args.processes`` processes (one event loop cannot keep up with
    50 busy tablets without adding its own delay to every timing); sample the server's RSS at
    start, middle and end; gather every timing into ``load``."""
    per = [args.clients // args.processes + (i < args.clients % args.processes)
           for i in range(args.processes)]  # fmt: skip
    firsts = [sum(per[:i]) for i in range(args.processes)]
    rss = [rss_mb(pid)]
    with cf.ProcessPoolExecutor(args.processes) as pool:
        jobs = [pool.submit(play, data, token, tuple(args.think), url, first, n, args.seconds)
                for first, n in zip(firsts, per, strict=True) if n]  # fmt: skip
        time.sleep(args.seconds / 2)
        rss.append(rss_mb(pid))
        for job in jobs:
            part = job.result()
            load.skipped.update(part["skipped"])
            for kind in WEIGHTS:
                load.times[kind] += part["times"][kind]
                load.errors[kind] += part["errors"][kind]
    rss.append(rss_mb(pid))
    return rss


def main(quick: bool = False, argv: list[str] | None = None) -> dict:
    """Seed a station, start the real server, run the load, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30 if quick else 300)
    parser.add_argument("--people", type=int, default=2000 if quick else 8500)
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0))
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        token = seed(data, args.people)["token"]
        port = free_port()
        env = {"FIELDREG_BACKUP_MINUTES": "1", "FIELDREG_BACKUP_DIR": str(Path(tmp) / "bk")}
        proc = start_server(data, port, env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url)
            load = Load(data, token, tuple(args.think))
            rss = run_clients(load, url, proc.pid, args, token, data)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        backups = len(list((Path(tmp) / "bk").glob("*.db")))
    result = {"clients": args.clients, "seconds": args.seconds, "people": args.people,
              "think_s": list(args.think), "processes": args.processes, "rss_mb": rss,
              "backups_kept": backups,
              "kinds": load.summary()}  # fmt: skip
    report(result, load)
    return result


def report(result: dict, load: Load) -> None:
    """Print the figures, the first errors, and whether the targets were met."""
    print("load:", {k: v for k, v in result.items() if k != "kinds"})
    for kind, figures in result["kinds"].items():
        print(f"  {kind:10} {figures}")
    for kind, problems in load.errors.items():
        for problem in problems[:3]:
            print(f"  error {kind}: {problem}")
    bad = [k for k, f in result["kinds"].items()
           if f.get("errors") or f.get("p95_ms", 0) > P95_TARGET_MS]  # fmt: skip
    print("  targets (zero errors, p95 <= 150 ms):", "met" if not bad else f"missed by {bad}")


if __name__ == "__main__":
    main(argv=sys.argv[1:])
