"""Registration through the real server against the floor (bare Flask + sqlite3, same
durability), and name search over 250,000 people.

    python -m bench.bench_register [--seconds 15] [--rounds 3] [--people 250000]
    python -m bench.bench_register --search-only [--people 250000]   # name search alone

Targets (issue 2): closed loop with 20 clients >= 0.5x the floor's throughput; p95 <= 50 ms at
100 registrations/s offered; name search over 250,000 people p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import queue
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.common import (
    ROOT,
    fieldreg,
    free_port,
    machine,
    median,
    percentile,
    process_cpu,
    start,
    wait_up,
)

# Each server gets this many seconds of the same traffic before it is measured: a station
# starting up writes its first backup and fills its caches, which is not its steady state.
WARM_UP_S = 3.0
OPEN_LOOP_WORKERS = 32
GIVEN = ["Mohammed", "محمد", "Ahmad", "أحمد", "Fatima", "فاطمة", "Omar", "Zubayda", "Huda", "Ali"]
FAMILY = ["Al-Halabi", "الحلبي", "Haddad", "الشامي", "Kassem", "Najjar", "الخطيب", "Darwish"]


def household(rng: random.Random) -> dict:
    """Return a household of five with random names, as a registrar would send it."""
    family = rng.choice(FAMILY)
    members = [
        {
            "given_name": rng.choice(GIVEN),
            "father_name": rng.choice(GIVEN),
            "family_name": family,
            "mother_name": rng.choice(GIVEN),
            "sex": rng.choice(["female", "male"]),
            "age_years": rng.randint(0, 80),
            "relationship": "head" if i == 0 else "child",
        }
        for i in range(5)
    ]
    return {
        "client_id": str(uuid.uuid4()),
        "members": members,
        "phone": "0933 123 456",
        "arrival": {"transport": "bus"},
        "origin": {"district": "Aleppo"},
    }


def closed_loop(url: str, headers: dict, seconds: float, clients: int = 20) -> tuple[float, int]:
    """Return (registrations/s, registrations) with ``clients`` sending as fast as answered."""
    https = [httpx.Client(base_url=url, headers=headers, timeout=30) for _ in range(clients)]
    stop = time.monotonic() + seconds
    counts = [0] * clients
    errors: list[int] = []

    def worker(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < stop:
            response = https[i].post("/households", json=household(rng))
            if response.status_code == 201:
                counts[i] += 1
            else:
                errors.append(response.status_code)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for http in https:
        http.close()
    if errors:
        print(f"  errors: {len(errors)} (first {errors[:3]})", file=sys.stderr)
    return sum(counts) / elapsed, sum(counts)


def open_loop(url: str, headers: dict, rate: float, seconds: float) -> list[float]:
    """Offer ``rate`` registrations/s; return each one's latency in ms (from its due time)."""
    rng = random.Random(7)
    # HTTP clients made before the clock starts: making one costs ~20 ms of CPU (its TLS
    # context), which would otherwise land on the first requests' timings.
    clients: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(OPEN_LOOP_WORKERS):
        clients.put(httpx.Client(base_url=url, headers=headers, timeout=30))
    latencies: list[float] = []

    def send(due: float) -> None:
        body = household(rng)
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        http = clients.get()
        try:
            response = http.post("/households", json=body)
        finally:
            clients.put(http)
        assert response.status_code == 201, response.text
        latencies.append((time.monotonic() - due) * 1000)

    start_at = time.monotonic() + 0.2
    with cf.ThreadPoolExecutor(max_workers=OPEN_LOOP_WORKERS) as pool:
        for n in range(int(rate * seconds)):
            pool.submit(send, start_at + n / rate)
    while not clients.empty():
        clients.get().close()
    return latencies


def serve(data: Path) -> tuple:
    """Start `python -m fieldreg serve` on ``data`` on a free port; return (process, port)."""
    port = free_port()
    cmd = [sys.executable, "-m", "fieldreg", "--data", str(data), "serve"]
    return start([*cmd, "--host", "127.0.0.1", "--port", str(port)]), port


def start_fieldreg(work: Path) -> tuple:
    """Start a FieldReg station on a fresh data folder; return (process, url, headers)."""
    data = work / f"station-{uuid.uuid4().hex[:6]}"
    fieldreg(["init", "--code", "BEN"], data)
    token = (
        fieldreg(["tokens", "create", "bench", "--role", "registrar"], data)
        .strip()
        .splitlines()[-1]
    )
    proc, port = serve(data)
    wait_up(f"http://127.0.0.1:{port}/healthz")
    return proc, f"http://127.0.0.1:{port}/api/v1", {"Authorization": f"Bearer {token}"}


def start_floor(work: Path) -> tuple:
    """Start the floor app on a fresh database."""
    port = free_port()
    proc = start(
        [
            sys.executable,
            str(ROOT / "bench" / "floor_app.py"),
            str(work / f"floor-{uuid.uuid4().hex[:6]}.db"),
            str(port),
        ]
    )
    wait_up(f"http://127.0.0.1:{port}/households")
    return proc, f"http://127.0.0.1:{port}", {}


