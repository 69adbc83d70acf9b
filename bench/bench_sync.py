"""Sync throughput: 100,000 people pushed from a station to a real HQ server over HTTP, the
same carried as one encrypted bundle, and (``--pull``) pulled by a second station.

    python -m bench.bench_sync [--people 100000] [--pull]

Every body is sealed (encrypted to the receiver, signed by the sender; issue 13); the pull is
cut down to what the other station needs to know.
Targets: >= 5,000 records/s applied at HQ and <= 150 bytes per person on the wire (issue 6);
>= 4,000 people per HQ CPU-second with the envelope (issue 13).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import fieldreg, free_port, machine, start, wait_up

GIVEN = [
    "Mohammed",
    "محمد",
    "Ahmad",
    "أحمد",
    "Fatima",
    "فاطمة",
    "Omar",
    "Zubayda",
    "Huda",
    "Ali",
    "Khaled",
    "خالد",
    "Maryam",
    "مريم",
    "Yousef",
    "يوسف",
    "Rania",
    "Samir",
    "Nour",
    "Hassan",
]
FAMILY = [
    "Al-Halabi",
    "الحلبي",
    "Haddad",
    "الشامي",
    "Kassem",
    "Najjar",
    "الخطيب",
    "Darwish",
    "Al-Masri",
    "العلي",
    "Sabbagh",
    "Qassab",
    "الحمصي",
    "Shami",
    "Nasser",
    "Idlibi",
]


def household(rng: random.Random, size: int) -> dict:
    """Return a household with random Arabic/Latin names, as a registrar would enter it."""
    family = rng.choice(FAMILY)
    members = [
        {
            "given_name": rng.choice(GIVEN),
            "father_name": rng.choice(GIVEN),
            "mother_name": rng.choice(GIVEN),
            "family_name": family,
            "sex": rng.choice(["female", "male"]),
            "age_years": rng.randint(0, 85),
            "relationship": "head" if i == 0 else "child",
        }
        for i in range(size)
    ]
    phone = f"09{rng.randint(30, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    return {
        "members": members,
        "phone": phone,
        "arrival": {"transport": "bus"},
        "origin": {"district": rng.choice(["Aleppo", "Idlib", "Homs", "Hama"])},
    }


def fill_station(path: Path, people: int) -> float:
    """Register ``people`` people in households of 1-8 at the station; return seconds taken."""
    from fieldreg import records
    from fieldreg.db import connect, write

    rng, made, began = random.Random(6), 0, time.perf_counter()
    db = connect(path / "fieldreg.db")
    while made < people:
        with write(db):  # a day's registrations, committed in runs (faster to set up)
            for _ in range(500):
                size = min(rng.randint(1, 8), people - made)
                if size:
                    records.create_household(db, household(rng, size), "bench")
                made += size
    db.close()
    return time.perf_counter() - began


class Meter:
    """Count the bytes of every request and answer body on the wire."""

    def __init__(self):
        self.sent = self.received = 0

    def response(self, answer: httpx.Response) -> None:
        answer.read()
        self.sent += len(answer.request.content)
        self.received += len(answer.content)


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def push(station: Path, url: str) -> tuple[float, Meter, int]:
    """Push everything the station has to HQ over HTTP; return seconds, bytes, changes."""
    from fieldreg import syncing
    from fieldreg.db import connect
    from sync import client

    db = connect(station / "fieldreg.db")
    meter = Meter()
    station_client = client.Client(db, url, after=syncing.after_apply)
    station_client.http.event_hooks["response"] = [meter.response]
    began = time.perf_counter()
    sent, _acked = station_client.push()
    seconds = time.perf_counter() - began
    station_client.close()
    db.close()
    return seconds, meter, sent


def pull(other: Path, url: str) -> tuple[float, Meter, int]:
    """Pull everything HQ has for another station over HTTP; return seconds, bytes, changes."""
    from fieldreg import syncing
    from fieldreg.db import connect
    from sync import client

    db = connect(other / "fieldreg.db")
    meter = Meter()
    station_client = client.Client(db, url, after=syncing.after_apply)
    station_client.http.event_hooks["response"] = [meter.response]
    began = time.perf_counter()
    received, _cursor = station_client.pull()
    seconds = time.perf_counter() - began
    station_client.close()
    db.close()
    return seconds, meter, received


def bundle(station: Path, hq: Path) -> tuple[float, float, int]:
    """Export the station's changes as one bundle and import it at HQ; return times, size."""
    from fieldreg import bundles
    from fieldreg.db import connect

    db, hq_db = connect(station / "fieldreg.db"), connect(hq / "fieldreg.db")
    began = time.perf_counter()
    data, _count = bundles.export_bundle(db)
    exported = time.perf_counter() - began
    began, cpu = time.perf_counter(), time.process_time()
    bundles.import_bundle(hq_db, data)
    imported = time.perf_counter() - began
    print(f"bundle import used {time.process_time() - cpu:.1f} CPU-s")
    db.close()
    hq_db.close()
    return exported, imported, len(data)


def main(argv: list[str] | None = None) -> None:
    """Run the sync benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--pull", action="store_true", help="also pull it all at a 2nd station")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    station, hq, hq_bundle = work / "station", work / "hq", work / "hq-bundle"
    other = work / "other"
    fieldreg(["init", "--code", "HQ2"], hq)
    port = free_port()
    for code, folder in (("T3S", station), ("U4V", other)):
        fieldreg(["init", "--code", code], folder)
        added = fieldreg(["stations", "add", code, "--url", f"http://127.0.0.1:{port}"], hq)
        fieldreg(["join", added.strip().splitlines()[-1]], folder)
    shutil.copytree(hq, hq_bundle)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"station filled with {args.people} people in {fill_station(station, args.people):.1f} s")
    exported, imported, size = bundle(station, hq_bundle)
    server = start(
        [
            sys.executable,
            "-m",
            "fieldreg",
            "--data",
            str(hq),
            "serve",
            "--role",
            "hq",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--threads",
            "4",
        ]
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        cpu_before = cpu_seconds(server.pid)
        seconds, meter, changes = push(station, f"http://127.0.0.1:{port}")
        hq_cpu = cpu_seconds(server.pid) - cpu_before
        if args.pull:
            cpu_before = cpu_seconds(server.pid)
            pulled = pull(other, f"http://127.0.0.1:{port}")
            pull_cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(10)
    wire = meter.sent + meter.received
    print(
        f"HTTP push: {changes} changes ({args.people} people) in {seconds:.1f} s = "
        f"{args.people / seconds:,.0f} people/s, {changes / seconds:,.0f} changes/s applied; "
        f"{wire:,} bytes on the wire = {wire / args.people:.1f} bytes/person"
    )
    print(
        f"HQ server CPU during the push: {hq_cpu:.1f} s = "
        f"{args.people / hq_cpu:,.0f} people per HQ CPU-second"
    )
    print(
        f"bundle: {size:,} bytes = {size / args.people:.1f} bytes/person; export {exported:.1f} s,"
        f" import {imported:.1f} s = {args.people / imported:,.0f} people/s"
    )
    if args.pull:
        pull_seconds, pull_meter, received = pulled
        pull_wire = pull_meter.sent + pull_meter.received
        print(
            f"HTTP pull at another station: {received} changes in {pull_seconds:.1f} s; "
            f"{pull_wire:,} bytes = {pull_wire / args.people:.1f} bytes/person; HQ CPU "
            f"{pull_cpu:.1f} s = {args.people / pull_cpu:,.0f} people per HQ CPU-second"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
