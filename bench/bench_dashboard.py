"""Benchmark HQ's figures and exports at scale (issue 15): dashboard, /api/v1/stats, exports.

A data folder is filled with a generated population through the real domain operation
(bench/seed.py), then multiplied by SQL (each copy a station of its own, the same people
registered again: dedup clusters link each copy to its original), with a third of them
departed and one in twenty triaged; tallies follow by their triggers as in the field.
Then, medians of several runs:

- the figures from the tallies (station and HQ), and the same counted from the records
  (what every refresh cost before the tallies, kept for a period's report);
- ``GET /api/v1/stats`` and ``GET /dashboard`` at HQ through the app (rendering included);
- the unique count's summary, as each dedup run and review decision writes it;
- each export streamed to nowhere: time to the first chunk, total time, peak memory growth.

    python -m bench.bench_dashboard [--people 105000] [--copies 0] [--keep DIR] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench import common  # noqa: F401  (a throw-away passphrase for bench folders)
from bench import seed as seeding
from fieldreg import auth, create_app, dedup_counts, exports, stats, tallies, wiring
from fieldreg.db import connect, prepare, write

EVERYTHING = stats.Period(since="0000")  # every arrival: counted from the records


def fill(data: Path, people: int, copies: int) -> int:
    """Seed ``people`` through the domain operation, then ``copies`` copies (other stations)."""
    began = time.perf_counter()
    made = seeding.seed(data, people)
    print(f"seeded {made['people']} people in {made['households']} households "
          f"({time.perf_counter() - began:.0f} s)", flush=True)  # fmt: skip
    db = connect(data / "fieldreg.db")
    with write(db):  # half the households share (PFIF); a third left; one in 20 triaged
        db.execute("update households set consent_share = 1 where rowid % 2 = 0")
        db.execute(
            "insert into movements (id, household_id, person_id, kind, destination_kind, at) "
            "select 'm-' || id, household_id, id, 'departed', 'camp', created_at from people "
            "where rowid % 3 = 0"
        )
        db.execute("update people set status = 'departed' where rowid % 3 = 0")
        db.execute(
            "insert into triage (id, person_id, category, at) select 't-' || id, id, "
            "'delayed', created_at from people where rowid % 20 = 0"
        )
    db.close()
    if copies:
        began = time.perf_counter()
        total = seeding.clone(data, copies)
        db = connect(data / "fieldreg.db")
        with write(db):
            for k in range(1, copies + 1):
                db.execute(
                    "update households set station = ? where id like ?", [f"C{k:02d}", f"%~{k}"]
                )
        db.close()
        print(f"cloned to {total} people ({time.perf_counter() - began:.0f} s)", flush=True)
    return made["people"] * (copies + 1)


def link_copies(db) -> None:
    """Write dedup results as a run would: each copy linked to its original, pairs to review."""
    with write(db):
        db.execute("delete from dedup_clusters")
        db.execute(
            "insert into dedup_clusters (person_id, cluster_id) "
            "select id, substr(id, 1, instr(id || '~', '~') - 1) from people"
        )
        db.execute("delete from dedup_pairs")
        db.execute(
            "insert into dedup_pairs (a, b, score, reasons, status) select a.id, b.id, 3.0, "
            "'{}', 'review' from (select id, row_number() over () n from people "
            "where id not like '%~%' limit 300) a join (select id, row_number() over () n "
            "from people where id not like '%~%' limit 300 offset 300) b using (n)"
        )


def timed(label: str, function, repeat: int = 5) -> float:
    """Run a function a few times; print and return the median in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    median = statistics.median(times)
    print(f"{label:<48} {median:10.1f} ms  (min {min(times):.1f}, max {max(times):.1f})",
          flush=True)  # fmt: skip
    return median