def run_throughput(work: Path, seconds: float, rounds: int) -> dict:
    """Alternate floor and FieldReg runs; return the median throughputs and their ratio.

    Beside the rate, the server process's CPU per registration (user + system, from /proc):
    on a shared machine the rate moves with the neighbours' load, the CPU a registration
    costs much less.
    """
    results: dict[str, list[float]] = {"floor": [], "fieldreg": []}
    cpu: dict[str, list[float]] = {"floor": [], "fieldreg": []}
    for _ in range(rounds):
        for name, starter in (("floor", start_floor), ("fieldreg", start_fieldreg)):
            proc, url, headers = starter(work)
            try:
                closed_loop(url, headers, WARM_UP_S)  # start-up: first backup, cold caches
                before = process_cpu(proc.pid)
                rate, done = closed_loop(url, headers, seconds)
                results[name].append(rate)
                cpu[name].append(1000 * (process_cpu(proc.pid) - before) / max(done, 1))
            finally:
                proc.terminate()
                proc.wait()
    floor, ours = median(results["floor"]), median(results["fieldreg"])
    return {
        "floor_per_s": floor,
        "fieldreg_per_s": ours,
        "ratio": ours / floor,
        "runs": results,
        "cpu_ms": {name: median(values) for name, values in cpu.items()},
    }


def build_population(data: Path, people: int) -> None:
    """Fill a station with ``people`` registered people through the domain operations."""
    from bench.gen_population import generate
    from fieldreg import records
    from fieldreg.db import connect, prepare, write
    from fieldreg.schemas import records as schemas

    db = connect(prepare(data))
    schema = schemas.HouseholdSchema()
    batch: dict[str, list[dict]] = {}
    for rec in generate(people, seed=3):
        batch.setdefault(rec["household_id"], []).append(rec)
    groups = list(batch.values())
    keys = ("given_name", "father_name", "mother_name", "family_name", "sex")
    for start_at in range(0, len(groups), 2000):
        with write(db):
            for group in groups[start_at : start_at + 2000]:
                members = [{k: (r.get(k) or None) for k in keys} for r in group]
                for m, r in zip(members, group, strict=True):
                    m["given_name"] = m["given_name"] or "?"
                    m["sex"] = m["sex"] if m["sex"] in ("female", "male") else "unknown"
                    m["age_years"] = (
                        int(r["age_years"]) if str(r.get("age_years")).isdigit() else None
                    )
                records.create_household(db, schema.load({"members": members}), "bench")
    db.close()


def run_search(work: Path, people: int, queries: int = 300) -> dict:
    """Return search latency percentiles over a station holding ``people`` people."""
    from bench.gen_population import generate

    data = work / f"search-{people}"
    if not (data / "fieldreg.db").exists():
        began = time.monotonic()
        build_population(data, people)
        print(f"  built {people} people in {time.monotonic() - began:.0f} s", file=sys.stderr)
    token = (
        fieldreg(["tokens", "create", "search", "--role", "registrar"], data)
        .strip()
        .splitlines()[-1]
    )
    proc, port = serve(data)
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        cpu_before = process_cpu(proc.pid)
        rng = random.Random(11)
        sample = generate(5000, seed=99)
        latencies, hits, match_ms = [], 0, []
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as http:
            for rec in rng.sample(sample, queries):
                q = " ".join(p for p in (rec["given_name"], rec["family_name"]) if p)
                began = time.monotonic()
                response = http.get("/api/v1/search", params={"q": q})
                latencies.append((time.monotonic() - began) * 1000)
                hits += bool(response.json()["results"])
                wanted = {k: rec[k] for k in ("given_name", "father_name", "family_name") if rec[k]}
                began = time.monotonic()
                http.get("/api/v1/matches", params=wanted)
                match_ms.append((time.monotonic() - began) * 1000)
        server_cpu = process_cpu(proc.pid) - cpu_before
    finally:
        proc.terminate()
        proc.wait()
    return {
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "queries": queries,
        "with_results": hits,
        "matches_p50_ms": percentile(match_ms, 50),
        "matches_p95_ms": percentile(match_ms, 95),
        "server_cpu_ms_per_query": 1000 * server_cpu / queries,  # a search and a warning
    }


def main(argv: list[str] | None = None) -> None:
    """Run the registration and search benchmarks and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--quick", action="store_true", help="short runs, 20,000 people")
    parser.add_argument("--search-only", action="store_true", help="only the name search")
    parser.add_argument("--work", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.people = 5, 1, 20_000
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if not args.search_only:
        run_registration(work, args.seconds, args.rounds)
    s = run_search(work, args.people)
    print(
        f"name search over {args.people} people: p50 {s['p50_ms']:.1f} ms, p95 "
        f"{s['p95_ms']:.1f} ms (target <= 100), {s['with_results']}/{s['queries']} with results; "
        f"duplicate warning p50 {s['matches_p50_ms']:.1f} ms, p95 {s['matches_p95_ms']:.1f} ms "
        f"(target <= 50); server CPU {s['server_cpu_ms_per_query']:.1f} ms per search + warning"
    )


def run_registration(work: Path, seconds: float, rounds: int) -> None:
    """Run the closed- and open-loop registration benchmarks and print their figures."""
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        print(f"machine: {machine()}")
        t = run_throughput(Path(tmp), seconds, rounds)
        print(
            f"closed loop, 20 clients: floor {t['floor_per_s']:.0f}/s, FieldReg "
            f"{t['fieldreg_per_s']:.0f}/s, ratio {t['ratio']:.2f} (target >= 0.6); server CPU "
            f"per registration: floor {t['cpu_ms']['floor']:.2f} ms, "
            f"FieldReg {t['cpu_ms']['fieldreg']:.2f} ms"
        )
        proc, url, headers = start_fieldreg(Path(tmp))
        try:
            open_loop(url, headers, rate=100, seconds=WARM_UP_S)
            lat = open_loop(url, headers, rate=100, seconds=max(seconds, 10))
        finally:
            proc.terminate()
            proc.wait()
        print(
            f"open loop, 100/s offered: p50 {percentile(lat, 50):.1f} ms, "
            f"p95 {percentile(lat, 95):.1f} ms (target <= 50)"
        )


if __name__ == "__main__":
    main()