def rss() -> int:
    """Return this process's resident memory in bytes."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def streamed(label: str, db, fmt: str, **options) -> dict:
    """Stream an export to nowhere; print first-chunk time, total time and peak memory growth."""
    base, top, running = rss(), [0], [True]

    def watch() -> None:
        while running[0]:
            top[0] = max(top[0], rss())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.perf_counter()
    progress, chunks = exports.stream(db, fmt, **options)
    first = size = 0.0
    for chunk in chunks:
        first = first or time.perf_counter() - began
        size += len(chunk)
    total = time.perf_counter() - began
    running[0] = False
    watcher.join()
    grown = max(top[0] - base, 0) / 2**20
    said = f"first chunk {first * 1000:.0f} ms, {size / 2**20:.0f} MB, {progress.done} rows"
    print(f"{label:<48} {total:8.1f} s   {said}, memory +{grown:.0f} MB", flush=True)
    return {"seconds": total, "first_ms": first * 1000, "memory_mb": grown}


def measure(data: Path) -> dict:
    """Time the figures, the pages and the exports of a filled HQ data folder."""
    wiring.wire()  # what the app factory and the command line do first
    db = connect(data / "fieldreg.db")
    began = time.perf_counter()
    link_copies(db)
    print(f"dedup results written (every row, as a first run): "
          f"{time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
    people = stats.station_stats(db)["people"]
    print(f"{people} people, load average {os.getloadavg()[0]:.1f}", flush=True)
    out = {
        "station_stats": timed("station figures (tallies)", lambda: stats.station_stats(db)),
        "hq_stats": timed("HQ figures (tallies)", lambda: stats.hq_stats(db)),
        "counted": timed(
            "the same counted from the records", lambda: stats.hq_stats(db, EVERYTHING), 3
        ),  # fmt: skip
        "summary": timed(
            "unique count summary (each dedup store)", lambda: dedup_counts.summarise(db), 3
        ),  # fmt: skip
    }
    app = create_app({"DATA": str(data), "ROLE": "hq", "STATS_MAX_AGE_SECONDS": 0})
    client = app.test_client()
    token = {"Authorization": "Bearer " + auth.create_token(db, "bench", "analyst")}
    out["api_stats"] = timed("GET /api/v1/stats (HQ)", lambda: client.get(
        "/api/v1/stats", headers=token).close())  # fmt: skip
    out["dashboard"] = timed("GET /dashboard (HQ)", lambda: dashboard(client, db), 5)
    out["csv"] = streamed("export csv people --hxl", db, "csv", hxl=True)
    out["csv_partner"] = streamed("export csv people --pseudonymise", db, "csv", partner="P")
    out["xlsx"] = streamed("export xlsx (every kind)", db, "xlsx")
    out["pfif"] = streamed("export pfif", db, "pfif")
    assert tallies.recount(db) == [], "the tallies drifted"
    db.close()
    return out


_logged_in: set = set()


def dashboard(client, db) -> None:
    """Ask for HQ's dashboard as a signed-in analyst."""
    if client not in _logged_in:
        if not list(db.query("select 1 from users where username = 'bench'")):
            auth.add_user(db, "bench", "analyst", "246813")
        page = client.get("/login").get_data(as_text=True)
        marker = 'name="csrf_token" value="'
        csrf = page[page.index(marker) + len(marker) :].split('"', 1)[0]
        client.post("/login", data={"username": "bench", "pin": "246813", "csrf_token": csrf})
        _logged_in.add(client)
    answer = client.get("/dashboard")
    assert answer.status_code == 200, answer.status_code
    answer.close()


def main(quick: bool = False, argv: list[str] | None = None) -> dict:
    """Fill (or reuse) an HQ data folder and measure its figures and exports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", type=int, default=105_000, help="people seeded (default 105,000)"
    )
    parser.add_argument("--copies", type=int, default=0, help="copies by SQL, each a station")
    parser.add_argument("--keep", type=Path, help="data folder to fill once and reuse")
    parser.add_argument("--quick", action="store_true", help="5,000 people and one copy")
    args = parser.parse_args(argv)
    if quick or args.quick:
        args.people, args.copies = 5_000, 1
    if args.keep and (args.keep / "fieldreg.db").exists():
        print(f"reusing {args.keep}", flush=True)
        return measure(args.keep)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        data = args.keep or Path(tmp)
        prepare(data)
        fill(data, args.people, args.copies)
        return measure(data)


if __name__ == "__main__":
    main()
